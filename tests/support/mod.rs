//! Real keys, CSRs and CAs for tests and examples, made with rcgen (aws-lc-rs).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use pending_certificate::{CertificateName, Csr, RequestId, SequentialIds};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PublicKeyData, SignatureAlgorithm,
};
use time::OffsetDateTime;

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

/// The test's key signs `Self` certificates for its own CSRs; it makes and
/// imports no keys.
impl pending_certificate::KeyHolder for Holder {
    fn create_key(
        &mut self,
        _name: &CertificateName,
        _request: &pending_certificate::KeyRequest,
    ) -> Result<Csr, pending_certificate::KeyHolderError> {
        Err(pending_certificate::KeyHolderError::Rejected("this holder makes no keys".into()))
    }

    fn sign_self(
        &mut self,
        _name: &CertificateName,
        csr: &Csr,
        request: &pending_certificate::KeyRequest,
        now: OffsetDateTime,
    ) -> Result<Vec<u8>, pending_certificate::KeyHolderError> {
        assert_eq!(csr.public_key(), self.key.subject_public_key_info(), "a CSR of another key");
        let mut params = CertificateParams::new(request.dns_names.clone()).unwrap();
        params.distinguished_name = dn(request.subject.trim_start_matches("CN="));
        params.not_before = now - time::Duration::minutes(10);
        params.not_after = now + time::Duration::days(365);
        Ok(params.self_signed(&self.key).unwrap().der().to_vec())
    }

    fn import(
        &mut self,
        _name: &CertificateName,
        _content: &pending_certificate::ImportContent<'_>,
    ) -> Result<pending_certificate::ImportedKey, pending_certificate::KeyHolderError> {
        Err(pending_certificate::KeyHolderError::Rejected("this holder imports nothing".into()))
    }

    fn discard(&mut self, _public_key: &[u8]) {}
}

pub fn dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
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

    /// A self-signed RSA root of `bits` bits (2048, 3072 or 4096), signing with SHA-256.
    pub fn root_rsa(bits: u32) -> Self {
        let size = match bits {
            2048 => rcgen::RsaKeySize::_2048,
            3072 => rcgen::RsaKeySize::_3072,
            _ => rcgen::RsaKeySize::_4096,
        };
        let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size).unwrap();
        let params = ca_params("Bench RSA Root", None);
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

    /// An intermediate CA (P-256) whose parameters `tweak` may change first.
    pub fn intermediate_with(&self, common_name: &str, tweak: impl FnOnce(&mut CertificateParams)) -> Self {
        let key = Holder::p256().key;
        let mut params = ca_params(common_name, None);
        params.use_authority_key_identifier_extension = true;
        tweak(&mut params);
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
        self.sign(common_name, &pending_certificate::memory::SpkiKey::from_spki(csr.public_key()).unwrap())
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

impl Ca {
    /// The CA's private key, PKCS#8 DER.
    pub fn key_pkcs8(&self) -> Vec<u8> {
        self.issuer.key().serialize_der()
    }

    /// The CA's `SubjectPublicKeyInfo`, DER.
    pub fn spki(&self) -> Vec<u8> {
        self.issuer.key().subject_public_key_info()
    }
}

/// Hash functions a signature scheme can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// Only for ECDSA: what old roots are signed with.
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

/// Signature schemes certificates can be re-signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    RsaPkcs1(Hash),
    RsaPss(Hash),
    Ecdsa(Hash),
}

/// The bytes a string of hex digits spells.
pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// The DER `AlgorithmIdentifier` of a scheme (RSA-PSS with MGF1 of the same
/// hash and a salt as long as the hash, as RFC 4055 recommends).
pub fn algorithm_id(scheme: Scheme) -> Vec<u8> {
    if scheme == Scheme::Ecdsa(Hash::Sha1) {
        return hex("300906072a8648ce3d0401");
    }
    let (hash_oid, hash_len) = match scheme {
        Scheme::RsaPkcs1(h) | Scheme::RsaPss(h) | Scheme::Ecdsa(h) => match h {
            Hash::Sha1 => ("2b0e03021a", 20u8),
            Hash::Sha256 => ("608648016503040201", 32u8),
            Hash::Sha384 => ("608648016503040202", 48),
            Hash::Sha512 => ("608648016503040203", 64),
        },
    };
    match scheme {
        Scheme::RsaPkcs1(h) => hex(&format!(
            "300d06092a864886f70d0101{}0500",
            match h {
                Hash::Sha1 => "05",
                Hash::Sha256 => "0b",
                Hash::Sha384 => "0c",
                Hash::Sha512 => "0d",
            }
        )),
        Scheme::Ecdsa(h) => hex(&format!(
            "300a06082a8648ce3d0403{}",
            match h {
                Hash::Sha1 => unreachable!(),
                Hash::Sha256 => "02",
                Hash::Sha384 => "03",
                Hash::Sha512 => "04",
            }
        )),
        Scheme::RsaPss(_) => {
            let hash = || algorithm(&tlv(0x06, &hex(hash_oid)), NULL);
            pss(hash(), MGF1, hash(), hash_len, None)
        }
    }
}

