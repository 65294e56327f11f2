//! Decoding one certificate, keeping the TBS bytes exactly as they were given.

use der::asn1::{ContextSpecific, ObjectIdentifier as Oid};
use der::{Decode, Reader, SliceReader, Tag, TagNumber};
use x509_cert::ext::pkix::constraints::name::NameConstraints;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::Validity;

use super::ChainError;

const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
const EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
const SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
const SUBJECT_KEY_ID: Oid = Oid::new_unwrap("2.5.29.14");
const AUTHORITY_KEY_ID: Oid = Oid::new_unwrap("2.5.29.35");
const NAME_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.30");
const AUTHORITY_INFO_ACCESS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.1");
/// Extensions whose criticality the validator honours: those it processes, and
/// those that only describe the certificate (names, key identifiers, usages).
const UNDERSTOOD: [Oid; 7] =
    [BASIC_CONSTRAINTS, KEY_USAGE, EXT_KEY_USAGE, SUBJECT_ALT_NAME, SUBJECT_KEY_ID, AUTHORITY_KEY_ID, NAME_CONSTRAINTS];
/// Further extensions a critical flag does not refuse at the `Verified` level,
/// as `openssl verify` handles them by default: certificate policies, policy
/// mappings, policy constraints, inhibitAnyPolicy, Netscape certificate type.
/// (proxyCertInfo is not among them: `openssl verify` refuses proxy
/// certificates by default.)
const HANDLED_BY_OPENSSL: [Oid; 5] = [
    Oid::new_unwrap("2.5.29.32"),
    Oid::new_unwrap("2.5.29.33"),
    Oid::new_unwrap("2.5.29.36"),
    Oid::new_unwrap("2.5.29.54"),
    Oid::new_unwrap("2.16.840.1.113730.1.1"),
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
    pub spki_der: &'a [u8],
    pub subject: &'a [u8],
    pub issuer: &'a [u8],
    pub self_issued: bool,
    /// 0 for v1, 1 for v2, 2 for v3.
    pub version: u8,
    pub not_before: i64,
    pub not_after: i64,
    /// basicConstraints says `cA` (v3 only).
    pub is_ca: bool,
    /// basicConstraints is present (v3 only).
    pub has_basic_constraints: bool,
    /// keyUsage is present.
    pub has_key_usage: bool,
    pub path_len: Option<u8>,
    pub key_usage_lacks_cert_sign: bool,
    /// A critical extension outside [`UNDERSTOOD`], or an extension twice.
    pub unknown_critical: Option<String>,
    /// A critical extension neither understood nor handled as `openssl verify`
    /// handles it, or an extension twice: what the `Verified` level refuses.
    pub unhandled_critical: Option<String>,
    /// An extension the validator reads whose value does not decode.
    pub malformed_extension: Option<&'static str>,
    /// basicConstraints is present and critical.
    pub basic_constraints_critical: bool,
    pub has_subject_key_id: bool,
    pub has_authority_key_id: bool,
    pub subject_empty: bool,
    pub has_name_constraints: bool,
    /// The CA's name constraints, when it has them and they decode.
    pub name_constraints: Option<NameConstraints>,
    /// The subjectAltName entries.
    pub subject_alt_names: Vec<GeneralName>,
    /// Zero or negative serial number (RFC 5280 §4.1.2.2); tolerated in anchors.
    pub serial_not_positive: bool,
    /// Self-issued, with an authorityKeyIdentifier that is not its own key.
    pub root_aki_mismatch: bool,
    /// The first RFC 5280 profile rule this certificate breaks on its own,
    /// wherever it stands in a path.
    pub defect: Option<&'static str>,
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

    let signature = signature_bits(signature).map_err(malformed)?;
    let raw = RawTbs::parse(tbs).map_err(malformed)?;
    let spki = SubjectPublicKeyInfoOwned::from_der(raw.spki).map_err(malformed)?;
    let (spki_der, subject, issuer) = (raw.spki, raw.subject, raw.issuer);
    let validity = &raw.validity;
    let seconds = |t: &x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);

    let mut is_ca = false;
    let mut path_len = None;
    let mut key_usage_lacks_cert_sign = false;
    let mut unknown_critical = None;
    let mut unhandled_critical = None;
    let mut malformed_extension = None;
    let mut has_basic_constraints = false;
    let mut has_key_usage = false;
    let mut basic_constraints_critical = false;
    let mut key_cert_sign = false;
    let mut subject_key_id: Option<Vec<u8>> = None;
    let mut authority_key_id: Option<AuthorityKeyIdentifier> = None;
    let mut has_name_constraints = false;
    let mut name_constraints = None;
    let mut subject_alt_names = Vec::new();
    let mut defects: Vec<&'static str> = Vec::new();
    let subject_empty = raw.subject.len() == 2;
    let mut seen: Vec<&Oid> = Vec::new();
    for ext in &raw.extensions {
        if seen.contains(&&ext.extn_id) {
            unknown_critical.get_or_insert_with(|| ext.extn_id.to_string());
            unhandled_critical.get_or_insert_with(|| ext.extn_id.to_string());
        }
        seen.push(&ext.extn_id);
        match ext.extn_id {
            // A value that does not decode refuses the certificate at the
            // `Verified` and `Strict` levels (`malformed_extension`); the
            // service's level does not look at it.
            BASIC_CONSTRAINTS => match BasicConstraints::from_der(ext.extn_value) {
                Ok(bc) => {
                    is_ca = bc.ca;
                    has_basic_constraints = true;
                    path_len = bc.path_len_constraint;
                    basic_constraints_critical = ext.critical;
                }
                Err(_) => flag_malformed(
                    &mut defects,
                    &mut malformed_extension,
                    "basicConstraints is malformed (RFC 5280 §4.2.1.9)",
                ),
            },
            KEY_USAGE => match KeyUsage::from_der(ext.extn_value) {
                Ok(ku) => {
                    has_key_usage = true;
                    key_cert_sign = ku.0.contains(KeyUsages::KeyCertSign);
                    key_usage_lacks_cert_sign = !key_cert_sign;
                }
                Err(_) => {
                    // Read as "no keyCertSign", so it cannot sign below.
                    has_key_usage = true;
                    key_usage_lacks_cert_sign = true;
                    flag_malformed(&mut defects, &mut malformed_extension, "keyUsage is malformed (RFC 5280 §4.2.1.3)");
                }
            },
            EXT_KEY_USAGE => match ExtendedKeyUsage::from_der(ext.extn_value) {
                Ok(eku) if !eku.0.is_empty() => {}
                Ok(_) => defects.push("extKeyUsage is empty (RFC 5280 §4.2.1.12)"),
                Err(_) => flag_malformed(
                    &mut defects,
                    &mut malformed_extension,
                    "extKeyUsage is malformed (RFC 5280 §4.2.1.12)",
                ),
            },
            SUBJECT_ALT_NAME => match SubjectAltName::from_der(ext.extn_value) {
                Ok(san) if !san.0.is_empty() => {
                    if subject_empty && !ext.critical {
                        defects.push("an empty subject needs a critical subjectAltName (RFC 5280 §4.2.1.6)");
                    }
                    if !san.0.iter().all(general_name_well_formed) {
                        defects.push("subjectAltName has a malformed DNS name (RFC 5280 §4.2.1.6)");
                    }
                    subject_alt_names = san.0;
                }
                Ok(_) => defects.push("subjectAltName is empty (RFC 5280 §4.2.1.6)"),
                Err(_) => flag_malformed(
                    &mut defects,
                    &mut malformed_extension,
                    "subjectAltName is malformed (RFC 5280 §4.2.1.6)",
                ),
            },
            SUBJECT_KEY_ID => match SubjectKeyIdentifier::from_der(ext.extn_value) {
                Ok(ski) if !ext.critical => subject_key_id = Some(ski.0.as_bytes().to_vec()),
                Ok(_) => defects.push("subjectKeyIdentifier is critical (RFC 5280 §4.2.1.2)"),
                Err(_) => flag_malformed(
                    &mut defects,
                    &mut malformed_extension,
                    "subjectKeyIdentifier is malformed (RFC 5280 §4.2.1.2)",
                ),
            },
            AUTHORITY_KEY_ID => match AuthorityKeyIdentifier::from_der(ext.extn_value) {
                Ok(aki) if !ext.critical && aki.key_identifier.is_some() => authority_key_id = Some(aki),
                Ok(_) => defects.push("authorityKeyIdentifier is critical or lacks keyIdentifier (RFC 5280 §4.2.1.1)"),
                Err(_) => flag_malformed(
                    &mut defects,
                    &mut malformed_extension,
                    "authorityKeyIdentifier is malformed (RFC 5280 §4.2.1.1)",
                ),
            },
            NAME_CONSTRAINTS => {
                has_name_constraints = true;
                match NameConstraints::from_der(ext.extn_value) {
                    Ok(nc)
                        if nc.permitted_subtrees.as_ref().is_none_or(Vec::is_empty)
                            && nc.excluded_subtrees.as_ref().is_none_or(Vec::is_empty) =>
                    {
                        defects.push("nameConstraints is empty (RFC 5280 §4.2.1.10)");
                    }
                    Ok(nc)
                        if nc.permitted_subtrees.as_ref().is_some_and(Vec::is_empty)
                            || nc.excluded_subtrees.as_ref().is_some_and(Vec::is_empty) =>
                    {
                        // A profile defect; the other list still binds the
                        // names below (an empty list constrains nothing).
                        defects.push("nameConstraints has an empty list of subtrees (RFC 5280 §4.2.1.10)");
                        name_constraints = Some(nc);
                    }
                    Ok(nc) => {
                        // Applied at every level that checks paths, critical
                        // or not; the profile's criticality rule is a defect.
                        if !ext.critical {
                            defects.push("nameConstraints must be critical (RFC 5280 §4.2.1.10)");
                        }
                        name_constraints = Some(nc);
                    }
                    Err(_) => flag_malformed(
                        &mut defects,
                        &mut malformed_extension,
                        "nameConstraints is malformed (RFC 5280 §4.2.1.10)",
                    ),
                }
            }
            AUTHORITY_INFO_ACCESS if AuthorityInfoAccessSyntax::from_der(ext.extn_value).is_err() => {
                flag_malformed(
                    &mut defects,
                    &mut malformed_extension,
                    "authorityInfoAccess is malformed (RFC 5280 §4.2.2.1)",
                );
            }
            _ => {}
        }
        if ext.critical && !UNDERSTOOD.contains(&ext.extn_id) {
            unknown_critical.get_or_insert_with(|| ext.extn_id.to_string());
            if !HANDLED_BY_OPENSSL.contains(&ext.extn_id) {
                unhandled_critical.get_or_insert_with(|| ext.extn_id.to_string());
            }
        }
    }
    // basicConstraints means nothing outside v3 (RFC 5280 §4.1.2.1).
    let v3 = raw.version == 2;
    let self_issued = subject == issuer;
    if !v3 {
        defects.insert(0, "not a version 3 certificate");
    }
    let serial = raw.serial;
    let serial_not_positive = serial.iter().all(|&b| b == 0) || serial.first().is_some_and(|&b| b & 0x80 != 0);
    // At most 20 octets (RFC 5280 §4.1.2.2), one more for a leading zero.
    if serial.len() > 21 || (serial.len() == 21 && serial.first() != Some(&0)) {
        defects.push("the serial number is longer than 20 octets (RFC 5280 §4.1.2.2)");
    }
    if key_cert_sign && !is_ca {
        defects.push("keyCertSign is asserted without basicConstraints cA (RFC 5280 §4.2.1.3)");
    }
    // A self-signed root's authorityKeyIdentifier, if any, names its own key
    // and nothing else. (A self-issued certificate signed by another key, as in
    // a key rollover, names that key: this applies only to a path's root.)
    let root_aki_mismatch = self_issued
        && authority_key_id.as_ref().is_some_and(|aki| {
            aki.key_identifier.as_ref().map(|k| k.as_bytes()) != subject_key_id.as_deref()
                || aki.authority_cert_issuer.is_some()
                || aki.authority_cert_serial_number.is_some()
        });

    Ok(Parsed {
        index,
        der,
        tbs,
        signature,
        tbs_algorithm: raw.algorithm,
        outer_algorithm,
        self_issued,
        version: raw.version,
        spki,
        spki_der,
        subject,
        issuer,
        not_before: seconds(&validity.not_before),
        not_after: seconds(&validity.not_after),
        is_ca: v3 && is_ca,
        has_basic_constraints: v3 && has_basic_constraints,
        has_key_usage,
        path_len,
        key_usage_lacks_cert_sign,
        unknown_critical,
        unhandled_critical,
        malformed_extension,
        basic_constraints_critical,
        has_subject_key_id: subject_key_id.is_some(),
        has_authority_key_id: authority_key_id.is_some(),
        subject_empty,
        has_name_constraints,
        name_constraints,
        subject_alt_names,
        serial_not_positive,
        root_aki_mismatch,
        defect: defects.first().copied(),
    })
}

