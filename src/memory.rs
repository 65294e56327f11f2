//! Keys in memory on `aws-lc-rs` (through rcgen), and a provider simulator:
//! for examples, tests and embedders that want them (feature `memory-keys`).
//!
//! Unlike the rest of the crate, these draw randomness: they make real keys.

use std::collections::HashMap;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PublicKeyData, SignatureAlgorithm,
};
use time::{Duration, OffsetDateTime};
use x509_cert::der::Decode;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

use crate::certificate::{Effect, Issued};
use crate::csr::Csr;
use crate::error::OperationError;
use crate::ids::{IdGenerator, RequestId};
use crate::keys::{
    Curve, ImportContent, ImportFormat, ImportedKey, KeyHolder, KeyHolderError, KeyRequest, KeyType, parse_pem_bundle,
};
use crate::name::CertificateName;
use crate::pending::Failure;
use crate::vault::Vault;

fn rejected(e: impl std::fmt::Display) -> KeyHolderError {
    KeyHolderError::Rejected(e.to_string())
}

fn failed(e: impl std::fmt::Display) -> KeyHolderError {
    KeyHolderError::Failed(e.to_string())
}

/// A policy's subject as a name: every attribute the service accepts
/// ([`crate::dn`]), one RDN each.
fn distinguished_name(subject: &str) -> Result<DistinguishedName, KeyHolderError> {
    let mut dn = DistinguishedName::new();
    if subject.trim().is_empty() {
        return Ok(dn);
    }
    for attribute in crate::dn::parse(subject).map_err(rejected)? {
        // `parse` admits only object identifiers DER can encode.
        dn.push(DnType::from_oid(&attribute.oid), attribute.value);
    }
    Ok(dn)
}

fn key_usage(name: &str) -> Option<KeyUsagePurpose> {
    Some(match name {
        "digitalSignature" => KeyUsagePurpose::DigitalSignature,
        "nonRepudiation" => KeyUsagePurpose::ContentCommitment,
        "keyEncipherment" => KeyUsagePurpose::KeyEncipherment,
        "dataEncipherment" => KeyUsagePurpose::DataEncipherment,
        "keyAgreement" => KeyUsagePurpose::KeyAgreement,
        "keyCertSign" => KeyUsagePurpose::KeyCertSign,
        "cRLSign" => KeyUsagePurpose::CrlSign,
        "encipherOnly" => KeyUsagePurpose::EncipherOnly,
        "decipherOnly" => KeyUsagePurpose::DecipherOnly,
        _ => return None,
    })
}

fn extended_key_usage(oid: &str) -> Result<rcgen::ExtendedKeyUsagePurpose, KeyHolderError> {
    use rcgen::ExtendedKeyUsagePurpose as Eku;
    Ok(match oid {
        "1.3.6.1.5.5.7.3.1" => Eku::ServerAuth,
        "1.3.6.1.5.5.7.3.2" => Eku::ClientAuth,
        "1.3.6.1.5.5.7.3.3" => Eku::CodeSigning,
        "1.3.6.1.5.5.7.3.4" => Eku::EmailProtection,
        "1.3.6.1.5.5.7.3.8" => Eku::TimeStamping,
        "1.3.6.1.5.5.7.3.9" => Eku::OcspSigning,
        // Only object identifiers DER can encode reach the encoder.
        other => Eku::Other(crate::dn::dotted_oid(other).ok_or_else(|| rejected(format!("{other:?} is not an OID")))?),
    })
}

