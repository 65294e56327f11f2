//! The CPU pool: key generation, chain validation, PKCS#12 and signing run
//! here, off the async workers, at most `threads` at a time. A task that
//! finds every thread busy waits for one; it is never refused.
//!
//! Invariant: no async worker runs a key generation, a PKCS#12 read or a
//! chain's signature checks (`Operation::is_cpu_heavy`), and no lock another
//! name's request waits for is held while a task runs here.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// A bounded pool of threads for CPU-heavy work.
#[derive(Debug, Clone)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
}

/// The pool could not run a task (it panicked, or the runtime is stopping).
#[derive(Debug, thiserror::Error)]
#[error("the CPU pool could not run a task: {0}")]
pub struct PoolError(String);

impl CpuPool {
    /// A pool of `threads` threads (at least one).
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        Self { permits: Arc::new(Semaphore::new(threads)) }
    }

    /// Runs `task` on the pool once a thread is free.
    pub async fn run<T: Send + 'static>(&self, task: impl FnOnce() -> T + Send + 'static) -> Result<T, PoolError> {
        let permit = Arc::clone(&self.permits).acquire_owned().await.map_err(|e| PoolError(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            task()
        })
        .await
        .map_err(|e| PoolError(e.to_string()))
    }
}
