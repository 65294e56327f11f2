//! The route table: method and path shape → the operation, named by the REST
//! specification's operation id, with its parameters parsed. The one place
//! that reads methods, paths and query strings.

use crate::error::OperationError;
use crate::ids::RequestId;
use crate::limits;
use crate::name::{CertificateName, IssuerName};
use crate::policy::CertificatePolicy;
use crate::schema;
use crate::wire::{
    CertificateCreateParameters, CertificateImportParameters, CertificateMergeParameters, CertificateUpdateParameters,
    Contacts,
};
use crate::x5c;

use super::body::{check_strings, check_tags, json_body};
use super::error::RestError;
use super::issuers::IssuerBundle;
use super::{MAX_BODY_LEN, Request};

/// A request, parsed: the operation it names and its parameters. Every
/// refusal that needs no stored state has been given.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /certificates/{name}/create`.
    CreateCertificate {
        /// The certificate name.
        name: CertificateName,
        /// The body.
        params: Box<CertificateCreateParameters>,
        /// The registered issuer the policy names, if it names one (what the
        /// decision needs loaded).
        issuer: Option<IssuerName>,
        /// `api-version`, for `Location`.
        api_version: String,
    },
    /// `POST /certificates/{name}/import`.
    ImportCertificate {
        /// The certificate name.
        name: CertificateName,
        /// The body.
        params: Box<CertificateImportParameters>,
    },
    /// `GET /certificates/{name}/pending`.
    GetCertificateOperation {
        /// The certificate name.
        name: CertificateName,
        /// `request_id`, when given.
        request_id: Option<RequestId>,
    },
    /// `PATCH /certificates/{name}/pending`.
    UpdateCertificateOperation {
        /// The certificate name.
        name: CertificateName,
        /// `request_id`, when given.
        request_id: Option<RequestId>,
        /// `cancellation_requested`.
        cancellation_requested: bool,
    },
    /// `DELETE /certificates/{name}/pending`.
    DeleteCertificateOperation {
        /// The certificate name.
        name: CertificateName,
        /// `request_id`, when given.
        request_id: Option<RequestId>,
    },
    /// `POST /certificates/{name}/pending/merge`.
    MergeCertificate {
        /// The certificate name.
        name: CertificateName,
        /// The `x5c` elements as given (decoded after the state's refusals,
        /// as the service orders them, under the vault's limits).
        x5c: Vec<String>,
        /// `api-version`, for `Location`.
        api_version: String,
    },
    /// `GET /certificates/{name}[/{version}]`.
    GetCertificate {
        /// The certificate name.
        name: CertificateName,
        /// The version as given; `None` for the latest.
        version: Option<String>,
    },
    /// `PUT /certificates/issuers/{name}`.
    SetCertificateIssuer {
        /// The issuer name.
        name: IssuerName,
        /// The body.
        bundle: Box<IssuerBundle>,
    },
    /// `PATCH /certificates/issuers/{name}`.
    UpdateCertificateIssuer {
        /// The issuer name.
        name: IssuerName,
        /// The body.
        bundle: Box<IssuerBundle>,
    },
    /// `GET /certificates/issuers/{name}`.
    GetCertificateIssuer {
        /// The issuer name.
        name: IssuerName,
    },
    /// `DELETE /certificates/issuers/{name}`.
    DeleteCertificateIssuer {
        /// The issuer name.
        name: IssuerName,
    },
    /// `GET /certificates/issuers`.
    GetCertificateIssuers {
        /// Paging.
        page: PageQuery,
    },
    /// `GET /certificates`.
    GetCertificates {
        /// Paging.
        page: PageQuery,
    },
    /// `GET /certificates/{name}/versions`.
    GetCertificateVersions {
        /// The certificate name.
        name: CertificateName,
        /// Paging.
        page: PageQuery,
    },
    /// `GET /certificates/{name}/policy`.
    GetCertificatePolicy {
        /// The certificate name.
        name: CertificateName,
    },
    /// `PATCH /certificates/{name}/policy`.
    UpdateCertificatePolicy {
        /// The certificate name.
        name: CertificateName,
        /// The sections to replace.
        policy: Box<CertificatePolicy>,
    },
    /// `PATCH /certificates/{name}/{version}` (no version: the latest).
    UpdateCertificate {
        /// The certificate name.
        name: CertificateName,
        /// The version, as given.
        version: Option<String>,
        /// The body.
        params: Box<CertificateUpdateParameters>,
    },
    /// `DELETE /certificates/{name}`.
    DeleteCertificate {
        /// The certificate name.
        name: CertificateName,
    },
    /// `GET /deletedcertificates`.
    GetDeletedCertificates {
        /// Paging.
        page: PageQuery,
    },
    /// `GET /deletedcertificates/{name}`.
    GetDeletedCertificate {
        /// The certificate name.
        name: CertificateName,
    },
    /// `DELETE /deletedcertificates/{name}`.
    PurgeDeletedCertificate {
        /// The certificate name.
        name: CertificateName,
    },
    /// `POST /deletedcertificates/{name}/recover`.
    RecoverDeletedCertificate {
        /// The certificate name.
        name: CertificateName,
    },
    /// `PUT /certificates/contacts`.
    SetCertificateContacts {
        /// The body.
        contacts: Box<Contacts>,
    },
    /// `GET /certificates/contacts`.
    GetCertificateContacts,
    /// `DELETE /certificates/contacts`.
    DeleteCertificateContacts,
    /// `POST /certificates/{name}/backup`.
    BackupCertificate {
        /// The certificate name.
        name: CertificateName,
    },
    /// `POST /certificates/restore`.
    RestoreCertificate {
        /// The name the backup is of.
        name: CertificateName,
        /// What the backup holds.
        backup: Box<crate::backup::Backup>,
    },
    /// `GET /secrets/{name}[/{version}]`: a certificate's secret.
    GetSecret {
        /// The certificate name.
        name: CertificateName,
        /// The version, as given.
        version: Option<String>,
    },
    /// `GET /keys/{name}[/{version}]`: a certificate's key.
    GetKey {
        /// The certificate name.
        name: CertificateName,
        /// The version, as given.
        version: Option<String>,
    },
}

