//! A surface under test: anything that answers Key Vault certificate requests,
//! in process or over HTTP, and a harness that drives it with the model.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::assertions;
use super::model::{ChainKind, Expect, ISSUER, Mode, Model, ModelState, NAMES, OutcomeKind, RequestRef, Transition};
use crate::memory::{MemoryKeyHolder, SpkiKey};
use crate::{Csr, Failure, SequentialIds, Vault, VaultUrl};

/// A response as the harness needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurfaceResponse {
    /// HTTP status.
    pub status: u16,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// What a provider reports, for [`Surface::provider_outcome`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderOutcome {
    /// Issued with this chain (DER, leaf first).
    Issued {
        /// The chain.
        x5c: Vec<Vec<u8>>,
    },
    /// A `Self` request's provider, the surface's own key holder, signs it
    /// now (`Vault::sign_self`, or the server's equivalent).
    SelfSigned,
    /// Failed.
    Failed {
        /// The error code.
        code: String,
        /// The message.
        message: String,
    },
    /// Cancelled.
    Cancelled,
}

/// A Key Vault certificates endpoint under test.
///
/// `start` gives a fresh, empty vault with no trust anchors configured (the
/// harness signs chains with its own CA). `call` sends one request; the
/// target is a path with its query string. `provider_outcome` reports what
/// the provider of a registered issuer says about `request_id` (an embedder's
/// admin route, say), answering 200 when applied or the refusal.
pub trait Surface {
    /// A fresh, empty surface.
    fn start() -> Self
    where
        Self: Sized;

    /// Sends one request.
    fn call(&mut self, method: &str, target: &str, body: &[u8]) -> SurfaceResponse;

    /// Reports a provider outcome for request `request_id` of `name`.
    fn provider_outcome(&mut self, name: &str, request_id: &str, outcome: &ProviderOutcome) -> SurfaceResponse;

    /// Lets `seconds` pass, where the surface's clock can be moved.
    fn advance(&mut self, seconds: u32) {
        let _ = seconds;
    }

    /// Whether [`advance`](Self::advance) moves the surface's clock. Where it
    /// cannot, a purge date coming is stood in for by purging every deleted
    /// certificate, which leaves the same visible state.
    fn moves_time(&self) -> bool {
        false
    }
}

/// The crate's own `rest` module in process, with keys in memory.
pub struct RestSurface {
    vault: Vault,
    keys: MemoryKeyHolder,
    ids: SequentialIds,
    now: OffsetDateTime,
}

impl std::fmt::Debug for RestSurface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestSurface").field("now", &self.now).finish_non_exhaustive()
    }
}

impl RestSurface {
    /// The vault behind the surface.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }
}

impl Surface for RestSurface {
    fn start() -> Self {
        let url = VaultUrl::new("https://conformance.vault.azure.net").unwrap_or_else(|_| unreachable!());
        Self {
            vault: Vault::new(url),
            keys: MemoryKeyHolder::new(),
            ids: SequentialIds::default(),
            now: OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_605),
        }
    }

    fn call(&mut self, method: &str, target: &str, body: &[u8]) -> SurfaceResponse {
        let request = crate::rest::Request { method, target, body };
        let handled = crate::rest::handle(&mut self.vault, &mut self.keys, &mut self.ids, self.now, request);
        SurfaceResponse { status: handled.response.status, body: handled.response.body }
    }

    fn provider_outcome(&mut self, name: &str, request_id: &str, outcome: &ProviderOutcome) -> SurfaceResponse {
        let (Ok(name), Ok(request_id)) = (crate::CertificateName::new(name), crate::RequestId::parse(request_id))
        else {
            return SurfaceResponse { status: 400, body: Vec::new() };
        };
        let result = match outcome {
            ProviderOutcome::Issued { x5c } => {
                self.vault.issued(&name, request_id, x5c, self.now, &mut self.ids).map(|_| ())
            }
            ProviderOutcome::SelfSigned => {
                self.vault.sign_self(&name, request_id, &mut self.keys, self.now, &mut self.ids).map(|_| ())
            }
            ProviderOutcome::Failed { code, message } => {
                self.vault.failed(&name, request_id, Failure::new(code.clone(), message.clone()), self.now)
            }
            ProviderOutcome::Cancelled => self.vault.cancelled(&name, request_id, self.now),
        };
        match result {
            Ok(()) => SurfaceResponse { status: 200, body: b"{}".to_vec() },
            Err(e) => SurfaceResponse {
                status: e.status(),
                body: serde_json::to_vec(&crate::wire::ErrorBody::from(&e)).unwrap_or_default(),
            },
        }
    }

    fn moves_time(&self) -> bool {
        true
    }

    fn advance(&mut self, seconds: u32) {
        self.now += time::Duration::seconds(i64::from(seconds));
    }
}

