//! The shared store: PostgreSQL, for several replicas on one database.
//!
//! Every replica runs the same versioned migrations at start, one at a time
//! under an advisory lock, so replicas starting together agree on one schema.
//! A write is one transaction: the aggregate's row is updated only `WHERE
//! revision = expected` (or inserted only if the name has no row), its keys
//! and its job change in the same transaction, and a write that matched no
//! row is rolled back and answered as a conflict. Revisions come from one
//! sequence, so they are never reused. Provider jobs are rows leased with
//! `FOR UPDATE SKIP LOCKED`: a replica that dies holding one leaves it to
//! another once the lease ends.
//!
//! Invariant: the revision check is the write's own `UPDATE … WHERE
//! revision = $n` (or `INSERT … ON CONFLICT DO NOTHING`) inside the
//! transaction that also writes the keys and the job; nothing is read and
//! then written by the server in two steps.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use pending_certificate::wire::Contacts;
use pending_certificate::{Certificate, CertificateName, Issuer, IssuerName, RequestId, Revision};
use tokio_postgres::NoTls;

use super::{Job, JobChange, JobKind, NameWrite, Store, StoreError, WriteError, Writer};

/// The schema, one migration per version, applied in order and never changed
/// once released.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "CREATE SEQUENCE revisions;
     CREATE TABLE aggregates (
         name text PRIMARY KEY,
         revision bigint NOT NULL,
         body bytea NOT NULL
     );
     CREATE TABLE keys (
         name text NOT NULL,
         spki bytea NOT NULL,
         sealed bytea NOT NULL,
         PRIMARY KEY (name, spki)
     );
     CREATE TABLE jobs (
         name text PRIMARY KEY,
         request_id text NOT NULL,
         kind text NOT NULL,
         due_ms bigint NOT NULL,
         leased_until_ms bigint NOT NULL DEFAULT 0
     );
     CREATE INDEX jobs_due ON jobs (due_ms);
     CREATE TABLE issuers (
         name text PRIMARY KEY,
         body bytea NOT NULL
     );
     CREATE TABLE meta (
         key text PRIMARY KEY,
         value bytea NOT NULL
     );",
    ),
    (
        2,
        "ALTER TABLE aggregates ADD COLUMN deleted boolean NOT NULL DEFAULT false;
         ALTER TABLE aggregates ALTER COLUMN name TYPE text COLLATE \"C\";
         ALTER TABLE issuers ALTER COLUMN name TYPE text COLLATE \"C\";
         CREATE INDEX aggregates_deleted ON aggregates (name) WHERE deleted;",
    ),
    (3, "ALTER TABLE aggregates ADD COLUMN background boolean NOT NULL DEFAULT false;"),
];

/// The advisory lock migrations run under (any constant the database's other
/// users do not take).
const MIGRATION_LOCK: i64 = 0x7065_6e64_696e_6763;

const LOAD: &str = "SELECT revision, body FROM aggregates WHERE name = $1";
const INSERT: &str = "INSERT INTO aggregates (name, revision, body, deleted, background) \
                      VALUES ($1, nextval('revisions'), $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING revision";
const UPDATE: &str = "UPDATE aggregates SET revision = nextval('revisions'), body = $2, deleted = $4, background = $5 \
                      WHERE name = $1 AND revision = $3 RETURNING revision";
const WRITER: &str = "SELECT background FROM aggregates WHERE name = $1";
const LIST: &str = "SELECT revision, body FROM aggregates WHERE deleted = $1 AND ($2::text IS NULL OR name > $2) \
                    ORDER BY name LIMIT $3";
const ISSUERS_LIST: &str =
    "SELECT name, body FROM issuers WHERE ($1::text IS NULL OR name > $1) ORDER BY name LIMIT $2";
const META_GET: &str = "SELECT value FROM meta WHERE key = $1";
const META_SET: &str =
    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value";