/// Paging of a listing: `maxresults` and where the previous page ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    /// `maxresults` as given (1 to [`MAX_PAGE`]); `None`: [`MAX_PAGE`].
    pub max_results: Option<usize>,
    /// What the previous page's `$skiptoken` says it ended at.
    pub after: Option<String>,
    /// `api-version`, for `nextLink`.
    pub api_version: String,
    /// `includePending=true`: a listing of certificates shows a name whose
    /// only version is a pending request's placeholder, and a name's
    /// placeholder rather than its newest issued version.
    pub include_pending: bool,
}

/// The most items a page holds, and the largest `maxresults` taken.
pub const MAX_PAGE: usize = 25;

impl PageQuery {
    /// How many items the page holds at most.
    pub fn limit(&self) -> usize {
        self.max_results.unwrap_or(MAX_PAGE)
    }
}

/// One segment of a path shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    /// This text exactly.
    Literal(&'static str),
    /// A certificate name, an issuer name or a version: any one segment.
    Param,
    /// An empty segment (the SDKs' trailing slash), or none.
    OptionalSlash,
}

use Segment::{Literal, OptionalSlash, Param};

/// What a route's parser is given: the path parameters, the query and the body.
struct Parts<'a> {
    params: Vec<&'a str>,
    query: Query,
    body: &'a [u8],
}

