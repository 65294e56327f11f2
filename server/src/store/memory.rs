//! The in-memory store: nothing survives the process. Names are spread over
//! shards, each behind its own lock held only for the instant of a map
//! access, so requests for different names rarely meet.
//!
//! Invariant: the revision check and the write happen under one shard lock,
//! never held across an await.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use pending_certificate::wire::Contacts;
use pending_certificate::{Certificate, CertificateName, Issuer, IssuerName, Revision};

use super::{Job, JobChange, NameWrite, Store, StoreError, WriteError};

const SHARDS: usize = 64;

#[derive(Default)]
struct Entry {
    revision: u64,
    certificate: Option<Certificate>,
    keys: HashMap<Vec<u8>, Vec<u8>>,
    /// The job, and until when it is held.
    job: Option<(Job, i64)>,
    /// Who wrote the revision.
    writer: super::Writer,
}

/// The in-memory [`Store`].
pub struct MemoryStore {
    /// The last revision given to any write: revisions are never reused.
    revisions: AtomicU64,
    shards: Vec<RwLock<HashMap<CertificateName, Entry>>>,
    /// Every name that holds something, in order, and whether it is
    /// soft-deleted: what listings read. Taken after a shard's lock, never
    /// while waiting for one.
    names: RwLock<BTreeMap<CertificateName, bool>>,
    issuers: RwLock<BTreeMap<IssuerName, Issuer>>,
    meta: Mutex<HashMap<String, Vec<u8>>>,
    contacts: RwLock<Option<Contacts>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            revisions: AtomicU64::new(0),
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            names: RwLock::new(BTreeMap::new()),
            issuers: RwLock::new(BTreeMap::new()),
            meta: Mutex::new(HashMap::new()),
            contacts: RwLock::new(None),
        }
    }
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError("a store lock was poisoned".into())
}

impl MemoryStore {
    fn shard(&self, name: &CertificateName) -> Result<&RwLock<HashMap<CertificateName, Entry>>, StoreError> {
        let mut hasher = DefaultHasher::new();
        name.hash(&mut hasher);
        let index = usize::try_from(hasher.finish() % SHARDS as u64).unwrap_or(0);
        self.shards.get(index).ok_or_else(|| StoreError("no shard".into()))
    }
}

impl Store for MemoryStore {
    async fn load(&self, name: &CertificateName) -> Result<Option<(Revision, Certificate)>, StoreError> {
        let shard = self.shard(name)?.read().map_err(poisoned)?;
        Ok(shard.get(name).and_then(|e| e.certificate.as_ref().map(|c| (Revision(e.revision), c.clone()))))
    }

    async fn write(&self, write: NameWrite) -> Result<Revision, WriteError> {
        let name = write.certificate.name().clone();
        let mut shard = self.shard(&name)?.write().map_err(poisoned)?;
        let current = shard.get(&name).and_then(|e| e.certificate.as_ref().map(|_| (Revision(e.revision), e.writer)));
        if current.map(|(revision, _)| revision) != write.expected {
            return Err(WriteError::Conflict { by: current.map_or(super::Writer::Client, |(_, by)| by) });
        }
        let revision = self.revisions.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        // A name that holds nothing leaves no entry: revisions are never
        // reused, so a write decided before the name emptied still conflicts.
        if write.certificate.is_empty() {
            shard.remove(&name);
            self.names.write().map_err(poisoned)?.remove(&name);
            return Ok(Revision(revision));
        }
        self.names.write().map_err(poisoned)?.insert(name.clone(), write.certificate.is_deleted());
        let entry = shard.entry(name).or_default();
        entry.revision = revision;
        entry.writer = write.writer;
        entry.certificate = Some(write.certificate);
        for spki in write.keys_removed {
            entry.keys.remove(&spki);
        }
        entry.keys.extend(write.keys_added);
        match write.job {
            JobChange::Keep => {}
            JobChange::Set(job) => entry.job = Some((job, 0)),
            JobChange::Clear => entry.job = None,
            JobChange::Cancel(request_id) => {
                if let Some((job, _)) = entry.job.as_mut().filter(|(job, _)| job.request_id == request_id) {
                    job.kind = super::JobKind::Cancel;
                }
            }
        }
        Ok(Revision(revision))
    }

