//! The routes: `/health`, the admin routes for tests, and every other path to
//! the core's REST surface, load → decide → store-if-unchanged.
//!
//! Invariant: no lock that another name's request waits on is held across a
//! request (writes to one name queue on its own lock); the store checks the
//! revision a request was decided against, and a lost race is the service's
//! 409. CPU-heavy decisions (`Operation::is_cpu_heavy`) run on the CPU pool.

use base64::Engine as _;
use pending_certificate::rest::{self, Listing, Loaded, Operation, Request, Response, Write};
use pending_certificate::{CertificateName, Csr, Failure, RequestId};
use serde::Deserialize;
use serde_json::json;

use crate::app::{RandomIds, Shared, Unwritten, now};
use crate::keys::SealingKeys;
use crate::provider::{self, Answer, Settled};
use crate::store::Store;

/// A JSON answer of the server's own (health, admin, failures), with the
/// service's headers.
pub fn json(status: u16, body: serde_json::Value) -> Response {
    let mut headers = vec![("Content-Type", "application/json; charset=utf-8".to_owned())];
    headers.extend(rest::COMMON_HEADERS.iter().map(|&(name, value)| (name, value.to_owned())));
    Response { status, headers, body: body.to_string().into_bytes() }
}

/// An error answer in the service's shape.
pub fn error(status: u16, code: &str, message: impl std::fmt::Display) -> Response {
    json(status, json!({"error": {"code": code, "message": message.to_string()}}))
}

fn internal(failure: impl std::fmt::Display) -> Response {
    tracing::error!(error = %failure, "request failed on the server's side");
    error(500, "InternalError", format!("The server failed: {failure}"))
}

/// `GET /health`.
pub fn health() -> Response {
    json(200, json!({"status": "ok"}))
}

/// A Key Vault request: parse, load what it needs, decide, store what it
/// changed if nothing changed meanwhile.
pub async fn vault<S: Store>(app: &Shared<S>, method: &str, target: &str, body: &[u8]) -> Response {
    let operation = match Operation::parse(Request { method, target, body }) {
        Ok(operation) => operation,
        Err(refused) => return refused.response(),
    };
    if !operation.is_write() {
        return answer(app, operation).await;
    }
    // A write runs to its end even if its client goes away meanwhile, so a
    // name's next request never meets a write still landing.
    let task_app = app.clone();
    match tokio::spawn(async move { answer(&task_app, operation).await }).await {
        Ok(response) => response,
        Err(e) => internal(e),
    }
}

/// Loads what `operation` needs, decides it, stores what it changed.
async fn answer<S: Store>(app: &Shared<S>, operation: Operation) -> Response {
    let needs = operation.needs();
    // Writes to one name (or one issuer) queue in this process; reads never wait.
    let writes = operation.is_write();
    // A read of private keys (a secret, a backup) queues with the writes too.
    let _queued = match (&needs.certificate, writes || operation.reads_private_keys()) {
        (Some(name), true) => Some(app.names.lock(name).await),
        _ => None,
    };
    let _queued_issuer = match (&needs.certificate, &needs.issuer, writes) {
        (None, Some(name), true) => Some(app.issuers.lock(name).await),
        _ => None,
    };
    let mut loaded = Loaded::default();
    if let Some(name) = &needs.certificate {
        match app.store.load(name).await {
            Ok(certificate) => loaded.certificate = certificate,
            Err(e) => return internal(e),
        }
    }
    if let Some(name) = &needs.issuer {
        match app.store.issuer(name).await {
            Ok(issuer) => loaded.issuer = issuer,
            Err(e) => return internal(e),
        }
    }
    if let Some(page) = &needs.page {
        let after = page.after.as_deref();
        let listed = match page.listing {
            Listing::Issuers => app.store.list_issuers(after, page.limit).await.map(|i| loaded.issuers = i),
            Listing::Certificates | Listing::DeletedCertificates => {
                let deleted = page.listing == Listing::DeletedCertificates;
                app.store.list_certificates(deleted, after, page.limit).await.map(|c| loaded.certificates = c)
            }
        };
        if let Err(e) = listed {
            return internal(e);
        }
    }
    if needs.contacts {
        match app.store.contacts().await {
            Ok(contacts) => loaded.contacts = contacts,
            Err(e) => return internal(e),
        }
    }
    // The private keys a secret or a backup needs, read back from the store.
    let mut keys = SealingKeys::new(app.custody.clone());
    if let Some(name) = &needs.certificate {
        for spki in operation.keys_needed(&loaded) {
            if let Err(e) = app.load_key(&mut keys.inner, name, &spki).await {
                return internal(e);
            }
        }
    }
    let before = loaded.certificate.as_ref().map(|(_, c)| c.clone()).filter(|_| operation.is_write());
    let at = now();
    let (decision, keys) = if operation.is_cpu_heavy(&app.settings) {
        let task_app = app.clone();
        let task_operation = operation.clone();
        let decided = app
            .pool
            .run(move || {
                let decision = task_operation.decide(&task_app.settings, loaded, &mut keys, &mut RandomIds, at);
                (decision, keys)
            })
            .await;
        match decided {
            Ok(decided) => decided,
            Err(e) => return internal(e),
        }
    } else {
        let decision = operation.decide(&app.settings, loaded, &mut keys, &mut RandomIds, at);
        (decision, keys)
    };
    for write in decision.writes {
        match write {
            Write::Certificate { expected, certificate } => {
                let name = certificate.name().clone();
                // The core's effects for this name decide its provider job.
                let effects = decision.effects.iter().filter(|(n, _)| *n == name).map(|(_, effect)| effect);
                let job = app.job_for(&name, effects, at);
                match app.write_certificate(before.as_ref(), expected, certificate, &keys.inner, job).await {
                    Ok(_) => {}
                    Err(Unwritten::Conflict) => return rest::conflict(&operation, &app.settings, &name),
                    Err(Unwritten::Failed(e)) => return internal(e),
                }
            }
            Write::Issuer { name, issuer } => {
                if let Err(e) = app.store.put_issuer(&name, issuer.as_ref()).await {
                    return internal(e);
                }
            }
            Write::Contacts(contacts) => {
                if let Err(e) = app.store.put_contacts(contacts.as_ref()).await {
                    return internal(e);
                }
            }
        }
    }
    decision.response
}