type Parse = fn(Parts<'_>) -> Result<Operation, RestError>;

/// The route table: method, path shape (after `/`), parser. A path matching a
/// shape with more literal segments wins; a path that matches a shape but no
/// method is 405 with the methods it takes.
const ROUTES: &[(&str, &[Segment], Parse)] = &[
    ("GET", &[Literal("certificates"), OptionalSlash], list_certificates),
    ("GET", &[Literal("certificates"), Literal("issuers"), OptionalSlash], list_issuers),
    ("PUT", &[Literal("certificates"), Literal("contacts"), OptionalSlash], set_contacts),
    ("GET", &[Literal("certificates"), Literal("contacts"), OptionalSlash], get_contacts),
    ("DELETE", &[Literal("certificates"), Literal("contacts"), OptionalSlash], delete_contacts),
    ("GET", &[Literal("certificates"), Param, Literal("versions")], list_versions),
    ("POST", &[Literal("certificates"), Param, Literal("backup")], backup),
    ("POST", &[Literal("certificates"), Literal("restore")], restore),
    ("GET", &[Literal("certificates"), Param, Literal("policy")], get_policy),
    ("PATCH", &[Literal("certificates"), Param, Literal("policy")], update_policy),
    ("GET", &[Literal("deletedcertificates"), OptionalSlash], list_deleted),
    ("GET", &[Literal("deletedcertificates"), Param, OptionalSlash], get_deleted),
    ("DELETE", &[Literal("deletedcertificates"), Param, OptionalSlash], purge_deleted),
    ("POST", &[Literal("deletedcertificates"), Param, Literal("recover")], recover_deleted),
    ("GET", &[Literal("secrets"), Param, OptionalSlash], get_secret),
    ("GET", &[Literal("secrets"), Param, Param], get_secret_version),
    ("GET", &[Literal("keys"), Param, OptionalSlash], get_key),
    ("GET", &[Literal("keys"), Param, Param], get_key_version),
    ("PUT", &[Literal("certificates"), Literal("issuers"), Param], set_issuer),
    ("PATCH", &[Literal("certificates"), Literal("issuers"), Param], update_issuer),
    ("GET", &[Literal("certificates"), Literal("issuers"), Param], get_issuer),
    ("DELETE", &[Literal("certificates"), Literal("issuers"), Param], delete_issuer),
    ("POST", &[Literal("certificates"), Param, Literal("create")], create),
    ("POST", &[Literal("certificates"), Param, Literal("import")], import),
    ("GET", &[Literal("certificates"), Param, Literal("pending")], get_pending),
    ("PATCH", &[Literal("certificates"), Param, Literal("pending")], update_pending),
    ("DELETE", &[Literal("certificates"), Param, Literal("pending")], delete_pending),
    ("POST", &[Literal("certificates"), Param, Literal("pending"), Literal("merge")], merge),
    ("GET", &[Literal("certificates"), Param, OptionalSlash], get_latest),
    ("PATCH", &[Literal("certificates"), Param, OptionalSlash], update_latest),
    ("DELETE", &[Literal("certificates"), Param, OptionalSlash], delete_certificate),
    ("GET", &[Literal("certificates"), Param, Param], get_version),
    ("PATCH", &[Literal("certificates"), Param, Param], update_version),
];

/// The parameters a path shape binds, if `segments` fit it.
fn fit<'a>(shape: &[Segment], segments: &[&'a str]) -> Option<Vec<&'a str>> {
    let mut params = Vec::new();
    let mut rest = segments;
    for segment in shape {
        match (segment, rest.split_first()) {
            (Literal(text), Some((first, tail))) if first == text => rest = tail,
            // An empty parameter is a name or version of its own, refused as one.
            (Param, Some((first, tail))) => {
                params.push(*first);
                rest = tail;
            }
            (OptionalSlash, Some((&"", tail))) => rest = tail,
            (OptionalSlash, None) => {}
            _ => return None,
        }
    }
    rest.is_empty().then_some(params)
}

fn literals(shape: &[Segment]) -> usize {
    shape.iter().filter(|s| matches!(s, Literal(_))).count()
}

impl Operation {
    /// Reads one request: size bounds, route, query, body.
    pub fn parse(request: Request<'_>) -> Result<Operation, RestError> {
        if request.body.len() > MAX_BODY_LEN {
            return Err(RestError::BodyTooLarge { len: request.body.len() });
        }
        if request.target.len() > limits::MAX_TARGET_LEN {
            return Err(RestError::LimitExceeded { what: "request path length", limit: limits::MAX_TARGET_LEN });
        }
        let (path, query) = request.target.split_once('?').unwrap_or((request.target, ""));
        let not_found = || RestError::RouteNotFound { path: path.chars().take(300).collect() };
        let segments: Vec<&str> = path.strip_prefix('/').ok_or_else(not_found)?.split('/').collect();
        let mut fitting: Vec<(usize, &str, Vec<&str>, Parse)> = ROUTES
            .iter()
            .filter_map(|(method, shape, parse)| fit(shape, &segments).map(|p| (literals(shape), *method, p, *parse)))
            .collect();
        if fitting.is_empty() {
            return Err(not_found());
        }
        // Only the most specific shapes the path fits count; the table's order
        // among them.
        let best = fitting.iter().map(|f| f.0).max().unwrap_or(0);
        fitting.retain(|f| f.0 == best);
        let Some((_, _, params, parse)) = fitting.iter().find(|(_, method, ..)| *method == request.method) else {
            let allow: Vec<&str> = fitting.iter().map(|f| f.1).collect();
            return Err(RestError::MethodNotAllowed {
                method: request.method.chars().take(16).collect(),
                allow: allow_header(&allow),
            });
        };
        parse(Parts { params: params.clone(), query: parse_query(query)?, body: request.body })
    }
}

