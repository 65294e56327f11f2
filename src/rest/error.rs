//! Why a request was refused: the state machine's refusals and the surface's
//! own, each with one HTTP status and one service error code.

use crate::error::OperationError;
use crate::keys::{InvalidKeyRequest, KeyHolderError};
use crate::limits::MAX_BODY_LEN;
use crate::name::{InvalidName, IssuerName};
use crate::wire::{ErrorBody, ErrorDetail, InnerError};
use crate::x5c;

use super::Response;
use super::body::property_message;

/// Why a request was refused before or besides the state machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RestError {
    /// Refused by the state machine.
    #[error(transparent)]
    Operation(#[from] OperationError),
    /// No such route (404 `NotFound`).
    #[error("The requested path {path} does not exist.")]
    RouteNotFound {
        /// The path asked for.
        path: String,
    },
    /// The route exists but not with this method (405 `MethodNotAllowed`).
    #[error("The method {method} is not allowed on this path; allowed: {allow}.")]
    MethodNotAllowed {
        /// The method used.
        method: String,
        /// The methods allowed, comma-separated.
        allow: String,
    },
    /// No `api-version` query parameter (400 `BadParameter`).
    #[error("The api-version query parameter is required.")]
    MissingApiVersion,
    /// A query string that cannot be read (400 `BadParameter`).
    #[error("The query string is invalid: {0}")]
    InvalidQuery(String),
    /// A `request_id` that is not 32 hex digits (400 `BadParameter`).
    #[error("The request_id must be 32 hexadecimal digits.")]
    InvalidRequestId,
    /// An invalid certificate or issuer name (400 `BadParameter`).
    #[error("The name {name:?} is invalid: {reason}")]
    InvalidName {
        /// The name as given (cut to 140 characters).
        name: String,
        /// Why.
        reason: InvalidName,
    },
    /// A body that is not the JSON the route takes (400 `BadParameter`).
    #[error("The request body is invalid: {0}")]
    InvalidBody(String),
    /// No body where the route takes one (400 `BadParameter`); the message is
    /// the service's.
    #[error("Request body not specified")]
    BodyMissing,
    /// A member of the body of the wrong type, or a required one missing
    /// (400 `BadParameter`).
    #[error("{}", property_message(path, expected))]
    InvalidProperty {
        /// The member's path, e.g. `policy.x509_props.validity_months`.
        path: String,
        /// What it must be (`required` when it is missing).
        expected: &'static str,
    },
    /// A body over [`MAX_BODY_LEN`] (413 `RequestEntityTooLarge`).
    #[error("The request body has {len} bytes; at most {MAX_BODY_LEN} are allowed.")]
    BodyTooLarge {
        /// Its length.
        len: usize,
    },
    /// A request over one of the bounds in [`crate::limits`] (400 `BadParameter`).
    #[error("The request exceeds a limit: {what} (at most {limit}).")]
    LimitExceeded {
        /// What is too large.
        what: &'static str,
        /// The bound.
        limit: usize,
    },
    /// No such issuer (404 `CertificateIssuerNotFound`); the message is the
    /// service's, without the name.
    #[error("Issuer not found")]
    IssuerNotFound {
        /// The issuer name.
        name: IssuerName,
    },
    /// No secret of that name or version (404 `SecretNotFound`).
    #[error(
        "A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
    )]
    SecretNotFound {
        /// The name (and `/version`) asked for.
        name: String,
    },
    /// No key of that name or version (404 `KeyNotFound`).
    #[error(
        "A key with (name/id) {name} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
    )]
    KeyNotFound {
        /// The name (and `/version`) asked for.
        name: String,
    },
    /// A get of a disabled secret or key — the placeholder of a pending
    /// certificate, or a version disabled by an update (403 `Forbidden`,
    /// innererror `SecretDisabled` or `KeyDisabled`).
    #[error("Operation get is not allowed on a disabled {what}.")]
    Disabled {
        /// `secret` or `key`.
        what: &'static str,
    },
    /// A restore onto a name that holds a certificate, live or deleted (409
    /// `Conflict`).
    #[error(
        "There was a conflict restoring the certificate '{id}'. This can happen if either: a certificate with this name already exists in the vault, or a deleted certificate with this name has not been purged yet."
    )]
    RestoreConflict {
        /// The backed-up certificate's id.
        id: String,
    },
    /// No certificate contacts are set (404 `ContactsNotFound`).
    #[error("Contacts not found")]
    ContactsNotFound,
}

