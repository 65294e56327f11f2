//! The REST surface as a pure function: a request (method, path with query,
//! body bytes) in, a response (status, headers, body bytes) out, exactly as the
//! service answers. This is the only module that knows routes, query strings
//! and JSON bytes. Any HTTP server or test double becomes a Key Vault
//! certificate-operations endpoint by forwarding requests to [`handle`].
//!
//! | method | path | success | refusals |
//! |---|---|---|---|
//! | `POST` | `/certificates/{name}/create` | 202, `Location`, `Retry-After: 10` | 400, 409 |
//! | `GET` | `/certificates/{name}/pending` | 200 (`Retry-After: 10` while `inProgress`) | 400, 404 |
//! | `PATCH` | `/certificates/{name}/pending` | 200 | 400, 404 |
//! | `DELETE` | `/certificates/{name}/pending` | 200 | 400, 404 |
//! | `POST` | `/certificates/{name}/pending/merge` | 201, `Location` | 400, 403, 404, 409 |
//! | `POST` | `/certificates/{name}/import` | 200 | 400, 409 |
//! | `GET` | `/certificates/{name}[/]`, `/certificates/{name}/{version}` | 200 | 400, 404 |
//! | `PUT`, `GET`, `DELETE` | `/certificates/issuers/{issuer}` | 200 | 400, 404 |
//!
//! Every route needs `api-version`; `request_id` (32 hex digits) is optional on
//! the pending routes. Every refusal has the body `{"error":{"code","message"}}`
//! and changes nothing.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::certificate::{CreateRequest, Effect};
use crate::error::OperationError;
use crate::ids::{IdGenerator, RequestId, VersionId};
use crate::keys::{ImportContent, ImportFormat, InvalidKeyRequest, KeyHolder, KeyHolderError, KeyRequest};
use crate::name::{CertificateName, InvalidName, IssuerMode, IssuerName};
use crate::policy::Attributes;
use crate::vault::{Issuer, Vault};
use crate::wire::{
    BundleView, CertificateBundle, CertificateCreateParameters, CertificateImportParameters,
    CertificateMergeParameters, CertificateOperation, CertificateOperationUpdateParameter, ErrorBody, ErrorDetail,
};
use crate::x5c;

use crate::limits;
pub use crate::limits::MAX_BODY_LEN;
use crate::schema;

/// `Retry-After` sent with a pending object in progress, in seconds.
pub const RETRY_AFTER_SECONDS: u32 = 10;

/// A request, as an HTTP server received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// `GET`, `POST`, `PATCH`, `PUT`, `DELETE`.
    pub method: &'a str,
    /// The path with its query string, e.g. `/certificates/c1/pending?api-version=7.5`.
    pub target: &'a str,
    /// The body bytes (empty when none).
    pub body: &'a [u8],
}

/// A response to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers, in order (`Content-Type` always, `Location` and `Retry-After`
    /// where the service sends them, `Allow` on 405).
    pub headers: Vec<(&'static str, String)>,
    /// JSON body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The value of a header, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What [`handle`] produced: the response, and what the embedder must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// The response to send.
    pub response: Response,
    /// Effects to carry out, with the certificate name each concerns.
    pub effects: Vec<(CertificateName, Effect)>,
    /// What the request changed, for an embedder that persists each name.
    pub changed: Option<Changed>,
}

