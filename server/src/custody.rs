//! Key custody: every private key the server makes or takes is sealed with
//! AES-256-GCM under the key-encryption key (KEK) and stored with the change
//! that needs it; opened only in the request that needs it.
//!
//! Invariant: no private key is written anywhere unsealed, and a sealed key
//! opens only under the KEK, for the name and public key it was sealed for
//! (both are the cipher's associated data).

use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;
use pending_certificate::CertificateName;

/// The format byte of a sealed key.
const SEALED_V1: u8 = 1;

/// What the store keeps to recognize its KEK: this text, sealed.
const KEK_CHECK: &[u8] = b"pending-certificate key-encryption key check";

/// The key-encryption key.
pub struct Custody {
    key: LessSafeKey,
}

impl std::fmt::Debug for Custody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Custody").finish_non_exhaustive()
    }
}

/// Why a KEK could not be had or used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CustodyError(pub String);

fn random(bytes: &mut [u8]) -> Result<(), CustodyError> {
    aws_lc_rs::rand::fill(bytes).map_err(|_| CustodyError("the random source failed".into()))
}

impl Custody {
    /// A KEK of its own, for a store that keeps nothing (in memory).
    pub fn ephemeral() -> Result<Self, CustodyError> {
        let mut bytes = [0u8; 32];
        random(&mut bytes)?;
        Self::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, CustodyError> {
        let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| CustodyError("the KEK is not 32 bytes".into()))?;
        Ok(Self { key: LessSafeKey::new(key) })
    }

    /// The KEK in `path`: 32 bytes as 64 hex digits or standard base64 (a
    /// line of text), or raw. With `generate`, a missing file is made (32
    /// random bytes, base64, readable by the owner only).
    pub fn from_file(path: &Path, generate: bool) -> Result<Self, CustodyError> {
        let describe = |e: std::io::Error| CustodyError(format!("{}: {e}", path.display()));
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && generate => {
                let mut key = [0u8; 32];
                random(&mut key)?;
                let text = format!("{}\n", base64::engine::general_purpose::STANDARD.encode(key));
                write_private(path, text.as_bytes()).map_err(describe)?;
                return Self::from_bytes(&key);
            }
            Err(e) => return Err(describe(e)),
        };
        let text = std::str::from_utf8(&bytes).map(str::trim).unwrap_or_default();
        let key = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2).unwrap_or(""), 16))
                .collect::<Result<Vec<_>, _>>()
                .ok()
        } else {
            base64::engine::general_purpose::STANDARD.decode(text).ok().filter(|k| k.len() == 32)
        };
        let key = key.or_else(|| (bytes.len() == 32).then(|| bytes.clone())).ok_or_else(|| {
            CustodyError(format!("{}: a key-encryption key is 32 bytes, as 64 hex digits or base64", path.display()))
        })?;
        Self::from_bytes(&key)
    }

    /// The default KEK file of a data directory.
    pub fn default_path(data_dir: &Path) -> PathBuf {
        data_dir.join("key-encryption-key")
    }

    /// Seals `plain` for `name` and `spki`: format byte, nonce, ciphertext and tag.
    pub fn seal(&self, name: &str, spki: &[u8], plain: &[u8]) -> Result<Vec<u8>, CustodyError> {
        let mut nonce = [0u8; NONCE_LEN];
        random(&mut nonce)?;
        let mut sealed = plain.to_vec();
        let aad = associated(name, spki);
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad.as_slice()), &mut sealed)
            .map_err(|_| CustodyError("sealing failed".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SEALED_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens what [`seal`](Self::seal) sealed for `name` and `spki`.
    pub fn open(&self, name: &str, spki: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CustodyError> {
        let wrong = || CustodyError("a sealed key does not open under this key-encryption key".into());
        let (&format, rest) = sealed.split_first().ok_or_else(wrong)?;
        if format != SEALED_V1 || rest.len() < NONCE_LEN {
            return Err(wrong());
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong())?;
        let mut buffer = ciphertext.to_vec();
        let aad = associated(name, spki);
        let plain = self.key.open_in_place(nonce, Aad::from(aad.as_slice()), &mut buffer).map_err(|_| wrong())?;
        Ok(plain.to_vec())
    }

    /// A sealed private key of a certificate name.
    pub fn seal_key(&self, name: &CertificateName, spki: &[u8], pkcs8: &[u8]) -> Result<Vec<u8>, CustodyError> {
        self.seal(name.as_str(), spki, pkcs8)
    }

    /// The check value a store keeps for this KEK.
    pub fn check_value(&self) -> Result<Vec<u8>, CustodyError> {
        self.seal("", b"kek-check", KEK_CHECK)
    }

    /// Whether `check` (a store's check value) was made under this KEK.
    pub fn verify_check(&self, check: &[u8]) -> Result<(), CustodyError> {
        match self.open("", b"kek-check", check) {
            Ok(plain) if plain == KEK_CHECK => Ok(()),
            _ => Err(CustodyError(
                "this key-encryption key does not open the store's keys: start with the key the store was made with"
                    .into(),
            )),
        }
    }
}

/// The associated data of a sealed key: its name and public key, so a sealed
/// key cannot be moved to another.
fn associated(name: &str, spki: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(name.len() + spki.len() + 32);
    aad.extend_from_slice(b"pending-certificate key v1\0");
    aad.extend_from_slice(name.as_bytes());
    aad.push(0);
    aad.extend_from_slice(spki);
    aad
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_for_its_name_and_public_key_under_its_kek() {
        let custody = Custody::ephemeral().unwrap_or_else(|e| panic!("{e}"));
        let sealed = custody.seal("c1", b"spki", b"private").unwrap_or_else(|e| panic!("{e}"));
        assert!(!sealed.windows(7).any(|w| w == b"private"));
        assert_eq!(custody.open("c1", b"spki", &sealed).ok().as_deref(), Some(&b"private"[..]));
        assert!(custody.open("c2", b"spki", &sealed).is_err());
        assert!(custody.open("c1", b"other", &sealed).is_err());
        let other = Custody::ephemeral().unwrap_or_else(|e| panic!("{e}"));
        assert!(other.open("c1", b"spki", &sealed).is_err());
        let check = custody.check_value().unwrap_or_else(|e| panic!("{e}"));
        assert!(custody.verify_check(&check).is_ok() && other.verify_check(&check).is_err());
    }
}
