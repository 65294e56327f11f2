//! The wire model: the page's example bodies decode, every type round-trips,
//! status spelling rules hold, and rendering matches the service's field set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use pending_certificate::wire::{
    CertificateBundle, CertificateCreateParameters, CertificateImportParameters, CertificateMergeParameters,
    CertificateOperation, CertificateOperationUpdateParameter, ErrorBody, WireStatus,
};
use pending_certificate::{CertificatePolicy, CreateRequest, OperationError, SequentialIds, Vault, VaultUrl};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, value, "{json}");
}

const CREATE_WITH_ISSUER: &str = r#"{
  "policy": {
    "x509_props": { "subject": "CN=MyCertSubject1" },
    "issuer": { "name": "mydigicert", "cty": "OV-SSL" }
  }
}"#;

const CREATED: &str = r#"{
  "id": "https://mykeyvault.vault.azure.net/certificates/mycert1/pending",
  "issuer": { "name": "mydigicert" },
  "csr": "MIICq......DD5Lp5cqXg==",
  "cancellation_requested": false,
  "status": "InProgress",
  "status_details": "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later",
  "request_id": "a76827a18b63421c917da80f28e9913d"
}"#;

const FAILED: &str = r#"{
  "id": "https://mykeyvault.vault.azure.net/certificates/mycert1/pending",
  "issuer": { "name": "{issuer-name}" },
  "csr": "MIICq......DD5Lp5cqXg==",
  "cancellation_requested": false,
  "status": "failed",
  "status_details": "",
  "request_id": "a76827a18b63421c917da80f28e9913d",
  "error": { "code": "<errorcode>", "message": "<message>" }
}"#;

const COMPLETED: &str = r#"{
  "id": "https://mykeyvault.vault.azure.net/certificates/mycert1/pending",
  "issuer": { "name": "{issuer-name}" },
  "csr": "MIICq......DD5Lp5cqXg==",
  "cancellation_requested": false,
  "status": "completed",
  "request_id": "a76827a18b63421c917da80f28e9913d",
  "target": "https://mykeyvault.vault.azure.net/certificates/mycert1?api-version={api-version}"
}"#;

const MERGED: &str = r#"{
  "id": "https://mykeyvault.vault.azure.net/certificates/mycert1/f366e1a9dd774288ad84a45a5f620352",
  "kid": "https://mykeyvault.vault.azure.net/keys/mycert1/f366e1a9dd774288ad84a45a5f620352",
  "sid": "https://mykeyvault.vault.azure.net/secrets/mycert1/f366e1a9dd774288ad84a45a5f620352",
  "cer": "de34534",
  "x5t": "n14q2wbvyXr71Pcb58NivuiwJKk",
  "attributes": { "enabled": true, "exp": 1530394215, "nbf": 1435699215, "created": 1435699919, "updated": 1435699919 },
  "pending": { "id": "https://mykeyvault.vault.azure.net/certificates/mycert1/pending" },
  "policy": {
    "id": "https://mykeyvault.vault.azure.net/certificates/mycert1/policy",
    "key_props": { "exportable": false, "kty": "RSA", "key_size": 2048, "reuse_key": false },
    "secret_props": { "contentType": "application/x-pkcs12" },
    "x509_props": { "subject": "CN=Mycert1", "ekus": ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], "validity_months": 12 },
    "lifetime_actions": [{ "trigger": { "lifetime_percentage": 80 }, "action": { "action_type": "EmailContacts" } }],
    "issuer": { "name": "Unknown" },
    "attributes": { "enabled": true, "created": 1435699811, "updated": 1435699811 }
  }
}"#;

const CONFLICT: &str = r#"{
  "error": {
    "code": "Forbidden",
    "message": "A new key vault certificate can not be created or imported while a pending key vault certificate's status is inProgress."
  }
}"#;