/// The certificate a request describes, valid as the service makes a `Self`
/// certificate: from ten minutes before `now` for `validity_months` calendar
/// months, with the policy's names, key usages (critical) and extended key
/// usages, and basicConstraints `cA: false`.
fn params_for(request: &KeyRequest, now: OffsetDateTime) -> Result<CertificateParams, KeyHolderError> {
    let mut params = CertificateParams::new(request.dns_names.clone()).map_err(rejected)?;
    for email in &request.emails {
        let email = rcgen::string::Ia5String::try_from(email.as_str()).map_err(rejected)?;
        params.subject_alt_names.push(rcgen::SanType::Rfc822Name(email));
    }
    params.distinguished_name = distinguished_name(&request.subject)?;
    params.not_before = now - Duration::seconds(crate::PLACEHOLDER_NBF_LEAD_SECONDS);
    params.not_after = crate::certificate::add_months(now, request.validity_months);
    params.key_usages = request.key_usage.iter().filter_map(|u| key_usage(u)).collect();
    params.extended_key_usages = request.ekus.iter().map(|e| extended_key_usage(e)).collect::<Result<_, _>>()?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

/// The public key of a CSR, as rcgen needs it to sign a certificate for it.
#[derive(Debug, Clone)]
pub struct SpkiKey {
    bits: Vec<u8>,
    alg: &'static SignatureAlgorithm,
}

impl SpkiKey {
    /// The key a `SubjectPublicKeyInfo` (DER) carries, if it is RSA, EC
    /// (P-256, P-384, P-521) or Ed25519.
    pub fn from_spki(spki: &[u8]) -> Result<Self, KeyHolderError> {
        let spki = SubjectPublicKeyInfoOwned::from_der(spki).map_err(rejected)?;
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<x509_cert::der::asn1::ObjectIdentifier>().ok())
            .map(|c| c.to_string());
        let alg: &'static SignatureAlgorithm = match (spki.algorithm.oid.to_string().as_str(), curve.as_deref()) {
            ("1.2.840.113549.1.1.1", _) => &rcgen::PKCS_RSA_SHA256,
            ("1.2.840.10045.2.1", Some("1.2.840.10045.3.1.7")) => &rcgen::PKCS_ECDSA_P256_SHA256,
            ("1.2.840.10045.2.1", Some("1.3.132.0.34")) => &rcgen::PKCS_ECDSA_P384_SHA384,
            ("1.2.840.10045.2.1", Some("1.3.132.0.35")) => &rcgen::PKCS_ECDSA_P521_SHA512,
            ("1.3.101.112", _) => &rcgen::PKCS_ED25519,
            _ => return Err(rejected("the public key's type is not supported")),
        };
        let bits = spki.subject_public_key.as_bytes().ok_or_else(|| rejected("the public key has unused bits"))?;
        Ok(Self { bits: bits.to_vec(), alg })
    }
}

impl PublicKeyData for SpkiKey {
    fn der_bytes(&self) -> &[u8] {
        &self.bits
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.alg
    }
}

/// A [`KeyHolder`] keeping real keys in memory, indexed by public key.
#[derive(Default)]
pub struct MemoryKeyHolder {
    keys: HashMap<Vec<u8>, KeyPair>,
}

impl std::fmt::Debug for MemoryKeyHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryKeyHolder").field("keys", &self.keys.len()).finish()
    }
}

impl MemoryKeyHolder {
    /// An empty key holder.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The private key (PKCS#8 DER) behind a public key, if held.
    pub fn private_key(&self, spki: &[u8]) -> Option<Vec<u8>> {
        self.keys.get(spki).map(KeyPair::serialize_der)
    }

    /// Holds a private key (PKCS#8 DER) kept elsewhere, e.g. read back from a
    /// store; its public key (`SubjectPublicKeyInfo`, DER).
    pub fn insert_private_key(&mut self, pkcs8: &[u8]) -> Result<Vec<u8>, KeyHolderError> {
        let key = KeyPair::try_from(pkcs8).map_err(|e| rejected(format!("the private key cannot be read: {e}")))?;
        let public_key = key.subject_public_key_info();
        self.keys.insert(public_key.clone(), key);
        Ok(public_key)
    }

    /// The public keys (`SubjectPublicKeyInfo`, DER) of every key held.
    pub fn public_keys(&self) -> impl Iterator<Item = &[u8]> {
        self.keys.keys().map(Vec::as_slice)
    }
}

