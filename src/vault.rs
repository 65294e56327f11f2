//! Many names: an in-memory vault, with a revision per name for
//! compare-and-swap by embedders that keep aggregates in their own store.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::certificate::{Certificate, CertificateVersion, ChainOptions, CreateRequest, Effect, Issued};
use crate::error::OperationError;
use crate::ids::{IdGenerator, RequestId, VersionId};
use crate::name::{CertificateName, IssuerMode, IssuerName};
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

    fn read<T>(
        &self,
        name: &CertificateName,
        f: impl FnOnce(&Certificate) -> Result<T, OperationError>,
    ) -> Result<T, OperationError> {
        match self.entries.get(name) {
            Some(e) => f(&e.certificate),
            None => f(&Certificate::new(name.clone())),
        }
    }

    fn write<T>(
        &mut self,
        name: &CertificateName,
        now: OffsetDateTime,
        f: impl FnOnce(&mut Certificate) -> Result<T, OperationError>,
    ) -> Result<T, OperationError> {
        write_entry(&mut self.entries, name, now, f)
    }

    /// [`Certificate::create`], refusing an issuer that is not registered.
    pub fn create(
        &mut self,
        name: &CertificateName,
        request: CreateRequest,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<Option<Effect>, OperationError> {
        self.check_create(name, &request.policy)?;
        self.write(name, now, |c| c.create(request, now, ids))
    }

    /// Whether a create of `name` under `policy` would be accepted: the
    /// pending object is not in progress, and the issuer is valid and
    /// registered (or `Self`, `Unknown`).
    pub fn check_create(&self, name: &CertificateName, policy: &CertificatePolicy) -> Result<(), OperationError> {
        let issuer = self.read(name, |c| c.check_create(policy))?;
        if issuer.name.mode() == IssuerMode::Provider && !self.issuers.contains_key(&issuer.name) {
            return Err(OperationError::UnknownIssuer { name: issuer.name });
        }
        Ok(())
    }

    /// Whether an import into `name` would be accepted before its chain is
    /// looked at.
    pub fn check_import(
        &self,
        name: &CertificateName,
        policy: Option<&CertificatePolicy>,
    ) -> Result<(), OperationError> {
        self.read(name, |c| c.check_import(policy))
    }

    /// Whether a merge into `name` would be accepted before its chain is
    /// looked at.
    pub fn check_merge(&self, name: &CertificateName) -> Result<(), OperationError> {
        self.read(name, |c| c.check_merge().map(|_| ()))
    }

    /// [`Certificate::import`].
    pub fn import(
        &mut self,
        name: &CertificateName,
        x5c: &[impl AsRef<[u8]>],
        leaf_key: Option<&[u8]>,
        policy: Option<CertificatePolicy>,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<VersionId, OperationError> {
        let options = &self.settings.chain_options;
        write_entry(&mut self.entries, name, now, |c| c.import(x5c, leaf_key, policy, options, now, ids))
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

    /// [`Certificate::update_pending`].
    pub fn update_pending(
        &mut self,
        name: &CertificateName,
        request_id: Option<RequestId>,
        cancellation_requested: bool,
        now: OffsetDateTime,
    ) -> Result<Option<Effect>, OperationError> {
        self.write(name, now, |c| c.update_pending(request_id, cancellation_requested, now))
    }

    /// [`Certificate::request_cancellation`].
    pub fn request_cancellation(
        &mut self,
        name: &CertificateName,
        request_id: Option<RequestId>,
        now: OffsetDateTime,
    ) -> Result<Option<Effect>, OperationError> {
        self.update_pending(name, request_id, true, now)
    }

    /// [`Certificate::delete_pending`].
    pub fn delete_pending(
        &mut self,
        name: &CertificateName,
        request_id: Option<RequestId>,
        now: OffsetDateTime,
    ) -> Result<(PendingCertificate, Option<Effect>), OperationError> {
        self.write(name, now, |c| c.delete_pending(request_id, now))
    }

    /// [`Certificate::merge`].
    pub fn merge(
        &mut self,
        name: &CertificateName,
        x5c: &[impl AsRef<[u8]>],
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<VersionId, OperationError> {
        let options = &self.settings.chain_options;
        write_entry(&mut self.entries, name, now, |c| c.merge(x5c, options, now, ids))
    }

    /// [`Certificate::issued`].
    pub fn issued(
        &mut self,
        name: &CertificateName,
        request_id: RequestId,
        x5c: &[impl AsRef<[u8]>],
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<Issued, OperationError> {
        let options = &self.settings.chain_options;
        write_entry(&mut self.entries, name, now, |c| c.issued(request_id, x5c, options, now, ids))
    }

    /// [`Certificate::sign_self`].
    pub fn sign_self(
        &mut self,
        name: &CertificateName,
        request_id: RequestId,
        keys: &mut impl crate::keys::KeyHolder,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<Issued, OperationError> {
        let options = &self.settings.chain_options;
        write_entry(&mut self.entries, name, now, |c| c.sign_self(request_id, keys, options, now, ids))
    }

    /// [`Certificate::failed`].
    pub fn failed(
        &mut self,
        name: &CertificateName,
        request_id: RequestId,
        failure: Failure,
        now: OffsetDateTime,
    ) -> Result<(), OperationError> {
        self.write(name, now, |c| c.failed(request_id, failure, now))
    }

    /// [`Certificate::cancelled`].
    pub fn cancelled(
        &mut self,
        name: &CertificateName,
        request_id: RequestId,
        now: OffsetDateTime,
    ) -> Result<(), OperationError> {
        self.write(name, now, |c| c.cancelled(request_id, now))
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

    /// [`Certificate::delete`] with the vault's recovery settings.
    pub fn delete(&mut self, name: &CertificateName, now: OffsetDateTime) -> Result<(), OperationError> {
        let recovery = self.settings.recovery;
        self.write(name, now, |c| c.delete(&recovery, now))
    }

    /// [`Certificate::recover`].
    pub fn recover(&mut self, name: &CertificateName, now: OffsetDateTime) -> Result<(), OperationError> {
        self.write(name, now, |c| c.recover(now))
    }

    /// [`Certificate::purge`] with the vault's recovery settings.
    pub fn purge(&mut self, name: &CertificateName, now: OffsetDateTime) -> Result<(), OperationError> {
        let recovery = self.settings.recovery;
        self.write(name, now, |c| c.purge(&recovery, now))
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

/// Applies a command to `name`'s aggregate. Commands change nothing when they
/// fail, so the aggregate is changed in place; a new name is inserted only when
/// the command succeeds, and a success bumps the revision.
fn write_entry<T>(
    entries: &mut BTreeMap<CertificateName, Entry>,
    name: &CertificateName,
    now: OffsetDateTime,
    f: impl FnOnce(&mut Certificate) -> Result<T, OperationError>,
) -> Result<T, OperationError> {
    // A name past its purge date holds nothing, swept or not.
    if let Some(entry) = entries.get_mut(name).filter(|e| e.certificate.is_purged_at(now)) {
        let mut fresh = Certificate::new(name.clone());
        let out = f(&mut fresh)?;
        entry.certificate = fresh;
        entry.revision = Revision(entry.revision.0.saturating_add(1));
        return Ok(out);
    }
    if let Some(entry) = entries.get_mut(name) {
        let out = f(&mut entry.certificate)?;
        entry.revision = Revision(entry.revision.0.saturating_add(1));
        return Ok(out);
    }
    let mut certificate = Certificate::new(name.clone());
    let out = f(&mut certificate)?;
    entries.insert(name.clone(), Entry { revision: Revision(1), certificate });
    Ok(out)
}