#[test]
fn the_pages_create_request_decodes() {
    let create: CertificateCreateParameters = serde_json::from_str(CREATE_WITH_ISSUER).unwrap();
    let policy = create.policy.clone().unwrap();
    assert_eq!(policy.x509_props.unwrap().subject.as_deref(), Some("CN=MyCertSubject1"));
    let issuer = policy.issuer.unwrap();
    assert_eq!((issuer.name.as_deref(), issuer.cty.as_deref()), (Some("mydigicert"), Some("OV-SSL")));
    round_trip(&create);
}

#[test]
fn the_pages_pending_objects_decode() {
    let created: CertificateOperation = serde_json::from_str(CREATED).unwrap();
    assert_eq!(created.status, Some(WireStatus::InProgress));
    assert_eq!(created.request_id.as_deref(), Some("a76827a18b63421c917da80f28e9913d"));
    assert_eq!(created.cancellation_requested, Some(false));
    round_trip(&created);

    let failed: CertificateOperation = serde_json::from_str(FAILED).unwrap();
    assert_eq!(failed.status, Some(WireStatus::Failed));
    assert_eq!(failed.error.as_ref().map(|e| e.code.as_str()), Some("<errorcode>"));
    round_trip(&failed);

    let completed: CertificateOperation = serde_json::from_str(COMPLETED).unwrap();
    assert_eq!(completed.status, Some(WireStatus::Completed));
    assert!(completed.target.is_some());
    round_trip(&completed);
}

#[test]
fn the_pages_merge_response_decodes_with_every_policy_field() {
    let bundle: CertificateBundle = serde_json::from_str(MERGED).unwrap();
    assert_eq!(bundle.x5t.as_deref(), Some("n14q2wbvyXr71Pcb58NivuiwJKk"));
    let attributes = bundle.attributes.clone().unwrap();
    assert_eq!((attributes.nbf, attributes.exp), (Some(1435699215), Some(1530394215)));
    let policy = bundle.policy.clone().unwrap();
    assert_eq!(policy.key_props.as_ref().unwrap().key_size, Some(2048));
    assert_eq!(policy.secret_props.as_ref().unwrap().content_type.as_deref(), Some("application/x-pkcs12"));
    assert_eq!(policy.x509_props.as_ref().unwrap().ekus.as_ref().unwrap().len(), 2);
    let action = &policy.lifetime_actions.as_ref().unwrap()[0];
    assert_eq!(action.trigger.as_ref().unwrap().lifetime_percentage, Some(80));
    assert_eq!(action.action.as_ref().unwrap().action_type.as_deref(), Some("EmailContacts"));
    round_trip(&bundle);
    // Re-encoding gives back the page's JSON, field for field.
    let original: Value = serde_json::from_str(MERGED).unwrap();
    assert_eq!(serde_json::to_value(&bundle).unwrap(), original);
}

#[test]
fn the_pages_error_body_decodes_and_errors_encode_byte_exact() {
    let body: ErrorBody = serde_json::from_str(CONFLICT).unwrap();
    assert_eq!(body.error.code, "Forbidden");
    round_trip(&body);
    let encoded = serde_json::to_string(&ErrorBody::from(&OperationError::InProgress)).unwrap();
    assert_eq!(
        encoded,
        r#"{"error":{"code":"Forbidden","message":"A new key vault certificate can not be created or imported while a pending key vault certificate's status is inProgress."}}"#
    );
}

#[test]
fn status_decodes_case_insensitively_and_encodes_exactly() {
    for (sent, decoded, encoded) in [
        ("inProgress", WireStatus::InProgress, "inProgress"),
        ("InProgress", WireStatus::InProgress, "inProgress"),
        ("INPROGRESS", WireStatus::InProgress, "inProgress"),
        ("completed", WireStatus::Completed, "completed"),
        ("Completed", WireStatus::Completed, "completed"),
        ("failed", WireStatus::Failed, "failed"),
        ("cancelled", WireStatus::Cancelled, "cancelled"),
        ("canceled", WireStatus::Cancelled, "cancelled"),
        ("Canceled", WireStatus::Cancelled, "cancelled"),
    ] {
        let status: WireStatus = serde_json::from_value(json!(sent)).unwrap();
        assert_eq!(status, decoded, "{sent}");
        assert_eq!(serde_json::to_value(&status).unwrap(), json!(encoded));
    }
    let other: WireStatus = serde_json::from_value(json!("queued")).unwrap();
    assert_eq!(other, WireStatus::Other("queued".into()));
    assert_eq!(serde_json::to_value(&other).unwrap(), json!("queued"));
}

