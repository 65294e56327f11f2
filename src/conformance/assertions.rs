//! The invariants of the specification (§5), as named checks run after every
//! step.

use std::collections::{HashMap, HashSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use x509_cert::der::{Decode, Encode};

use super::model::{ModelStatus, Transition};

/// Invariant 1: `request_id` values are never reused for a name.
pub fn request_ids_are_never_reused(history: &[Vec<String>]) {
    for ids in history {
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "a request id was issued twice: {ids:?}");
        assert!(ids.iter().all(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())), "{ids:?}");
    }
}

/// Invariant 3: `cancellation_requested` never goes back to false within one
/// request.
pub fn cancellation_requested_never_reverts(seen: &mut HashMap<String, bool>, pending: &Value) {
    let (Some(id), Some(flag)) = (pending["request_id"].as_str(), pending["cancellation_requested"].as_bool()) else {
        panic!("a pending object without request_id or cancellation_requested: {pending}");
    };
    let before = seen.insert(id.to_owned(), flag);
    assert!(before != Some(true) || flag, "cancellation_requested went back to false for {id}");
}

/// Invariant 4 (the pending object's part): `completed` ⇒ `target` set, no
/// `error`; and a pending object that is not completed has no target.
pub fn completed_has_a_target_and_no_error(pending: &Value) {
    let completed = pending["status"] == "completed";
    assert_eq!(pending["target"].is_string(), completed, "target and status disagree: {pending}");
    if completed {
        assert!(pending.get("error").is_none(), "a completed object has an error: {pending}");
    }
}

/// Invariant 5: `failed` ⇒ `error` set, with the code the model expects.
pub fn failed_has_an_error(pending: &Value, status: &ModelStatus) {
    match status {
        ModelStatus::Failed(code) => assert_eq!(pending["error"]["code"].as_str(), Some(code.as_str()), "{pending}"),
        _ => assert!(pending.get("error").is_none(), "an object that did not fail has an error: {pending}"),
    }
}

/// Invariant 4 (the version's part): the new enabled version's leaf carries
/// the CSR's key.
pub fn completed_leaf_carries_the_csr_key(pending: &Value, certificate: &Value) {
    let decode = |v: &Value| v.as_str().and_then(|s| STANDARD.decode(s).ok());
    let csr = decode(&pending["csr"]).and_then(|der| crate::Csr::from_der(&der).ok());
    let leaf = decode(&certificate["cer"]).and_then(|der| x509_cert::Certificate::from_der(&der).ok());
    let (Some(csr), Some(leaf)) = (csr, leaf) else {
        panic!("a completed request without a readable CSR or certificate: {pending} / {certificate}");
    };
    let leaf_key = leaf.tbs_certificate().subject_public_key_info().to_der().unwrap_or_default();
    assert_eq!(csr.public_key(), leaf_key.as_slice(), "the completed version's leaf does not carry the CSR's key");
    assert_eq!(certificate["attributes"]["enabled"], true, "the completed version is not enabled: {certificate}");
}

/// Invariant 6: a refused operation leaves everything visible exactly as it
/// was.
pub fn a_refused_operation_changes_nothing<T: PartialEq + std::fmt::Debug>(
    transition: &Transition,
    before: &[T],
    after: &[T],
) {
    assert!(before == after, "the refused {transition:?} changed the state");
}

/// The (status, code) pairs the specification allows.
pub const ALLOWED_ERRORS: [(u16, &str); 9] = [
    (409, "Forbidden"),
    (403, "Forbidden"),
    (404, "PendingCertificateNotFound"),
    (400, "BadParameter"),
    (409, "Conflict"),
    (404, "CertificateNotFound"),
    (404, "SecretNotFound"),
    (404, "ContactsNotFound"),
    (400, "Malformed backup blob"),
];

/// Invariant 7: every error maps to one documented (status, code).
pub fn every_error_maps_to_one_status_and_code(seen: &mut HashMap<String, Vec<u16>>, status: u16, code: &str) {
    assert!(ALLOWED_ERRORS.contains(&(status, code)), "undocumented error ({status}, {code})");
    let statuses = seen.entry(code.to_owned()).or_default();
    if !statuses.contains(&status) {
        statuses.push(status);
    }
}

/// A create's placeholder (the newest version of a request that has not
/// completed) is disabled and has no `cer`, `kid`, `sid` or `x5t`; an issued
/// version has them all. Its `id` ends in its own version either way.
pub fn a_placeholder_has_no_certificate(bundle: &Value, placeholder: bool) {
    let id = bundle["id"].as_str().unwrap_or_default();
    let version = id.rsplit('/').next().unwrap_or_default();
    assert!(version.len() == 32 && version.bytes().all(|b| b.is_ascii_hexdigit()), "id without a version: {bundle}");
    for field in ["cer", "kid", "sid", "x5t"] {
        assert_eq!(bundle[field].is_string(), !placeholder, "{field} of {bundle}");
    }
    if placeholder {
        assert_eq!(bundle["attributes"]["enabled"], false, "an enabled placeholder: {bundle}");
        let (nbf, created) = (bundle["attributes"]["nbf"].as_i64(), bundle["attributes"]["created"].as_i64());
        assert_eq!(nbf, created.map(|c| c - 600), "placeholder nbf: {bundle}");
    }
}
