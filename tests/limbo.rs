//! The x509-limbo suite against the `x5c` validator.
//!
//! Reads the suite from `LIMBO_JSON`, by default `../shared/x509-limbo/limbo.json`
//! beside the checkout; where it is absent the test says so and passes without
//! running. Trust anchors are `trusted_certs`, the `x5c` is the peer followed by
//! `untrusted_intermediates`, the time is `validation_time`. Cases whose
//! outcome rests on something the validator does not implement are skipped with
//! the reason. The test fails on any unexpected success, and on any unexpected
//! failure not in the allow-list below (each with its reason).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use pending_certificate::x5c::{self, ChainPolicy, Limits};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Deserialize)]
struct Suite {
    testcases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    features: Vec<String>,
    trusted_certs: Vec<String>,
    untrusted_intermediates: Vec<String>,
    peer_certificate: String,
    validation_time: Option<String>,
    expected_result: String,
    extended_key_usage: Vec<String>,
    key_usage: Vec<String>,
    max_chain_depth: Option<u32>,
    crls: Vec<String>,
    signature_algorithms: Vec<String>,
}

/// Cases whose result rests only on matching the peer's name to
/// `expected_peer_name` (the validator checks chains, not host names).
const NAME_MATCHING: &[&str] = &[
    "rfc5280::san::ip-in-dns",
    "rfc5280::ca-as-leaf-wrong-san",
    "webpki::cn::ipv4-hex-mismatch",
    "webpki::cn::ipv4-leading-zeros-mismatch",
    "webpki::cn::ipv6-uppercase-mismatch",
    "webpki::cn::ipv6-uncompressed-mismatch",
    "webpki::cn::ipv6-non-rfc5952-mismatch",
    "webpki::cn::punycode-not-in-san",
    "webpki::cn::utf8-vs-punycode-mismatch",
    "webpki::cn::not-in-san",
    "webpki::cn::case-mismatch",
    "webpki::san::mismatch-domain-san",
    "webpki::san::mismatch-subdomain-san",
    "webpki::san::mismatch-subdomain-apex-san",
    "webpki::san::mismatch-apex-subdomain-san",
    "webpki::san::public-suffix-wildcard-san",
    "webpki::san::public-suffix-multi-label-wildcard-san",
    "webpki::san::public-suffix-private-namespace-wildcard-san",
    "webpki::san::wildcard-match-across-labels-san",
];

/// Cases that hold only under the CA/Browser Forum's TLS server-certificate
/// profile: an `x5c` leaf is any certificate for the vault's key (a client
/// certificate, a code-signing certificate, an issuing CA kept in the vault),
/// so it need not have a subjectAltName or serverAuth, and may be a CA.
const SERVER_PROFILE: &[&str] = &[
    "webpki::eku::ee-without-eku",
    "webpki::san::no-san",
    "webpki::san::san-critical-with-nonempty-subject",
    "webpki::ee-basicconstraints-ca",
    "webpki::ca-as-leaf",
];

/// CA/B Forum exceptions that contradict RFC 5280, each with an RFC 5280
/// twin in the suite that the validator follows.
const CABF_EXCEPTIONS: &[&str] = &[
    // nameConstraints not marked critical (twin: rfc5280::nc::permitted-dns-match-noncritical).
    "webpki::nc::permitted-dns-match-noncritical",
];

/// Unexpected failures accepted, each with its reason.
const ALLOWED_FAILURES: &[(&str, &str)] = &[];

fn pem_to_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body.trim()).unwrap()
}

