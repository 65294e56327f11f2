//! The REST surface, sans IO: a request (method, path with query, body bytes)
//! in, the service's answer (status, headers, body bytes) out. This is the
//! only module that knows routes, query strings and JSON bytes.
//!
//! A request goes through three steps, so that an embedder with a store of
//! its own loads only what the request needs and writes only if nothing
//! changed meanwhile (load → decide → store-if-unchanged):
//!
//! 1. [`Operation::parse`] reads the route, query and body into one
//!    [`Operation`], named by the REST specification's operation id. Every
//!    refusal that needs no state is given here.
//! 2. [`Operation::needs`] says what to load: one name's aggregate, one
//!    issuer ([`Needs`]). The embedder loads it into [`Loaded`], with the
//!    aggregate's [`Revision`].
//! 3. [`Operation::decide`] answers over what was loaded: a certificate
//!    write is a [`crate::Command`] given to [`Certificate::apply`], whose
//!    outcome is rendered into the [`Response`], with the [`Effect`]s to
//!    carry out and the [`Write`]s to store. Each
//!    certificate write carries the revision it was decided against; a store
//!    that finds another answers [`conflict`] (the service's 409) instead.
//!
//! [`handle`] runs the three steps over a [`Vault`], the in-memory store.
//!
//! | method | path | operation | success | refusals |
//! |---|---|---|---|---|
//! | `POST` | `/certificates/{name}/create` | `CreateCertificate` | 202, `Location`, `Retry-After: 10` | 400, 409 |
//! | `POST` | `/certificates/{name}/import` | `ImportCertificate` | 200 | 400, 409 |
//! | `GET` | `/certificates/{name}/pending` | `GetCertificateOperation` | 200 (`Retry-After: 10` while `inProgress`) | 400, 404 |
//! | `PATCH` | `/certificates/{name}/pending` | `UpdateCertificateOperation` | 200 | 400, 404 |
//! | `DELETE` | `/certificates/{name}/pending` | `DeleteCertificateOperation` | 200 | 400, 404 |
//! | `POST` | `/certificates/{name}/pending/merge` | `MergeCertificate` | 201, `Location` | 400, 403, 404, 409 |
//! | `GET` | `/certificates/{name}[/]`, `/certificates/{name}/{version}` | `GetCertificate` | 200 | 400, 404 |
//! | `PUT`, `PATCH`, `GET`, `DELETE` | `/certificates/issuers/{issuer}` | `SetCertificateIssuer`, … | 200 | 400, 404 |
//!
//! Every route needs `api-version`; `request_id` (32 hex digits) is optional on
//! the pending routes. Every refusal has the body `{"error":{"code","message"}}`
//! and changes nothing.

mod body;
mod certificates;
mod contacts;
mod deleted;
mod error;
mod issuers;
mod owned;
mod pending;
mod route;

use serde::Serialize;
use time::OffsetDateTime;

use crate::certificate::{Certificate, Effect};
use crate::error::OperationError;
use crate::ids::IdGenerator;
use crate::keys::KeyHolder;
use crate::name::{CertificateName, IssuerName};
use crate::vault::{Issuer, Revision, Vault, VaultSettings};
use crate::wire::Contacts;

pub use crate::limits::MAX_BODY_LEN;
pub use error::RestError;
pub use issuers::{IssuerBundle, IssuerCredentials};
pub use route::{MAX_PAGE, Operation, PageQuery};

/// `Retry-After` sent with a pending object in progress, in seconds.
pub const RETRY_AFTER_SECONDS: u32 = 10;

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
    /// Headers, in order (`Content-Type` and [`COMMON_HEADERS`] always,
    /// `Location` and `Retry-After` where the service sends them, `Allow` on
    /// 405).
    pub headers: Vec<(&'static str, String)>,
    /// JSON body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The value of a header, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// A JSON answer with the service's headers.
    pub(crate) fn json(status: u16, body: &impl Serialize) -> Self {
        // Serializing these plain structs cannot fail; an empty object is the
        // fallback that keeps this free of panics.
        let body = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
        let mut headers = vec![("Content-Type", "application/json; charset=utf-8".to_owned())];
        headers.extend(COMMON_HEADERS.iter().map(|&(name, value)| (name, value.to_owned())));
        Response { status, headers, body }
    }

    /// An answer without a body (and so without `Content-Type`).
    pub(crate) fn empty(status: u16) -> Self {
        let headers = COMMON_HEADERS.iter().map(|&(name, value)| (name, value.to_owned())).collect();
        Response { status, headers, body: Vec::new() }
    }

    fn with(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// What a request needs loaded before it can be decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// One name's aggregate (and its revision).
    pub certificate: Option<CertificateName>,
    /// One registered issuer.
    pub issuer: Option<IssuerName>,
    /// One page of a listing.
    pub page: Option<Page>,
    /// The vault's certificate contacts.
    pub contacts: bool,
}

/// What a listing lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Listing {
    /// Names whose certificate is not deleted: [`Loaded::certificates`].
    Certificates,
    /// Names whose certificate is soft-deleted: [`Loaded::certificates`].
    DeletedCertificates,
    /// Registered issuers: [`Loaded::issuers`].
    Issuers,
}

