//! The embedded durable store: redb, one file in the data directory.
//!
//! Reads are redb read transactions, each on its own snapshot. Writes go to
//! one writer thread that commits them in groups: each write's revision is
//! checked inside the group's transaction, and the group is made durable by
//! one commit (redb writes one transaction at a time; grouping lets a commit
//! carry every write that queued behind the last). A write is answered only
//! after its group committed, so a `kill -9` loses nothing that was answered.
//!
//! Invariant: one writer thread owns every write transaction; a write is
//! answered only after the commit that carries it; a group in which any
//! change fails in storage is not committed at all.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};

use pending_certificate::wire::Contacts;
use pending_certificate::{Certificate, CertificateName, Issuer, IssuerName, Revision};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::oneshot;

use super::{Job, JobChange, JobKind, NameWrite, Record, Store, StoreError, WriteError, Writer};

const AGGREGATES: TableDefinition<&str, &[u8]> = TableDefinition::new("aggregates");
const KEYS: TableDefinition<(&str, &[u8]), &[u8]> = TableDefinition::new("keys");
const JOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("jobs");
const ISSUERS: TableDefinition<&str, &[u8]> = TableDefinition::new("issuers");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// The names whose certificate is soft-deleted: the listing of deleted
/// certificates reads this, not every aggregate.
const DELETED: TableDefinition<&str, ()> = TableDefinition::new("deleted");

/// The certificate contacts (JSON in `META`).
const CONTACTS: &str = "contacts";

/// The last revision given to any write (big-endian `u64` in `META`).
const REVISIONS: &str = "last-revision";

/// Most writes one commit carries.
const MAX_GROUP: usize = 256;

/// One queued change, and where its answer goes.
enum Change {
    Name(Box<NameWrite>, oneshot::Sender<Result<Revision, WriteError>>),
    Issuer(IssuerName, Option<Issuer>, oneshot::Sender<Result<(), StoreError>>),
    DropJob(Job, oneshot::Sender<Result<(), StoreError>>),
    Meta(String, Vec<u8>, oneshot::Sender<Result<Vec<u8>, StoreError>>),
    SetMeta(String, Option<Vec<u8>>, oneshot::Sender<Result<(), StoreError>>),
}

/// The redb [`Store`].
pub struct RedbStore {
    db: Arc<Database>,
    writer: Mutex<Option<mpsc::Sender<Change>>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Until when each name's job is held (this process only).
    leases: Mutex<HashMap<String, i64>>,
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::from_display(e)
}

impl RedbStore {
    /// Opens (or creates) `dir/vault.redb`. Nothing is read into memory.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError(format!("{}: {e}", dir.display())))?;
        let path = dir.join("vault.redb");
        let started = std::time::Instant::now();
        let db = Database::builder()
            .set_repair_callback(|session| {
                if session.progress() == 0.0 {
                    tracing::warn!("the store was not shut down cleanly: repairing it");
                }
            })
            .create(&path)
            .map_err(|e| StoreError(format!("{}: {e}", path.display())))?;
        tracing::info!(path = %path.display(), elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX), "store opened");
        {
            let mut txn = db.begin_write().map_err(failed)?;
            txn.set_quick_repair(true);
            txn.open_table(AGGREGATES).map_err(failed)?;
            txn.open_table(KEYS).map_err(failed)?;
            txn.open_table(JOBS).map_err(failed)?;
            txn.open_table(ISSUERS).map_err(failed)?;
            txn.open_table(META).map_err(failed)?;
            txn.open_table(DELETED).map_err(failed)?;
            txn.commit().map_err(failed)?;
        }
        let db = Arc::new(db);
        let (sender, receiver) = mpsc::channel();
        let writer_db = Arc::clone(&db);
        let thread = std::thread::Builder::new()
            .name("redb-writer".into())
            .spawn(move || write_groups(&writer_db, &receiver))
            .map_err(failed)?;
        Ok(Self { db, writer: Mutex::new(Some(sender)), thread: Some(thread), leases: Mutex::new(HashMap::new()) })
    }

    fn queue(&self, change: Change) -> Result<(), StoreError> {
        let writer = self.writer.lock().map_err(|_| StoreError("the writer lock was poisoned".into()))?;
        let stopped = || StoreError("the writer thread has stopped".into());
        writer.as_ref().ok_or_else(stopped)?.send(change).map_err(|_| stopped())
    }

    fn release_lease(&self, name: &str) {
        if let Ok(mut leases) = self.leases.lock() {
            leases.remove(name);
        }
    }

    fn read<T>(&self, f: impl FnOnce(&redb::ReadTransaction) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let txn = self.db.begin_read().map_err(failed)?;
        f(&txn)
    }
}

