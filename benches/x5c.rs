//! x5c validation beside (a) aws-lc-rs verifying exactly the same signatures
//! over the same TBS bytes with nothing else — the physical limit — and (b)
//! rustls-webpki (`verify_for_usage`, aws-lc-rs provider, the root as trust
//! anchor) on the same chains. Same group, same run: each ratio comes from one
//! run. `ours` is the `Strict` level, `verified` the `Verified` level.
//!
//! `merge/{1,2,3}`: what a merge's `x5c` costs at the `Service` level (decode
//! and parse, find the leaf by its key) beside `Verified` (to the top of the
//! chain given), from the base64 strings of the request.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use criterion::{Criterion, criterion_group, criterion_main};
use der::Decode;
use pending_certificate::x5c::{self, ChainPolicy, ChainValidation, Limits};
use rcgen::PublicKeyData;
use rustls_pki_types::{CertificateDer, UnixTime};

struct Chain {
    label: String,
    /// Leaf first, root last.
    certs: Vec<Vec<u8>>,
    leaf_key: Vec<u8>,
    /// Every link of the path.
    links: Vec<Link>,
}

/// (tbs, signature, issuer key bits, algorithm) of one signature.
type Link = (Vec<u8>, Vec<u8>, Vec<u8>, &'static dyn VerificationAlgorithm);

fn algorithm(alg: &'static rcgen::SignatureAlgorithm) -> &'static dyn VerificationAlgorithm {
    if alg == &rcgen::PKCS_ECDSA_P256_SHA256 {
        &signature::ECDSA_P256_SHA256_ASN1
    } else if alg == &rcgen::PKCS_ECDSA_P384_SHA384 {
        &signature::ECDSA_P384_SHA384_ASN1
    } else if alg == &rcgen::PKCS_ED25519 {
        &signature::ED25519
    } else {
        &signature::RSA_PKCS1_2048_8192_SHA256
    }
}

fn link(cert: &[u8], issuer: &[u8], alg: &'static rcgen::SignatureAlgorithm) -> Link {
    let parts = support::sequence_elements(cert);
    let signature = der::asn1::BitString::from_der(&parts[2]).unwrap().raw_bytes().to_vec();
    let issuer = x509_cert::Certificate::from_der(issuer).unwrap();
    let key = issuer.tbs_certificate().subject_public_key_info().subject_public_key.raw_bytes().to_vec();
    (parts[0].clone(), signature, key, algorithm(alg))
}

fn rsa4096() -> &'static rcgen::SignatureAlgorithm {
    &rcgen::PKCS_RSA_SHA384
}

fn root(alg: &'static rcgen::SignatureAlgorithm) -> support::Ca {
    if std::ptr::eq(alg, rsa4096()) { support::Ca::root_rsa(4096) } else { support::Ca::root("Bench Root", alg) }
}

fn chains() -> Vec<Chain> {
    let rsa: &'static rcgen::SignatureAlgorithm = &rcgen::PKCS_RSA_SHA256;
    let kinds: [(&str, &'static rcgen::SignatureAlgorithm, &'static rcgen::SignatureAlgorithm); 5] = [
        ("rsa2048", rsa, rsa),
        ("rsa4096-root", rsa4096(), rsa),
        ("p256", &rcgen::PKCS_ECDSA_P256_SHA256, &rcgen::PKCS_ECDSA_P256_SHA256),
        ("p384", &rcgen::PKCS_ECDSA_P384_SHA384, &rcgen::PKCS_ECDSA_P384_SHA384),
        ("ed25519", &rcgen::PKCS_ED25519, &rcgen::PKCS_ED25519),
    ];
    let mut out = Vec::new();
    for (label, root_alg, int_alg) in kinds {
        let root = root(root_alg);
        let root_sig = if std::ptr::eq(root_alg, rsa4096()) { rsa } else { root_alg };
        let holder = support::Holder::p256();
        let leaf_key = holder.key.subject_public_key_info();
        // Two certificates: leaf and root.
        let leaf = root.sign("leaf", &holder.key);
        out.push(Chain {
            label: format!("{label}-2"),
            links: vec![link(&leaf, &root.der, root_sig)],
            certs: vec![leaf, root.der.clone()],
            leaf_key: leaf_key.clone(),
        });
        // Three: leaf, intermediate, root.
        let intermediate = root.intermediate("Bench Intermediate", int_alg);
        let leaf = intermediate.sign("leaf", &holder.key);
        out.push(Chain {
            label: format!("{label}-3"),
            links: vec![link(&leaf, &intermediate.der, int_alg), link(&intermediate.der, &root.der, root_sig)],
            certs: vec![leaf, intermediate.der.clone(), root.der.clone()],
            leaf_key,
        });
    }
    out
}

fn x5c(c: &mut Criterion) {
    let time = support::now();
    let unix = UnixTime::since_unix_epoch(std::time::Duration::from_secs(time.unix_timestamp() as u64));
    for chain in chains() {
        let (root, rest) = chain.certs.split_last().unwrap();
        let anchors = vec![root.clone()];
        // Parsed once, as rustls-webpki's anchor is below.
        let prepared = x5c::TrustAnchors::parse(&anchors).unwrap();
        let policy = ChainPolicy {
            level: ChainValidation::Strict,
            time,
            expected_leaf_key: Some(&chain.leaf_key),
            trust_anchors: &anchors,
            prepared_anchors: Some(&prepared),
            require_all_on_path: true,
            limits: Limits::default(),
        };
        assert!(x5c::validate_der(rest, &policy).is_ok(), "{}", chain.label);
        let verified = policy.clone().with_level(ChainValidation::Verified);
        assert!(x5c::validate_der(rest, &verified).is_ok(), "{}", chain.label);

        let root_der = CertificateDer::from(root.as_slice());
        let anchor = webpki::anchor_from_trusted_cert(&root_der).unwrap().to_owned();
        let leaf_der = CertificateDer::from(rest[0].as_slice());
        let intermediates: Vec<CertificateDer<'_>> =
            rest[1..].iter().map(|c| CertificateDer::from(c.as_slice())).collect();
        let verify_webpki = || {
            let ee = webpki::EndEntityCert::try_from(&leaf_der).unwrap();
            ee.verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                std::slice::from_ref(&anchor),
                &intermediates,
                unix,
                webpki::KeyUsage::server_auth(),
                None,
                None,
            )
            .map(|_| ())
        };
        assert!(verify_webpki().is_ok(), "{}: {:?}", chain.label, verify_webpki());

        let mut group = c.benchmark_group(format!("x5c/{}", chain.label));
        group.bench_function("ours", |b| b.iter(|| x5c::validate_der(black_box(rest), &policy).unwrap()));
        group.bench_function("verified", |b| b.iter(|| x5c::validate_der(black_box(rest), &verified).unwrap()));
        group.bench_function("limit", |b| {
            b.iter(|| {
                for (tbs, sig, key, alg) in &chain.links {
                    UnparsedPublicKey::new(*alg, key).verify(black_box(tbs), sig).unwrap();
                }
            })
        });
        group.bench_function("webpki", |b| b.iter(|| verify_webpki().unwrap()));
        group.finish();
    }
}

