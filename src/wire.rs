//! The wire model: serde types for the bodies the service sends and receives,
//! and their rendering from the domain. Unknown fields are ignored on decode;
//! absent optional fields are not sent.
//!
//! Status is decoded without regard to case and with both `canceled` and
//! `cancelled`; it is encoded exactly as `inProgress`, `completed`, `failed`,
//! `cancelled`.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::certificate::{Certificate, CertificateVersion, Deletion};
use crate::error::OperationError;
use crate::name::CertificateName;
use crate::pending::{PendingCertificate, Status, StatusKind};
use crate::policy::{Attributes, CertificatePolicy, IssuerParameters};
use crate::recovery::Recovery;
use crate::vault_url::VaultUrl;

/// A pending object's `status` as it goes over the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WireStatus {
    /// `inProgress`
    InProgress,
    /// `completed`
    Completed,
    /// `failed`
    Failed,
    /// `cancelled` (also decoded from `canceled`)
    Cancelled,
    /// A status this crate does not know, kept as sent.
    Other(String),
}

impl WireStatus {
    /// The spelling sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            WireStatus::InProgress => StatusKind::InProgress.as_str(),
            WireStatus::Completed => StatusKind::Completed.as_str(),
            WireStatus::Failed => StatusKind::Failed.as_str(),
            WireStatus::Cancelled => StatusKind::Cancelled.as_str(),
            WireStatus::Other(other) => other,
        }
    }

    /// Decodes a status case-insensitively, accepting both spellings of
    /// cancelled.
    pub fn parse(text: &str) -> Self {
        let is = |s: &str| text.eq_ignore_ascii_case(s);
        if is("inProgress") {
            WireStatus::InProgress
        } else if is("completed") {
            WireStatus::Completed
        } else if is("failed") {
            WireStatus::Failed
        } else if is("cancelled") || is("canceled") {
            WireStatus::Cancelled
        } else {
            WireStatus::Other(text.to_owned())
        }
    }
}

impl From<StatusKind> for WireStatus {
    fn from(kind: StatusKind) -> Self {
        match kind {
            StatusKind::InProgress => WireStatus::InProgress,
            StatusKind::Completed => WireStatus::Completed,
            StatusKind::Failed => WireStatus::Failed,
            StatusKind::Cancelled => WireStatus::Cancelled,
        }
    }
}

impl fmt::Display for WireStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for WireStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for WireStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(WireStatus::parse(&text))
    }
}

/// `error` of a failed pending object, and of every error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// The error code.
    #[serde(default)]
    pub code: String,
    /// The message.
    #[serde(default)]
    pub message: String,
    /// A more specific error, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub innererror: Option<Box<InnerError>>,
}

/// `innererror`: a more specific code (and, where the service sends one, a
/// message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InnerError {
    /// The code.
    #[serde(default)]
    pub code: String,
    /// The message; not sent when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// The body of every error response: `{"error":{"code","message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

impl From<&OperationError> for ErrorBody {
    fn from(error: &OperationError) -> Self {
        let innererror =
            error.inner_code().map(|code| Box::new(InnerError { code: code.to_owned(), message: String::new() }));
        ErrorBody { error: ErrorDetail { code: error.code().to_owned(), message: error.message(), innererror } }
    }
}

/// The pending object ("certificate operation") as it goes over the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateOperation {
    /// `{vault}/certificates/{name}/pending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The issuer the request names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<IssuerParameters>,
    /// Standard base64 of the CSR's DER.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csr: Option<String>,
    /// Whether cancellation was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation_requested: Option<bool>,
    /// `inProgress`, `completed`, `failed` or `cancelled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<WireStatus>,
    /// Human-readable details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
    /// Why the request failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    /// `{vault}/certificates/{name}` once completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// 32 lowercase hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Whether a merged chain keeps the order given.
    #[serde(rename = "preserveCertOrder", default, skip_serializing_if = "Option::is_none")]
    pub preserve_cert_order: Option<bool>,
}