fn skip_reason(case: &Case) -> Option<String> {
    if !case.crls.is_empty() || case.features.iter().any(|f| f == "has-crl") {
        return Some("revocation (CRLs) is not checked".into());
    }
    if !case.extended_key_usage.is_empty() {
        return Some("extended key usage is not checked: an x5c has no intended usage".into());
    }
    if !case.key_usage.is_empty() {
        return Some("the leaf's key usage is not checked".into());
    }
    if case.max_chain_depth.is_some() {
        return Some("a maximum chain depth other than the x5c count limit is not configurable".into());
    }
    if !case.signature_algorithms.is_empty() {
        return Some("restricting signature algorithms per case is not supported".into());
    }
    if let Some(f) = case.features.iter().find(|f| f.as_str() == "has-policy-constraints") {
        return Some(format!("{f}: certificate policies are not processed"));
    }
    if let Some(f) = case.features.iter().find(|f| f.as_str() == "pedantic-rfc5280") {
        return Some(format!("{f}: a reading of RFC 5280 that the RFC leaves open"));
    }
    if NAME_MATCHING.contains(&case.id.as_str()) {
        return Some("host-name matching is not done".into());
    }
    if CABF_EXCEPTIONS.contains(&case.id.as_str()) {
        return Some("a CA/B Forum exception to RFC 5280; its RFC 5280 twin is run".into());
    }
    if SERVER_PROFILE.contains(&case.id.as_str()) {
        return Some("a TLS server-certificate (CA/B Forum) rule that does not apply to x5c leaves".into());
    }
    None
}

#[test]
fn x509_limbo() {
    let path = std::env::var_os("LIMBO_JSON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/x509-limbo/limbo.json"));
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("x509-limbo: {} is absent; skipping the suite", path.display());
        return;
    };
    let suite: Suite = serde_json::from_str(&text).unwrap();

    let allowed: BTreeMap<&str, &str> = ALLOWED_FAILURES.iter().copied().collect();
    let (mut pass, mut skipped) = (0, BTreeMap::<String, usize>::new());
    let (mut unexpected_success, mut unexpected_failure, mut allowed_failure) = (vec![], vec![], vec![]);
    let now = OffsetDateTime::now_utc();
    for case in &suite.testcases {
        if let Some(reason) = skip_reason(case) {
            *skipped.entry(reason).or_default() += 1;
            continue;
        }
        let anchors: Vec<Vec<u8>> = case.trusted_certs.iter().map(|p| pem_to_der(p)).collect();
        let mut chain = vec![pem_to_der(&case.peer_certificate)];
        chain.extend(case.untrusted_intermediates.iter().map(|p| pem_to_der(p)));
        let time = case.validation_time.as_deref().map(|t| OffsetDateTime::parse(t, &Rfc3339).unwrap()).unwrap_or(now);
        let policy = ChainPolicy {
            time,
            expected_leaf_key: None,
            trust_anchors: &anchors,
            prepared_anchors: None,
            require_all_on_path: false,
            limits: Limits::default(),
        };
        let result = x5c::validate_der(&chain, &policy);
        let expected_success = case.expected_result == "SUCCESS";
        match (expected_success, &result) {
            (true, Ok(_)) | (false, Err(_)) => pass += 1,
            (false, Ok(_)) => unexpected_success.push(case.id.clone()),
            (true, Err(e)) if allowed.contains_key(case.id.as_str()) => {
                allowed_failure.push(format!("{}: {e} ({})", case.id, allowed[case.id.as_str()]))
            }
            (true, Err(e)) => unexpected_failure.push(format!("{}: {e}", case.id)),
        }
    }
    let skips: usize = skipped.values().sum();
    println!(
        "x509-limbo: {pass} pass, {} unexpected success, {} unexpected failure ({} allowed), {skips} skipped",
        unexpected_success.len(),
        unexpected_failure.len() + allowed_failure.len(),
        allowed_failure.len()
    );
    for (reason, n) in &skipped {
        println!("  skipped {n}: {reason}");
    }
    for f in &allowed_failure {
        println!("  allowed failure: {f}");
    }
    for f in &unexpected_failure {
        println!("  unexpected failure: {f}");
    }
    assert!(unexpected_success.is_empty(), "unexpected successes: {unexpected_success:#?}");
    assert!(unexpected_failure.is_empty(), "unexpected failures: {unexpected_failure:#?}");
}
