//! The three validation levels: `Service` refuses only what the live service
//! refuses, `Verified` what `openssl verify` refuses by default, `Strict` the
//! RFC 5280 profile besides; and the element forms the service takes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use pending_certificate::x5c::{self, ChainError, ChainPolicy, ChainValidation, ValidatedChain};
use rcgen::{BasicConstraints, CustomExtension, IsCa, KeyUsagePurpose, PublicKeyData};
use support::{Ca, Hash, Holder, Scheme, as_v1, b64, now, resign, resign_tbs};

use ChainValidation::{Service, Strict, Verified};

fn at(level: ChainValidation, x5c: &[Vec<u8>], key: &[u8]) -> Result<ValidatedChain, ChainError> {
    x5c::validate_der(x5c, &ChainPolicy::at(now()).with_level(level).with_leaf_key(key))
}

fn anchored(
    level: ChainValidation,
    x5c: &[Vec<u8>],
    key: &[u8],
    anchors: &[Vec<u8>],
) -> Result<ValidatedChain, ChainError> {
    x5c::validate_der(x5c, &ChainPolicy::at(now()).with_level(level).with_leaf_key(key).with_trust_anchors(anchors))
}

fn spki(holder: &Holder) -> Vec<u8> {
    holder.key.subject_public_key_info()
}

/// A self-signed root whose own signature is ECDSA with SHA-1, as many public
/// roots' are (RSA with SHA-1 there): the CA, and that certificate of it.
fn sha1_root() -> (Ca, Vec<u8>) {
    let root = Ca::p256("Old Root");
    let der = resign(&root.der, &root.key_pkcs8(), Scheme::Ecdsa(Hash::Sha1));
    (root, der)
}

#[test]
fn the_default_level_is_the_services() {
    assert_eq!(ChainPolicy::at(now()).level, Service);
    assert_eq!(pending_certificate::ChainOptions::default().level, Service);
    assert_eq!("VERIFIED".parse::<ChainValidation>(), Ok(Verified));
    assert!("lenient".parse::<ChainValidation>().is_err());
}

#[test]
fn a_level_prints_as_the_name_it_is_parsed_from() {
    for (level, name) in [(Service, "service"), (Verified, "verified"), (Strict, "strict")] {
        assert_eq!(level.to_string(), name);
        assert_eq!(name.parse::<ChainValidation>(), Ok(level));
    }
    assert_eq!(
        "lenient".parse::<ChainValidation>().map_err(|e| e.to_string()),
        Err(r#""lenient" is not a chain validation level; use service, verified or strict"#.to_owned())
    );
}

#[test]
fn service_accepts_what_the_service_accepts() {
    let root = Ca::p256("Root");
    let holder = Holder::p256();
    let key = spki(&holder);
    let plain = root.sign("leaf", &holder.key);
    let no_aki = root.sign_with("leaf", &holder.key, |p| p.use_authority_key_identifier_extension = false);
    let v1 = as_v1(&plain, &root.key_pkcs8(), Scheme::Ecdsa(Hash::Sha256));
    let not_yet = root.sign_with("leaf", &holder.key, |p| p.not_before = rcgen::date_time_ymd(2030, 1, 1));
    let mut tampered = plain.clone();
    let last = tampered.len() - 3;
    tampered[last] ^= 1;
    let not_a_ca = root.intermediate_with("Not a CA", |p| {
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![];
    });
    let under_not_a_ca = not_a_ca.sign("leaf", &holder.key);
    let (old, old_der) = sha1_root();
    let under_old = old.sign("leaf", &holder.key);
    let chains: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("leaf only, issuer absent", vec![plain.clone()]),
        ("no key identifiers", vec![no_aki, root.der.clone()]),
        ("version 1 leaf", vec![v1, root.der.clone()]),
        ("not yet valid", vec![not_yet, root.der.clone()]),
        ("a signature that does not verify", vec![tampered, root.der.clone()]),
        ("an issuer with cA false", vec![under_not_a_ca, not_a_ca.der.clone(), root.der.clone()]),
        ("a SHA-1 root", vec![under_old.clone(), old_der.clone()]),
        ("a certificate twice", vec![plain.clone(), root.der.clone(), root.der.clone()]),
        ("a stranger besides", vec![plain.clone(), Ca::p256("Stranger").der]),
    ];
    for (label, chain) in chains {
        let validated = at(Service, &chain, &key).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(validated.leaf(), chain[0].as_slice(), "{label}");
        assert_eq!(validated.path().len(), chain.len(), "{label}: every certificate is kept");
    }
    // Any order in; the leaf first out, then by issuer names.
    let intermediate = root.intermediate("Issuing", &rcgen::PKCS_ECDSA_P256_SHA256);
    let leaf = intermediate.sign("leaf", &holder.key);
    let given = vec![root.der.clone(), leaf.clone(), intermediate.der.clone()];
    let validated = at(Service, &given, &key).unwrap();
    assert_eq!(validated.path(), [1, 2, 0]);
}

