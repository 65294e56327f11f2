//! The page's exchanges replayed through `rest`, bytes in and bytes out:
//! status, headers and bodies (all but ids, CSR bytes and timestamps), and the
//! bad-input cases, each of which changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use base64::Engine as _;
use pending_certificate::memory::{MemoryKeyHolder, ProviderSimulator};
use pending_certificate::rest::{self, Handled, Request};
use pending_certificate::{Effect, Failure, SequentialIds, Vault, VaultUrl};
use serde_json::{Value, json};

const VAULT: &str = "https://mykeyvault.vault.azure.net";
const API: &str = "api-version=7.5";

struct Rig {
    vault: Vault,
    keys: MemoryKeyHolder,
    ids: SequentialIds,
    provider: ProviderSimulator,
    effects: Vec<Effect>,
    changed: Option<rest::Changed>,
}

struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn error(&self) -> (u16, &str, &str) {
        (self.status, self.body["error"]["code"].as_str().unwrap(), self.body["error"]["message"].as_str().unwrap())
    }
}

impl Rig {
    fn new() -> Self {
        Self {
            vault: Vault::new(VaultUrl::new(VAULT).unwrap()),
            keys: MemoryKeyHolder::new(),
            ids: support::ids(),
            provider: ProviderSimulator::new("Simulated DigiCert").unwrap(),
            effects: Vec::new(),
            changed: None,
        }
    }

    fn raw(&mut self, method: &str, target: &str, body: &[u8]) -> Answer {
        let Handled { response, effects, changed } = rest::handle(
            &mut self.vault,
            &mut self.keys,
            &mut self.ids,
            support::now(),
            Request { method, target, body },
        );
        self.changed = changed;
        for (name, effect) in effects {
            self.provider.observe(&name, &effect);
            self.effects.push(effect);
        }
        assert_eq!(response.header("Content-Type"), Some("application/json; charset=utf-8"));
        let body = serde_json::from_slice(&response.body).unwrap();
        Answer { status: response.status, headers: response.headers, body }
    }

    fn call(&mut self, method: &str, target: &str, body: Option<Value>) -> Answer {
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap()).unwrap_or_default();
        self.raw(method, target, &bytes)
    }

    /// Calls and asserts the exact refusal, and that nothing changed.
    fn refused(&mut self, method: &str, target: &str, body: &[u8], status: u16, code: &str, message: &str) {
        let before = self.vault.clone();
        let keys = self.keys.len();
        let answer = self.raw(method, target, body);
        assert_eq!(answer.error(), (status, code, message), "{method} {target}");
        assert_eq!(self.vault, before, "{method} {target} changed the vault");
        assert_eq!(self.keys.len(), keys, "{method} {target} made a key");
        assert_eq!(self.changed, None, "{method} {target} reported a change");
    }

    fn register_digicert(&mut self) {
        let answer =
            self.call("PUT", &format!("/certificates/issuers/mydigicert?{API}"), Some(json!({"provider": "DigiCert"})));
        assert_eq!(answer.status, 200);
        let now = support::now().unix_timestamp();
        assert_eq!(
            answer.body,
            json!({"id": format!("{VAULT}/certificates/issuers/mydigicert"), "provider": "DigiCert",
                "attributes": {"enabled": true, "created": now, "updated": now}})
        );
    }

    fn create(&mut self, issuer: &str) -> Answer {
        let body = json!({"policy": {"x509_props": {"subject": "CN=MyCertSubject1"}, "issuer": {"name": issuer}, "key_props": {"kty": "EC", "crv": "P-256"}}});
        self.call("POST", &format!("/certificates/mycert1/create?{API}"), Some(body))
    }

    fn current_request(&self) -> pending_certificate::RequestId {
        self.vault.pending(&support::name("mycert1"), None).unwrap().request_id()
    }
}

fn without_csr(mut body: Value) -> Value {
    assert!(body["csr"].is_string());
    body.as_object_mut().unwrap().remove("csr");
    body
}

