//! Many names: an in-memory vault, with a revision per name for
//! compare-and-swap by embedders that keep aggregates in their own store.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::certificate::{Certificate, CertificateVersion, ChainOptions, CreateRequest, Effect, Issued, issuer_of};
use crate::command::{Applied, Chain, Command, Context, Import, ImportSource, NewKey, NoKeys, Outcome};
use crate::error::OperationError;
use crate::ids::{IdGenerator, RequestId, VersionId};
use crate::keys::KeyHolder;
use crate::name::{CertificateName, IssuerName};
use crate::pending::{Failure, PendingCertificate};
use crate::policy::CertificatePolicy;
use crate::vault_url::VaultUrl;

/// What every request is answered with besides the store's contents: the
/// vault's URL, how chains are validated, and its recovery settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultSettings {
    /// The vault's base URL, the base of every identifier.
    pub url: VaultUrl,
    /// How merged, issued and imported chains are validated.
    pub chain_options: ChainOptions,
    /// `recoveryLevel` and `recoverableDays`.
    pub recovery: crate::recovery::Recovery,
}

impl VaultSettings {
    /// Settings for `url`: the service's validation level, no trust anchors,
    /// the default recovery.
    pub fn new(url: VaultUrl) -> Self {
        Self { url, chain_options: ChainOptions::default(), recovery: crate::recovery::Recovery::default() }
    }
}

/// A name's revision: bumped by every successful write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Revision(pub u64);

/// A registered certificate issuer: what `PUT /certificates/issuers/{name}`
/// keeps. The account password is never kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuer {
    /// The provider that fulfils its requests, e.g. `DigiCert`.
    pub provider: String,
    /// `credentials.account_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// `org_details`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<crate::policy::OrganizationDetails>,
    /// `attributes.enabled`.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// `attributes.created` (Unix seconds).
    #[serde(default)]
    pub created: i64,
    /// `attributes.updated` (Unix seconds).
    #[serde(default)]
    pub updated: i64,
}

fn enabled_by_default() -> bool {
    true
}

impl Issuer {
    /// An enabled issuer of `provider`, with no account or organization.
    pub fn new(provider: impl Into<String>) -> Self {
        Self { provider: provider.into(), account_id: None, organization: None, enabled: true, created: 0, updated: 0 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    revision: Revision,
    certificate: Certificate,
}

/// An in-memory vault: name → [`Certificate`], plus registered issuers.
///
/// Each command mirrors the [`Certificate`] command of the same name, looks
/// the name up, and bumps the name's [`Revision`] when it succeeds. A name
/// that holds nothing answers as an empty [`Certificate`] would (404s, stale
/// outcomes), so a refused command never creates an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vault {
    settings: VaultSettings,
    entries: BTreeMap<CertificateName, Entry>,
    issuers: BTreeMap<IssuerName, Issuer>,
    contacts: Option<crate::wire::Contacts>,
}

impl Vault {
    /// An empty vault at `url`, validating chains with default options.
    pub fn new(url: VaultUrl) -> Self {
        Self::with_chain_options(url, ChainOptions::default())
    }

    /// An empty vault with its own chain validation options (trust anchors,
    /// limits).
    pub fn with_chain_options(url: VaultUrl, chain_options: ChainOptions) -> Self {
        Self::with_settings(VaultSettings { chain_options, ..VaultSettings::new(url) })
    }

    /// An empty vault with these settings.
    pub fn with_settings(settings: VaultSettings) -> Self {
        Self { settings, entries: BTreeMap::new(), issuers: BTreeMap::new(), contacts: None }
    }

    /// The same vault with other recovery settings (`recoveryLevel`,
    /// `recoverableDays`).
    pub fn with_recovery(mut self, recovery: crate::recovery::Recovery) -> Self {
        self.settings.recovery = recovery;
        self
    }

    /// The vault's settings.
    pub fn settings(&self) -> &VaultSettings {
        &self.settings
    }