/// The `Allow` value of a set of methods, in the table's order.
fn allow_header(methods: &[&str]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for method in methods {
        if !seen.contains(method) {
            seen.push(method);
        }
    }
    seen.join(", ")
}

/// The query parameters this surface reads.
pub(super) struct Query {
    pub api_version: String,
    pub request_id: Option<RequestId>,
    pub max_results: Option<String>,
    pub skiptoken: Option<String>,
    pub include_pending: Option<String>,
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// `text` with every byte but the unreserved ones percent-encoded.
pub(super) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(super) fn percent_decode(text: &str) -> Result<String, RestError> {
    let bad = || RestError::InvalidQuery(format!("{text:?} is not percent-encoded UTF-8"));
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hi = bytes.next().and_then(hex_value).ok_or_else(bad)?;
                let lo = bytes.next().and_then(hex_value).ok_or_else(bad)?;
                out.push(hi << 4 | lo);
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

pub(super) fn parse_query(query: &str) -> Result<Query, RestError> {
    let mut api_version = None;
    let mut request_id = None;
    let mut max_results = None;
    let mut skiptoken = None;
    let mut include_pending = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match percent_decode(key)?.as_str() {
            "api-version" => api_version = Some(percent_decode(value)?),
            "request_id" => {
                let value = percent_decode(value)?;
                request_id = Some(RequestId::parse(&value).map_err(|_| RestError::InvalidRequestId)?);
            }
            "maxresults" => max_results = Some(percent_decode(value)?),
            "$skiptoken" => skiptoken = Some(percent_decode(value)?),
            "includePending" => include_pending = Some(percent_decode(value)?),
            _ => {}
        }
    }
    let api_version = api_version.filter(|v| !v.is_empty()).ok_or(RestError::MissingApiVersion)?;
    Ok(Query { api_version, request_id, max_results, skiptoken, include_pending })
}

fn certificate_name(text: &str) -> Result<CertificateName, RestError> {
    CertificateName::new(text)
        .map_err(|reason| RestError::InvalidName { name: text.chars().take(140).collect(), reason })
}

fn issuer_name(text: &str) -> Result<IssuerName, RestError> {
    IssuerName::new(text).map_err(|reason| RestError::InvalidName { name: text.chars().take(140).collect(), reason })
}

fn param<'a>(parts: &Parts<'a>, index: usize) -> Result<&'a str, RestError> {
    parts.params.get(index).copied().ok_or(RestError::RouteNotFound { path: String::new() })
}

fn name(parts: &Parts<'_>) -> Result<CertificateName, RestError> {
    certificate_name(param(parts, 0)?)
}

fn create(parts: Parts<'_>) -> Result<Operation, RestError> {
    let name = name(&parts)?;
    let params: CertificateCreateParameters = json_body(parts.body, schema::CREATE)?;
    check_tags(params.tags.as_ref())?;
    if let Some(policy) = &params.policy {
        check_strings(policy)?;
    }
    // The issuer a create needs loaded: a registered one the policy names.
    let issuer = params
        .policy
        .as_ref()
        .and_then(|p| p.issuer.as_ref())
        .and_then(|i| i.name.as_deref())
        .and_then(|n| IssuerName::new(n).ok())
        .filter(|n| n.mode() == crate::name::IssuerMode::Provider);
    Ok(Operation::CreateCertificate { name, params: Box::new(params), issuer, api_version: parts.query.api_version })
}

fn import(parts: Parts<'_>) -> Result<Operation, RestError> {
    let name = name(&parts)?;
    let params: CertificateImportParameters = json_body(parts.body, schema::IMPORT)?;
    check_tags(params.tags.as_ref())?;
    if let Some(policy) = &params.policy {
        check_strings(policy)?;
    }
    Ok(Operation::ImportCertificate { name, params: Box::new(params) })
}

fn get_pending(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetCertificateOperation { name: name(&parts)?, request_id: parts.query.request_id })
}

