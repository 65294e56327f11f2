//! Real keys, CSRs and CAs for tests and examples, made with rcgen (aws-lc-rs).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use der::Decode;
use pending_certificate::{CertificateName, Csr, RequestId, SequentialIds};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PublicKeyData, SignatureAlgorithm,
};
use time::OffsetDateTime;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

/// A fixed instant every test runs at: 2026-06-01T00:00:00Z.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_272_000).unwrap()
}

pub fn name(text: &str) -> CertificateName {
    CertificateName::new(text).unwrap()
}

pub fn ids() -> SequentialIds {
    SequentialIds::starting_at(0xa768_27a1_8b63_421c_917d_a80f_28e9_9130)
}

/// A key pair held by the test, standing in for the key holder.
pub struct Holder {
    pub key: KeyPair,
}

impl Holder {
    pub fn p256() -> Self {
        Self { key: KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap() }
    }

    pub fn with(alg: &'static SignatureAlgorithm) -> Self {
        let key = if alg == &rcgen::PKCS_RSA_SHA256 || alg == &rcgen::PKCS_RSA_SHA384 || alg == &rcgen::PKCS_RSA_SHA512
        {
            KeyPair::generate_rsa_for(alg, rcgen::RsaKeySize::_2048).unwrap()
        } else {
            KeyPair::generate_for(alg).unwrap()
        };
        Self { key }
    }

    /// A PKCS#10 CSR for `subject`, DER.
    pub fn csr_der(&self, subject: &str) -> Vec<u8> {
        let mut params = CertificateParams::new(vec![]).unwrap();
        params.distinguished_name = dn(subject);
        params.serialize_request(&self.key).unwrap().der().to_vec()
    }

    pub fn csr(&self, subject: &str) -> Csr {
        Csr::from_der(&self.csr_der(subject)).unwrap()
    }
}

pub fn dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

/// The public key a CSR carries, as rcgen needs it to sign a certificate for
/// it: the CA sees only the CSR, never the private key.
pub struct CsrKey {
    bits: Vec<u8>,
    alg: &'static SignatureAlgorithm,
}

impl CsrKey {
    pub fn from_csr(csr: &Csr) -> Self {
        let spki = SubjectPublicKeyInfoOwned::from_der(csr.public_key()).unwrap();
        let oid = spki.algorithm.oid.to_string();
        let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok());
        let alg: &'static SignatureAlgorithm = match (oid.as_str(), curve.map(|c| c.to_string()).as_deref()) {
            ("1.2.840.113549.1.1.1", _) => &rcgen::PKCS_RSA_SHA256,
            ("1.2.840.10045.2.1", Some("1.2.840.10045.3.1.7")) => &rcgen::PKCS_ECDSA_P256_SHA256,
            ("1.2.840.10045.2.1", Some("1.3.132.0.34")) => &rcgen::PKCS_ECDSA_P384_SHA384,
            ("1.2.840.10045.2.1", Some("1.3.132.0.35")) => &rcgen::PKCS_ECDSA_P521_SHA512,
            ("1.3.101.112", _) => &rcgen::PKCS_ED25519,
            other => panic!("no rcgen algorithm for key {other:?}"),
        };
        Self { bits: spki.subject_public_key.raw_bytes().to_vec(), alg }
    }
}

impl PublicKeyData for CsrKey {
    fn der_bytes(&self) -> &[u8] {
        &self.bits
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.alg
    }
}

/// A certificate authority: its certificate (DER) and what it signs with.
pub struct Ca {
    pub der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

fn ca_params(common_name: &str, path_len: Option<u8>) -> CertificateParams {
    let mut params = CertificateParams::new(vec![]).unwrap();
    params.distinguished_name = dn(common_name);
    params.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params
}

impl Ca {
    /// A self-signed root with a key of `alg`.
    pub fn root(common_name: &str, alg: &'static SignatureAlgorithm) -> Self {
        let key = Holder::with(alg).key;
        let params = ca_params(common_name, None);
        let der = params.self_signed(&key).unwrap().der().to_vec();
        Self { der, issuer: Issuer::new(params, key) }
    }

    pub fn p256(common_name: &str) -> Self {
        Self::root(common_name, &rcgen::PKCS_ECDSA_P256_SHA256)
    }

    /// An intermediate CA signed by `self`.
    pub fn intermediate(&self, common_name: &str, alg: &'static SignatureAlgorithm) -> Self {
        let key = Holder::with(alg).key;
        let mut params = ca_params(common_name, None);
        params.use_authority_key_identifier_extension = true;
        let der = params.signed_by(&key, &self.issuer).unwrap().der().to_vec();
        Self { der, issuer: Issuer::new(params, key) }
    }

    /// A leaf for the key `key`, subject `common_name`, signed by this CA.
    pub fn sign(&self, common_name: &str, key: &impl PublicKeyData) -> Vec<u8> {
        self.sign_with(common_name, key, |_| {})
    }

    /// A leaf whose parameters `tweak` may change first.
    pub fn sign_with(
        &self,
        common_name: &str,
        key: &impl PublicKeyData,
        tweak: impl FnOnce(&mut CertificateParams),
    ) -> Vec<u8> {
        let mut params = CertificateParams::new(vec![format!("{common_name}.example")]).unwrap();
        params.distinguished_name = dn(common_name);
        params.not_before = rcgen::date_time_ymd(2026, 1, 1);
        params.not_after = rcgen::date_time_ymd(2027, 1, 1);
        params.use_authority_key_identifier_extension = true;
        tweak(&mut params);
        params.signed_by(key, &self.issuer).unwrap().der().to_vec()
    }

    /// A leaf for the key a CSR carries.
    pub fn sign_csr(&self, csr: &Csr, common_name: &str) -> Vec<u8> {
        self.sign(common_name, &CsrKey::from_csr(csr))
    }
}

/// Standard base64.
pub fn b64(der: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(der)
}

pub fn request_id(n: u128) -> RequestId {
    RequestId::from_u128(n)
}
