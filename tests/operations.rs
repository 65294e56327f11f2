//! One test per row of the spec's operations table (§3) and per decision (§4):
//! status, code, exact message and the visible fields.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use pending_certificate::policy::{IssuerParameters, X509Properties};
use pending_certificate::wire::CertificateOperation;
use pending_certificate::x5c::ChainValidation;
use pending_certificate::{
    CertificateName, CertificatePolicy, ChainOptions, Command, Context, CreateRequest, Effect, Failure, Issued, Issuer,
    IssuerName, NoKeys, OperationError, Recovery, Revision, SequentialIds, Status, StatusKind, Vault, VaultUrl,
};
use support::{Ca, Holder, ids, name, now};

const DIGICERT: &str = "mydigicert";

struct Fixture {
    vault: Vault,
    ids: SequentialIds,
    holder: Holder,
    ca: Ca,
    name: CertificateName,
}

impl Fixture {
    fn new() -> Self {
        let mut vault = Vault::new(VaultUrl::new("https://mykeyvault.vault.azure.net").unwrap());
        vault.set_issuer(IssuerName::new(DIGICERT).unwrap(), Issuer::new("DigiCert"));
        Self { vault, ids: ids(), holder: Holder::p256(), ca: Ca::p256("Test Root"), name: name("mycert1") }
    }

    /// A fixture whose vault validates chains at `level`.
    fn at(level: ChainValidation) -> Self {
        let mut f = Self::new();
        let url = f.vault.url().clone();
        f.vault = Vault::with_chain_options(url, ChainOptions::at_level(level));
        f.vault.set_issuer(IssuerName::new(DIGICERT).unwrap(), Issuer::new("DigiCert"));
        f
    }

    fn request(&self, issuer: Option<&str>) -> CreateRequest {
        let policy = CertificatePolicy {
            x509_props: Some(X509Properties { subject: Some("CN=MyCertSubject1".into()), ..Default::default() }),
            issuer: issuer.map(|n| IssuerParameters { name: Some(n.into()), cty: None, cert_transparency: None }),
            ..CertificatePolicy::default()
        };
        CreateRequest::new(self.holder.csr("MyCertSubject1"), policy)
    }

    fn create(&mut self, issuer: Option<&str>) -> Option<Effect> {
        let request = self.request(issuer);
        self.vault.create(&self.name, request, now(), &mut self.ids).unwrap()
    }

    fn pending(&self) -> &pending_certificate::PendingCertificate {
        self.vault.pending(&self.name, None).unwrap()
    }

    fn leaf(&self) -> Vec<u8> {
        self.ca.sign_csr(self.pending().csr(), "MyCertSubject1")
    }

    fn merge(&mut self, x5c: &[Vec<u8>]) -> Result<pending_certificate::VersionId, OperationError> {
        self.vault.merge(&self.name, x5c, now(), &mut self.ids)
    }

    /// Runs `op`, asserts it was refused with exactly this status, code and
    /// message, and that the vault did not change at all.
    fn refused<T: std::fmt::Debug>(
        &mut self,
        op: impl FnOnce(&mut Vault, &mut SequentialIds) -> Result<T, OperationError>,
        status: u16,
        code: &str,
        message: &str,
    ) {
        let before = self.vault.clone();
        let error = op(&mut self.vault, &mut self.ids).expect_err("the operation was not refused");
        assert_eq!((error.status(), error.code(), error.message().as_str()), (status, code, message));
        assert_eq!(self.vault, before, "a refused operation changed the vault");
    }
}

fn rid(f: &Fixture) -> pending_certificate::RequestId {
    f.pending().request_id()
}

// §3 row 1
#[test]
fn create_answers_a_new_in_progress_pending_object() {
    let mut f = Fixture::new();
    let effect = f.create(Some(DIGICERT));
    let pending = f.pending();
    assert_eq!(pending.status(), &Status::InProgress);
    assert!(!pending.cancellation_requested());
    assert_eq!(pending.issuer().name.as_str(), DIGICERT);
    assert_eq!(pending.request_id().to_string().len(), 32);
    assert_eq!(
        effect,
        Some(Effect::SubmitToIssuer {
            issuer: IssuerName::new(DIGICERT).unwrap(),
            request_id: pending.request_id(),
            csr: pending.csr().clone()
        })
    );
    let body = CertificateOperation::from_pending(f.vault.url(), &f.name, pending);
    assert_eq!(body.id.as_deref(), Some("https://mykeyvault.vault.azure.net/certificates/mycert1/pending"));
    assert_eq!(body.status_details.as_deref(), Some(pending_certificate::ISSUER_STATUS_DETAILS));
}

