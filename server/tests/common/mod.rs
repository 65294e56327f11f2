//! Starting the server and talking to it over plain HTTP or HTTPS.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod pg;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

/// A running server, killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    /// `http(s)://127.0.0.1:PORT`.
    pub url: String,
    /// `127.0.0.1:PORT`.
    pub address: String,
    /// The TLS certificate's path, when serving HTTPS.
    pub certificate: Option<String>,
}

impl Server {
    pub fn start(args: &[&str], data_dir: Option<&Path>) -> Self {
        Self::spawn(Self::command(args, data_dir))
    }

    /// The server's command line: a free port, `args`, and `--data-dir`.
    pub fn command(args: &[&str], data_dir: Option<&Path>) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pending-certificate-server"));
        command.args(["--listen", "127.0.0.1:0"]).args(args).stdout(Stdio::piped()).stderr(Stdio::null());
        if let Some(dir) = data_dir {
            command.arg("--data-dir").arg(dir);
        }
        command
    }

    /// Starts `command` (made by [`Server::command`], perhaps changed) and
    /// waits until it listens.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("the server printed nothing").unwrap();
        let url = first
            .strip_prefix("pending-certificate-server listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .split(' ')
            .next()
            .unwrap()
            .to_owned();
        let certificate = if url.starts_with("https") {
            let line = lines.next().unwrap().unwrap();
            Some(line.strip_prefix("TLS certificate: ").unwrap().to_owned())
        } else {
            None
        };
        let address = url.split("://").nth(1).unwrap().to_owned();
        Self { child, url, address, certificate }
    }

    /// Sends SIGTERM and waits up to `seconds` for the process to exit;
    /// whether it exited successfully.
    pub fn terminate(mut self, seconds: u64) -> bool {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process at once, as `kill -9` would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers (lowercase names) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

fn request_bytes(address: &str, method: &str, target: &str, body: &[u8], token: Option<&str>) -> Vec<u8> {
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn parse(raw: &[u8]) -> Answer {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("no end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Answer { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 2 + size + 2..];
    }
}

/// One request over plain HTTP.
pub fn http(address: &str, method: &str, target: &str, body: &[u8], token: Option<&str>) -> Answer {
    try_http(address, method, target, body, token).unwrap()
}

/// One request over plain HTTP, or why it got no answer.
pub fn try_http(
    address: &str,
    method: &str,
    target: &str,
    body: &[u8],
    token: Option<&str>,
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(address)?;
    stream.write_all(&request_bytes(address, method, target, body, token))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    if !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(parse(&raw))
}

/// One request over HTTPS, trusting the PEM certificate at `ca`.
pub fn https(address: &str, ca: &str, method: &str, target: &str, body: &[u8], token: Option<&str>) -> Answer {
    let pem = std::fs::read_to_string(ca).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for block in pem.split("-----END CERTIFICATE-----").filter(|b| b.contains("BEGIN")) {
        use base64::Engine as _;
        let body: String = block.lines().filter(|l| !l.starts_with("-----") && !l.is_empty()).collect();
        let der = base64::engine::general_purpose::STANDARD.decode(body.trim()).unwrap();
        roots.add(rustls::pki_types::CertificateDer::from(der)).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server_name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), server_name).unwrap();
    let socket = TcpStream::connect(address).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, socket);
    if let Err(e) = tls.write_all(&request_bytes(address, method, target, body, token)) {
        panic!("{method} {target} ({} bytes): {e}", body.len());
    }
    let mut raw = Vec::new();
    match tls.read_to_end(&mut raw) {
        Ok(_) => {}
        // The server may close without a TLS close_notify.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
        Err(e) => panic!("{e}"),
    }
    parse(&raw)
}

/// A JSON value's object members in the order they were sent (serde_json's
/// `Value` sorts them), for checking the service's member order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ordered {
    Object(Vec<(String, Ordered)>),
    Other,
}

impl Ordered {
    pub fn parse(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap()
    }

    /// The members' names, in order.
    pub fn keys(&self) -> Vec<&str> {
        match self {
            Ordered::Object(members) => members.iter().map(|(k, _)| k.as_str()).collect(),
            Ordered::Other => Vec::new(),
        }
    }

    /// A member.
    pub fn get(&self, key: &str) -> Option<&Ordered> {
        match self {
            Ordered::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            Ordered::Other => None,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut members = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    members.push((key, map.next_value::<Ordered>()?));
                }
                Ok(Ordered::Object(members))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Ordered::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}
