//! The command line: every option has a `PENDING_CERTIFICATE_…` environment
//! variable too, and `--help` explains each.
//!
//! Invariant: everything the server can be told comes through [`Config`],
//! parsed once at start; a value it cannot use stops the start with a message
//! naming the option, never a default silently taken instead.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use pending_certificate::x5c::ChainValidation;

/// How the log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

/// A Key Vault certificates endpoint with faithful pending operations: the
/// official Azure SDKs drive it unmodified.
#[derive(Debug, Clone, Parser)]
#[command(name = "pending-certificate-server", version, about, long_about = None)]
pub struct Config {
    /// The address to listen on; port 0 picks a free one (printed at start).
    #[arg(long, env = "PENDING_CERTIFICATE_LISTEN", default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,

    /// Serve plain HTTP instead of HTTPS (for clients that are not the Azure SDKs, and load tests).
    #[arg(long, env = "PENDING_CERTIFICATE_INSECURE_HTTP")]
    pub insecure_http: bool,

    /// The TLS certificate to serve (PEM); with --tls-key. Without both, a
    /// self-signed one for localhost and 127.0.0.1 is made once and kept in
    /// the data directory (or the system's temporary directory).
    #[arg(long, env = "PENDING_CERTIFICATE_TLS_CERT", requires = "tls_key", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,

    /// The TLS certificate's private key (PEM); with --tls-cert.
    #[arg(long, env = "PENDING_CERTIFICATE_TLS_KEY", requires = "tls_cert", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,