// §3 row 1: an old pending object that is not in progress is overwritten, with a new request id.
#[test]
fn create_overwrites_a_settled_pending_object_with_a_new_request_id() {
    for settle in ["completed", "failed", "cancelled"] {
        let mut f = Fixture::new();
        f.create(None);
        let first = rid(&f);
        match settle {
            "completed" => {
                let leaf = f.leaf();
                f.merge(&[leaf]).unwrap();
            }
            "failed" => {
                f.create_failed_after_reset(first);
            }
            _ => {
                // The provider's (here: any embedder's) confirmation ends it.
                f.vault.request_cancellation(&f.name, None, now()).unwrap();
                f.vault.cancelled(&f.name, first, now()).unwrap();
            }
        }
        assert_ne!(f.pending().status().kind(), StatusKind::InProgress);
        f.create(None);
        assert_eq!(f.pending().status(), &Status::InProgress, "after {settle}");
        assert_ne!(rid(&f), first, "request id reused after {settle}");
    }
}

impl Fixture {
    /// Makes the (manual) request fail by replacing it with an issuer-backed one
    /// that the provider fails.
    fn create_failed_after_reset(&mut self, _first: pending_certificate::RequestId) {
        self.vault.delete_pending(&self.name, None, now()).unwrap();
        self.create(Some(DIGICERT));
        let id = rid(self);
        self.vault.failed(&self.name, id, Failure::new(Failure::ISSUER_ERROR, "the CA is down"), now()).unwrap();
    }
}

const IN_PROGRESS: &str = "A new key vault certificate can not be created or imported while a pending key vault certificate's status is inProgress.";

// §3 row 2
#[test]
fn create_or_import_while_in_progress_is_409_forbidden() {
    for issuer in [None, Some(DIGICERT), Some("Self")] {
        let mut f = Fixture::new();
        f.create(issuer);
        let request = f.request(None);
        let name = f.name.clone();
        f.refused(|v, ids| v.create(&name, request, now(), ids), 409, "Forbidden", IN_PROGRESS);
        let leaf = f.ca.sign("other", &Holder::p256().key);
        f.refused(|v, ids| v.import(&name, &[leaf], None, None, now(), ids), 409, "Forbidden", IN_PROGRESS);
    }
}

// §3 row 3
#[test]
fn get_pending_answers_it_with_or_without_its_request_id() {
    let mut f = Fixture::new();
    f.create(Some(DIGICERT));
    let id = rid(&f);
    assert_eq!(f.vault.pending(&f.name, Some(id)).unwrap().request_id(), id);
    assert_eq!(f.vault.pending(&f.name, None).unwrap().request_id(), id);
}

// §3 row 4 and decision "no pending object ⇒ 404"
#[test]
fn get_pending_is_404_when_never_created_deleted_imported_or_request_id_differs() {
    let message = "Pending certificate not found: mycert1";
    let mut f = Fixture::new();
    let name = f.name.clone();
    f.refused(|v, _| v.pending(&name, None).cloned(), 404, "PendingCertificateNotFound", message);

    f.create(Some(DIGICERT));
    let other = support::request_id(7);
    // Writes say "Certificate" with a capital C, as the service does.
    let for_change = "Pending Certificate not found: mycert1";
    f.refused(|v, _| v.pending(&name, Some(other)).cloned(), 404, "PendingCertificateNotFound", message);
    f.refused(|v, _| v.update_pending(&name, Some(other), true, now()), 404, "PendingCertificateNotFound", for_change);
    f.refused(|v, _| v.delete_pending(&name, Some(other), now()), 404, "PendingCertificateNotFound", for_change);

    f.vault.delete_pending(&name, None, now()).unwrap();
    f.refused(|v, _| v.pending(&name, None).cloned(), 404, "PendingCertificateNotFound", message);

    f.create(None);
    let leaf = f.leaf();
    f.merge(&[leaf]).unwrap();
    let leaf = f.ca.sign("imported", &Holder::p256().key);
    f.vault.import(&name, &[leaf], None, None, now(), &mut f.ids).unwrap();
    f.refused(|v, _| v.pending(&name, None).cloned(), 404, "PendingCertificateNotFound", message);
}

// §4: merge, cancel and delete with no pending object are 404.
#[test]
fn merge_cancel_and_delete_without_a_pending_object_are_404() {
    let mut f = Fixture::new();
    let name = f.name.clone();
    let message = "Pending Certificate not found: mycert1";
    let leaf = f.ca.sign("x", &Holder::p256().key);
    f.refused(|v, ids| v.merge(&name, &[leaf], now(), ids), 404, "PendingCertificateNotFound", message);
    f.refused(|v, _| v.update_pending(&name, None, true, now()), 404, "PendingCertificateNotFound", message);
    f.refused(|v, _| v.delete_pending(&name, None, now()), 404, "PendingCertificateNotFound", message);
    assert!(f.vault.is_empty());
}

// §3 row 5
#[test]
fn merge_into_an_issuer_backed_request_in_progress_is_403() {
    for (issuer, shown) in [(DIGICERT, DIGICERT), ("Self", "Self")] {
        let mut f = Fixture::new();
        f.create(Some(issuer));
        let leaf = f.leaf();
        let name = f.name.clone();
        let message =
            format!("Merge is forbidden on pending object created with issuer : {shown} while it is in progess.");
        f.refused(|v, ids| v.merge(&name, &[leaf], now(), ids), 403, "Forbidden", &message);
    }
}