impl CertificateOperation {
    /// Renders a pending object of `name` in the vault at `url`.
    pub fn from_pending(url: &VaultUrl, name: &CertificateName, pending: &PendingCertificate) -> Self {
        let issuer = pending.issuer();
        let (error, target) = match pending.status() {
            Status::Failed { error } => {
                (Some(ErrorDetail { code: error.code.clone(), message: error.message.clone(), innererror: None }), None)
            }
            Status::Completed { .. } => (None, Some(url.certificate_base(name))),
            Status::InProgress | Status::Cancelled => (None, None),
        };
        CertificateOperation {
            id: Some(url.pending_id(name)),
            // The service echoes the issuer's name (and type) here, never
            // `cert_transparency`; the policy keeps what was sent.
            issuer: Some(IssuerParameters {
                name: Some(issuer.name.to_string()),
                cty: issuer.cty.clone(),
                cert_transparency: None,
            }),
            csr: Some(STANDARD.encode(pending.csr().der())),
            cancellation_requested: Some(pending.cancellation_requested()),
            status: Some(pending.status().kind().into()),
            status_details: pending.status_details().map(str::to_owned),
            error,
            target,
            request_id: Some(pending.request_id().to_string()),
            preserve_cert_order: pending.preserve_cert_order().then_some(true),
        }
    }
}

/// `pending` of a certificate bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRef {
    /// `{vault}/certificates/{name}/pending`.
    pub id: String,
}

/// A certificate bundle: what merge and get certificate answer. Fields are in
/// the service's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateBundle {
    /// `{vault}/certificates/{name}/{version}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `{vault}/keys/{name}/{version}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `{vault}/secrets/{name}/{version}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Base64url SHA-1 thumbprint of the leaf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    /// Standard base64 of the leaf's DER.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cer: Option<String>,
    /// `enabled`, `nbf`, `exp`, `created`, `updated`, `recoveryLevel`, `recoverableDays`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Application tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// The certificate's policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<CertificatePolicy>,
    /// The pending object of the name, while it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingRef>,
    /// Whether the chain keeps the order it was given in.
    #[serde(rename = "preserveCertOrder", default, skip_serializing_if = "Option::is_none")]
    pub preserve_cert_order: Option<bool>,
}

/// How much of a version a bundle shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BundleView {
    /// Get certificate without a version, merge, import: the version with the
    /// certificate's policy and, while the name has one, its `pending`.
    Latest,
    /// Get certificate with a version: the version alone (`id`, `kid`, `sid`,
    /// `x5t`, `cer`, `attributes`; a placeholder only `id` and `attributes`).
    ByVersion,
}

impl CertificateBundle {
    /// Renders `version` of `certificate` in the vault at `url`.
    pub fn render(
        url: &VaultUrl,
        certificate: &Certificate,
        version: &CertificateVersion,
        view: BundleView,
        recovery: &Recovery,
    ) -> Self {
        let name = certificate.name();
        let v = version.version();
        let issued = !version.is_placeholder();
        let latest = view == BundleView::Latest;
        CertificateBundle {
            id: Some(url.certificate_id(name, v)),
            kid: issued.then(|| url.key_id(name, v)),
            sid: issued.then(|| url.secret_id(name, v)),
            x5t: issued.then(|| version.x5t().to_owned()),
            cer: issued.then(|| STANDARD.encode(version.cer())),
            attributes: Some(version_attributes(version, Some(recovery))),
            tags: tags_of(version),
            policy: certificate.policy().filter(|_| latest).map(|p| render_policy(url, name, p)),
            pending: certificate.current_pending().filter(|_| latest).map(|_| PendingRef { id: url.pending_id(name) }),
            preserve_cert_order: None,
        }
    }
}

pub(crate) fn render_policy(url: &VaultUrl, name: &CertificateName, policy: &CertificatePolicy) -> CertificatePolicy {
    CertificatePolicy { id: Some(url.policy_id(name)), ..policy.clone() }
}

/// `POST …/create` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateCreateParameters {
    /// The policy; absent means the service's defaults and a manual merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<CertificatePolicy>,
    /// Attributes of the new certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Application tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Keep a merged chain in the order given.
    #[serde(rename = "preserveCertOrder", default, skip_serializing_if = "Option::is_none")]
    pub preserve_cert_order: Option<bool>,
}

