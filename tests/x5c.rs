//! Every check of the `x5c` validator, with chains built here (rcgen on
//! aws-lc-rs, re-signed with aws-lc-rs where rcgen has no such scheme).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use pending_certificate::x5c::{self, ChainError, ChainPolicy, ChainValidation, Limits, ValidatedChain};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyUsagePurpose, PublicKeyData};
use support::{
    Ca, ED25519, EMPTY_SEQUENCE, Hash, Holder, MGF1, NULL, SHA1, SHA256, SHA256_WITH_RSA, SHA384, Scheme, algorithm,
    b64, hex, now, pss, resign, resign_tbs, resign_with,
};

/// The `Strict` level: every check below is one of its.
fn strict() -> ChainPolicy<'static> {
    ChainPolicy::at(now()).with_level(ChainValidation::Strict)
}

fn validate(x5c: &[Vec<u8>], leaf_key: &[u8]) -> Result<ValidatedChain, ChainError> {
    x5c::validate_der(x5c, &strict().with_leaf_key(leaf_key))
}

fn spki(holder: &Holder) -> Vec<u8> {
    holder.key.subject_public_key_info()
}

/// A leaf for a fresh P-256 key under `ca`, and that key.
fn leaf_under(ca: &Ca) -> (Vec<u8>, Vec<u8>) {
    let holder = Holder::p256();
    (ca.sign("leaf", &holder.key), spki(&holder))
}

#[test]
fn every_supported_algorithm_verifies() {
    use Hash::*;
    let cases: Vec<(&str, &'static rcgen::SignatureAlgorithm, Option<Scheme>)> = vec![
        ("RSA PKCS#1 SHA-256", &rcgen::PKCS_RSA_SHA256, None),
        ("RSA PKCS#1 SHA-384", &rcgen::PKCS_RSA_SHA384, None),
        ("RSA PKCS#1 SHA-512", &rcgen::PKCS_RSA_SHA512, None),
        ("RSA-PSS SHA-256", &rcgen::PKCS_RSA_SHA256, Some(Scheme::RsaPss(Sha256))),
        ("RSA-PSS SHA-384", &rcgen::PKCS_RSA_SHA256, Some(Scheme::RsaPss(Sha384))),
        ("RSA-PSS SHA-512", &rcgen::PKCS_RSA_SHA256, Some(Scheme::RsaPss(Sha512))),
        ("ECDSA P-256 SHA-256", &rcgen::PKCS_ECDSA_P256_SHA256, None),
        ("ECDSA P-256 SHA-384", &rcgen::PKCS_ECDSA_P256_SHA256, Some(Scheme::Ecdsa(Sha384))),
        ("ECDSA P-256 SHA-512", &rcgen::PKCS_ECDSA_P256_SHA256, Some(Scheme::Ecdsa(Sha512))),
        ("ECDSA P-384 SHA-256", &rcgen::PKCS_ECDSA_P384_SHA384, Some(Scheme::Ecdsa(Sha256))),
        ("ECDSA P-384 SHA-384", &rcgen::PKCS_ECDSA_P384_SHA384, None),
        ("ECDSA P-384 SHA-512", &rcgen::PKCS_ECDSA_P384_SHA384, Some(Scheme::Ecdsa(Sha512))),
        ("ECDSA P-521 SHA-256", &rcgen::PKCS_ECDSA_P521_SHA256, None),
        ("ECDSA P-521 SHA-384", &rcgen::PKCS_ECDSA_P521_SHA384, None),
        ("ECDSA P-521 SHA-512", &rcgen::PKCS_ECDSA_P521_SHA512, None),
        ("Ed25519", &rcgen::PKCS_ED25519, None),
    ];
    for (label, root_alg, resigned) in cases {
        let root = Ca::root("Root", root_alg);
        let (mut leaf, key) = leaf_under(&root);
        if let Some(scheme) = resigned {
            leaf = resign(&leaf, &root.key_pkcs8(), scheme);
        }
        let chain = validate(&[leaf.clone(), root.der.clone()], &key).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(chain.path(), &[0, 1], "{label}");
        assert_eq!(chain.leaf(), leaf.as_slice());
        // The same signature over one changed TBS byte no longer verifies.
        let mut tampered = leaf.clone();
        let spot = tampered.len() / 2;
        tampered[spot] ^= 0x01;
        assert!(validate(&[tampered, root.der.clone()], &key).is_err(), "{label}: tampered leaf accepted");
    }
}

#[test]
fn an_out_of_order_chain_passes_and_comes_back_leaf_first() {
    let root = Ca::p256("Root");
    let intermediate = root.intermediate("Intermediate", &rcgen::PKCS_ECDSA_P384_SHA384);
    let (leaf, key) = leaf_under(&intermediate);
    let given = vec![root.der.clone(), leaf.clone(), intermediate.der.clone()];
    let chain = validate(&given, &key).unwrap();
    assert_eq!(chain.path(), &[1, 2, 0]);
    let leaf_first: Vec<&[u8]> = chain.leaf_first().collect();
    assert_eq!(leaf_first, vec![leaf.as_slice(), intermediate.der.as_slice(), root.der.as_slice()]);
    assert_eq!(chain.as_given(), given.as_slice());
}

#[test]
fn a_forged_leaf_with_the_same_names_is_refused() {
    let root = Ca::p256("Root");
    let rogue = Ca::p256("Root"); // same name, another key
    let holder = Holder::p256();
    let forged = rogue.sign("leaf", &holder.key);
    assert_eq!(validate(&[forged, root.der.clone()], &spki(&holder)), Err(ChainError::BadSignature { index: 0 }));
}

#[test]
fn size_limits_are_checked_before_parsing() {
    let empty: [Vec<u8>; 0] = [];
    assert_eq!(validate(&empty, b""), Err(ChainError::Empty));
    let eleven = vec![vec![0u8; 4]; 11];
    assert_eq!(validate(&eleven, b""), Err(ChainError::TooManyCertificates { count: 11, max: 10 }));
    let big = vec![vec![0u8; 10], vec![0u8; 64 * 1024 + 1]];
    assert_eq!(validate(&big, b""), Err(ChainError::CertificateTooLarge { index: 1, len: 65537, max: 65536 }));
    let many = vec![vec![0u8; 60 * 1024]; 5];
    assert_eq!(validate(&many, b""), Err(ChainError::ChainTooLarge { len: 5 * 60 * 1024, max: 256 * 1024 }));
    // base64: refused by length before anything is decoded.
    let huge = vec!["A".repeat(100 * 1024)];
    assert!(matches!(x5c::validate(&huge, &strict()), Err(ChainError::CertificateTooLarge { index: 0, .. })));
    let too_many = vec!["AAAA"; 10_000];
    assert_eq!(x5c::validate(&too_many, &strict()), Err(ChainError::TooManyCertificates { count: 10_000, max: 10 }));
}

