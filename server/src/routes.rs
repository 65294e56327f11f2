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
use crate::store::{Store, Writer};

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
    let mut attempt = 1;
    loop {
        match decide_and_store(app, &operation, &needs, attempt).await {
            Attempt::Answered(response) => return response,
            Attempt::Again => attempt += 1,
        }
    }
}

/// How many times a write that lost to the server's own background work
/// (a provider outcome, the sweep, possibly on another replica) is decided
/// again on the fresh state before it answers 409 as a lost race.
const DECIDE_AGAIN: usize = 4;

/// What one attempt at a request came to.
enum Attempt {
    /// The answer to send.
    Answered(Response),
    /// The server's own work wrote the name between the load and the store:
    /// decide again.
    Again,
}

/// Loads what `operation` needs, decides it, and stores what it changed if
/// the name is unchanged since the load.
async fn decide_and_store<S: Store>(
    app: &Shared<S>,
    operation: &Operation,
    needs: &rest::Needs,
    attempt: usize,
) -> Attempt {
    let mut loaded = Loaded::default();
    if let Some(name) = &needs.certificate {
        match app.store.load(name).await {
            Ok(certificate) => loaded.certificate = certificate,
            Err(e) => return Attempt::Answered(internal(e)),
        }
    }
    if let Some(name) = &needs.issuer {
        match app.store.issuer(name).await {
            Ok(issuer) => loaded.issuer = issuer,
            Err(e) => return Attempt::Answered(internal(e)),
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
            return Attempt::Answered(internal(e));
        }
    }
    if needs.contacts {
        match app.store.contacts().await {
            Ok(contacts) => loaded.contacts = contacts,
            Err(e) => return Attempt::Answered(internal(e)),
        }
    }
    // The private keys a secret or a backup needs, read back from the store.
    let mut keys = SealingKeys::new(app.custody.clone());
    if let Some(name) = &needs.certificate {
        for spki in operation.keys_needed(&loaded) {
            if let Err(e) = app.load_key(&mut keys.inner, name, &spki).await {
                return Attempt::Answered(internal(e));
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
            Err(e) => return Attempt::Answered(internal(e)),
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
                match app
                    .write_certificate(before.as_ref(), expected, certificate, &keys.inner, job, Writer::Client)
                    .await
                {
                    Ok(_) => {}
                    Err(Unwritten::LostToBackground) if attempt < DECIDE_AGAIN => return Attempt::Again,
                    Err(Unwritten::Conflict | Unwritten::LostToBackground) => {
                        return Attempt::Answered(rest::conflict(operation, &app.settings, &name));
                    }
                    Err(Unwritten::Failed(e)) => return Attempt::Answered(internal(e)),
                }
            }
            Write::Issuer { name, issuer } => {
                if let Err(e) = app.store.put_issuer(&name, issuer.as_ref()).await {
                    return Attempt::Answered(internal(e));
                }
            }
            Write::Contacts(contacts) => {
                if let Err(e) = app.store.put_contacts(contacts.as_ref()).await {
                    return Attempt::Answered(internal(e));
                }
            }
        }
    }
    Attempt::Answered(decision.response)
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
        Err(Unwritten::Conflict | Unwritten::LostToBackground) => {
            error(409, "Conflict", "another write got there first; try again")
        }
        Err(Unwritten::Failed(e)) => internal(e),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use std::future::Future;
    use std::sync::{Arc, Mutex};

    use clap::Parser as _;
    use pending_certificate::wire::Contacts;
    use pending_certificate::{
        Certificate, Command, Issuer, IssuerName, NoKeys, Recovery, Revision, SequentialIds, VaultSettings, VaultUrl,
        command,
    };

    use super::*;
    use crate::app::{App, NameLocks};
    use crate::config::Config;
    use crate::custody::Custody;
    use crate::pool::CpuPool;
    use crate::store::memory::MemoryStore;
    use crate::store::{Job, JobChange, NameWrite, StoreError, WriteError};
    use serde_json::Value;

    /// A store where, once armed, the next client write is preceded by a
    /// provider outcome (`cancelled` for the request in progress) written
    /// by `writer`: the outcome lands between the request's load and its
    /// store, as another replica's provider would.
    #[derive(Default)]
    struct Racing {
        inner: MemoryStore,
        armed: Mutex<Option<Writer>>,
    }

    impl Racing {
        async fn interfere(&self, name: &CertificateName, writer: Writer) {
            let (revision, mut certificate) = self.inner.load(name).await.unwrap().unwrap();
            let request_id = certificate.current_pending().unwrap().request_id();
            let (options, recovery) = (Default::default(), Recovery::default());
            let cx = command::Context { chain_options: &options, recovery: &recovery, now: now() };
            let cancelled = Command::Cancelled { request_id };
            certificate.apply(cancelled, &cx, &mut SequentialIds::default(), &mut NoKeys).unwrap();
            let write = NameWrite {
                certificate,
                expected: Some(revision),
                keys_added: Vec::new(),
                keys_removed: Vec::new(),
                job: JobChange::Clear,
                writer,
            };
            self.inner.write(write).await.unwrap();
        }
    }

    impl Store for Racing {
        fn load(
            &self,
            name: &CertificateName,
        ) -> impl Future<Output = Result<Option<(Revision, Certificate)>, StoreError>> + Send {
            self.inner.load(name)
        }
        async fn write(&self, write: NameWrite) -> Result<Revision, WriteError> {
            let armed = self.armed.lock().unwrap().take();
            if let Some(writer) = armed.filter(|_| write.writer == Writer::Client) {
                self.interfere(write.certificate.name(), writer).await;
            }
            self.inner.write(write).await
        }
        fn issuer(&self, name: &IssuerName) -> impl Future<Output = Result<Option<Issuer>, StoreError>> + Send {
            self.inner.issuer(name)
        }
        fn put_issuer(
            &self,
            name: &IssuerName,
            issuer: Option<&Issuer>,
        ) -> impl Future<Output = Result<(), StoreError>> + Send {
            self.inner.put_issuer(name, issuer)
        }
        fn key(
            &self,
            name: &CertificateName,
            spki: &[u8],
        ) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send {
            self.inner.key(name, spki)
        }
        fn take_due_jobs(
            &self,
            now_ms: i64,
            lease_ms: i64,
            limit: usize,
        ) -> impl Future<Output = Result<Vec<Job>, StoreError>> + Send {
            self.inner.take_due_jobs(now_ms, lease_ms, limit)
        }
        fn drop_job(&self, job: &Job) -> impl Future<Output = Result<(), StoreError>> + Send {
            self.inner.drop_job(job)
        }
        fn meta_or_insert(
            &self,
            key: &str,
            value: Vec<u8>,
        ) -> impl Future<Output = Result<Vec<u8>, StoreError>> + Send {
            self.inner.meta_or_insert(key, value)
        }
        fn list_certificates(
            &self,
            deleted: bool,
            after: Option<&str>,
            limit: usize,
        ) -> impl Future<Output = Result<Vec<(Revision, Certificate)>, StoreError>> + Send {
            self.inner.list_certificates(deleted, after, limit)
        }
        fn list_issuers(
            &self,
            after: Option<&str>,
            limit: usize,
        ) -> impl Future<Output = Result<Vec<(IssuerName, Issuer)>, StoreError>> + Send {
            self.inner.list_issuers(after, limit)
        }
        fn contacts(&self) -> impl Future<Output = Result<Option<Contacts>, StoreError>> + Send {
            self.inner.contacts()
        }
        fn put_contacts(&self, contacts: Option<&Contacts>) -> impl Future<Output = Result<(), StoreError>> + Send {
            self.inner.put_contacts(contacts)
        }
    }

    fn app() -> Shared<Racing> {
        Arc::new(App {
            store: Racing::default(),
            settings: VaultSettings::new(VaultUrl::new("https://race.vault.test").unwrap()),
            custody: Arc::new(Custody::ephemeral().unwrap()),
            provider: pending_certificate::memory::ProviderSimulator::new("Race CA").unwrap(),
            pool: CpuPool::new(1),
            config: Config::try_parse_from(["pending-certificate-server"]).unwrap(),
            jobs: tokio::sync::Notify::new(),
            names: NameLocks::default(),
            issuers: NameLocks::default(),
        })
    }

    async fn send(
        app: &Shared<Racing>,
        method: &str,
        target: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let body = if body.is_null() { Vec::new() } else { serde_json::to_vec(&body).unwrap() };
        let response = vault(app, method, target, &body).await;
        (response.status, serde_json::from_slice(&response.body).unwrap_or_default())
    }

    /// Creates `name` with a registered issuer and asks for cancellation.
    async fn created_and_cancelling(app: &Shared<Racing>, name: &str) {
        let issuer = json!({"provider": "DigiCert"});
        assert_eq!(send(app, "PUT", "/certificates/issuers/ca?api-version=7.5", issuer).await.0, 200);
        let body = json!({"policy": {"key_props": {"kty": "EC", "crv": "P-256"},
            "x509_props": {"subject": "CN=r"}, "issuer": {"name": "ca"}}});
        assert_eq!(send(app, "POST", &format!("/certificates/{name}/create?api-version=7.5"), body).await.0, 202);
        let cancel = json!({"cancellation_requested": true});
        assert_eq!(send(app, "PATCH", &format!("/certificates/{name}/pending?api-version=7.5"), cancel).await.0, 200);
    }

    #[tokio::test]
    async fn a_write_that_loses_to_the_providers_outcome_is_decided_again_on_the_fresh_state() {
        let app = app();
        created_and_cancelling(&app, "r1").await;
        // The provider's `cancelled` lands between the DELETE's load and its store.
        *app.store.armed.lock().unwrap() = Some(Writer::Background);
        let (code, body) = send(&app, "DELETE", "/certificates/r1/pending?api-version=7.5", Value::Null).await;
        assert!(app.store.armed.lock().unwrap().is_none(), "the provider did write in between");
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["status"], "cancelled", "answered from the fresh state: {body}");
        let (code, _) = send(&app, "GET", "/certificates/r1/pending?api-version=7.5", Value::Null).await;
        assert_eq!(code, 404, "and deleted");
    }

    #[tokio::test]
    async fn a_write_that_loses_to_another_client_is_still_409() {
        let app = app();
        created_and_cancelling(&app, "r2").await;
        // The same write, by another client this time: two clients racing.
        *app.store.armed.lock().unwrap() = Some(Writer::Client);
        let (code, body) = send(&app, "DELETE", "/certificates/r2/pending?api-version=7.5", Value::Null).await;
        assert_eq!((code, body["error"]["code"].as_str()), (409, Some("Conflict")), "{body}");
        let (code, body) = send(&app, "GET", "/certificates/r2/pending?api-version=7.5", Value::Null).await;
        assert_eq!((code, body["status"].as_str()), (200, Some("cancelled")), "the refused delete changed nothing");
    }
}
