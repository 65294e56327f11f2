//! The exchanges the official SDKs recorded with the live service
//! (`../shared/spec/live-service.md` lists the recordings), replayed against
//! the server: each answer has the recorded status, the recorded headers that
//! matter (`Location`, `Retry-After`) and the recorded body shape — its
//! members, in the service's order — with the recorded values where they are
//! not ids or times. Names are the recordings' own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use base64::Engine as _;
use common::{Answer, Ordered, Server, http};
use serde_json::{Value, json};

const API: &str = "api-version=7.4";
const SELF_DETAILS: &str = "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.";
const MANUAL_DETAILS: &str = "Pending certificate created. Please Perform Merge to complete the request.";
/// The policy most .NET recordings send.
const NET_POLICY: &str = r#"{"key_props":{"kty":"RSA","reuse_key":false,"exportable":true},"secret_props":{"contentType":"application/x-pkcs12"},"x509_props":{"subject":"CN=default","key_usage":["crlSign","dataEncipherment","digitalSignature","keyEncipherment","keyAgreement","keyCertSign"]},"issuer":{"name":"ISSUER","cert_transparency":false}}"#;

const OPERATION_IN_PROGRESS: &[&str] =
    &["id", "issuer", "csr", "cancellation_requested", "status", "status_details", "request_id"];
const OPERATION_COMPLETED: &[&str] =
    &["id", "issuer", "csr", "cancellation_requested", "status", "target", "request_id"];
const OPERATION_CANCELLED: &[&str] = &["id", "issuer", "csr", "cancellation_requested", "status", "request_id"];
const OPERATION_FAILED: &[&str] =
    &["id", "issuer", "csr", "cancellation_requested", "status", "status_details", "error", "request_id"];
const BUNDLE: &[&str] = &["id", "kid", "sid", "x5t", "cer", "attributes", "policy", "pending"];
const PLACEHOLDER: &[&str] = &["id", "attributes", "policy", "pending"];
const VERSION_ONLY: &[&str] = &["id", "attributes"];
const ATTRIBUTES: &[&str] = &["enabled", "nbf", "exp", "created", "updated", "recoveryLevel", "recoverableDays"];

struct Replay {
    server: Server,
}

impl Replay {
    /// `Self` signs after 3 s: long enough that a create and the request
    /// after it land while it is in progress even on a loaded machine.
    fn start(args: &[&str]) -> Self {
        let mut all = vec!["--insecure-http", "--admin", "--self-signed-delay", "3"];
        all.extend_from_slice(args);
        Self { server: Server::start(&all, None) }
    }

    fn url(&self) -> &str {
        &self.server.url
    }

    fn call(&self, method: &str, path: &str, body: Option<&str>) -> Answer {
        let target = if path.contains('?') { format!("{path}&{API}") } else { format!("{path}?{API}") };
        http(&self.server.address, method, &target, body.unwrap_or_default().as_bytes(), Some("recorded"))
    }