#[test]
fn the_pages_exchanges_replay_through_rest() {
    let mut rig = Rig::new();
    rig.register_digicert();

    // Request a certificate from a supported issuer.
    let created = rig.create("mydigicert");
    assert_eq!(created.status, 202);
    let id = created.body["request_id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("Location"),
        Some(format!("{VAULT}/certificates/mycert1/pending?{API}&request_id={id}").as_str())
    );
    assert_eq!(created.header("Retry-After"), Some("10"));
    assert_eq!(
        without_csr(created.body.clone()),
        json!({
            "id": format!("{VAULT}/certificates/mycert1/pending"),
            "issuer": {"name": "mydigicert"},
            "cancellation_requested": false,
            "status": "inProgress",
            "status_details": "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.",
            "request_id": id,
        })
    );
    // The headers the service sends on every answer.
    for (name, value) in rest::COMMON_HEADERS {
        assert_eq!(created.header(name), Some(value), "{name}");
    }
    assert!(matches!(rig.effects.as_slice(), [Effect::SubmitToIssuer { .. }]));
    assert_eq!(rig.changed, Some(rest::Changed::Certificate(support::name("mycert1"))));

    // Get the pending request, with and without its request_id; a wrong one is 404.
    for target in
        [format!("/certificates/mycert1/pending?{API}&request_id={id}"), format!("/certificates/mycert1/pending?{API}")]
    {
        let got = rig.call("GET", &target, None);
        assert_eq!((got.status, got.header("Retry-After")), (200, Some("10")));
        assert_eq!(got.body["status"], "inProgress");
        assert_eq!(rig.changed, None, "a read changes nothing");
    }
    rig.refused(
        "GET",
        &format!("/certificates/mycert1/pending?{API}&request_id=00000000000000000000000000000000"),
        b"",
        404,
        "PendingCertificateNotFound",
        "Pending certificate not found: mycert1",
    );

    // Create while in progress: 409 Forbidden.
    let create_again = br#"{"policy":{"x509_props":{"subject":"CN=MyCertSubject1"},"issuer":{"name":"mydigicert"}}}"#;
    rig.refused("POST", &format!("/certificates/mycert1/create?{API}"), create_again, 409, "Forbidden",
        "A new key vault certificate can not be created or imported while a pending key vault certificate's status is inProgress.");

    // Merge while issuer-backed in progress: 403.
    let csr = rig.vault.pending(&support::name("mycert1"), None).unwrap().csr().clone();
    let chain = rig.provider.sign(&csr, "CN=MyCertSubject1", support::now()).unwrap();
    let merge_body =
        serde_json::to_vec(&json!({"x5c": chain.iter().map(|c| support::b64(c)).collect::<Vec<_>>()})).unwrap();
    rig.refused(
        "POST",
        &format!("/certificates/mycert1/pending/merge?{API}"),
        &merge_body,
        403,
        "Forbidden",
        "Merge is forbidden on pending object created with issuer : mydigicert while it is in progess.",
    );

    // Cancel: 200, requested, still in progress; the provider confirms.
    let cancelled = rig.call(
        "PATCH",
        &format!("/certificates/mycert1/pending?{API}&request_id={id}"),
        Some(json!({"cancellation_requested": true})),
    );
    assert_eq!((cancelled.status, cancelled.header("Retry-After")), (200, None));
    assert_eq!(
        (cancelled.body["cancellation_requested"].clone(), cancelled.body["status"].clone()),
        (json!(true), json!("inProgress"))
    );
    assert!(matches!(rig.effects.last(), Some(Effect::CancelAtIssuer { .. })));
    let request_id = rig.current_request();
    rig.provider.cancel(&mut rig.vault, &support::name("mycert1"), request_id, support::now()).unwrap();
    let got = rig.call("GET", &format!("/certificates/mycert1/pending?{API}"), None);
    assert_eq!((got.status, got.body["status"].as_str(), got.header("Retry-After")), (200, Some("cancelled"), None));

    // Cancel again: 400.
    rig.refused("PATCH", &format!("/certificates/mycert1/pending?{API}"), br#"{"cancellation_requested":true}"#, 400, "BadParameter",
        "Cancellation can only be requested while the pending certificate's status is inProgress; its status is cancelled.");

    // Delete: 200 with the object as it was; then 404.
    let deleted = rig.call("DELETE", &format!("/certificates/mycert1/pending?{API}"), None);
    assert_eq!((deleted.status, deleted.body["status"].as_str()), (200, Some("cancelled")));
    assert_eq!(deleted.header("Retry-After"), None);
    rig.refused(
        "GET",
        &format!("/certificates/mycert1/pending?{API}"),
        b"",
        404,
        "PendingCertificateNotFound",
        "Pending certificate not found: mycert1",
    );
    // A second delete, and a merge, with nothing pending: the service's capital C.
    rig.refused(
        "DELETE",
        &format!("/certificates/mycert1/pending?{API}"),
        b"",
        404,
        "PendingCertificateNotFound",
        "Pending Certificate not found: mycert1",
    );
    rig.refused(
        "POST",
        &format!("/certificates/mycert1/pending/merge?{API}"),
        &merge_body,
        404,
        "PendingCertificateNotFound",
        "Pending Certificate not found: mycert1",
    );

    // Create manually, then merge a chain issued for the CSR's key: 201.
    let created = rig.create("Unknown");
    assert_eq!(created.status, 202);
    assert_eq!(
        created.body["status_details"],
        "Pending certificate created. Please Perform Merge to complete the request."
    );
    let csr = rig.vault.pending(&support::name("mycert1"), None).unwrap().csr().clone();
    let chain = rig.provider.sign(&csr, "CN=MyCertSubject1", support::now()).unwrap();
    let x5c: Vec<String> = chain.iter().rev().map(|c| support::b64(c)).collect(); // root first: any order
    let merged = rig.call("POST", &format!("/certificates/mycert1/pending/merge?{API}"), Some(json!({"x5c": x5c})));
    assert_eq!(merged.status, 201);
    assert_eq!(merged.header("Location"), Some(format!("{VAULT}/certificates/mycert1?{API}").as_str()));
    let version = merged.body["id"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    assert_eq!(version.len(), 32);
    assert_eq!(merged.body["kid"], format!("{VAULT}/keys/mycert1/{version}"));
    assert_eq!(merged.body["sid"], format!("{VAULT}/secrets/mycert1/{version}"));
    assert_eq!(merged.body["cer"], support::b64(&chain[0]));
    assert_eq!(merged.body["pending"], json!({"id": format!("{VAULT}/certificates/mycert1/pending")}));
    assert_eq!(merged.body["attributes"]["enabled"], true);
    assert_eq!(merged.body["policy"]["id"], format!("{VAULT}/certificates/mycert1/policy"));
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &chain[0]);
    assert_eq!(merged.body["x5t"], base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref()));

    // Get pending after completion: target, no status_details.
    let got = rig.call("GET", &format!("/certificates/mycert1/pending?{API}"), None);
    assert_eq!(got.body["status"], "completed");
    assert_eq!(got.body["target"], format!("{VAULT}/certificates/mycert1"));
    assert!(got.body.get("status_details").is_none());

    // Get the certificate: latest (with and without a trailing slash) and by version.
    for target in [
        format!("/certificates/mycert1?{API}"),
        format!("/certificates/mycert1/?{API}"),
        format!("/certificates/mycert1/{version}?{API}"),
    ] {
        let got = rig.call("GET", &target, None);
        assert_eq!((got.status, got.body["cer"].clone()), (200, merged.body["cer"].clone()), "{target}");
    }

    // A provider failure, then get: failed with error; then an out-of-band merge.
    rig.create("mydigicert");
    let request_id = rig.current_request();
    rig.provider
        .fail(
            &mut rig.vault,
            &support::name("mycert1"),
            request_id,
            Failure::new(Failure::ISSUER_ERROR, "CA down"),
            support::now(),
        )
        .unwrap();
    let got = rig.call("GET", &format!("/certificates/mycert1/pending?{API}"), None);
    // A failed request keeps its in-progress details, and has no Retry-After.
    assert_eq!(
        (got.body["status"].as_str(), got.body["status_details"].as_str(), got.header("Retry-After")),
        (Some("failed"), Some(pending_certificate::ISSUER_STATUS_DETAILS), None)
    );
    assert_eq!(got.body["error"], json!({"code": "Certificate issuer error", "message": "CA down"}));
    let csr = rig.vault.pending(&support::name("mycert1"), None).unwrap().csr().clone();
    let chain = rig.provider.sign(&csr, "CN=MyCertSubject1", support::now()).unwrap();
    let merged = rig.call(
        "POST",
        &format!("/certificates/mycert1/pending/merge?{API}"),
        Some(json!({"x5c": chain.iter().map(|c| support::b64(c)).collect::<Vec<_>>()})),
    );
    assert_eq!(merged.status, 201);
}

