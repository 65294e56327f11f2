//! A Key Vault certificates endpoint on the pending-certificate core.
//!
//! Modules by concern (each states its invariant; `docs/ARCHITECTURE.md`
//! gathers them): [`config`] the command line, [`auth`] the SDKs' challenge,
//! [`http`] connections and the wire, [`routes`] load → decide →
//! store-if-unchanged, [`custody`] keys sealed at rest, [`provider`] the
//! simulated issuer's jobs, [`store`] the backends, [`tls`] the certificate
//! served, [`pool`] where CPU-heavy work runs, [`app`] what they share.

pub mod app;
pub mod auth;
pub mod config;
pub mod custody;
pub mod http;
pub mod keys;
pub mod pool;
pub mod provider;
pub mod routes;
pub mod store;
pub mod tls;

use std::sync::Arc;

use pending_certificate::x5c::ChainValidation;
use pending_certificate::{ChainOptions, VaultSettings, VaultUrl};
use tokio::sync::Notify;

use crate::app::App;
use crate::config::Config;
use crate::custody::Custody;
use crate::pool::CpuPool;
use crate::store::Store;
use crate::store::memory::MemoryStore;
use crate::store::postgres::PostgresStore;
use crate::store::redb::RedbStore;

/// The CPU pool's size: as given, or one thread per core.
fn cpu_threads(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
}

/// Runs the server until a stop signal: the runtime, the store, key custody,
/// the provider's jobs and the listener, as `config` says.
pub fn start(config: Config) -> Result<(), String> {
    // Ids need a working random source: refused at start, not per request.
    app::RandomIds::init().map_err(|e| e.to_string())?;
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let threads = cpu_threads(config.cpu_threads);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        // Blocking threads beyond the CPU pool's are the runtime's own (file
        // work); store reads run on the async workers (redb reads from its
        // page cache, PostgreSQL over the network).
        .max_blocking_threads(threads.saturating_add(16))
        .enable_all()
        .build()
        .map_err(|e| format!("the runtime: {e}"))?;
    runtime.block_on(async move {
        if let Some(url) = config.database_url.clone() {
            // clap requires the KEK with a database; checked again here.
            let kek = config.key_encryption_key.clone().ok_or("--database-url needs --key-encryption-key")?;
            let custody = Custody::from_file(&kek, false).map_err(|e| e.to_string())?;
            let store = PostgresStore::connect(&url, config.database_connections).await.map_err(|e| e.to_string())?;
            return run(config, store, custody, threads, &kek.display().to_string()).await;
        }
        match config.data_dir.clone() {
            Some(dir) => {
                let store = RedbStore::open(&dir).map_err(|e| e.to_string())?;
                let kek = config.key_encryption_key.clone().unwrap_or_else(|| Custody::default_path(&dir));
                let generate = config.key_encryption_key.is_none();
                let custody = Custody::from_file(&kek, generate).map_err(|e| e.to_string())?;
                run(config, store, custody, threads, &kek.display().to_string()).await
            }
            None => {
                let (custody, source) = match &config.key_encryption_key {
                    Some(path) => {
                        (Custody::from_file(path, false).map_err(|e| e.to_string())?, path.display().to_string())
                    }
                    None => (Custody::ephemeral().map_err(|e| e.to_string())?, "an ephemeral key".to_owned()),
                };
                run(config, MemoryStore::default(), custody, threads, &source).await
            }
        }
    })
}

/// How chains are validated: `--chain-validation` and `--trust-anchors`.
fn chain_options(config: &Config) -> Result<ChainOptions, String> {
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

/// Serves `store`, whose keys `custody` (from `kek`) seals.
async fn run<S: Store>(config: Config, store: S, custody: Custody, threads: usize, kek: &str) -> Result<(), String> {
    let chain_options = chain_options(&config)?;
    let tls = if config.insecure_http {
        None
    } else {
        let material = tls::material(&config)?;
        Some((tls::server_config(&material)?, material))
    };
    let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|e| format!("{}: {e}", config.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = config.vault_url.clone().unwrap_or_else(|| format!("{scheme}://{address}"));
    let url = VaultUrl::new(&url).map_err(|e| format!("--vault-url {url}: {e}"))?;
    app::check_kek(&store, &custody).await.map_err(|e| format!("--key-encryption-key {kek}: {e}"))?;
    let provider = app::simulated_ca(&store, &custody).await?;
    let limits = http::Limits {
        header_read_timeout: config.header_read_timeout,
        idle_timeout: config.idle_timeout,
        body_read_timeout: config.body_read_timeout,
        max_connections: http::connection_cap(config.max_connections),
    };
    let settings = VaultSettings { chain_options, ..VaultSettings::new(url) };
    let app = Arc::new(App {
        store,
        settings,
        custody: Arc::new(custody),
        provider,
        pool: CpuPool::new(threads),
        config,
        jobs: Notify::new(),
        names: app::NameLocks::default(),
        issuers: app::NameLocks::default(),
    });
    tokio::spawn(provider::run(app.clone()));
    tokio::spawn(provider::sweep(app.clone()));
    let acceptor = tls.as_ref().map(|(config, _)| tokio_rustls::TlsAcceptor::from(Arc::clone(config)));
    tracing::info!(
        %address,
        cpu_threads = threads,
        max_connections = limits.max_connections,
        store = match (&app.config.database_url, &app.config.data_dir) {
            (Some(_), _) => "postgres",
            (None, Some(_)) => "redb",
            (None, None) => "memory",
        },
        "listening"
    );
    match &tls {
        Some((_, material)) => {
            println!("pending-certificate-server listening on {}", app.settings.url);
            println!("TLS certificate: {}", material.cert.display());
        }
        None => println!("pending-certificate-server listening on {} (plain HTTP)", app.settings.url),
    }
    http::serve(app, listener, acceptor, limits).await;
    tracing::info!("stopped");
    Ok(())
}
