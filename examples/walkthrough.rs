//! Plays every scenario of "Monitor and manage certificate creation" in order
//! against the core, with real keys, a real CSR and a real CA, and prints each
//! exchange as `METHOD path -> STATUS` followed by its JSON body.
//!
//! Ids and time are deterministic; keys and signatures are fresh every run.
//!
//! ```text
//! cargo run --example walkthrough
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../tests/support/mod.rs"]
mod support;

use pending_certificate::policy::{IssuerParameters, X509Properties};
use pending_certificate::wire::{BundleView, CertificateBundle, CertificateOperation, ErrorBody};
use pending_certificate::{
    CertificateName, CertificatePolicy, CreateRequest, Effect, Failure, Issuer, IssuerName, OperationError, RequestId,
    SequentialIds, Vault, VaultUrl,
};
use serde::Serialize;

const API: &str = "api-version=7.5";

struct Walkthrough {
    out: Vec<String>,
    vault: Vault,
    ids: SequentialIds,
    name: CertificateName,
    holder: support::Holder,
    ca: support::Ca,
}

impl Walkthrough {
    fn say(&mut self, line: impl Into<String>) {
        self.out.push(line.into());
    }

    fn print(&mut self, method: &str, path: &str, status: u16, body: &impl Serialize) {
        self.say(format!("{method} {path} -> {status}"));
        self.say(serde_json::to_string(body).unwrap());
    }

    fn print_error(&mut self, method: &str, path: &str, error: &OperationError) {
        self.print(method, path, error.status(), &ErrorBody::from(error));
    }

    fn pending_body(&self) -> CertificateOperation {
        let pending = self.vault.pending(&self.name, None).unwrap();
        CertificateOperation::from_pending(self.vault.url(), &self.name, pending)
    }

    fn create(&mut self, issuer: &str) -> Result<Option<Effect>, OperationError> {
        let path = format!("/certificates/{}/create?{API}", self.name);
        let policy = CertificatePolicy {
            x509_props: Some(X509Properties { subject: Some("CN=MyCertSubject1".into()), ..Default::default() }),
            issuer: Some(IssuerParameters { name: Some(issuer.into()), cty: None, cert_transparency: None }),
            ..Default::default()
        };
        // The key holder makes a key and its CSR; the core only sees the CSR.
        self.holder = support::Holder::p256();
        let request = CreateRequest::new(self.holder.csr("MyCertSubject1"), policy);
        let result = self.vault.create(&self.name, request, support::now(), &mut self.ids);
        match &result {
            Ok(_) => {
                let body = self.pending_body();
                self.print("POST", &path, 202, &body)
            }
            Err(e) => self.print_error("POST", &path, e),
        }
        result
    }

    fn get_pending(&mut self, request_id: Option<RequestId>) {
        let query = request_id.map(|id| format!("&request_id={id}")).unwrap_or_default();
        let path = format!("/certificates/{}/pending?{API}{query}", self.name);
        match self.vault.pending(&self.name, request_id) {
            Ok(_) => {
                let body = self.pending_body();
                self.print("GET", &path, 200, &body)
            }
            Err(e) => self.print_error("GET", &path, &e),
        }
    }

    fn cancel(&mut self) {
        let path = format!("/certificates/{}/pending?{API}", self.name);
        match self.vault.request_cancellation(&self.name, None, support::now()) {
            Ok(effect) => {
                let body = self.pending_body();
                self.print("PATCH", &path, 200, &body);
                if let Some(effect) = effect {
                    self.say(format!("# effect for the embedder: {effect:?}"));
                }
            }
            Err(e) => self.print_error("PATCH", &path, &e),
        }
    }

    fn delete(&mut self) {
        let path = format!("/certificates/{}/pending?{API}", self.name);
        match self.vault.delete_pending(&self.name, None, support::now()) {
            Ok((deleted, _)) => {
                let body = CertificateOperation::from_pending(self.vault.url(), &self.name, &deleted);
                self.print("DELETE", &path, 200, &body);
            }
            Err(e) => self.print_error("DELETE", &path, &e),
        }
    }

    fn merge(&mut self, x5c: &[Vec<u8>]) {
        let path = format!("/certificates/{}/pending/merge?{API}", self.name);
        match self.vault.merge(&self.name, x5c, support::now(), &mut self.ids) {
            Ok(version) => {
                let body = self.bundle(Some(version), BundleView::Latest);
                self.print("POST", &path, 201, &body);
            }
            Err(e) => self.print_error("POST", &path, &e),
        }
    }

