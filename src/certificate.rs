//! The aggregate: one certificate name, its versions and its pending object.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::csr::Csr;
use crate::error::{OperationError, StaleReason};
use crate::ids::{IdGenerator, RequestId, VersionId};
use crate::name::{CertificateName, IssuerMode, IssuerName};
use crate::pending::{Failure, IssuerRef, PendingCertificate, Status};
use crate::policy::CertificatePolicy;
use crate::x5c::{self, ChainPolicy, Limits, ValidatedChain};

/// The format version of a serialized [`Certificate`]; loading another refuses.
pub const FORMAT_VERSION: u32 = 1;

/// What the embedder must act on after an operation: values, never callbacks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// Trust anchors (DER). Empty: the path's top is the last certificate reached.
    pub trust_anchors: Vec<Vec<u8>>,
    /// Size and work bounds.
    pub limits: Limits,
}

impl ChainOptions {
    fn policy<'a>(&'a self, now: OffsetDateTime, leaf_key: Option<&'a [u8]>) -> ChainPolicy<'a> {
        ChainPolicy {
            time: now,
            expected_leaf_key: leaf_key,
            trust_anchors: &self.trust_anchors,
            prepared_anchors: None,
            require_all_on_path: true,
            limits: self.limits,
        }
    }
}

/// One version of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateVersion {
    version: VersionId,
    /// The chain as stored: leaf first, or as given under `preserveCertOrder`.
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
        let (x5c, leaf) = if preserve_order {
            let leaf = chain.path().first().copied().unwrap_or(0);
            (chain.into_certificates(), leaf)
        } else {
            (chain.leaf_first().map(<[u8]>::to_vec).collect(), 0)
        };
        let now = now.unix_timestamp();
        Self { version, x5c, leaf, x5t, not_before, not_after, created: now, updated: now, enabled: true, request_id }
    }

    /// The version id.
    pub fn version(&self) -> VersionId {
        self.version
    }

    /// The leaf certificate (DER): `cer`.
    pub fn cer(&self) -> &[u8] {
        self.x5c.get(self.leaf).map(Vec::as_slice).unwrap_or_default()
    }

    /// The chain as stored (DER).
    pub fn x5c(&self) -> &[Vec<u8>] {
        &self.x5c
    }

    /// The base64url SHA-1 thumbprint of the leaf: `x5t`.
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
}

/// What a get certificate answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateView<'a> {
    /// A version with its certificate.
    Version(&'a CertificateVersion),
    /// Only a pending request so far: disabled, no `cer`, and `pending: {id}`.
    PendingOnly(&'a PendingCertificate),
}

/// What a provider's `issued` outcome did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issued {
    /// The chain validated; the request completed into this version.
    Completed(VersionId),
    /// The chain was refused; the request is now `failed` with code
    /// [`Failure::ISSUER_ERROR`].
    Refused(x5c::ChainError),
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
}

impl From<Certificate> for Stored {
    fn from(c: Certificate) -> Self {
        Stored {
            format_version: FORMAT_VERSION,
            name: c.name,
            policy: c.policy,
            versions: c.versions,
            pending: c.pending,
        }
    }
}

impl TryFrom<Stored> for Certificate {
    type Error = String;
    fn try_from(s: Stored) -> Result<Self, String> {
        if s.format_version != FORMAT_VERSION {
            return Err(format!("unsupported format_version {} (expected {FORMAT_VERSION})", s.format_version));
        }
        if s.versions.iter().any(|v| v.leaf >= v.x5c.len()) {
            return Err("a version's leaf index is outside its chain".to_owned());
        }
        Ok(Certificate { name: s.name, policy: s.policy, versions: s.versions, pending: s.pending })
    }
}