#[test]
fn every_level_refuses_a_chain_without_the_requests_key_or_with_garbage() {
    let root = Ca::p256("Root");
    let leaf = root.sign("leaf", &Holder::p256().key);
    let stranger = spki(&Holder::p256());
    for level in ChainValidation::ALL {
        assert_eq!(at(level, &[leaf.clone(), root.der.clone()], &stranger).err(), Some(ChainError::LeafKeyMismatch));
        assert!(matches!(
            at(level, &[leaf.clone(), b"garbage".to_vec()], &stranger),
            Err(ChainError::Malformed { index: 1, .. })
        ));
        let empty: [Vec<u8>; 0] = [];
        assert_eq!(at(level, &empty, &stranger).err(), Some(ChainError::Empty));
    }
    assert_eq!(
        pending_certificate::OperationError::InvalidChain(ChainError::LeafKeyMismatch).message(),
        "Unable to parse X5c certificate chain and locate leaf certificate"
    );
}

#[test]
fn verified_accepts_what_openssl_verify_accepts() {
    let root = Ca::p256("Root");
    let holder = Holder::p256();
    let key = spki(&holder);
    let no_aki = root.sign_with("leaf", &holder.key, |p| p.use_authority_key_identifier_extension = false);
    let v1_leaf = as_v1(&root.sign("leaf", &holder.key), &root.key_pkcs8(), Scheme::Ecdsa(Hash::Sha256));
    // easy-rsa's CA: basicConstraints not critical.
    let easy = Ca::p256("Easy CA");
    let easy_der = resign_tbs(&easy.der, &easy.key_pkcs8(), Scheme::Ecdsa(Hash::Sha256), None, |parts| {
        support::make_noncritical(parts, &[0x55, 0x1d, 0x13]);
    });
    let under_easy = easy.sign("leaf", &holder.key);
    // A v1 self-signed root.
    let v1_root_ca = Ca::p256("V1 Root");
    let v1_root = as_v1(&v1_root_ca.der, &v1_root_ca.key_pkcs8(), Scheme::Ecdsa(Hash::Sha256));
    let under_v1_root = v1_root_ca.sign("leaf", &holder.key);
    let (old, old_der) = sha1_root();
    let under_old = old.sign("leaf", &holder.key);
    // An intermediate with a critical certificatePolicies (anyPolicy).
    let policies = root.intermediate_with("Policy CA", |p| {
        let mut ext =
            CustomExtension::from_oid_content(&[2, 5, 29, 32], vec![0x30, 0x06, 0x30, 0x04, 0x06, 0x02, 0x55, 0x1d]);
        ext.set_criticality(true);
        p.custom_extensions.push(ext);
    });
    let under_policies = policies.sign("leaf", &holder.key);

    let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("no key identifiers", vec![no_aki, root.der.clone()]),
        ("version 1 leaf", vec![v1_leaf, root.der.clone()]),
        ("non-critical basicConstraints on the CA", vec![under_easy, easy_der]),
        ("a version 1 root", vec![under_v1_root.clone(), v1_root.clone()]),
        ("a SHA-1 self-signed root", vec![under_old.clone(), old_der.clone()]),
        ("critical certificatePolicies", vec![under_policies, policies.der.clone(), root.der.clone()]),
    ];
    for (label, chain) in &cases {
        // Without anchors the top of the chain given is trusted …
        at(Verified, chain, &key).unwrap_or_else(|e| panic!("{label}: {e}"));
        // … and with it as the anchor too.
        let top = chain.last().unwrap().clone();
        anchored(Verified, chain, &key, std::slice::from_ref(&top)).unwrap_or_else(|e| panic!("{label} anchored: {e}"));
    }
    // A leaf whose issuer is an anchor, not in the chain.
    anchored(Verified, std::slice::from_ref(&under_old), &key, std::slice::from_ref(&old_der)).unwrap();
    anchored(Verified, &[under_v1_root], &key, &[v1_root]).unwrap();
    // Strict refuses each of them for its profile rule (a critical
    // certificatePolicies for an extension it does not understand; the SHA-1
    // root for its own signature).
    for (label, chain) in &cases {
        let error = at(Strict, chain, &key).expect_err(label);
        let expected = match *label {
            "a SHA-1 self-signed root" => matches!(error, ChainError::WeakAlgorithm { index: 1 }),
            "critical certificatePolicies" => matches!(error, ChainError::UnknownCriticalExtension { index: 1, .. }),
            _ => matches!(error, ChainError::Nonconforming { .. } | ChainError::NotCa { .. }),
        };
        assert!(expected, "strict refused {label} for {error}");
    }
}