/// What a successful write changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// A certificate name's aggregate (see [`Vault::load`]).
    Certificate(CertificateName),
    /// A registered issuer, set or removed (see [`Vault::issuer`]).
    Issuer(IssuerName),
}

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
        allow: &'static str,
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
    /// A policy that cannot become a key (400 `BadParameter`).
    #[error("The certificate policy is invalid: {0}")]
    InvalidPolicy(#[from] InvalidKeyRequest),
    /// An import that cannot be read (400 `BadParameter`).
    #[error("The certificate to import is invalid: {0}")]
    InvalidImport(String),
    /// No such issuer (404 `CertificateIssuerNotFound`); the message is the
    /// service's, without the name.
    #[error("Issuer not found")]
    IssuerNotFound {
        /// The issuer name.
        name: IssuerName,
    },
    /// The key holder refused (400 `BadParameter`) or failed (500 `InternalError`).
    #[error("{0}")]
    KeyHolder(#[from] KeyHolderError),
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
            RestError::InvalidPolicy(_) => 400,
            RestError::InvalidImport(_) => 400,
            RestError::IssuerNotFound { .. } => 404,
            RestError::KeyHolder(KeyHolderError::Rejected(_)) => 400,
            RestError::KeyHolder(_) => 500,
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
            RestError::InvalidPolicy(_) => "BadParameter",
            RestError::InvalidImport(_) => "BadParameter",
            RestError::IssuerNotFound { .. } => "CertificateIssuerNotFound",
            RestError::KeyHolder(KeyHolderError::Rejected(_)) => "BadParameter",
            RestError::KeyHolder(_) => "InternalError",
        }
    }

    fn response(&self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail { code: self.code().to_owned(), message: self.to_string(), innererror: None },
        };
        let mut response = json_response(self.status(), &body);
        if let RestError::MethodNotAllowed { allow, .. } = self {
            response.headers.push(("Allow", (*allow).to_owned()));
        }
        response
    }
}

/// The service version this surface reports in `x-ms-keyvault-service-version`.
pub const SERVICE_VERSION: &str = "1.9.713.1";

/// Headers the service sends on every answer, besides `Content-Type`. The
/// per-request ones (`x-ms-request-id`, the echo of `x-ms-client-request-id`,
/// `x-ms-keyvault-network-info`) need a random source or the connection and
/// are the embedder's.
pub const COMMON_HEADERS: [(&str, &str); 6] = [
    ("Cache-Control", "no-cache"),
    ("Pragma", "no-cache"),
    ("Expires", "-1"),
    ("Strict-Transport-Security", "max-age=31536000;includeSubDomains"),
    ("X-Content-Type-Options", "nosniff"),
    ("x-ms-keyvault-service-version", SERVICE_VERSION),
];

fn json_response(status: u16, body: &impl Serialize) -> Response {
    // Serializing these plain structs cannot fail; an empty object is the
    // fallback that keeps this free of panics.
    let body = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut headers = vec![("Content-Type", "application/json; charset=utf-8".to_owned())];
    headers.extend(COMMON_HEADERS.iter().map(|&(name, value)| (name, value.to_owned())));
    Response { status, headers, body }
}

/// The query parameters this surface reads.
struct Query {
    api_version: String,
    request_id: Option<RequestId>,
}

fn percent_decode(text: &str) -> Result<String, RestError> {
    let bad = || RestError::InvalidQuery(format!("{text:?} is not percent-encoded UTF-8"));
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hi = bytes.next().and_then(|h| (h as char).to_digit(16)).ok_or_else(bad)?;
                let lo = bytes.next().and_then(|l| (l as char).to_digit(16)).ok_or_else(bad)?;
                out.push(u8::try_from(hi * 16 + lo).map_err(|_| bad())?);
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

fn parse_query(query: &str) -> Result<Query, RestError> {
    let mut api_version = None;
    let mut request_id = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match percent_decode(key)?.as_str() {
            "api-version" => api_version = Some(percent_decode(value)?),
            "request_id" => {
                let value = percent_decode(value)?;
                request_id = Some(RequestId::parse(&value).map_err(|_| RestError::InvalidRequestId)?);
            }
            _ => {}
        }
    }
    let api_version = api_version.filter(|v| !v.is_empty()).ok_or(RestError::MissingApiVersion)?;
    Ok(Query { api_version, request_id })
}

fn certificate_name(text: &str) -> Result<CertificateName, RestError> {
    CertificateName::new(text)
        .map_err(|reason| RestError::InvalidName { name: text.chars().take(140).collect(), reason })
}

fn issuer_name(text: &str) -> Result<IssuerName, RestError> {
    IssuerName::new(text).map_err(|reason| RestError::InvalidName { name: text.chars().take(140).collect(), reason })
}