#[test]
fn base64_is_measured_before_it_is_decoded_and_der_after() {
    let limits = Limits::default();
    // 65 536 bytes, the maximum, spell 87 384 base64 characters: at most
    // 65 538 bytes by the text's length, which the two padding bytes allow.
    let at_max = b64(&vec![0x30; 65_536]);
    assert_eq!(x5c::decode(&[&at_max], &limits).map(|d| d[0].len()), Ok(65_536));
    // One byte more has the same base64 length: decoded, then refused by the
    // DER's own length.
    let over = b64(&vec![0x30; 65_537]);
    assert_eq!(x5c::decode(&[&over], &limits).map(|d| d[0].len()), Ok(65_537));
    assert_eq!(
        x5c::validate(&[&over], &strict()),
        Err(ChainError::CertificateTooLarge { index: 0, len: 65_537, max: 65_536 })
    );
    // Three bytes more is four more characters: refused by the text's length.
    let far = b64(&vec![0x30; 65_539]);
    assert_eq!(
        x5c::decode(&[at_max.as_str(), &far], &limits),
        Err(ChainError::CertificateTooLarge { index: 1, len: 65_541, max: 65_536 })
    );
    // The chain's total: four elements at the maximum are 256 KiB, the limit;
    // a fifth of one byte is over it, by the text's length.
    let four = vec![at_max.clone(); 4];
    assert_eq!(x5c::decode(&four, &limits).map(|d| d.len()), Ok(4));
    let mut five = four.clone();
    five.push(b64(&[0x30]));
    assert_eq!(x5c::decode(&five, &limits), Err(ChainError::ChainTooLarge { len: 4 * 65_538 + 3, max: 262_144 }));
    // DER at the limits is parsed (and, being no certificate, refused as such).
    let der_at_max = vec![0x30; 65_536];
    assert!(matches!(validate(std::slice::from_ref(&der_at_max), b""), Err(ChainError::Malformed { index: 0, .. })));
    assert!(matches!(validate(&vec![der_at_max; 4], b""), Err(ChainError::Malformed { index: 0, .. })));
}

#[test]
fn an_element_that_is_neither_der_nor_its_text_is_kept_as_decoded() {
    // "AAAA" is base64 too (of three zero bytes), but not of DER: the
    // element is what its own base64 spells, which the parser then refuses.
    let limits = Limits::default();
    assert_eq!(x5c::decode(&[b64(b"AAAA")], &limits), Ok(vec![b"AAAA".to_vec()]));
    assert_eq!(x5c::decode(&[b64(b"-----BEGIN CERTIFICATE-----\nAAAA\n")], &limits).map(|d| d[0].len()), Ok(33));
    assert!(matches!(x5c::validate(&[b64(b"AAAA")], &strict()), Err(ChainError::Malformed { index: 0, .. })));
}

#[test]
fn base64_and_der_must_be_well_formed_with_nothing_after() {
    let root = Ca::p256("Root");
    let (leaf, key) = leaf_under(&root);
    let policy = strict().with_leaf_key(&key);
    assert_eq!(x5c::validate(&[b64(&leaf), "not base64!".into()], &policy), Err(ChainError::Base64 { index: 1 }));
    assert_eq!(x5c::validate(&[b64(&leaf), b64(&root.der)], &policy).map(|c| c.path().to_vec()), Ok(vec![0, 1]));
    assert!(matches!(
        validate(&[leaf.clone(), b"garbage".to_vec()], &key),
        Err(ChainError::Malformed { index: 1, .. })
    ));
    let mut trailing = root.der.clone();
    trailing.push(0);
    assert!(matches!(validate(&[leaf.clone(), trailing], &key), Err(ChainError::Malformed { index: 1, .. })));
    let truncated = leaf[..leaf.len() - 1].to_vec();
    assert!(matches!(validate(&[truncated], &key), Err(ChainError::Malformed { index: 0, .. })));
}

#[test]
fn the_leaf_is_the_one_certificate_with_the_expected_key() {
    let root = Ca::p256("Root");
    let holder = Holder::p256();
    let leaf = root.sign("leaf", &holder.key);
    let stranger = Holder::p256();
    assert_eq!(validate(&[leaf.clone(), root.der.clone()], &spki(&stranger)), Err(ChainError::LeafKeyMismatch));
    let twin = root.sign("twin", &holder.key);
    assert_eq!(validate(&[leaf, twin], &spki(&holder)), Err(ChainError::AmbiguousLeaf { index: 1 }));
}

#[test]
fn duplicates_and_certificates_off_the_path_are_refused() {
    let root = Ca::p256("Root");
    let (leaf, key) = leaf_under(&root);
    assert_eq!(
        validate(&[leaf.clone(), root.der.clone(), root.der.clone()], &key),
        Err(ChainError::Duplicate { index: 2, first: 1 })
    );
    let other = Ca::p256("Other Root");
    assert_eq!(validate(&[leaf, root.der.clone(), other.der], &key), Err(ChainError::NotOnPath { index: 2 }));
}

#[test]
fn the_signature_algorithm_must_match_the_one_inside_the_tbs() {
    let root = Ca::p256("Root");
    let (leaf, key) = leaf_under(&root);
    let outer = support::algorithm_id(Scheme::Ecdsa(Hash::Sha384));
    let mismatched = resign_with(&leaf, &root.key_pkcs8(), Scheme::Ecdsa(Hash::Sha256), Some(outer));
    assert_eq!(validate(&[mismatched, root.der.clone()], &key), Err(ChainError::AlgorithmMismatch { index: 0 }));
}

