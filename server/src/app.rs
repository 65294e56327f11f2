//! What every request and job shares: the store, the settings, key custody,
//! the simulated CA and the CPU pool; and the one write path, from a decided
//! aggregate to the store (its sealed keys, its job, its revision check).
//!
//! Invariant: every certificate write, from a request or from a provider job,
//! goes through [`App::write_certificate`]: the keys the aggregate now refers
//! to are sealed and written with it, those it no longer refers to removed,
//! and its job set or cleared, in the store's one transaction.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use pending_certificate::memory::{MemoryKeyHolder, ProviderSimulator};
use pending_certificate::{
    Certificate, CertificateName, Effect, IdGenerator, IssuerName, RequestId, Revision, VaultSettings, VersionId,
};
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::config::Config;
use crate::custody::Custody;
use crate::pool::CpuPool;
use crate::store::{Job, JobChange, JobKind, NameWrite, Store, StoreError, WriteError, Writer, key_changes};

/// The common name of the simulated issuer's CA.
pub const CA_NAME: &str = "Simulated Issuer CA";

/// Ids from the operating system's random source.
///
/// Should the source ever fail after start, an id is the start's random
/// seed plus a process-wide counter — unique in this process, never zero —
/// and the failure is logged; [`RandomIds::init`] refuses to start without
/// a working source.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

/// The seed drawn at start and the ids drawn since, for the fallback.
static SEED: OnceLock<u128> = OnceLock::new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The random source failed at start.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed")]
pub struct RandomSourceFailed;

fn random_u128() -> Result<u128, RandomSourceFailed> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| RandomSourceFailed)?;
    Ok(u128::from_be_bytes(bytes))
}

impl RandomIds {
    /// Draws the fallback's seed; refused when the source does not work.
    pub fn init() -> Result<(), RandomSourceFailed> {
        let seed = random_u128()?;
        let _ = SEED.set(seed);
        Ok(())
    }

    /// 128 random bits.
    pub fn next() -> u128 {
        match random_u128() {
            Ok(id) => id,
            Err(error) => {
                tracing::error!(%error, "ids fall back to the start's seed and a counter");
                let seed = *SEED.get_or_init(|| {
                    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
                    u128::from_be_bytes(nanos.to_be_bytes()) ^ u128::from(std::process::id()) << 64
                });
                let count = COUNTER.fetch_add(1, Ordering::Relaxed).saturating_add(1);
                seed.wrapping_add(u128::from(count)).max(1)
            }
        }
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

/// The server's shared state.
pub struct App<S: Store> {
    /// Where everything durable lives.
    pub store: S,
    /// The vault's URL, chain validation and recovery settings.
    pub settings: VaultSettings,
    /// The key-encryption key.
    pub custody: Arc<Custody>,
    /// The simulated issuer's CA (the same across restarts of a durable store).
    pub provider: ProviderSimulator,
    /// Where CPU-heavy work runs.
    pub pool: CpuPool,
    /// The command line.
    pub config: Config,
    /// Woken when a job is scheduled.
    pub jobs: Notify,
    /// Writes to one name queue here, so one process never races itself.
    pub names: NameLocks,
    /// Writes to one issuer queue here.
    pub issuers: NameLocks<IssuerName>,
}

const NAME_LOCK_SHARDS: usize = 64;

type LockMap<K> = HashMap<K, Arc<tokio::sync::Mutex<()>>>;

/// One lock per name that a write is deciding for, made when first needed
/// and gone when no one holds or waits for it. Writes to one name queue; a
/// write never waits for another name's.
pub struct NameLocks<K = CertificateName> {
    shards: Vec<Mutex<LockMap<K>>>,
    /// The shard of an index past `shards` (none is: every index is taken
    /// modulo its length), so that every name still has one shared lock.
    last: Mutex<LockMap<K>>,
}

impl<K> Default for NameLocks<K> {
    fn default() -> Self {
        Self {
            shards: (1..NAME_LOCK_SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            last: Mutex::new(HashMap::new()),
        }
    }
}

/// A held name lock (or one being waited for); released, and forgotten when
/// no one else wants it, on drop — also when the wait is abandoned.
pub struct NameGuard<'a, K: Hash + Eq + Clone> {
    locks: &'a NameLocks<K>,
    name: K,
    lock: Arc<tokio::sync::Mutex<()>>,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl<K: Hash + Eq + Clone> NameLocks<K> {
    /// The one shard of `name`: the same for every caller.
    fn shard(&self, name: &K) -> &Mutex<LockMap<K>> {
        let mut hasher = DefaultHasher::new();
        name.hash(&mut hasher);
        let index = usize::try_from(hasher.finish() % NAME_LOCK_SHARDS as u64).unwrap_or(usize::MAX);
        self.shards.get(index).unwrap_or(&self.last)
    }

    fn map(&self, name: &K) -> std::sync::MutexGuard<'_, LockMap<K>> {
        // The map holds plain handles; a panic elsewhere leaves it usable.
        self.shard(name).lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for `name`'s lock.
    pub async fn lock(&self, name: &K) -> NameGuard<'_, K> {
        let lock = Arc::clone(self.map(name).entry(name.clone()).or_default());
        let mut held = NameGuard { locks: self, name: name.clone(), lock, guard: None };
        let waiting = Arc::clone(&held.lock).lock_owned();
        held.guard = Some(waiting.await);
        held
    }

    /// How many names have a lock now (held or waited for).
    pub fn len(&self) -> usize {
        self.shards.iter().chain([&self.last]).map(|m| m.lock().map_or(0, |m| m.len())).sum()
    }

    /// Whether no name has a lock now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Hash + Eq + Clone> Drop for NameGuard<'_, K> {
    fn drop(&mut self) {
        let mut map = self.locks.map(&self.name);
        self.guard = None;
        // Held by the map and this guard only: no one holds or waits for it.
        if Arc::strong_count(&self.lock) == 2 {
            map.remove(&self.name);
        }
    }
}

/// Why a write did not land, for the answer.
#[derive(Debug, thiserror::Error)]
pub enum Unwritten {
    /// Another client's write got there first: the service's 409.
    #[error("conflict")]
    Conflict,
    /// The server's own background work (a provider outcome, the sweep)
    /// got there first: the write is decided again on the fresh state.
    #[error("the server's own work wrote the name first")]
    LostToBackground,
    /// The server failed.
    #[error("{0}")]
    Failed(String),
}

impl From<WriteError> for Unwritten {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::Conflict { by: Writer::Client } => Unwritten::Conflict,
            WriteError::Conflict { by: Writer::Background } => Unwritten::LostToBackground,
            WriteError::Failed(e) => Unwritten::Failed(e.to_string()),
        }
    }
}