fn property_message(path: &str, expected: &str) -> String {
    if expected == "required" {
        format!("Property {path} is required.")
    } else {
        format!("Property {path} has invalid value: it must be {expected}.")
    }
}

/// Reads a body of the shape `shape` (the specification's) into `T`: empty
/// is the service's `Request body not specified`, a member of the wrong type
/// names its path, and unknown members are ignored.
fn json_body<T: DeserializeOwned>(body: &[u8], shape: schema::Shape) -> Result<T, RestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(RestError::BodyMissing);
    }
    if limits::json_nesting_exceeds(body, limits::MAX_JSON_DEPTH) {
        return Err(RestError::LimitExceeded { what: "JSON nesting depth", limit: limits::MAX_JSON_DEPTH });
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| RestError::InvalidBody(e.to_string()))?;
    schema::check(&value, shape).map_err(|e| RestError::InvalidProperty { path: e.path, expected: e.expected })?;
    // Decoded again from the bytes, not the value: a duplicated member is
    // refused rather than silently read as its last occurrence.
    serde_json::from_slice(body).map_err(|e| RestError::InvalidBody(e.to_string()))
}

fn check_tags(tags: Option<&std::collections::BTreeMap<String, String>>) -> Result<(), RestError> {
    let Some(tags) = tags else { return Ok(()) };
    if tags.len() > limits::MAX_TAGS {
        return Err(RestError::LimitExceeded { what: "tags", limit: limits::MAX_TAGS });
    }
    for (name, value) in tags {
        if name.chars().count() > limits::MAX_TAG_NAME_LEN {
            return Err(RestError::LimitExceeded { what: "tag name length", limit: limits::MAX_TAG_NAME_LEN });
        }
        if value.chars().count() > limits::MAX_TAG_VALUE_LEN {
            return Err(RestError::LimitExceeded { what: "tag value length", limit: limits::MAX_TAG_VALUE_LEN });
        }
    }
    Ok(())
}

/// Every string of a policy or issuer bundle is bounded, and so is every list.
fn check_strings(value: &impl Serialize) -> Result<(), RestError> {
    fn walk(value: &serde_json::Value) -> Result<(), RestError> {
        match value {
            serde_json::Value::String(s) if s.chars().count() > limits::MAX_POLICY_STRING_LEN => {
                Err(RestError::LimitExceeded { what: "string length", limit: limits::MAX_POLICY_STRING_LEN })
            }
            serde_json::Value::Array(items) if items.len() > limits::MAX_POLICY_LIST_LEN => {
                Err(RestError::LimitExceeded { what: "list length", limit: limits::MAX_POLICY_LIST_LEN })
            }
            serde_json::Value::Array(items) => items.iter().try_for_each(walk),
            serde_json::Value::Object(fields) => fields.values().try_for_each(walk),
            _ => Ok(()),
        }
    }
    walk(&serde_json::to_value(value).map_err(|e| RestError::InvalidBody(e.to_string()))?)
}