impl Drop for RedbStore {
    /// Lets the writer finish what is queued and close the file, so the
    /// directory can be opened again at once.
    fn drop(&mut self) {
        if let Ok(mut writer) = self.writer.lock() {
            writer.take();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn answer<T, E: From<StoreError>>(receiver: oneshot::Receiver<Result<T, E>>) -> Result<T, E> {
    receiver.await.map_err(|_| E::from(StoreError("the writer thread dropped a write".into())))?
}

/// The writer thread: takes every change queued, applies them in one
/// transaction, commits once, then answers each.
fn write_groups(db: &Database, receiver: &mpsc::Receiver<Change>) {
    while let Ok(first) = receiver.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(change) => group.push(change),
                Err(_) => break,
            }
        }
        let mut txn = match db.begin_write() {
            Ok(txn) => txn,
            Err(e) => {
                fail_all(group, &e.to_string());
                continue;
            }
        };
        // Each commit records the allocator state, so that opening after a
        // crash does not walk the whole file to rebuild it.
        txn.set_quick_repair(true);
        let mut answers = Vec::with_capacity(group.len());
        for change in group {
            answers.push(apply(&txn, change));
        }
        // A change that failed part-way may have left part of itself in the
        // transaction: the group is not committed, and every change in it is
        // answered with the failure.
        if let Some(why) = answers.iter().find_map(Answer::failure) {
            let _ = txn.abort();
            answers.into_iter().for_each(|a| a.fail(&format!("a change in the same commit failed: {why}")));
            continue;
        }
        match txn.commit() {
            Ok(()) => answers.into_iter().for_each(Answer::send),
            Err(e) => answers.into_iter().for_each(|a| a.fail(&e.to_string())),
        }
    }
}

/// A change applied inside the group's transaction, waiting for the commit.
enum Answer {
    Name(Result<Revision, WriteError>, oneshot::Sender<Result<Revision, WriteError>>),
    Unit(Result<(), StoreError>, oneshot::Sender<Result<(), StoreError>>),
    Meta(Result<Vec<u8>, StoreError>, oneshot::Sender<Result<Vec<u8>, StoreError>>),
}

impl Answer {
    fn send(self) {
        // A requester that went away needs no answer.
        let _ = match self {
            Answer::Name(result, to) => to.send(result).map_err(|_| ()),
            Answer::Unit(result, to) => to.send(result).map_err(|_| ()),
            Answer::Meta(result, to) => to.send(result).map_err(|_| ()),
        };
    }

    /// Why the change failed in storage (a conflict is not a failure).
    fn failure(&self) -> Option<String> {
        match self {
            Answer::Name(Err(WriteError::Failed(e)), _) => Some(e.to_string()),
            Answer::Unit(Err(e), _) | Answer::Meta(Err(e), _) => Some(e.to_string()),
            _ => None,
        }
    }

    fn fail(self, why: &str) {
        let error = || StoreError(format!("commit failed: {why}"));
        let _ = match self {
            Answer::Name(_, to) => to.send(Err(WriteError::Failed(error()))).map_err(|_| ()),
            Answer::Unit(_, to) => to.send(Err(error())).map_err(|_| ()),
            Answer::Meta(_, to) => to.send(Err(error())).map_err(|_| ()),
        };
    }
}

fn fail_all(group: Vec<Change>, why: &str) {
    for change in group {
        let answer = match change {
            Change::Name(_, to) => Answer::Name(Err(WriteError::Conflict { by: Writer::Client }), to),
            Change::Issuer(_, _, to) | Change::DropJob(_, to) | Change::SetMeta(_, _, to) => Answer::Unit(Ok(()), to),
            Change::Meta(_, _, to) => Answer::Meta(Ok(Vec::new()), to),
        };
        answer.fail(why);
    }
}

