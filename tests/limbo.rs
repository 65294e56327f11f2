//! The x509-limbo suite against the `x5c` validator.
//!
//! Reads the suite from `tests/data/x509-limbo/limbo.json` (vendored, with its
//! notice), or from `LIMBO_JSON`; a missing file fails the test. Trust anchors
//! are `trusted_certs`, the `x5c` is the peer followed by
//! `untrusted_intermediates`, the time is `validation_time`. Cases whose outcome
//! rests on something the validator does not implement are skipped with the
//! reason.
//!
//! At the `Strict` level the test fails on any unexpected success, on any
//! unexpected failure not in the allow-list below (each with its reason), and
//! on fewer passes than the last measured. The `Verified` level, which leaves
//! the RFC 5280 profile out as `openssl verify` does, is run and reported too:
//! its unexpected successes are the profile cases it does not check by design,
//! and it must never refuse a chain `Strict` accepts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use pending_certificate::x5c::{self, ChainPolicy, ChainValidation, Limits};
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

/// The cases `Verified` accepts and the suite refuses: RFC 5280 profile rules
/// that `openssl verify` does not enforce by default either (key identifiers,
/// nameConstraints placement and form, serial numbers, SAN and EKU form, CA
/// basicConstraints and subject, keyCertSign on a leaf, version 1, and leaf
/// keys no signature on the path relies on). Any other acceptance at
/// `Verified` fails the test.
const VERIFIED_PROFILE_ONLY: &[&str] = &[
    "rfc5280::aki::critical-aki",
    "rfc5280::aki::leaf-missing-aki",
    "rfc5280::aki::intermediate-missing-aki",
    "rfc5280::eku::ee-eku-empty",
    "rfc5280::nc::permitted-dns-match-noncritical",
    "rfc5280::nc::not-allowed-in-ee-noncritical",
    "rfc5280::nc::not-allowed-in-ee-critical",
    "rfc5280::nc::nc-permits-invalid-dns-san",
    "rfc5280::san::noncritical-with-empty-subject",
    "rfc5280::san::underscore-dns",
    "rfc5280::serial::too-long",
    "rfc5280::serial::zero",
    "rfc5280::ski::critical-ski",
    "rfc5280::ski::root-missing-ski",
    "rfc5280::ski::intermediate-missing-ski",
    "rfc5280::ca-empty-subject",
    "rfc5280::root-missing-basic-constraints",
    "rfc5280::root-non-critical-basic-constraints",
    "rfc5280::leaf-ku-keycertsign",
    "webpki::aki::root-with-aki-missing-keyidentifier",
    "webpki::aki::root-with-aki-authoritycertissuer",
    "webpki::aki::root-with-aki-authoritycertserialnumber",
    "webpki::aki::root-with-aki-all-fields",
    "webpki::aki::root-with-aki-ski-mismatch",
    "webpki::nc::intermediate-permitted-excluded-subtrees-both-null",
    "webpki::nc::intermediate-permitted-excluded-subtrees-both-empty-sequences",
    "webpki::san::wildcard-embedded-leftmost-san",
    "webpki::san::wildcard-not-in-leftmost-san",
    "webpki::san::wildcard-embedded-ulabel-san",
    "webpki::san::san-wildcard-only",
    "webpki::san::san-wildcard-only-tld",
    "webpki::forbidden-p192-leaf",
    "webpki::forbidden-dsa-leaf",
    "webpki::forbidden-weak-rsa-in-leaf",
    "webpki::forbidden-rsa-key-not-divisible-by-8-in-leaf",
    "webpki::v1-cert",
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
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/x509-limbo/limbo.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("x509-limbo: {}: {e}", path.display()));
    let suite: Suite = serde_json::from_str(&text).unwrap();
    assert_eq!(suite.testcases.len(), 208, "the vendored suite has 208 cases");
    let strict = run(&suite, ChainValidation::Strict);
    let verified = run(&suite, ChainValidation::Verified);
    strict.print("strict");
    verified.print("verified");
    assert!(strict.unexpected_success.is_empty(), "unexpected successes: {:#?}", strict.unexpected_success);
    assert!(strict.unexpected_failure.is_empty(), "unexpected failures: {:#?}", strict.unexpected_failure);
    assert!(strict.pass >= 151, "strict: {} passes, fewer than the 151 measured", strict.pass);
    // `Verified` checks less than `Strict`, never more.
    let refused_only_by_verified: Vec<&String> =
        verified.refused.iter().filter(|id| !strict.refused.contains(id)).collect();
    assert!(refused_only_by_verified.is_empty(), "verified refuses what strict accepts: {refused_only_by_verified:#?}");
    assert!(
        verified.unexpected_failure.is_empty(),
        "verified: unexpected failures: {:#?}",
        verified.unexpected_failure
    );
    let beyond_profile: Vec<&String> =
        verified.unexpected_success.iter().filter(|id| !VERIFIED_PROFILE_ONLY.contains(&id.as_str())).collect();
    assert!(beyond_profile.is_empty(), "verified accepts beyond the RFC 5280 profile: {beyond_profile:#?}");
    assert!(verified.pass >= 115, "verified: {} passes, fewer than the 115 measured", verified.pass);
}

