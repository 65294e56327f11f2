//! The aggregate: one certificate name, its versions and its pending object.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::csr::Csr;
use crate::error::{OperationError, StaleReason};
use crate::ids::{IdGenerator, RequestId, VersionId};
use crate::keys::{KeyHolder, KeyHolderError, KeyRequest};
use crate::name::{CertificateName, IssuerMode, IssuerName};
use crate::pending::{Failure, IssuerRef, PendingCertificate, Status};
use crate::policy::CertificatePolicy;
use crate::recovery::{Recovery, RecoveryLevel};
use crate::x5c::{self, ChainPolicy, ChainValidation, Limits, ValidatedChain};

/// The format version of a serialized [`Certificate`]; loading another refuses.
pub const FORMAT_VERSION: u32 = 2;

/// What the embedder must act on after an operation: values, never callbacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Submit `csr` to the provider of `issuer` for `request_id`; report back
    /// with [`Certificate::issued`], [`Certificate::failed`] or
    /// [`Certificate::cancelled`].
    SubmitToIssuer {
        /// The registered issuer.
        issuer: IssuerName,
        /// The request the outcome must name.
        request_id: RequestId,
        /// The CSR to sign.
        csr: Csr,
    },
    /// Sign `csr`'s key yourself (`Self` issuer) and report the chain with
    /// [`Certificate::issued`].
    SignSelf {
        /// The request the outcome must name.
        request_id: RequestId,
        /// The CSR whose key the certificate is for.
        csr: Csr,
    },
    /// Ask the provider of `issuer` to cancel `request_id`. It may or may not.
    CancelAtIssuer {
        /// The issuer (a registered one, or `Self`).
        issuer: IssuerName,
        /// The request to cancel.
        request_id: RequestId,
    },
    /// The pending object for `request_id` was deleted while `inProgress`. The
    /// provider may be told or not; any outcome it reports later is refused.
    PendingDeleted {
        /// The issuer (a registered one, or `Self`).
        issuer: IssuerName,
        /// The deleted request.
        request_id: RequestId,
    },
}

/// A create request, as the core needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRequest {
    /// The CSR made by the key holder for the policy's key.
    pub csr: Csr,
    /// The policy; `issuer.name` decides how the request is fulfilled.
    pub policy: CertificatePolicy,
    /// Keep a merged chain in the order given (`preserveCertOrder`).
    pub preserve_cert_order: bool,
}

impl CreateRequest {
    /// A request for `csr` under `policy`, leaf-first ordering.
    pub fn new(csr: Csr, policy: CertificatePolicy) -> Self {
        Self { csr, policy, preserve_cert_order: false }
    }

    /// The issuer the policy names; `Unknown` when it names none.
    pub fn issuer(&self) -> Result<IssuerRef, OperationError> {
        issuer_of(&self.policy)
    }
}

/// The issuer a policy names; `Unknown` when it names none.
pub(crate) fn issuer_of(policy: &CertificatePolicy) -> Result<IssuerRef, OperationError> {
    let params = policy.issuer.as_ref();
    let name = match params.and_then(|p| p.name.as_deref()) {
        None => IssuerName::unknown(),
        Some(name) => IssuerName::new(name).map_err(OperationError::InvalidIssuerName)?,
    };
    Ok(IssuerRef {
        name,
        cty: params.and_then(|p| p.cty.clone()),
        cert_transparency: params.and_then(|p| p.cert_transparency),
    })
}

/// How chains are validated on merge, on issue and on import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainOptions {
    /// How much is checked; [`ChainValidation::Service`] (what the live
    /// service checks) by default.
    pub level: ChainValidation,
    /// Trust anchors (DER), for the `Verified` and `Strict` levels. Empty: the
    /// path's top is the last certificate reached.
    pub trust_anchors: Vec<Vec<u8>>,
    /// Size and work bounds.
    pub limits: Limits,
}

impl ChainOptions {
    /// Options at `level`, with no trust anchors and default limits.
    pub fn at_level(level: ChainValidation) -> Self {
        Self { level, ..Self::default() }
    }

    /// Options at `level` whose trust anchors are the certificates of a PEM
    /// text (a file of CA certificates). Anchors mean nothing at the
    /// `Service` level, which checks no path: refused there, as is a text
    /// without a certificate or with one that does not parse.
    pub fn with_anchors_pem(level: ChainValidation, pem: &str) -> Result<Self, String> {
        if level == ChainValidation::Service {
            return Err("trust anchors need the verified or strict level".to_owned());
        }
        let anchors = crate::keys::pem_certificates(pem).map_err(|e| e.to_string())?;
        x5c::TrustAnchors::parse(&anchors).map_err(|e| e.to_string())?;
        Ok(Self { level, trust_anchors: anchors, limits: Limits::default() })
    }

    fn policy<'a>(&'a self, now: OffsetDateTime, leaf_key: Option<&'a [u8]>) -> ChainPolicy<'a> {
        ChainPolicy {
            level: self.level,
            time: now,
            expected_leaf_key: leaf_key,
            trust_anchors: &self.trust_anchors,
            prepared_anchors: None,
            // As `openssl verify`, `Verified` lets certificates off the path
            // be; `Strict` wants every one on it.
            require_all_on_path: self.level == ChainValidation::Strict,
            limits: self.limits,
        }
    }
}

