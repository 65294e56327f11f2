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
    /// E-mail addresses for the subjectAltName.
    pub emails: Vec<String>,
    /// Key usages, in the service's spelling (`digitalSignature`, …).
    pub key_usage: Vec<String>,
    /// Extended key usages, as dotted OIDs.
    pub ekus: Vec<String>,
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
    KeySize(i32),
    /// A curve other than P-256, P-384 or P-521.
    #[error("curve {0:?} is not supported; use P-256, P-384 or P-521")]
    Curve(String),
    /// Neither a subject nor a subject alternative name.
    #[error("the policy must give x509_props.subject or x509_props.sans")]
    NoSubject,
    /// `validity_months` outside 1..=1200.
    #[error("validity_months must be between 1 and 1200, not {0}")]
    Validity(i32),
}

impl KeyRequest {
    /// Reads a key request from a policy; defaults: RSA 2048, 12 months.
    pub fn from_policy(policy: &CertificatePolicy) -> Result<Self, InvalidKeyRequest> {
        let key = policy.key_props.as_ref();
        let kty = key.and_then(|k| k.kty.as_deref()).unwrap_or("RSA");
        let key_type = match kty.to_ascii_uppercase().as_str() {
            "RSA" | "RSA-HSM" => match key.and_then(|k| k.key_size).unwrap_or(2048) {
                bits @ (2048 | 3072 | 4096) => KeyType::Rsa { bits: bits.unsigned_abs() },
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
        let sans = x509.and_then(|x| x.sans.as_ref());
        let dns_names = sans.and_then(|s| s.dns_names.clone()).unwrap_or_default();
        let emails = sans.and_then(|s| s.emails.clone()).unwrap_or_default();
        if subject.trim().is_empty() && dns_names.is_empty() && emails.is_empty() {
            return Err(InvalidKeyRequest::NoSubject);
        }
        let months = x509.and_then(|x| x.validity_months).unwrap_or(crate::policy::DEFAULT_VALIDITY_MONTHS);
        let validity_months = u32::try_from(months)
            .ok()
            .filter(|m| (1..=crate::policy::MAX_VALIDITY_MONTHS.unsigned_abs()).contains(m))
            .ok_or(InvalidKeyRequest::Validity(months))?;
        let key_usage = crate::policy::key_usages(x509.and_then(|x| x.key_usage.as_deref()));
        let ekus = crate::policy::extended_key_usages(x509.and_then(|x| x.ekus.as_deref()));
        Ok(Self { key_type, subject, dns_names, emails, key_usage, ekus, validity_months })
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

    /// Takes an imported certificate and its private key for `name` (PEM, or
    /// a password-protected PKCS#12), keeps the key, and returns the
    /// certificates and the key's public key. The core never sees the key.
    fn import(&mut self, name: &CertificateName, content: &ImportContent<'_>) -> Result<ImportedKey, KeyHolderError>;

    /// Forgets the key with this public key: the import that brought it was
    /// refused after all (its chain did not validate).
    fn discard(&mut self, public_key: &[u8]);

    /// The secret value of a certificate version (`GET /secrets/{name}`):
    /// the private key behind `public_key` with `chain` (DER, leaf first),
    /// as `format` encodes it — standard base64 of a PKCS#12 file with an
    /// empty password, or PEM text (the PKCS#8 `PRIVATE KEY` block, then
    /// each `CERTIFICATE`). `public_key` is `None` for a key the policy
    /// makes non-exportable: the value is then the chain alone, as the
    /// service gives it. A key holder that lets no key out keeps this
    /// default, which refuses.
    fn export_secret(
        &self,
        name: &CertificateName,
        public_key: Option<&[u8]>,
        chain: &[Vec<u8>],
        format: ImportFormat,
    ) -> Result<String, KeyHolderError> {
        let _ = (public_key, chain, format);
        Err(KeyHolderError::Rejected(format!("the private key of {name} cannot be exported")))
    }

    /// The private key behind `public_key`, as the key holder will take it
    /// back in [`restore_key`](Self::restore_key): what a certificate backup
    /// carries. A key holder that lets keys out only protected (sealed under
    /// a key of its own) returns them so. The default refuses.
    fn backup_key(&self, name: &CertificateName, public_key: &[u8]) -> Result<Vec<u8>, KeyHolderError> {
        let _ = public_key;
        Err(not_exported(name))
    }

    /// Takes back a key [`backup_key`](Self::backup_key) gave, for a restore;
    /// refused when it is not the key behind `public_key`. The default
    /// refuses.
    fn restore_key(&mut self, name: &CertificateName, public_key: &[u8], backup: &[u8]) -> Result<(), KeyHolderError> {
        let _ = (public_key, backup);
        Err(not_exported(name))
    }
}

/// The default refusal of a key holder that keeps its keys to itself.
fn not_exported(name: &CertificateName) -> KeyHolderError {
    KeyHolderError::Rejected(format!("the private keys of {name} cannot be backed up"))
}

/// DER as a PEM block of `label`, in 64-character lines.
pub fn pem_block(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// How an imported certificate is encoded (`policy.secret_props.contentType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportFormat {
    /// `application/x-pem-file`: `CERTIFICATE` blocks and a PKCS#8 `PRIVATE KEY`.
    Pem,
    /// `application/x-pkcs12`: standard base64 of a PKCS#12 (PFX) file.
    Pkcs12,
}

impl ImportFormat {
    /// The format a content type names; PKCS#12 when none is given, as the
    /// service defaults.
    pub fn from_content_type(content_type: Option<&str>) -> Option<Self> {
        match content_type {
            None | Some("application/x-pkcs12") => Some(ImportFormat::Pkcs12),
            Some("application/x-pem-file") => Some(ImportFormat::Pem),
            Some(_) => None,
        }
    }
}

/// What an import request carries for the key holder.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ImportContent<'a> {
    /// The body's `value`.
    pub value: &'a str,
    /// The body's `pwd` (PKCS#12 password).
    pub password: Option<&'a str>,
    /// How `value` is encoded.
    pub format: ImportFormat,
}

impl std::fmt::Debug for ImportContent<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportContent").field("format", &self.format).finish_non_exhaustive()
    }
}

/// What the key holder took from an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedKey {
    /// The certificates (DER), in the order given.
    pub certificates: Vec<Vec<u8>>,
    /// The private key's public key (`SubjectPublicKeyInfo`, DER).
    pub public_key: Vec<u8>,
}

