//! Storage: one [`Store`] trait, and its backends — in memory, redb and
//! PostgreSQL (and the shared test suite every backend passes,
//! `tests/store.rs`).
//!
//! Invariant: a certificate write lands only if the name's revision is still
//! the one the request was decided against, checked inside the write's own
//! transaction, together with the private keys the new aggregate needs (and
//! without those it no longer needs), the name's provider job and who wrote
//! it (a client, or the server's own work). Nothing is read whole into
//! memory at start.

pub mod memory;
pub mod postgres;
pub mod redb;

use std::future::Future;

use pending_certificate::wire::Contacts;
use pending_certificate::{Certificate, CertificateName, Issuer, IssuerName, RequestId, Revision};
use serde::{Deserialize, Serialize};

/// Why the store failed. A failure is the server's, never the client's.
#[derive(Debug, thiserror::Error)]
#[error("storage: {0}")]
pub struct StoreError(pub String);

impl StoreError {
    /// A store error from anything displayable.
    pub fn from_display(error: impl std::fmt::Display) -> Self {
        Self(error.to_string())
    }
}

/// Who wrote a name: a client's request, or the server's own background
/// work (a provider outcome, the purge sweep).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Writer {
    /// A client's request.
    #[default]
    Client,
    /// The server's own work.
    Background,
}

impl Writer {
    fn is_client(&self) -> bool {
        *self == Writer::Client
    }
}

/// Why a write did not land.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The name's revision is no longer the one expected: another write got
    /// there first (the service's 409 `Conflict` when that was a client's).
    #[error("the name changed since it was read")]
    Conflict {
        /// Who wrote the revision found instead (`Client` when the name now
        /// holds nothing, and so no record of it).
        by: Writer,
    },
    /// The store failed.
    #[error(transparent)]
    Failed(#[from] StoreError),
}

/// What the simulated provider does for a request in progress, once due:
/// what the core's effect asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobKind {
    /// The simulated CA issues a registered issuer's request
    /// (`Effect::SubmitToIssuer`).
    Issue,
    /// The key holder signs a `Self` request (`Effect::SignSelf`).
    SignSelf,
    /// The provider confirms a cancellation (`Effect::CancelAtIssuer`).
    Cancel,
}

/// A request in progress that the simulated provider answers when it is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The certificate name.
    pub name: CertificateName,
    /// The request it answers.
    pub request_id: RequestId,
    /// What to do.
    pub kind: JobKind,
    /// When, in Unix milliseconds.
    pub due_ms: i64,
}

/// What a certificate write does to the name's job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobChange {
    /// Leave it.
    Keep,
    /// Schedule this one (replacing any other of the name's).
    Set(Job),
    /// Remove the name's job: its request is no longer in progress.
    Clear,
    /// The name's job for this request becomes a cancellation, due when it
    /// was (no job, or one for another request: nothing changes).
    Cancel(RequestId),
}

/// One name's write: the aggregate if the revision is still `expected`, with
/// its keys and its job, in one transaction.
#[derive(Debug, Clone)]
pub struct NameWrite {
    /// The aggregate as it is now.
    pub certificate: Certificate,
    /// The revision it was decided against (`None`: the name held nothing).
    pub expected: Option<Revision>,
    /// Private keys (sealed) the aggregate now needs that the store does not
    /// hold: `(SubjectPublicKeyInfo DER, sealed key)`.
    pub keys_added: Vec<(Vec<u8>, Vec<u8>)>,
    /// Public keys whose private keys the aggregate no longer needs.
    pub keys_removed: Vec<Vec<u8>>,
    /// The name's job.
    pub job: JobChange,
    /// Who writes.
    pub writer: Writer,
}

/// A stored aggregate and its revision.
#[derive(Serialize, Deserialize)]
pub(crate) struct Record {
    pub revision: u64,
    pub certificate: Certificate,
    /// Absent (a client) in records written before writers were kept.
    #[serde(default, skip_serializing_if = "Writer::is_client")]
    pub writer: Writer,
}