/// Replaces the leaf's signature algorithm (inside and outside) by `alg_der`,
/// keeping the old signature bytes: refused before any verification.
fn with_algorithm(cert: &[u8], alg_der: &[u8]) -> Vec<u8> {
    let parts = support::sequence_elements(cert);
    let mut tbs = support::sequence_elements(&parts[0]);
    tbs[2] = alg_der.to_vec();
    let tbs = support::tlv(0x30, &tbs.concat());
    support::tlv(0x30, &[tbs, alg_der.to_vec(), parts[2].clone()].concat())
}

#[test]
fn sha1_md5_and_unknown_algorithms_are_refused() {
    let root = Ca::root("Root", &rcgen::PKCS_RSA_SHA256);
    let (leaf, key) = leaf_under(&root);
    let sha1_rsa = hex("300d06092a864886f70d0101050500");
    let md5_rsa = hex("300d06092a864886f70d0101040500");
    let sha1_ecdsa = hex("300906072a8648ce3d0401");
    let unknown = hex("3007060528c3040506");
    for alg in [sha1_rsa, md5_rsa, sha1_ecdsa] {
        let weak = with_algorithm(&leaf, &alg);
        assert_eq!(validate(&[weak, root.der.clone()], &key), Err(ChainError::WeakAlgorithm { index: 0 }));
    }
    let odd = with_algorithm(&leaf, &unknown);
    assert_eq!(validate(&[odd, root.der.clone()], &key), Err(ChainError::UnsupportedAlgorithm { index: 0 }));
}

#[test]
fn signature_algorithm_parameters_are_exactly_the_schemes() {
    // The leaf's algorithm is replaced and its signature kept: an algorithm
    // taken gets as far as the signature (which no longer verifies); one
    // refused is refused before it.
    let root = Ca::root("Root", &rcgen::PKCS_RSA_SHA256);
    let (leaf, key) = leaf_under(&root);
    let sha256 = || algorithm(SHA256, NULL);
    let sha384 = || algorithm(SHA384, NULL);
    let bad_signature: Result<(), _> = Err(ChainError::BadSignature { index: 0 });
    let unsupported = Err(ChainError::UnsupportedAlgorithm { index: 0 });
    let cases = [
        ("PSS, SHA-256", pss(sha256(), MGF1, sha256(), 32, None), bad_signature.clone()),
        ("PSS, SHA-256, trailer 1", pss(sha256(), MGF1, sha256(), 32, Some(1)), bad_signature.clone()),
        ("PSS, hash without parameters", pss(algorithm(SHA256, b""), MGF1, sha256(), 32, None), bad_signature.clone()),
        (
            "PSS, SHA-1",
            pss(algorithm(SHA1, NULL), MGF1, algorithm(SHA1, NULL), 20, None),
            Err(ChainError::WeakAlgorithm { index: 0 }),
        ),
        (
            "PSS, hash parameters not NULL",
            pss(algorithm(SHA256, EMPTY_SEQUENCE), MGF1, sha256(), 32, None),
            unsupported.clone(),
        ),
        ("PSS, mask function not MGF1", pss(sha256(), SHA256, sha256(), 32, None), unsupported.clone()),
        ("PSS, trailer 2", pss(sha256(), MGF1, sha256(), 32, Some(2)), unsupported.clone()),
        ("PSS, MGF1 over another hash", pss(sha256(), MGF1, sha384(), 32, None), unsupported.clone()),
        (
            "PSS, MGF1's hash parameters not NULL",
            pss(sha256(), MGF1, algorithm(SHA256, EMPTY_SEQUENCE), 32, None),
            unsupported.clone(),
        ),
        ("PSS, salt shorter than the hash", pss(sha256(), MGF1, sha256(), 20, None), unsupported.clone()),
        // The algorithm the root signed with, as it spelled it: unchanged, valid.
        ("PKCS#1, NULL parameters", algorithm(SHA256_WITH_RSA, NULL), Ok(())),
        ("PKCS#1, no parameters", algorithm(SHA256_WITH_RSA, b""), bad_signature.clone()),
        ("PKCS#1, other parameters", algorithm(SHA256_WITH_RSA, EMPTY_SEQUENCE), unsupported.clone()),
    ];
    for (label, alg, expected) in cases {
        assert_eq!(validate(&[with_algorithm(&leaf, &alg), root.der.clone()], &key).map(|_| ()), expected, "{label}");
    }

    let ed_root = Ca::root("Ed25519 Root", &rcgen::PKCS_ED25519);
    let (ed_leaf, ed_key) = leaf_under(&ed_root);
    assert!(validate(&[with_algorithm(&ed_leaf, &algorithm(ED25519, b"")), ed_root.der.clone()], &ed_key).is_ok());
    let with_null = with_algorithm(&ed_leaf, &algorithm(ED25519, NULL));
    assert_eq!(validate(&[with_null, ed_root.der.clone()], &ed_key).map(|_| ()), unsupported);
}

#[test]
fn an_ed25519_key_has_no_parameters() {
    let root = Ca::p256("Root");
    let holder = Holder::with(&rcgen::PKCS_ED25519);
    let leaf = root.sign("leaf", &holder.key);
    let respelled = |parameters: &[u8]| {
        let key = support::respelled_spki(&spki(&holder), parameters, None);
        let cert =
            resign_tbs(&leaf, &root.key_pkcs8(), Scheme::Ecdsa(Hash::Sha256), None, |parts| parts[6] = key.clone());
        (cert, key)
    };
    let (plain, key) = respelled(b"");
    assert!(validate(&[plain, root.der.clone()], &key).is_ok());
    let (with_null, key) = respelled(NULL);
    assert_eq!(validate(&[with_null, root.der.clone()], &key), Err(ChainError::UnsupportedAlgorithm { index: 0 }));
}

/// An RSA public key of `bits` bits (not a real key: only its size matters).
struct RsaPublicKey(Vec<u8>);

impl RsaPublicKey {
    fn of_bits(bits: usize) -> Self {
        let mut modulus = vec![0xc5u8; bits.div_ceil(8)];
        if !bits.is_multiple_of(8) {
            modulus[0] = 0xff >> (8 - bits % 8);
        }
        if modulus[0] & 0x80 != 0 {
            modulus.insert(0, 0);
        }
        let n = support::tlv(0x02, &modulus);
        let e = support::tlv(0x02, &[1, 0, 1]);
        Self(support::tlv(0x30, &[n, e].concat()))
    }
}