/// One page of a listing to load: at most `limit` entries whose name comes
/// after `after` (byte order of the names), in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// What is listed.
    pub listing: Listing,
    /// Where the previous page ended; `None` from the start.
    pub after: Option<String>,
    /// How many entries at most.
    pub limit: usize,
}

impl Page {
    /// Whether a name is on this page's side of `after`.
    pub fn admits(&self, name: &str) -> bool {
        self.after.as_deref().is_none_or(|after| name > after)
    }
}

/// What the embedder loaded for a request's [`Needs`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// The name's aggregate and revision; `None` when the name holds nothing.
    pub certificate: Option<(Revision, Certificate)>,
    /// The issuer; `None` when it is not registered.
    pub issuer: Option<Issuer>,
    /// A page of certificates: aggregates in name order, each deleted or not
    /// as the page's [`Listing`] asks.
    pub certificates: Vec<(Revision, Certificate)>,
    /// A page of issuers, in name order.
    pub issuers: Vec<(IssuerName, Issuer)>,
    /// The contacts; `None` when none are set.
    pub contacts: Option<Contacts>,
}

/// One change to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Store `certificate` if its name's revision is still `expected`
    /// (`None`: the name held nothing); otherwise answer [`conflict`].
    Certificate {
        /// The revision the decision was made against.
        expected: Option<Revision>,
        /// The aggregate as it is now.
        certificate: Certificate,
    },
    /// Set (`Some`) or remove (`None`) a registered issuer.
    Issuer {
        /// The issuer's name.
        name: IssuerName,
        /// What it is now.
        issuer: Option<Issuer>,
    },
    /// Set (`Some`) or remove (`None`) the certificate contacts.
    Contacts(Option<Contacts>),
}

/// What a request decided: the answer, what the embedder must carry out, and
/// what it must store before it sends the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The answer.
    pub response: Response,
    /// Effects to carry out, with the certificate name each concerns.
    pub effects: Vec<(CertificateName, Effect)>,
    /// Changes to store; empty for a read or a refusal.
    pub writes: Vec<Write>,
}

impl Decision {
    fn answer(response: Response) -> Self {
        Self { response, effects: Vec::new(), writes: Vec::new() }
    }