    /// Keep everything in redb in this directory: a restart, even after
    /// `kill -9`, serves the same state. Without it, everything is in memory.
    #[arg(long, env = "PENDING_CERTIFICATE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Keep everything in this PostgreSQL database, shared by every replica
    /// started with it (`postgres://user@host:port/dbname` or `host=…
    /// dbname=…`; TLS to the database is not offered: use a local or
    /// otherwise protected connection). Migrations run at start. Needs
    /// --key-encryption-key, the same file on every replica.
    #[arg(
        long,
        env = "PENDING_CERTIFICATE_DATABASE_URL",
        value_name = "URL",
        conflicts_with = "data_dir",
        requires = "key_encryption_key"
    )]
    pub database_url: Option<String>,

    /// Most connections to the database this replica opens.
    #[arg(long, env = "PENDING_CERTIFICATE_DATABASE_CONNECTIONS", default_value_t = 16, value_name = "N", value_parser = at_least_one)]
    pub database_connections: usize,

    /// The key-encryption key (32 bytes: 64 hex digits, base64, or raw) that
    /// seals every stored private key with AES-256-GCM. Default with
    /// --data-dir: the data directory's `key-encryption-key`, made on first
    /// start; required with --database-url.
    #[arg(long, env = "PENDING_CERTIFICATE_KEY_ENCRYPTION_KEY", value_name = "FILE")]
    pub key_encryption_key: Option<PathBuf>,

    /// Require this bearer token (otherwise any non-empty one is accepted).
    #[arg(long, env = "PENDING_CERTIFICATE_TOKEN", value_name = "VALUE")]
    pub token: Option<String>,

    /// The tenant named in the auth challenge.
    #[arg(long, env = "PENDING_CERTIFICATE_TENANT", default_value = "00000000-0000-0000-0000-000000000000")]
    pub tenant: String,

    /// The base of the identifier URLs in bodies. Default: the scheme and
    /// address listened on.
    #[arg(long, env = "PENDING_CERTIFICATE_VAULT_URL", value_name = "URL")]
    pub vault_url: Option<String>,

    /// Seconds until the simulated provider answers a request to a registered
    /// issuer (issued, or cancelled if cancellation was asked meanwhile).
    #[arg(long, env = "PENDING_CERTIFICATE_PROVIDER_DELAY", default_value = "2", value_parser = seconds, value_name = "SECONDS")]
    pub provider_delay: Duration,

    /// Seconds until the key holder signs a `Self` request (the live service
    /// takes 10–20 s); a cancellation asked meanwhile ends it `cancelled`.
    #[arg(long, env = "PENDING_CERTIFICATE_SELF_SIGNED_DELAY", default_value = "5", value_parser = seconds, value_name = "SECONDS")]
    pub self_signed_delay: Duration,

    /// The `Retry-After` sent while a request is in progress, in seconds (the
    /// service's is 10; lower it for tests whose SDK pollers follow it).
    #[arg(long, env = "PENDING_CERTIFICATE_RETRY_AFTER", default_value_t = pending_certificate::rest::RETRY_AFTER_SECONDS, value_name = "SECONDS")]
    pub retry_after: u32,

    /// How merged, issued and imported chains are checked: `service` as the
    /// live service checks them; `verified` also a cryptographically valid
    /// path, as `openssl verify` accepts one; `strict` the RFC 5280 profile
    /// besides.
    #[arg(long, env = "PENDING_CERTIFICATE_CHAIN_VALIDATION", default_value = "service", value_parser = level, value_name = "LEVEL")]
    pub chain_validation: ChainValidation,

    /// A PEM file of CA certificates the chains must lead to (`verified` and
    /// `strict` only; without it, the top of the chain given is trusted).
    #[arg(long, env = "PENDING_CERTIFICATE_TRUST_ANCHORS", value_name = "PEM")]
    pub trust_anchors: Option<PathBuf>,

    /// Seconds a replica holds a provider job it took before another replica
    /// may take it (a replica that dies mid-job leaves it for this long).
    #[arg(long, env = "PENDING_CERTIFICATE_JOB_LEASE", default_value = "30", value_parser = positive_seconds, value_name = "SECONDS")]
    pub job_lease: Duration,

    /// Enable the test routes `POST /admin/outcome` and `POST /admin/sign`.
    #[arg(long, env = "PENDING_CERTIFICATE_ADMIN")]
    pub admin: bool,

    /// Threads for key generation, chain validation and PKCS#12 (0: one per
    /// core). A request that needs one waits for it.
    #[arg(long, env = "PENDING_CERTIFICATE_CPU_THREADS", default_value_t = 0, value_name = "N")]
    pub cpu_threads: usize,

    /// Most connections open at once (0: below the open-file limit). Past it,
    /// the connection that has waited longest without being busy (idle,
    /// reading a head, or sending a body) is closed for the new one.
    #[arg(long, env = "PENDING_CERTIFICATE_MAX_CONNECTIONS", default_value_t = 0, value_name = "N")]
    pub max_connections: usize,

    /// Seconds a client has to send a request's headers (and finish the TLS
    /// handshake) once it starts.
    #[arg(long, env = "PENDING_CERTIFICATE_HEADER_READ_TIMEOUT", default_value = "10", value_parser = positive_seconds, value_name = "SECONDS")]
    pub header_read_timeout: Duration,

    /// Seconds an idle keep-alive connection is kept open.
    #[arg(long, env = "PENDING_CERTIFICATE_IDLE_TIMEOUT", default_value = "60", value_parser = positive_seconds, value_name = "SECONDS")]
    pub idle_timeout: Duration,

    /// Seconds a client has to send a request's body once its headers are in.
    #[arg(long, env = "PENDING_CERTIFICATE_BODY_READ_TIMEOUT", default_value = "30", value_parser = positive_seconds, value_name = "SECONDS")]
    pub body_read_timeout: Duration,

    /// How the log lines on standard error look.
    #[arg(long, env = "PENDING_CERTIFICATE_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text.parse().map_err(|e| format!("{text:?} is not a number of seconds: {e}"))?;
    Duration::try_from_secs_f64(value).map_err(|e| format!("{text:?}: {e}"))
}

fn positive_seconds(text: &str) -> Result<Duration, String> {
    let duration = seconds(text)?;
    if duration.is_zero() { Err(format!("{text:?}: must be more than 0 seconds")) } else { Ok(duration) }
}

fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{text:?}: {e}")),
    }
}

fn level(text: &str) -> Result<ChainValidation, String> {
    text.parse::<ChainValidation>().map_err(|e| e.to_string())
}