// §3 row 6
#[test]
fn out_of_band_merge_completes_a_failed_or_cancelled_request() {
    for outcome in ["failed", "cancelled"] {
        let mut f = Fixture::new();
        f.create(Some(DIGICERT));
        let id = rid(&f);
        if outcome == "failed" {
            f.vault.failed(&f.name, id, Failure::new(Failure::REQUEST_REJECTED, "no"), now()).unwrap();
        } else {
            f.vault.cancelled(&f.name, id, now()).unwrap();
        }
        let leaf = f.leaf();
        let version = f.merge(&[leaf.clone(), f.ca.der.clone()]).unwrap();
        assert_eq!(f.pending().status(), &Status::Completed { version });
        assert_eq!(f.pending().request_id(), id);
    }
}

// §3 row 7
#[test]
fn cancel_records_the_request_and_stays_in_progress_for_an_issuer() {
    let mut f = Fixture::new();
    f.create(Some(DIGICERT));
    let id = rid(&f);
    let effect = f.vault.update_pending(&f.name, Some(id), true, now()).unwrap();
    assert_eq!(effect, Some(Effect::CancelAtIssuer { issuer: IssuerName::new(DIGICERT).unwrap(), request_id: id }));
    assert!(f.pending().cancellation_requested());
    assert_eq!(f.pending().status(), &Status::InProgress);
    // Asking again is accepted and asks the issuer nothing new.
    assert_eq!(f.vault.update_pending(&f.name, None, true, now()).unwrap(), None);
    assert!(f.pending().cancellation_requested());
}

// §3 row 8 and decision "400 BadParameter"
#[test]
fn cancel_outside_in_progress_is_400_bad_parameter() {
    let mut f = Fixture::new();
    f.create(None);
    let leaf = f.leaf();
    f.merge(&[leaf]).unwrap();
    let name = f.name.clone();
    let message = "Cancellation can only be requested while the pending certificate's status is inProgress; its status is completed.";
    f.refused(|v, _| v.update_pending(&name, None, true, now()), 400, "BadParameter", message);
    f.refused(|v, _| v.update_pending(&name, None, false, now()), 400, "BadParameter", message);
}

// §3 row 9
#[test]
fn delete_answers_the_object_as_it_was_and_then_get_is_404() {
    let mut f = Fixture::new();
    f.create(Some(DIGICERT));
    let before = f.pending().clone();
    let (deleted, effect) = f.vault.delete_pending(&f.name, Some(before.request_id()), now()).unwrap();
    assert_eq!(deleted, before);
    assert_eq!(
        effect,
        Some(Effect::PendingDeleted { issuer: IssuerName::new(DIGICERT).unwrap(), request_id: before.request_id() })
    );
    assert!(f.vault.pending(&f.name, None).is_err());

    // A manual request has no provider to tell; a settled one neither.
    let mut f = Fixture::new();
    f.create(None);
    assert_eq!(f.vault.delete_pending(&f.name, None, now()).unwrap().1, None);
}

// §3 row 10
#[test]
fn manual_merge_completes_into_a_new_version() {
    let mut f = Fixture::new();
    assert_eq!(f.create(None), None);
    assert_eq!(f.pending().status_details(), Some(pending_certificate::MANUAL_STATUS_DETAILS));
    let leaf = f.leaf();
    let version = f.merge(std::slice::from_ref(&leaf)).unwrap();
    let v = f.vault.certificate(&f.name, Some(version)).unwrap();
    assert_eq!(v.cer(), leaf.as_slice());
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &leaf);
    use base64::Engine as _;
    assert_eq!(v.x5t(), base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref()));
    assert_eq!(v.not_before(), 1_767_225_600); // 2026-01-01, from the leaf
    assert_eq!(v.not_after(), 1_798_761_600); // 2027-01-01
    assert_eq!((v.created(), v.updated()), (now().unix_timestamp(), now().unix_timestamp()));
    assert!(v.enabled());
}

// §3 row 11
#[test]
fn completed_pending_object_has_a_target_and_no_status_details() {
    let mut f = Fixture::new();
    f.create(None);
    let leaf = f.leaf();
    f.merge(&[leaf]).unwrap();
    let body = CertificateOperation::from_pending(f.vault.url(), &f.name, f.pending());
    assert_eq!(body.target.as_deref(), Some("https://mykeyvault.vault.azure.net/certificates/mycert1"));
    assert_eq!(body.status_details, None);
    assert_eq!(body.error, None);
    assert_eq!(body.status.map(|s| s.to_string()).as_deref(), Some("completed"));
}

