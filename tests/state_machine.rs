//! The state machine under every sequence of operations: one reference model
//! (written from the specification, in the conformance kit), two systems
//! under test — the domain API and the `rest` module, bytes in and bytes out.
//!
//! `PROPTEST_CASES` sets the number of cases (default 48), `CONFORMANCE_STEPS`
//! the longest sequence (default 24).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use pending_certificate::command::NewKey;
use pending_certificate::conformance::model::{Mode, ModelStatus, OutcomeKind, RequestRef};
use pending_certificate::conformance::{
    Conformance, Model, ModelState, NAMES, Pool, RestSurface, Transition, UNISSUED_REQUEST_ID, steps,
};
use pending_certificate::memory::MemoryKeyHolder;
use pending_certificate::policy::{IssuerParameters, KeyProperties, X509Properties};
use pending_certificate::{
    CertificateName, CertificatePolicy, Command, Effect, Failure, Issuer, IssuerName, OperationError, RequestId,
    SequentialIds, Status, Vault, VaultUrl,
};
use proptest::test_runner::Config;
use proptest_state_machine::{StateMachineTest, prop_state_machine};
use time::OffsetDateTime;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(48);
    Config { cases, ..Config::default() }
}

prop_state_machine! {
    #![proptest_config(config())]

    #[test]
    fn the_rest_surface_agrees_with_the_model(sequential 1..=steps() => Conformance<RestSurface>);

    #[test]
    fn the_domain_api_agrees_with_the_model(sequential 1..=steps() => DomainTest);
}

/// The domain API as a system under test.
struct DomainSut {
    vault: Vault,
    keys: MemoryKeyHolder,
    ids: SequentialIds,
    now: OffsetDateTime,
    history: Vec<Vec<RequestId>>,
    /// The `Self` requests, whose provider is the key holder.
    self_signed: Vec<RequestId>,
    /// The last backup blob of each name.
    backups: Vec<Option<String>>,
}

struct DomainTest;

fn policy(mode: Mode, name: &str) -> CertificatePolicy {
    let issuer = match mode {
        Mode::Manual => "Unknown",
        Mode::Provider => "mydigicert",
        Mode::SelfSigned => "Self",
    };
    CertificatePolicy {
        key_props: Some(KeyProperties { kty: Some("EC".into()), crv: Some("P-256".into()), ..Default::default() }),
        x509_props: Some(X509Properties { subject: Some(format!("CN={name}")), ..Default::default() }),
        issuer: Some(IssuerParameters { name: Some(issuer.into()), ..Default::default() }),
        ..Default::default()
    }
}

impl DomainSut {
    /// The current request, deleted certificate or not (its provider still
    /// answers it).
    fn current(&self, name: &CertificateName) -> Option<RequestId> {
        self.vault.load(name).and_then(|(_, c)| c.current_pending()).map(|p| p.request_id())
    }

    fn resolve(&self, index: usize, name: &CertificateName, request: RequestRef) -> Option<RequestId> {
        let random = RequestId::parse(UNISSUED_REQUEST_ID).unwrap();
        let current = self.current(name);
        match request {
            RequestRef::Unspecified => None,
            RequestRef::Current => Some(current.unwrap_or(random)),
            RequestRef::Stale(i) => {
                let stale: Vec<RequestId> =
                    self.history[index].iter().copied().filter(|id| Some(*id) != current).collect();
                Some(if stale.is_empty() { random } else { stale[i.index(stale.len())] })
            }
            RequestRef::Random => Some(random),
        }
    }

    fn chain_for_pending(&self, name: &CertificateName) -> Vec<Vec<u8>> {
        match self.vault.load(name).and_then(|(_, c)| c.current_pending()) {
            Some(p) => Pool::get().chain_for(p.csr().public_key()),
            None => vec![Pool::get().ca_der().to_vec()],
        }
    }