impl KeyHolder for MemoryKeyHolder {
    fn create_key(&mut self, _name: &CertificateName, request: &KeyRequest) -> Result<Csr, KeyHolderError> {
        let key = match request.key_type {
            KeyType::Rsa { bits } => {
                let size = match bits {
                    2048 => rcgen::RsaKeySize::_2048,
                    3072 => rcgen::RsaKeySize::_3072,
                    4096 => rcgen::RsaKeySize::_4096,
                    other => return Err(rejected(format!("RSA key size {other} is not supported"))),
                };
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size)
            }
            KeyType::Ec(Curve::P256) => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            KeyType::Ec(Curve::P384) => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
            KeyType::Ec(Curve::P521) => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512),
        }
        .map_err(failed)?;
        // The CSR asks for the policy's names and usages, as the service's do;
        // a CSR carries no key identifiers.
        let mut params = params_for(request, OffsetDateTime::UNIX_EPOCH)?;
        params.use_authority_key_identifier_extension = false;
        let csr = params.serialize_request(&key).map_err(failed)?;
        let csr = Csr::from_der(csr.der()).map_err(failed)?;
        self.keys.insert(csr.public_key().to_vec(), key);
        Ok(csr)
    }

    fn sign_self(
        &mut self,
        _name: &CertificateName,
        csr: &Csr,
        request: &KeyRequest,
        now: OffsetDateTime,
    ) -> Result<Vec<u8>, KeyHolderError> {
        let key = self.keys.get(csr.public_key()).ok_or_else(|| rejected("no key is held for this CSR"))?;
        let params = params_for(request, now)?;
        Ok(params.self_signed(key).map_err(failed)?.der().to_vec())
    }

    fn import(&mut self, _name: &CertificateName, content: &ImportContent<'_>) -> Result<ImportedKey, KeyHolderError> {
        let (certificates, pkcs8) = match content.format {
            ImportFormat::Pem => {
                let bundle = parse_pem_bundle(content.value)?;
                (bundle.certificates, bundle.private_key)
            }
            ImportFormat::Pkcs12 => read_pkcs12(content.value, content.password.unwrap_or_default())?,
        };
        let key = KeyPair::try_from(pkcs8.as_slice())
            .map_err(|e| rejected(format!("the private key cannot be read: {e}")))?;
        let public_key = key.subject_public_key_info();
        self.keys.insert(public_key.clone(), key);
        Ok(ImportedKey { certificates, public_key })
    }

    fn discard(&mut self, public_key: &[u8]) {
        self.keys.remove(public_key);
    }

    fn backup_key(&self, name: &CertificateName, public_key: &[u8]) -> Result<Vec<u8>, KeyHolderError> {
        self.private_key(public_key).ok_or_else(|| rejected(format!("no key is held for {name}")))
    }

    fn restore_key(&mut self, name: &CertificateName, public_key: &[u8], backup: &[u8]) -> Result<(), KeyHolderError> {
        let key = KeyPair::try_from(backup).map_err(|e| rejected(format!("a key of {name} cannot be read: {e}")))?;
        if key.subject_public_key_info() != public_key {
            return Err(rejected(format!("a key of {name} is not the one its certificate names")));
        }
        self.keys.insert(public_key.to_vec(), key);
        Ok(())
    }

    fn export_secret(
        &self,
        name: &CertificateName,
        public_key: Option<&[u8]>,
        chain: &[Vec<u8>],
        format: ImportFormat,
    ) -> Result<String, KeyHolderError> {
        let pkcs8 = match public_key {
            Some(spki) => {
                Some(self.keys.get(spki).ok_or_else(|| rejected(format!("no key is held for {name}")))?.serialize_der())
            }
            None => None,
        };
        match format {
            ImportFormat::Pem => {
                let mut text = pkcs8.as_deref().map(|k| crate::keys::pem_block("PRIVATE KEY", k)).unwrap_or_default();
                for der in chain {
                    text.push_str(&crate::keys::pem_block("CERTIFICATE", der));
                }
                Ok(text)
            }
            ImportFormat::Pkcs12 => {
                use base64::Engine as _;
                let certificates = chain
                    .iter()
                    .map(|der| p12_keystore::Certificate::from_der(der).map_err(failed))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut store = p12_keystore::KeyStore::new();
                match pkcs8 {
                    Some(pkcs8) => {
                        let key = p12_keystore::PrivateKey::from_der(&pkcs8).map_err(failed)?;
                        let leaf = chain.first().map(Vec::as_slice).unwrap_or_default();
                        let local_key_id = crate::x5c::thumbprint(leaf);
                        let entry = p12_keystore::PrivateKeyChain::new(local_key_id.as_bytes(), key, certificates);
                        store.add_entry(name.as_str(), p12_keystore::KeyStoreEntry::PrivateKeyChain(entry));
                    }
                    // The chain alone, each certificate its own entry.
                    None => {
                        for (index, certificate) in certificates.into_iter().enumerate() {
                            let alias = format!("{name}-{index}");
                            store.add_entry(&alias, p12_keystore::KeyStoreEntry::Certificate(certificate));
                        }
                    }
                }
                // As the service writes its PFX: no password, 3DES, a SHA-1 MAC.
                let der = store
                    .writer("")
                    .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
                    .encryption_iterations(2000)
                    .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha1)
                    .mac_iterations(2000)
                    .write()
                    .map_err(failed)?;
                Ok(base64::engine::general_purpose::STANDARD.encode(der))
            }
        }
    }
}