fn merge_levels(c: &mut Criterion) {
    let time = support::now();
    let root = support::Ca::p256("Bench Root");
    let intermediate = root.intermediate("Bench Intermediate", &rcgen::PKCS_ECDSA_P256_SHA256);
    let holder = support::Holder::p256();
    let key = holder.key.subject_public_key_info();
    let chains = [
        ("1", vec![root.sign("leaf", &holder.key)]),
        ("2", vec![root.sign("leaf", &holder.key), root.der.clone()]),
        ("3", vec![intermediate.sign("leaf", &holder.key), intermediate.der.clone(), root.der.clone()]),
    ];
    for (label, chain) in chains {
        let x5c: Vec<String> = chain.iter().map(|c| support::b64(c)).collect();
        let service = ChainPolicy::at(time).with_leaf_key(&key);
        let verified = service.clone().with_level(ChainValidation::Verified);
        assert!(x5c::validate(&x5c, &service).is_ok());
        assert!(x5c::validate(&x5c, &verified).is_ok());
        let mut group = c.benchmark_group(format!("merge/{label}"));
        group.bench_function("service", |b| b.iter(|| x5c::validate(black_box(&x5c), &service).unwrap()));
        group.bench_function("verified", |b| b.iter(|| x5c::validate(black_box(&x5c), &verified).unwrap()));
        group.finish();
    }
}

criterion_group!(benches, x5c, merge_levels);
criterion_main!(benches);
