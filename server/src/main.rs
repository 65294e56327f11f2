//! A Key Vault certificates endpoint on the pending-certificate core: every
//! request goes to `rest::handle`; this binary adds HTTPS, the bearer-token
//! challenge the Azure SDKs expect, a simulated issuer provider, and an admin
//! route for tests.
//!
//! ```text
//! cargo run --release -p pending-certificate-server -- [--listen 127.0.0.1:8443] [--insecure-http]
//!     [--tls-cert PEM --tls-key PEM] [--data-dir DIR] [--token VALUE]
//!     [--provider-delay SECONDS] [--admin] [--tenant ID] [--vault-url URL]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use pending_certificate::memory::{MemoryKeyHolder, ProviderSimulator};
use pending_certificate::rest::{self, MAX_BODY_LEN};
use pending_certificate::{
    CertificateName, ChainOptions, Csr, Effect, Failure, IdGenerator, IssuerMode, RequestId, Vault, VaultUrl, VersionId,
};
use serde::Deserialize;

mod store;
use serde_json::json;
use time::OffsetDateTime;

/// Ids from the operating system's random source.
struct RandomIds;

impl RandomIds {
    fn next() -> u128 {
        let mut bytes = [0u8; 16];
        // The OS random source does not fail on supported platforms; a zero
        // id would only be refused later as a duplicate, never reused silently.
        let _ = aws_lc_rs::rand::fill(&mut bytes);
        u128::from_be_bytes(bytes)
    }
}

impl IdGenerator for RandomIds {
    fn request_id(&mut self) -> RequestId {
        RequestId::from_u128(Self::next())
    }
    fn version_id(&mut self) -> VersionId {
        VersionId::from_u128(Self::next())
    }
}

struct Core {
    vault: Vault,
    keys: MemoryKeyHolder,
    provider: ProviderSimulator,
    ids: RandomIds,
    store: Option<store::Store>,
}

impl Core {
    /// Writes what a successful request changed, before the response goes out.
    fn persist(&mut self, changed: &rest::Changed) -> Result<(), String> {
        let Some(store) = self.store.as_mut() else { return Ok(()) };
        match changed {
            rest::Changed::Issuer(issuer) => store.save_issuer(&self.vault, issuer.as_str()),
            rest::Changed::Certificate(name) => store.save_certificate(&self.vault, name.as_str()),
        }
    }

    fn persist_name(&mut self, name: &CertificateName) -> Result<(), String> {
        match self.store.as_mut() {
            Some(store) => store.save_certificate(&self.vault, name.as_str()),
            None => Ok(()),
        }
    }
}

#[derive(Clone)]
struct App {
    core: Arc<Mutex<Core>>,
    config: Arc<Config>,
}

impl App {
    fn lock(&self) -> MutexGuard<'_, Core> {
        // A poisoned lock still guards a consistent vault: every command
        // checks before it mutates.
        self.core.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Debug, Clone)]
struct Config {
    listen: SocketAddr,
    chain_validation: pending_certificate::x5c::ChainValidation,
    trust_anchors: Option<PathBuf>,
    self_signed_delay: Duration,
    retry_after: u32,
    insecure_http: bool,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    token: Option<String>,
    provider_delay: Duration,
    admin: bool,
    tenant: String,
    vault_url: Option<String>,
}

const USAGE: &str = "usage: pending-certificate-server [--listen ADDR] [--insecure-http] [--tls-cert PEM --tls-key PEM] [--data-dir DIR] [--token VALUE] [--provider-delay SECONDS] [--self-signed-delay SECONDS] [--chain-validation service|verified|strict] [--trust-anchors PEM] [--admin] [--tenant ID] [--vault-url URL]";

fn seconds(name: &str, text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|e| format!("{name}: {e}"))?;
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{name}: {e}"))
}

