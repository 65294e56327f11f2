//! The server over real HTTPS: the SDK's auth challenge, every route, the
//! simulated provider, and a restart from `--data-dir` after `kill -9`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::PathBuf;

use base64::Engine as _;
use common::{Answer, Server, http, https};
use serde_json::json;

const API: &str = "api-version=2026-04-01";

fn scratch(label: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A CA and a `localhost` certificate it issued, as PEM files.
fn tls_files(dir: &std::path::Path) -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, "Test TLS CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let (ca_path, cert_path, key_path) = (dir.join("ca.pem"), dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&ca_path, ca_cert.pem()).unwrap();
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let s = |p: PathBuf| p.to_str().unwrap().to_owned();
    (s(ca_path), s(cert_path), s(key_path))
}

struct Tls {
    server: Server,
    ca: String,
}

impl Tls {
    fn start(label: &str, extra: &[&str]) -> Self {
        let dir = scratch(label);
        let (ca, cert, key) = tls_files(&dir);
        let mut args = vec!["--tls-cert", &cert, "--tls-key", &key, "--admin"];
        args.extend_from_slice(extra);
        Self { server: Server::start(&args, None), ca }
    }

    fn call(&self, method: &str, target: &str, body: Option<serde_json::Value>) -> Answer {
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap()).unwrap_or_default();
        https(&self.server.address, &self.ca, method, target, &bytes, Some("any-token"))
    }
}

#[test]
fn a_request_without_a_bearer_token_gets_the_challenge_before_its_body_is_read() {
    let tls = Tls::start("challenge", &["--tenant", "72f988bf-86f1-41af-91ab-2d7cd011db47", "--token", "secret"]);
    let probe = https(&tls.server.address, &tls.ca, "POST", &format!("/certificates/c1/create?{API}"), b"", None);
    assert_eq!(probe.status, 401);
    assert_eq!(
        probe.header("www-authenticate"),
        Some(
            "Bearer authorization=\"https://login.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47\", resource=\"https://vault.azure.net\""
        )
    );
    let wrong = https(&tls.server.address, &tls.ca, "GET", &format!("/certificates/c1?{API}"), b"", Some("other"));
    assert_eq!(wrong.status, 401);
    let right = https(&tls.server.address, &tls.ca, "GET", &format!("/certificates/c1?{API}"), b"", Some("secret"));
    assert_eq!(right.status, 404);
    let health = https(&tls.server.address, &tls.ca, "GET", "/health", b"", None);
    assert_eq!((health.status, health.json()["status"].as_str()), (200, Some("ok")));
}