    /// The operations whose domain API is the `rest` decision over the vault
    /// (backup, restore, properties, policy, secret, contacts): status and
    /// refusal code; `None` for the others.
    fn through_rest(&mut self, transition: &Transition) -> Option<(u16, Option<String>)> {
        let name = NAMES[transition.name_index().unwrap_or(0)];
        let index = transition.name_index().unwrap_or(0);
        let (method, target, body) = match transition {
            Transition::Backup { .. } => ("POST", format!("/certificates/{name}/backup"), None),
            Transition::Restore { .. } => {
                let value = self.backups[index].clone().unwrap_or_else(|| "bm90IGEgYmFja3Vw".to_owned());
                ("POST", "/certificates/restore".to_owned(), Some(serde_json::json!({"value": value})))
            }
            Transition::UpdateProperties { .. } => {
                ("PATCH", format!("/certificates/{name}/"), Some(serde_json::json!({"tags": {"kit": "yes"}})))
            }
            Transition::GetPolicy { .. } => ("GET", format!("/certificates/{name}/policy"), None),
            Transition::UpdatePolicy { .. } => (
                "PATCH",
                format!("/certificates/{name}/policy"),
                Some(serde_json::json!({"x509_props": {"subject": format!("CN={name}-updated")}})),
            ),
            Transition::GetSecret { .. } => ("GET", format!("/secrets/{name}"), None),
            Transition::SetContacts => (
                "PUT",
                "/certificates/contacts".to_owned(),
                Some(serde_json::json!({"contacts": [{"email": "kit@example.com"}]})),
            ),
            Transition::GetContacts => ("GET", "/certificates/contacts".to_owned(), None),
            Transition::DeleteContacts => ("DELETE", "/certificates/contacts".to_owned(), None),
            _ => return None,
        };
        let body = body.map(|b| serde_json::to_vec(&b).unwrap()).unwrap_or_default();
        let target = format!("{target}?api-version=7.5");
        let request = pending_certificate::rest::Request { method, target: &target, body: &body };
        let handled =
            pending_certificate::rest::handle(&mut self.vault, &mut self.keys, &mut self.ids, self.now, request);
        let answer: serde_json::Value = serde_json::from_slice(&handled.response.body).unwrap_or_default();
        if matches!(transition, Transition::Backup { .. }) && handled.response.status == 200 {
            self.backups[index] = answer["value"].as_str().map(str::to_owned);
        }
        let code = (handled.response.status >= 400).then(|| answer["error"]["code"].as_str().unwrap_or("").to_owned());
        Some((handled.response.status, code))
    }