/// The routes, by shape of path.
enum Route<'a> {
    Create(&'a str),
    Import(&'a str),
    Pending(&'a str),
    Merge(&'a str),
    Certificate(&'a str, Option<&'a str>),
    Issuer(&'a str),
}

fn route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix("/certificates/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    Some(match segments.as_slice() {
        ["issuers", issuer] => Route::Issuer(issuer),
        [name] | [name, ""] => Route::Certificate(name, None),
        [name, "create"] => Route::Create(name),
        [name, "import"] => Route::Import(name),
        [name, "pending"] => Route::Pending(name),
        [name, "pending", "merge"] => Route::Merge(name),
        [name, version] => Route::Certificate(name, Some(version)),
        _ => return None,
    })
}

/// Everything a request handler reaches.
struct Context<'a, K, G> {
    vault: &'a mut Vault,
    keys: &'a mut K,
    ids: &'a mut G,
    now: OffsetDateTime,
    effects: Vec<(CertificateName, Effect)>,
}

/// What a write to `route` changes, if it succeeds; reads change nothing.
fn changed_by(route: &Route<'_>, method: &str) -> Option<Changed> {
    match (route, method) {
        (Route::Issuer(name), "PUT" | "PATCH" | "DELETE") => IssuerName::new(name).ok().map(Changed::Issuer),
        (Route::Create(name) | Route::Import(name) | Route::Merge(name), "POST")
        | (Route::Pending(name), "PATCH" | "DELETE") => CertificateName::new(name).ok().map(Changed::Certificate),
        _ => None,
    }
}

/// Answers one request. Nothing changes unless the response is a 2xx.
pub fn handle(
    vault: &mut Vault,
    keys: &mut impl KeyHolder,
    ids: &mut impl IdGenerator,
    now: OffsetDateTime,
    request: Request<'_>,
) -> Handled {
    let mut context = Context { vault, keys, ids, now, effects: Vec::new() };
    match context.dispatch(request) {
        Ok(response) => {
            let (path, _) = request.target.split_once('?').unwrap_or((request.target, ""));
            let changed = route(path).and_then(|route| changed_by(&route, request.method));
            Handled { response, effects: context.effects, changed }
        }
        Err(error) => Handled { response: error.response(), effects: Vec::new(), changed: None },
    }
}

impl<K: KeyHolder, G: IdGenerator> Context<'_, K, G> {
    fn dispatch(&mut self, request: Request<'_>) -> Result<Response, RestError> {
        if request.body.len() > MAX_BODY_LEN {
            return Err(RestError::BodyTooLarge { len: request.body.len() });
        }
        if request.target.len() > limits::MAX_TARGET_LEN {
            return Err(RestError::LimitExceeded { what: "request path length", limit: limits::MAX_TARGET_LEN });
        }
        let (path, query) = request.target.split_once('?').unwrap_or((request.target, ""));
        let route = route(path).ok_or_else(|| RestError::RouteNotFound { path: path.chars().take(300).collect() })?;
        let method = request.method;
        let not_allowed = |allow| Err(RestError::MethodNotAllowed { method: method.chars().take(16).collect(), allow });
        let body = request.body;
        match (route, method) {
            (Route::Create(name), "POST") => self.create(certificate_name(name)?, parse_query(query)?, body),
            (Route::Create(_), _) => not_allowed("POST"),
            (Route::Import(name), "POST") => self.import(certificate_name(name)?, parse_query(query)?, body),
            (Route::Import(_), _) => not_allowed("POST"),
            (Route::Pending(name), "GET") => self.get_pending(certificate_name(name)?, parse_query(query)?),
            (Route::Pending(name), "PATCH") => self.update_pending(certificate_name(name)?, parse_query(query)?, body),
            (Route::Pending(name), "DELETE") => self.delete_pending(certificate_name(name)?, parse_query(query)?),
            (Route::Pending(_), _) => not_allowed("GET, PATCH, DELETE"),
            (Route::Merge(name), "POST") => self.merge(certificate_name(name)?, parse_query(query)?, body),
            (Route::Merge(_), _) => not_allowed("POST"),
            (Route::Certificate(name, version), "GET") => {
                self.get_certificate(certificate_name(name)?, version, parse_query(query)?)
            }
            (Route::Certificate(..), _) => not_allowed("GET"),
            (Route::Issuer(name), "PUT") => self.set_issuer(issuer_name(name)?, parse_query(query)?, body),
            (Route::Issuer(name), "GET") => self.get_issuer(issuer_name(name)?, parse_query(query)?),
            (Route::Issuer(name), "PATCH") => self.update_issuer(issuer_name(name)?, parse_query(query)?, body),
            (Route::Issuer(name), "DELETE") => self.delete_issuer(issuer_name(name)?, parse_query(query)?),
            (Route::Issuer(_), _) => not_allowed("PUT, GET, PATCH, DELETE"),
        }
    }

    fn pending_response(&self, name: &CertificateName, status: u16) -> Result<Response, RestError> {
        let pending = self.vault.pending(name, None)?;
        let mut response = json_response(status, &CertificateOperation::from_pending(self.vault.url(), name, pending));
        if pending.is_in_progress() {
            response.headers.push(("Retry-After", RETRY_AFTER_SECONDS.to_string()));
        }
        Ok(response)
    }

    fn bundle(
        &self,
        name: &CertificateName,
        version: Option<VersionId>,
        view: BundleView,
    ) -> Result<CertificateBundle, RestError> {
        let version_found = self.vault.certificate(name, version)?;
        let (_, certificate) =
            self.vault.load(name).ok_or_else(|| OperationError::CertificateNotFound { name: name.clone() })?;
        Ok(CertificateBundle::render(self.vault.url(), certificate, version_found, view, self.vault.recovery()))
    }

    fn create(&mut self, name: CertificateName, query: Query, body: &[u8]) -> Result<Response, RestError> {
        let params: CertificateCreateParameters = json_body(body, schema::CREATE)?;
        check_tags(params.tags.as_ref())?;
        let policy = params.policy.unwrap_or_default();
        check_strings(&policy)?;
        // Every refusal the vault would give is given before a key is made.
        self.vault.check_create(&name, &policy)?;
        let key_request = KeyRequest::from_policy(&policy)?;
        let csr = self.keys.create_key(&name, &key_request)?;
        let request = CreateRequest { csr, policy, preserve_cert_order: params.preserve_cert_order.unwrap_or(false) };
        let effect = self.vault.create(&name, request, self.now, self.ids)?;
        let pending = self.vault.pending(&name, None)?;
        let location = format!(
            "{}?api-version={}&request_id={}",
            self.vault.url().pending_id(&name),
            query.api_version,
            pending.request_id()
        );
        let mut response = json_response(202, &CertificateOperation::from_pending(self.vault.url(), &name, pending));
        response.headers.push(("Location", location));
        response.headers.push(("Retry-After", RETRY_AFTER_SECONDS.to_string()));
        // `Self` is an issuer whose provider is the key holder: the embedder
        // signs later (`Vault::sign_self`), as the service takes its time.
        if let Some(effect) = effect {
            self.effects.push((name, effect));
        }
        Ok(response)
    }

    fn get_pending(&mut self, name: CertificateName, query: Query) -> Result<Response, RestError> {
        self.vault.pending(&name, query.request_id)?;
        self.pending_response(&name, 200)
    }

    fn update_pending(&mut self, name: CertificateName, query: Query, body: &[u8]) -> Result<Response, RestError> {
        let update: CertificateOperationUpdateParameter = json_body(body, schema::OPERATION_UPDATE)?;
        let effect = self.vault.update_pending(&name, query.request_id, update.cancellation_requested, self.now)?;
        if let Some(effect) = effect {
            self.effects.push((name.clone(), effect));
        }
        // The service sends no `Retry-After` on the PATCH answer.
        let pending = self.vault.pending(&name, None)?;
        Ok(json_response(200, &CertificateOperation::from_pending(self.vault.url(), &name, pending)))
    }

    fn delete_pending(&mut self, name: CertificateName, query: Query) -> Result<Response, RestError> {
        let (deleted, effect) = self.vault.delete_pending(&name, query.request_id, self.now)?;
        let response = json_response(200, &CertificateOperation::from_pending(self.vault.url(), &name, &deleted));
        if let Some(effect) = effect {
            self.effects.push((name, effect));
        }
        Ok(response)
    }

    fn merge(&mut self, name: CertificateName, query: Query, body: &[u8]) -> Result<Response, RestError> {
        let params: CertificateMergeParameters = match json_body(body, schema::MERGE) {
            Err(RestError::InvalidProperty { path, expected: "required" }) if path == "x5c" => {
                return Err(x5c::ChainError::Empty.into());
            }
            other => other?,
        };
        check_tags(params.tags.as_ref())?;
        // The state decides first (403, 404, 409), then the chain (400).
        self.vault.check_merge(&name)?;
        let der = x5c::decode(&params.x5c, &self.vault.chain_options().limits)?;
        let version = self.vault.merge(&name, &der, self.now, self.ids)?;
        let mut response = json_response(201, &self.bundle(&name, Some(version), BundleView::Latest)?);
        let location = format!("{}?api-version={}", self.vault.url().certificate_base(&name), query.api_version);
        response.headers.push(("Location", location));
        Ok(response)
    }

    fn import(&mut self, name: CertificateName, _query: Query, body: &[u8]) -> Result<Response, RestError> {
        let params: CertificateImportParameters = json_body(body, schema::IMPORT)?;
        check_tags(params.tags.as_ref())?;
        if let Some(policy) = &params.policy {
            check_strings(policy)?;
        }
        self.vault.check_import(&name, params.policy.as_ref())?;
        let content_type =
            params.policy.as_ref().and_then(|p| p.secret_props.as_ref()).and_then(|s| s.content_type.as_deref());
        let format = ImportFormat::from_content_type(content_type).ok_or_else(|| {
            RestError::InvalidImport(format!("content type {:?} is not supported", content_type.unwrap_or_default()))
        })?;
        let content = ImportContent { value: &params.value, password: params.pwd.as_deref(), format };
        let imported = self.keys.import(&name, &content).map_err(|e| match e {
            KeyHolderError::Rejected(m) => RestError::InvalidImport(m),
            other => RestError::KeyHolder(other),
        })?;
        let (certificates, spki) = (imported.certificates, imported.public_key);
        let version = match self.vault.import(&name, &certificates, Some(&spki), params.policy, self.now, self.ids) {
            Ok(version) => version,
            Err(error) => {
                self.keys.discard(&spki);
                return Err(error.into());
            }
        };
        Ok(json_response(200, &self.bundle(&name, Some(version), BundleView::Latest)?))
    }

    fn get_certificate(
        &mut self,
        name: CertificateName,
        version: Option<&str>,
        _query: Query,
    ) -> Result<Response, RestError> {
        let version = match version {
            None => None,
            Some(text) => Some(VersionId::parse(text).map_err(|_| OperationError::VersionNotFound {
                name: name.clone(),
                version: text.chars().take(64).collect(),
            })?),
        };
        let view = if version.is_some() { BundleView::ByVersion } else { BundleView::Latest };
        Ok(json_response(200, &self.bundle(&name, version, view)?))
    }

    fn issuer_response(&self, name: &IssuerName, issuer: &Issuer) -> Response {
        json_response(200, &IssuerBundle::from_issuer(self.vault.url().issuer_id(name), issuer))
    }

    fn set_issuer(&mut self, name: IssuerName, _query: Query, body: &[u8]) -> Result<Response, RestError> {
        let bundle: IssuerBundle = json_body(body, schema::ISSUER_SET)?;
        check_strings(&bundle)?;
        if name.mode() != IssuerMode::Provider {
            return Err(RestError::InvalidBody(format!("{name} is reserved and cannot be registered")));
        }
        let provider = bundle
            .provider
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| RestError::InvalidBody("provider is required".into()))?;
        let now = self.now.unix_timestamp();
        let created = self.vault.issuer(&name).map_or(now, |existing| existing.created);
        let issuer = Issuer {
            provider,
            account_id: bundle.credentials.and_then(|c| c.account_id),
            organization: bundle.org_details,
            enabled: bundle.attributes.and_then(|a| a.enabled).unwrap_or(true),
            created,
            updated: now,
        };
        let response = self.issuer_response(&name, &issuer);
        self.vault.set_issuer(name, issuer);
        Ok(response)
    }

    /// `PATCH /certificates/issuers/{name}`: the members given replace the
    /// issuer's, the others are kept.
    fn update_issuer(&mut self, name: IssuerName, _query: Query, body: &[u8]) -> Result<Response, RestError> {
        let bundle: IssuerBundle = json_body(body, schema::ISSUER_UPDATE)?;
        check_strings(&bundle)?;
        let mut issuer =
            self.vault.issuer(&name).cloned().ok_or_else(|| RestError::IssuerNotFound { name: name.clone() })?;
        if let Some(provider) = bundle.provider {
            if provider.trim().is_empty() {
                return Err(RestError::InvalidProperty { path: "provider".into(), expected: "a provider name" });
            }
            issuer.provider = provider;
        }
        if let Some(account) = bundle.credentials.and_then(|c| c.account_id) {
            issuer.account_id = Some(account);
        }
        if let Some(organization) = bundle.org_details {
            issuer.organization = Some(organization);
        }
        if let Some(enabled) = bundle.attributes.and_then(|a| a.enabled) {
            issuer.enabled = enabled;
        }
        issuer.updated = self.now.unix_timestamp();
        let response = self.issuer_response(&name, &issuer);
        self.vault.set_issuer(name, issuer);
        Ok(response)
    }

    fn get_issuer(&mut self, name: IssuerName, _query: Query) -> Result<Response, RestError> {
        let issuer = self.vault.issuer(&name).ok_or_else(|| RestError::IssuerNotFound { name: name.clone() })?;
        Ok(self.issuer_response(&name, issuer))
    }

    fn delete_issuer(&mut self, name: IssuerName, _query: Query) -> Result<Response, RestError> {
        let issuer = self.vault.remove_issuer(&name).ok_or_else(|| RestError::IssuerNotFound { name: name.clone() })?;
        Ok(self.issuer_response(&name, &issuer))
    }
}