#[test]
fn verified_refuses_what_openssl_verify_refuses() {
    let root = Ca::p256("Root");
    let holder = Holder::p256();
    let key = spki(&holder);
    let not_yet = root.sign_with("leaf", &holder.key, |p| p.not_before = rcgen::date_time_ymd(2030, 1, 1));
    assert_eq!(at(Verified, &[not_yet, root.der.clone()], &key).err(), Some(ChainError::NotYetValid { index: 0 }));

    let mut tampered = root.sign("leaf", &holder.key);
    let last = tampered.len() - 3;
    tampered[last] ^= 1;
    assert_eq!(at(Verified, &[tampered, root.der.clone()], &key).err(), Some(ChainError::BadSignature { index: 0 }));

    let not_a_ca = root.intermediate_with("Not a CA", |p| {
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![];
    });
    let chain = [not_a_ca.sign("leaf", &holder.key), not_a_ca.der.clone(), root.der.clone()];
    assert!(matches!(at(Verified, &chain, &key), Err(ChainError::NotCa { index: 1 })));

    let no_cert_sign =
        root.intermediate_with("No keyCertSign", |p| p.key_usages = vec![KeyUsagePurpose::DigitalSignature]);
    let chain = [no_cert_sign.sign("leaf", &holder.key), no_cert_sign.der.clone(), root.der.clone()];
    assert!(matches!(at(Verified, &chain, &key), Err(ChainError::KeyCertSignMissing { index: 1 })));

    let path_len = root.intermediate_with("Path length 0", |p| p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0)));
    let below = path_len.intermediate("Below", &rcgen::PKCS_ECDSA_P256_SHA256);
    let chain = [below.sign("leaf", &holder.key), below.der.clone(), path_len.der.clone(), root.der.clone()];
    assert!(matches!(at(Verified, &chain, &key), Err(ChainError::PathLenExceeded { index: 2, .. })));

    let unknown = root.intermediate_with("Unknown critical", |p| {
        let mut ext = CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 99999, 1], vec![0x05, 0x00]);
        ext.set_criticality(true);
        p.custom_extensions.push(ext);
    });
    let chain = [unknown.sign("leaf", &holder.key), unknown.der.clone(), root.der.clone()];
    assert!(matches!(at(Verified, &chain, &key), Err(ChainError::UnknownCriticalExtension { index: 1, .. })));

    // With anchors, a chain to another root is untrusted.
    let chain = [root.sign("leaf", &holder.key), root.der.clone()];
    let other = Ca::p256("Other").der;
    assert!(anchored(Verified, &chain, &key, &[other]).is_err());
    // A SHA-1 signature below the anchor is refused as weak: only an anchor's
    // own signature is exempt.
    let leaf = root.sign("leaf", &holder.key);
    let sha1_leaf = resign_tbs(&leaf, &root.key_pkcs8(), Scheme::Ecdsa(Hash::Sha1), None, |_| {});
    assert_eq!(at(Verified, &[sha1_leaf, root.der.clone()], &key).err(), Some(ChainError::WeakAlgorithm { index: 0 }));
}