    /// The vault's recovery settings.
    pub fn recovery(&self) -> &crate::recovery::Recovery {
        &self.settings.recovery
    }

    /// The vault's base URL.
    pub fn url(&self) -> &VaultUrl {
        &self.settings.url
    }

    /// How chains are validated.
    pub fn chain_options(&self) -> &ChainOptions {
        &self.settings.chain_options
    }

    /// How many names hold an entry.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no name holds an entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Registers (or replaces) an issuer. `Self` and `Unknown` need none.
    pub fn set_issuer(&mut self, name: IssuerName, issuer: Issuer) {
        self.issuers.insert(name, issuer);
    }

    /// A registered issuer.
    pub fn issuer(&self, name: &IssuerName) -> Option<&Issuer> {
        self.issuers.get(name)
    }

    /// Removes a registered issuer, returning it.
    pub fn remove_issuer(&mut self, name: &IssuerName) -> Option<Issuer> {
        self.issuers.remove(name)
    }

    /// The aggregate of `name` and its revision, for compare-and-swap.
    pub fn load(&self, name: &CertificateName) -> Option<(Revision, &Certificate)> {
        self.entries.get(name).map(|e| (e.revision, &e.certificate))
    }

    /// Stores `certificate` if its name's revision is still `expected` (`None`:
    /// the name must hold no entry). A stale revision is the service's 409
    /// `Conflict` and changes nothing.
    pub fn store(&mut self, certificate: Certificate, expected: Option<Revision>) -> Result<Revision, OperationError> {
        let current = self.entries.get(certificate.name()).map(|e| e.revision);
        if current != expected {
            return Err(OperationError::Conflict { pending_id: self.settings.url.pending_id(certificate.name()) });
        }
        let revision = Revision(current.map_or(1, |r| r.0.saturating_add(1)));
        self.entries.insert(certificate.name().clone(), Entry { revision, certificate });
        Ok(revision)
    }

    /// Applies `command` to `name`'s aggregate ([`Certificate::apply`]) and
    /// bumps its revision; a refused command changes nothing and never
    /// creates an entry. A name past its purge date holds nothing, swept or
    /// not.
    pub fn apply(
        &mut self,
        name: &CertificateName,
        command: Command,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
        keys: &mut impl KeyHolder,
    ) -> Result<Outcome, OperationError> {
        let cx = Context { chain_options: &self.settings.chain_options, recovery: &self.settings.recovery, now };
        match self.entries.get_mut(name) {
            Some(entry) => {
                let outcome = entry.certificate.apply(command, &cx, ids, keys)?;
                entry.revision = Revision(entry.revision.0.saturating_add(1));
                Ok(outcome)
            }
            None => {
                let mut certificate = Certificate::new(name.clone());
                let outcome = certificate.apply(command, &cx, ids, keys)?;
                self.entries.insert(name.clone(), Entry { revision: Revision(1), certificate });
                Ok(outcome)
            }
        }
    }