/// Records a defect that is also a malformed extension (what the `Verified`
/// level refuses besides the profile).
fn flag_malformed(defects: &mut Vec<&'static str>, first: &mut Option<&'static str>, defect: &'static str) {
    first.get_or_insert(defect);
    defects.push(defect);
}

/// Whether a DNS name in a subjectAltName is a preferred-syntax host name
/// (letters, digits, hyphens; labels of 1–63), optionally `*.`-prefixed.
fn general_name_well_formed(name: &GeneralName) -> bool {
    match name {
        GeneralName::DnsName(dns) => crate::policy::is_host_name(dns.as_str(), false),
        _ => true,
    }
}

/// A `TBSCertificate` read field by field, keeping names and the key as the
/// bytes given: nothing is decoded that validation does not use, and nothing
/// is re-encoded.
struct RawTbs<'a> {
    /// 0 for v1, 1 for v2, 2 for v3.
    version: u8,
    /// The serial number's content octets.
    serial: &'a [u8],
    algorithm: AlgorithmIdentifierOwned,
    issuer: &'a [u8],
    validity: Validity,
    subject: &'a [u8],
    spki: &'a [u8],
    /// Each extension as given: id, criticality, value octets.
    extensions: Vec<RawExtension<'a>>,
}

impl<'a> RawTbs<'a> {
    fn parse(tbs: &'a [u8]) -> der::Result<Self> {
        let mut reader = SliceReader::new(tbs)?;
        let raw = reader.sequence(|r| -> der::Result<RawTbs<'a>> {
            let version = match ContextSpecific::<u8>::decode_explicit(r, TagNumber(0))? {
                Some(v) if v.value <= 2 => v.value,
                Some(_) => return Err(Tag::Integer.value_error().into()),
                None => 0,
            };
            let serial = der::asn1::IntRef::decode(r)?.as_bytes();
            let algorithm = AlgorithmIdentifierOwned::decode(r)?;
            let issuer = name(r)?;
            let validity = Validity::decode(r)?;
            let subject = name(r)?;
            let spki = r.tlv_bytes()?;
            let mut extensions = None::<Vec<RawExtension<'a>>>;
            while !r.is_finished() {
                let header = der::Header::peek(r)?;
                match header.tag() {
                    // issuerUniqueID, subjectUniqueID: v2 and v3 only, unused.
                    Tag::ContextSpecific { number, .. }
                        if (number == TagNumber(1) || number == TagNumber(2)) && version >= 1 =>
                    {
                        r.tlv_bytes()?;
                    }
                    Tag::ContextSpecific { number, .. }
                        if number == TagNumber(3) && version == 2 && extensions.is_none() =>
                    {
                        let outer = der::Header::decode(r)?;
                        let body = r.read_slice(outer.length())?;
                        extensions = Some(raw_extensions(body)?);
                    }
                    tag => return Err(tag.value_error().into()),
                }
            }
            let extensions = extensions.unwrap_or_default();
            Ok(RawTbs { version, serial, algorithm, issuer, validity, subject, spki, extensions })
        })?;
        reader.finish()?;
        Ok(raw)
    }
}