// §3 row 12
#[test]
fn failed_pending_object_carries_its_error() {
    for code in [Failure::ISSUER_ERROR, Failure::REQUEST_REJECTED] {
        let mut f = Fixture::new();
        f.create(Some(DIGICERT));
        let id = rid(&f);
        f.vault.failed(&f.name, id, Failure::new(code, "details"), now()).unwrap();
        let body = CertificateOperation::from_pending(f.vault.url(), &f.name, f.pending());
        assert_eq!(body.status.map(|s| s.to_string()).as_deref(), Some("failed"));
        let error = body.error.unwrap();
        assert_eq!((error.code.as_str(), error.message.as_str()), (code, "details"));
        assert_eq!(body.target, None);
    }
}

// §4: merge when completed is 409 Conflict.
#[test]
fn merge_into_a_completed_request_is_409_conflict() {
    let mut f = Fixture::new();
    f.create(None);
    let leaf = f.leaf();
    f.merge(std::slice::from_ref(&leaf)).unwrap();
    let name = f.name.clone();
    let message = "The pending certificate mycert1 has already completed; there is nothing left to merge into. Create a new request to issue a new version.";
    f.refused(|v, ids| v.merge(&name, &[leaf], now(), ids), 409, "Conflict", message);
}

// §4: PATCH with false changes nothing and answers 200 while in progress.
#[test]
fn patch_with_false_changes_nothing() {
    for issuer in [None, Some(DIGICERT)] {
        let mut f = Fixture::new();
        f.create(issuer);
        let before = f.pending().clone();
        assert_eq!(f.vault.update_pending(&f.name, None, false, now()).unwrap(), None);
        assert_eq!(f.pending(), &before);
    }
}

// §4 (revised from the live service): cancel on a manual request answers 200
// and stays inProgress; a merge still completes it, a delete removes it.
#[test]
fn cancel_on_a_manual_request_stays_in_progress_until_a_merge_or_a_delete() {
    let mut f = Fixture::new();
    f.create(Some("Unknown"));
    assert_eq!(f.vault.request_cancellation(&f.name, None, now()).unwrap(), None);
    assert_eq!(f.pending().status(), &Status::InProgress);
    assert!(f.pending().cancellation_requested());
    assert_eq!(f.pending().status_details(), Some(pending_certificate::MANUAL_STATUS_DETAILS));
    // Still in progress: a create is refused, a merge completes it.
    let request = f.request(None);
    let name = f.name.clone();
    f.refused(|v, ids| v.create(&name, request, now(), ids), 409, "Forbidden",
        "A new key vault certificate can not be created or imported while a pending key vault certificate's status is inProgress.");
    let leaf = f.leaf();
    let version = f.merge(&[leaf]).unwrap();
    assert_eq!(f.pending().status(), &Status::Completed { version });
    assert!(f.pending().cancellation_requested());

    let mut f = Fixture::new();
    f.create(None);
    f.vault.request_cancellation(&f.name, None, now()).unwrap();
    let (deleted, effect) = f.vault.delete_pending(&f.name, None, now()).unwrap();
    assert_eq!((deleted.status(), effect), (&Status::InProgress, None));
    assert!(f.vault.pending(&f.name, None).is_err());
}

// §4: provider outcomes for a request that is not current, or not in progress, are refused.
#[test]
fn stale_provider_outcomes_are_refused_and_change_nothing() {
    let mut f = Fixture::new();
    let name = f.name.clone();
    f.refused(
        |v, _| v.cancelled(&name, support::request_id(1), now()),
        409,
        "Conflict",
        &format!(
            "The outcome for request {} of certificate mycert1 was refused: there is no pending certificate",
            support::request_id(1)
        ),
    );

    f.create(Some(DIGICERT));
    let old = rid(&f);
    f.vault.failed(&name, old, Failure::new(Failure::ISSUER_ERROR, "x"), now()).unwrap();
    f.refused(
        |v, _| v.cancelled(&name, old, now()),
        409,
        "Conflict",
        &format!("The outcome for request {old} of certificate mycert1 was refused: the request is already failed"),
    );

    f.create(Some(DIGICERT));
    let leaf = f.leaf();
    f.refused(|v, ids| v.issued(&name, old, std::slice::from_ref(&leaf), now(), ids), 409, "Conflict",
        &format!("The outcome for request {old} of certificate mycert1 was refused: it answers a request that has been replaced"));
    f.refused(|v, _| v.failed(&name, old, Failure::new("x", "y"), now()), 409, "Conflict",
        &format!("The outcome for request {old} of certificate mycert1 was refused: it answers a request that has been replaced"));
    // The current one still completes.
    let current = rid(&f);
    assert!(matches!(f.vault.issued(&name, current, &[leaf], now(), &mut f.ids).unwrap(), Issued::Completed(_)));
}

