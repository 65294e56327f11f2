//! Decoding one certificate, keeping the TBS bytes exactly as they were given.

use der::asn1::{BitString, ObjectIdentifier as Oid};
use der::{Decode, Encode, Reader, SliceReader};
use x509_cert::TbsCertificate;
use x509_cert::certificate::Version;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::ChainError;

const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
/// Extensions whose criticality the validator honours: those it processes, and
/// those that only describe the certificate (names, key identifiers, usages).
const UNDERSTOOD: [Oid; 6] = [
    BASIC_CONSTRAINTS,
    KEY_USAGE,
    Oid::new_unwrap("2.5.29.37"), // extKeyUsage
    Oid::new_unwrap("2.5.29.17"), // subjectAltName
    Oid::new_unwrap("2.5.29.14"), // subjectKeyIdentifier
    Oid::new_unwrap("2.5.29.35"), // authorityKeyIdentifier
];

/// One certificate of an `x5c` (or a trust anchor), decoded.
pub(crate) struct Parsed<'a> {
    pub index: usize,
    pub der: &'a [u8],
    /// `tbsCertificate` exactly as it appears in `der`: what the signature covers.
    pub tbs: &'a [u8],
    pub signature: &'a [u8],
    pub outer_algorithm: AlgorithmIdentifierOwned,
    pub tbs_algorithm: AlgorithmIdentifierOwned,
    pub spki: SubjectPublicKeyInfoOwned,
    pub spki_der: Vec<u8>,
    pub subject: Vec<u8>,
    pub issuer: Vec<u8>,
    pub self_issued: bool,
    pub not_before: i64,
    pub not_after: i64,
    pub is_ca: bool,
    pub path_len: Option<u8>,
    pub key_usage_lacks_cert_sign: bool,
    pub unknown_critical: Option<String>,
}

pub(crate) fn parse_certificate(index: usize, der: &[u8]) -> Result<Parsed<'_>, ChainError> {
    let malformed = |e: der::Error| ChainError::Malformed { index, detail: e.to_string() };
    let mut reader = SliceReader::new(der).map_err(malformed)?;
    let (tbs, outer_algorithm, signature) = reader
        .sequence(|r| {
            let tbs = r.tlv_bytes()?;
            let algorithm = AlgorithmIdentifierOwned::decode(r)?;
            let signature = r.tlv_bytes()?;
            Ok((tbs, algorithm, signature))
        })
        .map_err(malformed)?;
    reader.finish().map_err(malformed)?;

    let signature = BitStringRefBytes::parse(signature).map_err(malformed)?;
    let tbs_cert = TbsCertificate::from_der(tbs).map_err(malformed)?;
    let spki = tbs_cert.subject_public_key_info().clone();
    let spki_der = spki.to_der().map_err(malformed)?;
    let subject = tbs_cert.subject().to_der().map_err(malformed)?;
    let issuer = tbs_cert.issuer().to_der().map_err(malformed)?;
    let validity = tbs_cert.validity();
    let seconds = |t: &x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);

    let mut is_ca = false;
    let mut path_len = None;
    let mut key_usage_lacks_cert_sign = false;
    let mut unknown_critical = None;
    let mut seen: Vec<&Oid> = Vec::new();
    for ext in tbs_cert.extensions().into_iter().flatten() {
        if seen.contains(&&ext.extn_id) {
            unknown_critical.get_or_insert_with(|| ext.extn_id.to_string());
        }
        seen.push(&ext.extn_id);
        match ext.extn_id {
            BASIC_CONSTRAINTS => {
                let bc = BasicConstraints::from_der(ext.extn_value.as_bytes()).map_err(malformed)?;
                is_ca = bc.ca;
                path_len = bc.path_len_constraint;
            }
            KEY_USAGE => {
                let ku = KeyUsage::from_der(ext.extn_value.as_bytes()).map_err(malformed)?;
                key_usage_lacks_cert_sign = !ku.0.contains(KeyUsages::KeyCertSign);
            }
            _ => {}
        }
        if ext.critical && !UNDERSTOOD.contains(&ext.extn_id) {
            unknown_critical.get_or_insert_with(|| ext.extn_id.to_string());
        }
    }
    // basicConstraints means nothing outside v3 (RFC 5280 §4.1.2.1).
    let v3 = tbs_cert.version() == Version::V3;

    Ok(Parsed {
        index,
        der,
        tbs,
        signature,
        tbs_algorithm: tbs_cert.signature().clone(),
        outer_algorithm,
        self_issued: subject == issuer,
        spki,
        spki_der,
        subject,
        issuer,
        not_before: seconds(&validity.not_before),
        not_after: seconds(&validity.not_after),
        is_ca: v3 && is_ca,
        path_len,
        key_usage_lacks_cert_sign,
        unknown_critical,
    })
}

/// The signature BIT STRING's bytes, borrowed from the input.
struct BitStringRefBytes;

impl BitStringRefBytes {
    fn parse(tlv: &[u8]) -> der::Result<&[u8]> {
        let bits = der::asn1::BitStringRef::from_der(tlv)?;
        if bits.unused_bits() != 0 {
            return Err(der::Tag::BitString.value_error().into());
        }
        Ok(bits.raw_bytes())
    }
}

#[allow(dead_code)]
fn _assert_bitstring_owned(_: BitString) {}
