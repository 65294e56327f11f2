//! The command layer: every change to a certificate name, in domain terms
//! (no JSON, no URLs), through one entry point, [`Certificate::apply`].
//!
//! A [`Command`] is what a client or a provider asks; the [`Outcome`] is
//! what it did ([`Applied`], for the answer) and the [`Effect`]s the
//! embedder must carry out — the only way the core asks for work. Every rule
//! of a command lives here or in the aggregate it calls: the issuer's
//! registration (from what the embedder loaded), the tags a create or an
//! import gives its version, an import's key discarded when its chain is
//! refused, a restore's conflict and its all-or-nothing keys, and a name
//! past its purge date holding nothing.
//!
//! A refused command returns its [`OperationError`] and changes nothing:
//! neither the aggregate nor the key holder.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::backup::Backup;
use crate::certificate::{Certificate, ChainOptions, CreateRequest, Deletion, Effect, Issued, VersionUpdate};
use crate::csr::Csr;
use crate::error::OperationError;
use crate::ids::{IdGenerator, RequestId, VersionId};
use crate::keys::{ImportContent, ImportFormat, KeyHolder, KeyHolderError, KeyRequest};
use crate::name::IssuerMode;
use crate::pending::{Failure, PendingCertificate};
use crate::policy::CertificatePolicy;
use crate::recovery::Recovery;
use crate::vault::Issuer;
use crate::x5c;

/// A version's application tags.
pub type Tags = BTreeMap<String, String>;

/// What every command reads besides the aggregate: how chains are checked,
/// the vault's recovery settings, and the time.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// How merged, issued and imported chains are validated.
    pub chain_options: &'a ChainOptions,
    /// `recoveryLevel` and `recoverableDays`.
    pub recovery: &'a Recovery,
    /// Now.
    pub now: OffsetDateTime,
}

/// An `x5c` as a merge gives it: DER, or the elements as the service takes
/// them (base64 DER, or PEM text), decoded after the state's refusals under
/// the chain options' limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chain {
    /// DER certificates.
    Der(Vec<Vec<u8>>),
    /// The elements as given.
    Encoded(Vec<String>),
}

/// The key a create's request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewKey {
    /// The key holder makes it, as the policy's `key_props` ask, once every
    /// refusal is given.
    Make,
    /// A key made elsewhere, by its CSR.
    Csr(Csr),
}

/// What an import brings.
#[derive(Clone, PartialEq, Eq)]
pub enum ImportSource {
    /// A file for the key holder to read (and keep the key of): base64
    /// PKCS#12 or PEM text, as the policy's `secret_props.contentType` says.
    File {
        /// The file.
        value: String,
        /// The PKCS#12 password.
        password: Option<String>,
    },
    /// A chain (DER) whose leaf's key the key holder already holds.
    Chain {
        /// The certificates, in the order given.
        x5c: Vec<Vec<u8>>,
        /// The held key's `SubjectPublicKeyInfo` (DER); `None`: `x5c[0]` is the leaf.
        public_key: Option<Vec<u8>>,
    },
}

impl std::fmt::Debug for ImportSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportSource::File { .. } => f.write_str("File { .. }"),
            ImportSource::Chain { x5c, .. } => f.debug_struct("Chain").field("certificates", &x5c.len()).finish(),
        }
    }
}

/// An import: what it brings, the policy and the tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The file or chain.
    pub source: ImportSource,
    /// The policy, if given.
    pub policy: Option<CertificatePolicy>,
    /// The new version's tags.
    pub tags: Option<Tags>,
}