fn parse_args() -> Result<Config, String> {
    let mut config = Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
        chain_validation: pending_certificate::x5c::ChainValidation::Service,
        trust_anchors: None,
        self_signed_delay: Duration::from_secs(5),
        retry_after: pending_certificate::rest::RETRY_AFTER_SECONDS,
        insecure_http: false,
        tls_cert: None,
        tls_key: None,
        data_dir: None,
        token: None,
        provider_delay: Duration::from_secs(2),
        admin: false,
        tenant: "00000000-0000-0000-0000-000000000000".into(),
        vault_url: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--listen" => config.listen = value("--listen")?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--insecure-http" => config.insecure_http = true,
            "--tls-cert" => config.tls_cert = Some(value("--tls-cert")?.into()),
            "--tls-key" => config.tls_key = Some(value("--tls-key")?.into()),
            "--data-dir" => config.data_dir = Some(value("--data-dir")?.into()),
            "--token" => config.token = Some(value("--token")?),
            "--provider-delay" => config.provider_delay = seconds("--provider-delay", &value("--provider-delay")?)?,
            "--self-signed-delay" => {
                config.self_signed_delay = seconds("--self-signed-delay", &value("--self-signed-delay")?)?;
            }
            "--chain-validation" => {
                config.chain_validation = value("--chain-validation")?.parse().map_err(|e| format!("{e}"))?;
            }
            "--trust-anchors" => config.trust_anchors = Some(value("--trust-anchors")?.into()),
            "--retry-after" => {
                config.retry_after = value("--retry-after")?.parse().map_err(|e| format!("--retry-after: {e}"))?;
            }
            "--admin" => config.admin = true,
            "--tenant" => config.tenant = value("--tenant")?,
            "--vault-url" => config.vault_url = Some(value("--vault-url")?),
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if config.tls_cert.is_some() != config.tls_key.is_some() {
        return Err("--tls-cert and --tls-key go together".into());
    }
    Ok(config)
}

/// How merged, issued and imported chains are validated: `--chain-validation`
/// and `--trust-anchors`.
fn chain_options(config: &Config) -> Result<ChainOptions, String> {
    use pending_certificate::x5c::ChainValidation;
    let Some(path) = &config.trust_anchors else {
        if config.chain_validation != ChainValidation::Service {
            tracing::warn!(
                level = %config.chain_validation,
                "no --trust-anchors: a chain is checked up to the top it gives, which is trusted as given"
            );
        }
        return Ok(ChainOptions::at_level(config.chain_validation));
    };
    if config.chain_validation == ChainValidation::Service {
        return Err("--trust-anchors needs --chain-validation verified or strict".into());
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("--trust-anchors {}: {e}", path.display()))?;
    ChainOptions::with_anchors_pem(config.chain_validation, &text)
        .map_err(|e| format!("--trust-anchors {}: {e}", path.display()))
}