    /// Applies one transition; `Ok(success status)` or the refusal.
    fn apply(&mut self, transition: &Transition) -> Result<u16, OperationError> {
        let index = transition.name_index().unwrap_or(0);
        let name = CertificateName::new(NAMES[index]).unwrap();
        let now = self.now;
        match transition {
            Transition::Create { mode, preserve, .. } => {
                let policy = policy(*mode, NAMES[index]);
                // The key holder makes the key only once every refusal is given.
                let registered_issuer = policy
                    .issuer
                    .as_ref()
                    .and_then(|i| i.name.as_deref())
                    .and_then(|n| IssuerName::new(n).ok())
                    .and_then(|n| self.vault.issuer(&n).cloned())
                    .map(Box::new);
                let command = Command::Create {
                    key: NewKey::Make,
                    policy: Box::new(policy),
                    preserve_cert_order: *preserve,
                    tags: None,
                    registered_issuer,
                };
                let outcome = self.vault.apply(&name, command, now, &mut self.ids, &mut self.keys)?;
                let effect = outcome.effects.into_iter().next();
                let id = self.current(&name).unwrap();
                self.history[index].push(id);
                if matches!(effect, Some(Effect::SignSelf { .. })) {
                    self.self_signed.push(id);
                }
                Ok(202)
            }
            Transition::Import { .. } => {
                let key = Pool::get().other_key(index);
                let spki = rcgen::PublicKeyData::subject_public_key_info(key);
                let chain = Pool::get().chain_for(&spki);
                // The key holder keeps the imported key, as `rest`'s import does.
                self.keys.insert_private_key(&key.serialize_der()).unwrap();
                self.vault.import(&name, &chain, Some(&spki), None, now, &mut self.ids).map(|_| 200)
            }
            Transition::GetPending { request, .. } => {
                let id = self.resolve(index, &name, *request);
                self.vault.pending(&name, id).map(|_| 200)
            }
            Transition::Cancel { request, requested, .. } => {
                let id = self.resolve(index, &name, *request);
                self.vault.update_pending(&name, id, *requested, now).map(|_| 200)
            }
            Transition::Delete { request, .. } => {
                let id = self.resolve(index, &name, *request);
                self.vault.delete_pending(&name, id, now).map(|_| 200)
            }
            Transition::Merge { chain, .. } => {
                let key = self.vault.pending(&name, None).ok().map(|p| p.csr().public_key().to_vec());
                let x5c = Pool::get().merge_chain(*chain, key.as_deref());
                self.vault.merge(&name, &x5c, now, &mut self.ids).map(|_| 201)
            }
            Transition::Outcome { request, kind, .. } => {
                let id = self.resolve(index, &name, *request).unwrap();
                match kind {
                    // A `Self` request's provider is the key holder.
                    OutcomeKind::Issued if self.self_signed.contains(&id) => {
                        self.vault.sign_self(&name, id, &mut self.keys, now, &mut self.ids).map(|_| 200)
                    }
                    OutcomeKind::Issued => {
                        let chain = if self.current(&name) == Some(id) {
                            self.chain_for_pending(&name)
                        } else {
                            vec![Pool::get().ca_der().to_vec()]
                        };
                        self.vault.issued(&name, id, &chain, now, &mut self.ids).map(|_| 200)
                    }
                    OutcomeKind::IssuedBadChain => {
                        let chain = Pool::get().other_key_chain(1);
                        self.vault.issued(&name, id, &chain, now, &mut self.ids).map(|_| 200)
                    }
                    OutcomeKind::Failed => {
                        let failure = Failure::new(Failure::REQUEST_REJECTED, "rejected");
                        self.vault.failed(&name, id, failure, now).map(|_| 200)
                    }
                    OutcomeKind::Cancelled => self.vault.cancelled(&name, id, now).map(|_| 200),
                }
            }
            Transition::GetCertificate { .. } => self.vault.certificate(&name, None).map(|_| 200),
            Transition::Tick { seconds } => {
                self.now += time::Duration::seconds(i64::from(*seconds));
                Ok(200)
            }
            Transition::DeleteCertificate { .. } => self.vault.delete(&name, now).map(|_| 200),
            Transition::GetDeleted { .. } => match self.vault.load(&name) {
                Some((_, c)) if !c.is_purged_at(now) => c.deleted_view().map(|_| 200),
                _ => Err(OperationError::DeletedCertificateNotFound { name: name.clone() }),
            },
            Transition::Recover { .. } => self.vault.recover(&name, now).map(|_| 200),
            Transition::Purge { .. } => self.vault.purge(&name, now).map(|_| 204),
            Transition::Backup { .. }
            | Transition::Restore { .. }
            | Transition::UpdateProperties { .. }
            | Transition::GetPolicy { .. }
            | Transition::UpdatePolicy { .. }
            | Transition::GetSecret { .. }
            | Transition::SetContacts
            | Transition::GetContacts
            | Transition::DeleteContacts => unreachable!("{transition:?} goes through rest"),
            Transition::PastPurgeDate => {
                self.now +=
                    time::Duration::days(i64::from(pending_certificate::conformance::model::RETENTION_DAYS) + 1);
                self.vault.sweep(self.now);
                Ok(200)
            }
        }
    }
}

impl StateMachineTest for DomainTest {
    type SystemUnderTest = DomainSut;
    type Reference = Model;