fn update_pending(parts: Parts<'_>) -> Result<Operation, RestError> {
    let name = name(&parts)?;
    let update: crate::wire::CertificateOperationUpdateParameter = json_body(parts.body, schema::OPERATION_UPDATE)?;
    Ok(Operation::UpdateCertificateOperation {
        name,
        request_id: parts.query.request_id,
        cancellation_requested: update.cancellation_requested,
    })
}

fn delete_pending(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::DeleteCertificateOperation { name: name(&parts)?, request_id: parts.query.request_id })
}

fn merge(parts: Parts<'_>) -> Result<Operation, RestError> {
    let name = name(&parts)?;
    let params: CertificateMergeParameters = match json_body(parts.body, schema::MERGE) {
        Err(RestError::InvalidProperty { path, expected: "required" }) if path == "x5c" => {
            return Err(x5c::ChainError::Empty.into());
        }
        other => other?,
    };
    check_tags(params.tags.as_ref())?;
    Ok(Operation::MergeCertificate { name, x5c: params.x5c, api_version: parts.query.api_version })
}

fn get_latest(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetCertificate { name: name(&parts)?, version: None })
}

fn get_version(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetCertificate { name: name(&parts)?, version: Some(param(&parts, 1)?.to_owned()) })
}

fn issuer_bundle(parts: &Parts<'_>, shape: schema::Shape) -> Result<(IssuerName, Box<IssuerBundle>), RestError> {
    let name = issuer_name(param(parts, 0)?)?;
    let bundle: IssuerBundle = json_body(parts.body, shape)?;
    check_strings(&bundle)?;
    Ok((name, Box::new(bundle)))
}

fn set_issuer(parts: Parts<'_>) -> Result<Operation, RestError> {
    let (name, bundle) = issuer_bundle(&parts, schema::ISSUER_SET)?;
    if name.mode() != crate::name::IssuerMode::Provider {
        return Err(RestError::InvalidBody(format!("{name} is reserved and cannot be registered")));
    }
    Ok(Operation::SetCertificateIssuer { name, bundle })
}

fn update_issuer(parts: Parts<'_>) -> Result<Operation, RestError> {
    let (name, bundle) = issuer_bundle(&parts, schema::ISSUER_UPDATE)?;
    Ok(Operation::UpdateCertificateIssuer { name, bundle })
}

fn get_issuer(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetCertificateIssuer { name: issuer_name(param(&parts, 0)?)? })
}

fn delete_issuer(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::DeleteCertificateIssuer { name: issuer_name(param(&parts, 0)?)? })
}

/// What a `$skiptoken` of a listing of `kind` says: where the previous page
/// ended. Tokens are opaque to clients: base64url of the kind and the last
/// name (or version) given.
pub(super) fn skiptoken(kind: char, after: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{after}"))
}

/// Where a [`skiptoken`] of a listing of `kind` says the previous page
/// ended, and (a listing of certificates) whether it had `includePending`.
fn read_skiptoken(token: &str, kind: char) -> Result<(String, bool), RestError> {
    use base64::Engine as _;
    let bad = || RestError::InvalidQuery("The $skiptoken is not one this vault gave.".to_owned());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (token_kind, after) = text.split_once(':').ok_or_else(bad)?;
    // A listing of certificates with pending ones carries that in its token,
    // as `nextLink` does not repeat `includePending`.
    let pending = match token_kind.parse::<char>() {
        Ok(k) if k == kind => false,
        Ok('p') if kind == 'c' => true,
        _ => return Err(bad()),
    };
    if after.is_empty() || after.len() > limits::MAX_TARGET_LEN {
        return Err(bad());
    }
    Ok((after.to_owned(), pending))
}

fn page(parts: &Parts<'_>, kind: char) -> Result<PageQuery, RestError> {
    let max_results = match parts.query.max_results.as_deref() {
        None => None,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => Some(n),
            _ => {
                return Err(RestError::InvalidQuery(format!(
                    "maxresults must be an integer from 1 to {MAX_PAGE}; it is {:?}",
                    text.chars().take(32).collect::<String>()
                )));
            }
        },
    };
    let (after, include_pending_from_token) = match parts.query.skiptoken.as_deref() {
        None | Some("") => (None, false),
        Some(token) => {
            let (after, pending) = read_skiptoken(token, kind)?;
            (Some(after), pending)
        }
    };
    let include_pending = match parts.query.include_pending.as_deref() {
        None => include_pending_from_token,
        Some(text) if text.eq_ignore_ascii_case("true") => true,
        Some(text) if text.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(RestError::InvalidQuery("includePending must be true or false".to_owned())),
    };
    Ok(PageQuery { max_results, after, api_version: parts.query.api_version.clone(), include_pending })
}