    fn refused(error: &RestError) -> Self {
        Self::answer(error.response())
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
    /// The certificate contacts.
    Contacts,
}

/// The service's answer when a write finds its name changed since the
/// request was decided: 409 `Conflict`, in the words the service uses for
/// `operation` (deleting the pending object, or updating it).
pub fn conflict(operation: &Operation, settings: &VaultSettings, name: &CertificateName) -> Response {
    let pending_id = settings.url.pending_id(name);
    let error = match operation {
        Operation::DeleteCertificateOperation { .. } => OperationError::ConflictOnDelete { pending_id },
        _ => OperationError::Conflict { pending_id },
    };
    RestError::from(error).response()
}

/// Answers one request over an in-memory [`Vault`]: parse, load, decide,
/// store. Nothing changes unless the response is a 2xx.
pub fn handle(
    vault: &mut Vault,
    keys: &mut impl KeyHolder,
    ids: &mut impl IdGenerator,
    now: OffsetDateTime,
    request: Request<'_>,
) -> Handled {
    let operation = match Operation::parse(request) {
        Ok(operation) => operation,
        Err(error) => return Handled { response: error.response(), effects: Vec::new(), changed: None },
    };
    let loaded = vault.loaded(&operation.needs());
    let decision = operation.decide(vault.settings(), loaded, keys, ids, now);
    let mut changed = None;
    for write in decision.writes {
        changed = Some(match write {
            Write::Certificate { expected, certificate } => {
                let name = certificate.name().clone();
                if vault.store(certificate, expected).is_err() {
                    let response = conflict(&operation, vault.settings(), &name);
                    return Handled { response, effects: Vec::new(), changed: None };
                }
                Changed::Certificate(name)
            }
            Write::Issuer { name, issuer } => {
                match issuer {
                    Some(issuer) => vault.set_issuer(name.clone(), issuer),
                    None => {
                        vault.remove_issuer(&name);
                    }
                }
                Changed::Issuer(name)
            }
            Write::Contacts(contacts) => {
                vault.set_contacts(contacts);
                Changed::Contacts
            }
        });
    }
    Handled { response: decision.response, effects: decision.effects, changed }
}

impl Operation {
    /// What the request needs loaded.
    pub fn needs(&self) -> Needs {
        use Operation::*;
        let page = |listing, page: &PageQuery| Needs {
            page: Some(Page { listing, after: page.after.clone(), limit: page.limit() }),
            ..Needs::default()
        };
        match self {
            CreateCertificate { name, issuer, .. } => {
                Needs { certificate: Some(name.clone()), issuer: issuer.clone(), ..Needs::default() }
            }
            ImportCertificate { name, .. }
            | GetCertificateOperation { name, .. }
            | UpdateCertificateOperation { name, .. }
            | DeleteCertificateOperation { name, .. }
            | MergeCertificate { name, .. }
            | GetCertificate { name, .. }
            | GetCertificateVersions { name, .. }
            | GetCertificatePolicy { name }
            | UpdateCertificatePolicy { name, .. }
            | UpdateCertificate { name, .. }
            | DeleteCertificate { name }
            | GetDeletedCertificate { name }
            | PurgeDeletedCertificate { name }
            | RecoverDeletedCertificate { name }
            | GetSecret { name, .. }
            | GetKey { name, .. }
            | BackupCertificate { name }
            | RestoreCertificate { name, .. } => Needs { certificate: Some(name.clone()), ..Needs::default() },
            SetCertificateIssuer { name, .. }
            | UpdateCertificateIssuer { name, .. }
            | GetCertificateIssuer { name }
            | DeleteCertificateIssuer { name } => Needs { issuer: Some(name.clone()), ..Needs::default() },
            GetCertificates { page: p } => page(Listing::Certificates, p),
            GetDeletedCertificates { page: p } => page(Listing::DeletedCertificates, p),
            GetCertificateIssuers { page: p } => page(Listing::Issuers, p),
            SetCertificateContacts { .. } | GetCertificateContacts | DeleteCertificateContacts => {
                Needs { contacts: true, ..Needs::default() }
            }
        }
    }