    fn create(&self, name: &str, issuer: &str) -> Answer {
        let body = format!(r#"{{"policy":{}}}"#, NET_POLICY.replace("ISSUER", issuer));
        self.call("POST", &format!("/certificates/{name}/create"), Some(&body))
    }

    /// Polls `…/pending` until its status is `status` (the recordings' SDKs
    /// poll; the server takes its time as the service does).
    fn until(&self, name: &str, status: &str) -> Answer {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let answer = self.call("GET", &format!("/certificates/{name}/pending"), None);
            if answer.json()["status"] == status {
                return answer;
            }
            assert!(std::time::Instant::now() < deadline, "{name} never became {status}: {}", answer.json());
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

/// The members of `path` (dotted) in an answer's body, in the order sent.
fn keys(answer: &Answer, path: &str) -> Vec<String> {
    let ordered = Ordered::parse(&answer.body);
    let mut at = &ordered;
    for member in path.split('.').filter(|m| !m.is_empty()) {
        at = at.get(member).unwrap_or(&Ordered::Other);
    }
    at.keys().into_iter().map(str::to_owned).collect()
}

#[track_caller]
fn shape(answer: &Answer, status: u16, members: &[&str], retry_after: bool) {
    let body = answer.json();
    assert_eq!(answer.status, status, "{body}");
    assert_eq!(keys(answer, ""), members, "{body}");
    assert_eq!(answer.header("retry-after").is_some(), retry_after, "Retry-After on {body}");
    if body.get("kid").is_some() || body.get("pending").is_some() || members == VERSION_ONLY {
        assert_eq!(keys(answer, "attributes"), ATTRIBUTES, "{body}");
    }
}

#[track_caller]
fn refusal(answer: &Answer, status: u16, code: &str, message: &str) {
    assert_eq!(answer.status, status);
    assert_eq!(answer.json(), json!({"error": {"code": code, "message": message}}));
    assert_eq!(answer.header("retry-after"), None);
}

fn version_of(id: &Value) -> String {
    id.as_str().unwrap().rsplit('/').next().unwrap().to_owned()
}

/// .NET `ValidateMergeCertificate`, Python `test_merge_certificate` and JS
/// `can merge a self signed certificate`: create (Unknown), merge, get.
#[test]
fn merge_as_recorded() {
    let replay = Replay::start(&[]);
    let url = replay.url().to_owned();
    // The elements as each SDK sent them: base64 of DER (.NET), of the base64
    // text (Python), of the base64 text and the END line (JavaScript).
    let engine = base64::engine::general_purpose::STANDARD;
    type Encode = fn(&[u8]) -> String;
    let forms: [(&str, Encode); 3] = [
        ("758667645", |der| base64::engine::general_purpose::STANDARD.encode(der)),
        ("livekvtestmergeCertificate1f2a3204", |der| {
            let text = base64::engine::general_purpose::STANDARD.encode(der);
            base64::engine::general_purpose::STANDARD.encode(text)
        }),
        ("mergeCertificateName-canmergeaselfsignedcertificate-", |der| {
            let text = base64::engine::general_purpose::STANDARD.encode(der);
            base64::engine::general_purpose::STANDARD.encode(format!("{text}-----END CERTIFICATE-----"))
        }),
    ];
    for (name, encode) in forms {
        let created = replay.create(name, "Unknown");
        shape(&created, 202, OPERATION_IN_PROGRESS, true);
        assert_eq!(created.header("retry-after"), Some("10"));
        let request_id = created.json()["request_id"].as_str().unwrap().to_owned();
        assert_eq!(
            created.header("location"),
            Some(format!("{url}/certificates/{name}/pending?{API}&request_id={request_id}").as_str())
        );
        assert_eq!(created.json()["status_details"], MANUAL_DETAILS);
        assert_eq!(created.json()["issuer"], json!({"name": "Unknown"}));
        // The placeholder, before the merge.
        let placeholder = replay.call("GET", &format!("/certificates/{name}/"), None);
        shape(&placeholder, 200, PLACEHOLDER, false);
        let placeholder_version = version_of(&placeholder.json()["id"]);

        let csr = created.json()["csr"].as_str().unwrap().to_owned();
        let chain =
            http(&replay.server.address, "POST", "/admin/sign", json!({"csr": csr}).to_string().as_bytes(), None);
        let chain: Vec<Vec<u8>> = chain.json()["x5c"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| engine.decode(c.as_str().unwrap()).unwrap())
            .collect();
        let x5c: Vec<String> = chain.iter().map(|c| encode(c)).collect();
        let merged =
            replay.call("POST", &format!("/certificates/{name}/pending/merge"), Some(&json!({"x5c": x5c}).to_string()));
        shape(&merged, 201, BUNDLE, false);
        assert_eq!(merged.header("location"), Some(format!("{url}/certificates/{name}?{API}").as_str()));
        let body = merged.json();
        assert_eq!(body["cer"], engine.encode(&chain[0]), "cer is the leaf's DER");
        assert_ne!(version_of(&body["id"]), placeholder_version, "the merged version is new");
        assert_eq!(body["attributes"]["enabled"], true);
        let completed = replay.call("GET", &format!("/certificates/{name}/pending"), None);
        shape(&completed, 200, OPERATION_COMPLETED, false);
        assert_eq!(completed.json()["target"], format!("{url}/certificates/{name}"));
        let got = replay.call("GET", &format!("/certificates/{name}"), None);
        assert_eq!(got.json(), body, "get certificate answers the merge's bundle");
    }
}

/// .NET `VerifyDeleteCertificateOperation` (Self and Unknown) and Java
/// `deleteCertificateOperation`: delete answers the operation as it was, then
/// get and a second delete are 404.
#[test]
fn delete_as_recorded() {
    let replay = Replay::start(&[]);
    for (name, issuer) in [("1748563409", "Self"), ("1507946280", "Unknown")] {
        let created = replay.create(name, issuer);
        shape(&created, 202, OPERATION_IN_PROGRESS, true);
        let deleted = replay.call("DELETE", &format!("/certificates/{name}/pending"), None);
        shape(&deleted, 200, OPERATION_IN_PROGRESS, false);
        assert_eq!(deleted.json(), created.json());
        let gone = replay.call("GET", &format!("/certificates/{name}/pending"), None);
        refusal(&gone, 404, "PendingCertificateNotFound", &format!("Pending certificate not found: {name}"));
    }
    // Java: a completed Self operation deleted twice.
    let name = "testcert52184f92889";
    replay.create(name, "Self");
    let completed = replay.until(name, "completed");
    shape(&completed, 200, OPERATION_COMPLETED, false);
    let deleted = replay.call("DELETE", &format!("/certificates/{name}/pending"), None);
    assert_eq!((deleted.status, deleted.json()), (200, completed.json()));
    let again = replay.call("DELETE", &format!("/certificates/{name}/pending"), None);
    refusal(&again, 404, "PendingCertificateNotFound", &format!("Pending Certificate not found: {name}"));
}

/// .NET `VerifyCancelCertificateOperation`, Java `cancelCertificateOperation`,
/// Python `request_cancellation_and_deletion` (Self) and Go
/// `TestOperationCRUD` (Unknown).
#[test]
fn cancel_as_recorded() {
    let replay = Replay::start(&[]);
    for name in ["838715502", "testcert130698a3d0e"] {
        replay.create(name, "Self");
        let patched =
            replay.call("PATCH", &format!("/certificates/{name}/pending"), Some(r#"{"cancellation_requested":true}"#));
        shape(&patched, 200, OPERATION_IN_PROGRESS, false);
        assert_eq!(
            (patched.json()["cancellation_requested"].as_bool(), patched.json()["status"].as_str()),
            (Some(true), Some("inProgress"))
        );
        assert_eq!(patched.json()["status_details"], SELF_DETAILS);
        let polled = replay.call("GET", &format!("/certificates/{name}/pending"), None);
        shape(&polled, 200, OPERATION_IN_PROGRESS, true);
        let cancelled = replay.until(name, "cancelled");
        shape(&cancelled, 200, OPERATION_CANCELLED, false);
        assert_eq!(cancelled.json()["cancellation_requested"], true);
        // The certificate stays a disabled placeholder, with `pending`.
        let certificate = replay.call("GET", &format!("/certificates/{name}/"), None);
        shape(&certificate, 200, PLACEHOLDER, false);
        assert_eq!(certificate.json()["attributes"]["enabled"], false);
    }
    let name = "2455761926";
    let body =
        r#"{"policy":{"issuer":{"cert_transparency":false,"name":"Unknown"},"x509_props":{"subject":"CN=MyCert"}}}"#;
    shape(&replay.call("POST", &format!("/certificates/{name}/create"), Some(body)), 202, OPERATION_IN_PROGRESS, true);
    let patched =
        replay.call("PATCH", &format!("/certificates/{name}/pending"), Some(r#"{"cancellation_requested":true}"#));
    shape(&patched, 200, OPERATION_IN_PROGRESS, false);
    let polled = replay.call("GET", &format!("/certificates/{name}/pending"), None);
    shape(&polled, 200, OPERATION_IN_PROGRESS, true);
    assert_eq!(polled.json(), patched.json());
    let deleted = replay.call("DELETE", &format!("/certificates/{name}/pending"), None);
    shape(&deleted, 200, OPERATION_IN_PROGRESS, false);
    assert_eq!(deleted.json(), patched.json());
}

/// .NET `VerifyCertificateGetWithPolicyInProgress`: the placeholder, its
/// attributes and the stored policy; by version, only `id` and `attributes`.
#[test]
fn the_placeholder_as_recorded() {
    let replay = Replay::start(&[]);
    let url = replay.url().to_owned();
    let name = "1993641359";
    replay.create(name, "Unknown");
    let got = replay.call("GET", &format!("/certificates/{name}"), None);
    shape(&got, 200, PLACEHOLDER, false);
    let body = got.json();
    let attributes = &body["attributes"];
    let created = attributes["created"].as_i64().unwrap();
    assert_eq!(attributes["enabled"], false);
    assert_eq!(attributes["nbf"].as_i64(), Some(created - 600));
    let exp = attributes["exp"].as_i64().unwrap();
    assert!((365 * 86400..=366 * 86400).contains(&(exp - created)), "exp is 12 calendar months after created");
    let mut policy = body["policy"].clone();
    assert_eq!(
        keys(&got, "policy"),
        ["id", "key_props", "secret_props", "x509_props", "lifetime_actions", "issuer", "attributes"]
    );
    assert_eq!(keys(&got, "policy.key_props"), ["exportable", "kty", "key_size", "reuse_key"]);
    assert_eq!(
        keys(&got, "policy.x509_props"),
        ["subject", "ekus", "key_usage", "validity_months", "basic_constraints"]
    );
    assert_eq!(keys(&got, "policy.attributes"), ["enabled", "created", "updated"]);
    policy.as_object_mut().unwrap().remove("attributes");
    assert_eq!(
        policy,
        json!({"id": format!("{url}/certificates/{name}/policy"),
            "key_props": {"exportable": true, "kty": "RSA", "key_size": 2048, "reuse_key": false},
            "secret_props": {"contentType": "application/x-pkcs12"},
            "x509_props": {"subject": "CN=default", "ekus": ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
                "key_usage": ["cRLSign", "dataEncipherment", "digitalSignature", "keyAgreement", "keyCertSign", "keyEncipherment"],
                "validity_months": 12, "basic_constraints": {"ca": false}},
            "lifetime_actions": [{"trigger": {"lifetime_percentage": 80}, "action": {"action_type": "EmailContacts"}}],
            "issuer": {"name": "Unknown", "cert_transparency": false}})
    );
    let version = version_of(&body["id"]);
    let by_version = replay.call("GET", &format!("/certificates/{name}/{version}"), None);
    shape(&by_version, 200, VERSION_ONLY, false);
    assert_eq!(by_version.json()["attributes"], body["attributes"]);
}

/// .NET `VerifyCertificateOperationError`: an issuer with credentials, a
/// request its provider rejects, and the failed operation.
#[test]
fn a_failed_request_as_recorded() {
    let replay = Replay::start(&["--provider-delay", "3600"]);
    let url = replay.url().to_owned();
    let issuer = "185641384";
    let put = replay.call(
        "PUT",
        &format!("/certificates/issuers/{issuer}"),
        Some(r#"{"provider":"DigiCert","credentials":{"account_id":"test","pwd":"test"},"org_details":{"id":"test"}}"#),
    );
    shape(&put, 200, &["id", "provider", "credentials", "org_details", "attributes"], false);
    assert_eq!(put.json()["credentials"], json!({"account_id": "test"}));
    assert_eq!(put.json()["org_details"], json!({"id": "test", "zip": 0}));
    assert_eq!(keys(&put, "attributes"), ["enabled", "created", "updated"]);
    assert_eq!(put.json()["id"], format!("{url}/certificates/issuers/{issuer}"));
    let name = "2028586055";
    let created = replay.create(name, issuer);
    shape(&created, 202, OPERATION_IN_PROGRESS, true);
    assert_eq!(
        (created.json()["issuer"].clone(), created.json()["status_details"].clone()),
        (json!({"name": issuer}), json!(SELF_DETAILS))
    );
    let message = "The call to DigiCert failed with Error code access_denied|access_denied_invalid_key and Message Access denied due to access_denied_invalid_key.. If you have any questions or concerns, please feel free to reach out to DigiCert for support at support@digicert.com or 1-801-701-9600.";
    let outcome = json!({"name": name, "outcome": "failed", "code": "Request rejected", "message": message});
    assert_eq!(
        http(&replay.server.address, "POST", "/admin/outcome", outcome.to_string().as_bytes(), None).status,
        200
    );
    let failed = replay.call("GET", &format!("/certificates/{name}/pending"), None);
    shape(&failed, 200, OPERATION_FAILED, false);
    assert_eq!(failed.json()["status_details"], SELF_DETAILS);
    assert_eq!(failed.json()["error"], json!({"code": "Request rejected", "message": message}));
    let deleted = replay.call("DELETE", &format!("/certificates/issuers/{issuer}"), None);
    assert_eq!((deleted.status, deleted.json()), (200, put.json()));
}

/// .NET `StartCreateCertificateError` and Java `mergeCertificateNotFound`.
#[test]
fn refusals_as_recorded() {
    let replay = Replay::start(&[]);
    let bad = r#"{"policy":{"x509_props":{"subject":"Self","key_usage":["invalid"]},"issuer":{"name":"invalid"}}}"#;
    let answer = replay.call("POST", "/certificates/1722446097/create", Some(bad));
    refusal(
        &answer,
        400,
        "BadParameter",
        "Property policy.x509_props has invalid value. Invalid X.500 distinguished name\r\n",
    );
    assert_eq!(answer.body.len(), 128, "the recorded Content-Length");
    let answer = replay.call("POST", "/certificates/testcert16992872/pending/merge", Some(r#"{"x5c":["MIIB"]}"#));
    refusal(&answer, 404, "PendingCertificateNotFound", "Pending Certificate not found: testcert16992872");
    let answer = replay.call("GET", "/certificates/issuers/livekvtestissuer8fbb310b", None);
    refusal(&answer, 404, "CertificateIssuerNotFound", "Issuer not found");
    // Every answer carries the service's headers.
    for (name, value) in pending_certificate::rest::COMMON_HEADERS {
        assert_eq!(answer.header(name), Some(value), "{name}");
    }
    assert!(answer.header("x-ms-request-id").is_some());
    assert_eq!(
        answer.header("x-ms-keyvault-network-info"),
        Some("conn_type=Ipv4;addr=127.0.0.1;act_addr_fam=InterNetwork;")
    );
}

/// Python `test_get_pending_certificate_signing_request` and
/// `test_crud_operations`: a `Self` request polled until it completes, and the
/// certificate it becomes.
#[test]
fn a_self_request_as_recorded() {
    let replay = Replay::start(&[]);
    let url = replay.url().to_owned();
    let name = "livekvtestunknownIssuerCertb9fa3c7f";
    let body = r#"{"policy":{"x509_props":{"subject":"CN=DefaultPolicy","sans":{}},"issuer":{"name":"Self"}}}"#;
    let created = replay.call("POST", &format!("/certificates/{name}/create"), Some(body));
    shape(&created, 202, OPERATION_IN_PROGRESS, true);
    let polled = replay.call("GET", &format!("/certificates/{name}/pending"), None);
    shape(&polled, 200, OPERATION_IN_PROGRESS, true);
    assert_eq!(polled.json()["csr"], created.json()["csr"]);
    let completed = replay.until(name, "completed");
    shape(&completed, 200, OPERATION_COMPLETED, false);
    assert_eq!(completed.json()["csr"], created.json()["csr"]);
    let certificate = replay.call("GET", &format!("/certificates/{name}/"), None);
    shape(&certificate, 200, BUNDLE, false);
    let body = certificate.json();
    let attributes = &body["attributes"];
    assert_eq!(attributes["nbf"].as_i64().unwrap(), attributes["created"].as_i64().unwrap() - 600);
    assert_eq!(body["policy"]["x509_props"]["sans"], json!({}));
    assert_eq!(body["policy"]["lifetime_actions"][0]["action"]["action_type"], "AutoRenew");
    assert_eq!(body["policy"]["issuer"], json!({"name": "Self"}));
    assert_eq!(body["pending"]["id"], format!("{url}/certificates/{name}/pending"));
    // The operation stays, completed.
    shape(&replay.call("GET", &format!("/certificates/{name}/pending"), None), 200, OPERATION_COMPLETED, false);
}