/// One version of a certificate: an issued one, with its chain, or the
/// disabled placeholder a create makes at once (the service gives the
/// certificate a version from the create on; it has no `cer` until the
/// request completes, when a new version takes its place).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateVersion {
    version: VersionId,
    /// The chain as stored: leaf first, or as given under `preserveCertOrder`;
    /// empty for a placeholder.
    #[serde(with = "der_list")]
    x5c: Vec<Vec<u8>>,
    leaf: usize,
    x5t: String,
    not_before: i64,
    not_after: i64,
    created: i64,
    updated: i64,
    enabled: bool,
    /// The request it completed; `None` for an import.
    request_id: Option<RequestId>,
    /// The leaf's `SubjectPublicKeyInfo` (DER): the key the key holder keeps
    /// for this version; empty for a placeholder.
    #[serde(default, with = "der_bytes")]
    public_key: Vec<u8>,
    /// Application tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    tags: BTreeMap<String, String>,
}

impl CertificateVersion {
    fn from_chain(
        version: VersionId,
        chain: ValidatedChain,
        preserve_order: bool,
        now: OffsetDateTime,
        request_id: Option<RequestId>,
    ) -> Self {
        let x5t = x5c::thumbprint(chain.leaf());
        let (not_before, not_after) = (chain.not_before(), chain.not_after());
        let public_key = chain.leaf_public_key().to_vec();
        let (x5c, leaf) = if preserve_order {
            let leaf = chain.path().first().copied().unwrap_or(0);
            (chain.into_certificates(), leaf)
        } else {
            (chain.leaf_first().map(<[u8]>::to_vec).collect(), 0)
        };
        let now = now.unix_timestamp();
        Self {
            version,
            x5c,
            leaf,
            x5t,
            not_before,
            not_after,
            created: now,
            updated: now,
            enabled: true,
            request_id,
            public_key,
            tags: BTreeMap::new(),
        }
    }

    /// The placeholder a create makes: disabled, no chain; `nbf` ten minutes
    /// before `now` and `exp` `validity_months` calendar months after it, as
    /// the service sets them.
    fn placeholder(version: VersionId, request_id: RequestId, validity_months: u32, now: OffsetDateTime) -> Self {
        let created = now.unix_timestamp();
        Self {
            version,
            x5c: Vec::new(),
            leaf: 0,
            x5t: String::new(),
            not_before: created.saturating_sub(PLACEHOLDER_NBF_LEAD_SECONDS),
            not_after: add_months(now, validity_months).unix_timestamp(),
            created,
            updated: created,
            enabled: false,
            request_id: Some(request_id),
            public_key: Vec::new(),
            tags: BTreeMap::new(),
        }
    }

    /// Whether this is a create's placeholder (no certificate yet).
    pub fn is_placeholder(&self) -> bool {
        self.x5c.is_empty()
    }

    /// The version id.
    pub fn version(&self) -> VersionId {
        self.version
    }

    /// The leaf certificate (DER): `cer`; empty for a placeholder.
    pub fn cer(&self) -> &[u8] {
        self.x5c.get(self.leaf).map(Vec::as_slice).unwrap_or_default()
    }

    /// The chain as stored (DER).
    pub fn x5c(&self) -> &[Vec<u8>] {
        &self.x5c
    }

    /// The base64url SHA-1 thumbprint of the leaf: `x5t`; empty for a placeholder.
    pub fn x5t(&self) -> &str {
        &self.x5t
    }

    /// The leaf's `notBefore` (Unix seconds): `nbf`.
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// The leaf's `notAfter` (Unix seconds): `exp`.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// When the version was created (Unix seconds).
    pub fn created(&self) -> i64 {
        self.created
    }

    /// When the version was last updated (Unix seconds).
    pub fn updated(&self) -> i64 {
        self.updated
    }

    /// Whether the version is enabled.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The request the version completed, if it came through a pending object.
    pub fn request_id(&self) -> Option<RequestId> {
        self.request_id
    }

    /// The leaf's `SubjectPublicKeyInfo` (DER): whose private key the key
    /// holder keeps for this version. Empty for a placeholder.
    pub fn public_key(&self) -> &[u8] {
        &self.public_key
    }

    /// The version's application tags.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }
}

/// When a soft-deleted certificate was deleted and when it is purged (Unix
/// seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Deletion {
    /// `deletedDate`.
    pub deleted_date: i64,
    /// `scheduledPurgeDate`: `deletedDate` plus the vault's recoverable days.
    pub scheduled_purge_date: i64,
}

impl Deletion {
    /// A deletion at `now`: purged `recovery.days` later.
    pub fn at(now: OffsetDateTime, recovery: &Recovery) -> Self {
        let deleted_date = now.unix_timestamp();
        let days = i64::from(recovery.days);
        Deletion { deleted_date, scheduled_purge_date: deleted_date.saturating_add(days.saturating_mul(86_400)) }
    }
}

/// What a version update (`PATCH /certificates/{name}/{version}`) changes;
/// `None` leaves a property as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionUpdate {
    /// `attributes.enabled`.
    pub enabled: Option<bool>,
    /// `tags`, replaced whole.
    pub tags: Option<BTreeMap<String, String>>,
}