impl From<StoreError> for Unwritten {
    fn from(error: StoreError) -> Self {
        Unwritten::Failed(error.to_string())
    }
}

/// The current time, as the core takes it.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn unix_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

impl<S: Store> App<S> {
    /// How long the simulated provider takes for a kind of job.
    fn delay(&self, kind: JobKind) -> Duration {
        match kind {
            JobKind::Issue | JobKind::Cancel => self.config.provider_delay,
            JobKind::SignSelf => self.config.self_signed_delay,
        }
    }

    /// The name's job after a write, from the effects the core returned for
    /// it: a request submitted to an issuer or to be signed `Self` is
    /// scheduled after the provider's delay; a cancellation asked of the
    /// provider turns the request's job into its confirmation; a deleted
    /// request leaves no job. A write with no effect leaves the job as it is
    /// (a job whose request has gone is dropped when it falls due).
    pub fn job_for<'e>(
        &self,
        name: &CertificateName,
        effects: impl IntoIterator<Item = &'e Effect>,
        now: OffsetDateTime,
    ) -> JobChange {
        let mut change = JobChange::Keep;
        for effect in effects {
            let (kind, request_id) = match effect {
                Effect::SubmitToIssuer { request_id, .. } => (JobKind::Issue, *request_id),
                Effect::SignSelf { request_id, .. } => (JobKind::SignSelf, *request_id),
                Effect::CancelAtIssuer { request_id, .. } => {
                    change = JobChange::Cancel(*request_id);
                    continue;
                }
                Effect::PendingDeleted { .. } => {
                    change = JobChange::Clear;
                    continue;
                }
            };
            let delay = i64::try_from(self.delay(kind).as_millis()).unwrap_or(i64::MAX);
            change = JobChange::Set(Job {
                name: name.clone(),
                request_id,
                kind,
                due_ms: unix_ms(now).saturating_add(delay),
            });
        }
        change
    }

    /// Stores a decided aggregate if the name is still at `expected`: the
    /// keys it now needs (sealed, from `keys`), without those it no longer
    /// needs, and its job (see [`job_for`](Self::job_for)), in one
    /// transaction.
    pub async fn write_certificate(
        &self,
        before: Option<&Certificate>,
        expected: Option<Revision>,
        certificate: Certificate,
        keys: &MemoryKeyHolder,
        job: JobChange,
        writer: Writer,
    ) -> Result<Revision, Unwritten> {
        let (added, removed) = key_changes(before, &certificate);
        let mut keys_added = Vec::with_capacity(added.len());
        for spki in added {
            // A key the name needs and the store does not hold is one this
            // request made or took.
            let Some(pkcs8) = keys.private_key(&spki) else {
                return Err(Unwritten::Failed(format!(
                    "{}: a key the certificate needs was neither made nor stored",
                    certificate.name()
                )));
            };
            let sealed = self
                .custody
                .seal_key(certificate.name(), &spki, &pkcs8)
                .map_err(|e| Unwritten::Failed(e.to_string()))?;
            keys_added.push((spki, sealed));
        }
        let scheduled = matches!(job, JobChange::Set(_));
        let revision = self
            .store
            .write(NameWrite { certificate, expected, keys_added, keys_removed: removed, job, writer })
            .await?;
        if scheduled {
            self.jobs.notify_one();
        }
        Ok(revision)
    }

    /// A key holder holding the private key of `name` behind `spki`, read
    /// back from the store.
    pub async fn key_holder_with(&self, name: &CertificateName, spki: &[u8]) -> Result<MemoryKeyHolder, Unwritten> {
        let mut holder = MemoryKeyHolder::new();
        self.load_key(&mut holder, name, spki).await?;
        Ok(holder)
    }

    /// Reads the private key of `name` behind `spki` back from the store
    /// into `holder`.
    pub async fn load_key(
        &self,
        holder: &mut MemoryKeyHolder,
        name: &CertificateName,
        spki: &[u8],
    ) -> Result<(), Unwritten> {
        let sealed = self
            .store
            .key(name, spki)
            .await?
            .ok_or_else(|| Unwritten::Failed(format!("{name}: the key of its request is not stored")))?;
        let pkcs8 = self.custody.open(name.as_str(), spki, &sealed).map_err(|e| Unwritten::Failed(e.to_string()))?;
        holder.insert_private_key(&pkcs8).map_err(|e| Unwritten::Failed(e.to_string()))?;
        Ok(())
    }
}