/// One change to a certificate name: a client's operation, or a provider's
/// outcome for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `POST …/create`: a new request under `policy`.
    Create {
        /// The key the request is for.
        key: NewKey,
        /// The policy; `issuer.name` decides how the request is fulfilled.
        policy: Box<CertificatePolicy>,
        /// Keep a merged chain in the order given (`preserveCertOrder`).
        preserve_cert_order: bool,
        /// The new version's tags.
        tags: Option<Tags>,
        /// The registered issuer the policy names, as the embedder loaded it
        /// (`None`: not registered). A policy naming an issuer that is not
        /// registered is refused; `Self` and `Unknown` need none.
        registered_issuer: Option<Box<Issuer>>,
    },
    /// `POST …/import`.
    Import(Box<Import>),
    /// `PATCH …/pending`.
    UpdatePending {
        /// `request_id`, when given.
        request_id: Option<RequestId>,
        /// `cancellation_requested`.
        cancellation_requested: bool,
    },
    /// `DELETE …/pending`.
    DeletePending {
        /// `request_id`, when given.
        request_id: Option<RequestId>,
    },
    /// `POST …/pending/merge`.
    Merge {
        /// The chain.
        x5c: Chain,
    },
    /// `PATCH /certificates/{name}[/{version}]`.
    UpdateVersion {
        /// The version; `None` for the latest.
        version: Option<VersionId>,
        /// What changes.
        update: VersionUpdate,
        /// The policy sections to replace, if given.
        policy: Option<Box<CertificatePolicy>>,
    },
    /// `PATCH /certificates/{name}/policy`.
    UpdatePolicy(Box<CertificatePolicy>),
    /// `DELETE /certificates/{name}`.
    Delete,
    /// `POST /deletedcertificates/{name}/recover`.
    Recover,
    /// `DELETE /deletedcertificates/{name}`.
    Purge,
    /// `POST /certificates/restore`, onto this name.
    Restore(Box<Backup>),
    /// Provider outcome: `request_id` was issued with `x5c`.
    Issued {
        /// The request answered.
        request_id: RequestId,
        /// The chain (DER).
        x5c: Vec<Vec<u8>>,
    },
    /// [`Effect::SignSelf`] carried out: the key holder signs `request_id`.
    SignSelf {
        /// The request answered.
        request_id: RequestId,
    },
    /// Provider outcome: `request_id` failed.
    Failed {
        /// The request answered.
        request_id: RequestId,
        /// Why.
        failure: Failure,
    },
    /// Provider outcome: `request_id` was cancelled.
    Cancelled {
        /// The request answered.
        request_id: RequestId,
    },
}

/// What a command did, for its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Applied {
    /// The pending object changed (a create, a cancellation); read it from
    /// the aggregate.
    Pending,
    /// The pending object was deleted; this is it as it was.
    PendingDeleted(Box<PendingCertificate>),
    /// A version was made (merge, import) or updated; read it from the
    /// aggregate.
    Version(VersionId),
    /// The certificate was deleted: `certificate` as it was, and the
    /// deletion (on a `Purgeable` vault the name now holds nothing).
    Deleted {
        /// The aggregate before the delete.
        certificate: Box<Certificate>,
        /// When it was deleted and when it is purged.
        deletion: Deletion,
    },
    /// The deleted certificate is back.
    Recovered,
    /// The deleted certificate is gone for good.
    Purged,
    /// The policy changed.
    PolicyUpdated,
    /// The backup is the name now; its latest version.
    Restored(VersionId),
    /// A provider's `issued` (or a `Self` signing): what it did.
    Issued(Issued),
    /// A provider's `failed` was applied.
    Failed,
    /// A provider's `cancelled` was applied.
    Cancelled,
}

/// What a command did and what the embedder must carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// For the answer.
    pub applied: Applied,
    /// Work for the embedder, in order.
    pub effects: Vec<Effect>,
}

impl Outcome {
    fn new(applied: Applied) -> Self {
        Self { applied, effects: Vec::new() }
    }

    fn with(applied: Applied, effect: Option<Effect>) -> Self {
        Self { applied, effects: effect.into_iter().collect() }
    }
}

impl Certificate {
    /// Applies `command` at `cx.now`: the one entry point of every change to
    /// a name. `ids` draws new request and version ids; `keys` makes a
    /// create's key, reads an import, takes a restore's keys back and signs
    /// `Self` requests. A refusal changes nothing, here or in `keys`.
    ///
    /// A name past its scheduled purge date holds nothing, whether or not
    /// the embedder swept it: the command meets an empty name.
    pub fn apply(
        &mut self,
        command: Command,
        cx: &Context<'_>,
        ids: &mut impl IdGenerator,
        keys: &mut impl KeyHolder,
    ) -> Result<Outcome, OperationError> {
        if self.is_purged_at(cx.now) {
            let mut fresh = Certificate::new(self.name().clone());
            let outcome = fresh.apply_current(command, cx, ids, keys)?;
            *self = fresh;
            return Ok(outcome);
        }
        self.apply_current(command, cx, ids, keys)
    }