fn apply(txn: &redb::WriteTransaction, change: Change) -> Answer {
    match change {
        Change::Name(write, to) => Answer::Name(write_name(txn, *write), to),
        Change::Issuer(name, issuer, to) => Answer::Unit(write_issuer(txn, &name, issuer.as_ref()), to),
        Change::DropJob(job, to) => Answer::Unit(drop_job(txn, &job), to),
        Change::Meta(key, value, to) => Answer::Meta(meta_or_insert(txn, &key, value), to),
        Change::SetMeta(key, value, to) => Answer::Unit(set_meta(txn, &key, value.as_deref()), to),
    }
}

fn write_name(txn: &redb::WriteTransaction, write: NameWrite) -> Result<Revision, WriteError> {
    let name = write.certificate.name().as_str().to_owned();
    let mut aggregates = txn.open_table(AGGREGATES).map_err(failed)?;
    let found = match aggregates.get(name.as_str()).map_err(failed)? {
        Some(bytes) => {
            let record = serde_json::from_slice::<Record>(bytes.value()).map_err(failed)?;
            Some((record.revision, record.writer))
        }
        None => None,
    };
    if found.map(|(revision, _)| Revision(revision)) != write.expected {
        return Err(WriteError::Conflict { by: found.map_or(Writer::Client, |(_, by)| by) });
    }
    let stored = found.map(|(revision, _)| revision);
    // Everything is encoded before anything changes: a write that cannot be
    // encoded leaves the group's transaction as it found it.
    let mut meta = txn.open_table(META).map_err(failed)?;
    let last = match meta.get(REVISIONS).map_err(failed)? {
        Some(bytes) => u64::from_be_bytes(bytes.value().try_into().map_err(failed)?),
        None => 0,
    };
    let revision = last.max(stored.unwrap_or(0)).saturating_add(1);
    let empty = write.certificate.is_empty();
    let deleted = write.certificate.is_deleted();
    let record = Record { revision, certificate: write.certificate, writer: write.writer };
    let bytes = serde_json::to_vec(&record).map_err(failed)?;
    let job = match &write.job {
        JobChange::Set(job) => Some(serde_json::to_vec(job).map_err(failed)?),
        JobChange::Keep | JobChange::Clear | JobChange::Cancel(_) => None,
    };
    meta.insert(REVISIONS, revision.to_be_bytes().as_slice()).map_err(failed)?;
    // A name that holds nothing leaves no row: revisions are never reused,
    // so a write decided before the name emptied still finds a conflict.
    if empty {
        aggregates.remove(name.as_str()).map_err(failed)?;
    } else {
        aggregates.insert(name.as_str(), bytes.as_slice()).map_err(failed)?;
    }
    let mut deleted_names = txn.open_table(DELETED).map_err(failed)?;
    if deleted && !empty {
        deleted_names.insert(name.as_str(), ()).map_err(failed)?;
    } else {
        deleted_names.remove(name.as_str()).map_err(failed)?;
    }
    let mut keys = txn.open_table(KEYS).map_err(failed)?;
    for spki in &write.keys_removed {
        keys.remove((name.as_str(), spki.as_slice())).map_err(failed)?;
    }
    for (spki, sealed) in &write.keys_added {
        keys.insert((name.as_str(), spki.as_slice()), sealed.as_slice()).map_err(failed)?;
    }
    let mut jobs = txn.open_table(JOBS).map_err(failed)?;
    match (&write.job, job) {
        (JobChange::Set(_), Some(bytes)) => {
            jobs.insert(name.as_str(), bytes.as_slice()).map_err(failed)?;
        }
        (JobChange::Clear, _) => {
            jobs.remove(name.as_str()).map_err(failed)?;
        }
        (JobChange::Cancel(request_id), _) => {
            let current: Option<Job> = match jobs.get(name.as_str()).map_err(failed)? {
                Some(bytes) => Some(serde_json::from_slice(bytes.value()).map_err(failed)?),
                None => None,
            };
            if let Some(mut job) = current.filter(|job| job.request_id == *request_id) {
                job.kind = JobKind::Cancel;
                let bytes = serde_json::to_vec(&job).map_err(failed)?;
                jobs.insert(name.as_str(), bytes.as_slice()).map_err(failed)?;
            }
        }
        (JobChange::Keep | JobChange::Set(_), _) => {}
    }
    Ok(Revision(revision))
}

