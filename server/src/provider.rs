//! The simulated provider: it answers each request in progress when its job
//! is due — the simulated CA issues a registered issuer's request, the key
//! holder signs a `Self` request, or either ends it `cancelled` if
//! cancellation was asked meanwhile.
//!
//! Invariant: a job is taken under a lease and answered by a write with the
//! revision check; an outcome for a request that was replaced, deleted or
//! settled meanwhile is refused by the core and only drops the job.

use std::time::Duration;

use pending_certificate::memory::MemoryKeyHolder;
use pending_certificate::{Applied, CertificateName, Command, Failure, IssuerMode, OperationError, RequestId, command};

use crate::app::{RandomIds, Shared, Unwritten, now};
use crate::store::{Job, JobChange, JobKind, Store, Writer};

/// How often due jobs are looked for when nothing wakes the loop earlier.
const TICK: Duration = Duration::from_millis(100);

/// Attempts at one job's write when other writes keep getting there first.
const ATTEMPTS: usize = 8;

/// Runs due jobs until the process stops.
pub async fn run<S: Store>(app: Shared<S>) {
    let lease = i64::try_from(app.config.job_lease.as_millis()).unwrap_or(i64::MAX).max(1);
    loop {
        let now_ms = i64::try_from(now().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
        match app.store.take_due_jobs(now_ms, lease, 64).await {
            Ok(jobs) => {
                for job in jobs {
                    tokio::spawn(answer(app.clone(), job));
                }
            }
            Err(error) => tracing::error!(%error, "taking due jobs"),
        }
        tokio::select! {
            () = tokio::time::sleep(TICK) => {}
            () = app.jobs.notified() => {}
        }
    }
}

/// What a provider answers for a request: what a job was scheduled for, or
/// what a test tells it through the admin route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The simulated CA signs the request's key (`CN={name}`).
    Issue,
    /// The provider issued this chain (DER).
    IssueChain(Vec<Vec<u8>>),
    /// The key holder signs a `Self` request.
    SignSelf,
    /// The request failed.
    Fail(Failure),
    /// The request was cancelled.
    Cancel,
}

impl Answer {
    /// What a job of `kind` answers.
    pub fn of(kind: JobKind) -> Self {
        match kind {
            JobKind::Issue => Answer::Issue,
            JobKind::SignSelf => Answer::SignSelf,
            JobKind::Cancel => Answer::Cancel,
        }
    }
}

