//! The key holder: whoever creates keys, makes CSRs and (for `Self`) signs
//! certificates. The core never sees a private key; the REST surface asks the
//! embedder's [`KeyHolder`] for what it needs.

use time::OffsetDateTime;

use crate::csr::Csr;
use crate::name::CertificateName;
use crate::policy::CertificatePolicy;

/// A key type and size the policy asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// RSA with a modulus of `bits` (2048, 3072 or 4096).
    Rsa {
        /// Modulus size.
        bits: u32,
    },
    /// ECDSA on a curve.
    Ec(Curve),
}

/// Elliptic curves a key may be created on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
    /// NIST P-521.
    P521,
}

/// What the key holder is asked to create: from the policy's `key_props` and
/// `x509_props`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequest {
    /// Key type and size.
    pub key_type: KeyType,
    /// The subject, e.g. `CN=MyCertSubject1`.
    pub subject: String,
    /// DNS names for the subjectAltName.
    pub dns_names: Vec<String>,
    /// Validity in months (default 12).
    pub validity_months: u32,
}

/// Why a policy cannot become a key request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidKeyRequest {
    /// `kty` is not `RSA`, `RSA-HSM`, `EC` or `EC-HSM`.
    #[error("key type {0:?} is not supported; use RSA or EC")]
    KeyType(String),
    /// An RSA `key_size` other than 2048, 3072 or 4096.
    #[error("RSA key size {0} is not supported; use 2048, 3072 or 4096")]
    KeySize(u32),
    /// A curve other than P-256, P-384 or P-521.
    #[error("curve {0:?} is not supported; use P-256, P-384 or P-521")]
    Curve(String),
    /// Neither a subject nor a DNS name.
    #[error("the policy must give x509_props.subject or x509_props.sans.dns_names")]
    NoSubject,
    /// `validity_months` outside 1..=1200.
    #[error("validity_months must be between 1 and 1200, not {0}")]
    Validity(u32),
}

impl KeyRequest {
    /// Reads a key request from a policy; defaults: RSA 2048, 12 months.
    pub fn from_policy(policy: &CertificatePolicy) -> Result<Self, InvalidKeyRequest> {
        let key = policy.key_props.as_ref();
        let kty = key.and_then(|k| k.kty.as_deref()).unwrap_or("RSA");
        let key_type = match kty.to_ascii_uppercase().as_str() {
            "RSA" | "RSA-HSM" => match key.and_then(|k| k.key_size).unwrap_or(2048) {
                bits @ (2048 | 3072 | 4096) => KeyType::Rsa { bits },
                other => return Err(InvalidKeyRequest::KeySize(other)),
            },
            "EC" | "EC-HSM" => match key.and_then(|k| k.crv.as_deref()).unwrap_or("P-256") {
                "P-256" => KeyType::Ec(Curve::P256),
                "P-384" => KeyType::Ec(Curve::P384),
                "P-521" => KeyType::Ec(Curve::P521),
                other => return Err(InvalidKeyRequest::Curve(other.to_owned())),
            },
            _ => return Err(InvalidKeyRequest::KeyType(kty.to_owned())),
        };
        let x509 = policy.x509_props.as_ref();
        let subject = x509.and_then(|x| x.subject.clone()).unwrap_or_default();
        let dns_names = x509.and_then(|x| x.sans.as_ref()).and_then(|s| s.dns_names.clone()).unwrap_or_default();
        if subject.trim().is_empty() && dns_names.is_empty() {
            return Err(InvalidKeyRequest::NoSubject);
        }
        let validity_months = x509.and_then(|x| x.validity_months).unwrap_or(12);
        if !(1..=1200).contains(&validity_months) {
            return Err(InvalidKeyRequest::Validity(validity_months));
        }
        Ok(Self { key_type, subject, dns_names, validity_months })
    }
}

/// Why the key holder could not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyHolderError {
    /// The request cannot be met (a subject it cannot encode, a key it does not
    /// hold, a private key it cannot read): the caller's fault, a 400.
    #[error("{0}")]
    Rejected(String),
    /// The key holder failed on its own side: a 500.
    #[error("the key holder failed: {0}")]
    Failed(String),
}

/// The embedder's key holder. It creates keys and their CSRs, signs `Self`
/// certificates, and takes imported private keys. It keeps the private keys;
/// the core only ever sees CSRs, public keys and certificates.
pub trait KeyHolder {
    /// Creates a key for `name` as `request` asks and returns its CSR.
    fn create_key(&mut self, name: &CertificateName, request: &KeyRequest) -> Result<Csr, KeyHolderError>;

    /// Signs a self-signed certificate (DER) for the key behind `csr`, valid
    /// from `now` for `request.validity_months`.
    fn sign_self(
        &mut self,
        name: &CertificateName,
        csr: &Csr,
        request: &KeyRequest,
        now: OffsetDateTime,
    ) -> Result<Vec<u8>, KeyHolderError>;

    /// Takes an imported PKCS#8 private key (DER) for `name` and returns its
    /// public key (`SubjectPublicKeyInfo`, DER).
    fn import_key(&mut self, name: &CertificateName, pkcs8: &[u8]) -> Result<Vec<u8>, KeyHolderError>;
}