#[test]
fn every_route_answers_over_https() {
    let tls = Tls::start("routes", &["--provider-delay", "3600"]);
    let url = &tls.server.url;
    // Issuers.
    let put =
        tls.call("PUT", &format!("/certificates/issuers/mydigicert?{API}"), Some(json!({"provider": "DigiCert"})));
    assert_eq!((put.status, put.json()["id"].clone()), (200, json!(format!("{url}/certificates/issuers/mydigicert"))));
    assert_eq!(tls.call("GET", &format!("/certificates/issuers/mydigicert?{API}"), None).status, 200);
    // Create (manual), get, cancel, delete.
    let policy = json!({"policy": {"key_props": {"kty": "EC", "crv": "P-256"}, "x509_props": {"subject": "CN=c1"}, "issuer": {"name": "Unknown"}}});
    let created = tls.call("POST", &format!("/certificates/c1/create?{API}"), Some(policy.clone()));
    assert_eq!(created.status, 202);
    let id = created.json()["request_id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("{url}/certificates/c1/pending?{API}&request_id={id}").as_str())
    );
    assert_eq!(created.header("retry-after"), Some("10"));
    let got = tls.call("GET", &format!("/certificates/c1/pending?{API}&request_id={id}"), None);
    assert_eq!((got.status, got.header("retry-after")), (200, Some("10")));
    assert_eq!(got.json()["id"], format!("{url}/certificates/c1/pending"));
    // A manual request stays in progress when cancellation is asked, as the
    // service's does; no Retry-After on the PATCH answer.
    let cancelled =
        tls.call("PATCH", &format!("/certificates/c1/pending?{API}"), Some(json!({"cancellation_requested": true})));
    assert_eq!(
        (cancelled.status, cancelled.json()["status"].as_str(), cancelled.json()["cancellation_requested"].as_bool()),
        (200, Some("inProgress"), Some(true))
    );
    assert_eq!(cancelled.header("retry-after"), None);
    // The service's headers, and a fresh request id on every answer.
    for (name, value) in pending_certificate::rest::COMMON_HEADERS {
        assert_eq!(cancelled.header(name), Some(value), "{name}");
    }
    let request_id = cancelled.header("x-ms-request-id").unwrap().to_owned();
    assert_eq!((request_id.len(), request_id.matches('-').count()), (36, 4), "{request_id}");
    assert_ne!(got.header("x-ms-request-id"), Some(request_id.as_str()));
    assert_eq!(tls.call("DELETE", &format!("/certificates/c1/pending?{API}"), None).status, 200);
    assert_eq!(tls.call("GET", &format!("/certificates/c1/pending?{API}"), None).status, 404);
    // Create again and merge a chain the simulated CA issues for the CSR's key.
    let created = tls.call("POST", &format!("/certificates/c1/create?{API}"), Some(policy));
    let csr = created.json()["csr"].as_str().unwrap().to_owned();
    let signed = tls.call("POST", "/admin/sign", Some(json!({"csr": csr})));
    let merged =
        tls.call("POST", &format!("/certificates/c1/pending/merge?{API}"), Some(json!({"x5c": signed.json()["x5c"]})));
    assert_eq!(merged.status, 201);
    assert_eq!(merged.header("location"), Some(format!("{url}/certificates/c1?{API}").as_str()));
    let version_id = merged.json()["id"].as_str().unwrap().to_owned();
    assert!(version_id.starts_with(&format!("{url}/certificates/c1/")));
    let version = version_id.rsplit('/').next().unwrap().to_owned();
    // Get the certificate: latest (also with the SDK's trailing slash) and by version.
    for target in [
        format!("/certificates/c1?{API}"),
        format!("/certificates/c1/?{API}"),
        format!("/certificates/c1/{version}?{API}"),
    ] {
        let got = tls.call("GET", &target, None);
        assert_eq!((got.status, got.json()["cer"].clone()), (200, merged.json()["cer"].clone()), "{target}");
        assert!(got.json()["attributes"]["created"].is_i64());
    }
    // Import (PEM).
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["imported.example".to_owned()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let value = format!("{}{}", key.serialize_pem(), cert.pem());
    let imported = tls.call(
        "POST",
        &format!("/certificates/imp/import?{API}"),
        Some(json!({"value": value, "policy": {"secret_props": {"contentType": "application/x-pem-file"}}})),
    );
    assert_eq!(imported.status, 200, "{}", imported.json());
    assert_eq!(
        base64::engine::general_purpose::STANDARD.decode(imported.json()["cer"].as_str().unwrap()).unwrap(),
        cert.der().to_vec()
    );
    // Refusals over the wire.
    let not_found = tls.call("GET", &format!("/certificates/nope/pending?{API}"), None);
    assert_eq!(
        (not_found.status, not_found.json()["error"]["code"].as_str()),
        (404, Some("PendingCertificateNotFound"))
    );
    assert_eq!(tls.call("GET", &format!("/keys/x?{API}"), None).status, 404);
    assert_eq!(tls.call("PUT", &format!("/certificates/c1/pending?{API}"), None).status, 405);
    let huge = vec![b' '; 1024 * 1024 + 1];
    let too_large =
        https(&tls.server.address, &tls.ca, "POST", &format!("/certificates/c1/pending/merge?{API}"), &huge, Some("t"));
    assert_eq!(too_large.status, 413);
    assert_eq!(tls.call("DELETE", &format!("/certificates/issuers/mydigicert?{API}"), None).status, 200);
}

#[test]
fn the_simulated_provider_issues_after_its_delay_or_honours_a_cancellation() {
    let server = Server::start(&["--insecure-http", "--provider-delay", "0.3"], None);
    let call = |method: &str, target: String, body: serde_json::Value| {
        http(&server.address, method, &target, &serde_json::to_vec(&body).unwrap(), Some("t"))
    };
    assert_eq!(call("PUT", format!("/certificates/issuers/ca?{API}"), json!({"provider": "Test"})).status, 200);
    let policy =
        json!({"policy": {"key_props": {"kty": "EC"}, "x509_props": {"subject": "CN=p"}, "issuer": {"name": "ca"}}});
    assert_eq!(call("POST", format!("/certificates/p1/create?{API}"), policy.clone()).status, 202);
    assert_eq!(call("POST", format!("/certificates/p2/create?{API}"), policy).status, 202);
    assert_eq!(
        call("PATCH", format!("/certificates/p2/pending?{API}"), json!({"cancellation_requested": true})).status,
        200
    );
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let p1 = http(&server.address, "GET", &format!("/certificates/p1/pending?{API}"), b"", Some("t")).json();
    let p2 = http(&server.address, "GET", &format!("/certificates/p2/pending?{API}"), b"", Some("t")).json();
    assert_eq!((p1["status"].as_str(), p2["status"].as_str()), (Some("completed"), Some("cancelled")));
}

#[test]
fn self_requests_take_their_time_and_can_be_cancelled_meanwhile() {
    let server = Server::start(&["--insecure-http", "--self-signed-delay", "0.5"], None);
    let call = |method: &str, target: String, body: serde_json::Value| {
        http(&server.address, method, &target, &serde_json::to_vec(&body).unwrap(), Some("t"))
    };
    let policy =
        json!({"policy": {"key_props": {"kty": "EC"}, "x509_props": {"subject": "CN=s"}, "issuer": {"name": "Self"}}});
    assert_eq!(call("POST", format!("/certificates/s1/create?{API}"), policy.clone()).status, 202);
    assert_eq!(call("POST", format!("/certificates/s2/create?{API}"), policy).status, 202);
    let polled = http(&server.address, "GET", &format!("/certificates/s1/pending?{API}"), b"", Some("t"));
    assert_eq!(polled.json()["status"], "inProgress");
    let patched = call("PATCH", format!("/certificates/s2/pending?{API}"), json!({"cancellation_requested": true}));
    assert_eq!((patched.status, patched.json()["status"].as_str()), (200, Some("inProgress")));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let s1 = http(&server.address, "GET", &format!("/certificates/s1/pending?{API}"), b"", Some("t")).json();
    let s2 = http(&server.address, "GET", &format!("/certificates/s2/pending?{API}"), b"", Some("t")).json();
    assert_eq!((s1["status"].as_str(), s2["status"].as_str()), (Some("completed"), Some("cancelled")));
    let certificate = http(&server.address, "GET", &format!("/certificates/s1?{API}"), b"", Some("t")).json();
    assert!(certificate["cer"].is_string() && certificate["attributes"]["enabled"] == true, "{certificate}");
    let placeholder = http(&server.address, "GET", &format!("/certificates/s2?{API}"), b"", Some("t")).json();
    assert_eq!((placeholder["attributes"]["enabled"].as_bool(), placeholder.get("cer")), (Some(false), None));
}

#[test]
fn the_client_request_id_is_echoed_when_asked_for() {
    let server = Server::start(&["--insecure-http"], None);
    let raw = |extra: &str| {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&server.address).unwrap();
        let request = format!(
            "GET /certificates/none/pending?{API} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer t\r\nx-ms-client-request-id: abc-123\r\n{extra}\r\n"
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer.to_ascii_lowercase()
    };
    assert!(raw("x-ms-return-client-request-id: true\r\n").contains("x-ms-client-request-id: abc-123"));
    assert!(!raw("").contains("x-ms-client-request-id"));
}

#[test]
fn a_restart_from_the_data_dir_serves_the_same_state_after_kill_9() {
    let dir = scratch("restart");
    let data = dir.join("data");
    let get_all = |server: &Server| -> Vec<(u16, serde_json::Value)> {
        ["/certificates/m1/pending", "/certificates/m1", "/certificates/w1/pending", "/certificates/issuers/ca"]
            .iter()
            .map(|path| {
                let answer = http(&server.address, "GET", &format!("{path}?{API}"), b"", Some("t"));
                (answer.status, answer.json())
            })
            .collect()
    };
    let server = Server::start(&["--insecure-http", "--admin", "--provider-delay", "3600"], Some(&data));
    let call = |method: &str, target: String, body: serde_json::Value| {
        http(&server.address, method, &target, &serde_json::to_vec(&body).unwrap(), Some("t"))
    };
    assert_eq!(call("PUT", format!("/certificates/issuers/ca?{API}"), json!({"provider": "Test"})).status, 200);
    let manual = json!({"policy": {"key_props": {"kty": "EC"}, "x509_props": {"subject": "CN=m"}, "issuer": {"name": "Unknown"}}});
    let created = call("POST", format!("/certificates/m1/create?{API}"), manual);
    let signed = call("POST", "/admin/sign".into(), json!({"csr": created.json()["csr"]}));
    assert_eq!(
        call("POST", format!("/certificates/m1/pending/merge?{API}"), json!({"x5c": signed.json()["x5c"]})).status,
        201
    );
    let waiting =
        json!({"policy": {"key_props": {"kty": "EC"}, "x509_props": {"subject": "CN=w"}, "issuer": {"name": "ca"}}});
    assert_eq!(call("POST", format!("/certificates/w1/create?{API}"), waiting).status, 202);
    assert_eq!(
        call("PATCH", format!("/certificates/w1/pending?{API}"), json!({"cancellation_requested": true})).status,
        200
    );
    let before = get_all(&server);
    assert_eq!(before[0].1["status"], "completed");
    server.kill();

    let restarted = Server::start(&["--insecure-http", "--admin", "--provider-delay", "3600"], Some(&data));
    let after = get_all(&restarted);
    // Identifiers carry the new port; everything else is the same.
    let strip = |v: &Vec<(u16, serde_json::Value)>, url: &str| serde_json::to_string(v).unwrap().replace(url, "URL");
    assert_eq!(strip(&after, &restarted.url), strip(&before, &format!("http://{}", before_address(&before))));
    // The waiting request still answers to the provider.
    let outcome = http(&restarted.address, "POST", "/admin/outcome", br#"{"name":"w1","outcome":"cancelled"}"#, None);
    assert_eq!(outcome.status, 200);
}

/// The `host:port` that the identifiers of `before` carry.
fn before_address(before: &[(u16, serde_json::Value)]) -> String {
    let id = before[0].1["id"].as_str().unwrap();
    id.trim_start_matches("http://").split('/').next().unwrap().to_owned()
}

#[test]
fn with_no_certificate_given_one_is_made_for_localhost_and_kept() {
    let dir = scratch("generated");
    let server = Server::start(&[], Some(&dir));
    let certificate = server.certificate.clone().unwrap();
    assert!(certificate.starts_with(dir.to_str().unwrap()), "{certificate}");
    let health = https(&server.address, &certificate, "GET", "/health", b"", None);
    assert_eq!(health.status, 200);
    drop(server);
    // A second start reuses it.
    let again = Server::start(&[], Some(&dir));
    assert_eq!(again.certificate.as_deref(), Some(certificate.as_str()));
}

#[test]
fn sigterm_shuts_the_server_down_gracefully() {
    let server = Server::start(&["--insecure-http"], None);
    assert_eq!(http(&server.address, "GET", "/health", b"", None).status, 200);
    assert!(server.terminate(10), "the server did not exit cleanly on SIGTERM");
}

#[test]
fn an_rcgen_chain_without_key_identifiers_merges_at_the_service_and_verified_levels() {
    let dir = scratch("rcgen-chain");
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "rcgen CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let anchors = dir.join("anchors.pem");
    std::fs::write(&anchors, ca_cert.pem()).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    for extra in [vec![], vec!["--chain-validation", "verified", "--trust-anchors", anchors.to_str().unwrap()]] {
        let tls = Tls::start("rcgen-merge", &extra);
        let policy = json!({"policy": {"key_props": {"kty": "EC"}, "x509_props": {"subject": "CN=r"}, "issuer": {"name": "Unknown"}}});
        let created = tls.call("POST", &format!("/certificates/r1/create?{API}"), Some(policy));
        let csr = base64::engine::general_purpose::STANDARD.decode(created.json()["csr"].as_str().unwrap()).unwrap();
        let csr = pending_certificate::Csr::from_der(&csr).unwrap();
        let key = pending_certificate::memory::SpkiKey::from_spki(csr.public_key()).unwrap();
        let mut leaf = rcgen::CertificateParams::new(vec!["r.example".to_owned()]).unwrap();
        leaf.use_authority_key_identifier_extension = false;
        let leaf = leaf.signed_by(&key, &issuer).unwrap();
        let x5c = vec![
            base64::engine::general_purpose::STANDARD.encode(leaf.der()),
            base64::engine::general_purpose::STANDARD.encode(ca_cert.der()),
        ];
        let merged = tls.call("POST", &format!("/certificates/r1/pending/merge?{API}"), Some(json!({"x5c": x5c})));
        assert_eq!(merged.status, 201, "{extra:?}: {}", merged.json());
        // A chain for another key is refused at every level.
        let created = tls.call(
            "POST",
            &format!("/certificates/r2/create?{API}"),
            Some(json!({"policy": {"key_props": {"kty": "EC"}, "x509_props": {"subject": "CN=r"}}})),
        );
        assert_eq!(created.status, 202);
        let merged = tls.call("POST", &format!("/certificates/r2/pending/merge?{API}"), Some(json!({"x5c": x5c})));
        assert_eq!(
            (merged.status, merged.json()["error"]["message"].as_str()),
            (400, Some("Unable to parse X5c certificate chain and locate leaf certificate")),
            "{extra:?}"
        );
    }
}

#[test]
fn trust_anchors_need_a_checking_level_and_a_readable_file() {
    let dir = scratch("anchors-flags");
    let garbage = dir.join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pending-certificate-server"))
            .args(["--listen", "127.0.0.1:0", "--insecure-http"])
            .args(args)
            .output()
            .unwrap()
    };
    let refused = run(&["--trust-anchors", garbage.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("--trust-anchors needs --chain-validation verified or strict")
    );
    let refused = run(&["--chain-validation", "verified", "--trust-anchors", garbage.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no CERTIFICATE block"), "{refused:?}");
    let refused = run(&["--chain-validation", "lenient"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a chain validation level"), "{refused:?}");
}