/// What a provider's answer came to.
#[derive(Debug)]
pub enum Settled {
    /// Applied and stored: `issued`, `signed`, `failed` or `cancelled`.
    Applied(&'static str),
    /// Refused by the core (the request was replaced, deleted or settled
    /// meanwhile, or the name holds none): nothing changed.
    Refused(OperationError),
}

/// Answers one job: the provider path, again if another write got there
/// first; a refused answer drops the job.
async fn answer<S: Store>(app: Shared<S>, job: Job) {
    for _ in 0..ATTEMPTS {
        match settle(&app, &job.name, Some(job.request_id), Answer::of(job.kind)).await {
            Ok(Settled::Applied(outcome)) => {
                tracing::info!(name = %job.name, request_id = %job.request_id, outcome, "provider");
                return;
            }
            Ok(Settled::Refused(error)) => {
                tracing::info!(name = %job.name, request_id = %job.request_id, %error, "provider outcome refused");
                if let Err(error) = app.store.drop_job(&job).await {
                    tracing::error!(name = %job.name, %error, "dropping a refused job");
                }
                return;
            }
            Err(Unwritten::Conflict | Unwritten::LostToBackground) => continue,
            Err(Unwritten::Failed(error)) => {
                // The lease runs out and the job is taken again.
                tracing::error!(name = %job.name, request_id = %job.request_id, %error, "provider job failed");
                return;
            }
        }
    }
}

/// The provider path, for jobs and the admin route alike: under the name's
/// lock, load, build the provider's outcome as a core command (on the CPU
/// pool: signing, chain checks), apply it, and store it with the revision
/// check; the request's job goes with it. `request_id` defaults to the
/// current request.
pub async fn settle<S: Store>(
    app: &Shared<S>,
    name: &CertificateName,
    request_id: Option<RequestId>,
    answer: Answer,
) -> Result<Settled, Unwritten> {
    let _queued = app.names.lock(name).await;
    let loaded = app.store.load(name).await?;
    let (revision, before) = match loaded {
        Some((revision, certificate)) => (Some(revision), certificate),
        None => (None, pending_certificate::Certificate::new(name.clone())),
    };
    let request_id = match request_id {
        Some(id) => id,
        None => match before.provider_pending(None) {
            Ok(pending) => pending.request_id(),
            Err(error) => return Ok(Settled::Refused(error)),
        },
    };
    let pending = before.provider_pending(Some(request_id)).ok().filter(|p| p.is_in_progress()).cloned();
    // `Self` is signed by the key holder: its key, read back.
    let keys = match (&answer, &pending) {
        (Answer::SignSelf, Some(p)) if p.mode() == IssuerMode::SelfSigned => {
            app.key_holder_with(name, p.csr().public_key()).await?
        }
        _ => MemoryKeyHolder::new(),
    };
    let task_app = app.clone();
    let mut certificate = before.clone();
    let task_name = name.clone();
    let (applied, keys) = app
        .pool
        .run(move || {
            let mut keys = keys;
            let at = now();
            let command = match answer {
                Answer::Issue => match pending.as_ref().map(|p| p.csr()) {
                    Some(csr) => match task_app.provider.sign(csr, &format!("CN={task_name}"), at) {
                        Ok(x5c) => Command::Issued { request_id, x5c },
                        Err(error) => Command::Failed {
                            request_id,
                            failure: Failure::new(Failure::ISSUER_ERROR, error.to_string()),
                        },
                    },
                    // No such request: the core refuses the outcome as stale.
                    None => Command::Issued { request_id, x5c: Vec::new() },
                },
                Answer::IssueChain(x5c) => Command::Issued { request_id, x5c },
                Answer::SignSelf => Command::SignSelf { request_id },
                Answer::Fail(failure) => Command::Failed { request_id, failure },
                Answer::Cancel => Command::Cancelled { request_id },
            };
            let cx = command::Context {
                chain_options: &task_app.settings.chain_options,
                recovery: &task_app.settings.recovery,
                now: at,
            };
            let applied = certificate.apply(command, &cx, &mut RandomIds, &mut keys).map(|o| (o, certificate));
            (applied, keys)
        })
        .await
        .map_err(|e| Unwritten::Failed(e.to_string()))?;
    let (outcome, certificate) = match applied {
        Ok(applied) => applied,
        Err(error) => return Ok(Settled::Refused(error)),
    };
    let word = match outcome.applied {
        Applied::Issued(pending_certificate::Issued::Completed(_)) => "issued",
        Applied::Cancelled => "cancelled",
        _ => "failed",
    };
    // The request is settled: its job, whatever it was, is done.
    app.write_certificate(Some(&before), revision, certificate, &keys, JobChange::Clear, Writer::Background).await?;
    Ok(Settled::Applied(word))
}

/// How often deleted certificates past their purge date are removed.
const SWEEP: Duration = Duration::from_secs(60);

/// Purges, every [`SWEEP`], the deleted certificates whose scheduled purge
/// date has come (the core already answers them as gone; this removes their
/// data and keys), until the process stops.
pub async fn sweep<S: Store>(app: Shared<S>) {
    loop {
        tokio::time::sleep(SWEEP).await;
        match sweep_once(&app, now()).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "purged deleted certificates past their purge date"),
            Err(error) => tracing::error!(%error, "sweeping deleted certificates"),
        }
    }
}