#[test]
fn an_issuer_backed_request_completes_when_the_provider_issues() {
    let mut rig = Rig::new();
    rig.register_digicert();
    rig.create("mydigicert");
    let first = rig.current_request();
    // A late answer to a replaced request is refused and changes nothing.
    rig.call("DELETE", &format!("/certificates/mycert1/pending?{API}"), None);
    rig.create("mydigicert");
    let before = rig.vault.clone();
    let stale = rig.provider.issue(&mut rig.vault, &support::name("mycert1"), first, support::now(), &mut rig.ids);
    assert_eq!(stale.unwrap_err().code(), "Conflict");
    assert_eq!(rig.vault, before);
    let current = rig.current_request();
    rig.provider.issue(&mut rig.vault, &support::name("mycert1"), current, support::now(), &mut rig.ids).unwrap();
    let got = rig.call("GET", &format!("/certificates/mycert1/pending?{API}"), None);
    assert_eq!(got.body["status"], "completed");
}

#[test]
fn self_signed_requests_take_their_time_and_can_be_cancelled() {
    let mut rig = Rig::new();
    let created = rig.create("Self");
    assert_eq!((created.status, created.body["status"].as_str()), (202, Some("inProgress")));
    assert!(matches!(rig.effects.as_slice(), [Effect::SignSelf { .. }]));
    let got = rig.call("GET", &format!("/certificates/mycert1/pending?{API}"), None);
    assert_eq!((got.body["status"].as_str(), got.header("Retry-After")), (Some("inProgress"), Some("10")));
    // The embedder carries out `SignSelf` later.
    let name = support::name("mycert1");
    let request_id = rig.current_request();
    rig.vault.sign_self(&name, request_id, &mut rig.keys, support::now(), &mut rig.ids).unwrap();
    let got = rig.call("GET", &format!("/certificates/mycert1/pending?{API}"), None);
    assert_eq!(got.body["status"], "completed");
    let cert = rig.call("GET", &format!("/certificates/mycert1?{API}"), None);
    assert_eq!(cert.status, 200);
    assert!(cert.body["cer"].is_string());
    // The certificate is as the service makes one: ten minutes before now,
    // 12 calendar months; the policy is AutoRenew at 80 %.
    assert_eq!(cert.body["attributes"]["nbf"], support::now().unix_timestamp() - 600);
    assert_eq!(cert.body["attributes"]["exp"], 1_811_808_000);
    assert_eq!(cert.body["policy"]["lifetime_actions"][0]["action"]["action_type"], "AutoRenew");

    // Cancelled meanwhile: 200 still in progress, then cancelled; the
    // certificate stays a disabled placeholder.
    rig.create("Self");
    let patched = rig.call(
        "PATCH",
        &format!("/certificates/mycert1/pending?{API}"),
        Some(json!({"cancellation_requested": true})),
    );
    assert_eq!((patched.status, patched.body["status"].as_str()), (200, Some("inProgress")));
    assert!(matches!(rig.effects.last(), Some(Effect::CancelAtIssuer { .. })));
    let request_id = rig.current_request();
    rig.vault.cancelled(&name, request_id, support::now()).unwrap();
    let got = rig.call("GET", &format!("/certificates/mycert1/pending?{API}"), None);
    assert_eq!(got.body["status"], "cancelled");
    assert!(got.body.get("status_details").is_none());
    let cert = rig.call("GET", &format!("/certificates/mycert1?{API}"), None);
    assert_eq!((cert.body["attributes"]["enabled"].as_bool(), cert.body.get("cer")), (Some(false), None));

    // Every key type the policy may ask for.
    for key_props in [
        json!({"kty": "RSA", "key_size": 2048}),
        json!({"kty": "EC", "crv": "P-384"}),
        json!({"kty": "EC-HSM", "crv": "P-521"}),
    ] {
        let body =
            json!({"policy": {"x509_props": {"subject": "CN=k"}, "issuer": {"name": "Self"}, "key_props": key_props}});
        let created = rig.call("POST", &format!("/certificates/k1/create?{API}"), Some(body));
        assert_eq!(created.status, 202, "{key_props}");
        let k1 = support::name("k1");
        let request_id = rig.vault.pending(&k1, None).unwrap().request_id();
        rig.vault.sign_self(&k1, request_id, &mut rig.keys, support::now(), &mut rig.ids).unwrap();
        let got = rig.call("GET", &format!("/certificates/k1/pending?{API}"), None);
        assert_eq!(got.body["status"], "completed", "{key_props}");
    }
}