const META_DELETE: &str = "DELETE FROM meta WHERE key = $1";
const DELETE: &str = "DELETE FROM aggregates WHERE name = $1 AND revision = $2 RETURNING nextval('revisions')";
const ABSENT: &str = "SELECT nextval('revisions') WHERE NOT EXISTS (SELECT 1 FROM aggregates WHERE name = $1)";
const KEYS_REMOVE: &str = "DELETE FROM keys WHERE name = $1 AND spki = ANY($2)";
const KEYS_REMOVE_ALL: &str = "DELETE FROM keys WHERE name = $1";
const KEYS_ADD: &str = "INSERT INTO keys (name, spki, sealed) SELECT $1, * FROM unnest($2::bytea[], $3::bytea[]) \
                        ON CONFLICT (name, spki) DO UPDATE SET sealed = EXCLUDED.sealed";
const JOB_SET: &str = "INSERT INTO jobs (name, request_id, kind, due_ms, leased_until_ms) VALUES ($1, $2, $3, $4, 0) \
                       ON CONFLICT (name) DO UPDATE SET request_id = EXCLUDED.request_id, kind = EXCLUDED.kind, \
                       due_ms = EXCLUDED.due_ms, leased_until_ms = 0";
const JOB_CLEAR: &str = "DELETE FROM jobs WHERE name = $1";
const JOB_CANCEL: &str = "UPDATE jobs SET kind = 'cancel' WHERE name = $1 AND request_id = $2";
const JOBS_TAKE: &str = "UPDATE jobs SET leased_until_ms = $2 WHERE name IN (\
                           SELECT name FROM jobs WHERE due_ms <= $1 AND leased_until_ms <= $1 \
                           ORDER BY due_ms LIMIT $3 FOR UPDATE SKIP LOCKED) \
                         RETURNING name, request_id, kind, due_ms";
const JOB_DROP: &str = "DELETE FROM jobs WHERE name = $1 AND request_id = $2";
const KEY: &str = "SELECT sealed FROM keys WHERE name = $1 AND spki = $2";
const ISSUER: &str = "SELECT body FROM issuers WHERE name = $1";
const ISSUER_SET: &str =
    "INSERT INTO issuers (name, body) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET body = EXCLUDED.body";
const ISSUER_DELETE: &str = "DELETE FROM issuers WHERE name = $1";
const META: &str =
    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET key = meta.key RETURNING value";

/// Connections for single-statement reads, shared by every request: their
/// queries are pipelined, so many requests' reads travel in one round trip.
/// A connection that closed is replaced by the next read that finds it so.
struct Readers {
    config: tokio_postgres::Config,
    slots: Vec<std::sync::Mutex<Option<Arc<Reader>>>>,
    /// One reconnect per slot at a time; the others wait for it.
    reconnecting: Vec<tokio::sync::Mutex<()>>,
    next: AtomicUsize,
}

/// One shared read connection and its prepared statements.
struct Reader {
    client: tokio_postgres::Client,
    load: tokio_postgres::Statement,
    issuer: tokio_postgres::Statement,
    key: tokio_postgres::Statement,
}

impl Readers {
    fn current(&self, index: usize) -> Option<Arc<Reader>> {
        let slot = self.slots.get(index)?.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.as_ref().filter(|r| !r.client.is_closed()).cloned()
    }

    async fn reader(&self) -> Result<Arc<Reader>, StoreError> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len().max(1);
        if let Some(reader) = self.current(index) {
            return Ok(reader);
        }
        let _one = match self.reconnecting.get(index) {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        // Another read may have reconnected the slot meanwhile.
        if let Some(reader) = self.current(index) {
            return Ok(reader);
        }
        let (client, connection) = bounded(self.config.connect(NoTls)).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %describe(&e), "a database read connection closed");
            }
        });
        let reader = Arc::new(Reader {
            load: bounded(client.prepare(LOAD)).await?,
            issuer: bounded(client.prepare(ISSUER)).await?,
            key: bounded(client.prepare(KEY)).await?,
            client,
        });
        if let Some(slot) = self.slots.get(index) {
            *slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&reader));
        }
        Ok(reader)
    }
}

/// The PostgreSQL [`Store`].
pub struct PostgresStore {
    pool: Pool,
    readers: Readers,
}

/// Shared read connections per store.
const READERS: usize = 2;

/// How long a connect, or one read, may take before it is a failure.
const TIMEOUT: Duration = Duration::from_secs(20);