/// A request without `Authorization: Bearer …` gets the challenge the SDKs
/// expect, decided before the body is read.
async fn challenge(State(app): State<App>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path == "/health" || path.starts_with("/admin/") {
        return next.run(request).await;
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    let accepted = match (bearer, &app.config.token) {
        (Some(token), Some(required)) => token == required,
        (Some(token), None) => !token.trim().is_empty(),
        (None, _) => false,
    };
    if accepted {
        return next.run(request).await;
    }
    let value = format!(
        "Bearer authorization=\"https://login.windows.net/{}\", resource=\"https://vault.azure.net\"",
        app.config.tenant
    );
    let mut response = (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({"error": {"code": "Unauthorized", "message": "AKV10000: Request is missing a Bearer or PoP token."}})
            .to_string(),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

async fn vault_route(State(app): State<App>, method: Method, uri: Uri, body: Bytes) -> Response {
    let target = uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| uri.path().to_owned());
    let started = std::time::Instant::now();
    let handled = {
        let mut core = app.lock();
        let Core { vault, keys, ids, .. } = &mut *core;
        let request = rest::Request { method: method.as_str(), target: &target, body: &body };
        let mut handled = rest::handle(vault, keys, ids, OffsetDateTime::now_utc(), request);
        let persisted = match &handled.changed {
            Some(changed) => core.persist(changed),
            None => Ok(()),
        };
        if let Err(error) = persisted {
            tracing::error!(%error, "storage");
            let body = json!({"error": {"code": "InternalError", "message": format!("storage failed: {error}")}});
            handled.response.status = 500;
            handled.response.body = body.to_string().into_bytes();
            handled.effects.clear();
        }
        handled
    };
    for (name, effect) in handled.effects {
        app.lock().provider.observe(&name, &effect);
        match effect {
            Effect::SubmitToIssuer { request_id, .. } => spawn_provider(app.clone(), name, request_id),
            Effect::SignSelf { request_id, .. } => spawn_self_signer(app.clone(), name, request_id),
            _ => {}
        }
    }
    let response = handled.response;
    tracing::info!(%method, target = %target, status = response.status, elapsed_us = started.elapsed().as_micros() as u64, "request");
    let mut out = Response::new(Body::from(response.body));
    *out.status_mut() = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in response.headers {
        let value = if name == "Retry-After" { app.config.retry_after.to_string() } else { value };
        if let Ok(value) = HeaderValue::from_str(&value) {
            out.headers_mut().insert(name, value);
        }
    }
    out
}

/// What every answer carries besides the core's headers: a fresh
/// `x-ms-request-id`, the echo of `x-ms-client-request-id` when the client
/// asks for it with `x-ms-return-client-request-id: true`, and the region and
/// network information (`x-ms-keyvault-network-info`) the service reports.
async fn service_headers(request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<axum::extract::ConnectInfo<SocketAddr>>().map(|info| info.0);
    let client_id = request.headers().get("x-ms-client-request-id").cloned();
    let echo = request
        .headers()
        .get("x-ms-return-client-request-id")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(id) = HeaderValue::from_str(&uuid(RandomIds::next())) {
        headers.insert("x-ms-request-id", id);
    }
    if let (true, Some(id)) = (echo, client_id) {
        headers.insert("x-ms-client-request-id", id);
    }
    headers.insert("x-ms-keyvault-region", HeaderValue::from_static("local"));
    if let Some(peer) = peer {
        let family = if peer.is_ipv4() { ("Ipv4", "InterNetwork") } else { ("Ipv6", "InterNetworkV6") };
        let info = format!("conn_type={};addr={};act_addr_fam={};", family.0, peer.ip(), family.1);
        if let Ok(info) = HeaderValue::from_str(&info) {
            headers.insert("x-ms-keyvault-network-info", info);
        }
    }
    for (name, value) in rest::COMMON_HEADERS {
        if !headers.contains_key(name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// A GUID's text form of 128 random bits.
fn uuid(bits: u128) -> String {
    let hex = format!("{bits:032x}");
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// The simulated provider answers after the configured delay: cancelled if
/// cancellation was requested meanwhile, issued otherwise. A request that was
/// replaced or deleted meanwhile is refused by the core and changes nothing.
fn spawn_provider(app: App, name: CertificateName, request_id: RequestId) {
    tokio::spawn(async move {
        tokio::time::sleep(app.config.provider_delay).await;
        let mut core = app.lock();
        let Core { vault, provider, ids, .. } = &mut *core;
        let now = OffsetDateTime::now_utc();
        let cancel = vault.pending(&name, Some(request_id)).is_ok_and(|p| p.cancellation_requested());
        let outcome = if cancel {
            provider.cancel(vault, &name, request_id, now).map(|()| "cancelled")
        } else {
            provider.issue(vault, &name, request_id, now, ids).map(|_| "issued")
        };
        drop(core);
        let persisted = if outcome.is_ok() { app.lock().persist_name(&name) } else { Ok(()) };
        if let Err(error) = persisted {
            tracing::error!(%error, "storage");
        }
        match outcome {
            Ok(outcome) => tracing::info!(%name, %request_id, outcome, "provider"),
            Err(error) => tracing::info!(%name, %request_id, %error, "provider outcome refused"),
        }
    });
}

/// `Self` requests take their time, as the service's do: the key holder
/// signs after `--self-signed-delay`, unless cancellation was requested
/// meanwhile, when the request ends `cancelled`. A request replaced or deleted
/// meanwhile is refused by the core and changes nothing.
fn spawn_self_signer(app: App, name: CertificateName, request_id: RequestId) {
    tokio::spawn(async move {
        tokio::time::sleep(app.config.self_signed_delay).await;
        let mut core = app.lock();
        let Core { vault, keys, ids, .. } = &mut *core;
        let now = OffsetDateTime::now_utc();
        let cancel = vault.pending(&name, Some(request_id)).is_ok_and(|p| p.cancellation_requested());
        let outcome = if cancel {
            vault.cancelled(&name, request_id, now).map(|()| "cancelled")
        } else {
            vault.sign_self(&name, request_id, keys, now, ids).map(|_| "signed")
        };
        drop(core);
        let persisted = if outcome.is_ok() { app.lock().persist_name(&name) } else { Ok(()) };
        if let Err(error) = persisted {
            tracing::error!(%error, "storage");
        }
        match outcome {
            Ok(outcome) => tracing::info!(%name, %request_id, outcome, "self-signed"),
            Err(error) => tracing::info!(%name, %request_id, %error, "self-signed outcome refused"),
        }
    });
}

/// After a restart, requests still waiting for the simulated provider are
/// submitted to it again.
fn resume_providers(app: &App) {
    let waiting: Vec<(CertificateName, RequestId, IssuerMode)> = {
        let mut core = app.lock();
        let Core { vault, provider, .. } = &mut *core;
        let names: Vec<CertificateName> = vault.names().cloned().collect();
        names
            .into_iter()
            .filter_map(|name| {
                let pending = vault.pending(&name, None).ok()?;
                let mode = pending.mode();
                let waiting = pending.is_in_progress() && mode != pending_certificate::IssuerMode::Manual;
                waiting.then(|| {
                    let effect = Effect::SubmitToIssuer {
                        issuer: pending.issuer().name.clone(),
                        request_id: pending.request_id(),
                        csr: pending.csr().clone(),
                    };
                    provider.observe(&name, &effect);
                    (name.clone(), pending.request_id(), mode)
                })
            })
            .collect()
    };
    for (name, request_id, mode) in waiting {
        if mode == pending_certificate::IssuerMode::SelfSigned {
            spawn_self_signer(app.clone(), name, request_id);
        } else {
            spawn_provider(app.clone(), name, request_id);
        }
    }
}

#[derive(Deserialize)]
struct OutcomeBody {
    name: String,
    #[serde(default)]
    request_id: Option<String>,
    /// For `issued`: the chain to report (standard base64 DER); when absent
    /// the simulated CA signs the request's key.
    #[serde(default)]
    x5c: Option<Vec<String>>,
    outcome: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct SignBody {
    csr: String,
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], body.to_string()).into_response()
}

fn bad_request(message: impl std::fmt::Display) -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({"error": {"code": "BadParameter", "message": message.to_string()}}))
}

/// Test-only routes, off unless `--admin`: tell the provider what to answer,
/// or have its CA sign a CSR's key (for merges).
async fn admin_route(State(app): State<App>, method: Method, uri: Uri, body: Bytes) -> Response {
    if !app.config.admin {
        return json_response(
            StatusCode::NOT_FOUND,
            json!({"error": {"code": "NotFound", "message": "admin routes are off"}}),
        );
    }
    match (method, uri.path()) {
        (Method::POST, "/admin/outcome") => {
            let Ok(body) = serde_json::from_slice::<OutcomeBody>(&body) else {
                return bad_request("expected {name, request_id?, outcome, code?, message?}");
            };
            let Ok(name) = CertificateName::new(&body.name) else { return bad_request("invalid name") };
            let mut core = app.lock();
            let Core { vault, provider, ids, keys, .. } = &mut *core;
            let request_id = match body.request_id.as_deref().map(RequestId::parse) {
                Some(Ok(id)) => id,
                Some(Err(e)) => return bad_request(e),
                None => match vault.pending(&name, None) {
                    Ok(p) => p.request_id(),
                    Err(e) => {
                        return json_response(
                            StatusCode::NOT_FOUND,
                            json!({"error": {"code": e.code(), "message": e.message()}}),
                        );
                    }
                },
            };
            let now = OffsetDateTime::now_utc();
            let result = match (body.outcome.as_str(), &body.x5c) {
                ("issued", Some(x5c)) => {
                    // The elements a merge takes: DER, or its base64 or PEM text.
                    let chain = match pending_certificate::x5c::decode(x5c, &vault.chain_options().limits) {
                        Ok(chain) => chain,
                        Err(e) => return bad_request(e),
                    };
                    vault.issued(&name, request_id, &chain, now, ids).map(|_| ())
                }
                // A `Self` request's provider is the key holder.
                ("issued", None) if vault.pending(&name, None).is_ok_and(|p| p.mode() == IssuerMode::SelfSigned) => {
                    vault.sign_self(&name, request_id, keys, now, ids).map(|_| ())
                }
                ("issued", None) => provider.issue(vault, &name, request_id, now, ids).map(|_| ()),
                ("failed", _) => {
                    let failure = Failure::new(
                        body.code.unwrap_or_else(|| Failure::ISSUER_ERROR.into()),
                        body.message.unwrap_or_default(),
                    );
                    provider.fail(vault, &name, request_id, failure, now)
                }
                ("cancelled" | "canceled", _) => provider.cancel(vault, &name, request_id, now),
                _ => return bad_request("outcome is issued, failed or cancelled"),
            };
            let result = result.map(|()| core.persist_name(&name));
            match result {
                Ok(Err(error)) => json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": {"code": "InternalError", "message": error}}),
                ),
                Ok(Ok(())) => json_response(StatusCode::OK, json!({"applied": true})),
                Err(e) => json_response(
                    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::CONFLICT),
                    json!({"error": {"code": e.code(), "message": e.message()}}),
                ),
            }
        }
        (Method::POST, "/admin/sign") => {
            let Ok(body) = serde_json::from_slice::<SignBody>(&body) else { return bad_request("expected {csr}") };
            let engine = base64::engine::general_purpose::STANDARD;
            let Ok(der) = engine.decode(body.csr.trim()) else { return bad_request("csr is not base64") };
            let csr = match Csr::from_der(&der) {
                Ok(csr) => csr,
                Err(e) => return bad_request(e),
            };
            let core = app.lock();
            match core.provider.sign(&csr, "CN=merged", OffsetDateTime::now_utc()) {
                Ok(chain) => json_response(
                    StatusCode::OK,
                    json!({"x5c": chain.iter().map(|c| engine.encode(c)).collect::<Vec<_>>()}),
                ),
                Err(e) => bad_request(e),
            }
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            json!({"error": {"code": "NotFound", "message": "no such admin route"}}),
        ),
    }
}

async fn health() -> Response {
    json_response(StatusCode::OK, json!({"status": "ok"}))
}

/// The TLS certificate and key (PEM): given, or generated once for
/// `localhost` and `127.0.0.1` and kept in the data directory.
fn tls_material(config: &Config) -> Result<(PathBuf, PathBuf), String> {
    if let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) {
        return Ok((cert.clone(), key.clone()));
    }
    let dir = config.data_dir.clone().unwrap_or_else(|| std::env::temp_dir().join("pending-certificate-server"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (cert_path, key_path) = (dir.join("tls-cert.pem"), dir.join("tls-key.pem"));
    if !(cert_path.exists() && key_path.exists()) {
        let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(|e| e.to_string())?;
        params.distinguished_name.push(rcgen::DnType::CommonName, "pending-certificate-server");
        let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
        std::fs::write(&cert_path, cert.pem()).map_err(|e| format!("{}: {e}", cert_path.display()))?;
        std::fs::write(&key_path, key.serialize_pem()).map_err(|e| format!("{}: {e}", key_path.display()))?;
    }
    Ok((cert_path, key_path))
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    if let Err(e) = run().await {
        eprintln!("pending-certificate-server: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), String> {
    let config = parse_args()?;
    let listener = std::net::TcpListener::bind(config.listen).map_err(|e| format!("{}: {e}", config.listen))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if config.insecure_http { "http" } else { "https" };
    let url = config.vault_url.clone().unwrap_or_else(|| format!("{scheme}://{address}"));
    let mut vault = Vault::with_chain_options(VaultUrl::new(&url).map_err(|e| e.to_string())?, chain_options(&config)?);
    let store = match &config.data_dir {
        Some(dir) => Some(store::Store::open(dir, &mut vault)?),
        None => None,
    };
    let provider = ProviderSimulator::new("Simulated Issuer CA").map_err(|e| e.to_string())?;
    let app = App {
        core: Arc::new(Mutex::new(Core { vault, keys: MemoryKeyHolder::new(), provider, ids: RandomIds, store })),
        config: Arc::new(config.clone()),
    };
    resume_providers(&app);
    let router = Router::new()
        .route("/health", axum::routing::get(health))
        .route("/admin/{*rest}", axum::routing::any(admin_route))
        .fallback(vault_route)
        .layer(middleware::from_fn_with_state(app.clone(), challenge))
        .layer(middleware::from_fn(service_headers))
        .layer(DefaultBodyLimit::max(MAX_BODY_LEN))
        .with_state(app);

    let handle = axum_server::Handle::new();
    let shutdown = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        shutdown.graceful_shutdown(Some(Duration::from_secs(10)));
    });

    if config.insecure_http {
        println!("pending-certificate-server listening on {url} (plain HTTP)");
        axum_server::from_tcp(listener)
            .handle(handle)
            .serve(router.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .map_err(|e| e.to_string())
    } else {
        let (cert, key) = tls_material(&config)?;
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key).await.map_err(|e| e.to_string())?;
        println!("pending-certificate-server listening on {url}");
        println!("TLS certificate: {}", cert.display());
        axum_server::from_tcp_rustls(listener, tls)
            .handle(handle)
            .serve(router.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .map_err(|e| e.to_string())
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}
