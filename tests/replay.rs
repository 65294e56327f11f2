//! The replay tool answers each line with one JSON line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../examples/replay.rs"]
mod replay;

use serde_json::{Value, json};

fn answer(replay: &mut replay::Replay, line: Value) -> Value {
    serde_json::from_str(&replay.answer(&line.to_string())).unwrap()
}

#[test]
fn replay_scripts_requests_and_issuer_outcomes() {
    let mut r = replay::Replay::new("https://myvault.vault.azure.net").unwrap();
    let put = json!({"method":"PUT","path":"/certificates/issuers/mydigicert?api-version=7.5","body":{"provider":"DigiCert"}});
    assert_eq!(answer(&mut r, put)["status"], 200);
    let create = json!({"method":"POST","path":"/certificates/c1/create?api-version=7.5",
        "body":{"policy":{"x509_props":{"subject":"CN=c1"},"issuer":{"name":"mydigicert"},"key_props":{"kty":"EC"}}}});
    let created = answer(&mut r, create);
    assert_eq!(created["status"], 202);
    assert_eq!(created["headers"]["Retry-After"], "10");
    let id = created["body"]["request_id"].as_str().unwrap().to_owned();
    assert!(
        created["headers"]["Location"]
            .as_str()
            .unwrap()
            .starts_with("https://myvault.vault.azure.net/certificates/c1/pending?api-version=7.5&request_id=")
    );

    // A stale request id is refused and changes nothing.
    let stale = answer(
        &mut r,
        json!({"issuer_outcome":{"name":"c1","request_id":"0123456789abcdef0123456789abcdef","outcome":"issued"}}),
    );
    assert_eq!((stale["status"].clone(), stale["body"]["error"]["code"].clone()), (json!(409), json!("Conflict")));
    let issued = answer(&mut r, json!({"issuer_outcome":{"name":"c1","request_id":id,"outcome":"issued"}}));
    assert_eq!((issued["status"].clone(), issued["body"]["status"].clone()), (json!(200), json!("completed")));

    let got = answer(&mut r, json!({"method":"GET","path":"/certificates/c1?api-version=7.5"}));
    assert_eq!(got["status"], 200);
    assert!(got["body"]["cer"].is_string());

    let raw = answer(
        &mut r,
        json!({"method":"POST","path":"/certificates/c1/pending/merge?api-version=7.5","raw_body":"{oops"}),
    );
    assert_eq!((raw["status"].clone(), raw["body"]["error"]["code"].clone()), (json!(400), json!("BadParameter")));
    let text = r.answer("not json at all");
    assert!(text.starts_with("{\"status\":400,"), "{text}");
}

#[test]
fn replay_signs_self_requests_on_issued_and_takes_a_validation_level() {
    let mut r = replay::Replay::new("https://myvault.vault.azure.net").unwrap();
    let create = json!({"method":"POST","path":"/certificates/s1/create?api-version=7.5",
        "body":{"policy":{"x509_props":{"subject":"CN=s1"},"issuer":{"name":"Self"},"key_props":{"kty":"EC"}}}});
    assert_eq!(answer(&mut r, create)["body"]["status"], "inProgress");
    let signed = answer(&mut r, json!({"issuer_outcome":{"name":"s1","outcome":"issued"}}));
    assert_eq!((signed["status"].clone(), signed["body"]["status"].clone()), (json!(200), json!("completed")));

    // A leaf without an authorityKeyIdentifier: the service's level merges
    // it, the strict one refuses it.
    let ca = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Replay CA");
    let ca_cert = ca_params.self_signed(&ca).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca);
    for (level, status) in [
        (pending_certificate::x5c::ChainValidation::Service, 201),
        (pending_certificate::x5c::ChainValidation::Strict, 400),
    ] {
        let options = pending_certificate::ChainOptions::at_level(level);
        let mut r = replay::Replay::with_chain_options("https://myvault.vault.azure.net", options).unwrap();
        let create = json!({"method":"POST","path":"/certificates/m1/create?api-version=7.5",
            "body":{"policy":{"x509_props":{"subject":"CN=m1"},"key_props":{"kty":"EC"}}}});
        let created = answer(&mut r, create);
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::STANDARD;
        let csr = pending_certificate::Csr::from_der(&engine.decode(created["body"]["csr"].as_str().unwrap()).unwrap())
            .unwrap();
        let key = pending_certificate::memory::SpkiKey::from_spki(csr.public_key()).unwrap();
        let leaf =
            rcgen::CertificateParams::new(vec!["m1.example".to_owned()]).unwrap().signed_by(&key, &issuer).unwrap();
        let merge = json!({"method":"POST","path":"/certificates/m1/pending/merge?api-version=7.5",
            "body":{"x5c":[engine.encode(leaf.der()), engine.encode(ca_cert.der())]}});
        assert_eq!(answer(&mut r, merge)["status"], status, "{level}");
    }
}