/// Where the server keeps everything durable. Every method may be called
/// from many tasks at once; none holds a lock that requests for other names
/// wait on beyond the backend's own commit.
pub trait Store: Send + Sync + 'static {
    /// One name's aggregate and revision; `None` when the name holds nothing.
    fn load(
        &self,
        name: &CertificateName,
    ) -> impl Future<Output = Result<Option<(Revision, Certificate)>, StoreError>> + Send;

    /// Writes a name's aggregate if its revision is still `write.expected`,
    /// with its keys and job, in one transaction; the new revision.
    fn write(&self, write: NameWrite) -> impl Future<Output = Result<Revision, WriteError>> + Send;

    /// A registered issuer.
    fn issuer(&self, name: &IssuerName) -> impl Future<Output = Result<Option<Issuer>, StoreError>> + Send;

    /// Sets (`Some`) or removes (`None`) a registered issuer.
    fn put_issuer(
        &self,
        name: &IssuerName,
        issuer: Option<&Issuer>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The sealed private key of `name` whose public key is `spki`.
    fn key(
        &self,
        name: &CertificateName,
        spki: &[u8],
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send;

    /// Jobs due at `now_ms` that no one holds, each now held until
    /// `now_ms + lease_ms`; at most `limit`.
    fn take_due_jobs(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Job>, StoreError>> + Send;

    /// Removes `job` if it is still the name's (its request was refused as
    /// stale, so nothing else clears it).
    fn drop_job(&self, job: &Job) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The value kept under `key`, or `value` stored there now if there was
    /// none: how replicas agree on one key-encryption check and one CA.
    fn meta_or_insert(&self, key: &str, value: Vec<u8>) -> impl Future<Output = Result<Vec<u8>, StoreError>> + Send;

    /// At most `limit` aggregates whose name comes after `after` (byte
    /// order), in name order: those soft-deleted, or those not.
    fn list_certificates(
        &self,
        deleted: bool,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(Revision, Certificate)>, StoreError>> + Send;

    /// At most `limit` registered issuers whose name comes after `after`, in
    /// name order.
    fn list_issuers(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(IssuerName, Issuer)>, StoreError>> + Send;

    /// The certificate contacts.
    fn contacts(&self) -> impl Future<Output = Result<Option<Contacts>, StoreError>> + Send;

    /// Sets (`Some`) or removes (`None`) the certificate contacts.
    fn put_contacts(&self, contacts: Option<&Contacts>) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The keys a write adds and removes: what `after` references that `before`
/// did not, and the other way round (`SubjectPublicKeyInfo` DER).
pub fn key_changes(before: Option<&Certificate>, after: &Certificate) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let before: Vec<&[u8]> = before.map(Certificate::key_references).unwrap_or_default();
    let after = after.key_references();
    let added = after.iter().filter(|k| !before.contains(k)).map(|k| k.to_vec()).collect();
    let removed = before.iter().filter(|k| !after.contains(k)).map(|k| k.to_vec()).collect();
    (added, removed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use pending_certificate::memory::MemoryKeyHolder;
    use pending_certificate::rest::{self, Request};
    use pending_certificate::{SequentialIds, Vault, VaultUrl};
    use time::OffsetDateTime;

    fn send(vault: &mut Vault, method: &str, target: &str, body: &serde_json::Value) -> u16 {
        let body = serde_json::to_vec(body).unwrap();
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let request = Request { method, target, body: &body };
        rest::handle(vault, &mut MemoryKeyHolder::new(), &mut SequentialIds::default(), now, request).response.status
    }

    #[test]
    fn a_write_adds_the_keys_it_now_needs_and_removes_those_it_no_longer_does() {
        let mut vault = Vault::new(VaultUrl::new("https://vault.test").unwrap());
        let name = CertificateName::new("k").unwrap();
        let policy = serde_json::json!({"policy": {"key_props": {"kty": "EC"}, "x509_props": {"subject": "CN=k"},
            "issuer": {"name": "Unknown"}}});
        assert_eq!(send(&mut vault, "POST", "/certificates/k/create?api-version=7.5", &policy), 202);
        let created = vault.load(&name).unwrap().1.clone();
        let key = created.current_pending().unwrap().csr().public_key().to_vec();
        assert_eq!(key_changes(None, &created), (vec![key.clone()], Vec::new()));
        assert_eq!(key_changes(Some(&created), &created), (Vec::new(), Vec::new()));
        assert_eq!(
            send(&mut vault, "DELETE", "/certificates/k/pending?api-version=7.5", &serde_json::Value::Null),
            200
        );
        let deleted = vault.load(&name).map(|(_, c)| c.clone()).unwrap_or_else(|| Certificate::new(name.clone()));
        assert_eq!(key_changes(Some(&created), &deleted), (Vec::new(), vec![key]));
    }
}