/// The certificates and the one private key of a base64 PKCS#12 file.
fn read_pkcs12(value: &str, password: &str) -> Result<(Vec<Vec<u8>>, Vec<u8>), KeyHolderError> {
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(value.trim().as_bytes())
        .map_err(|_| rejected("the PKCS#12 value is not standard base64"))?;
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(&der, password)
        .map_err(|e| rejected(format!("the PKCS#12 file cannot be read: {e}")))?;
    let [key] = archive.keys.as_slice() else {
        return Err(rejected(format!("the PKCS#12 file must hold one private key, not {}", archive.keys.len())));
    };
    let certificates: Vec<Vec<u8>> = archive.certs.iter().map(|bag| bag.cert.as_der().to_vec()).collect();
    if certificates.is_empty() {
        return Err(rejected("the PKCS#12 file holds no certificate"));
    }
    Ok((certificates, key.key.as_der().to_vec()))
}

/// A simulated issuer provider: a CA in memory that signs the CSR's key when
/// told to, or fails, or cancels. It remembers the CSRs it was sent
/// ([`Effect::SubmitToIssuer`]), so it can answer a request after it was
/// replaced — and be refused, as a late provider would be.
pub struct ProviderSimulator {
    ca: Issuer<'static, KeyPair>,
    ca_der: Vec<u8>,
    submitted: HashMap<(CertificateName, RequestId), Csr>,
}

impl std::fmt::Debug for ProviderSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSimulator").field("submitted", &self.submitted.len()).finish_non_exhaustive()
    }
}