impl PublicKeyData for RsaPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

#[test]
fn rsa_keys_under_2048_bits_are_refused() {
    let root = Ca::p256("Root");
    let small = RsaPublicKey::of_bits(1024);
    let leaf = root.sign("leaf", &small);
    assert_eq!(
        validate(&[leaf, root.der.clone()], &small.subject_public_key_info()),
        Err(ChainError::WeakKey { index: 0, bits: 1024 })
    );
}

#[test]
fn an_rsa_key_is_as_large_as_its_modulus_bits() {
    let root = Ca::p256("Root");
    for (bits, expected) in [
        (1023, Err(ChainError::WeakKey { index: 0, bits: 1023 })),
        (2047, Err(ChainError::WeakKey { index: 0, bits: 2047 })),
        // Not whole bytes: a broken key generator.
        (2049, Err(ChainError::UnsupportedAlgorithm { index: 0 })),
    ] {
        let key = RsaPublicKey::of_bits(bits);
        let leaf = root.sign("leaf", &key);
        assert_eq!(validate(&[leaf, root.der.clone()], &key.subject_public_key_info()), expected, "{bits} bits");
    }
}

#[test]
fn every_certificate_must_be_valid_at_the_validation_time() {
    let root = Ca::p256("Root");
    let holder = Holder::p256();
    let key = spki(&holder);
    let expired = root.sign_with("leaf", &holder.key, |p| p.not_after = rcgen::date_time_ymd(2026, 5, 31));
    assert_eq!(validate(&[expired, root.der.clone()], &key), Err(ChainError::Expired { index: 0 }));
    let early = root.sign_with("leaf", &holder.key, |p| p.not_before = rcgen::date_time_ymd(2026, 6, 2));
    assert_eq!(validate(&[early, root.der.clone()], &key), Err(ChainError::NotYetValid { index: 0 }));
}

fn ca_with(root: &Ca, tweak: impl FnOnce(&mut CertificateParams)) -> (Vec<u8>, rcgen::Issuer<'static, rcgen::KeyPair>) {
    let key = Holder::p256().key;
    let mut params = CertificateParams::new(vec![]).unwrap();
    params.distinguished_name = support::dn("Intermediate");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    tweak(&mut params);
    let der = root.sign_with("Intermediate", &key, |p| *p = params.clone());
    (der, rcgen::Issuer::new(params, key))
}

fn leaf_by(issuer: &rcgen::Issuer<'static, rcgen::KeyPair>) -> (Vec<u8>, Vec<u8>) {
    let holder = Holder::p256();
    let mut params = CertificateParams::new(vec!["leaf.example".into()]).unwrap();
    params.distinguished_name = support::dn("leaf");
    params.use_authority_key_identifier_extension = true;
    (params.signed_by(&holder.key, issuer).unwrap().der().to_vec(), spki(&holder))
}

#[test]
fn every_issuer_must_be_a_ca_with_key_cert_sign() {
    let root = Ca::p256("Root");
    let (not_ca, issuer) = ca_with(&root, |p| p.is_ca = IsCa::ExplicitNoCa);
    let (leaf, key) = leaf_by(&issuer);
    assert_eq!(validate(&[leaf, not_ca, root.der.clone()], &key), Err(ChainError::NotCa { index: 1 }));

    let (no_sign, issuer) = ca_with(&root, |p| p.key_usages = vec![KeyUsagePurpose::DigitalSignature]);
    let (leaf, key) = leaf_by(&issuer);
    assert_eq!(validate(&[leaf, no_sign, root.der.clone()], &key), Err(ChainError::KeyCertSignMissing { index: 1 }));
}

#[test]
fn path_length_constraints_are_honoured() {
    let key = Holder::p256().key;
    let mut params = CertificateParams::new(vec![]).unwrap();
    params.distinguished_name = support::dn("Root");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let root_der = params.self_signed(&key).unwrap().der().to_vec();
    let root = rcgen::Issuer::new(params, key);
    let int_key = Holder::p256().key;
    let mut int_params = CertificateParams::new(vec![]).unwrap();
    int_params.distinguished_name = support::dn("Intermediate");
    int_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    int_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    int_params.use_authority_key_identifier_extension = true;
    let int_der = int_params.signed_by(&int_key, &root).unwrap().der().to_vec();
    let intermediate = rcgen::Issuer::new(int_params, int_key);
    let (leaf, leaf_key) = leaf_by(&intermediate);
    assert_eq!(
        validate(&[leaf, int_der, root_der.clone()], &leaf_key),
        Err(ChainError::PathLenExceeded { index: 2, allowed: 0, found: 1 })
    );
    // Directly under the root, pathLenConstraint 0 allows the leaf.
    let (leaf, leaf_key) = leaf_by(&root);
    assert!(validate(&[leaf, root_der], &leaf_key).is_ok());
}

#[test]
fn an_unknown_critical_extension_is_refused() {
    let root = Ca::p256("Root");
    let holder = Holder::p256();
    let leaf = root.sign_with("leaf", &holder.key, |p| {
        let mut ext = rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 99999, 1], vec![0x05, 0x00]);
        ext.set_criticality(true);
        p.custom_extensions.push(ext);
    });
    assert_eq!(
        validate(&[leaf, root.der.clone()], &spki(&holder)),
        Err(ChainError::UnknownCriticalExtension { index: 0, oid: "1.3.6.1.4.1.99999.1".into() })
    );
}

/// An intermediate under `root` with these name constraints.
fn constrained_ca(
    root: &Ca,
    name: &str,
    permitted: Vec<rcgen::GeneralSubtree>,
    excluded: Vec<rcgen::GeneralSubtree>,
) -> Ca {
    root.intermediate_with(name, |p| {
        p.name_constraints = Some(rcgen::NameConstraints { permitted_subtrees: permitted, excluded_subtrees: excluded })
    })
}

/// A leaf for `holder`'s key under `ca` whose only subjectAltName is `san`.
fn leaf_named(ca: &Ca, holder: &Holder, san: rcgen::SanType) -> Vec<u8> {
    ca.sign_with("leaf", &holder.key, |p| p.subject_alt_names = vec![san])
}

fn dns(name: &str) -> rcgen::SanType {
    rcgen::SanType::DnsName(name.try_into().unwrap())
}