/// `future`, or a failure once [`TIMEOUT`] passes.
async fn bounded<T>(
    future: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(TIMEOUT, future).await {
        Ok(result) => result.map_err(db),
        Err(_) => Err(failed(format!("the database did not answer within {TIMEOUT:?}"))),
    }
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("postgres: {e}"))
}

/// A database error's whole text: tokio-postgres says only "db error" at
/// the top and keeps the server's message in its source.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

fn db(e: tokio_postgres::Error) -> StoreError {
    failed(describe(&e))
}

fn job_kind(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Issue => "issue",
        JobKind::SignSelf => "sign-self",
        JobKind::Cancel => "cancel",
    }
}

impl PostgresStore {
    /// Connects a pool of at most `connections` to `url` (a `postgres://`
    /// URL or a `key=value` connection string) and applies the migrations
    /// this database lacks.
    pub async fn connect(url: &str, connections: usize) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| failed(format!("the database URL: {e}")))?;
        // A database that stops answering is noticed, not waited for: where
        // the URL sets none, connects time out, idle connections are probed,
        // and unacknowledged data fails the connection.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(TIMEOUT);
        }
        config.keepalives(true).keepalives_idle(Duration::from_secs(15)).keepalives_interval(Duration::from_secs(5));
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TIMEOUT);
        }
        let readers = Readers {
            config: config.clone(),
            slots: (0..READERS).map(|_| std::sync::Mutex::new(None)).collect(),
            reconnecting: (0..READERS).map(|_| tokio::sync::Mutex::new(())).collect(),
            next: AtomicUsize::new(0),
        };
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(connections.max(1))
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(Duration::from_secs(10)))
            .wait_timeout(Some(Duration::from_secs(30)))
            .build()
            .map_err(failed)?;
        let store = Self { pool, readers };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => db(e),
            other => failed(other),
        })
    }

    /// Applies the migrations this database lacks, one replica at a time;
    /// refuses a database whose schema is newer than this server's.
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(db)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await
        .map_err(db)?;
        let applied: Vec<i32> = tx
            .query("SELECT version FROM schema_migrations", &[])
            .await
            .map_err(db)?
            .iter()
            .map(|row| row.get(0))
            .collect();
        let latest = MIGRATIONS.iter().map(|(v, _)| *v).max().unwrap_or(0);
        if let Some(newer) = applied.iter().copied().filter(|v| *v > latest).max() {
            return Err(failed(format!(
                "the database's schema is at version {newer}, newer than this server's {latest}: upgrade the server"
            )));
        }
        for (version, sql) in MIGRATIONS {
            if !applied.contains(version) {
                tx.batch_execute(sql).await.map_err(db)?;
                tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version]).await.map_err(db)?;
                tracing::info!(version, "applied a schema migration");
            }
        }
        tx.commit().await.map_err(db)
    }
}

impl Store for PostgresStore {
    async fn load(&self, name: &CertificateName) -> Result<Option<(Revision, Certificate)>, StoreError> {
        let reader = self.readers.reader().await?;
        let Some(row) = bounded(reader.client.query_opt(&reader.load, &[&name.as_str()])).await? else {
            return Ok(None);
        };
        let revision: i64 = row.get(0);
        let body: &[u8] = row.get(1);
        let certificate = serde_json::from_slice(body).map_err(|e| failed(format!("{name}: {e}")))?;
        Ok(Some((Revision(revision.unsigned_abs()), certificate)))
    }