fn list_certificates(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetCertificates { page: page(&parts, 'c')? })
}

fn list_issuers(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetCertificateIssuers { page: page(&parts, 'i')? })
}

fn list_deleted(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetDeletedCertificates { page: page(&parts, 'd')? })
}

fn list_versions(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetCertificateVersions { name: name(&parts)?, page: page(&parts, 'v')? })
}

fn set_contacts(parts: Parts<'_>) -> Result<Operation, RestError> {
    let contacts: Contacts = json_body(parts.body, schema::CONTACTS)?;
    check_strings(&contacts)?;
    Ok(Operation::SetCertificateContacts { contacts: Box::new(contacts) })
}

fn get_contacts(_parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetCertificateContacts)
}

fn delete_contacts(_parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::DeleteCertificateContacts)
}

fn get_policy(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetCertificatePolicy { name: name(&parts)? })
}

fn update_policy(parts: Parts<'_>) -> Result<Operation, RestError> {
    let name = name(&parts)?;
    let policy: CertificatePolicy = json_body(parts.body, schema::POLICY)?;
    check_strings(&policy)?;
    Ok(Operation::UpdateCertificatePolicy { name, policy: Box::new(policy) })
}

fn update(parts: &Parts<'_>, version: Option<String>) -> Result<Operation, RestError> {
    let name = name(parts)?;
    let params: CertificateUpdateParameters = json_body(parts.body, schema::UPDATE)?;
    check_tags(params.tags.as_ref())?;
    if let Some(policy) = &params.policy {
        check_strings(policy)?;
    }
    Ok(Operation::UpdateCertificate { name, version, params: Box::new(params) })
}

fn update_latest(parts: Parts<'_>) -> Result<Operation, RestError> {
    update(&parts, None)
}

fn update_version(parts: Parts<'_>) -> Result<Operation, RestError> {
    let version = param(&parts, 1)?.to_owned();
    update(&parts, Some(version))
}

fn delete_certificate(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::DeleteCertificate { name: name(&parts)? })
}

fn get_deleted(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetDeletedCertificate { name: name(&parts)? })
}

fn purge_deleted(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::PurgeDeletedCertificate { name: name(&parts)? })
}

fn recover_deleted(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::RecoverDeletedCertificate { name: name(&parts)? })
}

fn backup(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::BackupCertificate { name: name(&parts)? })
}

fn restore(parts: Parts<'_>) -> Result<Operation, RestError> {
    let body: crate::wire::CertificateRestoreParameters = json_body(parts.body, schema::RESTORE)?;
    let backup = crate::backup::Backup::decode(&body.value).map_err(|_| OperationError::MalformedBackup)?;
    Ok(Operation::RestoreCertificate { name: backup.certificate.name().clone(), backup: Box::new(backup) })
}

fn get_secret(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetSecret { name: name(&parts)?, version: None })
}

fn get_secret_version(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetSecret { name: name(&parts)?, version: Some(param(&parts, 1)?.to_owned()) })
}

fn get_key(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetKey { name: name(&parts)?, version: None })
}

