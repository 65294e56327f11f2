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

#[test]
fn policy_corpus() {
    replay("policy", targets::policy);
}

#[test]
fn backup_corpus() {
    replay("backup", targets::backup);
}

#[test]
fn import_corpus() {
    replay("import", targets::import);
}

#[test]
fn paging_corpus() {
    replay("paging", targets::paging);
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
    use base64::Engine as _;
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
    let selfsigned =
        br#"{"policy":{"key_props":{"kty":"EC"},"x509_props":{"subject":"CN=c"},"issuer":{"name":"Self"}}}"#;
    const GET: u8 = 0;
    const POST: u8 = 1;
    const PATCH: u8 = 2;
    const DELETE: u8 = 3;
    const PUT: u8 = 4;
    const SIGN: u8 = 6;
    const TICK: u8 = 7;
    write(
        "rest_sequence",
        "lifecycle",
        &[
            op(POST, 0, 0, selfsigned),
            op(SIGN, 0, 0, b""),
            op(GET, 0, 4, b""),
            op(GET, 0, 9, b""),
            op(PATCH, 0, 10, br#"{"x509_props":{"validity_months":24}}"#),
            op(PATCH, 0, 4, br#"{"attributes":{"enabled":false},"tags":{"a":"b"}}"#),
            op(GET, 0, 15, b""),
            op(GET, 0, 16, b""),
            op(POST, 0, 11, b""),
            op(DELETE, 0, 4, b""),
            op(GET, 0, 13, b""),
            op(GET, 0, 19, b""),
            op(POST, 0, 14, b""),
            op(DELETE, 0, 4, b""),
            op(DELETE, 0, 13, b""),
            op(POST, 0, 12, b""),
            op(GET, 0, 18, b""),
            op(GET, 0, 21, b""),
        ]
        .concat(),
    );
    write(
        "rest_sequence",
        "purge-date-and-contacts",
        &[
            op(POST, 1, 0, selfsigned),
            op(SIGN, 1, 0, b""),
            op(POST, 1, 11, b""),
            op(DELETE, 1, 4, b""),
            [TICK, 0, 0, 0, 91].to_vec(),
            op(GET, 1, 13, b""),
            op(POST, 1, 12, b""),
            op(PUT, 0, 17, br#"{"contacts":[{"email":"a@b.c","name":"a","phone":"1"}]}"#),
            op(GET, 0, 17, b""),
            op(DELETE, 0, 17, b""),
            op(GET, 0, 20, b""),
            op(GET, 0, 22, b""),
            op(GET, 0, 23, b""),
        ]
        .concat(),
    );
    write(
        "rest_sequence",
        "double-create",
        &[op(1, 0, 0, create), op(1, 0, 0, create), op(0, 0, 6, b""), op(0, 0, 5, b"")].concat(),
    );

    let policies: &[(&str, &[u8])] = &[
        ("full", br#"{"key_props":{"exportable":true,"kty":"RSA","key_size":2048,"reuse_key":false},"secret_props":{"contentType":"application/x-pkcs12"},"x509_props":{"subject":"CN=a","sans":{"dns_names":["a.example"],"emails":["a@example.com"],"upns":["a@b"]},"ekus":["1.3.6.1.5.5.7.3.1"],"key_usage":["digitalSignature","keyEncipherment"],"validity_months":12,"basic_constraints":{"ca":false}},"lifetime_actions":[{"trigger":{"lifetime_percentage":80},"action":{"action_type":"AutoRenew"}}],"issuer":{"name":"Self","cty":"OV-SSL","cert_transparency":false},"attributes":{"enabled":true}}"#),
        ("ec-section", br#"{"key_props":{"kty":"EC","crv":"P-384"}}"#),
        ("issuer-section", br#"{"issuer":{"name":"Unknown"}}"#),
        ("bad-subject", br#"{"x509_props":{"subject":"not a name"}}"#),
        ("days-before-expiry", br#"{"lifetime_actions":[{"trigger":{"days_before_expiry":30},"action":{"action_type":"EmailContacts"}}]}"#),
        ("too-many-months", br#"{"x509_props":{"validity_months":1201}}"#),
        ("pem", br#"{"secret_props":{"contentType":"application/x-pem-file"},"key_props":{"exportable":false}}"#),
        ("not-an-object", b"[1,2]"),
    ];
    for (name, policy) in policies {
        write("policy", name, policy);
    }

    let (blob, contents) = targets::real_backup();
    write("backup", "blob", &[&[0u8][..], blob.as_bytes()].concat());
    write("backup", "contents", &[&[1u8][..], contents].concat());
    write("backup", "contents-without-keys", &[&[1u8][..], br#"{"certificate":{},"keys":[]}"#].concat());
    write("backup", "garbage", b"\x00not a blob");
    write("backup", "sealed-garbage", b"\x01{");

    let key = support::Holder::p256();
    let leaf = ca.sign("import", &key.key);
    let pem = format!(
        "{}{}{}",
        pending_certificate::pem_block("PRIVATE KEY", &key.key.serialize_der()),
        pending_certificate::pem_block("CERTIFICATE", &leaf),
        pending_certificate::pem_block("CERTIFICATE", &ca.der)
    );
    write("import", "pem", &[&[0u8][..], pem.as_bytes()].concat());
    write(
        "import",
        "pem-certificate-only",
        &[&[0u8][..], pending_certificate::pem_block("CERTIFICATE", &leaf).as_bytes()].concat(),
    );
    let mut rig = targets::Rig::new();
    let body = serde_json::json!({"value": pem, "policy": {"secret_props": {"contentType": "application/x-pem-file"}}});
    assert_eq!(rig.call("POST", "/certificates/i/import", &serde_json::to_vec(&body).unwrap()).status, 200);
    let to_pkcs12 = br#"{"secret_props":{"contentType":"application/x-pkcs12"}}"#;
    assert_eq!(rig.call("PATCH", "/certificates/i/policy", to_pkcs12).status, 200);
    let secret = rig.call("GET", "/secrets/i", b"");
    let secret: serde_json::Value = serde_json::from_slice(&secret.body).unwrap();
    let pkcs12 = base64::engine::general_purpose::STANDARD.decode(secret["value"].as_str().unwrap()).unwrap();
    write("import", "pkcs12", &[&[1u8][..], &pkcs12].concat());
    write("import", "pkcs12-other-password", &[&[2u8][..], &pkcs12].concat());
    write("import", "garbage", b"\x010\x03\x02\x01\x03");

    write("paging", "certificates", b"\x00api-version=7.5&maxresults=3");
    write("paging", "pending", b"\x00api-version=7.5&includePending=true&maxresults=25");
    write("paging", "deleted", b"\x01api-version=7.5&maxresults=2");
    write("paging", "versions", b"\x02api-version=7.5&maxresults=1");
    let mut rig = targets::Rig::with(targets::paged_vault().clone());
    for (seed, which, path) in [
        ("issuers-next", 3u8, "/certificates/issuers?maxresults=5"),
        ("pending-next", 0, "/certificates?maxresults=4&includePending=true"),
    ] {
        let page = rig.call("GET", path, b"");
        let page: serde_json::Value = serde_json::from_slice(&page.body).unwrap();
        let next = page["nextLink"].as_str().unwrap();
        let query = next.split_once('?').unwrap().1;
        write("paging", seed, &[&[which][..], query.as_bytes()].concat());
    }
    write("paging", "foreign-token", b"\x00api-version=7.5&$skiptoken=zz");
    write("paging", "zero", b"\x00api-version=7.5&maxresults=0");
    write("paging", "no-version", b"\x01maxresults=1");
}