impl From<KeyHolderError> for RestError {
    fn from(error: KeyHolderError) -> Self {
        RestError::Operation(OperationError::KeyHolder(error))
    }
}

impl From<InvalidKeyRequest> for RestError {
    fn from(error: InvalidKeyRequest) -> Self {
        RestError::Operation(OperationError::InvalidKeyRequest(error))
    }
}

impl From<x5c::ChainError> for RestError {
    fn from(error: x5c::ChainError) -> Self {
        RestError::Operation(OperationError::InvalidChain(error))
    }
}

impl RestError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            RestError::Operation(e) => e.status(),
            RestError::RouteNotFound { .. } => 404,
            RestError::MethodNotAllowed { .. } => 405,
            RestError::MissingApiVersion => 400,
            RestError::InvalidQuery(_) => 400,
            RestError::InvalidRequestId => 400,
            RestError::InvalidName { .. } => 400,
            RestError::InvalidBody(_) => 400,
            RestError::BodyMissing => 400,
            RestError::InvalidProperty { .. } => 400,
            RestError::BodyTooLarge { .. } => 413,
            RestError::LimitExceeded { .. } => 400,
            RestError::IssuerNotFound { .. } => 404,
            RestError::SecretNotFound { .. } => 404,
            RestError::KeyNotFound { .. } => 404,
            RestError::Disabled { .. } => 403,
            RestError::ContactsNotFound => 404,
            RestError::RestoreConflict { .. } => 409,
        }
    }

    /// The service error code.
    pub fn code(&self) -> &'static str {
        match self {
            RestError::Operation(e) => e.code(),
            RestError::RouteNotFound { .. } => "NotFound",
            RestError::MethodNotAllowed { .. } => "MethodNotAllowed",
            RestError::MissingApiVersion => "BadParameter",
            RestError::InvalidQuery(_) => "BadParameter",
            RestError::InvalidRequestId => "BadParameter",
            RestError::InvalidName { .. } => "BadParameter",
            RestError::InvalidBody(_) => "BadParameter",
            RestError::BodyMissing => "BadParameter",
            RestError::InvalidProperty { .. } => "BadParameter",
            RestError::BodyTooLarge { .. } => "RequestEntityTooLarge",
            RestError::LimitExceeded { .. } => "BadParameter",
            RestError::IssuerNotFound { .. } => "CertificateIssuerNotFound",
            RestError::SecretNotFound { .. } => "SecretNotFound",
            RestError::KeyNotFound { .. } => "KeyNotFound",
            RestError::Disabled { .. } => "Forbidden",
            RestError::ContactsNotFound => "ContactsNotFound",
            RestError::RestoreConflict { .. } => "Conflict",
        }
    }

    /// The service's `innererror.code`, where it sends one.
    pub fn inner_code(&self) -> Option<&'static str> {
        match self {
            RestError::Operation(e) => e.inner_code(),
            RestError::Disabled { what: "secret" } => Some("SecretDisabled"),
            RestError::Disabled { .. } => Some("KeyDisabled"),
            _ => None,
        }
    }

    /// The answer: `{"error":{"code","message"}}` with the status (and
    /// `Allow` on 405).
    pub fn response(&self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                innererror: self
                    .inner_code()
                    .map(|code| Box::new(InnerError { code: code.to_owned(), message: String::new() })),
            },
        };
        let mut response = Response::json(self.status(), &body);
        if let RestError::MethodNotAllowed { allow, .. } = self {
            response.headers.push(("Allow", allow.clone()));
        }
        response
    }
}