// §4: an issued chain that fails validation makes the request failed.
#[test]
fn an_invalid_issued_chain_fails_the_request_with_issuer_error() {
    let mut f = Fixture::new();
    f.create(Some(DIGICERT));
    let id = rid(&f);
    let wrong_key = f.ca.sign("MyCertSubject1", &Holder::p256().key);
    let outcome = f.vault.issued(&f.name, id, &[wrong_key], now(), &mut f.ids).unwrap();
    assert_eq!(outcome, Issued::Refused(pending_certificate::x5c::ChainError::LeafKeyMismatch));
    let Status::Failed { error } = f.pending().status() else { panic!("not failed") };
    assert_eq!(error.code, "Certificate issuer error");
    assert_eq!(
        error.message,
        "The issuer returned an invalid certificate chain: Unable to parse X5c certificate chain and locate leaf certificate"
    );
    // A failed request keeps its in-progress details, as the service does.
    assert_eq!(f.pending().status_details(), Some(pending_certificate::ISSUER_STATUS_DETAILS));
    assert!(f.vault.certificate(&f.name, None).is_ok());
}

// §4: at the default (`Service`) level, a merge is refused only for an
// element that does not parse or no leaf with the request's key.
#[test]
fn merge_at_the_service_level_refuses_only_what_the_service_refuses() {
    let mut f = Fixture::new();
    f.create(None);
    let name = f.name.clone();
    let leaf = f.leaf();
    f.refused(|v, ids| v.merge(&name, &[leaf.clone(), b"garbage".to_vec()], now(), ids), 400, "BadParameter",
        "Property x5c has invalid value X5C must has at least one valid item (x5c[1] is not a DER-encoded X.509 certificate: unexpected ASN.1 DER tag: expected SEQUENCE, got APPLICATION [7] (constructed))");
    let other = f.ca.sign("MyCertSubject1", &Holder::p256().key);
    f.refused(
        |v, ids| v.merge(&name, &[other], now(), ids),
        400,
        "BadParameter",
        "Unable to parse X5c certificate chain and locate leaf certificate",
    );
    let empty: [Vec<u8>; 0] = [];
    f.refused(
        |v, ids| v.merge(&name, &empty, now(), ids),
        400,
        "BadParameter",
        "Property x5c has invalid value X5C must has at least one valid item",
    );
    // A certificate that is not on any path from the leaf is kept, not refused.
    let stranger = Ca::p256("Stranger").der;
    let version = f.merge(&[leaf.clone(), stranger.clone()]).unwrap();
    assert_eq!(f.vault.certificate(&name, Some(version)).unwrap().x5c(), [leaf, stranger].as_slice());
}

// §4: the `Strict` level refuses naming the index.
#[test]
fn merge_validation_failures_at_the_strict_level_are_400_naming_the_index() {
    let mut f = Fixture::at(ChainValidation::Strict);
    f.create(None);
    let name = f.name.clone();
    let leaf = f.leaf();
    let stranger = Ca::p256("Stranger").der;
    f.refused(
        |v, ids| v.merge(&name, &[leaf.clone(), stranger], now(), ids),
        400,
        "BadParameter",
        "The x5c chain is invalid: x5c[1] is not on the path from the leaf",
    );
    let other = f.ca.sign("MyCertSubject1", &Holder::p256().key);
    f.refused(
        |v, ids| v.merge(&name, &[other], now(), ids),
        400,
        "BadParameter",
        "Unable to parse X5c certificate chain and locate leaf certificate",
    );
}

// §4: any order in, leaf first out — unless preserveCertOrder.
#[test]
fn merge_accepts_any_order_and_stores_leaf_first_unless_asked_to_preserve() {
    for preserve in [false, true] {
        let mut f = Fixture::new();
        let intermediate = f.ca.intermediate("Issuing CA", &rcgen::PKCS_ECDSA_P384_SHA384);
        let mut request = f.request(None);
        request.preserve_cert_order = preserve;
        f.vault.create(&f.name, request, now(), &mut f.ids).unwrap();
        let leaf = intermediate.sign_csr(f.pending().csr(), "MyCertSubject1");
        let given = vec![f.ca.der.clone(), leaf.clone(), intermediate.der.clone()];
        let version = f.merge(&given).unwrap();
        let v = f.vault.certificate(&f.name, Some(version)).unwrap();
        let expected =
            if preserve { given.clone() } else { vec![leaf.clone(), intermediate.der.clone(), f.ca.der.clone()] };
        assert_eq!(v.x5c(), expected.as_slice());
        assert_eq!(v.cer(), leaf.as_slice());
    }
}