/// PEM blocks read from an import's `value`.
#[derive(Clone, PartialEq, Eq)]
pub struct PemBundle {
    /// Every `CERTIFICATE`, in order (DER).
    pub certificates: Vec<Vec<u8>>,
    /// The one `PRIVATE KEY` (PKCS#8 DER).
    pub private_key: Vec<u8>,
}

impl std::fmt::Debug for PemBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PemBundle").field("certificates", &self.certificates.len()).finish_non_exhaustive()
    }
}

/// Every PEM block of `text`: its label and its DER, in order.
fn pem_blocks(text: &str) -> Result<Vec<(&str, Vec<u8>)>, KeyHolderError> {
    use base64::Engine as _;
    let bad = |m: &str| KeyHolderError::Rejected(m.to_owned());
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")) else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        loop {
            match lines.next() {
                Some(l) if l == end => break,
                Some(l) => body.push_str(l),
                None => return Err(bad("a PEM block is not terminated")),
            }
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| bad("a PEM block is not valid base64"))?;
        blocks.push((label, der));
    }
    Ok(blocks)
}

/// Every `CERTIFICATE` of a PEM text (DER, in order), e.g. a file of trust
/// anchors; at least one.
pub fn pem_certificates(text: &str) -> Result<Vec<Vec<u8>>, KeyHolderError> {
    let certificates: Vec<Vec<u8>> =
        pem_blocks(text)?.into_iter().filter(|(label, _)| *label == "CERTIFICATE").map(|(_, der)| der).collect();
    if certificates.is_empty() {
        return Err(KeyHolderError::Rejected("no CERTIFICATE block".to_owned()));
    }
    Ok(certificates)
}

/// Reads the PEM of an import: every `CERTIFICATE` in order, and exactly one
/// unencrypted PKCS#8 `PRIVATE KEY`. Other blocks are ignored.
pub fn parse_pem_bundle(text: &str) -> Result<PemBundle, KeyHolderError> {
    let bad = |m: &str| KeyHolderError::Rejected(m.to_owned());
    let mut certificates = Vec::new();
    let mut key = None;
    for (label, der) in pem_blocks(text)? {
        match label {
            "CERTIFICATE" => certificates.push(der),
            "PRIVATE KEY" if key.is_none() => key = Some(der),
            "PRIVATE KEY" => return Err(bad("more than one private key")),
            "ENCRYPTED PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                return Err(bad("the private key must be an unencrypted PKCS#8 \"PRIVATE KEY\""));
            }
            _ => {}
        }
    }
    if certificates.is_empty() {
        return Err(bad("no CERTIFICATE block"));
    }
    let private_key = key.ok_or_else(|| bad("no PRIVATE KEY block"))?;
    Ok(PemBundle { certificates, private_key })
}