/// Keys and a CA made once per run, so cases stay fast.
pub struct Pool {
    ca: Issuer<'static, KeyPair>,
    ca_der: Vec<u8>,
    others: Vec<KeyPair>,
}

impl Pool {
    /// The pool of this process.
    pub fn get() -> &'static Pool {
        static POOL: OnceLock<Pool> = OnceLock::new();
        POOL.get_or_init(|| {
            let key = KeyPair::generate().unwrap_or_else(|e| panic!("CA key: {e}"));
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
            params.distinguished_name.push(rcgen::DnType::CommonName, "Conformance CA");
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
            let ca_der = params.self_signed(&key).unwrap_or_else(|e| panic!("{e}")).der().to_vec();
            let others = (0..4).map(|_| KeyPair::generate().unwrap_or_else(|e| panic!("{e}"))).collect();
            Pool { ca: Issuer::new(params, key), ca_der, others }
        })
    }

    /// The CA's certificate (DER).
    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// A chain (leaf, CA) this pool's CA issues for `spki`.
    pub fn chain_for(&self, spki: &[u8]) -> Vec<Vec<u8>> {
        let key = SpkiKey::from_spki(spki).unwrap_or_else(|e| panic!("CSR key: {e}"));
        let mut params =
            CertificateParams::new(vec!["conformance.example".to_owned()]).unwrap_or_else(|e| panic!("{e}"));
        params.distinguished_name.push(rcgen::DnType::CommonName, "conformance leaf");
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2100, 1, 1);
        params.use_authority_key_identifier_extension = true;
        let leaf = params.signed_by(&key, &self.ca).unwrap_or_else(|e| panic!("{e}")).der().to_vec();
        vec![leaf, self.ca_der.clone()]
    }

    /// A chain for a key of the pool (not any request's key).
    pub fn other_key_chain(&self, index: usize) -> Vec<Vec<u8>> {
        self.chain_for(&rcgen::PublicKeyData::subject_public_key_info(self.other_key(index)))
    }

    /// What a merge of `kind` sends, given the pending CSR's key if there is
    /// one (without one, a lone CA certificate stands in: the merge is
    /// refused for the state before the chain is looked at).
    pub fn merge_chain(&self, kind: ChainKind, csr_key: Option<&[u8]>) -> Vec<Vec<u8>> {
        match kind {
            ChainKind::ForCsrKey { shuffled } => {
                let mut chain = csr_key.map(|key| self.chain_for(key)).unwrap_or_else(|| vec![self.ca_der.clone()]);
                if shuffled {
                    chain.reverse();
                }
                chain
            }
            ChainKind::OtherKey => self.other_key_chain(0),
            ChainKind::Garbage => vec![b"not a certificate".to_vec()],
        }
    }

    /// A key of the pool, by index.
    pub fn other_key(&self, index: usize) -> &KeyPair {
        &self.others[index % self.others.len()]
    }
}

/// Standard base64.
fn b64(der: &[u8]) -> String {
    STANDARD.encode(der)
}

/// What a name shows over the wire: `GET …/pending` and `GET /certificates/{name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameView {
    /// The pending object's response.
    pub pending: SurfaceResponse,
    /// The certificate's response.
    pub certificate: SurfaceResponse,
    /// The deleted certificate's response.
    pub deleted: SurfaceResponse,
    /// The listing of its versions.
    pub versions: SurfaceResponse,
}

