//! The certificate signing request a create carries.
//!
//! Whoever holds the key makes the CSR; the core never sees a private key. It
//! keeps the CSR's bytes (they go back on the wire as `csr`) and its public key,
//! which a merged leaf must carry.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use der::{Decode, Encode, Reader, SliceReader};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use x509_cert::request::CertReq;

pub use crate::limits::MAX_CSR_LEN;

/// Why bytes are not an acceptable PKCS#10 CSR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrError {
    /// Larger than [`MAX_CSR_LEN`].
    #[error("the CSR has {len} bytes; at most {MAX_CSR_LEN} are allowed")]
    TooLarge {
        /// Its length in bytes.
        len: usize,
    },
    /// Not a DER-encoded PKCS#10 `CertificationRequest`, or bytes follow it.
    #[error("the CSR is not a DER-encoded PKCS#10 request: {0}")]
    Malformed(String),
    /// The CSR's key or signature algorithm is weak or not supported.
    #[error("the CSR uses a weak or unsupported key or signature algorithm")]
    UnsupportedAlgorithm,
    /// The CSR's signature does not verify with its own key: whoever made it
    /// does not hold the key.
    #[error("the CSR's signature does not verify with its public key")]
    BadSignature,
}

/// A parsed PKCS#10 certificate signing request (DER).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Csr {
    der: Box<[u8]>,
    spki: Box<[u8]>,
}

impl Csr {
    /// Parses a DER-encoded PKCS#10 request and checks its signature (proof
    /// that its maker holds the key). Trailing bytes are refused.
    pub fn from_der(der: &[u8]) -> Result<Self, CsrError> {
        if der.len() > MAX_CSR_LEN {
            return Err(CsrError::TooLarge { len: der.len() });
        }
        let malformed = |e: der::Error| CsrError::Malformed(e.to_string());
        let request = CertReq::from_der(der).map_err(malformed)?;
        // The signature covers the request info as given, not a re-encoding.
        let mut reader = SliceReader::new(der).map_err(malformed)?;
        let info = reader
            .sequence(|r| {
                let info = r.tlv_bytes()?;
                r.tlv_bytes()?;
                r.tlv_bytes()?;
                Ok::<_, der::Error>(info)
            })
            .map_err(malformed)?;
        let signature =
            request.signature.as_bytes().ok_or_else(|| CsrError::Malformed("the signature has unused bits".into()))?;
        match crate::x5c::verify_signature(&request.algorithm, &request.info.public_key, info, signature) {
            Ok(true) => {}
            Ok(false) => return Err(CsrError::BadSignature),
            Err(()) => return Err(CsrError::UnsupportedAlgorithm),
        }
        let spki = request.info.public_key.to_der().map_err(malformed)?;
        Ok(Self { der: der.into(), spki: spki.into() })
    }

    /// A request read back from storage: parsed and bounded as
    /// [`Csr::from_der`] does, its signature not checked again.
    fn from_stored_der(der: &[u8]) -> Result<Self, CsrError> {
        if der.len() > MAX_CSR_LEN {
            return Err(CsrError::TooLarge { len: der.len() });
        }
        let malformed = |e: der::Error| CsrError::Malformed(e.to_string());
        let request = CertReq::from_der(der).map_err(malformed)?;
        let spki = request.info.public_key.to_der().map_err(malformed)?;
        Ok(Self { der: der.into(), spki: spki.into() })
    }

    /// The request as it was given, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The requested public key: the `SubjectPublicKeyInfo`, DER.
    pub fn public_key(&self) -> &[u8] {
        &self.spki
    }

    /// Bytes this value holds on the heap.
    pub fn heap_size(&self) -> usize {
        self.der.len() + self.spki.len()
    }
}

impl std::fmt::Debug for Csr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Csr").field("der_len", &self.der.len()).finish_non_exhaustive()
    }
}

/// Stored as the standard base64 of its DER. Loading parses it again but
/// does not verify its signature a second time: it was verified when it was
/// made, and what is loaded is the embedder's own store. (Verifying costs a
/// public-key operation on every read of a stored aggregate.)
impl Serialize for Csr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(&self.der))
    }
}

impl<'de> Deserialize<'de> for Csr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let der = STANDARD.decode(text.as_bytes()).map_err(serde::de::Error::custom)?;
        Self::from_stored_der(&der).map_err(serde::de::Error::custom)
    }
}