/// DER OIDs (whole TLVs) and parameters of the algorithms tests spell by hand.
pub const SHA1: &[u8] = &[0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a];
pub const SHA256: &[u8] = &[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
pub const SHA384: &[u8] = &[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
pub const MGF1: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
pub const RSASSA_PSS: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
pub const SHA256_WITH_RSA: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
pub const ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
pub const NULL: &[u8] = &[0x05, 0x00];
pub const EMPTY_SEQUENCE: &[u8] = &[0x30, 0x00];

/// `AlgorithmIdentifier` of `oid` (a whole OID TLV) and `parameters` (a
/// whole TLV, or empty for none).
pub fn algorithm(oid: &[u8], parameters: &[u8]) -> Vec<u8> {
    tlv(0x30, &[oid, parameters].concat())
}

/// RSASSA-PSS's `AlgorithmIdentifier`: the hash, the mask generation
/// function (its OID and its hash), the salt length and the trailer field.
pub fn pss(hash: Vec<u8>, mgf: &[u8], mgf_hash: Vec<u8>, salt: u8, trailer: Option<u8>) -> Vec<u8> {
    let mut fields = vec![tlv(0xa0, &hash), tlv(0xa1, &algorithm(mgf, &mgf_hash)), tlv(0xa2, &tlv(0x02, &[salt]))];
    fields.extend(trailer.map(|t| tlv(0xa3, &tlv(0x02, &[t]))));
    algorithm(RSASSA_PSS, &tlv(0x30, &fields.concat()))
}

/// `spki` with its algorithm's parameters spelled as `parameters` (a whole
/// TLV, or empty for none) and, when given, other key bits (a whole BIT
/// STRING).
pub fn respelled_spki(spki: &[u8], parameters: &[u8], bits: Option<&[u8]>) -> Vec<u8> {
    let elements = sequence_elements(spki);
    let oid = &sequence_elements(&elements[0])[0];
    tlv(0x30, &[algorithm(oid, parameters), bits.map_or_else(|| elements[1].clone(), <[u8]>::to_vec)].concat())
}

/// DER TLV with tag `tag` around `content`.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|&b| b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// The elements of a DER SEQUENCE, each as its whole TLV.
pub fn sequence_elements(der: &[u8]) -> Vec<Vec<u8>> {
    use der::{Reader, SliceReader};
    let mut reader = SliceReader::new(der).unwrap();
    reader
        .sequence(|r| {
            let mut out = Vec::new();
            while !r.is_finished() {
                out.push(r.tlv_bytes()?.to_vec());
            }
            Ok::<_, der::Error>(out)
        })
        .unwrap()
}

/// Re-signs `cert` with `issuer_pkcs8` under `scheme`: the TBS's signature
/// field and the outer algorithm become `scheme`'s (or `outer` when given, to
/// make them differ).
pub fn resign_with(cert: &[u8], issuer_pkcs8: &[u8], scheme: Scheme, outer: Option<Vec<u8>>) -> Vec<u8> {
    resign_tbs(cert, issuer_pkcs8, scheme, outer, |_| {})
}

/// `cert` as a version 1 certificate (no version field, no extensions),
/// signed with `issuer_pkcs8` under `scheme`.
pub fn as_v1(cert: &[u8], issuer_pkcs8: &[u8], scheme: Scheme) -> Vec<u8> {
    resign_tbs(cert, issuer_pkcs8, scheme, None, |parts| {
        parts.remove(0); // [0] version
        parts.retain(|p| p[0] != 0xa3); // [3] extensions
    })
}

/// Re-signs `cert` after `edit` changed the TBS's fields (each a whole TLV;
/// the signature algorithm is set after the edit, at index 2, or index 1 for
/// a TBS without a version).
pub fn resign_tbs(
    cert: &[u8],
    issuer_pkcs8: &[u8],
    scheme: Scheme,
    outer: Option<Vec<u8>>,
    edit: impl FnOnce(&mut Vec<Vec<u8>>),
) -> Vec<u8> {
    use aws_lc_rs::{digest, rand::SystemRandom, signature};
    let parts = sequence_elements(cert);
    let mut tbs_parts = sequence_elements(&parts[0]);
    edit(&mut tbs_parts);
    let alg = algorithm_id(scheme);
    let at = if tbs_parts[0][0] == 0xa0 { 2 } else { 1 };
    tbs_parts[at] = alg.clone();
    let tbs = tlv(0x30, &tbs_parts.concat());
    let rng = SystemRandom::new();
    let digest_alg = |h| match h {
        Hash::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        Hash::Sha256 => &digest::SHA256,
        Hash::Sha384 => &digest::SHA384,
        Hash::Sha512 => &digest::SHA512,
    };
    let signature = match scheme {
        Scheme::RsaPkcs1(h) | Scheme::RsaPss(h) => {
            let key = signature::RsaKeyPair::from_pkcs8(issuer_pkcs8).unwrap();
            let encoding: &'static dyn signature::RsaEncoding = match scheme {
                Scheme::RsaPkcs1(_) => match h {
                    Hash::Sha1 => panic!("no RSA SHA-1 signing here"),
                    Hash::Sha256 => &signature::RSA_PKCS1_SHA256,
                    Hash::Sha384 => &signature::RSA_PKCS1_SHA384,
                    Hash::Sha512 => &signature::RSA_PKCS1_SHA512,
                },
                _ => match h {
                    Hash::Sha1 => panic!("no RSA SHA-1 signing here"),
                    Hash::Sha256 => &signature::RSA_PSS_SHA256,
                    Hash::Sha384 => &signature::RSA_PSS_SHA384,
                    Hash::Sha512 => &signature::RSA_PSS_SHA512,
                },
            };
            let mut sig = vec![0; key.public_modulus_len()];
            key.sign(encoding, &rng, &tbs, &mut sig).unwrap();
            sig
        }
        Scheme::Ecdsa(h) => {
            // ECDSA signs the hash truncated (or zero-extended) to the curve's
            // size, so any hash can be signed through the curve's own digest.
            let full = digest::digest(digest_alg(h), &tbs);
            let curves: [(&'static signature::EcdsaSigningAlgorithm, &'static digest::Algorithm); 3] = [
                (&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &digest::SHA256),
                (&signature::ECDSA_P384_SHA384_ASN1_SIGNING, &digest::SHA384),
                (&signature::ECDSA_P521_SHA512_ASN1_SIGNING, &digest::SHA512),
            ];
            let (key, curve_digest) = curves
                .iter()
                .find_map(|(alg, d)| signature::EcdsaKeyPair::from_pkcs8(alg, issuer_pkcs8).ok().map(|k| (k, *d)))
                .unwrap();
            let n = curve_digest.output_len();
            let bytes = full.as_ref();
            let value: Vec<u8> = if bytes.len() >= n {
                bytes[..n].to_vec()
            } else {
                let mut v = vec![0; n - bytes.len()];
                v.extend_from_slice(bytes);
                v
            };
            let imported = digest::Digest::import_less_safe(&value, curve_digest).unwrap();
            key.sign_digest(&imported).unwrap().as_ref().to_vec()
        }
    };
    let mut bits = vec![0u8];
    bits.extend(signature);
    let outer = outer.unwrap_or(alg);
    tlv(0x30, &[tbs, outer, tlv(0x03, &bits)].concat())
}

/// [`resign_with`] with the same algorithm outside and inside.
pub fn resign(cert: &[u8], issuer_pkcs8: &[u8], scheme: Scheme) -> Vec<u8> {
    resign_with(cert, issuer_pkcs8, scheme, None)
}

/// The content octets of a DER TLV.
pub fn tlv_content(tlv: &[u8]) -> &[u8] {
    let first = tlv[1];
    if first < 0x80 {
        &tlv[2..2 + first as usize]
    } else {
        let n = (first & 0x7f) as usize;
        let len = tlv[2..2 + n].iter().fold(0usize, |acc, &b| acc << 8 | b as usize);
        &tlv[2 + n..2 + n + len]
    }
}

/// In a TBS's fields, drops the critical flag of the extension with the
/// object identifier `oid` (its DER content octets, e.g. `[0x55, 0x1d, 0x13]`
/// for basicConstraints).
pub fn make_noncritical(parts: &mut [Vec<u8>], oid: &[u8]) {
    let Some(field) = parts.iter_mut().find(|p| p[0] == 0xa3) else { return };
    let extensions = sequence_elements(tlv_content(field));
    let extensions: Vec<Vec<u8>> = extensions
        .into_iter()
        .map(|ext| {
            let fields = sequence_elements(&ext);
            if tlv_content(&fields[0]) == oid {
                let kept: Vec<Vec<u8>> = fields.into_iter().filter(|f| f[0] != 0x01).collect();
                tlv(0x30, &kept.concat())
            } else {
                ext
            }
        })
        .collect();
    *field = tlv(0xa3, &tlv(0x30, &extensions.concat()));
}
