//! Operation errors: every refusal the core can answer, each with one HTTP
//! status and one service error code.

use crate::csr::CsrError;
use crate::ids::{RequestId, VersionId};
use crate::keys::{InvalidKeyRequest, KeyHolderError};
use crate::name::{CertificateName, InvalidName, IssuerName};
use crate::pending::StatusKind;
use crate::x5c::ChainError;

/// Why an operation was refused. A refused operation changes nothing.
///
/// [`status`](OperationError::status) and [`code`](OperationError::code) are one
/// exhaustive match each, so a new variant cannot compile without choosing both;
/// the message is the `Display` text, byte-exact where the service's is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OperationError {
    /// Create or import while the pending object is `inProgress` (409 `Forbidden`).
    #[error(
        "A new key vault certificate can not be created or imported while a pending key vault certificate's status is inProgress."
    )]
    InProgress,

    /// Merge while an issuer-backed (or `Self`) request is `inProgress` (403
    /// `Forbidden`). The typo "progess" is the service's.
    #[error("Merge is forbidden on pending object created with issuer : {issuer} while it is in progess.")]
    MergeForbidden {
        /// The request's issuer.
        issuer: IssuerName,
    },

    /// No pending object, or a `request_id` that is not the pending object's,
    /// on a read (404 `PendingCertificateNotFound`).
    #[error("Pending certificate not found: {name}")]
    PendingNotFound {
        /// The certificate name.
        name: CertificateName,
    },

    /// No pending object, or a `request_id` that is not the pending object's,
    /// on a write: cancel, delete, merge (404 `PendingCertificateNotFound`).
    /// The capital C is the service's.
    #[error("Pending Certificate not found: {name}")]
    PendingNotFoundForChange {
        /// The certificate name.
        name: CertificateName,
    },

    /// Cancellation asked of a pending object that is not `inProgress` (400
    /// `BadParameter`).
    #[error(
        "Cancellation can only be requested while the pending certificate's status is inProgress; its status is {status}."
    )]
    NotInProgress {
        /// The pending object's status.
        status: StatusKind,
    },

    /// Merge into a pending object that has already completed (409 `Conflict`).
    #[error(
        "The pending certificate {name} has already completed; there is nothing left to merge into. Create a new request to issue a new version."
    )]
    AlreadyCompleted {
        /// The certificate name.
        name: CertificateName,
    },

    /// A write against a stale revision: another write got there first (409
    /// `Conflict`).
    #[error(
        "There was a conflict while updating pending certificate '{pending_id}'. This can happen when multiple operations are performed in parallel against the pending certificate. To avoid this error, perform operations against the pending certificate in a sequential manner."
    )]
    Conflict {
        /// The pending object's identifier URL.
        pending_id: String,
    },

    /// A delete against a stale revision: another write got there first (409
    /// `Conflict`, the service's words for a racing delete).
    #[error(
        "There was a conflict while deleting the pending certificate '{pending_id}'. This can happen when multiple operations are performed in parallel against the pending certificate. To avoid this error, perform operations against the pending certificate in a sequential manner."
    )]
    ConflictOnDelete {
        /// The pending object's identifier URL.
        pending_id: String,
    },

    /// A provider outcome that does not answer the current request, or arrives
    /// after it left `inProgress` (409 `Conflict`). Nothing changes: a late
    /// answer to an overwritten request must never complete the new one.
    #[error("The outcome for request {request_id} of certificate {name} was refused: {reason}")]
    StaleOutcome {
        /// The certificate name.
        name: CertificateName,
        /// The request the outcome answers.
        request_id: RequestId,
        /// Why it is stale.
        reason: StaleReason,
    },

    /// No certificate of that name (404 `CertificateNotFound`).
    #[error(
        "A certificate with (name/id) {name} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
    )]
    CertificateNotFound {
        /// The certificate name.
        name: CertificateName,
    },

    /// No such version of the certificate (404 `CertificateNotFound`).
    #[error(
        "A certificate with (name/id) {name}/{version} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
    )]
    VersionNotFound {
        /// The certificate name.
        name: CertificateName,
        /// The version asked for, as given.
        version: String,
    },

    /// The CSR is not an acceptable PKCS#10 request (400 `BadParameter`).
    #[error("The certificate signing request is invalid: {0}")]
    InvalidCsr(#[from] CsrError),

    /// The `x5c` chain was refused (400 `BadParameter`); the message is the
    /// service's where it is known, and otherwise names the index at fault.
    #[error("{}", chain_message(.0))]
    InvalidChain(#[from] ChainError),

    /// A policy the specification does not allow (400 `BadParameter`); the
    /// message names the property.
    #[error(transparent)]
    InvalidPolicy(#[from] crate::policy::PolicyError),

    /// The policy names an issuer whose name is not valid (400 `BadParameter`).
    #[error("The issuer name is invalid: {0}")]
    InvalidIssuerName(InvalidName),

    /// The policy names an issuer that is not registered (400 `BadParameter`).
    #[error("The issuer {name} is not registered in this key vault.")]
    UnknownIssuer {
        /// The issuer name.
        name: IssuerName,
    },

    /// A create, import or merge on a soft-deleted name (409 `Conflict`, with
    /// innererror `ObjectIsDeletedButRecoverable`).
    #[error(
        "Certificate {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the certificate can only be recovered or purged."
    )]
    DeletedButRecoverable {
        /// The certificate name.
        name: CertificateName,
    },

    /// No soft-deleted certificate of that name (404 `CertificateNotFound`).
    #[error("Deleted Certificate not found: {name}")]
    DeletedCertificateNotFound {
        /// The certificate name.
        name: CertificateName,
    },

    /// A purge where the vault's recovery level allows none (403 `Forbidden`).
    #[error(
        "Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed."
    )]
    PurgeForbidden,

    /// A failure reported by a provider has an empty or overlong code, or an
    /// overlong message (400 `BadParameter`).
    #[error("The provider's failure is invalid: {reason}")]
    InvalidFailure {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A policy whose key properties cannot become a key (400 `BadParameter`).
    #[error("The certificate policy is invalid: {0}")]
    InvalidKeyRequest(#[from] InvalidKeyRequest),

    /// An import the key holder cannot read, or of a content type it does
    /// not take (400 `BadParameter`).
    #[error("The certificate to import is invalid: {0}")]
    InvalidImport(String),

    /// The key holder refused (400 `BadParameter`) or failed (500
    /// `InternalError`).
    #[error("{0}")]
    KeyHolder(#[from] KeyHolderError),

    /// A restore of a blob this vault did not make, or one that is corrupt
    /// (400, the service's code and words).
    #[error("Backup blob contains invalid or corrupt version.")]
    MalformedBackup,

    /// A restore onto a name that holds a certificate, live or deleted (409
    /// `Conflict`). Over the wire the message names the certificate's id.
    #[error(
        "There was a conflict restoring the certificate '{name}/{version}'. This can happen if either: a certificate with this name already exists in the vault, or a deleted certificate with this name has not been purged yet."
    )]
    RestoreConflict {
        /// The certificate name.
        name: CertificateName,
        /// The backed-up certificate's latest version.
        version: VersionId,
    },
}