    fn bundle(&self, version: Option<pending_certificate::VersionId>, view: BundleView) -> CertificateBundle {
        let found = self.vault.certificate(&self.name, version).unwrap();
        let (_, certificate) = self.vault.load(&self.name).unwrap();
        CertificateBundle::render(self.vault.url(), certificate, found, view, self.vault.recovery())
    }

    fn get_certificate(&mut self, by_version: bool) {
        let latest = self.vault.certificate(&self.name, None).unwrap().version();
        let (path, version, view) = if by_version {
            (format!("/certificates/{}/{latest}?{API}", self.name), Some(latest), BundleView::ByVersion)
        } else {
            (format!("/certificates/{}?{API}", self.name), None, BundleView::Latest)
        };
        let body = self.bundle(version, view);
        self.print("GET", &path, 200, &body);
    }

    /// The chain a real CA issues for the current request's CSR, leaf first.
    fn chain_for_current_csr(&self) -> Vec<Vec<u8>> {
        let csr = self.vault.pending(&self.name, None).unwrap().csr().clone();
        vec![self.ca.sign_csr(&csr, "MyCertSubject1"), self.ca.der.clone()]
    }

    fn current_request(&self) -> RequestId {
        self.vault.pending(&self.name, None).unwrap().request_id()
    }
}

fn main() {
    for line in run() {
        println!("{line}");
    }
}

/// Plays the scenarios; returns the lines to print.
pub fn run() -> Vec<String> {
    let mut vault = Vault::new(VaultUrl::new("https://mykeyvault.vault.azure.net").unwrap());
    vault.set_issuer(IssuerName::new("mydigicert").unwrap(), Issuer::new("DigiCert"));
    let mut w = Walkthrough {
        out: Vec::new(),
        vault,
        ids: SequentialIds::starting_at(0xa768_27a1_8b63_421c_917d_a80f_28e9_913d),
        name: CertificateName::new("mycert1").unwrap(),
        holder: support::Holder::p256(),
        ca: support::Ca::p256("Walkthrough Root CA"),
    };

    w.say("## Request a certificate from a supported issuer");
    let effect = w.create("mydigicert").unwrap();
    if let Some(Effect::SubmitToIssuer { issuer, request_id, .. }) = &effect {
        w.say(format!("# effect for the embedder: submit the CSR to {issuer} for request {request_id}"));
    }
    let first = w.current_request();

    w.say("## Get the pending request: inProgress");
    w.get_pending(Some(first));
    w.say("## Get the pending request with a request_id that is not its own");
    w.get_pending(Some(RequestId::from_u128(0xdead_beef)));

    w.say("## Create while a pending request is inProgress");
    w.create("mydigicert").unwrap_err();

    w.say("## Merge while an issuer-backed request is inProgress");
    let chain = w.chain_for_current_csr();
    w.merge(&chain);

    w.say("## Request cancellation while inProgress");
    w.cancel();
    w.say(format!("# provider mydigicert: cancelled request {first}"));
    w.vault.cancelled(&w.name, first, support::now()).unwrap();
    w.get_pending(None);
    w.say("## Request cancellation again: not inProgress");
    w.cancel();

    w.say("## Delete the pending object");
    w.delete();
    w.get_pending(None);

    w.say("## Create a certificate manually");
    w.create("Unknown").unwrap();
    w.say("## Get the certificate while it is pending: a disabled placeholder, with its own version");
    w.get_certificate(false);
    w.get_certificate(true);
    w.say("## Request cancellation of a manual request: it stays inProgress until a merge or a delete");
    w.cancel();
    w.say("## Merge the chain a CA issued for the request's CSR");
    let chain = w.chain_for_current_csr();
    w.merge(&chain);
    w.say("## Get the pending request: completed");
    w.get_pending(None);

    w.say("## A provider failure, then get: failed");
    w.create("mydigicert").unwrap();
    let failing = w.current_request();
    w.say(format!("# provider mydigicert: request {failing} failed"));
    let failure = Failure::new(Failure::ISSUER_ERROR, "The issuer could not validate the organization.");
    w.vault.failed(&w.name, failing, failure, support::now()).unwrap();
    w.get_pending(None);
    w.say("## Merge a certificate obtained out of band after the failure");
    let chain = w.chain_for_current_csr();
    w.merge(&chain);
    w.get_pending(None);

    w.say("## A Self request takes its time: inProgress until the key holder signs");
    w.create("Self").unwrap();
    let self_request = w.current_request();
    w.get_pending(None);
    w.say(format!("# the key holder signs request {self_request} some seconds later"));
    w.vault.sign_self(&w.name, self_request, &mut w.holder, support::now(), &mut w.ids).unwrap();
    w.get_pending(None);
    w.get_certificate(true);
    w.out
}