    /// Applies a command that needs no key holder; its first effect.
    fn apply_plain(
        &mut self,
        name: &CertificateName,
        command: Command,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<(Applied, Option<Effect>), OperationError> {
        let outcome = self.apply(name, command, now, ids, &mut NoKeys)?;
        Ok((outcome.applied, outcome.effects.into_iter().next()))
    }

    /// A create ([`Command::Create`]) of a key made elsewhere, with the
    /// issuer the policy names as this vault has it registered.
    pub fn create(
        &mut self,
        name: &CertificateName,
        request: CreateRequest,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<Option<Effect>, OperationError> {
        let registered_issuer =
            issuer_of(&request.policy).ok().and_then(|i| self.issuers.get(&i.name).cloned()).map(Box::new);
        let command = Command::Create {
            key: NewKey::Csr(request.csr),
            policy: Box::new(request.policy),
            preserve_cert_order: request.preserve_cert_order,
            tags: None,
            registered_issuer,
        };
        Ok(self.apply_plain(name, command, now, ids)?.1)
    }

    /// An import ([`Command::Import`]) of a chain whose leaf carries
    /// `leaf_key` (held by the embedder's key holder), or `x5c[0]`.
    pub fn import(
        &mut self,
        name: &CertificateName,
        x5c: &[impl AsRef<[u8]>],
        leaf_key: Option<&[u8]>,
        policy: Option<CertificatePolicy>,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<VersionId, OperationError> {
        let source = ImportSource::Chain {
            x5c: x5c.iter().map(|c| c.as_ref().to_vec()).collect(),
            public_key: leaf_key.map(<[u8]>::to_vec),
        };
        let command = Command::Import(Box::new(Import { source, policy, tags: None }));
        match self.apply_plain(name, command, now, ids)?.0 {
            Applied::Version(version) => Ok(version),
            _ => Err(OperationError::CertificateNotFound { name: name.clone() }),
        }
    }

    /// [`Certificate::pending`].
    pub fn pending(
        &self,
        name: &CertificateName,
        request_id: Option<RequestId>,
    ) -> Result<&PendingCertificate, OperationError> {
        match self.entries.get(name) {
            Some(e) => e.certificate.pending(request_id),
            None => Err(OperationError::PendingNotFound { name: name.clone() }),
        }
    }

    /// [`Command::UpdatePending`].
    pub fn update_pending(
        &mut self,
        name: &CertificateName,
        request_id: Option<RequestId>,
        cancellation_requested: bool,
        now: OffsetDateTime,
    ) -> Result<Option<Effect>, OperationError> {
        let command = Command::UpdatePending { request_id, cancellation_requested };
        Ok(self.apply_plain(name, command, now, &mut crate::ids::SequentialIds::default())?.1)
    }

    /// Asks for cancellation: [`update_pending`](Self::update_pending) with `true`.
    pub fn request_cancellation(
        &mut self,
        name: &CertificateName,
        request_id: Option<RequestId>,
        now: OffsetDateTime,
    ) -> Result<Option<Effect>, OperationError> {
        self.update_pending(name, request_id, true, now)
    }

    /// [`Command::DeletePending`]: the pending object as it was.
    pub fn delete_pending(
        &mut self,
        name: &CertificateName,
        request_id: Option<RequestId>,
        now: OffsetDateTime,
    ) -> Result<(PendingCertificate, Option<Effect>), OperationError> {
        let command = Command::DeletePending { request_id };
        match self.apply_plain(name, command, now, &mut crate::ids::SequentialIds::default())? {
            (Applied::PendingDeleted(pending), effect) => Ok((*pending, effect)),
            _ => Err(OperationError::PendingNotFoundForChange { name: name.clone() }),
        }
    }

    /// [`Command::Merge`] of a DER chain.
    pub fn merge(
        &mut self,
        name: &CertificateName,
        x5c: &[impl AsRef<[u8]>],
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<VersionId, OperationError> {
        let command = Command::Merge { x5c: Chain::Der(x5c.iter().map(|c| c.as_ref().to_vec()).collect()) };
        match self.apply_plain(name, command, now, ids)?.0 {
            Applied::Version(version) => Ok(version),
            _ => Err(OperationError::PendingNotFoundForChange { name: name.clone() }),
        }
    }

    /// [`Command::Issued`].
    pub fn issued(
        &mut self,
        name: &CertificateName,
        request_id: RequestId,
        x5c: &[impl AsRef<[u8]>],
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<Issued, OperationError> {
        let command = Command::Issued { request_id, x5c: x5c.iter().map(|c| c.as_ref().to_vec()).collect() };
        issued_of(name, request_id, self.apply_plain(name, command, now, ids)?.0)
    }

    /// [`Command::SignSelf`]: `keys` signs the request's certificate.
    pub fn sign_self(
        &mut self,
        name: &CertificateName,
        request_id: RequestId,
        keys: &mut impl KeyHolder,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<Issued, OperationError> {
        let outcome = self.apply(name, Command::SignSelf { request_id }, now, ids, keys)?;
        issued_of(name, request_id, outcome.applied)
    }

    /// [`Command::Failed`].
    pub fn failed(
        &mut self,
        name: &CertificateName,
        request_id: RequestId,
        failure: Failure,
        now: OffsetDateTime,
    ) -> Result<(), OperationError> {
        let command = Command::Failed { request_id, failure };
        self.apply_plain(name, command, now, &mut crate::ids::SequentialIds::default()).map(|_| ())
    }

    /// [`Command::Cancelled`].
    pub fn cancelled(
        &mut self,
        name: &CertificateName,
        request_id: RequestId,
        now: OffsetDateTime,
    ) -> Result<(), OperationError> {
        let command = Command::Cancelled { request_id };
        self.apply_plain(name, command, now, &mut crate::ids::SequentialIds::default()).map(|_| ())
    }

    /// [`Certificate::certificate`].
    pub fn certificate(
        &self,
        name: &CertificateName,
        version: Option<VersionId>,
    ) -> Result<&CertificateVersion, OperationError> {
        match self.entries.get(name) {
            Some(e) => e.certificate.certificate(version),
            None => Err(OperationError::CertificateNotFound { name: name.clone() }),
        }
    }

    /// All names with an entry, in name order.
    pub fn names(&self) -> impl Iterator<Item = &CertificateName> {
        self.entries.keys()
    }

    /// Every aggregate with its revision, in name order.
    pub fn entries(&self) -> impl Iterator<Item = (Revision, &Certificate)> {
        self.entries.values().map(|e| (e.revision, &e.certificate))
    }

    /// Every registered issuer, in name order.
    pub fn issuers(&self) -> impl Iterator<Item = (&IssuerName, &Issuer)> {
        self.issuers.iter()
    }

    /// The certificate contacts, if set.
    pub fn contacts(&self) -> Option<&crate::wire::Contacts> {
        self.contacts.as_ref()
    }

    /// Sets (`Some`) or removes (`None`) the certificate contacts.
    pub fn set_contacts(&mut self, contacts: Option<crate::wire::Contacts>) {
        self.contacts = contacts;
    }

    /// [`Command::Delete`] with the vault's recovery settings.
    pub fn delete(&mut self, name: &CertificateName, now: OffsetDateTime) -> Result<(), OperationError> {
        self.apply_plain(name, Command::Delete, now, &mut crate::ids::SequentialIds::default()).map(|_| ())
    }

    /// [`Command::Recover`].
    pub fn recover(&mut self, name: &CertificateName, now: OffsetDateTime) -> Result<(), OperationError> {
        self.apply_plain(name, Command::Recover, now, &mut crate::ids::SequentialIds::default()).map(|_| ())
    }

    /// [`Command::Purge`] with the vault's recovery settings.
    pub fn purge(&mut self, name: &CertificateName, now: OffsetDateTime) -> Result<(), OperationError> {
        self.apply_plain(name, Command::Purge, now, &mut crate::ids::SequentialIds::default()).map(|_| ())
    }

    /// Purges every deleted certificate whose scheduled purge date has come
    /// at `now`; how many.
    pub fn sweep(&mut self, now: OffsetDateTime) -> usize {
        let mut purged = 0;
        for entry in self.entries.values_mut() {
            if entry.certificate.is_purged_at(now) {
                entry.certificate = Certificate::new(entry.certificate.name().clone());
                entry.revision = Revision(entry.revision.0.saturating_add(1));
                purged += 1;
            }
        }
        purged
    }
}

/// What a provider's `issued` (or a `Self` signing) did, from its outcome.
fn issued_of(name: &CertificateName, request_id: RequestId, applied: Applied) -> Result<Issued, OperationError> {
    match applied {
        Applied::Issued(issued) => Ok(issued),
        _ => Err(OperationError::StaleOutcome {
            name: name.clone(),
            request_id,
            reason: crate::error::StaleReason::NoPending,
        }),
    }
}