    async fn write(&self, write: NameWrite) -> Result<Revision, WriteError> {
        let name = write.certificate.name().as_str().to_owned();
        let empty = write.certificate.is_empty();
        let deleted = write.certificate.is_deleted();
        let background = write.writer == Writer::Background;
        let body = serde_json::to_vec(&write.certificate).map_err(failed)?;
        let expected = write.expected.map(|r| i64::try_from(r.0).unwrap_or(i64::MAX));
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        // Every statement prepared first (cached per connection), so that the
        // executions below go out in the order they are polled: the revision
        // check first, the keys and the job pipelined behind it, all rolled
        // back when the check matched nothing. The check taking the name's
        // row lock first keeps two writers of one name from deadlocking.
        let check = match (empty, expected) {
            (false, None) => INSERT,
            (false, Some(_)) => UPDATE,
            (true, Some(_)) => DELETE,
            (true, None) => ABSENT,
        };
        let prepared = async {
            Ok::<_, tokio_postgres::Error>((
                tx.prepare_cached(check).await?,
                tx.prepare_cached(KEYS_REMOVE).await?,
                tx.prepare_cached(KEYS_REMOVE_ALL).await?,
                tx.prepare_cached(KEYS_ADD).await?,
                tx.prepare_cached(JOB_SET).await?,
                tx.prepare_cached(JOB_CLEAR).await?,
            ))
        };
        let (check, keys_remove, keys_remove_all, keys_add, job_set, job_clear) = match prepared.await {
            Ok(prepared) => prepared,
            Err(e) => {
                let _ = tx.rollback().await;
                return Err(WriteError::Failed(db(e)));
            }
        };
        // A name that held nothing and holds nothing now: only the check.
        let touches = !(empty && expected.is_none());
        let checked = async {
            let rows = match expected {
                None if empty => tx.query(&check, &[&name]).await,
                None => tx.query(&check, &[&name, &body, &deleted, &background]).await,
                Some(expected) if empty => tx.query(&check, &[&name, &expected]).await,
                Some(expected) => tx.query(&check, &[&name, &body, &expected, &deleted, &background]).await,
            };
            rows.map(|rows| rows.first().map(|row| row.get::<_, i64>(0)))
        };
        let keys = async {
            if !touches {
                return Ok(());
            }
            if empty {
                tx.execute(&keys_remove_all, &[&name]).await?;
            } else if !write.keys_removed.is_empty() {
                tx.execute(&keys_remove, &[&name, &write.keys_removed]).await?;
            }
            if !write.keys_added.is_empty() {
                let (spkis, sealed): (Vec<&[u8]>, Vec<&[u8]>) =
                    write.keys_added.iter().map(|(s, k)| (s.as_slice(), k.as_slice())).unzip();
                tx.execute(&keys_add, &[&name, &spkis, &sealed]).await?;
            }
            Ok::<_, tokio_postgres::Error>(())
        };
        let job = async {
            match &write.job {
                _ if !touches => Ok(0),
                JobChange::Keep => Ok(0),
                JobChange::Clear => tx.execute(&job_clear, &[&name]).await,
                JobChange::Cancel(request_id) => tx.execute(JOB_CANCEL, &[&name, &request_id.to_string()]).await,
                JobChange::Set(job) => {
                    let request_id = job.request_id.to_string();
                    tx.execute(&job_set, &[&name, &request_id, &job_kind(job.kind), &job.due_ms]).await
                }
            }
        };
        let (checked, keys, job) = tokio::join!(biased; checked, keys, job);
        let revision = match checked {
            Ok(Some(revision)) => revision,
            Ok(None) => {
                let _ = tx.rollback().await;
                // Who got there first, for the caller to tell a client's
                // race from the server's own work.
                let by = match client.query_opt(WRITER, &[&name]).await {
                    Ok(Some(row)) if row.get::<_, bool>(0) => Writer::Background,
                    _ => Writer::Client,
                };
                return Err(WriteError::Conflict { by });
            }
            Err(e) => {
                let _ = tx.rollback().await;
                return Err(WriteError::Failed(db(e)));
            }
        };
        if let Err(e) = keys.and(job.map(|_| ())) {
            let _ = tx.rollback().await;
            return Err(WriteError::Failed(db(e)));
        }
        tx.commit().await.map_err(db)?;
        Ok(Revision(revision.unsigned_abs()))
    }

    async fn issuer(&self, name: &IssuerName) -> Result<Option<Issuer>, StoreError> {
        let reader = self.readers.reader().await?;
        match bounded(reader.client.query_opt(&reader.issuer, &[&name.as_str()])).await? {
            Some(row) => Ok(Some(serde_json::from_slice(row.get::<_, &[u8]>(0)).map_err(failed)?)),
            None => Ok(None),
        }
    }