// §3 "observed": a write against a stale revision is 409 Conflict.
#[test]
fn a_write_against_a_stale_revision_is_409_conflict() {
    let mut f = Fixture::new();
    f.create(None);
    let (revision, aggregate) = f.vault.load(&f.name).unwrap();
    let mut mine = aggregate.clone();
    let mut theirs = aggregate.clone();
    let (options, recovery) = (ChainOptions::default(), Recovery::default());
    let cx = Context { chain_options: &options, recovery: &recovery, now: now() };
    let cancel = || Command::UpdatePending { request_id: None, cancellation_requested: true };
    theirs.apply(cancel(), &cx, &mut ids(), &mut NoKeys).unwrap();
    assert_eq!(f.vault.store(theirs, Some(revision)).unwrap(), Revision(revision.0 + 1));
    mine.apply(cancel(), &cx, &mut ids(), &mut NoKeys).unwrap();
    f.refused(|v, _| v.store(mine, Some(revision)), 409, "Conflict",
        "There was a conflict while updating pending certificate 'https://mykeyvault.vault.azure.net/certificates/mycert1/pending'. This can happen when multiple operations are performed in parallel against the pending certificate. To avoid this error, perform operations against the pending certificate in a sequential manner.");
}

#[test]
fn create_naming_an_unregistered_issuer_is_400() {
    let mut f = Fixture::new();
    let request = f.request(Some("nosuchissuer"));
    let name = f.name.clone();
    f.refused(
        |v, ids| v.create(&name, request, now(), ids),
        400,
        "BadParameter",
        "The issuer nosuchissuer is not registered in this key vault.",
    );
    let request = f.request(Some("bad/name"));
    f.refused(
        |v, ids| v.create(&name, request, now(), ids),
        400,
        "BadParameter",
        "Property policy.issuer.name has invalid value. \"bad/name\" is not an issuer name: the name may contain only 0-9, a-z, A-Z and '-'",
    );
}

#[test]
fn self_signed_create_asks_the_key_holder_and_completes_on_issue() {
    let mut f = Fixture::new();
    let effect = f.create(Some("Self"));
    let id = rid(&f);
    let Some(Effect::SignSelf { request_id, csr }) = effect else { panic!("{effect:?}") };
    assert_eq!(request_id, id);
    // The key holder signs its own key: a self-signed certificate.
    let mut params = rcgen::CertificateParams::new(vec![]).unwrap();
    params.distinguished_name = support::dn("MyCertSubject1");
    let self_signed = params.self_signed(&f.holder.key).unwrap().der().to_vec();
    assert_eq!(csr.public_key(), f.pending().csr().public_key());
    let Issued::Completed(version) = f.vault.issued(&f.name, id, &[self_signed], now(), &mut f.ids).unwrap() else {
        panic!()
    };
    assert_eq!(f.pending().status(), &Status::Completed { version });
}

// The live service keeps a `Self` request in progress for some seconds: the
// key holder signs when the embedder carries out `SignSelf`.
#[test]
fn a_self_request_stays_in_progress_until_the_key_holder_signs() {
    let mut f = Fixture::new();
    let Some(Effect::SignSelf { request_id, .. }) = f.create(Some("Self")) else { panic!() };
    assert_eq!(f.pending().status(), &Status::InProgress);
    assert_eq!(f.pending().status_details(), Some(pending_certificate::ISSUER_STATUS_DETAILS));
    let mut holder = Holder { key: rcgen::KeyPair::try_from(f.holder.key.serialize_der().as_slice()).unwrap() };
    let Issued::Completed(version) = f.vault.sign_self(&f.name, request_id, &mut holder, now(), &mut f.ids).unwrap()
    else {
        panic!()
    };
    assert_eq!(f.pending().status(), &Status::Completed { version });
    assert_eq!(f.vault.certificate(&f.name, None).unwrap().version(), version);
    // Signed once: a second signing is a stale outcome.
    let name = f.name.clone();
    f.refused(
        |v, ids| v.sign_self(&name, request_id, &mut holder, now(), ids),
        409,
        "Conflict",
        &format!(
            "The outcome for request {request_id} of certificate mycert1 was refused: the request is already completed"
        ),
    );

    // Cancelled meanwhile: the embedder reports `cancelled`, and the
    // certificate stays a disabled placeholder.
    let Some(Effect::SignSelf { request_id, .. }) = f.create(Some("Self")) else { panic!() };
    let effect = f.vault.request_cancellation(&f.name, None, now()).unwrap();
    assert_eq!(effect, Some(Effect::CancelAtIssuer { issuer: IssuerName::self_signed(), request_id }));
    f.vault.cancelled(&f.name, request_id, now()).unwrap();
    assert_eq!(f.pending().status(), &Status::Cancelled);
    assert!(f.vault.certificate(&f.name, None).unwrap().is_placeholder());

    // Only a `Self` request is signed by the key holder.
    f.create(Some(DIGICERT));
    let id = rid(&f);
    f.refused(
        |v, ids| v.sign_self(&name, id, &mut holder, now(), ids),
        409,
        "Conflict",
        &format!("The outcome for request {id} of certificate mycert1 was refused: it is not a Self request"),
    );
}