    fn init_test(_state: &ModelState) -> DomainSut {
        let mut vault = Vault::new(VaultUrl::new("https://conformance.vault.azure.net").unwrap());
        vault.set_issuer(IssuerName::new("mydigicert").unwrap(), Issuer::new("Test"));
        DomainSut {
            vault,
            keys: MemoryKeyHolder::new(),
            ids: SequentialIds::default(),
            now: OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_605),
            history: vec![Vec::new(); NAMES.len()],
            self_signed: Vec::new(),
            backups: vec![None; NAMES.len()],
        }
    }

    fn apply(mut sut: DomainSut, state: &ModelState, transition: Transition) -> DomainSut {
        pending_certificate::conformance::count_step();
        let before = sut.vault.clone();
        let got = match sut.through_rest(&transition) {
            Some(answer) => answer,
            None => match sut.apply(&transition) {
                Ok(status) => (status, None),
                Err(e) => (e.status(), Some(e.code().to_owned())),
            },
        };
        assert_eq!((got.0, got.1.as_deref()), (state.last.status, state.last.code), "{transition:?}: {got:?}");
        if state.last.is_refusal() {
            // The whole state, compared exactly.
            assert_eq!(sut.vault, before, "the refused {transition:?} changed the vault");
        }
        sut
    }

    fn check_invariants(sut: &DomainSut, state: &ModelState) {
        for (index, expected) in state.names.iter().enumerate() {
            let name = CertificateName::new(NAMES[index]).unwrap();
            let aggregate = sut.vault.load(&name).map(|(_, c)| c);
            let versions = aggregate.map(|c| c.versions()).unwrap_or_default();
            let issued = versions.iter().filter(|v| !v.is_placeholder()).count();
            assert_eq!(issued, expected.versions, "{name}: versions");
            assert_eq!(versions.iter().any(|v| v.is_placeholder()), expected.placeholder, "{name}: placeholder");
            let pending = aggregate.and_then(|c| c.current_pending());
            match (&expected.pending, pending) {
                (None, None) => {}
                (Some(model), Some(pending)) => {
                    let status_matches = matches!(
                        (&model.status, pending.status()),
                        (ModelStatus::InProgress, Status::InProgress)
                            | (ModelStatus::Completed, Status::Completed { .. })
                            | (ModelStatus::Cancelled, Status::Cancelled)
                    ) || matches!((&model.status, pending.status()), (ModelStatus::Failed(code), Status::Failed { error }) if *code == error.code);
                    assert!(status_matches, "{name}: model {:?}, vault {:?}", model.status, pending.status());
                    assert_eq!(pending.cancellation_requested(), model.cancellation_requested, "{name}");
                    assert_eq!(Some(&pending.request_id()), sut.history[index].last(), "{name}: request id");
                    if let Status::Completed { version } = pending.status() {
                        let version = aggregate.and_then(|c| c.versions().iter().find(|v| v.version() == *version));
                        let leaf = version.map(|v| v.cer().to_vec()).unwrap_or_default();
                        let leaf = <x509_cert::Certificate as der::Decode>::from_der(&leaf).unwrap();
                        let key = der::Encode::to_der(leaf.tbs_certificate().subject_public_key_info()).unwrap();
                        assert_eq!(key, pending.csr().public_key(), "{name}: completed leaf key");
                    }
                }
                (model, vault) => panic!("{name}: model {model:?}, vault {vault:?}"),
            }
            let mut ids = sut.history[index].clone();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), sut.history[index].len(), "{name}: a request id was reused");
        }
        // The aggregate is plain data: it round-trips through serde.
        for name in sut.vault.names() {
            let (_, aggregate) = sut.vault.load(name).unwrap();
            let json = serde_json::to_string(aggregate).unwrap();
            assert_eq!(&serde_json::from_str::<pending_certificate::Certificate>(&json).unwrap(), aggregate);
        }
    }
}
