//! TLS: the certificate and key given (`--tls-cert`, `--tls-key`), or a
//! self-signed one for `localhost` and `127.0.0.1` made once and kept in the
//! data directory (or the system's temporary directory), so clients can trust
//! one file across restarts.
//!
//! Invariant: the files a server reads are complete pairs — a made pair is
//! written to a directory of its own and renamed into place whole, so
//! servers starting at once never read one's certificate with another's key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::Config;

/// Where the certificate and key are.
#[derive(Debug, Clone)]
pub struct Material {
    /// The certificate (PEM), which clients trust.
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
}

/// The certificate and key to serve: given, or made once.
pub fn material(config: &Config) -> Result<Material, String> {
    if let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) {
        return Ok(Material { cert: cert.clone(), key: key.clone() });
    }
    let base = config.data_dir.clone().unwrap_or_else(|| std::env::temp_dir().join("pending-certificate-server"));
    let dir = base.join("tls");
    let made = Material { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    if made.cert.exists() && made.key.exists() {
        return Ok(made);
    }
    std::fs::create_dir_all(&base).map_err(|e| format!("{}: {e}", base.display()))?;
    let staging = base.join(format!("tls.{}.tmp", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| format!("{}: {e}", staging.display()))?;
    let (cert_pem, key_pem) = self_signed()?;
    let write = |path: PathBuf, text: &str| std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()));
    write(staging.join("cert.pem"), &cert_pem)?;
    write(staging.join("key.pem"), &key_pem)?;
    // Another server may have put its pair in place meanwhile: then that one
    // is used, and this one discarded.
    if std::fs::rename(&staging, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    if made.cert.exists() && made.key.exists() {
        Ok(made)
    } else {
        Err(format!("{}: could not keep a TLS certificate there", dir.display()))
    }
}

fn self_signed() -> Result<(String, String), String> {
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .map_err(|e| e.to_string())?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "pending-certificate-server");
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// The TLS configuration for `material`: HTTP/1.1 only.
pub fn server_config(material: &Material) -> Result<Arc<ServerConfig>, String> {
    let describe = |path: &Path, e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&material.cert)
        .map_err(|e| describe(&material.cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| describe(&material.cert, &e))?;
    if chain.is_empty() {
        return Err(describe(&material.cert, &"no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(&material.key).map_err(|e| describe(&material.key, &e))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("{} and {}: {e}", material.cert.display(), material.key.display()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