#[test]
fn rfc5280_profile_violations_are_refused() {
    let root = Ca::p256("Root");
    let holder = Holder::p256();
    let no_aki = root.sign_with("leaf", &holder.key, |p| p.use_authority_key_identifier_extension = false);
    assert!(matches!(
        validate(&[no_aki, root.der.clone()], &spki(&holder)),
        Err(ChainError::Nonconforming { index: 0, .. })
    ));
    let constrained =
        constrained_ca(&root, "Constrained", vec![rcgen::GeneralSubtree::DnsName("example.com".into())], vec![]);
    // rcgen gives the leaf the DNS name "leaf.example": outside example.com.
    let leaf = constrained.sign("leaf", &holder.key);
    assert_eq!(
        validate(&[leaf, constrained.der.clone(), root.der.clone()], &spki(&holder)),
        Err(ChainError::NameNotPermitted { index: 0, ca: 1 })
    );
    let inside = leaf_named(&constrained, &holder, dns("www.example.com"));
    assert!(validate(&[inside.clone(), constrained.der.clone(), root.der.clone()], &spki(&holder)).is_ok());
    // The same subtree excluded refuses the name it permitted.
    let excluding =
        constrained_ca(&root, "Excluding", vec![], vec![rcgen::GeneralSubtree::DnsName("example.com".into())]);
    let excluded = leaf_named(&excluding, &holder, dns("www.example.com"));
    assert_eq!(
        validate(&[excluded, excluding.der.clone(), root.der.clone()], &spki(&holder)),
        Err(ChainError::NameNotPermitted { index: 0, ca: 1 })
    );
}

#[test]
fn trust_anchors_end_the_path_or_it_is_refused() {
    let root = Ca::p256("Root");
    let intermediate = root.intermediate("Intermediate", &rcgen::PKCS_ECDSA_P256_SHA256);
    let (leaf, key) = leaf_under(&intermediate);
    let anchors = vec![root.der.clone()];
    let policy = strict().with_leaf_key(&key).with_trust_anchors(&anchors);
    // Ending at a certificate the anchor issued, or at the anchor itself.
    assert_eq!(
        x5c::validate_der(&[leaf.clone(), intermediate.der.clone()], &policy).map(|c| c.path().to_vec()),
        Ok(vec![0, 1])
    );
    assert_eq!(
        x5c::validate_der(&[leaf.clone(), intermediate.der.clone(), root.der.clone()], &policy)
            .map(|c| c.path().to_vec()),
        Ok(vec![0, 1, 2])
    );
    let others = vec![Ca::p256("Other Root").der];
    let policy = strict().with_leaf_key(&key).with_trust_anchors(&others);
    assert_eq!(
        x5c::validate_der(&[leaf.clone(), intermediate.der.clone(), root.der.clone()], &policy),
        Err(ChainError::UntrustedRoot { index: 2 })
    );
    // An anchor with the root's name but another key did not sign it.
    let impostor = vec![Ca::p256("Root").der];
    let policy = strict().with_leaf_key(&key).with_trust_anchors(&impostor);
    assert_eq!(
        x5c::validate_der(&[leaf.clone(), intermediate.der.clone(), root.der.clone()], &policy),
        Err(ChainError::BadSignature { index: 2 })
    );
    let garbage = vec![b"not a certificate".to_vec()];
    let policy = strict().with_leaf_key(&key).with_trust_anchors(&garbage);
    assert_eq!(
        x5c::validate_der(&[leaf, intermediate.der.clone()], &policy),
        Err(ChainError::InvalidTrustAnchor { index: 0 })
    );
}

#[test]
fn strict_refuses_a_weak_algorithm_even_on_a_signature_it_need_not_verify() {
    // Without anchors the top of the chain is its anchor: its own signature
    // (here ECDSA with SHA-1, by a root not given) is not verified, but
    // `Strict` refuses the algorithm wherever it appears. `Verified` takes
    // it, as `openssl verify` with that top as its trust anchor does.
    let root = Ca::p256("Root");
    let intermediate = root.intermediate("Intermediate", &rcgen::PKCS_ECDSA_P256_SHA256);
    let sha1 = resign(&intermediate.der, &root.key_pkcs8(), Scheme::Ecdsa(Hash::Sha1));
    let (leaf, key) = leaf_under(&intermediate);
    let chain = [leaf, sha1];
    assert_eq!(validate(&chain, &key), Err(ChainError::WeakAlgorithm { index: 1 }));
    let verified = ChainPolicy::at(now()).with_level(ChainValidation::Verified).with_leaf_key(&key);
    assert!(x5c::validate_der(&chain, &verified).is_ok());
}

/// `cert` re-signed by `issuer` (a P-256 CA) after `edit` changed its TBS.
fn edited(cert: &[u8], issuer: &Ca, edit: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
    resign_tbs(cert, &issuer.key_pkcs8(), Scheme::Ecdsa(Hash::Sha256), None, edit)
}

#[test]
fn a_serial_number_has_at_most_20_octets_and_a_leading_zero() {
    let root = Ca::p256("Root");
    let (leaf, key) = leaf_under(&root);
    let with_serial = |octets: Vec<u8>| edited(&leaf, &root, |parts| parts[1] = support::tlv(0x02, &octets));
    let too_long = Err(ChainError::Nonconforming {
        index: 0,
        reason: "the serial number is longer than 20 octets (RFC 5280 §4.1.2.2)",
    });
    let twenty_high = [vec![0x00, 0x80], vec![1; 19]].concat();
    assert!(validate(&[with_serial(twenty_high), root.der.clone()], &key).is_ok());
    assert!(validate(&[with_serial(vec![0x01; 20]), root.der.clone()], &key).is_ok());
    assert_eq!(validate(&[with_serial(vec![0x01; 21]), root.der.clone()], &key), too_long);
    let twenty_one_high = [vec![0x00, 0x80], vec![1; 20]].concat();
    assert_eq!(validate(&[with_serial(twenty_one_high), root.der.clone()], &key), too_long);
}

