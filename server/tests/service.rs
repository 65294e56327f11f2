//! The server under many clients and bad ones: racing creates of one name,
//! many names at once, a restart after `kill -9` with its keys and its CA
//! intact, idle and slow connections, bodies over the limit, and the command
//! line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{Server, http};
use serde_json::{Value, json};

const API: &str = "api-version=7.5";
const BIN: &str = env!("CARGO_BIN_EXE_pending-certificate-server");

fn scratch(label: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("service-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn call(server: &Server, method: &str, target: &str, body: &Value) -> common::Answer {
    let bytes = if body.is_null() { Vec::new() } else { serde_json::to_vec(body).unwrap() };
    http(&server.address, method, target, &bytes, Some("t"))
}

fn policy(subject: &str, issuer: &str) -> Value {
    json!({"policy": {"key_props": {"kty": "EC", "crv": "P-256"}, "x509_props": {"subject": format!("CN={subject}")},
        "issuer": {"name": issuer}}})
}

/// Polls a name's pending object until it is no longer `inProgress`.
fn settled(server: &Server, name: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = call(server, "GET", &format!("/certificates/{name}/pending?{API}"), &Value::Null);
        assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
        let body = answer.json();
        if body["status"] != "inProgress" {
            return body;
        }
        assert!(Instant::now() < deadline, "{name} stayed in progress");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn b64(text: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(text.as_str().unwrap()).unwrap()
}

/// The `SubjectPublicKeyInfo` of a certificate or CSR (DER).
fn spki_of_certificate(der: &[u8]) -> Vec<u8> {
    use x509_cert::der::{Decode as _, Encode as _};
    let certificate = x509_cert::Certificate::from_der(der).unwrap();
    certificate.tbs_certificate().subject_public_key_info().to_der().unwrap()
}

fn spki_of_csr(der: &[u8]) -> Vec<u8> {
    use x509_cert::der::{Decode as _, Encode as _};
    let csr = x509_cert::request::CertReq::from_der(der).unwrap();
    csr.info.public_key.to_der().unwrap()
}

// ---------------------------------------------------------------- races

/// `clients` threads create one name at once, `rounds` times: exactly one
/// 202 per round, every other answer the service's 409 for a create while a
/// request is in progress (in one process, writes to a name queue, so the
/// losers see the winner's request rather than a lost race).
fn racing_creates(server: &Arc<Server>, rounds: usize, clients: usize) {
    for round in 0..rounds {
        let name = format!("race{round}");
        let barrier = Arc::new(std::sync::Barrier::new(clients));
        let answers: Vec<(u16, Value)> = (0..clients)
            .map(|i| {
                let (server, barrier, name) = (Arc::clone(server), Arc::clone(&barrier), name.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let answer = call(
                        &server,
                        "POST",
                        &format!("/certificates/{name}/create?{API}"),
                        &policy(&format!("c{i}"), "Unknown"),
                    );
                    (answer.status, answer.json())
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let accepted = answers.iter().filter(|(s, _)| *s == 202).count();
        assert_eq!(accepted, 1, "round {round}: {answers:?}");
        for (status, body) in answers.iter().filter(|(s, _)| *s != 202) {
            assert_eq!(
                (*status, body["error"]["code"].as_str(), body["error"]["message"].as_str()),
                (
                    409,
                    Some("Forbidden"),
                    Some(
                        "A new key vault certificate can not be created or imported while a pending key vault \
                         certificate's status is inProgress."
                    )
                ),
                "round {round}"
            );
        }
        // The one that won is what the name holds.
        let pending = call(server, "GET", &format!("/certificates/{name}/pending?{API}"), &Value::Null).json();
        let winner = answers.iter().find(|(s, _)| *s == 202).unwrap();
        assert_eq!(pending["request_id"], winner.1["request_id"]);
    }
}

#[test]
fn racing_creates_of_one_name_get_exactly_one_202_in_memory() {
    let server = Arc::new(Server::start(&["--insecure-http"], None));
    racing_creates(&server, 25, 8);
}

#[test]
fn racing_creates_of_one_name_get_exactly_one_202_on_redb() {
    let dir = scratch("race");
    let server = Arc::new(Server::start(&["--insecure-http"], Some(&dir)));
    racing_creates(&server, 25, 8);
}

/// `clients` threads each take their own names through create → get →
/// merge → get certificate at once; every answer is the one a lone client
/// would get.
fn many_names_at_once(server: &Arc<Server>, clients: usize, names: usize) {
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            let server = Arc::clone(server);
            std::thread::spawn(move || {
                for n in 0..names {
                    let name = format!("c{client}n{n}");
                    let created =
                        call(&server, "POST", &format!("/certificates/{name}/create?{API}"), &policy(&name, "Unknown"));
                    assert_eq!(created.status, 202, "{name}");
                    let got = call(&server, "GET", &format!("/certificates/{name}/pending?{API}"), &Value::Null);
                    assert_eq!(
                        (got.status, got.json()["request_id"].clone()),
                        (200, created.json()["request_id"].clone())
                    );
                    let signed = call(&server, "POST", "/admin/sign", &json!({"csr": created.json()["csr"]}));
                    let merged = call(
                        &server,
                        "POST",
                        &format!("/certificates/{name}/pending/merge?{API}"),
                        &json!({"x5c": signed.json()["x5c"]}),
                    );
                    assert_eq!(merged.status, 201, "{name}: {}", String::from_utf8_lossy(&merged.body));
                    let certificate = call(&server, "GET", &format!("/certificates/{name}?{API}"), &Value::Null);
                    assert_eq!(certificate.status, 200);
                    assert_eq!(
                        spki_of_certificate(&b64(&certificate.json()["cer"])),
                        spki_of_csr(&b64(&created.json()["csr"]))
                    );
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

#[test]
fn many_clients_on_many_names_each_see_their_own_answers_in_memory() {
    let server = Arc::new(Server::start(&["--insecure-http", "--admin"], None));
    many_names_at_once(&server, 8, 6);
}

#[test]
fn many_clients_on_many_names_each_see_their_own_answers_on_redb() {
    let dir = scratch("many");
    let server = Arc::new(Server::start(&["--insecure-http", "--admin"], Some(&dir)));
    many_names_at_once(&server, 8, 6);
}

// ---------------------------------------------------------------- restart

#[test]
fn after_kill_9_the_keys_and_the_ca_are_intact() {
    let dir = scratch("keys");
    let args = ["--insecure-http", "--admin", "--self-signed-delay", "2", "--provider-delay", "2"];
    let server = Server::start(&args, Some(&dir));
    assert!(dir.join("key-encryption-key").exists(), "the KEK is made in the data directory");
    assert_eq!(
        call(&server, "PUT", &format!("/certificates/issuers/ca?{API}"), &json!({"provider": "Test"})).status,
        200
    );
    let before_ca = {
        let manual = call(&server, "POST", &format!("/certificates/m/create?{API}"), &policy("m", "Unknown"));
        let signed = call(&server, "POST", "/admin/sign", &json!({"csr": manual.json()["csr"]}));
        b64(&signed.json()["x5c"][1])
    };
    let self_signed = call(&server, "POST", &format!("/certificates/s/create?{API}"), &policy("s", "Self"));
    let issued = call(&server, "POST", &format!("/certificates/p/create?{API}"), &policy("p", "ca"));
    assert_eq!((self_signed.status, issued.status), (202, 202));
    // Killed before either is answered: their jobs and keys are stored.
    server.kill();
    let server = Server::start(&args, Some(&dir));
    // The key holder signs `s` with the key made before the kill.
    assert_eq!(settled(&server, "s")["status"], "completed");
    let cer = b64(&call(&server, "GET", &format!("/certificates/s?{API}"), &Value::Null).json()["cer"]);
    assert_eq!(spki_of_certificate(&cer), spki_of_csr(&b64(&self_signed.json()["csr"])));
    // The simulated CA issues `p`, and is the CA it was before the kill.
    assert_eq!(settled(&server, "p")["status"], "completed");
    let cer = b64(&call(&server, "GET", &format!("/certificates/p?{API}"), &Value::Null).json()["cer"]);
    assert_eq!(spki_of_certificate(&cer), spki_of_csr(&b64(&issued.json()["csr"])));
    let manual = call(&server, "POST", &format!("/certificates/m2/create?{API}"), &policy("m2", "Unknown"));
    let signed = call(&server, "POST", "/admin/sign", &json!({"csr": manual.json()["csr"]}));
    assert_eq!(b64(&signed.json()["x5c"][1]), before_ca);
    {
        use x509_cert::der::Decode as _;
        let leaf = x509_cert::Certificate::from_der(&cer).unwrap();
        let ca = x509_cert::Certificate::from_der(&before_ca).unwrap();
        assert_eq!(leaf.tbs_certificate().issuer(), ca.tbs_certificate().subject());
    }
    // No private key is on disk in the clear: the store holds sealed ones.
    let store = std::fs::read(dir.join("vault.redb")).unwrap();
    assert!(!store.windows(10).any(|w| w == b"PRIVATE KE"));
}

#[test]
fn a_server_started_with_another_key_encryption_key_refuses_to_start() {
    let dir = scratch("wrong-kek");
    let server = Server::start(&["--insecure-http"], Some(&dir));
    drop(server);
    let other = dir.join("other-kek");
    std::fs::write(&other, "00".repeat(32)).unwrap();
    let output = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--insecure-http", "--data-dir"])
        .arg(&dir)
        .arg("--key-encryption-key")
        .arg(&other)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("key-encryption key does not open the store's keys"), "{stderr}");
    assert!(stderr.contains(other.to_str().unwrap()), "{stderr}");
    // A file that is not a key is refused as such.
    std::fs::write(&other, "not a key").unwrap();
    let output = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--insecure-http", "--key-encryption-key"])
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("other-kek"));
}

// ---------------------------------------------------------- connections

/// Whether the server closes `stream` within `within` (reads end, or fail).
fn closed_within(stream: &mut impl Read, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(&server.address).unwrap();
    stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    stream
}

#[test]
fn a_client_that_sends_its_head_slowly_or_never_is_closed() {
    let server = Server::start(&["--insecure-http", "--header-read-timeout", "1"], None);
    let mut silent = connect(&server);
    assert!(closed_within(&mut silent, Duration::from_secs(10)), "a silent client was kept");
    // One byte at a time never restarts the clock.
    let mut slow = connect(&server);
    let head =
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    let started = Instant::now();
    let mut closed = false;
    for byte in head {
        if slow.write_all(&[*byte]).is_err() || closed_within(&mut slow, Duration::from_millis(100)) {
            closed = true;
            break;
        }
    }
    assert!(closed, "a slow head was kept for {:?}", started.elapsed());
    assert_eq!(http(&server.address, "GET", "/health", b"", None).status, 200);
}

#[test]
fn an_idle_keep_alive_connection_is_closed() {
    let server = Server::start(&["--insecure-http", "--idle-timeout", "1"], None);
    let mut stream = connect(&server);
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    // Kept alive for another request...
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut second = String::new();
    reader.read_line(&mut second).unwrap();
    assert!(second.starts_with("HTTP/1.1 200"), "{second}");
    // ...and closed once idle past the timeout.
    assert!(closed_within(&mut reader, Duration::from_secs(10)), "an idle connection was kept");
}

#[test]
fn a_tls_client_that_stalls_after_its_handshake_is_closed() {
    let server = Server::start(&["--header-read-timeout", "1"], None);
    let pem = std::fs::read(server.certificate.as_ref().unwrap()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for der in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(der.unwrap()).unwrap();
    }
    use rustls::pki_types::pem::PemObject as _;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut socket = TcpStream::connect(&server.address).unwrap();
    while tls.is_handshaking() {
        tls.complete_io(&mut socket).unwrap();
    }
    socket.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut stream = rustls::Stream::new(&mut tls, &mut socket);
    assert!(closed_within(&mut stream, Duration::from_secs(10)), "a stalled TLS client was kept");
}

#[test]
fn idle_connections_past_the_descriptor_limit_never_stop_new_requests() {
    // 256 descriptors, as in a constrained container; 300 clients that
    // connect and say nothing.
    let mut command = Command::new("sh");
    command
        .args(["-c", "ulimit -n 256 && exec \"$0\" \"$@\"", BIN, "--listen", "127.0.0.1:0", "--insecure-http"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let server = Server::spawn(command);
    let idle: Vec<TcpStream> = (0..300).map(|_| TcpStream::connect(&server.address).unwrap()).collect();
    for attempt in 0..3 {
        let mut stream = connect(&server);
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        assert!(raw.starts_with(b"HTTP/1.1 200"), "attempt {attempt}: {}", String::from_utf8_lossy(&raw));
    }
    drop(idle);
}

#[test]
fn at_the_cap_a_new_connection_is_let_in_once_a_busy_one_goes_idle() {
    // Two connections at most, both busy making RSA-4096 keys on one CPU
    // thread; they stay open, idle, after their answers. A third client is
    // let in as soon as one of them is idle, not after the idle timeout.
    let server = Arc::new(Server::start(
        &["--insecure-http", "--max-connections", "2", "--cpu-threads", "1", "--idle-timeout", "90"],
        None,
    ));
    let body = serde_json::to_vec(&json!({"policy": {"key_props": {"kty": "RSA", "key_size": 4096},
        "x509_props": {"subject": "CN=busy"}, "issuer": {"name": "Unknown"}}}))
    .unwrap();
    let busy: Vec<_> = (0..2)
        .map(|i| {
            let (address, body) = (server.address.clone(), body.clone());
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(&address).unwrap();
                let head = format!(
                    "POST /certificates/busy{i}/create?{API} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\
                     Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(&body).unwrap();
                let mut status = String::new();
                BufReader::new(stream.try_clone().unwrap()).read_line(&mut status).unwrap();
                assert!(status.starts_with("HTTP/1.1 202"), "{status}");
                // Kept open and idle.
                stream
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let health = http(&server.address, "GET", "/health", b"", None);
    assert_eq!(health.status, 200);
    assert!(started.elapsed() < Duration::from_secs(45), "let in only after {:?}", started.elapsed());
    let idle: Vec<TcpStream> = busy.into_iter().map(|t| t.join().unwrap()).collect();
    drop(idle);
}

// ---------------------------------------------------------------- bodies

fn error_code(raw: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(raw);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    (status, json["error"]["code"].as_str().unwrap_or("").to_owned())
}

#[test]
fn a_declared_content_length_over_the_limit_is_answered_413_at_once() {
    let server = Server::start(&["--insecure-http"], None);
    let mut stream = connect(&server);
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /certificates/big/import?{API} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        64 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).unwrap();
    // No byte of the body is sent: the answer comes anyway.
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    assert_eq!(error_code(&raw), (413, "RequestEntityTooLarge".to_owned()), "{}", String::from_utf8_lossy(&raw));
}

#[test]
fn a_streamed_body_over_the_limit_is_answered_413_in_json() {
    let server = Server::start(&["--insecure-http"], None);
    let mut stream = connect(&server);
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /certificates/big/import?{API} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b' '; 64 * 1024];
    let mut writer = stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        // 1 MiB + 64 KiB; the server may stop reading once past the limit.
        for _ in 0..17 {
            if writer.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_err()
                || writer.write_all(&chunk).is_err()
                || writer.write_all(b"\r\n").is_err()
            {
                return;
            }
        }
        let _ = writer.write_all(b"0\r\n\r\n");
    });
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    sender.join().unwrap();
    assert_eq!(error_code(&raw), (413, "RequestEntityTooLarge".to_owned()), "{}", String::from_utf8_lossy(&raw));
}

// ---------------------------------------------------------- command line

#[test]
fn help_explains_every_option_and_exits_0() {
    let output = Command::new(BIN).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for option in [
        "listen",
        "insecure-http",
        "tls-cert",
        "tls-key",
        "data-dir",
        "key-encryption-key",
        "token",
        "tenant",
        "vault-url",
        "provider-delay",
        "self-signed-delay",
        "retry-after",
        "chain-validation",
        "trust-anchors",
        "admin",
        "cpu-threads",
        "max-connections",
        "header-read-timeout",
        "idle-timeout",
        "body-read-timeout",
        "log-format",
    ] {
        assert!(help.contains(&format!("--{option}")), "--{option} missing from --help");
        let variable = format!("PENDING_CERTIFICATE_{}", option.replace('-', "_").to_ascii_uppercase());
        assert!(help.contains(&variable), "{variable} missing from --help");
    }
    for unusable in [["--idle-timeout", "0"], ["--header-read-timeout", "0.0"], ["--database-connections", "0"]] {
        let refused = Command::new(BIN).args(unusable).output().unwrap();
        assert_eq!(refused.status.code(), Some(2), "{unusable:?}");
        assert!(String::from_utf8_lossy(&refused.stderr).contains(unusable[0]), "{unusable:?}");
    }
    let wrong = Command::new(BIN).arg("--no-such-option").output().unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("--no-such-option"));
}

#[test]
fn options_are_read_from_the_environment_and_json_logs_have_one_line_per_request() {
    let mut command = Command::new(BIN);
    command
        .env("PENDING_CERTIFICATE_LISTEN", "127.0.0.1:0")
        .env("PENDING_CERTIFICATE_INSECURE_HTTP", "true")
        .env("PENDING_CERTIFICATE_RETRY_AFTER", "3")
        .env("PENDING_CERTIFICATE_ADMIN", "true")
        .env("PENDING_CERTIFICATE_TOKEN", "from-env")
        .env("PENDING_CERTIFICATE_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let first = BufReader::new(stdout).lines().next().unwrap().unwrap();
    let address = first.split("http://").nth(1).unwrap().split(' ').next().unwrap().to_owned();
    let (lines_to, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_to.send(line);
        }
    });
    let body = serde_json::to_vec(&policy("e", "Self")).unwrap();
    assert_eq!(http(&address, "POST", &format!("/certificates/e/create?{API}"), &body, Some("other")).status, 401);
    let created = http(&address, "POST", &format!("/certificates/e/create?{API}"), &body, Some("from-env"));
    assert_eq!((created.status, created.header("retry-after")), (202, Some("3")));
    assert_ne!(http(&address, "POST", "/admin/outcome", b"{}", None).status, 404);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut logged = None;
    while logged.is_none() && Instant::now() < deadline {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
            let event: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
            if event["fields"]["message"] == "request" && event["fields"]["status"] == 202 {
                logged = Some(event);
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let event = logged.expect("no log line for the request");
    assert_eq!(event["fields"]["method"], "POST");
    assert!(event["fields"]["target"].as_str().unwrap().starts_with("/certificates/e/create"));
    assert!(event["fields"]["elapsed_us"].is_u64());
}

/// A request in progress when its certificate is deleted keeps running at
/// its issuer: its outcome lands on the deleted certificate, and a recovery
/// brings it back completed. On redb, as a restart would find it.
#[test]
fn a_request_deleted_with_its_certificate_is_answered_and_recovered_completed() {
    let dir = scratch("deleted-request");
    let server = Server::start(
        &["--insecure-http", "--provider-delay", "1", "--self-signed-delay", "1", "--retry-after", "1"],
        Some(&dir),
    );
    for (name, issuer) in [("deleted-self", "Self"), ("deleted-issued", "mydigicert")] {
        if issuer != "Self" {
            let put =
                call(&server, "PUT", &format!("/certificates/issuers/{issuer}?{API}"), &json!({"provider": "Test"}));
            assert_eq!(put.status, 200);
        }
        assert_eq!(
            call(&server, "POST", &format!("/certificates/{name}/create?{API}"), &policy(name, issuer)).status,
            202
        );
        let deleted = call(&server, "DELETE", &format!("/certificates/{name}?{API}"), &Value::Null);
        assert_eq!(deleted.status, 200, "{}", String::from_utf8_lossy(&deleted.body));
        assert!(deleted.json()["pending"]["id"].as_str().is_some(), "the pending object goes with the certificate");
        // The provider answers meanwhile; the name stays deleted.
        std::thread::sleep(Duration::from_millis(2500));
        assert_eq!(call(&server, "GET", &format!("/certificates/{name}/pending?{API}"), &Value::Null).status, 404);
        let recovered = call(&server, "POST", &format!("/deletedcertificates/{name}/recover?{API}"), &Value::Null);
        assert_eq!(recovered.status, 200);
        assert_eq!(settled(&server, name)["status"], "completed", "{name}");
        let certificate = call(&server, "GET", &format!("/certificates/{name}?{API}"), &Value::Null).json();
        assert!(certificate["cer"].as_str().is_some(), "{name}: {certificate}");
    }
}