#[test]
fn elements_are_taken_as_the_service_takes_them() {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let root = Ca::p256("Root");
    let holder = Holder::p256();
    let leaf = root.sign("leaf", &holder.key);
    let text = b64(&leaf);
    let lines: Vec<&str> = text.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    let pem = format!("-----BEGIN CERTIFICATE-----\r\n{}\r\n-----END CERTIFICATE-----\r\n", lines.join("\r\n"));
    let forms = [
        ("base64 of DER", b64(&leaf)),
        ("base64 of the base64 text (Python)", engine.encode(text.as_bytes())),
        ("base64 of PEM text", engine.encode(pem.as_bytes())),
        (
            "base64 of base64 lines and the END marker (JavaScript)",
            engine.encode(format!("{text}-----END CERTIFICATE-----")),
        ),
        ("base64 of the base64 lines", engine.encode(lines.join("\n"))),
        (
            "base64 of DER with line breaks",
            b64(&leaf).as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\r\n"),
        ),
    ];
    for (label, element) in forms {
        let decoded = x5c::decode(&[element], &x5c::Limits::default()).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(decoded, vec![leaf.clone()], "{label}");
    }
    // Text that is no certificate is refused with its index, as before.
    let junk = engine.encode("hello, world");
    let decoded = x5c::decode(&[b64(&leaf), junk], &x5c::Limits::default()).unwrap();
    assert!(matches!(at(Service, &decoded, &spki(&holder)), Err(ChainError::Malformed { index: 1, .. })));
    // Two certificates in one PEM element are not one certificate.
    let two = engine.encode(format!("{pem}{pem}"));
    let decoded = x5c::decode(&[two], &x5c::Limits::default()).unwrap();
    assert!(matches!(at(Service, &decoded, &spki(&holder)), Err(ChainError::Malformed { index: 0, .. })));
    // Sizes are still bounded before decoding.
    let huge = engine.encode("A".repeat(100_000));
    assert!(matches!(x5c::decode(&[huge], &x5c::Limits::default()), Err(ChainError::CertificateTooLarge { .. })));
}

#[test]
fn an_rsa_key_without_null_parameters_is_the_same_key() {
    // The CSR's key and the certificate's may differ only in how they spell
    // RSA's absent parameters; the service finds the leaf either way.
    let holder = Holder::with(&rcgen::PKCS_RSA_SHA256);
    let root = Ca::p256("Root");
    let leaf = root.sign("leaf", &holder.key);
    let with_null = spki(&holder);
    let algorithm = support::sequence_elements(&support::sequence_elements(&with_null)[0]);
    assert_eq!(algorithm.len(), 2, "rcgen writes NULL parameters");
    let without_null = support::respelled_spki(&with_null, b"", None);
    assert_ne!(with_null, without_null);
    for level in ChainValidation::ALL {
        at(level, &[leaf.clone(), root.der.clone()], &without_null).unwrap_or_else(|e| panic!("{level}: {e}"));
    }
}