#[test]
fn get_certificate_shows_a_request_in_progress_then_the_version() {
    let mut f = Fixture::new();
    let name = f.name.clone();
    f.refused(|v, _| v.certificate(&name, None).map(|_| ()), 404, "CertificateNotFound",
        "A certificate with (name/id) mycert1 was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182");
    f.create(None);
    // The placeholder: a version of its own from the create on, disabled, no
    // certificate; nbf ten minutes before the create, exp 12 calendar months
    // after it.
    let placeholder = f.vault.certificate(&name, None).unwrap().clone();
    assert!(placeholder.is_placeholder() && !placeholder.enabled());
    assert!(placeholder.cer().is_empty() && placeholder.x5t().is_empty());
    assert_eq!(placeholder.created(), now().unix_timestamp());
    assert_eq!(placeholder.not_before(), now().unix_timestamp() - 600);
    assert_eq!(placeholder.not_after(), 1_811_808_000); // 2027-06-01, from 2026-06-01
    assert_eq!(f.vault.certificate(&name, Some(placeholder.version())).unwrap(), &placeholder);
    let leaf = f.leaf();
    let version = f.merge(&[leaf]).unwrap();
    // The issued version is new and takes the placeholder's place.
    let v = f.vault.certificate(&name, None).unwrap();
    assert_eq!(v.version(), version);
    assert_ne!(version, placeholder.version());
    assert!(f.vault.certificate(&name, Some(placeholder.version())).is_err());
    // A deleted pending object leaves its placeholder.
    f.create(None);
    let second = f.vault.certificate(&name, None).unwrap().version();
    f.vault.delete_pending(&name, None, now()).unwrap();
    assert!(f.vault.certificate(&name, None).unwrap().is_placeholder());
    assert_eq!(f.vault.certificate(&name, None).unwrap().version(), second);
    let missing = support::request_id(5).as_u128();
    let missing = pending_certificate::VersionId::from_u128(missing);
    f.refused(|v, _| v.certificate(&name, Some(missing)).map(|_| ()), 404, "CertificateNotFound",
        &format!("A certificate with (name/id) mycert1/{missing} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"));
}

#[test]
fn the_aggregate_round_trips_through_serde_and_checks_its_format_version() {
    let mut f = Fixture::new();
    f.create(None);
    let leaf = f.leaf();
    f.merge(&[leaf, f.ca.der.clone()]).unwrap();
    f.create(Some(DIGICERT));
    let (_, aggregate) = f.vault.load(&f.name).unwrap();
    let json = serde_json::to_string(aggregate).unwrap();
    assert!(json.starts_with("{\"format_version\":2,"), "{json}");
    let back: pending_certificate::Certificate = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, aggregate);
    let future = json.replacen("\"format_version\":2", "\"format_version\":3", 1);
    assert!(serde_json::from_str::<pending_certificate::Certificate>(&future).is_err());
}

#[test]
fn request_ids_are_never_reused_for_a_name() {
    let mut f = Fixture::new();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..5 {
        f.create(None);
        assert!(seen.insert(rid(&f)));
        f.vault.delete_pending(&f.name, None, now()).unwrap();
    }
}

// A provider's failure is bounded: a code of at most 256 characters and a
// message of at most 4096 (characters, not bytes), each bound itself taken.
#[test]
fn a_failure_code_and_message_are_taken_up_to_their_bounds_and_refused_beyond() {
    let code_limit = pending_certificate::limits::MAX_FAILURE_CODE_LEN;
    let message_limit = pending_certificate::limits::MAX_FAILURE_MESSAGE_LEN;
    let cases = [
        ("é".repeat(code_limit), "details".to_owned(), None),
        ("c".to_owned(), "é".repeat(message_limit), None),
        ("c".repeat(code_limit + 1), "details".to_owned(), Some("the error code is longer than 256 characters")),
        ("c".to_owned(), "m".repeat(message_limit + 1), Some("the error message is longer than 4096 characters")),
        (String::new(), "details".to_owned(), Some("the error code is empty")),
    ];
    for (code, message, refusal) in cases {
        let mut f = Fixture::new();
        f.create(Some(DIGICERT));
        let id = rid(&f);
        let name = f.name.clone();
        match refusal {
            None => {
                f.vault.failed(&name, id, Failure::new(code.clone(), message.clone()), now()).unwrap();
                let error = match f.pending().status() {
                    Status::Failed { error } => error.clone(),
                    other => panic!("{other:?}"),
                };
                assert_eq!((error.code, error.message), (code, message));
            }
            Some(reason) => f.refused(
                |v, _| v.failed(&name, id, Failure::new(code, message), now()),
                400,
                "BadParameter",
                &format!("The provider's failure is invalid: {reason}"),
            ),
        }
    }
}