#[test]
fn get_certificate_while_only_pending_is_disabled_without_cer() {
    let mut rig = Rig::new();
    rig.create("Unknown");
    let got = rig.call("GET", &format!("/certificates/mycert1?{API}"), None);
    assert_eq!(got.status, 200);
    let now = support::now().unix_timestamp();
    let version = got.body["id"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    assert_eq!(got.body["id"], format!("{VAULT}/certificates/mycert1/{version}"));
    assert_eq!(
        got.body["attributes"],
        json!({"enabled": false, "nbf": now - 600, "exp": 1_811_808_000, "created": now, "updated": now,
            "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90})
    );
    for absent in ["cer", "kid", "sid", "x5t"] {
        assert!(got.body.get(absent).is_none(), "{absent}");
    }
    assert_eq!(got.body["pending"]["id"], format!("{VAULT}/certificates/mycert1/pending"));
    // The stored policy, with the service's defaults filled in.
    let mut policy = got.body["policy"].clone();
    assert_eq!(policy["attributes"], json!({"enabled": true, "created": now, "updated": now}));
    policy.as_object_mut().unwrap().remove("attributes");
    assert_eq!(
        policy,
        json!({"id": format!("{VAULT}/certificates/mycert1/policy"),
            "key_props": {"exportable": true, "kty": "EC", "key_size": 256, "reuse_key": false, "crv": "P-256"},
            "secret_props": {"contentType": "application/x-pkcs12"},
            "x509_props": {"subject": "CN=MyCertSubject1", "ekus": ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
                "key_usage": ["digitalSignature", "keyEncipherment"], "validity_months": 12, "basic_constraints": {"ca": false}},
            "lifetime_actions": [{"trigger": {"lifetime_percentage": 80}, "action": {"action_type": "EmailContacts"}}],
            "issuer": {"name": "Unknown"}})
    );
    // By version: only `id` and `attributes`.
    let by_version = rig.call("GET", &format!("/certificates/mycert1/{version}?{API}"), None);
    assert_eq!(by_version.body.as_object().unwrap().keys().collect::<Vec<_>>(), ["attributes", "id"]);
    assert_eq!(by_version.body["attributes"], got.body["attributes"]);
}

#[test]
fn the_create_policy_is_checked_in_the_services_order_and_words() {
    let mut rig = Rig::new();
    // The recorded request: every member wrong, the subject reported.
    rig.refused(
        "POST",
        &format!("/certificates/c1/create?{API}"),
        br#"{"policy":{"x509_props":{"subject":"Self","key_usage":["invalid"]},"issuer":{"name":"invalid"}}}"#,
        400,
        "BadParameter",
        "Property policy.x509_props has invalid value. Invalid X.500 distinguished name\r\n",
    );
    rig.refused(
        "POST",
        &format!("/certificates/c1/create?{API}"),
        br#"{"policy":{"x509_props":{"subject":"CN=x","key_usage":["invalid"]}}}"#,
        400,
        "BadParameter",
        "Property policy.x509_props.key_usage has invalid value. \"invalid\" is not a key usage; use digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, cRLSign, encipherOnly, decipherOnly",
    );
    // Key usages normalized and sorted.
    let body = json!({"policy": {"x509_props": {"subject": "CN=default", "key_usage":
        ["crlSign", "dataEncipherment", "digitalSignature", "keyEncipherment", "keyAgreement", "keyCertSign"]},
        "key_props": {"kty": "EC"}}});
    assert_eq!(rig.call("POST", &format!("/certificates/c1/create?{API}"), Some(body)).status, 202);
    let got = rig.call("GET", &format!("/certificates/c1?{API}"), None);
    assert_eq!(
        got.body["policy"]["x509_props"]["key_usage"],
        json!(["cRLSign", "dataEncipherment", "digitalSignature", "keyAgreement", "keyCertSign", "keyEncipherment"])
    );
}

#[test]
fn issuers_keep_the_account_and_the_organization_never_the_password() {
    let mut rig = Rig::new();
    let body = json!({"provider": "DigiCert", "credentials": {"account_id": "test", "pwd": "test"}, "org_details": {"id": "test"}});
    let set = rig.call("PUT", &format!("/certificates/issuers/digi?{API}"), Some(body));
    let now = support::now().unix_timestamp();
    let expected = json!({"id": format!("{VAULT}/certificates/issuers/digi"), "provider": "DigiCert",
        "credentials": {"account_id": "test"}, "org_details": {"id": "test", "zip": 0},
        "attributes": {"enabled": true, "created": now, "updated": now}});
    assert_eq!((set.status, &set.body), (200, &expected));
    assert_eq!(rig.call("GET", &format!("/certificates/issuers/digi?{API}"), None).body, expected);
    // PATCH changes what it gives and keeps the rest.
    let admin = json!({"admin_details": [{"first_name": "John", "last_name": "Doe", "email": "admin@example.com", "phone": "4255555555"}]});
    let patched = rig.call("PATCH", &format!("/certificates/issuers/digi?{API}"), Some(json!({"org_details": admin})));
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["credentials"], json!({"account_id": "test"}));
    assert_eq!(patched.body["org_details"], json!({"zip": 0, "admin_details": admin["admin_details"]}));
    assert_eq!(rig.call("DELETE", &format!("/certificates/issuers/digi?{API}"), None).body, patched.body);
}

#[test]
fn import_takes_a_pem_chain_and_its_key() {
    let mut rig = Rig::new();
    let holder = support::Holder::p256();
    let ca = support::Ca::p256("Import CA");
    let leaf = ca.sign("imported", &holder.key);
    let pem = |label: &str, der: &[u8]| {
        let b64 = support::b64(der);
        let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
    };
    let value = format!(
        "{}{}{}",
        pem("PRIVATE KEY", &holder.key.serialize_der()),
        pem("CERTIFICATE", &leaf),
        pem("CERTIFICATE", &ca.der)
    );
    let body = json!({"value": value, "policy": {"secret_props": {"contentType": "application/x-pem-file"}}});
    let imported = rig.call("POST", &format!("/certificates/imp1/import?{API}"), Some(body));
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert_eq!(imported.body["cer"], support::b64(&leaf));
    assert!(imported.body.get("pending").is_none());
    assert_eq!(rig.keys.len(), 1);

    // A key that is not the leaf's, PKCS#12, and garbage are refused.
    let other = support::Holder::p256();
    let value = format!("{}{}", pem("PRIVATE KEY", &other.key.serialize_der()), pem("CERTIFICATE", &leaf));
    let body = serde_json::to_vec(
        &json!({"value": value, "policy": {"secret_props": {"contentType": "application/x-pem-file"}}}),
    )
    .unwrap();
    let answer = rig.raw("POST", &format!("/certificates/imp2/import?{API}"), &body);
    assert_eq!(rig.keys.len(), 1, "the refused import's key was kept");
    assert_eq!(
        answer.error(),
        (400, "BadParameter", "Unable to parse X5c certificate chain and locate leaf certificate")
    );
    let before = rig.vault.clone();
    rig.refused("POST", &format!("/certificates/imp2/import?{API}"), br#"{"value":"MIIK"}"#, 400, "BadParameter",
        "The certificate to import is invalid: the PKCS#12 file cannot be read: ASN.1 DER message is incomplete: expected 4, actual 3 at DER byte 3");
    rig.refused(
        "POST",
        &format!("/certificates/imp2/import?{API}"),
        br#"{"value":"x","policy":{"secret_props":{"contentType":"text/plain"}}}"#,
        400,
        "BadParameter",
        "Property policy.secret_props.contentType has invalid value. \"text/plain\" is not supported; use application/x-pkcs12 or application/x-pem-file",
    );
    rig.refused(
        "POST",
        &format!("/certificates/imp2/import?{API}"),
        br#"{"value":"junk","policy":{"secret_props":{"contentType":"application/x-pem-file"}}}"#,
        400,
        "BadParameter",
        "The certificate to import is invalid: no CERTIFICATE block",
    );
    assert_eq!(rig.vault, before);
}

#[test]
fn issuers_are_registered_read_and_removed() {
    let mut rig = Rig::new();
    rig.refused(
        "POST",
        &format!("/certificates/mycert1/create?{API}"),
        br#"{"policy":{"x509_props":{"subject":"CN=x"},"issuer":{"name":"mydigicert"}}}"#,
        400,
        "BadParameter",
        "The issuer mydigicert is not registered in this key vault.",
    );
    rig.refused(
        "GET",
        &format!("/certificates/issuers/mydigicert?{API}"),
        b"",
        404,
        "CertificateIssuerNotFound",
        "Issuer not found",
    );
    rig.register_digicert();
    assert_eq!(rig.changed, Some(rest::Changed::Issuer(pending_certificate::IssuerName::new("mydigicert").unwrap())));
    let got = rig.call("GET", &format!("/certificates/issuers/mydigicert?{API}"), None);
    assert_eq!((got.status, got.body["provider"].as_str()), (200, Some("DigiCert")));
    let deleted = rig.call("DELETE", &format!("/certificates/issuers/mydigicert?{API}"), None);
    assert_eq!(deleted.status, 200);
    rig.refused(
        "DELETE",
        &format!("/certificates/issuers/mydigicert?{API}"),
        b"",
        404,
        "CertificateIssuerNotFound",
        "Issuer not found",
    );
    rig.refused(
        "PUT",
        &format!("/certificates/issuers/Self?{API}"),
        br#"{"provider":"x"}"#,
        400,
        "BadParameter",
        "The request body is invalid: Self is reserved and cannot be registered",
    );
    rig.refused(
        "PUT",
        &format!("/certificates/issuers/i2?{API}"),
        br#"{}"#,
        400,
        "BadParameter",
        "Property provider is required.",
    );
}

#[test]
fn malformed_requests_get_a_4xx_and_change_nothing() {
    let mut rig = Rig::new();
    rig.create("Unknown");
    let pending = format!("/certificates/mycert1/pending?{API}");
    let create = format!("/certificates/c2/create?{API}");
    let merge = format!("/certificates/mycert1/pending/merge?{API}");
    let cases: Vec<(&str, String, &[u8], u16, &str)> = vec![
        ("POST", create.clone(), b"{not json", 400, "BadParameter"),
        ("POST", create.clone(), b"", 400, "BadParameter"),
        ("POST", create.clone(), br#"{"policy":"nope"}"#, 400, "BadParameter"),
        (
            "POST",
            create.clone(),
            br#"{"policy":{"x509_props":{"subject":"CN=x"},"key_props":{"kty":"DSA"}}}"#,
            400,
            "BadParameter",
        ),
        (
            "POST",
            create.clone(),
            br#"{"policy":{"x509_props":{"subject":"CN=x"},"key_props":{"kty":"RSA","key_size":1024}}}"#,
            400,
            "BadParameter",
        ),
        (
            "POST",
            create.clone(),
            br#"{"policy":{"x509_props":{"subject":"CN=x"},"key_props":{"kty":"EC","crv":"P-256K"}}}"#,
            400,
            "BadParameter",
        ),
        ("POST", create.clone(), br#"{"policy":{}}"#, 400, "BadParameter"),
        (
            "POST",
            create.clone(),
            br#"{"policy":{"x509_props":{"subject":"CN=x"},"issuer":{"name":"a/b"}}}"#,
            400,
            "BadParameter",
        ),
        (
            "POST",
            create.clone(),
            br#"{"policy":{"x509_props":{"subject":"XX=x"},"issuer":{"name":"Unknown"}}}"#,
            400,
            "BadParameter",
        ),
        ("PATCH", pending.clone(), br#"{"cancellation_requested":"yes"}"#, 400, "BadParameter"),
        ("PATCH", pending.clone(), b"{}", 400, "BadParameter"),
        ("POST", merge.clone(), b"{}", 400, "BadParameter"),
        ("POST", merge.clone(), br#"{"x5c":[]}"#, 400, "BadParameter"),
        ("POST", merge.clone(), br#"{"x5c":["!!!"]}"#, 400, "BadParameter"),
        ("POST", merge.clone(), br#"{"x5c":"MIIB"}"#, 400, "BadParameter"),
        ("POST", merge.clone(), b"\xff\xfe", 400, "BadParameter"),
        ("GET", "/certificates/mycert1/pending".into(), b"", 400, "BadParameter"),
        ("GET", "/certificates/mycert1/pending?api-version=7.5&request_id=zz".into(), b"", 400, "BadParameter"),
        ("GET", format!("/certificates/my_cert/pending?{API}"), b"", 400, "BadParameter"),
        ("GET", format!("/certificates/{}/pending?{API}", "x".repeat(128)), b"", 400, "BadParameter"),
        ("GET", format!("/certificates/caf%C3%A9/pending?{API}"), b"", 400, "BadParameter"),
        ("GET", format!("/certificates/../pending?{API}"), b"", 400, "BadParameter"),
        ("GET", format!("/keys/nothing?{API}"), b"", 404, "KeyNotFound"),
        ("GET", format!("/keys/mycert1?{API}"), b"", 403, "Forbidden"),
        ("GET", format!("/keys?{API}"), b"", 404, "NotFound"),
        ("GET", format!("/certificates/mycert1/pending/merge/x?{API}"), b"", 404, "NotFound"),
        ("PUT", pending.clone(), b"", 405, "MethodNotAllowed"),
        ("GET", merge.clone(), b"", 405, "MethodNotAllowed"),
        ("POST", format!("/certificates/mycert1?{API}"), b"", 405, "MethodNotAllowed"),
        ("GET", format!("/certificates/mycert1/nothex?{API}"), b"", 404, "CertificateNotFound"),
    ];
    for (method, target, body, status, code) in cases {
        let before = rig.vault.clone();
        let answer = rig.raw(method, &target, body);
        assert_eq!(
            (answer.status, answer.body["error"]["code"].as_str()),
            (status, Some(code)),
            "{method} {target} {:?}",
            String::from_utf8_lossy(body)
        );
        assert!(answer.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(rig.vault, before, "{method} {target} changed the vault");
    }
    let answer = rig.raw("PUT", &pending, b"");
    assert_eq!(answer.header("Allow"), Some("GET, PATCH, DELETE"));
    // A merge without `x5c` and one with none are the same refusal, in the
    // service's words, not the generic required-member message.
    for body in [&b"{}"[..], br#"{"x5c":[]}"#] {
        let empty = "Property x5c has invalid value X5C must has at least one valid item";
        rig.refused("POST", &merge, body, 400, "BadParameter", empty);
    }
    let huge = vec![b' '; rest::MAX_BODY_LEN + 1];
    rig.refused(
        "POST",
        &merge,
        &huge,
        413,
        "RequestEntityTooLarge",
        "The request body has 1048577 bytes; at most 1048576 are allowed.",
    );
    // Each bound is itself taken: a body of exactly 1 MiB is read (and is
    // not JSON), a target of exactly 8 KiB answers.
    let answer = rig.raw("POST", &merge, &huge[1..]);
    assert_eq!((answer.status, answer.body["error"]["code"].as_str()), (400, Some("BadParameter")));
    // 8 KiB, as docs/limits.md gives it.
    let limit = 8 * 1024;
    assert_eq!(pending_certificate::limits::MAX_TARGET_LEN, limit);
    let mut long = format!("{pending}&padding=");
    long.push_str(&"a".repeat(limit - long.len()));
    assert_eq!(rig.raw("GET", &long, b"").status, 200);
    long.push('a');
    let answer = rig.raw("GET", &long, b"");
    assert_eq!(
        (answer.status, answer.body["error"]["code"].as_str()),
        (400, Some("BadParameter")),
        "{:?}",
        answer.body
    );
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("request path length"), "{:?}", answer.body);
}

#[test]
fn import_takes_a_password_protected_pkcs12() {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    let mut rig = Rig::new();
    let holder = support::Holder::p256();
    let ca = support::Ca::p256("PFX CA");
    let leaf = ca.sign("pfx", &holder.key);
    let chain = PrivateKeyChain::new(
        vec![1u8, 2, 3, 4],
        PrivateKey::from_der(&holder.key.serialize_der()).unwrap(),
        [Certificate::from_der(&leaf).unwrap(), Certificate::from_der(&ca.der).unwrap()],
    );
    let mut store = KeyStore::new();
    store.add_entry("pfx", KeyStoreEntry::PrivateKeyChain(chain));
    let pfx = store.writer("s3cret").write().unwrap();
    let body = json!({"value": support::b64(&pfx), "pwd": "s3cret", "policy": {"secret_props": {"contentType": "application/x-pkcs12"}}});
    let imported = rig.call("POST", &format!("/certificates/pfx1/import?{API}"), Some(body));
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert_eq!(imported.body["cer"], support::b64(&leaf));

    // The wrong password is a 400 and changes nothing.
    let body = serde_json::to_vec(&json!({"value": support::b64(&pfx), "pwd": "wrong"})).unwrap();
    let before = rig.vault.clone();
    let answer = rig.raw("POST", &format!("/certificates/pfx2/import?{API}"), &body);
    assert_eq!((answer.status, answer.body["error"]["code"].as_str()), (400, Some("BadParameter")));
    assert_eq!(rig.vault, before);
}

/// An embedder with its own store: each request says what it needs loaded,
/// whether it can write and whether deciding it is CPU-heavy, and deciding
/// over what was loaded answers as `handle` over a `Vault` does.
#[test]
fn a_request_names_what_it_needs_and_decides_over_what_was_loaded() {
    use pending_certificate::rest::{Loaded, Needs, Operation, Write};
    use pending_certificate::x5c::ChainValidation;
    use pending_certificate::{CertificateName, IssuerName, VaultSettings};
    let parse = |method: &str, target: &str, body: &Value| {
        let bytes = serde_json::to_vec(body).unwrap();
        Operation::parse(Request { method, target, body: &bytes }).unwrap()
    };
    let name = |n: &str| Some(CertificateName::new(n).unwrap());
    let issuer = |n: &str| Some(IssuerName::new(n).unwrap());
    let settings = VaultSettings::new(VaultUrl::new(VAULT).unwrap());
    let verified = VaultSettings {
        chain_options: pending_certificate::ChainOptions::at_level(ChainValidation::Verified),
        ..settings.clone()
    };
    let with_issuer = json!({"policy": {"key_props": {"kty": "EC"}, "issuer": {"name": "digi"}}});
    let cases = [
        (parse("POST", &format!("/certificates/c/create?{API}"), &with_issuer), name("c"), issuer("digi"), true, true),
        (parse("GET", &format!("/certificates/c/pending?{API}"), &Value::Null), name("c"), None, false, false),
        (parse("GET", &format!("/certificates/c?{API}"), &Value::Null), name("c"), None, false, false),
        (
            parse("PATCH", &format!("/certificates/c/pending?{API}"), &json!({"cancellation_requested": true})),
            name("c"),
            None,
            true,
            false,
        ),
        (parse("DELETE", &format!("/certificates/c/pending?{API}"), &Value::Null), name("c"), None, true, false),
        (parse("GET", &format!("/certificates/issuers/digi?{API}"), &Value::Null), None, issuer("digi"), false, false),
        (
            parse("PUT", &format!("/certificates/issuers/digi?{API}"), &json!({"provider": "DigiCert"})),
            None,
            issuer("digi"),
            true,
            false,
        ),
    ];
    for (operation, certificate, issuer, writes, heavy) in &cases {
        assert_eq!(
            operation.needs(),
            Needs { certificate: certificate.clone(), issuer: issuer.clone(), ..Needs::default() },
            "{operation:?}"
        );
        assert_eq!(operation.is_write(), *writes, "{operation:?}");
        assert_eq!(operation.is_cpu_heavy(&settings), *heavy, "{operation:?}");
    }
    // A merge verifies signatures only above the service's level.
    let merge = parse("POST", &format!("/certificates/c/pending/merge?{API}"), &json!({"x5c": ["AA=="]}));
    assert!(!merge.is_cpu_heavy(&settings) && merge.is_cpu_heavy(&verified));

    // Decided over what an embedder loaded: the same answer `handle` gives,
    // and the write carries the revision it was decided against.
    let mut rig = Rig::new();
    let manual = json!({"policy": {"key_props": {"kty": "EC"}, "x509_props": {"subject": "CN=c"}, "issuer": {"name": "Unknown"}}});
    assert_eq!(rig.call("POST", &format!("/certificates/c/create?{API}"), Some(manual)).status, 202);
    let (revision, aggregate) =
        rig.vault.load(&CertificateName::new("c").unwrap()).map(|(r, c)| (r, c.clone())).unwrap();
    let cancel = parse("PATCH", &format!("/certificates/c/pending?{API}"), &json!({"cancellation_requested": true}));
    let loaded = Loaded { certificate: Some((revision, aggregate)), ..Loaded::default() };
    let decision = cancel.decide(&settings, loaded, &mut MemoryKeyHolder::new(), &mut support::ids(), support::now());
    let expected =
        rig.call("PATCH", &format!("/certificates/c/pending?{API}"), Some(json!({"cancellation_requested": true})));
    assert_eq!(decision.response.status, expected.status);
    assert_eq!(serde_json::from_slice::<Value>(&decision.response.body).unwrap(), expected.body);
    match decision.writes.as_slice() {
        [Write::Certificate { expected, certificate }] => {
            assert_eq!(*expected, Some(revision));
            assert!(certificate.current_pending().unwrap().cancellation_requested());
        }
        other => panic!("{other:?}"),
    }
    // A refusal writes nothing.
    let missing = parse("GET", &format!("/certificates/absent/pending?{API}"), &Value::Null);
    let refused =
        missing.decide(&settings, Loaded::default(), &mut MemoryKeyHolder::new(), &mut support::ids(), support::now());
    assert_eq!((refused.response.status, refused.writes.len()), (404, 0));
}

/// An embedder whose write lost a race answers the service's 409: its words
/// for a racing delete of the pending object, and for any other write.
#[test]
fn a_lost_race_is_the_services_conflict_with_its_words_for_a_delete() {
    use pending_certificate::VaultSettings;
    use pending_certificate::rest::Operation;
    let settings = VaultSettings::new(VaultUrl::new(VAULT).unwrap());
    let parse = |method: &str, target: &str, body: &[u8]| {
        Operation::parse(Request { method, target: &format!("{target}?{API}"), body }).unwrap()
    };
    let pending = "https://mykeyvault.vault.azure.net/certificates/c/pending";
    let operations = [
        (parse("DELETE", "/certificates/c/pending", b""), "deleting the"),
        (parse("PATCH", "/certificates/c/pending", br#"{"cancellation_requested":true}"#), "updating"),
        (parse("POST", "/certificates/c/create", br#"{"policy":{"x509_props":{"subject":"CN=c"}}}"#), "updating"),
        (parse("DELETE", "/certificates/c", b""), "updating"),
    ];
    for (operation, words) in operations {
        let response = rest::conflict(&operation, &settings, &support::name("c"));
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!((response.status, body["error"]["code"].as_str()), (409, Some("Conflict")), "{operation:?}");
        let expected = format!(
            "There was a conflict while {words} pending certificate '{pending}'. This can happen when multiple operations are performed in parallel against the pending certificate. To avoid this error, perform operations against the pending certificate in a sequential manner."
        );
        assert_eq!(body["error"]["message"].as_str(), Some(expected.as_str()), "{operation:?}");
    }
}

/// The private keys a decision needs loaded: a secret's version's key, a
/// backup's every version's key, and none for anything else.
#[test]
fn a_secret_needs_its_versions_key_and_a_backup_every_versions_key() {
    use pending_certificate::rest::Operation;
    let mut rig = Rig::new();
    let mut keys = Vec::new();
    let mut versions = Vec::new();
    for _ in 0..2 {
        let body = json!({"policy": {"x509_props": {"subject": "CN=s"}, "issuer": {"name": "Self"}, "key_props": {"kty": "EC"}}});
        assert_eq!(rig.call("POST", &format!("/certificates/s/create?{API}"), Some(body)).status, 202);
        let request_id = rig.vault.pending(&support::name("s"), None).unwrap().request_id();
        let issued = rig.vault.sign_self(&support::name("s"), request_id, &mut rig.keys, support::now(), &mut rig.ids);
        let pending_certificate::Issued::Completed(version) = issued.unwrap() else { panic!("not signed") };
        let got = rig.vault.certificate(&support::name("s"), Some(version)).unwrap();
        keys.push(got.public_key().to_vec());
        versions.push(version.to_string());
    }
    assert_ne!(keys[0], keys[1]);
    let needed = |rig: &Rig, method: &str, target: &str| {
        let operation = Operation::parse(Request { method, target: &format!("{target}?{API}"), body: b"" }).unwrap();
        let loaded = rig.vault.loaded(&operation.needs());
        let mut needed = operation.keys_needed(&loaded);
        needed.sort();
        needed
    };
    assert_eq!(needed(&rig, "GET", "/secrets/s"), vec![keys[1].clone()]);
    assert_eq!(needed(&rig, "GET", &format!("/secrets/s/{}", versions[0])), vec![keys[0].clone()]);
    let mut both = keys.clone();
    both.sort();
    assert_eq!(needed(&rig, "POST", "/certificates/s/backup"), both);
    for (method, target) in [("GET", "/certificates/s"), ("GET", "/keys/s"), ("GET", "/secrets/absent")] {
        assert_eq!(needed(&rig, method, target), Vec::<Vec<u8>>::new(), "{method} {target}");
    }
}

/// `preserveCertOrder` given on a create is kept with the request and shown
/// on its pending object; not given, it is left out.
#[test]
fn preserve_cert_order_is_kept_with_the_request() {
    let mut rig = Rig::new();
    for (name, preserve) in [("kept", Some(true)), ("plain", None)] {
        let mut body = json!({"policy": {"x509_props": {"subject": "CN=p"}, "issuer": {"name": "Unknown"}, "key_props": {"kty": "EC"}}});
        if let Some(preserve) = preserve {
            body["preserveCertOrder"] = json!(preserve);
        }
        let created = rig.call("POST", &format!("/certificates/{name}/create?{API}"), Some(body));
        assert_eq!(created.status, 202);
        assert_eq!(created.body.get("preserveCertOrder"), preserve.map(|p| json!(p)).as_ref(), "{name}");
        let got = rig.call("GET", &format!("/certificates/{name}/pending?{API}"), None);
        assert_eq!(got.body.get("preserveCertOrder"), preserve.map(|p| json!(p)).as_ref(), "{name}");
        assert_eq!(rig.vault.pending(&support::name(name), None).unwrap().preserve_cert_order(), preserve.is_some());
    }
}

/// Every bound on a create's tags and policy is itself taken, and one more
/// is refused naming the bound: the tag count, a tag's name and value, a
/// policy string and a policy list.
#[test]
fn create_bounds_are_taken_at_the_bound_and_refused_beyond_it() {
    use pending_certificate::limits::{
        MAX_POLICY_LIST_LEN, MAX_POLICY_STRING_LEN, MAX_TAG_NAME_LEN, MAX_TAG_VALUE_LEN, MAX_TAGS,
    };
    let create = |tags: Value, dns: Vec<String>, cty: String| json!({"policy": {"key_props": {"kty": "EC"}, "x509_props": {"subject": "CN=b", "sans": {"dns_names": dns}}, "issuer": {"name": "Unknown", "cty": cty}}, "tags": tags});
    let tags = |count: usize, name_len: usize, value_len: usize| {
        let mut tags = serde_json::Map::new();
        for i in 0..count {
            let name = format!("{i:02}{}", "n".repeat(name_len.saturating_sub(2)));
            tags.insert(name, json!("v".repeat(value_len)));
        }
        Value::Object(tags)
    };
    let dns = |count: usize| (0..count).map(|i| format!("h{i}.example")).collect::<Vec<_>>();
    let cases = [
        ("tags", tags(MAX_TAGS, 2, 1), dns(1), String::new(), tags(MAX_TAGS + 1, 2, 1), MAX_TAGS),
        (
            "tag name length",
            tags(1, MAX_TAG_NAME_LEN, 1),
            dns(1),
            String::new(),
            tags(1, MAX_TAG_NAME_LEN + 1, 1),
            MAX_TAG_NAME_LEN,
        ),
        (
            "tag value length",
            tags(1, 2, MAX_TAG_VALUE_LEN),
            dns(1),
            String::new(),
            tags(1, 2, MAX_TAG_VALUE_LEN + 1),
            MAX_TAG_VALUE_LEN,
        ),
    ];
    let mut rig = Rig::new();
    for (n, (what, at, dns, cty, beyond, limit)) in cases.into_iter().enumerate() {
        let target = format!("/certificates/bound{n}/create?{API}");
        let taken = rig.call("POST", &target, Some(create(at, dns.clone(), cty.clone())));
        assert_eq!(taken.status, 202, "{what} at its bound: {}", taken.body);
        let target = format!("/certificates/over{n}/create?{API}");
        let body = serde_json::to_vec(&create(beyond, dns, cty)).unwrap();
        let message = format!("The request exceeds a limit: {what} (at most {limit}).");
        rig.refused("POST", &target, &body, 400, "BadParameter", &message);
    }
    let policy_cases = [
        (
            "list length",
            dns(MAX_POLICY_LIST_LEN),
            "c".to_owned(),
            dns(MAX_POLICY_LIST_LEN + 1),
            "c".to_owned(),
            MAX_POLICY_LIST_LEN,
        ),
        (
            "string length",
            dns(1),
            "c".repeat(MAX_POLICY_STRING_LEN),
            dns(1),
            "c".repeat(MAX_POLICY_STRING_LEN + 1),
            MAX_POLICY_STRING_LEN,
        ),
    ];
    for (n, (what, dns_at, cty_at, dns_beyond, cty_beyond, limit)) in policy_cases.into_iter().enumerate() {
        let target = format!("/certificates/policy{n}/create?{API}");
        let taken = rig.call("POST", &target, Some(create(json!({}), dns_at, cty_at)));
        assert_eq!(taken.status, 202, "{what} at its bound: {}", taken.body);
        let target = format!("/certificates/policyover{n}/create?{API}");
        let body = serde_json::to_vec(&create(json!({}), dns_beyond, cty_beyond)).unwrap();
        let message = format!("The request exceeds a limit: {what} (at most {limit}).");
        rig.refused("POST", &target, &body, 400, "BadParameter", &message);
    }
}

/// The contacts an embedder stores may be the list alone: reading or deleting
/// them answers the vault's own contacts id all the same, and a delete
/// writes the contacts away.
#[test]
fn contacts_answer_the_vaults_contacts_id_whatever_was_stored() {
    use pending_certificate::VaultSettings;
    use pending_certificate::rest::{Loaded, Operation, Write};
    use pending_certificate::wire::{Contact, Contacts};
    let settings = VaultSettings::new(VaultUrl::new(VAULT).unwrap());
    let stored = Contacts {
        id: None,
        contact_list: Some(vec![Contact { email: Some("a@example.com".into()), ..Contact::default() }]),
    };
    for method in ["GET", "DELETE"] {
        let operation =
            Operation::parse(Request { method, target: &format!("/certificates/contacts?{API}"), body: b"" }).unwrap();
        let loaded = Loaded { contacts: Some(stored.clone()), ..Loaded::default() };
        let decision =
            operation.decide(&settings, loaded, &mut MemoryKeyHolder::new(), &mut support::ids(), support::now());
        assert_eq!(decision.response.status, 200, "{method}");
        let body: Value = serde_json::from_slice(&decision.response.body).unwrap();
        assert_eq!(
            body,
            json!({"id": format!("{VAULT}/certificates/contacts"), "contacts": [{"email": "a@example.com"}]}),
            "{method}"
        );
        let deleted = matches!(decision.writes.as_slice(), [Write::Contacts(None)]);
        assert_eq!(deleted, method == "DELETE", "{method}: {:?}", decision.writes);
    }
}