#[test]
fn an_empty_subject_alt_name_is_nonconforming() {
    let root = Ca::p256("Root");
    let holder = Holder::p256();
    let leaf = root.sign_with("leaf", &holder.key, |p| {
        p.subject_alt_names = vec![];
        p.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 17], vec![0x30, 0x00])];
    });
    assert_eq!(
        validate(&[leaf, root.der.clone()], &spki(&holder)),
        Err(ChainError::Nonconforming { index: 0, reason: "subjectAltName is empty (RFC 5280 §4.2.1.6)" })
    );
}

#[test]
fn an_intermediate_may_be_the_trust_anchor() {
    // Its authorityKeyIdentifier names the root's key, not its own: that is
    // checked only of a self-issued root.
    let root = Ca::p256("Root");
    let intermediate = root.intermediate("Intermediate", &rcgen::PKCS_ECDSA_P256_SHA256);
    let (leaf, key) = leaf_under(&intermediate);
    let anchors = vec![intermediate.der.clone()];
    let policy = strict().with_leaf_key(&key).with_trust_anchors(&anchors);
    assert_eq!(x5c::validate_der(&[leaf], &policy).map(|c| c.path().to_vec()), Ok(vec![0]));
}

#[test]
fn the_tbs_fields_follow_the_version() {
    // Refused as malformed at every level, so the service's own level shows it.
    let root = Ca::p256("Root");
    let (leaf, key) = leaf_under(&root);
    let service = ChainPolicy::at(now()).with_leaf_key(&key);
    let check = |label: &str, cert: Vec<u8>, taken: bool| {
        let result = x5c::validate_der(&[cert, root.der.clone()], &service);
        if taken {
            assert!(result.is_ok(), "{label}: {result:?}");
        } else {
            assert!(matches!(result, Err(ChainError::Malformed { index: 0, .. })), "{label}: {result:?}");
        }
    };
    let unique_id = |tag: u8| support::tlv(tag, &[0x00, 0x01]);
    let extensions_at = |parts: &[Vec<u8>]| parts.iter().position(|p| p[0] == 0xa3).unwrap();
    check("as it is", leaf.clone(), true);
    check(
        "version 4",
        edited(&leaf, &root, |parts| {
            parts[0] = support::tlv(0xa0, &support::tlv(0x02, &[3]));
            parts.retain(|p| p[0] != 0xa3);
        }),
        false,
    );
    for tag in [0x81, 0x82] {
        check(
            &format!("v3 with unique id {tag:#x}"),
            edited(&leaf, &root, |parts| {
                let at = extensions_at(parts);
                parts.insert(at, unique_id(tag));
            }),
            true,
        );
        check(
            &format!("v1 with unique id {tag:#x}"),
            edited(&leaf, &root, |parts| {
                parts.remove(0);
                parts.retain(|p| p[0] != 0xa3);
                parts.push(unique_id(tag));
            }),
            false,
        );
    }
    check(
        "extensions as [4]",
        edited(&leaf, &root, |parts| {
            let at = extensions_at(parts);
            parts[at][0] = 0xa4;
        }),
        false,
    );
    check(
        "extensions twice",
        edited(&leaf, &root, |parts| {
            let at = extensions_at(parts);
            let again = parts[at].clone();
            parts.push(again);
        }),
        false,
    );
}

#[test]
fn a_name_is_a_sequence_of_non_empty_sets_of_attributes() {
    let root = Ca::p256("Root");
    let (leaf, key) = leaf_under(&root);
    let service = ChainPolicy::at(now()).with_leaf_key(&key);
    // commonName "leaf".
    let attribute =
        support::tlv(0x30, &[support::tlv(0x06, &[0x55, 0x04, 0x03]), support::tlv(0x0c, b"leaf")].concat());
    let with_subject = |rdn: Vec<u8>| edited(&leaf, &root, |parts| parts[5] = support::tlv(0x30, &rdn));
    let rdn = |content: Vec<u8>| support::tlv(0x31, &content);
    let taken = x5c::validate_der(&[with_subject(rdn(attribute.clone())), root.der.clone()], &service);
    assert!(taken.is_ok(), "{taken:?}");
    for (label, subject) in [
        ("an empty set", rdn(vec![])),
        ("an integer in the set", rdn(support::tlv(0x02, &[1]))),
        ("an integer after the attribute", rdn([attribute.clone(), support::tlv(0x02, &[1])].concat())),
        ("a sequence instead of a set", support::tlv(0x30, &attribute)),
    ] {
        let result = x5c::validate_der(&[with_subject(subject), root.der.clone()], &service);
        assert!(matches!(result, Err(ChainError::Malformed { index: 0, .. })), "{label}: {result:?}");
    }
}

#[test]
fn without_anchors_a_self_signed_top_must_verify_itself() {
    let root = Ca::p256("Root");
    let (leaf, key) = leaf_under(&root);
    // Break the root's own signature: its issuer link to itself is checked.
    let broken_root = resign(&root.der, &Ca::p256("Root").key_pkcs8(), Scheme::Ecdsa(Hash::Sha256));
    assert_eq!(validate(&[leaf, broken_root], &key), Err(ChainError::BadSignature { index: 1 }));
}

#[test]
fn path_building_is_bounded_by_a_budget_of_signature_checks() {
    let root = Ca::p256("Root");
    let intermediate = root.intermediate("Intermediate", &rcgen::PKCS_ECDSA_P256_SHA256);
    let (leaf, key) = leaf_under(&intermediate);
    let chain = [leaf, intermediate.der.clone(), root.der.clone()];
    let mut policy = strict().with_leaf_key(&key);
    policy.limits = Limits { max_signature_checks: 2, ..Limits::default() };
    assert_eq!(x5c::validate_der(&chain, &policy), Err(ChainError::BudgetExceeded { checks: 2 }));
    policy.limits.max_signature_checks = 3;
    assert!(x5c::validate_der(&chain, &policy).is_ok());
}