    /// The private key a decision needs from the key holder, once its
    /// [`Needs`] are loaded: for `GET /secrets/{name}`, the key of the version
    /// asked for; for a backup, every version's (each its
    /// `SubjectPublicKeyInfo`, DER). An embedder whose key holder keeps keys
    /// elsewhere loads these into it before deciding.
    pub fn keys_needed(&self, loaded: &Loaded) -> Vec<Vec<u8>> {
        match self {
            Operation::GetSecret { version, .. } => owned::key_needed(version.as_deref(), loaded).into_iter().collect(),
            Operation::BackupCertificate { .. } => loaded
                .certificate
                .as_ref()
                .map(|(_, c)| c.version_keys().into_iter().map(<[u8]>::to_vec).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Whether the answer carries private keys out of the key holder (a
    /// secret, a backup): an embedder that writes one name at a time lets
    /// such a read queue with the writes, so no purge or new version takes a
    /// key between its load and its read.
    pub fn reads_private_keys(&self) -> bool {
        matches!(self, Operation::GetSecret { .. } | Operation::BackupCertificate { .. })
    }

    /// Whether deciding may take real CPU time — making a key (an EC key and
    /// its CSR take about 0.1 ms, an RSA-2048 key tens of milliseconds),
    /// reading an imported PKCS#12 or PEM key, verifying a chain's signatures
    /// (the `Verified` and `Strict` levels) — so that an embedder on an async
    /// runtime decides it on a blocking pool. Everything else takes
    /// microseconds.
    pub fn is_cpu_heavy(&self, settings: &VaultSettings) -> bool {
        use Operation::*;
        match self {
            CreateCertificate { .. } | ImportCertificate { .. } | GetSecret { .. } | RestoreCertificate { .. } => true,
            MergeCertificate { .. } => settings.chain_options.level != crate::x5c::ChainValidation::Service,
            GetCertificateOperation { .. }
            | UpdateCertificateOperation { .. }
            | DeleteCertificateOperation { .. }
            | GetCertificate { .. }
            | SetCertificateIssuer { .. }
            | UpdateCertificateIssuer { .. }
            | GetCertificateIssuer { .. }
            | DeleteCertificateIssuer { .. }
            | GetCertificateIssuers { .. }
            | GetCertificates { .. }
            | GetCertificateVersions { .. }
            | GetCertificatePolicy { .. }
            | UpdateCertificatePolicy { .. }
            | UpdateCertificate { .. }
            | DeleteCertificate { .. }
            | GetDeletedCertificates { .. }
            | GetDeletedCertificate { .. }
            | PurgeDeletedCertificate { .. }
            | RecoverDeletedCertificate { .. }
            | SetCertificateContacts { .. }
            | GetCertificateContacts
            | DeleteCertificateContacts
            | GetKey { .. }
            | BackupCertificate { .. } => false,
        }
    }

    /// Whether the operation can change anything (and so may need storing).
    pub fn is_write(&self) -> bool {
        use Operation::*;
        match self {
            CreateCertificate { .. }
            | ImportCertificate { .. }
            | UpdateCertificateOperation { .. }
            | DeleteCertificateOperation { .. }
            | MergeCertificate { .. }
            | SetCertificateIssuer { .. }
            | UpdateCertificateIssuer { .. }
            | DeleteCertificateIssuer { .. }
            | UpdateCertificatePolicy { .. }
            | UpdateCertificate { .. }
            | DeleteCertificate { .. }
            | PurgeDeletedCertificate { .. }
            | RecoverDeletedCertificate { .. }
            | SetCertificateContacts { .. }
            | DeleteCertificateContacts
            | RestoreCertificate { .. } => true,
            GetCertificateOperation { .. }
            | GetCertificate { .. }
            | GetCertificateIssuer { .. }
            | GetCertificateIssuers { .. }
            | GetCertificates { .. }
            | GetCertificateVersions { .. }
            | GetCertificatePolicy { .. }
            | GetDeletedCertificates { .. }
            | GetDeletedCertificate { .. }
            | GetCertificateContacts
            | GetSecret { .. }
            | GetKey { .. }
            | BackupCertificate { .. } => false,
        }
    }

    /// Answers the request over what was loaded. `keys` makes keys and CSRs
    /// (create), reads imports; `ids` draws new ids. A refusal is a decision
    /// with an error response and no writes.
    pub fn decide(
        &self,
        settings: &VaultSettings,
        loaded: Loaded,
        keys: &mut impl KeyHolder,
        ids: &mut impl IdGenerator,
        now: OffsetDateTime,
    ) -> Decision {
        let cx = Context { settings, now };
        let mut loaded = loaded;
        // A name past its scheduled purge date is gone, whatever the store
        // still holds.
        loaded.certificate = loaded.certificate.map(|(revision, c)| (revision, c.at(now)));
        let result = match self {
            Operation::CreateCertificate { name, params, api_version, .. } => {
                pending::create(&cx, name, params, api_version, loaded, keys, ids)
            }
            Operation::ImportCertificate { name, params } => {
                pending::import(&cx, name, params, loaded.certificate, keys, ids)
            }
            Operation::GetCertificateOperation { name, request_id } => {
                pending::get(&cx, name, *request_id, loaded.certificate)
            }
            Operation::UpdateCertificateOperation { name, request_id, cancellation_requested } => {
                pending::update(&cx, name, *request_id, *cancellation_requested, loaded.certificate, ids)
            }
            Operation::DeleteCertificateOperation { name, request_id } => {
                pending::delete(&cx, name, *request_id, loaded.certificate, ids)
            }
            Operation::MergeCertificate { name, x5c, api_version } => {
                pending::merge(&cx, name, x5c, api_version, loaded.certificate, ids)
            }
            Operation::GetCertificate { name, version } => {
                certificates::get(&cx, name, version.as_deref(), loaded.certificate)
            }
            Operation::SetCertificateIssuer { .. }
            | Operation::UpdateCertificateIssuer { .. }
            | Operation::GetCertificateIssuer { .. }
            | Operation::DeleteCertificateIssuer { .. } => issuers::decide(&cx, self, loaded),
            Operation::GetCertificateIssuers { page } => issuers::list(&cx, page, loaded),
            Operation::GetCertificates { page } => certificates::list(&cx, page, loaded),
            Operation::GetCertificateVersions { name, page } => {
                certificates::versions(&cx, name, page, loaded.certificate)
            }
            Operation::GetCertificatePolicy { name } => certificates::get_policy(&cx, name, loaded.certificate),
            Operation::UpdateCertificatePolicy { name, policy } => {
                certificates::update_policy(&cx, name, policy, loaded.certificate, ids)
            }
            Operation::UpdateCertificate { name, version, params } => {
                certificates::update(&cx, name, version.as_deref(), params, loaded.certificate, ids)
            }
            Operation::DeleteCertificate { name } => deleted::delete(&cx, name, loaded.certificate, ids),
            Operation::GetDeletedCertificates { page } => deleted::list(&cx, page, loaded),
            Operation::GetDeletedCertificate { name } => deleted::get(&cx, name, loaded.certificate),
            Operation::PurgeDeletedCertificate { name } => deleted::purge(&cx, name, loaded.certificate, ids),
            Operation::RecoverDeletedCertificate { name } => deleted::recover(&cx, name, loaded.certificate, ids),
            Operation::SetCertificateContacts { .. }
            | Operation::GetCertificateContacts
            | Operation::DeleteCertificateContacts => contacts::decide(&cx, self, loaded),
            Operation::GetSecret { name, version } => owned::secret(&cx, name, version.as_deref(), loaded, keys),
            Operation::GetKey { name, version } => owned::key(&cx, name, version.as_deref(), loaded),
            Operation::BackupCertificate { name } => certificates::backup(name, loaded.certificate, keys),
            Operation::RestoreCertificate { name, backup } => {
                certificates::restore(&cx, name, backup, loaded.certificate, keys, ids)
            }
        };
        result.unwrap_or_else(|error| Decision::refused(&error))
    }
}

/// The absolute URL of a listing's next page, on the vault's URL, as the
/// service gives it: `api-version`, `$skiptoken`, and `maxresults` if the
/// request gave one.
fn next_link(cx: &Context<'_>, path: &str, page: &PageQuery, kind: char, after: &str) -> String {
    let mut link = format!(
        "{}{path}?api-version={}&$skiptoken={}",
        cx.settings.url.as_str(),
        route::percent_encode(&page.api_version),
        route::skiptoken(kind, after)
    );
    if let Some(n) = page.max_results {
        link.push_str(&format!("&maxresults={n}"));
    }
    link
}

/// `nextLink` of a listing page: a link after `last` when the page is full
/// (`len` entries loaded, the limit reached), none on the last page.
fn page_link(
    cx: &Context<'_>,
    path: &str,
    page: &PageQuery,
    kind: char,
    len: usize,
    last: Option<&str>,
) -> Option<String> {
    match last {
        Some(last) if len >= page.limit() => Some(next_link(cx, path, page, kind, last)),
        _ => None,
    }
}

/// What every decision reads besides what was loaded.
struct Context<'a> {
    settings: &'a VaultSettings,
    now: OffsetDateTime,
}

impl Vault {
    /// What `needs` asks for, from this vault.
    pub fn loaded(&self, needs: &Needs) -> Loaded {
        let mut loaded = Loaded {
            certificate: needs
                .certificate
                .as_ref()
                .and_then(|name| self.load(name).map(|(revision, certificate)| (revision, certificate.clone()))),
            issuer: needs.issuer.as_ref().and_then(|name| self.issuer(name).cloned()),
            contacts: needs.contacts.then(|| self.contacts().cloned()).flatten(),
            ..Loaded::default()
        };
        if let Some(page) = &needs.page {
            match page.listing {
                Listing::Issuers => {
                    loaded.issuers = self
                        .issuers()
                        .filter(|(name, _)| page.admits(name.as_str()))
                        .take(page.limit)
                        .map(|(name, issuer)| (name.clone(), issuer.clone()))
                        .collect();
                }
                Listing::Certificates | Listing::DeletedCertificates => {
                    let deleted = page.listing == Listing::DeletedCertificates;
                    loaded.certificates = self
                        .entries()
                        .filter(|(_, c)| page.admits(c.name().as_str()) && c.is_deleted() == deleted)
                        .take(page.limit)
                        .map(|(revision, c)| (revision, c.clone()))
                        .collect();
                }
            }
        }
        loaded
    }
}