/// `POST …/pending/merge` body. `x5c` is required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateMergeParameters {
    /// The chain: standard base64 of DER certificates.
    pub x5c: Vec<String>,
    /// Attributes of the merged certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Application tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

/// `PATCH …/pending` body. `cancellation_requested` is required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateOperationUpdateParameter {
    /// `true` asks for cancellation; `false` changes nothing.
    pub cancellation_requested: bool,
}

/// `POST …/import` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateImportParameters {
    /// PEM (certificates and PKCS#8 key) or base64 PKCS#12, per
    /// `policy.secret_props.contentType`.
    pub value: String,
    /// The PKCS#12 password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pwd: Option<String>,
    /// The policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<CertificatePolicy>,
    /// Attributes of the imported certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Application tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Keep the chain in the order given.
    #[serde(rename = "preserveCertOrder", default, skip_serializing_if = "Option::is_none")]
    pub preserve_cert_order: Option<bool>,
}

/// `attributes` of a list item: what a bundle's has, without the vault's
/// recovery settings unless the item is a deleted one.
pub(crate) fn version_attributes(version: &CertificateVersion, recovery: Option<&Recovery>) -> Attributes {
    Attributes {
        enabled: Some(version.enabled()),
        nbf: Some(version.not_before()),
        exp: Some(version.not_after()),
        created: Some(version.created()),
        updated: Some(version.updated()),
        recovery_level: recovery.map(|r| r.level.as_str().to_owned()),
        recoverable_days: recovery.map(|r| r.days),
    }
}

pub(crate) fn tags_of(version: &CertificateVersion) -> Option<BTreeMap<String, String>> {
    (!version.tags().is_empty()).then(|| version.tags().clone())
}

/// One certificate (or one version) of a listing. Members in the service's
/// order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateItem {
    /// `{vault}/certificates/{name}` in a listing of certificates,
    /// `{vault}/certificates/{name}/{version}` in one of versions.
    pub id: String,
    /// Base64url SHA-1 thumbprint of the leaf (not for a placeholder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    /// `enabled`, `nbf`, `exp`, `created`, `updated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Application tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Empty, as the service sends it.
    #[serde(default)]
    pub subject: String,
}

impl CertificateItem {
    /// A listing's item for `version` of `certificate`: with the version in
    /// its id (a listing of versions) or without (a listing of certificates).
    pub fn render(url: &VaultUrl, certificate: &Certificate, version: &CertificateVersion, versioned: bool) -> Self {
        let name = certificate.name();
        CertificateItem {
            id: if versioned { url.certificate_id(name, version.version()) } else { url.certificate_base(name) },
            x5t: (!version.is_placeholder()).then(|| version.x5t().to_owned()),
            attributes: Some(version_attributes(version, None)),
            tags: tags_of(version),
            subject: String::new(),
        }
    }
}

/// A page of a listing: `value`, and `nextLink` (`null` on the last page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListResult<T> {
    /// The items of this page.
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    /// The absolute URL of the next page; `null` when there is none.
    #[serde(rename = "nextLink", default)]
    pub next_link: Option<String>,
}

/// A soft-deleted certificate in a listing. Members in the service's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedCertificateItem {
    /// `{vault}/deletedcertificates/{name}`.
    #[serde(rename = "recoveryId", default, skip_serializing_if = "Option::is_none")]
    pub recovery_id: Option<String>,
    /// When it was deleted (Unix seconds).
    #[serde(rename = "deletedDate", default, skip_serializing_if = "Option::is_none")]
    pub deleted_date: Option<i64>,
    /// When it is purged (Unix seconds).
    #[serde(rename = "scheduledPurgeDate", default, skip_serializing_if = "Option::is_none")]
    pub scheduled_purge_date: Option<i64>,
    /// `{vault}/certificates/{name}`.
    pub id: String,
    /// Base64url SHA-1 thumbprint of the leaf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    /// With the vault's `recoveryLevel` and `recoverableDays`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Application tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