#[test]
fn a_crafted_mesh_of_same_named_cas_stays_within_budget() {
    // Nine CAs with one name and one key (different serials): every one
    // verifies every other, so an unbounded search would try 9! orders. With
    // an anchor that issued none of them, every path dead-ends.
    let key_holder = Holder::p256();
    let mut params = CertificateParams::new(vec![]).unwrap();
    params.distinguished_name = support::dn("Mesh");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    params.use_authority_key_identifier_extension = true;
    let issuer = rcgen::Issuer::new(params.clone(), key_holder.key);
    let mesh: Vec<Vec<u8>> = (0..9u8)
        .map(|i| {
            let mut p = params.clone();
            p.serial_number = Some(rcgen::SerialNumber::from_slice(&[1, i + 1]));
            // The issuer's own key: each mesh CA verifies the others.
            p.signed_by(issuer.key(), &issuer).unwrap().der().to_vec()
        })
        .collect();
    let (leaf, key) = leaf_by(&issuer);
    let mut chain = vec![leaf];
    chain.extend(mesh);
    let anchors = vec![Ca::p256("Unrelated").der];
    let mut policy = strict().with_leaf_key(&key).with_trust_anchors(&anchors);
    policy.require_all_on_path = false;
    let started = std::time::Instant::now();
    let result = x5c::validate_der(&chain, &policy);
    assert_eq!(result, Err(ChainError::BudgetExceeded { checks: 100 }));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn when_every_issuer_fails_the_most_specific_failure_is_reported() {
    let root = Ca::p256("Root");
    // A CA with the intermediate's name and another key signed nothing here.
    let impostor = Ca::p256("Intermediate").der;

    // The real intermediate leads to a root no anchor vouches for; the
    // impostor does not verify the leaf. A signature that fails says more.
    let intermediate = root.intermediate("Intermediate", &rcgen::PKCS_ECDSA_P256_SHA256);
    let (leaf, key) = leaf_under(&intermediate);
    let unrelated = vec![Ca::p256("Unrelated").der];
    let policy = strict().with_leaf_key(&key).with_trust_anchors(&unrelated);
    let chain = [leaf.clone(), intermediate.der.clone(), impostor.clone()];
    assert_eq!(x5c::validate_der(&chain, &policy), Err(ChainError::BadSignature { index: 0 }));
    let alone = [leaf, intermediate.der.clone()];
    assert_eq!(x5c::validate_der(&alone, &policy), Err(ChainError::UntrustedRoot { index: 1 }));

    // The impostor first, then the leaf's real issuer, which has expired:
    // what is wrong with the real issuer says more than the impostor's
    // signature.
    let (expired, issuer) = ca_with(&root, |p| p.not_after = rcgen::date_time_ymd(2026, 5, 31));
    let (leaf, key) = leaf_by(&issuer);
    let anchors = vec![root.der.clone()];
    let policy = strict().with_leaf_key(&key).with_trust_anchors(&anchors);
    let chain = [leaf.clone(), impostor.clone(), expired.clone()];
    assert_eq!(x5c::validate_der(&chain, &policy), Err(ChainError::Expired { index: 2 }));
    let chain = [leaf, expired, impostor];
    assert_eq!(x5c::validate_der(&chain, &policy), Err(ChainError::Expired { index: 1 }));
}

#[test]
fn an_error_names_the_certificate_at_fault_where_there_is_one() {
    let root = Ca::p256("Root");
    let (leaf, key) = leaf_under(&root);
    let unrelated = vec![Ca::p256("Unrelated").der];
    let cases = [
        (validate(&[leaf.clone(), b"junk".to_vec()], &key), Some(1)),
        (validate(&[leaf.clone(), root.der.clone(), leaf.clone()], &key), Some(2)),
        (
            x5c::validate_der(
                &[leaf.clone(), root.der.clone()],
                &strict().with_leaf_key(&key).with_trust_anchors(&unrelated),
            ),
            Some(1),
        ),
        (validate(std::slice::from_ref(&leaf), &spki(&Holder::p256())), None),
        (validate(&Vec::<Vec<u8>>::new(), &key), None),
        (validate(&vec![leaf.clone(); 11], &key), None),
    ];
    for (result, index) in cases {
        let error = result.unwrap_err();
        assert_eq!(error.index(), index, "{error:?}");
    }
    assert_eq!(ChainError::Expired { index: 3 }.index(), Some(3));
    assert_eq!(ChainError::BudgetExceeded { checks: 100 }.index(), None);
}

#[test]
fn prepared_anchors_validate_like_der_anchors() {
    let root = Ca::p256("Root");
    let intermediate = root.intermediate("Intermediate", &rcgen::PKCS_ECDSA_P256_SHA256);
    let (leaf, key) = leaf_under(&intermediate);
    let anchors = vec![root.der.clone()];
    let prepared = x5c::TrustAnchors::parse(&anchors).unwrap();
    assert_eq!((prepared.len(), prepared.is_empty()), (1, false));
    // Its debug form counts the anchors instead of printing them.
    let two = vec![root.der.clone(), Ca::p256("Second").der];
    let two = x5c::TrustAnchors::parse(&two).unwrap();
    assert_eq!((two.len(), two.is_empty(), format!("{two:?}")), (2, false, "TrustAnchors { count: 2 }".to_owned()));
    let none: [Vec<u8>; 0] = [];
    let none = x5c::TrustAnchors::parse(&none).unwrap();
    assert_eq!((none.len(), none.is_empty()), (0, true));
    let chain = [leaf, intermediate.der.clone()];
    let with_der = x5c::validate_der(&chain, &strict().with_leaf_key(&key).with_trust_anchors(&anchors));
    let with_prepared = x5c::validate_der(&chain, &strict().with_leaf_key(&key).with_prepared_anchors(&prepared));
    assert_eq!(with_der, with_prepared);
    assert!(with_prepared.is_ok());
    let other = vec![Ca::p256("Other").der];
    let other = x5c::TrustAnchors::parse(&other).unwrap();
    assert_eq!(
        x5c::validate_der(&chain, &strict().with_leaf_key(&key).with_prepared_anchors(&other)),
        Err(ChainError::UntrustedRoot { index: 1 })
    );
    assert_eq!(
        x5c::TrustAnchors::parse(&[b"junk".to_vec()]).map(|a| a.len()),
        Err(ChainError::InvalidTrustAnchor { index: 0 })
    );
}

#[test]
fn an_anchor_that_cannot_be_used_is_refused() {
    // Expired at the validation time.
    let key = Holder::p256().key;
    let mut params = CertificateParams::new(vec![]).unwrap();
    params.distinguished_name = support::dn("Old Root");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    params.not_after = rcgen::date_time_ymd(2020, 1, 1);
    let old_root = params.self_signed(&key).unwrap().der().to_vec();
    let issuer = rcgen::Issuer::new(params, key);
    let (leaf, leaf_key) = leaf_by(&issuer);
    let anchors = vec![old_root];
    let policy = strict().with_leaf_key(&leaf_key).with_trust_anchors(&anchors);
    assert_eq!(
        x5c::validate_der(&[leaf], &policy),
        Err(ChainError::TrustAnchorRefused { anchor: 0, reason: "it is not valid at the validation time" })
    );
}

#[test]
fn name_constraints_bound_the_comparisons_they_cost() {
    // A leaf's subject and one DNS name, under a CA with N subtrees: 2 × N
    // comparisons, at most 1024. The last permitted subtree covers the
    // leaf; the excluded ones do not.
    let root = Ca::p256("Root");
    let holder = Holder::p256();
    let under = |permitted: usize, excluded: usize| {
        let other = |i: usize| rcgen::GeneralSubtree::DnsName(format!("host{i}.example"));
        let mut allowed: Vec<_> = (1..permitted).map(other).collect();
        if permitted > 0 {
            allowed.push(rcgen::GeneralSubtree::DnsName("example.com".into()));
        }
        let ca = constrained_ca(&root, "Constrained", allowed, (0..excluded).map(other).collect());
        let leaf = leaf_named(&ca, &holder, dns("www.example.com"));
        validate(&[leaf, ca.der.clone(), root.der.clone()], &spki(&holder)).map(|_| ())
    };
    let unsupported = Err(ChainError::NameConstraintsUnsupported { index: 1 });
    for (permitted, excluded, expected) in [
        (512, 0, Ok(())),
        (0, 512, Ok(())),
        (256, 256, Ok(())),
        (513, 0, unsupported.clone()),
        (0, 513, unsupported.clone()),
        (257, 256, unsupported.clone()),
    ] {
        assert_eq!(under(permitted, excluded), expected, "{permitted} permitted, {excluded} excluded");
    }
}

#[test]
fn a_self_issued_leaf_is_still_constrained() {
    // Self-issued intermediates are exempt (RFC 5280 §6.1.3 (b)); the leaf
    // never is, even with its issuer's name.
    let root = Ca::p256("Root");
    let holder = Holder::p256();
    let ca = constrained_ca(&root, "Constrained", vec![rcgen::GeneralSubtree::DnsName("example.com".into())], vec![]);
    let leaf = ca.sign_with("Constrained", &holder.key, |p| p.subject_alt_names = vec![dns("www.example.org")]);
    assert_eq!(
        validate(&[leaf, ca.der.clone(), root.der.clone()], &spki(&holder)),
        Err(ChainError::NameNotPermitted { index: 0, ca: 1 })
    );
    let leaf = ca.sign_with("Constrained", &holder.key, |p| p.subject_alt_names = vec![dns("www.example.com")]);
    assert!(validate(&[leaf, ca.der.clone(), root.der.clone()], &spki(&holder)).is_ok());
}

#[test]
fn directory_names_compare_as_text_whatever_their_string_type() {
    // RFC 5280 §7.1: a permitted subtree spelled as UTF8String covers a
    // subject spelled as BMPString or TeletexString, case and runs of spaces
    // aside.
    let root = Ca::p256("Root");
    let holder = Holder::p256();
    let constrained = constrained_ca(
        &root,
        "Directory Constrained",
        vec![rcgen::GeneralSubtree::DirectoryName(support::dn("Example Subtree"))],
        vec![],
    );
    let subject = |value: rcgen::DnValue| {
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, value);
        constrained.sign_with("leaf", &holder.key, |p| {
            p.distinguished_name = dn;
            p.subject_alt_names = vec![];
        })
    };
    let bmp = rcgen::DnValue::BmpString("example subtree".try_into().unwrap());
    let teletex = rcgen::DnValue::TeletexString("EXAMPLE   Subtree ".try_into().unwrap());
    let elsewhere = rcgen::DnValue::BmpString("Elsewhere".try_into().unwrap());
    for (label, value, permitted) in
        [("BMPString", bmp, true), ("TeletexString", teletex, true), ("another name", elsewhere, false)]
    {
        let chain = [subject(value), constrained.der.clone(), root.der.clone()];
        let expected = if permitted { Ok(()) } else { Err(ChainError::NameNotPermitted { index: 0, ca: 1 }) };
        assert_eq!(validate(&chain, &spki(&holder)).map(|_| ()), expected, "{label}");
    }
}

