//! The vault's base URL and the identifier URLs built from it.

use std::fmt;

use crate::ids::VersionId;
use crate::name::{CertificateName, IssuerName};

/// Why a string is not a vault base URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a vault URL is http:// or https:// followed by a host, with no path, query or spaces: {0:?}")]
pub struct InvalidVaultUrl(String);

/// A vault's base URL, e.g. `https://myvault.vault.azure.net` (no trailing
/// slash). Identifier URLs (`id`, `kid`, `sid`, `target`) are built from it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VaultUrl(Box<str>);

impl VaultUrl {
    /// Checks and normalizes a base URL (one trailing slash is dropped).
    pub fn new(url: &str) -> Result<Self, InvalidVaultUrl> {
        let bad = || InvalidVaultUrl(url.to_owned());
        let trimmed = url.strip_suffix('/').unwrap_or(url);
        let host = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://")).ok_or_else(bad)?;
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
        if !host_ok {
            return Err(bad());
        }
        Ok(Self(trimmed.into()))
    }

    /// The base URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{vault}/certificates/{name}/pending`: the pending object's `id`.
    pub fn pending_id(&self, name: &CertificateName) -> String {
        format!("{}/certificates/{name}/pending", self.0)
    }

    /// `{vault}/certificates/{name}`: a completed pending object's `target`.
    pub fn certificate_base(&self, name: &CertificateName) -> String {
        format!("{}/certificates/{name}", self.0)
    }

    /// `{vault}/certificates/{name}/{version}`.
    pub fn certificate_id(&self, name: &CertificateName, version: VersionId) -> String {
        format!("{}/certificates/{name}/{version}", self.0)
    }

    /// `{vault}/keys/{name}/{version}`: `kid`.
    pub fn key_id(&self, name: &CertificateName, version: VersionId) -> String {
        format!("{}/keys/{name}/{version}", self.0)
    }

    /// `{vault}/secrets/{name}/{version}`: `sid`.
    pub fn secret_id(&self, name: &CertificateName, version: VersionId) -> String {
        format!("{}/secrets/{name}/{version}", self.0)
    }

    /// `{vault}/certificates/{name}/policy`.
    pub fn policy_id(&self, name: &CertificateName) -> String {
        format!("{}/certificates/{name}/policy", self.0)
    }

    /// `{vault}/deletedcertificates/{name}`: a deleted certificate's `recoveryId`.
    pub fn deleted_id(&self, name: &CertificateName) -> String {
        format!("{}/deletedcertificates/{name}", self.0)
    }

    /// `{vault}/certificates/contacts`.
    pub fn contacts_id(&self) -> String {
        format!("{}/certificates/contacts", self.0)
    }

    /// `{vault}/keys/{name}`, `{vault}/secrets/{name}`: the key or secret of a
    /// certificate, unversioned.
    pub fn owned_base(&self, kind: &str, name: &CertificateName) -> String {
        format!("{}/{kind}/{name}", self.0)
    }

    /// `{vault}/certificates/issuers/{name}`.
    pub fn issuer_id(&self, name: &IssuerName) -> String {
        format!("{}/certificates/issuers/{name}", self.0)
    }
}

impl fmt::Display for VaultUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for VaultUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VaultUrl({:?})", &*self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_builds_ids() {
        let url = VaultUrl::new("https://myvault.vault.azure.net/").map(|u| u.as_str().to_owned());
        assert_eq!(url.as_deref(), Ok("https://myvault.vault.azure.net"));
        let url = VaultUrl::new("http://127.0.0.1:8443").map(|u| u.as_str().to_owned());
        assert_eq!(url.as_deref(), Ok("http://127.0.0.1:8443"));
    }

    #[test]
    fn refuses_paths_queries_and_other_schemes() {
        for bad in ["", "myvault", "ftp://x", "https://", "https://a/b", "https://a?b", "https://a b"] {
            assert!(VaultUrl::new(bad).is_err(), "{bad:?} accepted");
        }
    }
}