/// `nbf` of a placeholder: this many seconds before its creation.
pub const PLACEHOLDER_NBF_LEAD_SECONDS: i64 = 600;

/// `at` plus `months` calendar months, the day clamped to the last of the
/// month (31 January + 1 month = 28 or 29 February).
pub(crate) fn add_months(at: OffsetDateTime, months: u32) -> OffsetDateTime {
    let total = i64::from(at.year()) * 12 + i64::from(u8::from(at.month())) - 1 + i64::from(months);
    let Ok(year) = i32::try_from(total.div_euclid(12)) else { return at };
    let Ok(month) = u8::try_from(total.rem_euclid(12) + 1).map(time::Month::try_from) else { return at };
    let Ok(month) = month else { return at };
    let day = at.day().min(month.length(year));
    match time::Date::from_calendar_date(year, month, day) {
        Ok(date) => at.replace_date(date),
        Err(_) => at,
    }
}

/// What a provider's `issued` outcome (or a `Self` signing) did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Issued {
    /// The chain validated; the request completed into this version.
    Completed(VersionId),
    /// The chain was refused; the request is now `failed` with code
    /// [`Failure::ISSUER_ERROR`].
    Refused(x5c::ChainError),
    /// The key holder could not sign a `Self` certificate; the request is now
    /// `failed` with code [`Failure::ISSUER_ERROR`].
    NotSigned(KeyHolderError),
}

/// One certificate name of a vault: its versions and at most one pending
/// object. Plain data: clone it, compare it, persist it.
///
/// # Using it
///
/// Everything is deterministic: each command takes `now` and, where it makes
/// something new, an [`IdGenerator`]. A refused command returns an
/// [`OperationError`] and changes nothing.
///
/// * **Getters** — [`pending`](Self::pending), [`certificate`](Self::certificate),
///   [`versions`](Self::versions), [`policy`](Self::policy).
/// * **Commands** (the REST operations) — [`create`](Self::create),
///   [`import`](Self::import), [`update_pending`](Self::update_pending)
///   (cancel), [`delete_pending`](Self::delete_pending), [`merge`](Self::merge).
/// * **Provider inputs**, each keyed by the `request_id` it answers —
///   [`issued`](Self::issued), [`failed`](Self::failed),
///   [`cancelled`](Self::cancelled). An outcome for a request that is not the
///   current one, or that is no longer `inProgress`, is refused.
/// * **Outputs** — commands that need the outside world return an [`Effect`]:
///   submit a CSR to an issuer, sign it yourself (`Self`), ask an issuer to
///   cancel, or learn that an in-progress request was deleted. The embedder
///   carries it out and reports back through the provider inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Stored", into = "Stored")]
pub struct Certificate {
    name: CertificateName,
    // Boxed: most of a name's inline size otherwise, in every map slot.
    policy: Option<Box<CertificatePolicy>>,
    versions: Vec<CertificateVersion>,
    pending: Option<PendingCertificate>,
    deleted: Option<Deletion>,
}

/// The serialized form, with its format version.
#[derive(Serialize, Deserialize)]
struct Stored {
    format_version: u32,
    name: CertificateName,
    #[serde(default)]
    policy: Option<Box<CertificatePolicy>>,
    #[serde(default)]
    versions: Vec<CertificateVersion>,
    #[serde(default)]
    pending: Option<PendingCertificate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deleted: Option<Deletion>,
}

impl From<Certificate> for Stored {
    fn from(c: Certificate) -> Self {
        Stored {
            format_version: FORMAT_VERSION,
            name: c.name,
            policy: c.policy,
            versions: c.versions,
            pending: c.pending,
            deleted: c.deleted,
        }
    }
}

impl TryFrom<Stored> for Certificate {
    type Error = String;
    fn try_from(s: Stored) -> Result<Self, String> {
        if s.format_version != FORMAT_VERSION {
            return Err(format!("unsupported format_version {} (expected {FORMAT_VERSION})", s.format_version));
        }
        if s.versions.iter().any(|v| v.leaf >= v.x5c.len() && !(v.x5c.is_empty() && v.leaf == 0)) {
            return Err("a version's leaf index is outside its chain".to_owned());
        }
        Ok(Certificate { name: s.name, policy: s.policy, versions: s.versions, pending: s.pending, deleted: s.deleted })
    }
}

impl Certificate {
    /// A name with nothing in it yet.
    pub fn new(name: CertificateName) -> Self {
        Self { name, policy: None, versions: Vec::new(), pending: None, deleted: None }
    }

    /// The certificate name.
    pub fn name(&self) -> &CertificateName {
        &self.name
    }

    /// The policy of the latest create, if any.
    pub fn policy(&self) -> Option<&CertificatePolicy> {
        self.policy.as_deref()
    }

    /// All versions, oldest first.
    pub fn versions(&self) -> &[CertificateVersion] {
        &self.versions
    }

    /// The pending object, whatever its status.
    pub fn current_pending(&self) -> Option<&PendingCertificate> {
        self.pending.as_ref()
    }