// The keys a name still needs: the pending request's CSR key and every issued
// version's leaf key, each once; what an embedder keeps, and no more.
#[test]
fn a_name_refers_to_its_requests_key_and_each_issued_versions_key() {
    let mut f = Fixture::new();
    let refs = |f: &Fixture| -> Vec<Vec<u8>> {
        let (_, certificate) = f.vault.load(&f.name).unwrap();
        certificate.key_references().into_iter().map(<[u8]>::to_vec).collect()
    };
    f.create(None);
    let first_key = f.pending().csr().public_key().to_vec();
    assert_eq!(refs(&f), vec![first_key.clone()]);
    let leaf = f.leaf();
    f.merge(&[leaf]).unwrap();
    // The issued version's leaf carries the same key: still one reference.
    assert_eq!(refs(&f), vec![first_key.clone()]);
    // A second request with a new key: both are needed.
    f.holder = Holder::p256();
    f.create(None);
    let second_key = f.pending().csr().public_key().to_vec();
    let mut expected = vec![first_key.clone(), second_key];
    expected.sort();
    assert_eq!(refs(&f), expected);
    // Once that request is deleted, only the issued version's key is left.
    f.vault.delete_pending(&f.name, None, now()).unwrap();
    assert_eq!(refs(&f), vec![first_key]);
}

// A merge answers its state (404, 403, 409) before it looks at its chain:
// a chain that is not one is refused only where the state takes a merge.
#[test]
fn a_merge_answers_its_state_before_its_chain() {
    let garbage = vec![b"not a certificate".to_vec()];
    // Nothing pending: the merge's own 404.
    let mut f = Fixture::new();
    let error = f.merge(&garbage).unwrap_err();
    assert_eq!((error.status(), error.code()), (404, "PendingCertificateNotFound"));
    // A manual request in progress: the chain's 400.
    let mut f = Fixture::new();
    f.create(None);
    let error = f.merge(&garbage).unwrap_err();
    assert!(matches!(error, OperationError::InvalidChain(_)), "{error:?}");
    // An issuer-backed one: the merge's 403, before any chain.
    let mut f = Fixture::new();
    f.create(Some(DIGICERT));
    let error = f.merge(&garbage).unwrap_err();
    assert_eq!((error.status(), error.code()), (403, "Forbidden"));
    // Completed: the merge's 409.
    let mut f = Fixture::new();
    f.create(None);
    let leaf = f.leaf();
    f.merge(std::slice::from_ref(&leaf)).unwrap();
    let expected = f.merge(&[leaf]).unwrap_err();
    let error = f.merge(&garbage).unwrap_err();
    assert_eq!(error, expected);
    assert_eq!(error.status(), 409);
}

// A vault counts the names that hold anything.
#[test]
fn a_vault_counts_the_names_that_hold_something() {
    let mut f = Fixture::new();
    assert_eq!((f.vault.len(), f.vault.is_empty()), (0, true));
    f.create(None);
    let other = name("other");
    let request = f.request(None);
    f.vault.create(&other, request, now(), &mut f.ids).unwrap();
    assert_eq!((f.vault.len(), f.vault.is_empty()), (2, false));
    assert_eq!(f.vault.names().count(), 2);
}

// A name past its scheduled purge date holds nothing, whether or not it was
// swept: a create through the vault and through the REST surface, on the
// same unswept state, both take it (202), where the deleted certificate
// would have been refused 409 the day before.
#[test]
fn a_name_past_its_purge_date_is_empty_through_the_vault_and_rest_alike() {
    let mut f = Fixture::new();
    f.create(None);
    let leaf = f.leaf();
    f.merge(&[leaf]).unwrap();
    f.vault.delete(&f.name, now()).unwrap();
    let purge_date = now() + time::Duration::days(90);
    let before_it = purge_date - time::Duration::seconds(1);
    let unswept = f.vault.clone();

    // The day before: still deleted, and a create is refused.
    let refused = f.vault.clone().create(&f.name, f.request(None), before_it, &mut ids()).unwrap_err();
    assert_eq!((refused.status(), refused.code()), (409, "Conflict"));

    // On the date, nothing was swept: the vault takes the create …
    let mut vault = unswept.clone();
    assert_eq!(vault.create(&f.name, f.request(None), purge_date, &mut ids()).unwrap(), None);
    let (_, aggregate) = vault.load(&f.name).unwrap();
    assert!(!aggregate.is_deleted() && aggregate.versions().len() == 1, "the old versions are gone");

    // … and so does the REST surface.
    let mut vault = unswept;
    let body = serde_json::to_vec(&serde_json::json!({"policy": {"issuer": {"name": "Unknown"},
        "x509_props": {"subject": "CN=MyCertSubject1"}}}))
    .unwrap();
    let request = pending_certificate::rest::Request {
        method: "POST",
        target: "/certificates/mycert1/create?api-version=7.5",
        body: &body,
    };
    let mut keys = pending_certificate::memory::MemoryKeyHolder::new();
    let handled = pending_certificate::rest::handle(&mut vault, &mut keys, &mut ids(), purge_date, request);
    assert_eq!(handled.response.status, 202, "{}", String::from_utf8_lossy(&handled.response.body));
    let (_, aggregate) = vault.load(&f.name).unwrap();
    assert!(!aggregate.is_deleted() && aggregate.versions().len() == 1, "the old versions are gone");
}
