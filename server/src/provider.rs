//! The simulated provider: it answers each request in progress when its job
//! is due — the simulated CA issues a registered issuer's request, the key
//! holder signs a `Self` request, or either ends it `cancelled` if
//! cancellation was asked meanwhile.
//!
//! Invariant: a job is taken under a lease and answered by a write with the
//! revision check; an outcome for a request that was replaced, deleted or
//! settled meanwhile is refused by the core and only drops the job.

use std::time::Duration;

use pending_certificate::{Certificate, Failure, Issued, IssuerMode, OperationError};

use crate::app::{RandomIds, Shared, Unwritten, now};
use crate::store::{Job, JobKind, Store};

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

/// What a job decided for its request.
enum Outcome {
    /// The request settled; the aggregate to store.
    Settled(Box<Certificate>, &'static str),
    /// The request is no longer the one the job answers.
    Stale(OperationError),
}

/// Answers one job: load, decide (on the CPU pool), store; again if another
/// write got there first.
async fn answer<S: Store>(app: Shared<S>, job: Job) {
    for _ in 0..ATTEMPTS {
        match attempt(&app, &job).await {
            Ok(()) => return,
            Err(Unwritten::Conflict) => continue,
            Err(Unwritten::Failed(error)) => {
                // The lease runs out and the job is taken again.
                tracing::error!(name = %job.name, request_id = %job.request_id, %error, "provider job failed");
                return;
            }
        }
    }
}

async fn attempt<S: Store>(app: &Shared<S>, job: &Job) -> Result<(), Unwritten> {
    let _queued = app.names.lock(&job.name).await;
    let Some((revision, before)) = app.store.load(&job.name).await? else {
        app.store.drop_job(job).await?;
        return Ok(());
    };
    let pending = before.provider_pending(Some(job.request_id)).ok().filter(|p| p.is_in_progress()).cloned();
    let Some(pending) = pending else {
        app.store.drop_job(job).await?;
        return Ok(());
    };
    // `Self` is signed by the key holder: its key, read back.
    let keys = match (job.kind, pending.cancellation_requested()) {
        (JobKind::SignSelf, false) if pending.mode() == IssuerMode::SelfSigned => {
            app.key_holder_with(&job.name, pending.csr().public_key()).await?
        }
        _ => pending_certificate::memory::MemoryKeyHolder::new(),
    };
    let task_app = app.clone();
    let task_job = job.clone();
    let mut certificate = before.clone();
    let (outcome, keys) = app
        .pool
        .run(move || {
            let mut keys = keys;
            let outcome = decide(&task_app, &task_job, &mut certificate, &mut keys);
            (outcome, keys)
        })
        .await
        .map_err(|e| Unwritten::Failed(e.to_string()))?;
    match outcome {
        Outcome::Stale(error) => {
            tracing::info!(name = %job.name, request_id = %job.request_id, %error, "provider outcome refused");
            app.store.drop_job(job).await?;
            Ok(())
        }
        Outcome::Settled(certificate, outcome) => {
            app.write_certificate(Some(&before), Some(revision), *certificate, &keys, now()).await?;
            tracing::info!(name = %job.name, request_id = %job.request_id, outcome, "provider");
            Ok(())
        }
    }
}

/// The provider's answer for `job`, applied to `certificate`.
fn decide<S: Store>(
    app: &Shared<S>,
    job: &Job,
    certificate: &mut Certificate,
    keys: &mut pending_certificate::memory::MemoryKeyHolder,
) -> Outcome {
    let at = now();
    let options = &app.settings.chain_options;
    let cancelled = certificate.provider_pending(Some(job.request_id)).is_ok_and(|p| p.cancellation_requested());
    let result = if cancelled {
        certificate.cancelled(job.request_id, at).map(|()| "cancelled")
    } else {
        match job.kind {
            JobKind::SignSelf => {
                certificate.sign_self(job.request_id, keys, options, at, &mut RandomIds).map(|outcome| match outcome {
                    Issued::Completed(_) => "signed",
                    _ => "failed",
                })
            }
            JobKind::Issue => issue(app, job, certificate),
        }
    };
    match result {
        Ok(outcome) => Outcome::Settled(Box::new(certificate.clone()), outcome),
        Err(error) => Outcome::Stale(error),
    }
}

/// The simulated CA signs the request's key (`CN={name}`); a CA that cannot
/// makes the request `failed`.
fn issue<S: Store>(app: &Shared<S>, job: &Job, certificate: &mut Certificate) -> Result<&'static str, OperationError> {
    let at = now();
    let csr = certificate.provider_pending(Some(job.request_id))?.csr().clone();
    match app.provider.sign(&csr, &format!("CN={}", job.name), at) {
        Ok(chain) => certificate
            .issued(job.request_id, &chain, &app.settings.chain_options, at, &mut RandomIds)
            .map(|issued| if matches!(issued, Issued::Completed(_)) { "issued" } else { "failed" }),
        Err(error) => {
            certificate.failed(job.request_id, Failure::new(Failure::ISSUER_ERROR, error.to_string()), at)?;
            Ok("failed")
        }
    }
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
            let keys = pending_certificate::memory::MemoryKeyHolder::new();
            match app.write_certificate(Some(&certificate), Some(revision), Certificate::new(name), &keys, at).await {
                Ok(_) => purged += 1,
                Err(Unwritten::Conflict) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
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
        let revision = app.write_certificate(None, None, certificate.clone(), &keys, at).await.unwrap();
        let mut gone = certificate.clone();
        gone.delete(&Recovery::default(), at).unwrap();
        app.write_certificate(Some(&certificate), Some(revision), gone, &keys, at).await.unwrap();
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
}