    fn apply_current(
        &mut self,
        command: Command,
        cx: &Context<'_>,
        ids: &mut impl IdGenerator,
        keys: &mut impl KeyHolder,
    ) -> Result<Outcome, OperationError> {
        let now = cx.now;
        match command {
            Command::Create { key, policy, preserve_cert_order, tags, registered_issuer } => {
                let issuer = self.check_create(&policy)?;
                if issuer.name.mode() == IssuerMode::Provider && registered_issuer.is_none() {
                    return Err(OperationError::UnknownIssuer { name: issuer.name });
                }
                let csr = match key {
                    NewKey::Csr(csr) => csr,
                    NewKey::Make => keys.create_key(self.name(), &KeyRequest::from_policy(&policy)?)?,
                };
                let request = CreateRequest { csr, policy: *policy, preserve_cert_order };
                let effect = self.create(request, now, ids)?;
                if let Some(tags) = tags {
                    self.tag_latest(tags);
                }
                Ok(Outcome::with(Applied::Pending, effect))
            }
            Command::Import(import) => self.import_file(*import, cx, ids, keys),
            Command::UpdatePending { request_id, cancellation_requested } => {
                let effect = self.update_pending(request_id, cancellation_requested, now)?;
                Ok(Outcome::with(Applied::Pending, effect))
            }
            Command::DeletePending { request_id } => {
                let (deleted, effect) = self.delete_pending(request_id, now)?;
                Ok(Outcome::with(Applied::PendingDeleted(Box::new(deleted)), effect))
            }
            Command::Merge { x5c } => {
                // The state decides first (403, 404, 409), then the chain (400).
                self.check_merge()?;
                let der = match x5c {
                    Chain::Der(der) => der,
                    Chain::Encoded(text) => x5c::decode(&text, &cx.chain_options.limits)?,
                };
                Ok(Outcome::new(Applied::Version(self.merge(&der, cx.chain_options, now, ids)?)))
            }
            Command::UpdateVersion { version, update, policy } => {
                // The version is checked before anything changes, and a refused
                // policy changes nothing; the policy touches no version, so
                // the version found is still there to update.
                self.certificate(version)?;
                if let Some(policy) = policy {
                    self.update_policy(*policy, now)?;
                }
                Ok(Outcome::new(Applied::Version(self.update_version(version, update, now)?)))
            }
            Command::UpdatePolicy(patch) => {
                self.update_policy(*patch, now)?;
                Ok(Outcome::new(Applied::PolicyUpdated))
            }
            Command::Delete => {
                let before = self.clone();
                self.delete(cx.recovery, now)?;
                let deletion = Deletion::at(now, cx.recovery);
                Ok(Outcome::new(Applied::Deleted { certificate: Box::new(before), deletion }))
            }
            Command::Recover => {
                self.recover(now)?;
                Ok(Outcome::new(Applied::Recovered))
            }
            Command::Purge => {
                self.purge(cx.recovery, now)?;
                Ok(Outcome::new(Applied::Purged))
            }
            Command::Restore(backup) => self.restore(*backup, now, keys),
            Command::Issued { request_id, x5c } => {
                Ok(Outcome::new(Applied::Issued(self.issued(request_id, &x5c, cx.chain_options, now, ids)?)))
            }
            Command::SignSelf { request_id } => {
                Ok(Outcome::new(Applied::Issued(self.sign_self(request_id, keys, cx.chain_options, now, ids)?)))
            }
            Command::Failed { request_id, failure } => {
                self.failed(request_id, failure, now)?;
                Ok(Outcome::new(Applied::Failed))
            }
            Command::Cancelled { request_id } => {
                self.cancelled(request_id, now)?;
                Ok(Outcome::new(Applied::Cancelled))
            }
        }
    }