/// What `POST /admin/outcome` tells the provider to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum OutcomeKind {
    Issued,
    Failed,
    #[serde(alias = "canceled")]
    Cancelled,
}

#[derive(Deserialize)]
struct OutcomeBody {
    name: String,
    #[serde(default)]
    request_id: Option<String>,
    /// For `issued`: the chain to report (the elements a merge takes); when
    /// absent the simulated CA signs the request's key, or for `Self` the
    /// key holder.
    #[serde(default)]
    x5c: Option<Vec<String>>,
    outcome: OutcomeKind,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct SignBody {
    csr: String,
}

fn bad_request(message: impl std::fmt::Display) -> Response {
    error(400, "BadParameter", message)
}

/// The test routes, off unless `--admin`: tell the provider what to answer
/// now, or have its CA sign a CSR's key (for merges).
pub async fn admin<S: Store>(app: &Shared<S>, method: &str, path: &str, body: &[u8]) -> Response {
    if !app.config.admin {
        return error(404, "NotFound", "admin routes are off");
    }
    match (method, path) {
        ("POST", "/admin/outcome") => match serde_json::from_slice::<OutcomeBody>(body) {
            Ok(body) => outcome(app, body).await,
            Err(_) => bad_request("expected {name, request_id?, outcome, code?, message?, x5c?}"),
        },
        ("POST", "/admin/sign") => {
            let Ok(body) = serde_json::from_slice::<SignBody>(body) else { return bad_request("expected {csr}") };
            let engine = base64::engine::general_purpose::STANDARD;
            let Ok(der) = engine.decode(body.csr.trim()) else { return bad_request("csr is not base64") };
            let csr = match Csr::from_der(&der) {
                Ok(csr) => csr,
                Err(e) => return bad_request(e),
            };
            let task_app = app.clone();
            match app.pool.run(move || task_app.provider.sign(&csr, "CN=merged", now())).await {
                Ok(Ok(chain)) => json(200, json!({"x5c": chain.iter().map(|c| engine.encode(c)).collect::<Vec<_>>()})),
                Ok(Err(e)) => bad_request(e),
                Err(e) => internal(e),
            }
        }
        _ => error(404, "NotFound", "no such admin route"),
    }
}

/// Applies a provider outcome now, through the provider's own path (a
/// stale request is the core's 409).
async fn outcome<S: Store>(app: &Shared<S>, body: OutcomeBody) -> Response {
    let Ok(name) = CertificateName::new(&body.name) else { return bad_request("invalid name") };
    let request_id = match body.request_id.as_deref().map(RequestId::parse) {
        Some(Ok(id)) => Some(id),
        Some(Err(e)) => return bad_request(e),
        None => None,
    };
    let answer = match (body.outcome, body.x5c) {
        (OutcomeKind::Issued, Some(x5c)) => {
            match pending_certificate::x5c::decode(&x5c, &app.settings.chain_options.limits) {
                Ok(chain) => Answer::IssueChain(chain),
                Err(e) => return bad_request(e),
            }
        }
        // Who issues without a chain given: the key holder for `Self`, the
        // simulated CA for a registered issuer.
        (OutcomeKind::Issued, None) => match app.store.load(&name).await {
            Ok(Some((_, certificate)))
                if certificate
                    .provider_pending(request_id)
                    .is_ok_and(|p| p.mode() == pending_certificate::IssuerMode::SelfSigned) =>
            {
                Answer::SignSelf
            }
            Ok(_) => Answer::Issue,
            Err(e) => return internal(e),
        },
        (OutcomeKind::Failed, _) => Answer::Fail(Failure::new(
            body.code.unwrap_or_else(|| Failure::ISSUER_ERROR.into()),
            body.message.unwrap_or_default(),
        )),
        (OutcomeKind::Cancelled, _) => Answer::Cancel,
    };
    match provider::settle(app, &name, request_id, answer).await {
        Ok(Settled::Applied(_)) => json(200, json!({"applied": true})),
        Ok(Settled::Refused(e)) => rest::RestError::from(e).response(),
        Err(Unwritten::Conflict) => error(409, "Conflict", "another write got there first; try again"),
        Err(Unwritten::Failed(e)) => internal(e),
    }
}
