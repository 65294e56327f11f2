//! Hostile input through the REST surface: every malformed request answers a
//! 4xx with its code, and leaves the vault exactly as it was.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use pending_certificate::memory::MemoryKeyHolder;
use pending_certificate::rest::{self, Request};
use pending_certificate::{SequentialIds, Vault, VaultUrl};

const API: &str = "api-version=7.5";

/// A vault with one manual request in progress on `c1`, one completed
/// certificate on `done`, and a registered issuer.
fn vault() -> (Vault, MemoryKeyHolder, SequentialIds) {
    let mut vault = Vault::new(VaultUrl::new("https://hostile.vault.azure.net").unwrap());
    let mut keys = MemoryKeyHolder::new();
    let mut ids = SequentialIds::default();
    let mut call = |method: &str, target: String, body: &[u8]| {
        let request = Request { method, target: &target, body };
        rest::handle(&mut vault, &mut keys, &mut ids, support::now(), request).response.status
    };
    assert_eq!(call("PUT", format!("/certificates/issuers/mydigicert?{API}"), br#"{"provider":"DigiCert"}"#), 200);
    let create =
        br#"{"policy":{"key_props":{"kty":"EC"},"x509_props":{"subject":"CN=c"},"issuer":{"name":"Unknown"}}}"#;
    assert_eq!(call("POST", format!("/certificates/c1/create?{API}"), create), 202);
    let selfsigned =
        br#"{"policy":{"key_props":{"kty":"EC"},"x509_props":{"subject":"CN=d"},"issuer":{"name":"Self"}}}"#;
    assert_eq!(call("POST", format!("/certificates/done/create?{API}"), selfsigned), 202);
    // The key holder signs the `Self` request, as the embedder would later.
    let done = support::name("done");
    let request_id = vault.pending(&done, None).unwrap().request_id();
    vault.sign_self(&done, request_id, &mut keys, support::now(), &mut ids).unwrap();
    (vault, keys, ids)
}

/// (label, method, target, body, status, code).
type Case = (&'static str, &'static str, String, Vec<u8>, u16, &'static str);

fn nested(depth: usize) -> Vec<u8> {
    let mut body = "{\"x5c\":".to_owned();
    body.push_str(&"[".repeat(depth));
    body.push_str(&"]".repeat(depth));
    body.push('}');
    body.into_bytes()
}

/// A DER SEQUENCE nested `depth` times, with long-form lengths.
fn sequence_bomb(depth: usize) -> Vec<u8> {
    let mut der = vec![0x05, 0x00];
    for _ in 0..depth {
        let len = der.len() as u32;
        let mut next = vec![0x30, 0x84];
        next.extend_from_slice(&len.to_be_bytes());
        next.extend(der);
        der = next;
    }
    der
}

fn merge_body(entries: &[String]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "x5c": entries })).unwrap()
}