#[test]
fn directory_and_email_constraints_apply_and_unreadable_ones_refuse() {
    let root = Ca::p256("Root");
    let holder = Holder::p256();
    let constrained = constrained_ca(
        &root,
        "Directory Constrained",
        vec![rcgen::GeneralSubtree::DirectoryName(support::dn("Somewhere Else"))],
        vec![],
    );
    // A URI name below a CA that constrains only directory names is not
    // compared, and the subject is outside the permitted directory subtree.
    let leaf = leaf_named(&constrained, &holder, rcgen::SanType::URI("https://example.com/".try_into().unwrap()));
    assert_eq!(
        validate(&[leaf, constrained.der.clone(), root.der.clone()], &spki(&holder)),
        Err(ChainError::NameNotPermitted { index: 0, ca: 1 })
    );
    // An excluded e-mail domain refuses a mailbox in it.
    let mail_excluding =
        constrained_ca(&root, "Mail Excluding", vec![], vec![rcgen::GeneralSubtree::Rfc822Name("example.org".into())]);
    let leaf = leaf_named(&mail_excluding, &holder, rcgen::SanType::Rfc822Name("a@example.org".try_into().unwrap()));
    assert_eq!(
        validate(&[leaf, mail_excluding.der.clone(), root.der.clone()], &spki(&holder)),
        Err(ChainError::NameNotPermitted { index: 0, ca: 1 })
    );
    // A DNS constraint with a leading period is not a host name (RFC 5280
    // allows that for URIs only): it cannot be applied, so the chain is refused.
    let dotted = constrained_ca(&root, "Dotted", vec![rcgen::GeneralSubtree::DnsName(".example.com".into())], vec![]);
    let leaf = leaf_named(&dotted, &holder, dns("www.example.com"));
    assert_eq!(
        validate(&[leaf, dotted.der.clone(), root.der.clone()], &spki(&holder)),
        Err(ChainError::NameConstraintsUnsupported { index: 1 })
    );
}