/// One pass over the deleted certificates, as of `at`; how many were purged.
pub async fn sweep_once<S: Store>(app: &Shared<S>, at: time::OffsetDateTime) -> Result<usize, Unwritten> {
    let mut after: Option<String> = None;
    let mut purged = 0;
    loop {
        let page = app.store.list_certificates(true, after.as_deref(), 100).await?;
        let Some((_, last)) = page.last() else { return Ok(purged) };
        after = Some(last.name().as_str().to_owned());
        for (_, listed) in page.iter().filter(|(_, c)| c.is_purged_at(at)) {
            let name = listed.name().clone();
            let _queued = app.names.lock(&name).await;
            // Read again under the name's lock: a recovery may have won.
            let Some((revision, certificate)) = app.store.load(&name).await? else { continue };
            if !certificate.is_purged_at(at) {
                continue;
            }
            let keys = MemoryKeyHolder::new();
            let empty = pending_certificate::Certificate::new(name);
            // Purged: no request is left for a job to answer.
            let written = app.write_certificate(
                Some(&certificate),
                Some(revision),
                empty,
                &keys,
                JobChange::Clear,
                Writer::Background,
            );
            match written.await {
                Ok(_) => purged += 1,
                Err(Unwritten::Conflict | Unwritten::LostToBackground) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use std::sync::Arc;

    use clap::Parser as _;
    use pending_certificate::memory::MemoryKeyHolder;
    use pending_certificate::rest::{self, Write};
    use pending_certificate::{CertificateName, Recovery, VaultSettings, VaultUrl};

    use super::*;
    use crate::app::{App, NameLocks};
    use crate::config::Config;
    use crate::custody::Custody;
    use crate::pool::CpuPool;
    use crate::store::JobKind;
    use crate::store::memory::MemoryStore;

    async fn app() -> Shared<MemoryStore> {
        let settings = VaultSettings::new(VaultUrl::new("https://sweep.vault.test").unwrap());
        Arc::new(App {
            store: MemoryStore::default(),
            settings,
            custody: Arc::new(Custody::ephemeral().unwrap()),
            provider: pending_certificate::memory::ProviderSimulator::new("Sweep CA").unwrap(),
            pool: CpuPool::new(1),
            config: Config::try_parse_from(["pending-certificate-server"]).unwrap(),
            jobs: tokio::sync::Notify::new(),
            names: NameLocks::default(),
            issuers: NameLocks::default(),
        })
    }

    /// Creates `name` (a manual request, its key with it) and deletes it at `at`.
    async fn deleted(app: &Shared<MemoryStore>, name: &str, at: time::OffsetDateTime) {
        let body = serde_json::json!({"policy": {"key_props": {"kty": "EC", "crv": "P-256"},
            "x509_props": {"subject": "CN=s"}, "issuer": {"name": "Unknown"}}});
        let body = serde_json::to_vec(&body).unwrap();
        let target = format!("/certificates/{name}/create?api-version=7.5");
        let operation = rest::Operation::parse(rest::Request { method: "POST", target: &target, body: &body }).unwrap();
        let mut keys = MemoryKeyHolder::new();
        let decision = operation.decide(&app.settings, rest::Loaded::default(), &mut keys, &mut RandomIds, at);
        let Some(Write::Certificate { certificate, .. }) = decision.writes.into_iter().next() else {
            panic!("a create writes its aggregate")
        };
        let revision = app
            .write_certificate(None, None, certificate.clone(), &keys, JobChange::Keep, Writer::Client)
            .await
            .unwrap();
        let mut gone = certificate.clone();
        let recovery = Recovery::default();
        let cx = command::Context { chain_options: &app.settings.chain_options, recovery: &recovery, now: at };
        gone.apply(Command::Delete, &cx, &mut RandomIds, &mut keys).unwrap();
        app.write_certificate(Some(&certificate), Some(revision), gone, &keys, JobChange::Keep, Writer::Client)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_sweep_purges_what_is_past_its_date_and_nothing_else() {
        let app = app().await;
        let start = now();
        deleted(&app, "early", start).await;
        deleted(&app, "late", start + time::Duration::days(30)).await;
        let spki = {
            let (_, c) = app.store.load(&CertificateName::new("early").unwrap()).await.unwrap().unwrap();
            c.key_references().first().map(|k| k.to_vec()).unwrap()
        };
        assert_eq!(sweep_once(&app, start + time::Duration::days(89)).await.unwrap(), 0);
        assert_eq!(sweep_once(&app, start + time::Duration::days(90)).await.unwrap(), 1);
        let early = CertificateName::new("early").unwrap();
        assert!(app.store.load(&early).await.unwrap().is_none(), "a purged name leaves no aggregate");
        assert!(app.store.key(&early, &spki).await.unwrap().is_none(), "and no key");
        assert!(app.store.load(&CertificateName::new("late").unwrap()).await.unwrap().is_some());
        assert_eq!(sweep_once(&app, start + time::Duration::days(120)).await.unwrap(), 1);
        assert!(app.store.list_certificates(true, None, 10).await.unwrap().is_empty());
    }

    /// Sends a Key Vault request through the server's routes; its status and body.
    async fn send(
        app: &Shared<MemoryStore>,
        method: &str,
        target: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let body = if body.is_null() { Vec::new() } else { serde_json::to_vec(&body).unwrap() };
        let response = crate::routes::vault(app, method, target, &body).await;
        (response.status, serde_json::from_slice(&response.body).unwrap_or_default())
    }

    /// The name's job, as the provider loop would take it once due (with
    /// no lease, so that it can be looked at again).
    async fn job_of(app: &Shared<MemoryStore>, name: &str) -> Option<Job> {
        let jobs = app.store.take_due_jobs(i64::MAX / 2, 0, 100).await.unwrap();
        jobs.into_iter().find(|j| j.name.as_str() == name)
    }

    async fn status(app: &Shared<MemoryStore>, name: &str) -> String {
        let (code, body) =
            send(app, "GET", &format!("/certificates/{name}/pending?api-version=7.5"), serde_json::Value::Null).await;
        assert_eq!(code, 200, "{body}");
        body["status"].as_str().unwrap().to_owned()
    }

    fn create_body(issuer: &str) -> serde_json::Value {
        serde_json::json!({"policy": {"key_props": {"kty": "EC", "crv": "P-256"},
            "x509_props": {"subject": "CN=e"}, "issuer": {"name": issuer}}})
    }

    async fn registered_issuer(app: &Shared<MemoryStore>) {
        let (code, body) =
            send(app, "PUT", "/certificates/issuers/ca?api-version=7.5", serde_json::json!({"provider": "DigiCert"}))
                .await;
        assert_eq!(code, 200, "{body}");
    }

    #[tokio::test]
    async fn submit_to_issuer_schedules_an_issue_job_that_the_provider_answers() {
        let app = app().await;
        registered_issuer(&app).await;
        let (code, body) = send(&app, "POST", "/certificates/e1/create?api-version=7.5", create_body("ca")).await;
        assert_eq!(code, 202, "{body}");
        let request_id = body["request_id"].as_str().unwrap().to_owned();
        let job = job_of(&app, "e1").await.expect("SubmitToIssuer schedules a job");
        assert_eq!((job.kind, job.request_id.to_string()), (JobKind::Issue, request_id));
        answer(app.clone(), job).await;
        assert_eq!(status(&app, "e1").await, "completed");
        assert!(job_of(&app, "e1").await.is_none(), "the answered job is gone");
    }

    #[tokio::test]
    async fn sign_self_schedules_a_signing_job_that_the_key_holder_answers() {
        let app = app().await;
        let (code, body) = send(&app, "POST", "/certificates/e2/create?api-version=7.5", create_body("Self")).await;
        assert_eq!(code, 202, "{body}");
        let job = job_of(&app, "e2").await.expect("SignSelf schedules a job");
        assert_eq!(job.kind, JobKind::SignSelf);
        assert_eq!(status(&app, "e2").await, "inProgress");
        answer(app.clone(), job).await;
        assert_eq!(status(&app, "e2").await, "completed");
    }

    #[tokio::test]
    async fn cancel_at_issuer_turns_the_job_into_the_providers_confirmation() {
        let app = app().await;
        registered_issuer(&app).await;
        for (name, issuer) in [("e3", "ca"), ("e4", "Self")] {
            let target = format!("/certificates/{name}/create?api-version=7.5");
            assert_eq!(send(&app, "POST", &target, create_body(issuer)).await.0, 202);
            let scheduled = job_of(&app, name).await.unwrap();
            let target = format!("/certificates/{name}/pending?api-version=7.5");
            let (code, body) = send(&app, "PATCH", &target, serde_json::json!({"cancellation_requested": true})).await;
            assert_eq!((code, body["status"].as_str()), (200, Some("inProgress")), "{body}");
            let job = job_of(&app, name).await.expect("the request's job stays");
            assert_eq!(job.kind, JobKind::Cancel, "{name}: CancelAtIssuer makes the job a cancellation");
            assert_eq!((job.request_id, job.due_ms), (scheduled.request_id, scheduled.due_ms), "due when it was");
            answer(app.clone(), job).await;
            assert_eq!(status(&app, name).await, "cancelled");
        }
    }

    #[tokio::test]
    async fn pending_deleted_clears_the_job() {
        let app = app().await;
        registered_issuer(&app).await;
        assert_eq!(send(&app, "POST", "/certificates/e5/create?api-version=7.5", create_body("ca")).await.0, 202);
        assert!(job_of(&app, "e5").await.is_some());
        let (code, body) =
            send(&app, "DELETE", "/certificates/e5/pending?api-version=7.5", serde_json::Value::Null).await;
        assert_eq!(code, 200, "{body}");
        assert!(job_of(&app, "e5").await.is_none(), "PendingDeleted leaves no job");
    }

    #[tokio::test]
    async fn a_job_whose_request_was_replaced_is_refused_and_dropped() {
        let app = app().await;
        let (code, _) = send(&app, "POST", "/certificates/e6/create?api-version=7.5", create_body("Unknown")).await;
        assert_eq!(code, 202);
        let name = CertificateName::new("e6").unwrap();
        let stale = Job { name: name.clone(), request_id: RequestId::from_u128(7), kind: JobKind::Issue, due_ms: 0 };
        let settled = settle(&app, &name, Some(stale.request_id), Answer::Issue).await.unwrap();
        assert!(matches!(settled, Settled::Refused(OperationError::StaleOutcome { .. })), "{settled:?}");
        assert_eq!(status(&app, "e6").await, "inProgress", "a refused outcome changes nothing");
    }
}