fn get_key_version(parts: Parts<'_>) -> Result<Operation, RestError> {
    Ok(Operation::GetKey { name: name(&parts)?, version: Some(param(&parts, 1)?.to_owned()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(method: &str, target: &str, body: &[u8]) -> Result<Operation, RestError> {
        Operation::parse(Request { method, target, body })
    }

    #[test]
    fn query_strings_are_read_with_percent_decoding() {
        let q = parse_query("api%2Dversion=2026-04-01&request_id=A76827A18B63421C917DA80F28E9913D&x=1").ok();
        let q = q.map(|q| (q.api_version, q.request_id.map(|r| r.to_string())));
        assert_eq!(q, Some(("2026-04-01".into(), Some("a76827a18b63421c917da80f28e9913d".into()))));
        assert!(matches!(parse_query(""), Err(RestError::MissingApiVersion)));
        assert!(matches!(parse_query("api-version="), Err(RestError::MissingApiVersion)));
        assert!(matches!(parse_query("api-version=7.5&request_id=xyz"), Err(RestError::InvalidRequestId)));
        assert!(matches!(parse_query("api-version=%zz"), Err(RestError::InvalidQuery(_))));
        assert!(matches!(parse_query("api-version=%ff"), Err(RestError::InvalidQuery(_))));
        assert_eq!(percent_decode("a%20b+c%2f").ok().as_deref(), Some("a b c/"));
        assert_eq!(percent_decode("%e2%82%ac").ok().as_deref(), Some("€"));
        assert!(percent_decode("%e2%82").is_err());
        assert!(percent_decode("%4").is_err());
    }

    #[test]
    fn routes_by_shape_the_most_specific_first() {
        let api = "?api-version=7.5";
        let get = |path: &str| parse("GET", &format!("{path}{api}"), b"");
        assert!(matches!(get("/certificates/c1"), Ok(Operation::GetCertificate { version: None, .. })));
        assert!(matches!(get("/certificates/c1/"), Ok(Operation::GetCertificate { version: None, .. })));
        assert!(matches!(get("/certificates/c1/pending"), Ok(Operation::GetCertificateOperation { .. })));
        assert!(matches!(get("/certificates/issuers/i1"), Ok(Operation::GetCertificateIssuer { .. })));
        let version = "0123456789abcdef0123456789abcdef";
        assert!(
            matches!(get(&format!("/certificates/c1/{version}")), Ok(Operation::GetCertificate { version: Some(v), .. }) if v == version)
        );
        assert!(matches!(get("/certificates/c1/pending/merge/x"), Err(RestError::RouteNotFound { .. })));
        assert!(matches!(get("/keys/c1"), Ok(Operation::GetKey { version: None, .. })));
        assert!(matches!(get("/keys/c1/create"), Ok(Operation::GetKey { version: Some(_), .. })));
        assert!(matches!(get("/keys"), Err(RestError::RouteNotFound { .. })));
        assert!(matches!(get("/certificates"), Ok(Operation::GetCertificates { .. })));
        assert!(matches!(get("/certificates/"), Ok(Operation::GetCertificates { .. })));
        assert!(matches!(get("/certificates/issuers"), Ok(Operation::GetCertificateIssuers { .. })));
        assert!(matches!(get("/certificates/contacts"), Ok(Operation::GetCertificateContacts)));
        assert!(matches!(get("/certificates/c1/versions"), Ok(Operation::GetCertificateVersions { .. })));
        assert!(matches!(get("/certificates/c1/policy"), Ok(Operation::GetCertificatePolicy { .. })));
        assert!(matches!(get("/deletedcertificates"), Ok(Operation::GetDeletedCertificates { .. })));
        assert!(matches!(get("/deletedcertificates/c1"), Ok(Operation::GetDeletedCertificate { .. })));
        assert!(matches!(get("certificates/c1"), Err(RestError::RouteNotFound { .. })));
        assert!(matches!(get("/certificates//pending"), Err(RestError::InvalidName { .. })));
    }

    #[test]
    fn a_known_path_with_another_method_is_405_with_what_it_takes() {
        let allow = |method: &str, path: &str| match parse(method, &format!("{path}?api-version=7.5"), b"") {
            Err(RestError::MethodNotAllowed { allow, .. }) => Some(allow),
            _ => None,
        };
        assert_eq!(allow("PUT", "/certificates/c1/pending").as_deref(), Some("GET, PATCH, DELETE"));
        assert_eq!(allow("GET", "/certificates/c1/pending/merge").as_deref(), Some("POST"));
        assert_eq!(allow("GET", "/certificates/c1/create").as_deref(), Some("POST"));
        assert_eq!(allow("POST", "/certificates/issuers/i1").as_deref(), Some("PUT, PATCH, GET, DELETE"));
        assert_eq!(allow("POST", "/certificates/c1").as_deref(), Some("GET, PATCH, DELETE"));
        assert_eq!(allow("POST", "/certificates/contacts").as_deref(), Some("PUT, GET, DELETE"));
        assert_eq!(allow("PUT", "/deletedcertificates/c1").as_deref(), Some("GET, DELETE"));
        assert_eq!(allow("DELETE", "/secrets/c1").as_deref(), Some("GET"));
    }
}