/// One level's run of the suite.
#[derive(Default)]
struct Run {
    pass: usize,
    skipped: BTreeMap<String, usize>,
    unexpected_success: Vec<String>,
    unexpected_failure: Vec<String>,
    allowed_failure: Vec<String>,
    /// Every case refused, by id.
    refused: Vec<String>,
}

impl Run {
    fn print(&self, level: &str) {
        let skips: usize = self.skipped.values().sum();
        println!(
            "x509-limbo ({level}): {} pass, {} unexpected success, {} unexpected failure ({} allowed), {skips} skipped",
            self.pass,
            self.unexpected_success.len(),
            self.unexpected_failure.len() + self.allowed_failure.len(),
            self.allowed_failure.len()
        );
        for (reason, n) in &self.skipped {
            println!("  skipped {n}: {reason}");
        }
        for f in &self.allowed_failure {
            println!("  allowed failure: {f}");
        }
        for f in &self.unexpected_failure {
            println!("  unexpected failure: {f}");
        }
        for f in &self.unexpected_success {
            println!("  unexpected success: {f}");
        }
    }
}

fn run(suite: &Suite, level: ChainValidation) -> Run {
    let allowed: BTreeMap<&str, &str> = ALLOWED_FAILURES.iter().copied().collect();
    let mut run = Run::default();
    let now = OffsetDateTime::now_utc();
    for case in &suite.testcases {
        if let Some(reason) = skip_reason(case) {
            *run.skipped.entry(reason).or_default() += 1;
            continue;
        }
        let anchors: Vec<Vec<u8>> = case.trusted_certs.iter().map(|p| pem_to_der(p)).collect();
        let mut chain = vec![pem_to_der(&case.peer_certificate)];
        chain.extend(case.untrusted_intermediates.iter().map(|p| pem_to_der(p)));
        let time = case.validation_time.as_deref().map(|t| OffsetDateTime::parse(t, &Rfc3339).unwrap()).unwrap_or(now);
        let policy = ChainPolicy {
            level,
            time,
            expected_leaf_key: None,
            trust_anchors: &anchors,
            prepared_anchors: None,
            require_all_on_path: false,
            limits: Limits::default(),
        };
        let result = x5c::validate_der(&chain, &policy);
        if result.is_err() {
            run.refused.push(case.id.clone());
        }
        let expected_success = case.expected_result == "SUCCESS";
        match (expected_success, &result) {
            (true, Ok(_)) | (false, Err(_)) => run.pass += 1,
            (false, Ok(_)) => run.unexpected_success.push(case.id.clone()),
            (true, Err(e)) if allowed.contains_key(case.id.as_str()) => {
                run.allowed_failure.push(format!("{}: {e} ({})", case.id, allowed[case.id.as_str()]))
            }
            (true, Err(e)) => run.unexpected_failure.push(format!("{}: {e}", case.id)),
        }
    }
    run
}