fn write_issuer(txn: &redb::WriteTransaction, name: &IssuerName, issuer: Option<&Issuer>) -> Result<(), StoreError> {
    let mut table = txn.open_table(ISSUERS).map_err(failed)?;
    match issuer {
        Some(issuer) => {
            let bytes = serde_json::to_vec(issuer).map_err(failed)?;
            table.insert(name.as_str(), bytes.as_slice()).map_err(failed)?;
        }
        None => {
            table.remove(name.as_str()).map_err(failed)?;
        }
    }
    Ok(())
}

fn drop_job(txn: &redb::WriteTransaction, job: &Job) -> Result<(), StoreError> {
    let mut jobs = txn.open_table(JOBS).map_err(failed)?;
    let current = match jobs.get(job.name.as_str()).map_err(failed)? {
        Some(bytes) => Some(serde_json::from_slice::<Job>(bytes.value()).map_err(failed)?),
        None => None,
    };
    if current.is_some_and(|current| current.request_id == job.request_id) {
        jobs.remove(job.name.as_str()).map_err(failed)?;
    }
    Ok(())
}

/// The keys after `after` (all of them without one), for a listing's page.
fn after_range(after: Option<&str>) -> (std::ops::Bound<&str>, std::ops::Bound<&str>) {
    match after {
        Some(after) => (std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded),
        None => (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
    }
}

fn set_meta(txn: &redb::WriteTransaction, key: &str, value: Option<&[u8]>) -> Result<(), StoreError> {
    let mut table = txn.open_table(META).map_err(failed)?;
    match value {
        Some(value) => table.insert(key, value).map_err(failed)?,
        None => table.remove(key).map_err(failed)?,
    };
    Ok(())
}

fn meta_or_insert(txn: &redb::WriteTransaction, key: &str, value: Vec<u8>) -> Result<Vec<u8>, StoreError> {
    let mut table = txn.open_table(META).map_err(failed)?;
    if let Some(existing) = table.get(key).map_err(failed)? {
        return Ok(existing.value().to_vec());
    }
    table.insert(key, value.as_slice()).map_err(failed)?;
    Ok(value)
}

impl Store for RedbStore {
    async fn load(&self, name: &CertificateName) -> Result<Option<(Revision, Certificate)>, StoreError> {
        self.read(|txn| {
            let table = txn.open_table(AGGREGATES).map_err(failed)?;
            let Some(bytes) = table.get(name.as_str()).map_err(failed)? else { return Ok(None) };
            let record: Record =
                serde_json::from_slice(bytes.value()).map_err(|e| StoreError(format!("{name}: {e}")))?;
            Ok(Some((Revision(record.revision), record.certificate)))
        })
    }

    async fn write(&self, write: NameWrite) -> Result<Revision, WriteError> {
        let name = write.certificate.name().as_str().to_owned();
        let job_changed = matches!(write.job, JobChange::Set(_) | JobChange::Clear);
        let (to, from) = oneshot::channel();
        self.queue(Change::Name(Box::new(write), to))?;
        let revision = answer(from).await?;
        // A new job (or none) is no longer held by the one it replaced.
        if job_changed {
            self.release_lease(&name);
        }
        Ok(revision)
    }

    async fn issuer(&self, name: &IssuerName) -> Result<Option<Issuer>, StoreError> {
        self.read(|txn| {
            let table = txn.open_table(ISSUERS).map_err(failed)?;
            match table.get(name.as_str()).map_err(failed)? {
                Some(bytes) => Ok(Some(serde_json::from_slice(bytes.value()).map_err(failed)?)),
                None => Ok(None),
            }
        })
    }

    async fn put_issuer(&self, name: &IssuerName, issuer: Option<&Issuer>) -> Result<(), StoreError> {
        let (to, from) = oneshot::channel();
        self.queue(Change::Issuer(name.clone(), issuer.cloned(), to))?;
        answer(from).await
    }

    async fn key(&self, name: &CertificateName, spki: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|txn| {
            let table = txn.open_table(KEYS).map_err(failed)?;
            Ok(table.get((name.as_str(), spki)).map_err(failed)?.map(|v| v.value().to_vec()))
        })
    }

    async fn take_due_jobs(&self, now_ms: i64, lease_ms: i64, limit: usize) -> Result<Vec<Job>, StoreError> {
        let jobs = self.read(|txn| {
            let table = txn.open_table(JOBS).map_err(failed)?;
            let mut jobs = Vec::new();
            for item in table.iter().map_err(failed)? {
                let (_, bytes) = item.map_err(failed)?;
                let job: Job = serde_json::from_slice(bytes.value()).map_err(failed)?;
                if job.due_ms <= now_ms {
                    jobs.push(job);
                }
            }
            Ok(jobs)
        })?;
        let mut leases = self.leases.lock().map_err(|_| StoreError("the lease lock was poisoned".into()))?;
        leases.retain(|_, held_until| *held_until > now_ms);
        let mut taken = Vec::new();
        let free: Vec<Job> =
            jobs.into_iter().filter(|job| !leases.contains_key(job.name.as_str())).take(limit).collect();
        for job in free {
            leases.insert(job.name.as_str().to_owned(), now_ms.saturating_add(lease_ms));
            taken.push(job);
        }
        Ok(taken)
    }

    async fn drop_job(&self, job: &Job) -> Result<(), StoreError> {
        let (to, from) = oneshot::channel();
        self.queue(Change::DropJob(job.clone(), to))?;
        answer(from).await?;
        self.release_lease(job.name.as_str());
        Ok(())
    }

    async fn meta_or_insert(&self, key: &str, value: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let (to, from) = oneshot::channel();
        self.queue(Change::Meta(key.to_owned(), value, to))?;
        answer(from).await
    }

    async fn list_certificates(
        &self,
        deleted: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(Revision, Certificate)>, StoreError> {
        self.read(|txn| {
            let aggregates = txn.open_table(AGGREGATES).map_err(failed)?;
            let deleted_names = txn.open_table(DELETED).map_err(failed)?;
            let record = |bytes: &[u8]| -> Result<(Revision, Certificate), StoreError> {
                let record: Record = serde_json::from_slice(bytes).map_err(failed)?;
                Ok((Revision(record.revision), record.certificate))
            };
            let range = after_range(after);
            let mut page = Vec::new();
            if deleted {
                for item in deleted_names.range::<&str>(range).map_err(failed)? {
                    if page.len() >= limit {
                        break;
                    }
                    let (name, _) = item.map_err(failed)?;
                    if let Some(bytes) = aggregates.get(name.value()).map_err(failed)? {
                        page.push(record(bytes.value())?);
                    }
                }
            } else {
                for item in aggregates.range::<&str>(range).map_err(failed)? {
                    if page.len() >= limit {
                        break;
                    }
                    let (name, bytes) = item.map_err(failed)?;
                    if deleted_names.get(name.value()).map_err(failed)?.is_none() {
                        page.push(record(bytes.value())?);
                    }
                }
            }
            Ok(page)
        })
    }

    async fn list_issuers(&self, after: Option<&str>, limit: usize) -> Result<Vec<(IssuerName, Issuer)>, StoreError> {
        self.read(|txn| {
            let table = txn.open_table(ISSUERS).map_err(failed)?;
            let range = after_range(after);
            let mut page = Vec::new();
            for item in table.range::<&str>(range).map_err(failed)?.take(limit) {
                let (name, bytes) = item.map_err(failed)?;
                let name = IssuerName::new(name.value()).map_err(failed)?;
                page.push((name, serde_json::from_slice(bytes.value()).map_err(failed)?));
            }
            Ok(page)
        })
    }

    async fn contacts(&self) -> Result<Option<Contacts>, StoreError> {
        self.read(|txn| {
            let table = txn.open_table(META).map_err(failed)?;
            match table.get(CONTACTS).map_err(failed)? {
                Some(bytes) => Ok(Some(serde_json::from_slice(bytes.value()).map_err(failed)?)),
                None => Ok(None),
            }
        })
    }

    async fn put_contacts(&self, contacts: Option<&Contacts>) -> Result<(), StoreError> {
        let value = contacts.map(serde_json::to_vec).transpose().map_err(failed)?;
        let (to, from) = oneshot::channel();
        self.queue(Change::SetMeta(CONTACTS.to_owned(), value, to))?;
        answer(from).await
    }
}