#[test]
fn a_key_is_the_same_only_with_the_same_algorithm_parameters_and_bits() {
    let root = Ca::p256("Root");
    let bits = |spki: &[u8]| support::sequence_elements(spki)[1].clone();

    let rsa = Holder::with(&rcgen::PKCS_RSA_SHA256);
    let rsa_leaf = root.sign("leaf", &rsa.key);
    let other_rsa = Holder::with(&rcgen::PKCS_RSA_SHA256);
    let p256 = Holder::p256();
    let p256_leaf = root.sign("leaf", &p256.key);
    let cases = [
        // RSA's parameters as an empty SEQUENCE are not absent parameters.
        (
            "RSA, empty SEQUENCE parameters",
            &rsa_leaf,
            support::respelled_spki(&spki(&rsa), support::EMPTY_SEQUENCE, None),
        ),
        // Another RSA key, spelled without NULL parameters.
        ("another RSA key", &rsa_leaf, support::respelled_spki(&spki(&rsa), b"", Some(&bits(&spki(&other_rsa))))),
        // The P-256 key without its curve.
        ("EC key without its curve", &p256_leaf, support::respelled_spki(&spki(&p256), b"", None)),
    ];
    for (label, leaf, key) in &cases {
        for level in ChainValidation::ALL {
            assert_eq!(
                at(level, &[(*leaf).clone(), root.der.clone()], key),
                Err(ChainError::LeafKeyMismatch),
                "{label}, {level}"
            );
        }
    }
    // Spelled as the certificate spells it, each is found.
    assert!(
        at(Strict, &[rsa_leaf, root.der.clone()], &support::respelled_spki(&spki(&rsa), support::NULL, None)).is_ok()
    );
}

#[test]
fn a_version_1_certificate_is_a_ca_only_as_a_self_issued_root() {
    // openssl verify: without basicConstraints and keyUsage, a v1
    // certificate is a CA when it is self-issued (an old root), not when
    // another CA issued it.
    let root = Ca::p256("Root");
    let intermediate = root.intermediate("Intermediate", &rcgen::PKCS_ECDSA_P256_SHA256);
    let v1_intermediate = as_v1(&intermediate.der, &root.key_pkcs8(), Scheme::Ecdsa(Hash::Sha256));
    let holder = Holder::p256();
    let leaf = intermediate.sign("leaf", &holder.key);
    let chain = [leaf.clone(), v1_intermediate, root.der.clone()];
    assert_eq!(at(Verified, &chain, &spki(&holder)), Err(ChainError::NotCa { index: 1 }));
    assert!(at(Verified, &[leaf, intermediate.der.clone(), root.der.clone()], &spki(&holder)).is_ok());
}

#[test]
fn every_level_accepts_a_chain_strict_accepts() {
    let holder = Holder::p256();
    let key = spki(&holder);
    let roots = [
        Ca::p256("Root"),
        Ca::root("RSA Root", &rcgen::PKCS_RSA_SHA256),
        Ca::root("Ed25519 Root", &rcgen::PKCS_ED25519),
    ];
    for root in &roots {
        let intermediate = root.intermediate("Issuing", &rcgen::PKCS_ECDSA_P384_SHA384);
        let chains = [
            vec![root.sign("leaf", &holder.key), root.der.clone()],
            vec![intermediate.sign("leaf", &holder.key), intermediate.der.clone(), root.der.clone()],
            vec![root.der.clone(), intermediate.der.clone(), intermediate.sign("leaf", &holder.key)],
        ];
        for chain in &chains {
            at(Strict, chain, &key).unwrap_or_else(|e| panic!("strict: {e}"));
            for level in ChainValidation::ALL {
                at(level, chain, &key).unwrap_or_else(|e| panic!("{level}: {e}"));
                anchored(level, chain, &key, std::slice::from_ref(&root.der))
                    .unwrap_or_else(|e| panic!("{level} anchored: {e}"));
            }
        }
    }
}