/// Why a provider outcome is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StaleReason {
    /// The name has no pending object.
    #[error("there is no pending certificate")]
    NoPending,
    /// The pending object is for another request (this one was overwritten).
    #[error("it answers a request that has been replaced")]
    Superseded,
    /// The request already left `inProgress`.
    #[error("the request is already {0}")]
    Settled(StatusKind),
    /// A `Self` signing reported for a request that is not `Self`.
    #[error("it is not a Self request")]
    NotSelfSigned,
}

/// The message of a refused chain: the service's own words where they are
/// known, else the chain error after `The x5c chain is invalid: `.
fn chain_message(error: &ChainError) -> String {
    match error {
        ChainError::LeafKeyMismatch | ChainError::Empty => error.to_string(),
        ChainError::Base64 { .. } | ChainError::Malformed { .. } => {
            format!("{} ({error})", ChainError::Empty)
        }
        other => format!("The x5c chain is invalid: {other}"),
    }
}

impl OperationError {
    /// The HTTP status the service answers with.
    pub fn status(&self) -> u16 {
        use OperationError::*;
        match self {
            InProgress => 409,
            MergeForbidden { .. } => 403,
            PendingNotFound { .. } => 404,
            PendingNotFoundForChange { .. } => 404,
            NotInProgress { .. } => 400,
            AlreadyCompleted { .. } => 409,
            Conflict { .. } => 409,
            ConflictOnDelete { .. } => 409,
            StaleOutcome { .. } => 409,
            CertificateNotFound { .. } => 404,
            VersionNotFound { .. } => 404,
            InvalidCsr(_) => 400,
            InvalidChain(_) => 400,
            InvalidPolicy(_) => 400,
            InvalidIssuerName(_) => 400,
            UnknownIssuer { .. } => 400,
            InvalidFailure { .. } => 400,
            DeletedButRecoverable { .. } => 409,
            DeletedCertificateNotFound { .. } => 404,
            PurgeForbidden => 403,
            InvalidKeyRequest(_) => 400,
            InvalidImport(_) => 400,
            KeyHolder(KeyHolderError::Rejected(_)) => 400,
            KeyHolder(_) => 500,
            MalformedBackup => 400,
            RestoreConflict { .. } => 409,
        }
    }

    /// The service error code (`error.code` on the wire).
    pub fn code(&self) -> &'static str {
        use OperationError::*;
        match self {
            InProgress => "Forbidden",
            MergeForbidden { .. } => "Forbidden",
            PendingNotFound { .. } => "PendingCertificateNotFound",
            PendingNotFoundForChange { .. } => "PendingCertificateNotFound",
            NotInProgress { .. } => "BadParameter",
            AlreadyCompleted { .. } => "Conflict",
            Conflict { .. } => "Conflict",
            ConflictOnDelete { .. } => "Conflict",
            StaleOutcome { .. } => "Conflict",
            CertificateNotFound { .. } => "CertificateNotFound",
            VersionNotFound { .. } => "CertificateNotFound",
            InvalidCsr(_) => "BadParameter",
            InvalidChain(_) => "BadParameter",
            InvalidPolicy(_) => "BadParameter",
            InvalidIssuerName(_) => "BadParameter",
            UnknownIssuer { .. } => "BadParameter",
            InvalidFailure { .. } => "BadParameter",
            DeletedButRecoverable { .. } => "Conflict",
            DeletedCertificateNotFound { .. } => "CertificateNotFound",
            PurgeForbidden => "Forbidden",
            InvalidKeyRequest(_) => "BadParameter",
            InvalidImport(_) => "BadParameter",
            KeyHolder(KeyHolderError::Rejected(_)) => "BadParameter",
            KeyHolder(_) => "InternalError",
            MalformedBackup => "Malformed backup blob",
            RestoreConflict { .. } => "Conflict",
        }
    }

    /// The more specific code the service sends as `innererror.code`, where
    /// it sends one.
    pub fn inner_code(&self) -> Option<&'static str> {
        match self {
            OperationError::DeletedButRecoverable { .. } => Some("ObjectIsDeletedButRecoverable"),
            _ => None,
        }
    }

    /// The message (`error.message` on the wire).
    pub fn message(&self) -> String {
        self.to_string()
    }
}
