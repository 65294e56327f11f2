//! Every check of the `x5c` validator, with chains built here (rcgen on
//! aws-lc-rs, re-signed with aws-lc-rs where rcgen has no such scheme).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use pending_certificate::x5c::{self, ChainError, ChainPolicy, ChainValidation, Limits, ValidatedChain};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyUsagePurpose, PublicKeyData};
use support::{Ca, Hash, Holder, Scheme, b64, now, resign, resign_with};

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
    let hex =
        |s: &str| (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect::<Vec<u8>>();
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

/// An RSA public key of `bits` bits (not a real key: only its size matters).
struct RsaPublicKey(Vec<u8>);

impl RsaPublicKey {
    fn of_bits(bits: usize) -> Self {
        let mut modulus = vec![0xc5u8; bits / 8];
        modulus.insert(0, 0);
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
fn prepared_anchors_validate_like_der_anchors() {
    let root = Ca::p256("Root");
    let intermediate = root.intermediate("Intermediate", &rcgen::PKCS_ECDSA_P256_SHA256);
    let (leaf, key) = leaf_under(&intermediate);
    let anchors = vec![root.der.clone()];
    let prepared = x5c::TrustAnchors::parse(&anchors).unwrap();
    assert_eq!(prepared.len(), 1);
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
