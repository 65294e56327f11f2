//! The pending object ("certificate operation") and its status.

use serde::{Deserialize, Serialize};

use crate::csr::Csr;
use crate::ids::{RequestId, VersionId};
use crate::name::{IssuerMode, IssuerName};

/// `status_details` of a manual request while `inProgress`.
pub const MANUAL_STATUS_DETAILS: &str = "Pending certificate created. Please Perform Merge to complete the request.";

/// `status_details` of an issuer-backed (or `Self`) request while `inProgress`,
/// and after it failed. The final period is the live service's (the
/// documentation page prints the sentence without it).
pub const ISSUER_STATUS_DETAILS: &str = "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.";

/// The issuer a request names, as the pending object reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IssuerRef {
    /// `Self`, `Unknown`, or a registered issuer.
    pub name: IssuerName,
    /// Certificate type asked of the provider, e.g. `OV-SSL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cty: Option<String>,
    /// Whether certificate transparency was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_transparency: Option<bool>,
}

impl IssuerRef {
    /// An issuer reference with only a name.
    pub fn named(name: IssuerName) -> Self {
        Self { name, cty: None, cert_transparency: None }
    }
}

/// Why a request failed: the pending object's `error`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Failure {
    /// Error code, e.g. [`Failure::ISSUER_ERROR`] or [`Failure::REQUEST_REJECTED`].
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

impl Failure {
    /// The code for a failure on the provider's side.
    pub const ISSUER_ERROR: &'static str = "Certificate issuer error";
    /// The code for a request the provider refused because of the user.
    pub const REQUEST_REJECTED: &'static str = "Request rejected";

    /// A failure with this code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into() }
    }
}

/// Where a pending object stands. Each status carries its own data, so a
/// `failed` object without an error or a `completed` one without a target cannot
/// be built.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum Status {
    /// Waiting for a merge (manual) or a provider outcome (issuer-backed, `Self`).
    InProgress,
    /// Completed into the certificate version `version`; `target` on the wire.
    Completed {
        /// The version the request became.
        version: VersionId,
    },
    /// Failed; `error` on the wire.
    Failed {
        /// Why.
        error: Failure,
    },
    /// Cancelled by the provider (or the key holder, for `Self`).
    Cancelled,
}

impl Status {
    /// The status without its data.
    pub fn kind(&self) -> StatusKind {
        match self {
            Status::InProgress => StatusKind::InProgress,
            Status::Completed { .. } => StatusKind::Completed,
            Status::Failed { .. } => StatusKind::Failed,
            Status::Cancelled => StatusKind::Cancelled,
        }
    }
}

/// A status without its data, for tables, messages and matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// `inProgress`
    InProgress,
    /// `completed`
    Completed,
    /// `failed`
    Failed,
    /// `cancelled`
    Cancelled,
}

impl StatusKind {
    /// The spelling the service sends.
    pub const fn as_str(self) -> &'static str {
        match self {
            StatusKind::InProgress => "inProgress",
            StatusKind::Completed => "completed",
            StatusKind::Failed => "failed",
            StatusKind::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for StatusKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The pending object of one certificate name: one certificate request, from
/// create until it is overwritten or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PendingCertificate {
    pub(crate) request_id: RequestId,
    pub(crate) issuer: IssuerRef,
    pub(crate) csr: Csr,
    pub(crate) cancellation_requested: bool,
    pub(crate) preserve_cert_order: bool,
    #[serde(flatten)]
    pub(crate) status: Status,
}

impl PendingCertificate {
    /// The request this object tracks.
    pub fn request_id(&self) -> RequestId {
        self.request_id
    }

    /// The issuer the request names.
    pub fn issuer(&self) -> &IssuerRef {
        &self.issuer
    }

    /// How the request is fulfilled.
    pub fn mode(&self) -> IssuerMode {
        self.issuer.name.mode()
    }

    /// The CSR whose key the certificate must carry.
    pub fn csr(&self) -> &Csr {
        &self.csr
    }

    /// Whether cancellation was requested. Never goes back to `false`.
    pub fn cancellation_requested(&self) -> bool {
        self.cancellation_requested
    }

    /// Whether a merged chain is kept in the order given (`preserveCertOrder`).
    pub fn preserve_cert_order(&self) -> bool {
        self.preserve_cert_order
    }

    /// The status and its data.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// `status_details` as the service words it, where it sends one: the
    /// in-progress text while `inProgress`, kept when the request `failed`;
    /// none once `completed` or `cancelled`.
    pub fn status_details(&self) -> Option<&'static str> {
        match (&self.status, self.mode()) {
            (Status::InProgress | Status::Failed { .. }, IssuerMode::Manual) => Some(MANUAL_STATUS_DETAILS),
            (Status::InProgress | Status::Failed { .. }, _) => Some(ISSUER_STATUS_DETAILS),
            (Status::Completed { .. } | Status::Cancelled, _) => None,
        }
    }

    /// Whether the object still changes by itself (provider outcome, merge, cancel).
    pub fn is_in_progress(&self) -> bool {
        matches!(self.status, Status::InProgress)
    }
}