/// One extension, borrowed from the certificate.
pub(crate) struct RawExtension<'a> {
    pub extn_id: Oid,
    pub critical: bool,
    pub extn_value: &'a [u8],
}

/// `Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension`, borrowing values.
fn raw_extensions(body: &[u8]) -> der::Result<Vec<RawExtension<'_>>> {
    let mut reader = SliceReader::new(body)?;
    let list = reader.sequence(|r| -> der::Result<Vec<RawExtension<'_>>> {
        let mut list = Vec::new();
        while !r.is_finished() {
            list.push(r.sequence(|e| -> der::Result<RawExtension<'_>> {
                let extn_id = Oid::decode(e)?;
                // DEFAULT FALSE: DER omits it when false.
                let critical = if Tag::peek(e)? == Tag::Boolean {
                    if !bool::decode(e)? {
                        return Err(Tag::Boolean.value_error().into());
                    }
                    true
                } else {
                    false
                };
                let extn_value = <&der::asn1::OctetStringRef>::decode(e)?.as_bytes();
                Ok(RawExtension { extn_id, critical, extn_value })
            })?);
        }
        Ok(list)
    })?;
    reader.finish()?;
    if list.is_empty() {
        return Err(Tag::Sequence.value_error().into());
    }
    Ok(list)
}