#[test]
fn unknown_fields_are_ignored_and_every_field_is_optional() {
    let op: CertificateOperation = serde_json::from_str(r#"{"surprise":{"deep":[1,2]},"status":"failed"}"#).unwrap();
    assert_eq!(op.status, Some(WireStatus::Failed));
    let empty: CertificateOperation = serde_json::from_str("{}").unwrap();
    assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
    let bundle: CertificateBundle = serde_json::from_str(r#"{"x":1}"#).unwrap();
    assert_eq!(bundle, CertificateBundle::default());
    let policy: CertificatePolicy =
        serde_json::from_str(r#"{"key_props":{"kty":"EC","crv":"P-256","nope":0}}"#).unwrap();
    assert_eq!(policy.key_props.unwrap().crv.as_deref(), Some("P-256"));
}

#[test]
fn requests_round_trip_and_required_fields_are_required() {
    let merge: CertificateMergeParameters = serde_json::from_str(r#"{"x5c":["MIIB","MIIC"]}"#).unwrap();
    assert_eq!(merge.x5c.len(), 2);
    round_trip(&merge);
    assert!(serde_json::from_str::<CertificateMergeParameters>("{}").is_err());
    assert!(serde_json::from_str::<CertificateMergeParameters>(r#"{"x5c":"MIIB"}"#).is_err());

    let update: CertificateOperationUpdateParameter =
        serde_json::from_str(r#"{"cancellation_requested":true}"#).unwrap();
    assert!(update.cancellation_requested);
    round_trip(&update);
    assert!(
        serde_json::from_str::<CertificateOperationUpdateParameter>(r#"{"cancellation_requested":"yes"}"#).is_err()
    );

    let import: CertificateImportParameters = serde_json::from_str(
        r#"{"value":"MIIK","pwd":"p","policy":{"secret_props":{"contentType":"application/x-pkcs12"}},"preserveCertOrder":true}"#,
    )
    .unwrap();
    assert_eq!(import.preserve_cert_order, Some(true));
    round_trip(&import);

    let create: CertificateCreateParameters =
        serde_json::from_str(r#"{"preserveCertOrder":true,"tags":{"a":"b"}}"#).unwrap();
    assert_eq!(create.preserve_cert_order, Some(true));
    round_trip(&create);
}

#[test]
fn a_rendered_pending_object_has_the_services_fields() {
    let holder = support::Holder::p256();
    let url = VaultUrl::new("https://mykeyvault.vault.azure.net").unwrap();
    let mut vault = Vault::new(url.clone());
    let name = support::name("mycert1");
    let mut ids = SequentialIds::starting_at(0xa768_27a1_8b63_421c_917d_a80f_28e9_913d);
    let policy: CertificatePolicy =
        serde_json::from_value(json!({"x509_props":{"subject":"CN=MyCertSubject1"},"issuer":{"name":"Unknown"}}))
            .unwrap();
    vault.create(&name, CreateRequest::new(holder.csr("MyCertSubject1"), policy), support::now(), &mut ids).unwrap();
    let pending = vault.pending(&name, None).unwrap();
    let body = serde_json::to_value(CertificateOperation::from_pending(&url, &name, pending)).unwrap();
    use base64::Engine as _;
    let csr = base64::engine::general_purpose::STANDARD.encode(pending.csr().der());
    assert_eq!(
        body,
        json!({
            "id": "https://mykeyvault.vault.azure.net/certificates/mycert1/pending",
            "issuer": { "name": "Unknown" },
            "csr": csr,
            "cancellation_requested": false,
            "status": "inProgress",
            "status_details": "Pending certificate created. Please Perform Merge to complete the request.",
            "request_id": "a76827a18b63421c917da80f28e9913d"
        })
    );
    round_trip(&CertificateOperation::from_pending(&url, &name, pending));
}