/// What the harness tracks of a surface beyond the model: the ids it issued.
pub struct Harness<S> {
    /// The surface.
    pub surface: S,
    /// Every request id issued, per name, in order.
    pub history: Vec<Vec<String>>,
    /// The current pending object's request id, per name.
    pub current: Vec<Option<String>>,
    /// How each request id was made (its issuer).
    pub modes: HashMap<String, Mode>,
    /// `cancellation_requested` last seen per request id.
    pub cancellation: HashMap<String, bool>,
    /// (status, code) seen for each code.
    pub codes: HashMap<String, Vec<u16>>,
    /// The CSR's key of each request id, as its create answered it (a
    /// deleted name's pending object is not shown, and its provider still
    /// answers it).
    pub csr_keys: HashMap<String, Vec<u8>>,
    /// The last backup blob taken of each name.
    pub backups: Vec<Option<String>>,
}

const API: &str = "api-version=7.5";

impl<S: Surface> Harness<S> {
    /// A harness on a fresh surface, with the model's issuer registered.
    pub fn new() -> Self {
        let mut surface = S::start();
        let registered =
            surface.call("PUT", &format!("/certificates/issuers/{ISSUER}?{API}"), br#"{"provider":"Test"}"#);
        assert_eq!(registered.status, 200, "registering the issuer");
        Self {
            surface,
            history: vec![Vec::new(); NAMES.len()],
            current: vec![None; NAMES.len()],
            modes: HashMap::new(),
            cancellation: HashMap::new(),
            codes: HashMap::new(),
            csr_keys: HashMap::new(),
            backups: vec![None; NAMES.len()],
        }
    }

    fn resolve(&self, name: usize, request: RequestRef) -> Option<String> {
        let history = self.history.get(name).map(Vec::as_slice).unwrap_or_default();
        let current = self.current.get(name).cloned().flatten();
        match request {
            RequestRef::Unspecified => None,
            RequestRef::Current => current.or_else(|| Some(random_id())),
            RequestRef::Stale(index) => {
                let stale: Vec<&String> = history.iter().filter(|id| Some(*id) != current.as_ref()).collect();
                Some(if stale.is_empty() { random_id() } else { stale[index.index(stale.len())].clone() })
            }
            RequestRef::Random => Some(random_id()),
        }
    }

    fn pending_body(&mut self, name: &str) -> (u16, Value) {
        let response = self.surface.call("GET", &format!("/certificates/{name}/pending?{API}"), b"");
        (response.status, serde_json::from_slice(&response.body).unwrap_or(Value::Null))
    }

    fn csr_key(&mut self, name: &str) -> Option<Vec<u8>> {
        let (status, body) = self.pending_body(name);
        if status != 200 {
            return None;
        }
        let der = STANDARD.decode(body["csr"].as_str()?).ok()?;
        Csr::from_der(&der).ok().map(|csr| csr.public_key().to_vec())
    }

    /// Everything visible of every name, for the refusal invariant.
    pub fn visible_state(&mut self) -> Vec<NameView> {
        NAMES
            .iter()
            .map(|name| {
                let pending = self.surface.call("GET", &format!("/certificates/{name}/pending?{API}"), b"");
                let certificate = self.surface.call("GET", &format!("/certificates/{name}?{API}"), b"");
                let deleted = self.surface.call("GET", &format!("/deletedcertificates/{name}?{API}"), b"");
                let versions = self.surface.call("GET", &format!("/certificates/{name}/versions?{API}"), b"");
                NameView { pending, certificate, deleted, versions }
            })
            .collect()
    }

    /// Applies one transition and returns the response.
    pub fn apply(&mut self, transition: &Transition) -> SurfaceResponse {
        let index = transition.name_index().unwrap_or(0);
        let name = NAMES[index];
        match transition {
            Transition::Create { mode, preserve, .. } => {
                let issuer = match mode {
                    Mode::Manual => "Unknown",
                    Mode::Provider => ISSUER,
                    Mode::SelfSigned => "Self",
                };
                let body = json!({"policy": {"key_props": {"kty": "EC", "crv": "P-256"},
                    "x509_props": {"subject": format!("CN={name}")}, "issuer": {"name": issuer}},
                    "preserveCertOrder": preserve});
                let response = self.call("POST", &format!("/certificates/{name}/create?{API}"), &body);
                if response.status == 202 {
                    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
                    let id = body["request_id"].as_str().unwrap_or_default().to_owned();
                    let csr = body["csr"].as_str().and_then(|c| STANDARD.decode(c).ok());
                    if let Some(key) = csr.and_then(|der| Csr::from_der(&der).ok()) {
                        self.csr_keys.insert(id.clone(), key.public_key().to_vec());
                    }
                    self.modes.insert(id.clone(), *mode);
                    self.history[index].push(id.clone());
                    self.current[index] = Some(id);
                }
                response
            }
            Transition::Import { .. } => {
                let key = Pool::get().other_key(index);
                let chain = Pool::get().chain_for(&rcgen::PublicKeyData::subject_public_key_info(key));
                let pem =
                    |label: &str, der: &[u8]| format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", b64(der));
                let value = format!(
                    "{}{}{}",
                    pem("PRIVATE KEY", &key.serialize_der()),
                    pem("CERTIFICATE", &chain[0]),
                    pem("CERTIFICATE", &chain[1])
                );
                let body =
                    json!({"value": value, "policy": {"secret_props": {"contentType": "application/x-pem-file"}}});
                let response = self.call("POST", &format!("/certificates/{name}/import?{API}"), &body);
                if response.status == 200 {
                    self.current[index] = None;
                }
                response
            }
            Transition::GetPending { request, .. } => {
                let target = self.pending_target(name, index, *request);
                self.surface.call("GET", &target, b"")
            }
            Transition::Cancel { request, requested, .. } => {
                let target = self.pending_target(name, index, *request);
                self.call("PATCH", &target, &json!({"cancellation_requested": requested}))
            }
            Transition::Delete { request, .. } => {
                let target = self.pending_target(name, index, *request);
                let response = self.surface.call("DELETE", &target, b"");
                if response.status == 200 {
                    self.current[index] = None;
                }
                response
            }
            Transition::Merge { chain, .. } => {
                let key = self.csr_key(name);
                let x5c = Pool::get().merge_chain(*chain, key.as_deref());
                let body = json!({"x5c": x5c.iter().map(|c| b64(c)).collect::<Vec<_>>()});
                self.call("POST", &format!("/certificates/{name}/pending/merge?{API}"), &body)
            }
            Transition::Outcome { request, kind, .. } => {
                let id = self.resolve(index, *request).unwrap_or_else(random_id);
                let outcome = match kind {
                    OutcomeKind::Issued if self.modes.get(&id) == Some(&Mode::SelfSigned) => {
                        ProviderOutcome::SelfSigned
                    }
                    OutcomeKind::Issued => {
                        let key = self.csr_keys.get(&id).cloned();
                        let key = key.filter(|_| self.current[index].as_deref() == Some(id.as_str()));
                        ProviderOutcome::Issued {
                            x5c: key
                                .map(|k| Pool::get().chain_for(&k))
                                .unwrap_or_else(|| vec![Pool::get().ca_der().to_vec()]),
                        }
                    }
                    OutcomeKind::IssuedBadChain => ProviderOutcome::Issued {
                        x5c: Pool::get()
                            .chain_for(&rcgen::PublicKeyData::subject_public_key_info(Pool::get().other_key(1))),
                    },
                    OutcomeKind::Failed => ProviderOutcome::Failed {
                        code: "Request rejected".into(),
                        message: "rejected by the conformance run".into(),
                    },
                    OutcomeKind::Cancelled => ProviderOutcome::Cancelled,
                };
                self.surface.provider_outcome(name, &id, &outcome)
            }
            Transition::GetCertificate { .. } => self.surface.call("GET", &format!("/certificates/{name}?{API}"), b""),
            Transition::Tick { seconds } => {
                self.surface.advance(*seconds);
                SurfaceResponse { status: 200, body: b"{}".to_vec() }
            }
            Transition::DeleteCertificate { .. } => {
                self.surface.call("DELETE", &format!("/certificates/{name}?{API}"), b"")
            }
            Transition::GetDeleted { .. } => {
                self.surface.call("GET", &format!("/deletedcertificates/{name}?{API}"), b"")
            }
            Transition::Recover { .. } => {
                self.surface.call("POST", &format!("/deletedcertificates/{name}/recover?{API}"), b"")
            }
            Transition::Purge { .. } => {
                let response = self.surface.call("DELETE", &format!("/deletedcertificates/{name}?{API}"), b"");
                if response.status == 204 {
                    self.current[index] = None;
                }
                response
            }
            Transition::Backup { .. } => {
                let response = self.surface.call("POST", &format!("/certificates/{name}/backup?{API}"), b"");
                if response.status == 200 {
                    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
                    self.backups[index] = body["value"].as_str().map(str::to_owned);
                }
                response
            }
            Transition::Restore { .. } => {
                let value = self.backups[index].clone().unwrap_or_else(|| "bm90IGEgYmFja3Vw".to_owned());
                let response = self.call("POST", &format!("/certificates/restore?{API}"), &json!({"value": value}));
                if response.status == 200 {
                    self.current[index] = None;
                }
                response
            }
            Transition::UpdateProperties { .. } => {
                self.call("PATCH", &format!("/certificates/{name}/?{API}"), &json!({"tags": {"kit": "yes"}}))
            }
            Transition::GetPolicy { .. } => {
                self.surface.call("GET", &format!("/certificates/{name}/policy?{API}"), b"")
            }
            Transition::UpdatePolicy { .. } => self.call(
                "PATCH",
                &format!("/certificates/{name}/policy?{API}"),
                &json!({"x509_props": {"subject": format!("CN={name}-updated")}}),
            ),
            Transition::GetSecret { .. } => self.surface.call("GET", &format!("/secrets/{name}?{API}"), b""),
            Transition::SetContacts => self.call(
                "PUT",
                &format!("/certificates/contacts?{API}"),
                &json!({"contacts": [{"email": "kit@example.com"}]}),
            ),
            Transition::GetContacts => self.surface.call("GET", &format!("/certificates/contacts?{API}"), b""),
            Transition::DeleteContacts => self.surface.call("DELETE", &format!("/certificates/contacts?{API}"), b""),
            Transition::PastPurgeDate => {
                for (i, other) in NAMES.iter().enumerate() {
                    let deleted = self.surface.call("GET", &format!("/deletedcertificates/{other}?{API}"), b"");
                    if deleted.status == 200 {
                        self.current[i] = None;
                    }
                }
                if self.surface.moves_time() {
                    self.surface.advance((super::model::RETENTION_DAYS + 1) * 86_400);
                } else {
                    for other in NAMES {
                        self.surface.call("DELETE", &format!("/deletedcertificates/{other}?{API}"), b"");
                    }
                }
                SurfaceResponse { status: 200, body: b"{}".to_vec() }
            }
        }
    }

    fn pending_target(&self, name: &str, index: usize, request: RequestRef) -> String {
        match self.resolve(index, request) {
            Some(id) => format!("/certificates/{name}/pending?{API}&request_id={id}"),
            None => format!("/certificates/{name}/pending?{API}"),
        }
    }

    fn call(&mut self, method: &str, target: &str, body: &Value) -> SurfaceResponse {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.surface.call(method, target, &bytes)
    }

    /// Checks a response and everything visible against the model.
    pub fn check(
        &mut self,
        transition: &Transition,
        expect: Expect,
        response: &SurfaceResponse,
        before: Option<&[NameView]>,
        model: &ModelState,
    ) {
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        // A failed pending object answers 200 with an `error` too: only a
        // refusal's body is an error body.
        let code = if response.status >= 400 { body["error"]["code"].as_str() } else { None };
        assert_eq!(
            (response.status, code),
            (expect.status, expect.code),
            "{transition:?} answered {} {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
        if let Some(code) = code {
            assertions::every_error_maps_to_one_status_and_code(&mut self.codes, response.status, code);
        }
        if let Some(before) = before {
            let after = self.visible_state();
            assertions::a_refused_operation_changes_nothing(transition, before, &after);
        }
        assertions::request_ids_are_never_reused(&self.history);
        // The listing shows each live name with an issued version, in order.
        let listing = self.surface.call("GET", &format!("/certificates?{API}"), b"");
        let listing: Value = serde_json::from_slice(&listing.body).unwrap_or(Value::Null);
        let listed: Vec<&str> = listing["value"]
            .as_array()
            .map(|items| items.iter().filter_map(|i| i["id"].as_str()?.rsplit('/').next()).collect())
            .unwrap_or_default();
        let mut live: Vec<&str> = NAMES
            .iter()
            .zip(&model.names)
            .filter(|(_, n)| !n.deleted && n.versions > 0)
            .map(|(name, _)| *name)
            .collect();
        live.sort_unstable();
        assert_eq!(listed, live, "the certificates listed");
        for (index, name) in NAMES.iter().enumerate() {
            let expected = &model.names[index];
            let (status, body) = self.pending_body(name);
            let deleted = self.surface.call("GET", &format!("/deletedcertificates/{name}?{API}"), b"");
            assert_eq!(deleted.status, if expected.deleted { 200 } else { 404 }, "{name}: get deleted certificate");
            // No version is lost but by a purge: the live listing has each
            // one (and the placeholder); a deleted name's, none.
            let versions = self.surface.call("GET", &format!("/certificates/{name}/versions?{API}"), b"");
            let versions: Value = serde_json::from_slice(&versions.body).unwrap_or(Value::Null);
            let listed = versions["value"].as_array().map_or(0, Vec::len);
            let live = if expected.deleted { 0 } else { expected.versions + usize::from(expected.placeholder) };
            if live <= crate::rest::MAX_PAGE {
                assert_eq!(listed, live, "{name}: versions listed {versions}");
            }
            if expected.deleted {
                assert_eq!(status, 404, "{name}: a deleted name's pending object is not shown; {body}");
                let certificate = self.surface.call("GET", &format!("/certificates/{name}?{API}"), b"");
                assert_eq!(certificate.status, 404, "{name}: a deleted certificate is not shown");
                continue;
            }
            match &expected.pending {
                None => assert_eq!(status, 404, "{name}: the model has no pending object; the surface answered {body}"),
                Some(pending) => {
                    assert_eq!(status, 200, "{name}: {body}");
                    assert_eq!(body["status"].as_str(), Some(pending.status.as_str()), "{name}: {body}");
                    assert_eq!(
                        body["cancellation_requested"].as_bool(),
                        Some(pending.cancellation_requested),
                        "{name}: {body}"
                    );
                    assert_eq!(body["request_id"].as_str(), self.current[index].as_deref(), "{name}: request_id");
                    assertions::cancellation_requested_never_reverts(&mut self.cancellation, &body);
                    assertions::completed_has_a_target_and_no_error(&body);
                    assertions::failed_has_an_error(&body, &pending.status);
                    if pending.status == super::model::ModelStatus::Completed {
                        let certificate = self.surface.call("GET", &format!("/certificates/{name}?{API}"), b"");
                        let certificate: Value = serde_json::from_slice(&certificate.body).unwrap_or(Value::Null);
                        assertions::completed_leaf_carries_the_csr_key(&body, &certificate);
                    }
                }
            }
            let certificate = self.surface.call("GET", &format!("/certificates/{name}?{API}"), b"");
            let exists = expected.placeholder || expected.versions > 0;
            assert_eq!(certificate.status, if exists { 200 } else { 404 }, "{name}: get certificate");
            if certificate.status == 200 {
                let body: Value = serde_json::from_slice(&certificate.body).unwrap_or(Value::Null);
                assertions::a_placeholder_has_no_certificate(&body, expected.placeholder);
            }
        }
    }
}

impl<S: Surface> Default for Harness<S> {
    fn default() -> Self {
        Self::new()
    }
}

/// The `request_id` a run names when it wants one that was never issued:
/// well-formed, and far from the ids surfaces count from 1 or draw at random.
pub const UNISSUED_REQUEST_ID: &str = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0";

fn random_id() -> String {
    UNISSUED_REQUEST_ID.to_owned()
}

/// The state-machine test of a [`Surface`] against the model. Run it with
/// `proptest_state_machine::prop_state_machine!`:
///
/// ```ignore
/// prop_state_machine! {
///     #[test]
///     fn my_server_conforms(sequential 1..30 => Conformance<MySurface>);
/// }
/// ```
pub struct Conformance<S>(PhantomData<S>);

impl<S: Surface> StateMachineTest for Conformance<S> {
    type SystemUnderTest = Harness<S>;
    type Reference = Model;

    fn init_test(_state: &<Model as ReferenceStateMachine>::State) -> Harness<S> {
        Harness::new()
    }

    fn apply(mut harness: Harness<S>, state: &ModelState, transition: Transition) -> Harness<S> {
        super::count_step();
        let before = state.last.is_refusal().then(|| harness.visible_state());
        let response = harness.apply(&transition);
        harness.check(&transition, state.last, &response, before.as_deref(), state);
        harness
    }
}