#[test]
fn hostile_requests_get_a_4xx_with_a_code_and_change_nothing() {
    let (mut vault, mut keys, mut ids) = vault();
    let b64 = support::b64;
    let ca = support::Ca::p256("Hostile CA");
    let leaf = ca.sign("x", &support::Holder::p256().key);
    let mut leaf_trailing = leaf.clone();
    leaf_trailing.extend_from_slice(b"\x00\x00");
    let long_name = "x".repeat(128);
    let create = format!("/certificates/c2/create?{API}");
    let merge = format!("/certificates/c1/pending/merge?{API}");
    let pending = format!("/certificates/c1/pending?{API}");
    let import = format!("/certificates/c2/import?{API}");
    let issuer = format!("/certificates/issuers/i2?{API}");
    let tags16: serde_json::Map<String, serde_json::Value> = (0..16).map(|i| (format!("t{i}"), "v".into())).collect();
    let many_sans: Vec<String> = (0..101).map(|i| format!("h{i}.example")).collect();

    let cases: Vec<Case> = vec![
        // Truncated JSON.
        ("truncated create", "POST", create.clone(), br#"{"policy":{"x509_props":{"subject":"CN="#.to_vec(), 400, "BadParameter"),
        ("truncated merge", "POST", merge.clone(), br#"{"x5c":["MII"#.to_vec(), 400, "BadParameter"),
        ("truncated patch", "PATCH", pending.clone(), br#"{"cancellation_requested":tr"#.to_vec(), 400, "BadParameter"),
        ("truncated import", "POST", import.clone(), br#"{"value":"#.to_vec(), 400, "BadParameter"),
        ("truncated issuer", "PUT", issuer.clone(), br#"{"provider""#.to_vec(), 400, "BadParameter"),
        ("empty body on create", "POST", create.clone(), Vec::new(), 400, "BadParameter"),
        // Not UTF-8.
        ("latin-1 create", "POST", create.clone(), b"{\"policy\":{\"x509_props\":{\"subject\":\"CN=caf\xe9\"}}}".to_vec(), 400, "BadParameter"),
        ("binary merge", "POST", merge.clone(), vec![0xff, 0xfe, 0x00, 0x7b], 400, "BadParameter"),
        ("lone surrogate", "PUT", issuer.clone(), br#"{"provider":"\ud800"}"#.to_vec(), 400, "BadParameter"),
        // Wrong types.
        ("policy as string", "POST", create.clone(), br#"{"policy":"x"}"#.to_vec(), 400, "BadParameter"),
        ("x5c as number", "POST", merge.clone(), br#"{"x5c":5}"#.to_vec(), 400, "BadParameter"),
        ("x5c entries as numbers", "POST", merge.clone(), br#"{"x5c":[1,2]}"#.to_vec(), 400, "BadParameter"),
        ("cancellation as string", "PATCH", pending.clone(), br#"{"cancellation_requested":"true"}"#.to_vec(), 400, "BadParameter"),
        ("tags as list", "POST", create.clone(), br#"{"tags":["a"],"policy":{"x509_props":{"subject":"CN=x"}}}"#.to_vec(), 400, "BadParameter"),
        ("preserveCertOrder as string", "POST", create.clone(), br#"{"preserveCertOrder":"yes"}"#.to_vec(), 400, "BadParameter"),
        ("issuer name as number", "POST", create.clone(), br#"{"policy":{"issuer":{"name":7}}}"#.to_vec(), 400, "BadParameter"),
        ("key_size negative", "POST", create.clone(), br#"{"policy":{"key_props":{"key_size":-1}}}"#.to_vec(), 400, "BadParameter"),
        ("body null", "PATCH", pending.clone(), b"null".to_vec(), 400, "BadParameter"),
        ("body list", "PATCH", pending.clone(), b"[]".to_vec(), 400, "BadParameter"),
        // Duplicated keys.
        ("duplicate x5c", "POST", merge.clone(), br#"{"x5c":[],"x5c":[]}"#.to_vec(), 400, "BadParameter"),
        ("duplicate cancellation", "PATCH", pending.clone(), br#"{"cancellation_requested":true,"cancellation_requested":false}"#.to_vec(), 400, "BadParameter"),
        ("duplicate policy", "POST", create.clone(), br#"{"policy":{},"policy":{}}"#.to_vec(), 400, "BadParameter"),
        // Deep nesting.
        ("nesting 33", "POST", merge.clone(), nested(33), 400, "BadParameter"),
        ("nesting 1000", "POST", merge.clone(), nested(1000), 400, "BadParameter"),
        ("nesting 100000 brackets", "POST", create.clone(), "[".repeat(100_000).into_bytes(), 400, "BadParameter"),
        // Size.
        ("10 000-entry x5c", "POST", merge.clone(), merge_body(&vec!["MIIB".to_owned(); 10_000]), 400, "BadParameter"),
        ("huge base64 entry", "POST", merge.clone(), merge_body(&["A".repeat(200_000)]), 400, "BadParameter"),
        ("body over 1 MiB", "POST", merge.clone(), vec![b' '; 1024 * 1024 + 1], 413, "RequestEntityTooLarge"),
        ("empty x5c entry", "POST", merge.clone(), merge_body(&[String::new()]), 400, "BadParameter"),
        ("empty x5c", "POST", merge.clone(), merge_body(&[]), 400, "BadParameter"),
        // DER.
        ("indefinite length", "POST", merge.clone(), merge_body(&[b64(&[0x30, 0x80, 0x05, 0x00, 0x00, 0x00])]), 400, "BadParameter"),
        ("overlong length", "POST", merge.clone(), merge_body(&[b64(&[0x30, 0x81, 0x02, 0x05, 0x00])]), 400, "BadParameter"),
        ("sequence bomb", "POST", merge.clone(), merge_body(&[b64(&sequence_bomb(2000))]), 400, "BadParameter"),
        ("absurd length", "POST", merge.clone(), merge_body(&[b64(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00])]), 400, "BadParameter"),
        ("trailing bytes", "POST", merge.clone(), merge_body(&[b64(&leaf_trailing)]), 400, "BadParameter"),
        ("certificate for another key", "POST", merge.clone(), merge_body(&[b64(&leaf), b64(&ca.der)]), 400, "BadParameter"),
        ("garbage PEM import", "POST", import.clone(), br#"{"value":"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----","policy":{"secret_props":{"contentType":"application/x-pem-file"}}}"#.to_vec(), 400, "BadParameter"),
        ("garbage PKCS#12", "POST", import.clone(), format!("{{\"value\":\"{}\"}}", b64(&sequence_bomb(500))).into_bytes(), 400, "BadParameter"),
        // Names.
        ("name with slash", "GET", format!("/certificates/a/b/pending?{API}"), Vec::new(), 404, "NotFound"),
        ("name dot-dot", "GET", format!("/certificates/../pending?{API}"), Vec::new(), 400, "BadParameter"),
        ("name unicode", "GET", format!("/certificates/café/pending?{API}"), Vec::new(), 400, "BadParameter"),
        ("name percent-encoded slash", "GET", format!("/certificates/a%2Fb/pending?{API}"), Vec::new(), 400, "BadParameter"),
        ("name of 128", "POST", format!("/certificates/{long_name}/create?{API}"), br#"{"policy":{"x509_props":{"subject":"CN=x"}}}"#.to_vec(), 400, "BadParameter"),
        ("empty name", "GET", format!("/certificates//pending?{API}"), Vec::new(), 400, "BadParameter"),
        ("name with space", "GET", format!("/certificates/a b/pending?{API}"), Vec::new(), 400, "BadParameter"),
        ("issuer name unicode", "PUT", format!("/certificates/issuers/é?{API}"), br#"{"provider":"x"}"#.to_vec(), 400, "BadParameter"),
        // request_id.
        ("request_id non-hex", "GET", format!("{pending}&request_id=zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"), Vec::new(), 400, "BadParameter"),
        ("request_id 31", "GET", format!("{pending}&request_id={}", "a".repeat(31)), Vec::new(), 400, "BadParameter"),
        ("request_id 33", "DELETE", format!("{pending}&request_id={}", "a".repeat(33)), Vec::new(), 400, "BadParameter"),
        ("request_id unicode", "PATCH", format!("{pending}&request_id=%C3%A9"), br#"{"cancellation_requested":true}"#.to_vec(), 400, "BadParameter"),
        ("request_id stale", "DELETE", format!("{pending}&request_id={}", "0".repeat(32)), Vec::new(), 404, "PendingCertificateNotFound"),
        // Query and route.
        ("no api-version", "GET", "/certificates/c1/pending".into(), Vec::new(), 400, "BadParameter"),
        ("empty api-version", "GET", "/certificates/c1/pending?api-version=".into(), Vec::new(), 400, "BadParameter"),
        ("bad percent", "GET", "/certificates/c1/pending?api-version=%G1".into(), Vec::new(), 400, "BadParameter"),
        ("path too long", "GET", format!("/certificates/c1/pending?{API}&x={}", "y".repeat(9000)), Vec::new(), 400, "BadParameter"),
        ("unknown method", "BREW", pending.clone(), Vec::new(), 405, "MethodNotAllowed"),
        ("root", "GET", "/".into(), Vec::new(), 404, "NotFound"),
        ("listing without api-version", "GET", "/certificates".into(), Vec::new(), 400, "BadParameter"),
        ("unknown collection", "GET", format!("/certificatez?{API}"), Vec::new(), 404, "NotFound"),
        ("maxresults 0", "GET", format!("/certificates?{API}&maxresults=0"), Vec::new(), 400, "BadParameter"),
        ("maxresults 26", "GET", format!("/certificates?{API}&maxresults=26"), Vec::new(), 400, "BadParameter"),
        ("maxresults text", "GET", format!("/deletedcertificates?{API}&maxresults=ten"), Vec::new(), 400, "BadParameter"),
        ("maxresults huge", "GET", format!("/certificates/issuers?{API}&maxresults=99999999999999999999999"), Vec::new(), 400, "BadParameter"),
        ("skiptoken not base64", "GET", format!("/certificates?{API}&$skiptoken=***"), Vec::new(), 400, "BadParameter"),
        ("skiptoken of another listing", "GET", format!("/deletedcertificates?{API}&$skiptoken=Yzpj"), Vec::new(), 400, "BadParameter"),
        ("includePending maybe", "GET", format!("/certificates?{API}&includePending=maybe"), Vec::new(), 400, "BadParameter"),
        ("policy patch of a wrong type", "PATCH", format!("/certificates/done/policy?{API}"), br#"{"key_props":[]}"#.to_vec(), 400, "BadParameter"),
        ("policy patch kty AAA", "PATCH", format!("/certificates/done/policy?{API}"), br#"{"key_props":{"kty":"AAA"}}"#.to_vec(), 400, "BadParameter"),
        ("policy patch lifetime 0", "PATCH", format!("/certificates/done/policy?{API}"), br#"{"lifetime_actions":[{"trigger":{"lifetime_percentage":0},"action":{"action_type":"AutoRenew"}}]}"#.to_vec(), 400, "BadParameter"),
        ("policy patch validity over int32", "PATCH", format!("/certificates/done/policy?{API}"), br#"{"x509_props":{"validity_months":2147483648}}"#.to_vec(), 400, "BadParameter"),
        ("policy patch with an array for an object", "PATCH", format!("/certificates/done/policy?{API}"), br#"{"secret_props":["application/x-pkcs12"]}"#.to_vec(), 400, "BadParameter"),
        ("policy patch with an unknown action", "PATCH", format!("/certificates/done/policy?{API}"), br#"{"lifetime_actions":[{"trigger":{"days_before_expiry":10},"action":{"action_type":"Explode"}}]}"#.to_vec(), 400, "BadParameter"),
        ("update with a policy of kty AAA", "PATCH", format!("/certificates/done/?{API}"), br#"{"policy":{"key_props":{"kty":"AAA"}}}"#.to_vec(), 400, "BadParameter"),
        ("policy patch with a bad subject", "PATCH", format!("/certificates/done/policy?{API}"), br#"{"x509_props":{"subject":"not a name"}}"#.to_vec(), 400, "BadParameter"),
        ("update with tags of a wrong type", "PATCH", format!("/certificates/done/?{API}"), br#"{"tags":{"a":1}}"#.to_vec(), 400, "BadParameter"),
        ("update of an unknown version", "PATCH", format!("/certificates/done/{}?{API}", "0".repeat(32)), br#"{"tags":{}}"#.to_vec(), 404, "CertificateNotFound"),
        ("contacts of a wrong type", "PUT", format!("/certificates/contacts?{API}"), br#"{"contacts":{"email":"a@b"}}"#.to_vec(), 400, "BadParameter"),
        ("contacts never set", "GET", format!("/certificates/contacts?{API}"), Vec::new(), 404, "ContactsNotFound"),
        ("purge of a live certificate", "DELETE", format!("/deletedcertificates/done?{API}"), Vec::new(), 404, "CertificateNotFound"),
        ("recover of a live certificate", "POST", format!("/deletedcertificates/done/recover?{API}"), Vec::new(), 404, "CertificateNotFound"),
        ("delete of nothing", "DELETE", format!("/certificates/nothing?{API}"), Vec::new(), 404, "CertificateNotFound"),
        ("secret of nothing", "GET", format!("/secrets/nothing?{API}"), Vec::new(), 404, "SecretNotFound"),
        ("secret of a pending certificate", "GET", format!("/secrets/c1?{API}"), Vec::new(), 403, "Forbidden"),
        ("key of a bad version", "GET", format!("/keys/done/xyz?{API}"), Vec::new(), 404, "KeyNotFound"),
        ("a key operation", "POST", format!("/keys/done/sign?{API}"), br#"{"alg":"ES256","value":"AA"}"#.to_vec(), 405, "MethodNotAllowed"),
        ("extra segment", "POST", format!("/certificates/c1/pending/merge/extra?{API}"), Vec::new(), 404, "NotFound"),
        // Bounds on the rest of the body.
        ("16 tags", "POST", create.clone(), serde_json::to_vec(&serde_json::json!({"tags": tags16, "policy": {"x509_props": {"subject": "CN=x"}}})).unwrap(), 400, "BadParameter"),
        ("tag value of 257", "POST", merge.clone(), serde_json::to_vec(&serde_json::json!({"x5c": [b64(&leaf)], "tags": {"t": "v".repeat(257)}})).unwrap(), 400, "BadParameter"),
        ("subject of 2000", "POST", create.clone(), serde_json::to_vec(&serde_json::json!({"policy": {"x509_props": {"subject": format!("CN={}", "x".repeat(2000))}}})).unwrap(), 400, "BadParameter"),
        ("101 DNS names", "POST", create.clone(), serde_json::to_vec(&serde_json::json!({"policy": {"x509_props": {"sans": {"dns_names": many_sans}}}})).unwrap(), 400, "BadParameter"),
        ("provider of 2000", "PUT", issuer.clone(), serde_json::to_vec(&serde_json::json!({"provider": "p".repeat(2000)})).unwrap(), 400, "BadParameter"),
        ("key size 0", "POST", create.clone(), br#"{"policy":{"key_props":{"kty":"RSA","key_size":0},"x509_props":{"subject":"CN=x"}}}"#.to_vec(), 400, "BadParameter"),
        ("empty kty", "POST", create.clone(), br#"{"policy":{"key_props":{"kty":""},"x509_props":{"subject":"CN=x"}}}"#.to_vec(), 400, "BadParameter"),
        ("subject OID DER cannot encode", "POST", create.clone(), br#"{"policy":{"x509_props":{"subject":"1.40=x"}}}"#.to_vec(), 400, "BadParameter"),
        ("huge second OID arc", "POST", create.clone(), br#"{"policy":{"x509_props":{"subject":"2.18446744073709551535=x"}}}"#.to_vec(), 400, "BadParameter"),
        ("EKU OID DER cannot encode", "POST", create.clone(), br#"{"policy":{"x509_props":{"subject":"CN=x","ekus":["3.1"]}}}"#.to_vec(), 400, "BadParameter"),
        ("EKU with a second arc of 40", "POST", create.clone(), br#"{"policy":{"x509_props":{"subject":"CN=x","ekus":["0.40"]}}}"#.to_vec(), 400, "BadParameter"),
        ("issuer path in name", "POST", create.clone(), br#"{"policy":{"x509_props":{"subject":"CN=x"},"issuer":{"name":"Unknown/../x"}}}"#.to_vec(), 400, "BadParameter"),
        // State refusals on hostile-but-well-formed input.
        ("create over in-progress", "POST", format!("/certificates/c1/create?{API}"), br#"{"policy":{"x509_props":{"subject":"CN=x"}}}"#.to_vec(), 409, "Forbidden"),
        ("merge into completed", "POST", format!("/certificates/done/pending/merge?{API}"), merge_body(&[b64(&leaf)]), 409, "Conflict"),
    ];
    assert!(cases.len() >= 50, "{} cases", cases.len());
    for (label, method, target, body, status, code) in cases {
        let before = vault.clone();
        let keys_before = keys.len();
        let handled = rest::handle(
            &mut vault,
            &mut keys,
            &mut ids,
            support::now(),
            Request { method, target: &target, body: &body },
        );
        let response = handled.response;
        let error: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(
            (response.status, error["error"]["code"].as_str()),
            (status, Some(code)),
            "{label}: {}",
            error["error"]["message"]
        );
        assert!(error["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{label}");
        assert_eq!(vault, before, "{label} changed the vault");
        assert_eq!(keys.len(), keys_before, "{label} left a key behind");
        assert!(handled.effects.is_empty(), "{label} asked the embedder for something");
    }
}
