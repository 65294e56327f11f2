//! The stable-toolchain smoke of the fuzz targets: every file of each
//! target's committed corpus (`fuzz/corpus/<target>/`) goes through the same
//! target function `cargo fuzz` runs, on every CI run.
//!
//! `cargo test --test fuzz_corpus -- --ignored write_seed_corpus` writes the
//! seed files (real and malformed inputs) again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::PathBuf;

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target)
}

fn replay(target: &str, run: fn(&[u8])) {
    let dir = corpus(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        run(&data);
        count += 1;
    }
    assert!(count >= 5, "{target}: only {count} corpus files");
}

#[test]
fn x5c_corpus() {
    replay("x5c", targets::x5c);
}

#[test]
fn x5c_element_corpus() {
    replay("x5c_element", targets::x5c_element);
}

#[test]
fn csr_corpus() {
    replay("csr", targets::csr);
}

#[test]
fn wire_json_corpus() {
    replay("wire_json", targets::wire_json);
}

#[test]
fn rest_sequence_corpus() {
    replay("rest_sequence", targets::rest_sequence);
}

fn op(method: u8, name: u8, route: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len() as u16;
    let mut out = vec![method, name, route, (len >> 8) as u8, len as u8];
    out.extend_from_slice(body);
    out
}

#[test]
#[ignore = "writes the seed corpus; run by hand"]
fn write_seed_corpus() {
    let write = |target: &str, name: &str, data: &[u8]| {
        let dir = corpus(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), data).unwrap();
    };
    let ca = support::Ca::p256("Seed CA");
    let intermediate = ca.intermediate("Seed Intermediate", &rcgen::PKCS_ECDSA_P384_SHA384);
    let holder = support::Holder::p256();
    let leaf = intermediate.sign("seed", &holder.key);
    let rsa = support::Ca::root("Seed RSA", &rcgen::PKCS_RSA_SHA256);
    let join = |parts: &[&[u8]]| parts.join(&[0xFDu8][..]);
    write("x5c", "chain-3", &join(&[&leaf, &intermediate.der, &ca.der]));
    write("x5c", "chain-shuffled", &join(&[&ca.der, &leaf, &intermediate.der]));
    write("x5c", "rsa-root", &rsa.der);
    write("x5c", "truncated", &leaf[..leaf.len() / 2]);
    write("x5c", "indefinite", &[0x30, 0x80, 0x05, 0x00, 0x00, 0x00]);
    write("x5c", "base64", format!("{},{}", support::b64(&leaf), support::b64(&ca.der)).as_bytes());
    write("x5c", "empty", b"");

    write("csr", "p256", &holder.csr_der("CN=seed"));
    write("csr", "rsa", &support::Holder::with(&rcgen::PKCS_RSA_SHA256).csr_der("CN=seed"));
    write("csr", "ed25519", &support::Holder::with(&rcgen::PKCS_ED25519).csr_der("CN=seed"));
    let mut tampered = holder.csr_der("CN=seed");
    let last = tampered.len() - 2;
    tampered[last] ^= 1;
    write("csr", "bad-signature", &tampered);
    write("csr", "certificate-not-csr", &leaf);
    write("csr", "garbage", b"\x30\x03\x02\x01\x00");

    write("wire_json", "pending", br#"{"id":"https://v/certificates/c/pending","issuer":{"name":"Unknown"},"csr":"MIIB","cancellation_requested":false,"status":"InProgress","request_id":"a76827a18b63421c917da80f28e9913d"}"#);
    write("wire_json", "failed", br#"{"status":"failed","error":{"code":"Certificate issuer error","message":"m","innererror":{"code":"x","message":"y"}}}"#);
    write("wire_json", "create", br#"{"policy":{"key_props":{"kty":"RSA","key_size":2048},"x509_props":{"subject":"CN=a","sans":{"dns_names":["a"]}},"issuer":{"name":"Self"}},"tags":{"a":"b"},"preserveCertOrder":true}"#);
    write("wire_json", "merge", format!("{{\"x5c\":[\"{}\"]}}", support::b64(&leaf)).as_bytes());
    write("wire_json", "deep", "[".repeat(200).as_bytes());
    write("wire_json", "duplicate", br#"{"x5c":[],"x5c":[]}"#);
    write("wire_json", "aggregate", br#"{"format_version":1,"name":"c","versions":[],"pending":null}"#);

    let create =
        br#"{"policy":{"key_props":{"kty":"EC"},"x509_props":{"subject":"CN=c"},"issuer":{"name":"Unknown"}}}"#;
    let issuer =
        br#"{"policy":{"key_props":{"kty":"EC"},"x509_props":{"subject":"CN=c"},"issuer":{"name":"mydigicert"}}}"#;
    write(
        "rest_sequence",
        "create-get-cancel-delete",
        &[op(1, 0, 0, create), op(0, 0, 1, b""), op(2, 0, 1, br#"{"cancellation_requested":true}"#), op(3, 0, 1, b"")]
            .concat(),
    );
    write(
        "rest_sequence",
        "issuer-merge-forbidden",
        &[op(1, 1, 0, issuer), op(1, 1, 2, br#"{"x5c":["MIIB"]}"#), op(2, 1, 1, br#"{"cancellation_requested":true}"#)]
            .concat(),
    );
    write("rest_sequence", "bad-names", &[op(1, 2, 0, create), op(0, 2, 1, b""), op(1, 3, 4, b"")].concat());
    write(
        "rest_sequence",
        "garbage-bodies",
        &[op(1, 0, 0, b"{"), op(1, 0, 2, b"\xff"), op(2, 0, 1, b"[]"), op(4, 3, 4, br#"{"provider":1}"#)].concat(),
    );
    write(
        "rest_sequence",
        "double-create",
        &[op(1, 0, 0, create), op(1, 0, 0, create), op(0, 0, 6, b""), op(0, 0, 5, b"")].concat(),
    );
}