/// An issuer bundle (`PUT`/`GET`/`DELETE /certificates/issuers/{name}`). The
/// account id and the organization details are kept and echoed; the password
/// is taken and never kept or sent back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerBundle {
    /// `{vault}/certificates/issuers/{name}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The provider, e.g. `DigiCert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The account at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<IssuerCredentials>,
    /// The organization at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_details: Option<crate::policy::OrganizationDetails>,
    /// `enabled`, `created`, `updated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
}

/// `credentials` of an issuer bundle.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerCredentials {
    /// The account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The password: read from requests, never sent.
    #[serde(default, skip_serializing)]
    pub pwd: Option<String>,
}

impl std::fmt::Debug for IssuerCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerCredentials").field("account_id", &self.account_id).finish_non_exhaustive()
    }
}

impl IssuerBundle {
    /// What the service answers for a registered issuer.
    pub fn from_issuer(id: String, issuer: &Issuer) -> Self {
        IssuerBundle {
            id: Some(id),
            provider: Some(issuer.provider.clone()),
            credentials: issuer
                .account_id
                .as_ref()
                .map(|account| IssuerCredentials { account_id: Some(account.clone()), pwd: None }),
            org_details: issuer.organization.clone(),
            attributes: Some(Attributes {
                enabled: Some(issuer.enabled),
                created: Some(issuer.created),
                updated: Some(issuer.updated),
                ..Attributes::default()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_read_with_percent_decoding() {
        let q = parse_query("api-version=2026-04-01&request_id=A76827A18B63421C917DA80F28E9913D&x=1").ok();
        let q = q.map(|q| (q.api_version, q.request_id.map(|r| r.to_string())));
        assert_eq!(q, Some(("2026-04-01".into(), Some("a76827a18b63421c917da80f28e9913d".into()))));
        assert!(matches!(parse_query(""), Err(RestError::MissingApiVersion)));
        assert!(matches!(parse_query("api-version="), Err(RestError::MissingApiVersion)));
        assert!(matches!(parse_query("api-version=7.5&request_id=xyz"), Err(RestError::InvalidRequestId)));
        assert!(matches!(parse_query("api-version=%zz"), Err(RestError::InvalidQuery(_))));
        assert!(matches!(parse_query("api-version=%ff"), Err(RestError::InvalidQuery(_))));
    }

    #[test]
    fn routes_by_shape() {
        assert!(matches!(route("/certificates/c1/create"), Some(Route::Create("c1"))));
        assert!(matches!(route("/certificates/c1/"), Some(Route::Certificate("c1", None))));
        assert!(matches!(route("/certificates/issuers/i1"), Some(Route::Issuer("i1"))));
        assert!(matches!(route("/certificates/c1/pending/merge"), Some(Route::Merge("c1"))));
        assert!(route("/certificates/c1/pending/merge/x").is_none());
        assert!(route("/keys/c1").is_none());
    }
}