/// The simulated CA of a store: read back (its key sealed under the KEK), or
/// made and stored on the first start. Replicas starting at once agree on the
/// one stored first.
pub async fn simulated_ca(store: &impl Store, custody: &Custody) -> Result<ProviderSimulator, String> {
    let fresh = ProviderSimulator::new(CA_NAME).map_err(|e| e.to_string())?;
    let sealed = custody.seal("", b"simulated-ca", &fresh.ca_private_key()).map_err(|e| e.to_string())?;
    let record = serde_json::to_vec(&(fresh.ca_certificate(), sealed)).map_err(|e| e.to_string())?;
    let stored = store.meta_or_insert("simulated-ca", record).await.map_err(|e| e.to_string())?;
    let (ca_der, sealed): (Vec<u8>, Vec<u8>) = serde_json::from_slice(&stored).map_err(|e| e.to_string())?;
    let key = custody.open("", b"simulated-ca", &sealed).map_err(|e| e.to_string())?;
    ProviderSimulator::with_ca(CA_NAME, &ca_der, &key).map_err(|e| e.to_string())
}

/// Checks that `custody` is the store's KEK (recording it on the first start).
pub async fn check_kek(store: &impl Store, custody: &Custody) -> Result<(), String> {
    let check = custody.check_value().map_err(|e| e.to_string())?;
    let stored = store.meta_or_insert("kek-check", check).await.map_err(|e| e.to_string())?;
    custody.verify_check(&stored).map_err(|e| e.to_string())
}

/// Shared state, as the tasks hold it.
pub type Shared<S> = Arc<App<S>>;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_to_one_name_queue_and_the_lock_is_forgotten_once_released() {
        let locks = Arc::new(NameLocks::default());
        let (a, b) = (CertificateName::new("a").unwrap(), CertificateName::new("b").unwrap());
        let held = locks.lock(&a).await;
        // Another name is not held up.
        drop(locks.lock(&b).await);
        let waiter = {
            let (locks, a) = (Arc::clone(&locks), a.clone());
            tokio::spawn(async move {
                let _second = locks.lock(&a).await;
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "a second writer of one name did not wait");
        drop(held);
        waiter.await.unwrap();
        assert!(locks.is_empty());
    }

    #[tokio::test]
    async fn a_wait_given_up_leaves_no_lock_behind() {
        let locks = Arc::new(NameLocks::default());
        let a = CertificateName::new("a").unwrap();
        let held = locks.lock(&a).await;
        let waiter = {
            let (locks, a) = (Arc::clone(&locks), a.clone());
            tokio::spawn(async move {
                let _never = locks.lock(&a).await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        waiter.abort();
        let _ = waiter.await;
        drop(held);
        assert!(locks.is_empty(), "{} locks left", locks.len());
    }
}
