//! Scripts the REST surface: one JSON line in, one JSON line out (flushed)
//! before the next is read, against an in-memory vault with keys in memory and
//! a simulated issuer provider.
//!
//! ```text
//! cargo run --example replay -- [--vault-url https://myvault.vault.azure.net]
//!     [--chain-validation service|verified|strict] [--trust-anchors PEM]
//! ```
//!
//! `--chain-validation` chooses how merged and issued chains are checked
//! (`service`, the default, checks what the live service checks); with
//! `verified` or `strict`, `--trust-anchors` names a PEM file of CA
//! certificates the chains must lead to.
//!
//! Input lines:
//!
//! ```text
//! {"method":"POST","path":"/certificates/c1/create?api-version=7.5","body":{...}}
//! {"method":"POST","path":"...","raw_body":"bytes that are not JSON"}
//! {"issuer_outcome":{"name":"c1","request_id":"...","outcome":"issued"|"failed"|"cancelled","code":"...","message":"..."}}
//! ```
//!
//! Output per line: `{"status":202,"headers":{"Location":"...","Retry-After":"10"},"body":<JSON or null>}`
//! (the headers every answer carries, `rest::COMMON_HEADERS`, are left out).
//! An `issuer_outcome` answers 200 when applied, or the error it was refused
//! with (`request_id` defaults to the current request's; a stale one is
//! refused and changes nothing). For a `Self` request, `issued` has the key
//! holder sign it, as the service's provider for `Self` is its key holder.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use pending_certificate::memory::{MemoryKeyHolder, ProviderSimulator};
use pending_certificate::rest::{self, Request};
use pending_certificate::wire::ErrorBody;
use pending_certificate::x5c::ChainValidation;
use pending_certificate::{
    CertificateName, ChainOptions, Failure, IssuerMode, OperationError, RequestId, SequentialIds, Vault, VaultUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpLine {
    method: String,
    path: String,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    raw_body: Option<String>,
}

#[derive(Deserialize)]
struct OutcomeLine {
    issuer_outcome: Outcome,
}

#[derive(Deserialize)]
struct Outcome {
    name: String,
    #[serde(default)]
    request_id: Option<String>,
    outcome: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// One answer line, fields in the documented order.
#[derive(Serialize)]
struct Answer<'a> {
    status: u16,
    headers: BTreeMap<&'a str, &'a str>,
    body: Value,
}

/// An in-memory vault driven line by line.
pub struct Replay {
    vault: Vault,
    keys: MemoryKeyHolder,
    provider: ProviderSimulator,
    ids: SequentialIds,
}

fn line(status: u16, headers: BTreeMap<&str, &str>, body: Value) -> String {
    serde_json::to_string(&Answer { status, headers, body }).unwrap_or_default()
}

fn error_line(status: u16, code: &str, message: &str) -> String {
    line(status, BTreeMap::new(), json!({"error": {"code": code, "message": message}}))
}

fn operation_error(error: &OperationError) -> String {
    line(error.status(), BTreeMap::new(), serde_json::to_value(ErrorBody::from(error)).unwrap_or(Value::Null))
}

impl Replay {
    /// A vault at `url`, ids seeded from the clock (unique within a run).
    pub fn new(url: &str) -> Result<Self, Box<dyn std::error::Error>> {
        Self::with_chain_options(url, ChainOptions::default())
    }

    /// A vault at `url` that validates chains with `options`.
    pub fn with_chain_options(url: &str, options: ChainOptions) -> Result<Self, Box<dyn std::error::Error>> {
        let seed = u128::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos()).unwrap_or(1) << 32;
        Ok(Self {
            vault: Vault::with_chain_options(VaultUrl::new(url)?, options),
            keys: MemoryKeyHolder::new(),
            provider: ProviderSimulator::new("Simulated Issuer CA")?,
            ids: SequentialIds::starting_at(seed),
        })
    }

    /// Answers one input line with one output line.
    pub fn answer(&mut self, line: &str) -> String {
        let Ok(value) = serde_json::from_str::<Value>(line) else {
            return error_line(400, "BadParameter", "the line is not JSON");
        };
        if value.get("issuer_outcome").is_some() {
            return match serde_json::from_value::<OutcomeLine>(value) {
                Ok(line) => self.outcome(line.issuer_outcome),
                Err(e) => error_line(400, "BadParameter", &format!("issuer_outcome: {e}")),
            };
        }
        match serde_json::from_value::<HttpLine>(value) {
            Ok(line) => self.http(line),
            Err(e) => error_line(400, "BadParameter", &format!("request line: {e}")),
        }
    }

    fn http(&mut self, request: HttpLine) -> String {
        let body = match (request.body, request.raw_body) {
            (Some(body), None) => serde_json::to_vec(&body).unwrap_or_default(),
            (None, Some(raw)) => raw.into_bytes(),
            (None, None) => Vec::new(),
            (Some(_), Some(_)) => return error_line(400, "BadParameter", "give body or raw_body, not both"),
        };
        let request = Request { method: &request.method, target: &request.path, body: &body };
        let handled = rest::handle(&mut self.vault, &mut self.keys, &mut self.ids, OffsetDateTime::now_utc(), request);
        for (name, effect) in &handled.effects {
            self.provider.observe(name, effect);
        }
        let response = handled.response;
        let common = |name: &str| rest::COMMON_HEADERS.iter().any(|(n, _)| *n == name);
        let headers: BTreeMap<&str, &str> = response
            .headers
            .iter()
            .filter(|(n, _)| *n != "Content-Type" && !common(n))
            .map(|(n, v)| (*n, v.as_str()))
            .collect();
        let body = serde_json::from_slice::<Value>(&response.body).unwrap_or(Value::Null);
        line(response.status, headers, body)
    }

    fn outcome(&mut self, outcome: Outcome) -> String {
        let Ok(name) = CertificateName::new(&outcome.name) else {
            return error_line(400, "BadParameter", "issuer_outcome.name is not a certificate name");
        };
        let request_id = match outcome.request_id.as_deref().map(RequestId::parse) {
            Some(Ok(id)) => id,
            Some(Err(_)) => return error_line(400, "BadParameter", "issuer_outcome.request_id is not 32 hex digits"),
            None => match self.vault.pending(&name, None) {
                Ok(pending) => pending.request_id(),
                Err(e) => return operation_error(&e),
            },
        };
        let now = OffsetDateTime::now_utc();
        let self_signed = self.vault.pending(&name, None).is_ok_and(|p| p.mode() == IssuerMode::SelfSigned);
        let result = match outcome.outcome.as_str() {
            "issued" if self_signed => {
                self.vault.sign_self(&name, request_id, &mut self.keys, now, &mut self.ids).map(|_| ())
            }
            "issued" => self.provider.issue(&mut self.vault, &name, request_id, now, &mut self.ids).map(|_| ()),
            "failed" => {
                let failure = Failure::new(
                    outcome.code.unwrap_or_else(|| Failure::ISSUER_ERROR.to_owned()),
                    outcome.message.unwrap_or_default(),
                );
                self.provider.fail(&mut self.vault, &name, request_id, failure, now)
            }
            "cancelled" | "canceled" => self.provider.cancel(&mut self.vault, &name, request_id, now),
            _ => return error_line(400, "BadParameter", "issuer_outcome.outcome is issued, failed or cancelled"),
        };
        match result {
            Ok(()) => {
                let pending =
                    self.vault.pending(&name, None).ok().map(|p| {
                        pending_certificate::wire::CertificateOperation::from_pending(self.vault.url(), &name, p)
                    });
                line(200, BTreeMap::new(), serde_json::to_value(pending).unwrap_or(Value::Null))
            }
            Err(e) => operation_error(&e),
        }
    }
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    const USAGE: &str =
        "usage: replay [--vault-url URL] [--chain-validation service|verified|strict] [--trust-anchors PEM]";
    let mut url = "https://myvault.vault.azure.net".to_owned();
    let mut options = ChainOptions::default();
    let mut anchors = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--vault-url" => url = args.next().ok_or("--vault-url needs a URL")?,
            "--chain-validation" => {
                options.level = args.next().ok_or("--chain-validation needs a level")?.parse::<ChainValidation>()?;
            }
            "--trust-anchors" => anchors = Some(args.next().ok_or("--trust-anchors needs a PEM file")?),
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}; {USAGE}").into()),
        }
    }
    if let Some(path) = anchors {
        options = ChainOptions::with_anchors_pem(options.level, &std::fs::read_to_string(&path)?)
            .map_err(|e| format!("--trust-anchors {path}: {e}"))?;
    }
    let mut replay = Replay::with_chain_options(&url, options)?;
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = replay.answer(&line);
        writeln!(stdout, "{answer}")?;
        stdout.flush()?;
    }
    Ok(())
}
