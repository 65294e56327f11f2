//! Certificate backups: an opaque, versioned, integrity-checked blob that
//! holds a name's aggregate (its versions and policy) and, for each version,
//! the private key as the key holder let it out ([`KeyHolder::backup_key`],
//! sealed under the key holder's own key where it has one).
//!
//! Layout, before base64url without padding: the 8 bytes `PCBACKUP`, one
//! format byte (1), the JSON contents, and the SHA-256 of everything before
//! it. A blob that does not have this shape, another format or a digest that
//! does not match is refused whole.
//!
//! [`KeyHolder::backup_key`]: crate::KeyHolder::backup_key

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::certificate::Certificate;

/// The first bytes of every backup.
pub const MAGIC: &[u8; 8] = b"PCBACKUP";

/// The format this crate writes and reads.
pub const FORMAT: u8 = 1;

const DIGEST_LEN: usize = 32;

/// Why a backup blob was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the backup blob is not one this vault made: {0}")]
pub struct BackupError(&'static str);

#[derive(Serialize, Deserialize)]
struct Contents {
    certificate: Certificate,
    /// `(SubjectPublicKeyInfo, key as the key holder gave it)`, base64.
    keys: Vec<(String, String)>,
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    /// The aggregate as it was backed up.
    pub certificate: Certificate,
    /// The private key of each version, `(SubjectPublicKeyInfo DER, key as
    /// the key holder gave it)`.
    pub keys: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Backup {
    /// The blob: base64url without padding.
    pub fn encode(&self) -> String {
        let std = base64::engine::general_purpose::STANDARD;
        let contents = Contents {
            certificate: self.certificate.clone(),
            keys: self.keys.iter().map(|(spki, key)| (std.encode(spki), std.encode(key))).collect(),
        };
        let mut bytes = MAGIC.to_vec();
        bytes.push(FORMAT);
        // Serializing plain data cannot fail; an empty body would be refused
        // on restore rather than read.
        bytes.extend(serde_json::to_vec(&contents).unwrap_or_default());
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
        bytes.extend_from_slice(digest.as_ref());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a blob [`encode`](Self::encode) made.
    pub fn decode(text: &str) -> Result<Self, BackupError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('=').as_bytes())
            .map_err(|_| BackupError("it is not base64url"))?;
        let Some(body_len) = bytes.len().checked_sub(DIGEST_LEN) else { return Err(BackupError("it is too short")) };
        let (body, digest) = bytes.split_at(body_len);
        let Some(rest) = body.strip_prefix(MAGIC.as_slice()) else { return Err(BackupError("it has no header")) };
        let Some((&format, json)) = rest.split_first() else { return Err(BackupError("it has no format")) };
        if format != FORMAT {
            return Err(BackupError("its format is not one this vault reads"));
        }
        if aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body).as_ref() != digest {
            return Err(BackupError("it is corrupt"));
        }
        let contents: Contents = serde_json::from_slice(json).map_err(|_| BackupError("its contents do not read"))?;
        let std = base64::engine::general_purpose::STANDARD;
        let keys = contents
            .keys
            .iter()
            .map(|(spki, key)| Ok((std.decode(spki)?, std.decode(key)?)))
            .collect::<Result<Vec<_>, base64::DecodeError>>()
            .map_err(|_| BackupError("its keys do not read"))?;
        Ok(Backup { certificate: contents.certificate, keys })
    }
}