/// A CA whose nameConstraints are the DER `constraints`, critical.
fn constrained_ca(root: &Ca, constraints: Vec<u8>) -> Ca {
    root.intermediate_with("Constrained", |p| {
        let mut ext = CustomExtension::from_oid_content(&[2, 5, 29, 30], constraints);
        ext.set_criticality(true);
        p.custom_extensions.push(ext);
    })
}

#[test]
fn verified_applies_excluded_subtrees_beside_an_empty_permitted_list() {
    // permittedSubtrees present but empty, excludedSubtrees dNSName
    // evil.example: a profile defect, and still a constraint on the names.
    let mut excluded = support::tlv(0x82, b"evil.example");
    excluded = support::tlv(0x30, &excluded);
    let constraints = support::tlv(0x30, &[vec![0xa0, 0x00], support::tlv(0xa1, &excluded)].concat());
    let root = Ca::p256("Root");
    let ca = constrained_ca(&root, constraints);
    let holder = Holder::p256();
    let evil = [ca.sign("evil", &holder.key), ca.der.clone(), root.der.clone()];
    let fine = [ca.sign("fine", &holder.key), ca.der.clone(), root.der.clone()];
    assert!(matches!(at(Verified, &evil, &spki(&holder)), Err(ChainError::NameNotPermitted { index: 0, ca: 1 })));
    at(Verified, &fine, &spki(&holder)).unwrap();
    assert!(matches!(at(Strict, &fine, &spki(&holder)), Err(ChainError::Nonconforming { index: 1, .. })));
    at(Service, &evil, &spki(&holder)).unwrap();
}

#[test]
fn verified_applies_email_constraints_to_the_subjects_email_address() {
    let root = Ca::p256("Root");
    let ca = root.intermediate_with("Mail CA", |p| {
        p.name_constraints = Some(rcgen::NameConstraints {
            permitted_subtrees: vec![],
            excluded_subtrees: vec![rcgen::GeneralSubtree::Rfc822Name("excluded.test".into())],
        });
    });
    let holder = Holder::p256();
    let with_email = |address: &str| {
        ca.sign_with("mail", &holder.key, |p| {
            p.subject_alt_names = vec![];
            let value = rcgen::DnValue::Ia5String(address.try_into().unwrap());
            p.distinguished_name.push(rcgen::DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]), value);
        })
    };
    let excluded = [with_email("someone@excluded.test"), ca.der.clone(), root.der.clone()];
    let allowed = [with_email("someone@allowed.test"), ca.der.clone(), root.der.clone()];
    for level in [Verified, Strict] {
        assert!(
            matches!(at(level, &excluded, &spki(&holder)), Err(ChainError::NameNotPermitted { index: 0, ca: 1 })),
            "{level}"
        );
        at(level, &allowed, &spki(&holder)).unwrap_or_else(|e| panic!("{level}: {e}"));
    }
}

#[test]
fn directory_names_are_compared_as_normalized_strings() {
    // The constraint says PrintableString "Evil Corp"; the leaf says
    // UTF8String "evil   corp": the same name (RFC 5280 §7.1).
    let root = Ca::p256("Root");
    let mut forbidden = rcgen::DistinguishedName::new();
    forbidden.push(rcgen::DnType::OrganizationName, rcgen::DnValue::PrintableString("Evil Corp".try_into().unwrap()));
    let ca = root.intermediate_with("Directory CA", |p| {
        p.name_constraints = Some(rcgen::NameConstraints {
            permitted_subtrees: vec![],
            excluded_subtrees: vec![rcgen::GeneralSubtree::DirectoryName(forbidden)],
        });
    });
    let holder = Holder::p256();
    let leaf_in = |organization: &str| {
        ca.sign_with("leaf", &holder.key, |p| {
            let mut dn = rcgen::DistinguishedName::new();
            dn.push(rcgen::DnType::OrganizationName, rcgen::DnValue::Utf8String(organization.into()));
            dn.push(rcgen::DnType::CommonName, "leaf");
            p.distinguished_name = dn;
        })
    };
    let evil = [leaf_in("evil   corp"), ca.der.clone(), root.der.clone()];
    let fine = [leaf_in("Good Corp"), ca.der.clone(), root.der.clone()];
    for level in [Verified, Strict] {
        assert!(
            matches!(at(level, &evil, &spki(&holder)), Err(ChainError::NameNotPermitted { index: 0, .. })),
            "{level}"
        );
        at(level, &fine, &spki(&holder)).unwrap_or_else(|e| panic!("{level}: {e}"));
    }
}