impl ProviderSimulator {
    /// A provider whose CA (P-256, self-signed) has the common name `ca_name`.
    pub fn new(ca_name: &str) -> Result<Self, KeyHolderError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(failed)?;
        let params = Self::ca_params(ca_name)?;
        let ca_der = params.self_signed(&key).map_err(failed)?.der().to_vec();
        Ok(Self { ca: Issuer::new(params, key), ca_der, submitted: HashMap::new() })
    }

    /// The provider whose CA certificate is `ca_der`, with the private key
    /// (PKCS#8 DER) `ca_key`, named `ca_name`: the same CA across restarts.
    pub fn with_ca(ca_name: &str, ca_der: &[u8], ca_key: &[u8]) -> Result<Self, KeyHolderError> {
        let key = KeyPair::try_from(ca_key).map_err(|e| rejected(format!("the CA key cannot be read: {e}")))?;
        let certificate = crate::x5c::ValidatedChain::parse_one(ca_der).map_err(rejected)?;
        if certificate.leaf_public_key() != key.subject_public_key_info() {
            return Err(rejected("the CA key is not the CA certificate's"));
        }
        Ok(Self { ca: Issuer::new(Self::ca_params(ca_name)?, key), ca_der: ca_der.to_vec(), submitted: HashMap::new() })
    }

    fn ca_params(ca_name: &str) -> Result<CertificateParams, KeyHolderError> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
        params.distinguished_name = distinguished_name(&format!("CN={ca_name}"))?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        Ok(params)
    }

    /// The CA's private key (PKCS#8 DER), to keep it across restarts.
    pub fn ca_private_key(&self) -> Vec<u8> {
        self.ca.key().serialize_der()
    }

    /// The CA's certificate (DER): a trust anchor for the vault, if wanted.
    pub fn ca_certificate(&self) -> &[u8] {
        &self.ca_der
    }

    /// Records what the core asked of the provider.
    pub fn observe(&mut self, name: &CertificateName, effect: &Effect) {
        if let Effect::SubmitToIssuer { request_id, csr, .. } = effect {
            self.submitted.insert((name.clone(), *request_id), csr.clone());
        }
    }

    /// The chain this CA issues for `csr`'s key (leaf, CA), valid from `now`.
    pub fn sign(&self, csr: &Csr, subject: &str, now: OffsetDateTime) -> Result<Vec<Vec<u8>>, KeyHolderError> {
        let key = SpkiKey::from_spki(csr.public_key())?;
        let request = KeyRequest {
            key_type: KeyType::Ec(Curve::P256),
            subject: subject.to_owned(),
            dns_names: Vec::new(),
            emails: Vec::new(),
            key_usage: crate::policy::key_usages(None),
            ekus: crate::policy::extended_key_usages(None),
            validity_months: 12,
        };
        let mut params = params_for(&request, now - Duration::hours(1))?;
        params.use_authority_key_identifier_extension = true;
        let leaf = params.signed_by(&key, &self.ca).map_err(failed)?;
        Ok(vec![leaf.der().to_vec(), self.ca_der.clone()])
    }

    fn csr_for(&self, vault: &Vault, name: &CertificateName, request_id: RequestId) -> Option<Csr> {
        if let Some(csr) = self.submitted.get(&(name.clone(), request_id)) {
            return Some(csr.clone());
        }
        vault.pending(name, Some(request_id)).ok().map(|p| p.csr().clone())
    }

    /// Issues request `request_id` of `name`: signs its CSR's key and reports
    /// the chain. A request the vault no longer waits for is refused.
    pub fn issue(
        &mut self,
        vault: &mut Vault,
        name: &CertificateName,
        request_id: RequestId,
        now: OffsetDateTime,
        ids: &mut impl IdGenerator,
    ) -> Result<Issued, OperationError> {
        // A request the vault does not know is refused as stale before any
        // chain is looked at, so an empty chain stands in for it.
        let chain = match self.csr_for(vault, name, request_id) {
            Some(csr) => match self.sign(&csr, &format!("CN={name}"), now) {
                Ok(chain) => chain,
                Err(e) => {
                    let failure = Failure::new(Failure::ISSUER_ERROR, e.to_string());
                    vault.failed(name, request_id, failure, now)?;
                    return Ok(Issued::Refused(crate::x5c::ChainError::Empty));
                }
            },
            None => Vec::new(),
        };
        vault.issued(name, request_id, &chain, now, ids)
    }

    /// Reports that request `request_id` of `name` failed.
    pub fn fail(
        &mut self,
        vault: &mut Vault,
        name: &CertificateName,
        request_id: RequestId,
        failure: Failure,
        now: OffsetDateTime,
    ) -> Result<(), OperationError> {
        vault.failed(name, request_id, failure, now)
    }

    /// Reports that request `request_id` of `name` was cancelled.
    pub fn cancel(
        &mut self,
        vault: &mut Vault,
        name: &CertificateName,
        request_id: RequestId,
        now: OffsetDateTime,
    ) -> Result<(), OperationError> {
        vault.cancelled(name, request_id, now)
    }
}