/// A `Name`: a SEQUENCE of SETs, each a SET OF SEQUENCEs; returned as given.
fn name<'a>(r: &mut SliceReader<'a>) -> der::Result<&'a [u8]> {
    let tlv = r.tlv_bytes()?;
    let mut outer = SliceReader::new(tlv)?;
    outer.sequence(|rdns| -> der::Result<()> {
        while !rdns.is_finished() {
            rdns.set_of_sequences()?;
        }
        Ok(())
    })?;
    outer.finish()?;
    Ok(tlv)
}

trait SetOfSequences {
    fn set_of_sequences(&mut self) -> der::Result<()>;
}

impl SetOfSequences for SliceReader<'_> {
    /// Reads one RelativeDistinguishedName: a non-empty SET of SEQUENCEs.
    fn set_of_sequences(&mut self) -> der::Result<()> {
        let header = der::Header::decode(self)?;
        header.tag().assert_eq(Tag::Set)?;
        let body = self.read_slice(header.length())?;
        let mut inner = SliceReader::new(body)?;
        if inner.is_finished() {
            return Err(Tag::Set.value_error().into());
        }
        while !inner.is_finished() {
            let attribute = der::Header::decode(&mut inner)?;
            attribute.tag().assert_eq(Tag::Sequence)?;
            inner.read_slice(attribute.length())?;
        }
        Ok(())
    }
}

/// The signature BIT STRING's bytes, borrowed from the input.
fn signature_bits(tlv: &[u8]) -> der::Result<&[u8]> {
    let bits = der::asn1::BitStringRef::from_der(tlv)?;
    if bits.unused_bits() != 0 {
        return Err(der::Tag::BitString.value_error().into());
    }
    Ok(bits.raw_bytes())
}