#[test]
fn trust_anchors_come_from_a_pem_file_of_ca_certificates_and_need_a_verifying_level() {
    use pending_certificate::ChainOptions;
    let root = Ca::p256("Anchor Root");
    let other = Ca::p256("Other Root");
    let pem = format!(
        "{}{}",
        pending_certificate::pem_block("CERTIFICATE", &root.der),
        pending_certificate::pem_block("CERTIFICATE", &other.der)
    );
    for level in [Verified, Strict] {
        let options = ChainOptions::with_anchors_pem(level, &pem).unwrap();
        assert_eq!(options.level, level);
        assert_eq!(options.trust_anchors, vec![root.der.clone(), other.der.clone()]);
    }
    // Anchors mean nothing where no path is checked.
    let refused = ChainOptions::with_anchors_pem(Service, &pem).unwrap_err();
    assert!(refused.contains("verified or strict"), "{refused}");
    // A text without a certificate, and a certificate that does not parse.
    assert!(ChainOptions::with_anchors_pem(Verified, "no certificate here").is_err());
    let broken = pending_certificate::pem_block("CERTIFICATE", &root.der[..root.der.len() / 2]);
    assert!(ChainOptions::with_anchors_pem(Verified, &broken).is_err());
}

#[test]
fn without_anchors_every_certificate_must_be_on_the_path_at_verified_and_strict() {
    let holder = Holder::p256();
    let key = spki(&holder);
    let root = Ca::p256("Linked Root");
    let intermediate = root.intermediate_with("Linked Intermediate", |_| {});
    let leaf_under_root = root.sign("leaf", &holder.key);
    let leaf_under_intermediate = intermediate.sign("leaf", &holder.key);
    let unrelated = Ca::p256("Unrelated Root");

    // A leaf with a self-signed root that did not issue it, and a leaf with
    // its root but without the intermediate between them: `openssl verify`
    // (its top trusted) refuses both, and so do `Verified` and `Strict`,
    // naming the certificate off the path.
    let unlinked_root = vec![leaf_under_root.clone(), unrelated.der.clone()];
    let missing_intermediate = vec![leaf_under_intermediate.clone(), root.der.clone()];
    for level in [Verified, Strict] {
        assert_eq!(at(level, &unlinked_root, &key).err(), Some(ChainError::NotOnPath { index: 1 }), "{level}");
        assert_eq!(at(level, &missing_intermediate, &key).err(), Some(ChainError::NotOnPath { index: 1 }), "{level}");
    }
    // The live service checks no path: `Service` takes both.
    at(Service, &unlinked_root, &key).unwrap();
    at(Service, &missing_intermediate, &key).unwrap();

    // The linked chains are taken at every level.
    for level in [Service, Verified, Strict] {
        at(level, &[leaf_under_root.clone(), root.der.clone()], &key).unwrap();
        at(level, &[leaf_under_intermediate.clone(), intermediate.der.clone(), root.der.clone()], &key).unwrap();
    }
    // With anchors `Verified` lets an extra certificate be, as `openssl
    // verify -untrusted` does; `Strict` still wants every one on the path.
    let anchors = std::slice::from_ref(&root.der);
    anchored(Verified, &[leaf_under_root.clone(), unrelated.der.clone()], &key, anchors).unwrap();
    assert_eq!(
        anchored(Strict, &[leaf_under_root, unrelated.der.clone()], &key, anchors).err(),
        Some(ChainError::NotOnPath { index: 1 })
    );
}