    /// The public keys (`SubjectPublicKeyInfo`, DER) whose private keys the
    /// name still needs: its pending object's CSR key, and each issued
    /// version's leaf key. An embedder that keeps keys discards the others.
    pub fn key_references(&self) -> Vec<&[u8]> {
        let mut keys: Vec<&[u8]> = self.pending.iter().map(|p| p.csr.public_key()).collect();
        keys.extend(self.versions.iter().map(CertificateVersion::public_key).filter(|k| !k.is_empty()));
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Whether the name holds nothing (no version, no pending object).
    pub fn is_empty(&self) -> bool {
        self.versions.is_empty() && self.pending.is_none()
    }

    /// When the certificate was soft-deleted and is to be purged; `None`
    /// while it is not deleted.
    pub fn deletion(&self) -> Option<Deletion> {
        self.deleted
    }

    /// Whether the certificate is soft-deleted (recoverable or purgeable).
    pub fn is_deleted(&self) -> bool {
        self.deleted.is_some()
    }

    /// Whether the certificate is deleted and its scheduled purge date has
    /// come at `now`: it is gone, and a sweep may remove it.
    pub fn is_purged_at(&self, now: OffsetDateTime) -> bool {
        self.deleted.is_some_and(|d| d.scheduled_purge_date <= now.unix_timestamp())
    }

    /// The name as it is at `now`: empty once its purge date has come.
    pub(crate) fn at(self, now: OffsetDateTime) -> Self {
        if self.is_purged_at(now) { Certificate::new(self.name) } else { self }
    }

    fn refuse_if_deleted(&self) -> Result<(), OperationError> {
        match self.deleted {
            Some(_) => Err(OperationError::DeletedButRecoverable { name: self.name.clone() }),
            None => Ok(()),
        }
    }

    /// Whether the name has a certificate that the live routes show (a
    /// version, and not deleted): what a delete, a backup, the policy and
    /// the listings need; refused (404) otherwise.
    pub(crate) fn check_live(&self) -> Result<(), OperationError> {
        if self.deleted.is_some() || self.versions.is_empty() {
            return Err(OperationError::CertificateNotFound { name: self.name.clone() });
        }
        Ok(())
    }

    /// `DELETE /certificates/{name}`: soft-deletes the certificate — every
    /// version, the policy and the pending object, as they are — until
    /// `recovery.days` after `now`, when it is purged. A vault whose level is
    /// `Purgeable` deletes it for good at once. The pending object goes with
    /// the certificate and keeps its status: a request in progress keeps
    /// running at its issuer, and its outcome is applied to the deleted
    /// certificate (a recovery brings it back as it then is). Refused (404)
    /// when there is no certificate or it is already deleted.
    pub(crate) fn delete(&mut self, recovery: &Recovery, now: OffsetDateTime) -> Result<(), OperationError> {
        self.check_live()?;
        if recovery.level == RecoveryLevel::Purgeable {
            *self = Certificate::new(self.name.clone());
            return Ok(());
        }
        self.deleted = Some(Deletion::at(now, recovery));
        Ok(())
    }

    /// The soft-deleted certificate (`GET /deletedcertificates/{name}`);
    /// refused (404) when the name is not deleted.
    pub(crate) fn check_deleted(&self) -> Result<Deletion, OperationError> {
        self.deleted.ok_or_else(|| OperationError::DeletedCertificateNotFound { name: self.name.clone() })
    }

    /// `POST /deletedcertificates/{name}/recover`: brings the deleted
    /// certificate back as it is — every version, the policy, the pending
    /// object with its status. Refused (404) when it is not deleted.
    pub(crate) fn recover(&mut self, _now: OffsetDateTime) -> Result<(), OperationError> {
        if self.deleted.is_none() {
            return Err(OperationError::CertificateNotFound { name: self.name.clone() });
        }
        self.deleted = None;
        Ok(())
    }

    /// `DELETE /deletedcertificates/{name}`: removes the deleted certificate
    /// for good; the name holds nothing after it. Refused (404) when it is
    /// not deleted, and (403) where the vault's level allows no purge.
    pub(crate) fn purge(&mut self, recovery: &Recovery, _now: OffsetDateTime) -> Result<(), OperationError> {
        self.check_deleted()?;
        if !recovery.level.allows_purge() {
            return Err(OperationError::PurgeForbidden);
        }
        *self = Certificate::new(self.name.clone());
        Ok(())
    }

    /// `PATCH /certificates/{name}/{version}` (without a version, the
    /// latest): sets what `update` gives and `updated` to `now`. Refused
    /// (404) as a get of that version is.
    pub(crate) fn update_version(
        &mut self,
        version: Option<VersionId>,
        update: VersionUpdate,
        now: OffsetDateTime,
    ) -> Result<VersionId, OperationError> {
        let id = self.certificate(version)?.version;
        let Some(found) = self.versions.iter_mut().find(|v| v.version == id) else {
            return Err(OperationError::CertificateNotFound { name: self.name.clone() });
        };
        if let Some(enabled) = update.enabled {
            found.enabled = enabled;
        }
        if let Some(tags) = update.tags {
            found.tags = tags;
        }
        found.updated = now.unix_timestamp();
        Ok(id)
    }

    /// The public keys a backup carries the private keys of: each issued
    /// version's.
    pub fn version_keys(&self) -> Vec<&[u8]> {
        let mut keys: Vec<&[u8]> =
            self.versions.iter().map(CertificateVersion::public_key).filter(|k| !k.is_empty()).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Whether a backed-up aggregate holds together as one this crate makes:
    /// version ids unique, each issued version's chain parses and its leaf
    /// carries the version's key — checked as an import's chain is, since a
    /// blob comes from outside.
    pub(crate) fn check_restorable(&self, now: OffsetDateTime) -> Result<(), OperationError> {
        let mut ids: Vec<VersionId> = self.versions.iter().map(|v| v.version).collect();
        ids.sort_unstable();
        let unique = ids.len();
        ids.dedup();
        if ids.len() != unique {
            return Err(OperationError::InvalidChain(x5c::ChainError::Empty));
        }
        let options = ChainOptions::at_level(ChainValidation::Service);
        for version in self.versions.iter().filter(|v| !v.is_placeholder()) {
            if version.public_key.is_empty() {
                return Err(OperationError::InvalidChain(x5c::ChainError::LeafKeyMismatch));
            }
            x5c::validate_der(&version.x5c, &options.policy(now, Some(&version.public_key)))?;
        }
        Ok(())
    }

    /// The name as a restore brings it back from a backup: every version and
    /// the policy; no pending object (a request in progress is not carried
    /// over, its placeholder stays disabled), not deleted.
    pub(crate) fn restored(mut self) -> Self {
        self.pending = None;
        self.deleted = None;
        self
    }

    /// Sets the tags of the newest version (what a create or import gives
    /// its version).
    pub(crate) fn tag_latest(&mut self, tags: BTreeMap<String, String>) {
        if let Some(latest) = self.versions.last_mut() {
            latest.tags = tags;
        }
    }

    /// The version a listing of certificates shows for this name: its
    /// newest issued version, or with `include_pending` its newest version,
    /// which may be a pending request's placeholder; none while deleted or
    /// before a version exists.
    pub fn listed_version(&self, include_pending: bool) -> Option<&CertificateVersion> {
        if self.deleted.is_some() {
            return None;
        }
        if include_pending { self.versions.last() } else { self.versions.iter().rev().find(|v| !v.is_placeholder()) }
    }

    /// `GET /deletedcertificates/{name}`: the deletion and the version the
    /// deleted certificate shows (its newest); refused (404) when the name
    /// is not deleted.
    pub fn deleted_view(&self) -> Result<(Deletion, &CertificateVersion), OperationError> {
        let not_found = || OperationError::DeletedCertificateNotFound { name: self.name.clone() };
        let deletion = self.deleted.ok_or_else(not_found)?;
        let latest = self.versions.last().ok_or_else(not_found)?;
        Ok((deletion, latest))
    }

    /// `POST /certificates/{name}/backup`: the aggregate and every issued
    /// version's private key as `keys` lets it out; refused (404) when there
    /// is no live certificate.
    pub fn backup(&self, keys: &impl KeyHolder) -> Result<crate::backup::Backup, OperationError> {
        self.check_live()?;
        let mut held = Vec::new();
        for spki in self.version_keys() {
            held.push((spki.to_vec(), keys.backup_key(&self.name, spki)?));
        }
        Ok(crate::backup::Backup { certificate: self.clone(), keys: held })
    }

    /// `GET /certificates/{name}/policy`; refused (404) when there is no
    /// certificate.
    pub fn current_policy(&self) -> Result<&CertificatePolicy, OperationError> {
        self.check_live()?;
        self.policy.as_deref().ok_or_else(|| OperationError::CertificateNotFound { name: self.name.clone() })
    }

    /// `PATCH /certificates/{name}/policy`: each section `patch` gives
    /// (`key_props`, `secret_props`, `x509_props`, `lifetime_actions`,
    /// `issuer`, `attributes.enabled`) replaces the current one whole; the
    /// result is checked as a create's policy is, and takes effect from the
    /// next create. Refused (404) when there is no certificate.
    pub(crate) fn update_policy(
        &mut self,
        patch: CertificatePolicy,
        now: OffsetDateTime,
    ) -> Result<(), OperationError> {
        let current = self.current_policy()?.clone();
        let mut merged = current.clone();
        if patch.key_props.is_some() {
            merged.key_props = patch.key_props;
        }
        if patch.secret_props.is_some() {
            merged.secret_props = patch.secret_props;
        }
        if patch.x509_props.is_some() {
            merged.x509_props = patch.x509_props;
        }
        if patch.lifetime_actions.is_some() {
            merged.lifetime_actions = patch.lifetime_actions;
        }
        if patch.issuer.is_some() {
            merged.issuer = patch.issuer;
        }
        if let Some(enabled) = patch.attributes.as_ref().and_then(|a| a.enabled) {
            merged.attributes.get_or_insert_with(Default::default).enabled = Some(enabled);
        }
        merged.validate()?;
        let mode = issuer_of(&merged)?.name.mode();
        self.policy = Some(Box::new(merged.with_defaults(mode, now.unix_timestamp(), Some(&current))));
        Ok(())
    }

    fn not_found(&self) -> OperationError {
        OperationError::PendingNotFound { name: self.name.clone() }
    }

    /// The pending object, filtered by `request_id` when one is given: a
    /// different id is a 404, exactly as if there were no pending object.
    pub fn pending(&self, request_id: Option<RequestId>) -> Result<&PendingCertificate, OperationError> {
        if self.deleted.is_some() {
            return Err(self.not_found());
        }
        self.provider_pending(request_id)
    }

    /// The pending object as its provider sees it: as
    /// [`pending`](Self::pending), and also while the certificate is
    /// soft-deleted, when the request keeps running at its issuer and its
    /// outcome still applies.
    pub fn provider_pending(&self, request_id: Option<RequestId>) -> Result<&PendingCertificate, OperationError> {
        match &self.pending {
            Some(p) if request_id.is_none_or(|id| id == p.request_id) => Ok(p),
            _ => Err(self.not_found()),
        }
    }

    /// The pending object a write (cancel, delete, merge) changes; its 404 has
    /// the service's capital C.
    fn pending_for_change(&self, request_id: Option<RequestId>) -> Result<&PendingCertificate, OperationError> {
        self.pending(request_id).map_err(|_| OperationError::PendingNotFoundForChange { name: self.name.clone() })
    }

    fn pending_mut(&mut self, request_id: Option<RequestId>) -> Result<&mut PendingCertificate, OperationError> {
        self.pending_for_change(request_id)?;
        let name = self.name.clone();
        self.pending.as_mut().ok_or(OperationError::PendingNotFoundForChange { name })
    }

    fn refuse_while_in_progress(&self) -> Result<(), OperationError> {
        if self.pending.as_ref().is_some_and(PendingCertificate::is_in_progress) {
            return Err(OperationError::InProgress);
        }
        Ok(())
    }

    /// Starts a new request (`POST …/create`). Refused while the pending object
    /// is `inProgress`; otherwise overwrites it with a new `inProgress` one
    /// under a fresh `request_id`. Issuer-backed requests return
    /// [`Effect::SubmitToIssuer`], `Self` returns [`Effect::SignSelf`], manual
    /// ones nothing.
    ///
    /// Whether a named issuer is registered is the vault's concern
    /// ([`crate::Vault::create`]).
    pub(crate) fn create(
        &mut self,
        request: CreateRequest,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<Option<Effect>, OperationError> {
        let issuer = self.check_create(&request.policy)?;
        let policy = request.policy.with_defaults(issuer.name.mode(), now.unix_timestamp(), self.policy());
        let request_id = ids.request_id();
        let placeholder = ids.version_id();
        let effect = match issuer.name.mode() {
            IssuerMode::Manual => None,
            IssuerMode::SelfSigned => Some(Effect::SignSelf { request_id, csr: request.csr.clone() }),
            IssuerMode::Provider => {
                Some(Effect::SubmitToIssuer { issuer: issuer.name.clone(), request_id, csr: request.csr.clone() })
            }
        };
        self.pending = Some(PendingCertificate {
            request_id,
            issuer,
            csr: request.csr,
            cancellation_requested: false,
            preserve_cert_order: request.preserve_cert_order,
            status: Status::InProgress,
        });
        let months = policy
            .x509_props
            .as_ref()
            .and_then(|x| x.validity_months)
            .unwrap_or(crate::policy::DEFAULT_VALIDITY_MONTHS)
            .unsigned_abs();
        self.versions.retain(|v| !v.is_placeholder());
        self.versions.push(CertificateVersion::placeholder(placeholder, request_id, months, now));
        self.policy = Some(Box::new(policy));
        Ok(effect)
    }

    /// Whether a create under `policy` would be accepted (everything but the
    /// issuer's registration, which is the vault's): the issuer it names. The
    /// policy is checked first, as the service checks a request before the
    /// state it meets.
    pub(crate) fn check_create(&self, policy: &CertificatePolicy) -> Result<IssuerRef, OperationError> {
        policy.validate()?;
        self.refuse_if_deleted()?;
        self.refuse_while_in_progress()?;
        issuer_of(policy)
    }

    /// Whether an import would be accepted before its chain is looked at.
    /// The policy, when one is given, is checked first.
    pub(crate) fn check_import(&self, policy: Option<&CertificatePolicy>) -> Result<(), OperationError> {
        if let Some(policy) = policy {
            policy.validate()?;
        }
        self.refuse_if_deleted()?;
        self.refuse_while_in_progress()
    }

    /// Imports a certificate chain (`POST …/import`). The leaf is the
    /// certificate carrying `leaf_key` (the imported private key's public key,
    /// which the key holder now holds), or `x5c[0]` when none is given. Refused
    /// while the pending object is `inProgress`; otherwise the pending object is
    /// gone and the chain becomes a new version.
    pub(crate) fn import(
        &mut self,
        x5c: &[impl AsRef<[u8]>],
        leaf_key: Option<&[u8]>,
        policy: Option<CertificatePolicy>,
        options: &ChainOptions,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<VersionId, OperationError> {
        self.check_import(policy.as_ref())?;
        let chain = x5c::validate_der(x5c, &options.policy(now, leaf_key))?;
        let version = ids.version_id();
        self.versions.retain(|v| !v.is_placeholder());
        self.versions.push(CertificateVersion::from_chain(version, chain, true, now, None));
        self.pending = None;
        let given = policy.unwrap_or_else(|| self.policy.as_deref().cloned().unwrap_or_default());
        let policy = given.with_defaults(IssuerMode::Manual, now.unix_timestamp(), self.policy());
        self.policy = Some(Box::new(policy));
        Ok(version)
    }

    /// `PATCH …/pending`: with `cancellation_requested: true`, asks for
    /// cancellation. Only an `inProgress` object accepts it, and it stays
    /// `inProgress` with `cancellation_requested: true`, as the service
    /// answers. An issuer-backed (or `Self`) request returns
    /// [`Effect::CancelAtIssuer`] the first time, and ends `cancelled` when its
    /// provider confirms ([`cancelled`](Self::cancelled)). A manual request has
    /// no provider to ask: it stays `inProgress` until a merge completes it or
    /// a delete removes it. `false` changes nothing (a request cannot be
    /// withdrawn).
    pub(crate) fn update_pending(
        &mut self,
        request_id: Option<RequestId>,
        cancellation_requested: bool,
        _now: OffsetDateTime,
    ) -> Result<Option<Effect>, OperationError> {
        let pending = self.pending_mut(request_id)?;
        if !pending.is_in_progress() {
            return Err(OperationError::NotInProgress { status: pending.status.kind() });
        }
        if !cancellation_requested || pending.cancellation_requested {
            return Ok(None);
        }
        pending.cancellation_requested = true;
        Ok(match pending.mode() {
            IssuerMode::Manual => None,
            IssuerMode::SelfSigned | IssuerMode::Provider => {
                Some(Effect::CancelAtIssuer { issuer: pending.issuer.name.clone(), request_id: pending.request_id })
            }
        })
    }

    /// `DELETE …/pending`: removes the pending object, whatever its status, and
    /// returns it as it was. Deleting an issuer-backed request in progress
    /// returns [`Effect::PendingDeleted`].
    pub(crate) fn delete_pending(
        &mut self,
        request_id: Option<RequestId>,
        _now: OffsetDateTime,
    ) -> Result<(PendingCertificate, Option<Effect>), OperationError> {
        self.pending_for_change(request_id)?;
        let pending =
            self.pending.take().ok_or_else(|| OperationError::PendingNotFoundForChange { name: self.name.clone() })?;
        let effect = (pending.is_in_progress() && pending.mode() != IssuerMode::Manual)
            .then(|| Effect::PendingDeleted { issuer: pending.issuer.name.clone(), request_id: pending.request_id });
        Ok((pending, effect))
    }

    /// `POST …/pending/merge`: completes the request with a chain obtained
    /// elsewhere. Allowed on a manual request in progress, and on any request
    /// that `failed` or was `cancelled` (out-of-band). Refused (403) on an
    /// issuer-backed request in progress and (409) on a completed one. The
    /// chain's leaf must carry the CSR's key and the chain must validate.
    pub(crate) fn merge(
        &mut self,
        x5c: &[impl AsRef<[u8]>],
        options: &ChainOptions,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<VersionId, OperationError> {
        let pending = self.check_merge()?;
        let chain = x5c::validate_der(x5c, &options.policy(now, Some(pending.csr.public_key())))?;
        Ok(self.complete(chain, now, ids))
    }

    /// Whether a merge would be accepted before its chain is looked at: the
    /// pending object it would complete.
    pub(crate) fn check_merge(&self) -> Result<&PendingCertificate, OperationError> {
        self.refuse_if_deleted()?;
        let pending = self.pending_for_change(None)?;
        match (&pending.status, pending.mode()) {
            (Status::Completed { .. }, _) => Err(OperationError::AlreadyCompleted { name: self.name.clone() }),
            (Status::InProgress, IssuerMode::SelfSigned | IssuerMode::Provider) => {
                Err(OperationError::MergeForbidden { issuer: pending.issuer.name.clone() })
            }
            (Status::InProgress, IssuerMode::Manual) | (Status::Failed { .. } | Status::Cancelled, _) => Ok(pending),
        }
    }

    fn complete(&mut self, chain: ValidatedChain, now: OffsetDateTime, ids: &mut impl IdGenerator) -> VersionId {
        let version = ids.version_id();
        let (preserve, request_id) = match &self.pending {
            Some(p) => (p.preserve_cert_order, Some(p.request_id)),
            None => (false, None),
        };
        if let Some(p) = self.pending.as_mut() {
            p.status = Status::Completed { version };
        }
        // The issued version takes the placeholder's place, and its tags.
        let tags = self.versions.iter().find(|v| v.is_placeholder()).map(|v| v.tags.clone()).unwrap_or_default();
        self.versions.retain(|v| !v.is_placeholder());
        let mut issued = CertificateVersion::from_chain(version, chain, preserve, now, request_id);
        issued.tags = tags;
        self.versions.push(issued);
        version
    }

    fn current_request(&self, request_id: RequestId) -> Result<(), OperationError> {
        let stale = |reason| OperationError::StaleOutcome { name: self.name.clone(), request_id, reason };
        match &self.pending {
            None => Err(stale(StaleReason::NoPending)),
            Some(p) if p.request_id != request_id => Err(stale(StaleReason::Superseded)),
            Some(p) if !p.is_in_progress() => Err(stale(StaleReason::Settled(p.status.kind()))),
            Some(_) => Ok(()),
        }
    }

    /// Provider outcome: the request `request_id` was issued with `x5c`. The
    /// chain is validated exactly like a merged one; a chain that fails makes
    /// the request `failed` with code [`Failure::ISSUER_ERROR`].
    pub(crate) fn issued(
        &mut self,
        request_id: RequestId,
        x5c: &[impl AsRef<[u8]>],
        options: &ChainOptions,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<Issued, OperationError> {
        self.current_request(request_id)?;
        let key = self.pending.as_ref().map(|p| p.csr.public_key()).unwrap_or_default();
        match x5c::validate_der(x5c, &options.policy(now, Some(key))) {
            Ok(chain) => Ok(Issued::Completed(self.complete(chain, now, ids))),
            Err(error) => {
                if let Some(p) = self.pending.as_mut() {
                    p.status = Status::Failed {
                        error: Failure::new(
                            Failure::ISSUER_ERROR,
                            format!("The issuer returned an invalid certificate chain: {error}"),
                        ),
                    };
                }
                Ok(Issued::Refused(error))
            }
        }
    }

    /// Carries out [`Effect::SignSelf`] for request `request_id`: `keys` signs
    /// a certificate for the CSR's key under the request's policy, and it is
    /// reported as [`issued`](Self::issued). `Self` behaves as an issuer
    /// whose provider is the key holder, so the embedder calls this some
    /// seconds after the create (the live service takes 10–20 s), unless
    /// cancellation was requested meanwhile, when it reports
    /// [`cancelled`](Self::cancelled) instead. Refused like any provider
    /// outcome when the request is not the current one in progress, and when
    /// it is not a `Self` request; a key holder that cannot sign makes the
    /// request `failed` with code [`Failure::ISSUER_ERROR`].
    pub(crate) fn sign_self(
        &mut self,
        request_id: RequestId,
        keys: &mut impl KeyHolder,
        options: &ChainOptions,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<Issued, OperationError> {
        self.current_request(request_id)?;
        let Some(pending) = self.pending.as_ref().filter(|p| p.mode() == IssuerMode::SelfSigned) else {
            return Err(OperationError::StaleOutcome {
                name: self.name.clone(),
                request_id,
                reason: StaleReason::NotSelfSigned,
            });
        };
        let policy = self.policy.as_deref().cloned().unwrap_or_default();
        let signed = KeyRequest::from_policy(&policy)
            .map_err(|e| KeyHolderError::Rejected(e.to_string()))
            .and_then(|request| keys.sign_self(&self.name, &pending.csr, &request, now));
        // The key holder's own certificate is checked as the service checks
        // one (its key), whatever the level merged chains are held to.
        let own = ChainOptions { level: ChainValidation::Service, trust_anchors: Vec::new(), limits: options.limits };
        match signed {
            Ok(certificate) => self.issued(request_id, &[certificate], &own, now, ids),
            Err(error) => {
                let failure = Failure::new(Failure::ISSUER_ERROR, error.to_string());
                self.failed(request_id, failure, now)?;
                Ok(Issued::NotSigned(error))
            }
        }
    }

    /// Provider outcome: the request `request_id` failed.
    pub(crate) fn failed(
        &mut self,
        request_id: RequestId,
        failure: Failure,
        _now: OffsetDateTime,
    ) -> Result<(), OperationError> {
        self.current_request(request_id)?;
        let reason = if failure.code.is_empty() {
            Some("the error code is empty")
        } else if failure.code.chars().count() > crate::limits::MAX_FAILURE_CODE_LEN {
            Some("the error code is longer than 256 characters")
        } else if failure.message.chars().count() > crate::limits::MAX_FAILURE_MESSAGE_LEN {
            Some("the error message is longer than 4096 characters")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(OperationError::InvalidFailure { reason });
        }
        if let Some(p) = self.pending.as_mut() {
            p.status = Status::Failed { error: failure };
        }
        Ok(())
    }

    /// Provider outcome: the request `request_id` was cancelled.
    pub(crate) fn cancelled(&mut self, request_id: RequestId, _now: OffsetDateTime) -> Result<(), OperationError> {
        self.current_request(request_id)?;
        if let Some(p) = self.pending.as_mut() {
            p.status = Status::Cancelled;
        }
        Ok(())
    }

    /// `GET /certificates/{name}[/{version}]`: the version asked for, or
    /// without one the newest — the placeholder of a request that has not
    /// completed (disabled, no `cer`), else the newest issued version.
    pub fn certificate(&self, version: Option<VersionId>) -> Result<&CertificateVersion, OperationError> {
        if self.deleted.is_some() {
            return Err(match version {
                None => OperationError::CertificateNotFound { name: self.name.clone() },
                Some(v) => OperationError::VersionNotFound { name: self.name.clone(), version: v.to_string() },
            });
        }
        match version {
            Some(wanted) => self.versions.iter().find(|v| v.version == wanted).ok_or_else(|| {
                OperationError::VersionNotFound { name: self.name.clone(), version: wanted.to_string() }
            }),
            None => self.versions.last().ok_or_else(|| OperationError::CertificateNotFound { name: self.name.clone() }),
        }
    }
}

/// DER bytes stored as a standard base64 string.
mod der_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        STANDARD.decode(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// DER lists stored as standard base64 strings.
mod der_list {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, ser::SerializeSeq};

    pub fn serialize<S: Serializer>(list: &[Vec<u8>], serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(list.len()))?;
        for der in list {
            seq.serialize_element(&STANDARD.encode(der))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Vec<u8>>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|s| STANDARD.decode(s).map_err(serde::de::Error::custom))
            .collect()
    }
}