impl DeletedCertificateItem {
    /// The listing's item of a deleted certificate (its latest version).
    pub fn render(
        url: &VaultUrl,
        certificate: &Certificate,
        version: &CertificateVersion,
        deletion: Deletion,
        recovery: &Recovery,
    ) -> Self {
        let name = certificate.name();
        DeletedCertificateItem {
            recovery_id: Some(url.deleted_id(name)),
            deleted_date: Some(deletion.deleted_date),
            scheduled_purge_date: Some(deletion.scheduled_purge_date),
            id: url.certificate_base(name),
            x5t: (!version.is_placeholder()).then(|| version.x5t().to_owned()),
            attributes: Some(version_attributes(version, Some(recovery))),
            tags: tags_of(version),
        }
    }
}

/// A soft-deleted certificate: what delete, get deleted and the delete's
/// pollers answer: the recovery members, then the bundle of its latest
/// version (with the policy and `pending`, as they were).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedCertificateBundle {
    /// `{vault}/deletedcertificates/{name}`.
    #[serde(rename = "recoveryId", default, skip_serializing_if = "Option::is_none")]
    pub recovery_id: Option<String>,
    /// When it was deleted (Unix seconds).
    #[serde(rename = "deletedDate", default, skip_serializing_if = "Option::is_none")]
    pub deleted_date: Option<i64>,
    /// When it is purged (Unix seconds).
    #[serde(rename = "scheduledPurgeDate", default, skip_serializing_if = "Option::is_none")]
    pub scheduled_purge_date: Option<i64>,
    /// The certificate as it was.
    #[serde(flatten)]
    pub bundle: CertificateBundle,
}

impl DeletedCertificateBundle {
    /// Renders a deleted certificate: its latest version with its policy and
    /// `pending`. A vault whose level is `Purgeable` keeps nothing to
    /// recover: no recovery members.
    pub fn render(
        url: &VaultUrl,
        certificate: &Certificate,
        version: &CertificateVersion,
        deletion: Deletion,
        recovery: &Recovery,
    ) -> Self {
        let bundle = CertificateBundle::render(url, certificate, version, BundleView::Latest, recovery);
        let kept = recovery.level != crate::recovery::RecoveryLevel::Purgeable;
        DeletedCertificateBundle {
            recovery_id: kept.then(|| url.deleted_id(certificate.name())),
            deleted_date: kept.then_some(deletion.deleted_date),
            scheduled_purge_date: kept.then_some(deletion.scheduled_purge_date),
            bundle,
        }
    }
}

/// `PATCH /certificates/{name}/{version}` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateUpdateParameters {
    /// A policy to set (as `PATCH …/policy` does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<CertificatePolicy>,
    /// `enabled` is read; the others are the service's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Application tags, replaced whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

/// `POST /certificates/restore` body; also what backup answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRestoreParameters {
    /// The backup blob, base64url.
    pub value: String,
}

/// One certificate contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Contact {
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// The vault's certificate contacts (`/certificates/contacts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contacts {
    /// `{vault}/certificates/contacts`; set by the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The contacts.
    #[serde(rename = "contacts", default, skip_serializing_if = "Option::is_none")]
    pub contact_list: Option<Vec<Contact>>,
}

/// A registered issuer in a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerItem {
    /// `{vault}/certificates/issuers/{name}`.
    pub id: String,
    /// The provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// A certificate's secret (`GET /secrets/{name}[/{version}]`). Members in the
/// service's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretBundle {
    /// PKCS#12 (standard base64) or PEM text, per `contentType`.
    pub value: String,
    /// `application/x-pkcs12` or `application/x-pem-file`.
    #[serde(rename = "contentType", default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `{vault}/secrets/{name}/{version}`.
    pub id: String,
    /// Always `true`: the certificate owns the secret.
    #[serde(default)]
    pub managed: bool,
    /// The version's attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Application tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// `{vault}/keys/{name}/{version}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// A certificate's key (`GET /keys/{name}[/{version}]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyBundle {
    /// The public key.
    pub key: crate::jwk::JsonWebKey,
    /// The version's attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Application tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Always `true`: the certificate owns the key.
    #[serde(default)]
    pub managed: bool,
}