impl Certificate {
    /// A name with nothing in it yet.
    pub fn new(name: CertificateName) -> Self {
        Self { name, policy: None, versions: Vec::new(), pending: None }
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

    /// Whether the name holds nothing (no version, no pending object).
    pub fn is_empty(&self) -> bool {
        self.versions.is_empty() && self.pending.is_none()
    }

    fn not_found(&self) -> OperationError {
        OperationError::PendingNotFound { name: self.name.clone() }
    }

    /// The pending object, filtered by `request_id` when one is given: a
    /// different id is a 404, exactly as if there were no pending object.
    pub fn pending(&self, request_id: Option<RequestId>) -> Result<&PendingCertificate, OperationError> {
        match &self.pending {
            Some(p) if request_id.is_none_or(|id| id == p.request_id) => Ok(p),
            _ => Err(self.not_found()),
        }
    }

    fn pending_mut(&mut self, request_id: Option<RequestId>) -> Result<&mut PendingCertificate, OperationError> {
        self.pending(request_id)?;
        let name = self.name.clone();
        self.pending.as_mut().ok_or(OperationError::PendingNotFound { name })
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
    pub fn create(
        &mut self,
        request: CreateRequest,
        _now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<Option<Effect>, OperationError> {
        let issuer = self.check_create(&request.policy)?;
        let request_id = ids.request_id();
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
        self.policy = Some(Box::new(request.policy));
        Ok(effect)
    }

    /// Whether a create under `policy` would be accepted (everything but the
    /// issuer's registration, which is the vault's): the issuer it names.
    pub fn check_create(&self, policy: &CertificatePolicy) -> Result<IssuerRef, OperationError> {
        self.refuse_while_in_progress()?;
        issuer_of(policy)
    }

    /// Whether an import would be accepted before its chain is looked at.
    pub fn check_import(&self) -> Result<(), OperationError> {
        self.refuse_while_in_progress()
    }

    /// Imports a certificate chain (`POST …/import`). The leaf is the
    /// certificate carrying `leaf_key` (the imported private key's public key,
    /// which the key holder now holds), or `x5c[0]` when none is given. Refused
    /// while the pending object is `inProgress`; otherwise the pending object is
    /// gone and the chain becomes a new version.
    pub fn import(
        &mut self,
        x5c: &[impl AsRef<[u8]>],
        leaf_key: Option<&[u8]>,
        policy: Option<CertificatePolicy>,
        options: &ChainOptions,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<VersionId, OperationError> {
        self.check_import()?;
        let chain = x5c::validate_der(x5c, &options.policy(now, leaf_key))?;
        let version = ids.version_id();
        self.versions.push(CertificateVersion::from_chain(version, chain, true, now, None));
        self.pending = None;
        if let Some(policy) = policy {
            self.policy = Some(Box::new(policy));
        }
        Ok(version)
    }

    /// `PATCH …/pending`: with `cancellation_requested: true`, asks for
    /// cancellation. Only an `inProgress` object accepts it. A manual request
    /// has no provider to ask and becomes `cancelled` at once; an issuer-backed
    /// one records the request and returns [`Effect::CancelAtIssuer`] the first
    /// time. `false` changes nothing (a request cannot be withdrawn).
    pub fn update_pending(
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
            IssuerMode::Manual => {
                pending.status = Status::Cancelled;
                None
            }
            IssuerMode::SelfSigned | IssuerMode::Provider => {
                Some(Effect::CancelAtIssuer { issuer: pending.issuer.name.clone(), request_id: pending.request_id })
            }
        })
    }

    /// Asks for cancellation: [`update_pending`](Self::update_pending) with `true`.
    pub fn request_cancellation(
        &mut self,
        request_id: Option<RequestId>,
        now: OffsetDateTime,
    ) -> Result<Option<Effect>, OperationError> {
        self.update_pending(request_id, true, now)
    }

    /// `DELETE …/pending`: removes the pending object, whatever its status, and
    /// returns it as it was. Deleting an issuer-backed request in progress
    /// returns [`Effect::PendingDeleted`].
    pub fn delete_pending(
        &mut self,
        request_id: Option<RequestId>,
        _now: OffsetDateTime,
    ) -> Result<(PendingCertificate, Option<Effect>), OperationError> {
        self.pending(request_id)?;
        let pending = self.pending.take().ok_or_else(|| self.not_found())?;
        let effect = (pending.is_in_progress() && pending.mode() != IssuerMode::Manual)
            .then(|| Effect::PendingDeleted { issuer: pending.issuer.name.clone(), request_id: pending.request_id });
        Ok((pending, effect))
    }

    /// `POST …/pending/merge`: completes the request with a chain obtained
    /// elsewhere. Allowed on a manual request in progress, and on any request
    /// that `failed` or was `cancelled` (out-of-band). Refused (403) on an
    /// issuer-backed request in progress and (409) on a completed one. The
    /// chain's leaf must carry the CSR's key and the chain must validate.
    pub fn merge(
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
    pub fn check_merge(&self) -> Result<&PendingCertificate, OperationError> {
        let pending = self.pending(None)?;
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
        self.versions.push(CertificateVersion::from_chain(version, chain, preserve, now, request_id));
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
    pub fn issued(
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

    /// Provider outcome: the request `request_id` failed.
    pub fn failed(
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
    pub fn cancelled(&mut self, request_id: RequestId, _now: OffsetDateTime) -> Result<(), OperationError> {
        self.current_request(request_id)?;
        if let Some(p) = self.pending.as_mut() {
            p.status = Status::Cancelled;
        }
        Ok(())
    }

    /// `GET /certificates/{name}[/{version}]`. Without a version: the request in
    /// progress if there is one (disabled, no `cer`), else the newest version,
    /// else a pending object that never completed.
    pub fn certificate(&self, version: Option<VersionId>) -> Result<CertificateView<'_>, OperationError> {
        if let Some(wanted) = version {
            return self.versions.iter().find(|v| v.version == wanted).map(CertificateView::Version).ok_or_else(|| {
                OperationError::VersionNotFound { name: self.name.clone(), version: wanted.to_string() }
            });
        }
        match (&self.pending, self.versions.last()) {
            (Some(p), _) if p.is_in_progress() => Ok(CertificateView::PendingOnly(p)),
            (_, Some(v)) => Ok(CertificateView::Version(v)),
            (Some(p), None) => Ok(CertificateView::PendingOnly(p)),
            (None, None) => Err(OperationError::CertificateNotFound { name: self.name.clone() }),
        }
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