    /// An import: the key holder reads the file and keeps its key; the
    /// chain's leaf is the certificate with that key. A chain refused after
    /// the key holder took the key has the key discarded.
    fn import_file(
        &mut self,
        import: Import,
        cx: &Context<'_>,
        ids: &mut impl IdGenerator,
        keys: &mut impl KeyHolder,
    ) -> Result<Outcome, OperationError> {
        let Import { source, policy, tags } = import;
        self.check_import(policy.as_ref())?;
        let (certificates, spki, taken) = match source {
            ImportSource::Chain { x5c, public_key } => (x5c, public_key, false),
            ImportSource::File { value, password } => {
                let content_type =
                    policy.as_ref().and_then(|p| p.secret_props.as_ref()).and_then(|s| s.content_type.as_deref());
                let format = ImportFormat::from_content_type(content_type).ok_or_else(|| {
                    OperationError::InvalidImport(format!(
                        "content type {:?} is not supported",
                        content_type.unwrap_or_default()
                    ))
                })?;
                let content = ImportContent { value: &value, password: password.as_deref(), format };
                let imported = keys.import(self.name(), &content).map_err(|e| match e {
                    KeyHolderError::Rejected(message) => OperationError::InvalidImport(message),
                    other => OperationError::KeyHolder(other),
                })?;
                (imported.certificates, Some(imported.public_key), true)
            }
        };
        let version = match self.import(&certificates, spki.as_deref(), policy, cx.chain_options, cx.now, ids) {
            Ok(version) => version,
            Err(error) => {
                // The key the key holder took for this import goes with it.
                if let Some(spki) = spki.as_deref().filter(|_| taken) {
                    keys.discard(spki);
                }
                return Err(error);
            }
        };
        if let Some(tags) = tags {
            self.tag_latest(tags);
        }
        Ok(Outcome::new(Applied::Version(version)))
    }

    /// A restore onto this name, which must hold nothing (a deleted
    /// certificate must be purged first): every version and the policy, no
    /// pending object, and every version's key taken back — all or none.
    fn restore(
        &mut self,
        backup: Backup,
        now: OffsetDateTime,
        keys: &mut impl KeyHolder,
    ) -> Result<Outcome, OperationError> {
        backup.certificate.check_restorable(now).map_err(|_| OperationError::MalformedBackup)?;
        let restored = backup.certificate.restored();
        let latest = restored.certificate(None).map_err(|_| OperationError::MalformedBackup)?.version();
        if !self.is_empty() {
            return Err(OperationError::RestoreConflict { name: restored.name().clone(), version: latest });
        }
        let mut taken: Vec<&[u8]> = Vec::new();
        for spki in restored.version_keys() {
            let restored_key = match backup.keys.iter().find(|(s, _)| s.as_slice() == spki) {
                Some((_, key)) => keys.restore_key(restored.name(), spki, key),
                None => Err(KeyHolderError::Rejected("a version's key is not in the backup".to_owned())),
            };
            if restored_key.is_err() {
                for spki in taken {
                    keys.discard(spki);
                }
                return Err(OperationError::MalformedBackup);
            }
            taken.push(spki);
        }
        *self = restored;
        Ok(Outcome::new(Applied::Restored(latest)))
    }
}

/// A key holder for commands that need none (every command but a create
/// with [`NewKey::Make`], an import, a restore and a `Self` signing): it
/// refuses everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoKeys;

impl KeyHolder for NoKeys {
    fn create_key(
        &mut self,
        _name: &crate::name::CertificateName,
        _request: &KeyRequest,
    ) -> Result<Csr, KeyHolderError> {
        Err(KeyHolderError::Rejected("no key holder".to_owned()))
    }

    fn sign_self(
        &mut self,
        _name: &crate::name::CertificateName,
        _csr: &Csr,
        _request: &KeyRequest,
        _now: OffsetDateTime,
    ) -> Result<Vec<u8>, KeyHolderError> {
        Err(KeyHolderError::Rejected("no key holder".to_owned()))
    }

    fn import(
        &mut self,
        _name: &crate::name::CertificateName,
        _content: &ImportContent<'_>,
    ) -> Result<crate::keys::ImportedKey, KeyHolderError> {
        Err(KeyHolderError::Rejected("no key holder".to_owned()))
    }

    fn discard(&mut self, _public_key: &[u8]) {}
}