    async fn issuer(&self, name: &IssuerName) -> Result<Option<Issuer>, StoreError> {
        Ok(self.issuers.read().map_err(poisoned)?.get(name).cloned())
    }

    async fn put_issuer(&self, name: &IssuerName, issuer: Option<&Issuer>) -> Result<(), StoreError> {
        let mut issuers = self.issuers.write().map_err(poisoned)?;
        match issuer {
            Some(issuer) => issuers.insert(name.clone(), issuer.clone()),
            None => issuers.remove(name),
        };
        Ok(())
    }

    async fn key(&self, name: &CertificateName, spki: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let shard = self.shard(name)?.read().map_err(poisoned)?;
        Ok(shard.get(name).and_then(|e| e.keys.get(spki).cloned()))
    }

    async fn take_due_jobs(&self, now_ms: i64, lease_ms: i64, limit: usize) -> Result<Vec<Job>, StoreError> {
        let mut due = Vec::new();
        for shard in &self.shards {
            let mut shard = shard.write().map_err(poisoned)?;
            for entry in shard.values_mut() {
                if due.len() >= limit {
                    return Ok(due);
                }
                if let Some((job, held_until)) = entry.job.as_mut()
                    && job.due_ms <= now_ms
                    && *held_until <= now_ms
                {
                    *held_until = now_ms.saturating_add(lease_ms);
                    due.push(job.clone());
                }
            }
        }
        Ok(due)
    }

    async fn drop_job(&self, job: &Job) -> Result<(), StoreError> {
        let mut shard = self.shard(&job.name)?.write().map_err(poisoned)?;
        if let Some(entry) = shard.get_mut(&job.name)
            && entry.job.as_ref().is_some_and(|(held, _)| held.request_id == job.request_id)
        {
            entry.job = None;
        }
        Ok(())
    }

    async fn meta_or_insert(&self, key: &str, value: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let mut meta = self.meta.lock().map_err(poisoned)?;
        Ok(meta.entry(key.to_owned()).or_insert(value).clone())
    }

    async fn list_certificates(
        &self,
        deleted: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(Revision, Certificate)>, StoreError> {
        // The names first, the index's lock released, then each aggregate
        // under its shard's: a name changed meanwhile is read as it now is,
        // and the index is read on past it until the page is full or ends (a
        // short page would end the listing).
        let mut page = Vec::with_capacity(limit.min(1024));
        let mut cursor = after.map(str::to_owned);
        while page.len() < limit {
            let names: Vec<CertificateName> = {
                let index = self.names.read().map_err(poisoned)?;
                // From the cursor on: a name's place in the index, or (a
                // cursor that is no name) by comparison from the start.
                let start = cursor.as_deref().and_then(|c| CertificateName::new(c).ok());
                let from: Box<dyn Iterator<Item = (&CertificateName, &bool)>> = match &start {
                    Some(start) => {
                        Box::new(index.range((std::ops::Bound::Excluded(start), std::ops::Bound::Unbounded)))
                    }
                    None => Box::new(index.iter()),
                };
                from.filter(|(name, d)| **d == deleted && cursor.as_deref().is_none_or(|c| name.as_str() > c))
                    .take(limit - page.len())
                    .map(|(name, _)| name.clone())
                    .collect()
            };
            let Some(last) = names.last() else { break };
            cursor = Some(last.as_str().to_owned());
            for name in names {
                if let Some(found) = self.load(&name).await?
                    && found.1.is_deleted() == deleted
                {
                    page.push(found);
                }
            }
        }
        Ok(page)
    }

    async fn list_issuers(&self, after: Option<&str>, limit: usize) -> Result<Vec<(IssuerName, Issuer)>, StoreError> {
        Ok(self
            .issuers
            .read()
            .map_err(poisoned)?
            .iter()
            .filter(|(name, _)| after.is_none_or(|after| name.as_str() > after))
            .take(limit)
            .map(|(name, issuer)| (name.clone(), issuer.clone()))
            .collect())
    }

    async fn contacts(&self) -> Result<Option<Contacts>, StoreError> {
        Ok(self.contacts.read().map_err(poisoned)?.clone())
    }

    async fn put_contacts(&self, contacts: Option<&Contacts>) -> Result<(), StoreError> {
        *self.contacts.write().map_err(poisoned)? = contacts.cloned();
        Ok(())
    }
}