    async fn put_issuer(&self, name: &IssuerName, issuer: Option<&Issuer>) -> Result<(), StoreError> {
        let client = self.client().await?;
        match issuer {
            Some(issuer) => {
                let body = serde_json::to_vec(issuer).map_err(failed)?;
                client.execute(ISSUER_SET, &[&name.as_str(), &body]).await.map_err(db)?;
            }
            None => {
                client.execute(ISSUER_DELETE, &[&name.as_str()]).await.map_err(db)?;
            }
        }
        Ok(())
    }

    async fn key(&self, name: &CertificateName, spki: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let reader = self.readers.reader().await?;
        let row = bounded(reader.client.query_opt(&reader.key, &[&name.as_str(), &spki])).await?;
        Ok(row.map(|row| row.get::<_, Vec<u8>>(0)))
    }

    async fn take_due_jobs(&self, now_ms: i64, lease_ms: i64, limit: usize) -> Result<Vec<Job>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(JOBS_TAKE).await.map_err(db)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client.query(&statement, &[&now_ms, &now_ms.saturating_add(lease_ms), &limit]).await.map_err(db)?;
        let mut jobs = Vec::with_capacity(rows.len());
        for row in rows {
            let name: &str = row.get(0);
            let request_id: &str = row.get(1);
            let kind = match row.get::<_, &str>(2) {
                "issue" => JobKind::Issue,
                "sign-self" => JobKind::SignSelf,
                "cancel" => JobKind::Cancel,
                other => return Err(failed(format!("a job of an unknown kind {other:?}"))),
            };
            jobs.push(Job {
                name: CertificateName::new(name).map_err(failed)?,
                request_id: RequestId::parse(request_id).map_err(failed)?,
                kind,
                due_ms: row.get(3),
            });
        }
        Ok(jobs)
    }

    async fn drop_job(&self, job: &Job) -> Result<(), StoreError> {
        let client = self.client().await?;
        client.execute(JOB_DROP, &[&job.name.as_str(), &job.request_id.to_string()]).await.map_err(db)?;
        Ok(())
    }

    async fn meta_or_insert(&self, key: &str, value: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let client = self.client().await?;
        let row = client.query_one(META, &[&key, &value]).await.map_err(db)?;
        Ok(row.get::<_, Vec<u8>>(0))
    }

    async fn list_certificates(
        &self,
        deleted: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(Revision, Certificate)>, StoreError> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = bounded(client.query(LIST, &[&deleted, &after, &limit])).await?;
        rows.iter()
            .map(|row| {
                let revision: i64 = row.get(0);
                let certificate = serde_json::from_slice(row.get::<_, &[u8]>(1)).map_err(failed)?;
                Ok((Revision(revision.unsigned_abs()), certificate))
            })
            .collect()
    }

    async fn list_issuers(&self, after: Option<&str>, limit: usize) -> Result<Vec<(IssuerName, Issuer)>, StoreError> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = bounded(client.query(ISSUERS_LIST, &[&after, &limit])).await?;
        rows.iter()
            .map(|row| {
                let name = IssuerName::new(row.get::<_, &str>(0)).map_err(failed)?;
                Ok((name, serde_json::from_slice(row.get::<_, &[u8]>(1)).map_err(failed)?))
            })
            .collect()
    }

    async fn contacts(&self) -> Result<Option<Contacts>, StoreError> {
        let client = self.client().await?;
        match bounded(client.query_opt(META_GET, &[&CONTACTS])).await? {
            Some(row) => Ok(Some(serde_json::from_slice(row.get::<_, &[u8]>(0)).map_err(failed)?)),
            None => Ok(None),
        }
    }

    async fn put_contacts(&self, contacts: Option<&Contacts>) -> Result<(), StoreError> {
        let client = self.client().await?;
        match contacts {
            Some(contacts) => {
                let body = serde_json::to_vec(contacts).map_err(failed)?;
                client.execute(META_SET, &[&CONTACTS, &body]).await.map_err(db)?;
            }
            None => {
                client.execute(META_DELETE, &[&CONTACTS]).await.map_err(db)?;
            }
        }
        Ok(())
    }
}

/// The certificate contacts' key in `meta`.
const CONTACTS: &str = "contacts";
