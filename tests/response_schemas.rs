//! Every success answer of every operation of the REST specification
//! (`certificates.json`, api-version 2025-07-01) checked against the
//! response schema the specification gives it: each member is one the
//! definition declares, of the declared type, all the way down. The members
//! the live service sends beyond the specification are listed by name and
//! allowed only where the service was recorded sending them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use pending_certificate::memory::MemoryKeyHolder;
use pending_certificate::rest::{self, Request};
use pending_certificate::{Effect, Vault, VaultUrl};
use serde_json::{Value, json};

/// What a member must be, transcribed from the specification's definitions.
#[derive(Clone, Copy)]
enum Shape {
    Object(&'static [(&'static str, Shape)]),
    Array(&'static Shape),
    StringMap,
    String,
    Bool,
    Int,
    /// A string the service sends as `null` on the last page (`nextLink`).
    NullableString,
}

use Shape::{Array, Bool, Int, NullableString, Object, StringMap};

const STR: Shape = Shape::String;

const CERTIFICATE_ATTRIBUTES: Shape = Object(&[
    ("enabled", Bool),
    ("nbf", Int),
    ("exp", Int),
    ("created", Int),
    ("updated", Int),
    ("recoverableDays", Int),
    ("recoveryLevel", STR),
]);

const ISSUER_PARAMETERS: Shape = Object(&[("name", STR), ("cty", STR), ("cert_transparency", Bool)]);

const POLICY: Shape = Object(&[
    ("id", STR),
    ("key_props", Object(&[("exportable", Bool), ("kty", STR), ("key_size", Int), ("reuse_key", Bool), ("crv", STR)])),
    ("secret_props", Object(&[("contentType", STR)])),
    (
        "x509_props",
        Object(&[
            ("subject", STR),
            ("ekus", Array(&STR)),
            (
                "sans",
                Object(&[
                    ("emails", Array(&STR)),
                    ("dns_names", Array(&STR)),
                    ("upns", Array(&STR)),
                    ("uris", Array(&STR)),
                    ("ipAddresses", Array(&STR)),
                ]),
            ),
            ("key_usage", Array(&STR)),
            ("validity_months", Int),
            ("basic_constraints", Object(&[("ca", Bool)])),
        ]),
    ),
    (
        "lifetime_actions",
        Array(&Object(&[
            ("trigger", Object(&[("lifetime_percentage", Int), ("days_before_expiry", Int)])),
            ("action", Object(&[("action_type", STR)])),
        ])),
    ),
    ("issuer", ISSUER_PARAMETERS),
    ("attributes", CERTIFICATE_ATTRIBUTES),
]);

/// `pending` of a bundle: recorded from the service, not in the definition.
const PENDING_REF: Shape = Object(&[("id", STR)]);

const BUNDLE: Shape = Object(&[
    ("id", STR),
    ("kid", STR),
    ("sid", STR),
    ("x5t", STR),
    ("policy", POLICY),
    ("cer", STR),
    ("contentType", STR),
    ("attributes", CERTIFICATE_ATTRIBUTES),
    ("tags", StringMap),
    ("preserveCertOrder", Bool),
    ("pending", PENDING_REF),
]);

const DELETED_BUNDLE: Shape = Object(&[
    ("id", STR),
    ("kid", STR),
    ("sid", STR),
    ("x5t", STR),
    ("policy", POLICY),
    ("cer", STR),
    ("contentType", STR),
    ("attributes", CERTIFICATE_ATTRIBUTES),
    ("tags", StringMap),
    ("preserveCertOrder", Bool),
    ("recoveryId", STR),
    ("scheduledPurgeDate", Int),
    ("deletedDate", Int),
    ("pending", PENDING_REF),
]);

/// `subject: ""` on each item: recorded from the service, not in the definition.
const ITEM: Shape =
    Object(&[("id", STR), ("attributes", CERTIFICATE_ATTRIBUTES), ("tags", StringMap), ("x5t", STR), ("subject", STR)]);

const LIST: Shape = Object(&[("value", Array(&ITEM)), ("nextLink", NullableString)]);

const DELETED_LIST: Shape = Object(&[
    (
        "value",
        Array(&Object(&[
            ("id", STR),
            ("attributes", CERTIFICATE_ATTRIBUTES),
            ("tags", StringMap),
            ("x5t", STR),
            ("recoveryId", STR),
            ("scheduledPurgeDate", Int),
            ("deletedDate", Int),
        ])),
    ),
    ("nextLink", NullableString),
]);

const ERROR: Shape =
    Object(&[("code", STR), ("message", STR), ("innererror", Object(&[("code", STR), ("message", STR)]))]);

const OPERATION: Shape = Object(&[
    ("id", STR),
    ("issuer", ISSUER_PARAMETERS),
    ("csr", STR),
    ("cancellation_requested", Bool),
    ("status", STR),
    ("status_details", STR),
    ("error", ERROR),
    ("target", STR),
    ("preserveCertOrder", Bool),
    ("request_id", STR),
]);

const CONTACTS: Shape =
    Object(&[("id", STR), ("contacts", Array(&Object(&[("email", STR), ("name", STR), ("phone", STR)])))]);

const ISSUER_BUNDLE: Shape = Object(&[
    ("id", STR),
    ("provider", STR),
    ("credentials", Object(&[("account_id", STR), ("pwd", STR)])),
    (
        "org_details",
        // `zip`: recorded from the service, not in the definition.
        Object(&[
            ("id", STR),
            ("zip", Int),
            (
                "admin_details",
                Array(&Object(&[("first_name", STR), ("last_name", STR), ("email", STR), ("phone", STR)])),
            ),
        ]),
    ),
    ("attributes", Object(&[("enabled", Bool), ("created", Int), ("updated", Int)])),
]);

const ISSUER_LIST: Shape =
    Object(&[("value", Array(&Object(&[("id", STR), ("provider", STR)]))), ("nextLink", NullableString)]);

const BACKUP: Shape = Object(&[("value", STR)]);

const KEY_VAULT_ERROR: Shape = Object(&[("error", ERROR)]);

fn conforms(value: &Value, shape: Shape, path: &str) -> Result<(), String> {
    match (shape, value) {
        (Object(members), Value::Object(fields)) => {
            for (name, field) in fields {
                let inner = format!("{path}.{name}");
                let Some((_, member)) = members.iter().find(|(n, _)| n == name) else {
                    return Err(format!("{inner} is not a member of the definition"));
                };
                conforms(field, *member, &inner)?;
            }
            Ok(())
        }
        (Array(item), Value::Array(items)) => {
            items.iter().enumerate().try_for_each(|(i, v)| conforms(v, *item, &format!("{path}[{i}]")))
        }
        (StringMap, Value::Object(fields)) if fields.values().all(Value::is_string) => Ok(()),
        (Shape::String | NullableString, Value::String(_)) | (NullableString, Value::Null) => Ok(()),
        (Bool, Value::Bool(_)) => Ok(()),
        (Int, Value::Number(n)) if n.is_i64() => Ok(()),
        _ => Err(format!("{path} is {value}, not what the definition says")),
    }
}

struct Rig {
    vault: Vault,
    keys: MemoryKeyHolder,
    ids: pending_certificate::SequentialIds,
    checked: Vec<&'static str>,
}

impl Rig {
    /// Calls, expects `status`, and checks the body against `shape`.
    fn check(
        &mut self,
        operation: &'static str,
        method: &str,
        target: &str,
        body: Option<Value>,
        status: u16,
        shape: Shape,
    ) -> Value {
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap()).unwrap_or_default();
        let target = format!("{target}{}api-version=2025-07-01", if target.contains('?') { '&' } else { '?' });
        let request = Request { method, target: &target, body: &bytes };
        let handled = rest::handle(&mut self.vault, &mut self.keys, &mut self.ids, support::now(), request);
        for (name, effect) in handled.effects {
            if let Effect::SignSelf { request_id, .. } = effect {
                self.vault.sign_self(&name, request_id, &mut self.keys, support::now(), &mut self.ids).unwrap();
            }
        }
        let response = handled.response;
        let text = String::from_utf8_lossy(&response.body).into_owned();
        assert_eq!(response.status, status, "{operation}: {text}");
        let value: Value = if response.body.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
        if status != 204 {
            conforms(&value, shape, operation).unwrap_or_else(|e| panic!("{e}\n{text}"));
        }
        self.checked.push(operation);
        value
    }
}

/// Every `operationId` of `certificates.json`.
const OPERATIONS: [&str; 27] = [
    "GetCertificates",
    "DeleteCertificate",
    "SetCertificateContacts",
    "GetCertificateContacts",
    "DeleteCertificateContacts",
    "GetCertificateIssuers",
    "SetCertificateIssuer",
    "UpdateCertificateIssuer",
    "GetCertificateIssuer",
    "DeleteCertificateIssuer",
    "CreateCertificate",
    "ImportCertificate",
    "GetCertificateVersions",
    "GetCertificatePolicy",
    "UpdateCertificatePolicy",
    "UpdateCertificate",
    "GetCertificate",
    "UpdateCertificateOperation",
    "GetCertificateOperation",
    "DeleteCertificateOperation",
    "MergeCertificate",
    "BackupCertificate",
    "RestoreCertificate",
    "GetDeletedCertificates",
    "GetDeletedCertificate",
    "PurgeDeletedCertificate",
    "RecoverDeletedCertificate",
];

#[test]
fn every_operation_answers_as_its_response_schema_says() {
    let mut rig = Rig {
        vault: Vault::new(VaultUrl::new("https://schemas.vault.azure.net").unwrap()),
        keys: MemoryKeyHolder::new(),
        ids: support::ids(),
        checked: Vec::new(),
    };
    let issuer = json!({"provider": "Test", "credentials": {"account_id": "a", "pwd": "p"},
        "org_details": {"id": "o", "admin_details": [{"first_name": "F", "last_name": "L", "email": "e@x", "phone": "1"}]}});
    rig.check("SetCertificateIssuer", "PUT", "/certificates/issuers/iss", Some(issuer), 200, ISSUER_BUNDLE);
    let update = json!({"attributes": {"enabled": false}});
    rig.check("UpdateCertificateIssuer", "PATCH", "/certificates/issuers/iss", Some(update), 200, ISSUER_BUNDLE);
    rig.check("GetCertificateIssuer", "GET", "/certificates/issuers/iss", None, 200, ISSUER_BUNDLE);
    rig.check("GetCertificateIssuers", "GET", "/certificates/issuers?maxresults=1", None, 200, ISSUER_LIST);
    rig.check("DeleteCertificateIssuer", "DELETE", "/certificates/issuers/iss", None, 200, ISSUER_BUNDLE);

    let self_signed = json!({"policy": {"key_props": {"kty": "EC", "crv": "P-256"},
        "x509_props": {"subject": "CN=s", "sans": {"dns_names": ["s.example"]}}, "issuer": {"name": "Self"}}, "tags": {"t": "v"}});
    rig.check("CreateCertificate", "POST", "/certificates/s1/create", Some(self_signed.clone()), 202, OPERATION);
    rig.check("CreateCertificate", "POST", "/certificates/s2/create", Some(self_signed), 202, OPERATION);
    rig.check("GetCertificate", "GET", "/certificates/s1", None, 200, BUNDLE);
    rig.check("GetCertificates", "GET", "/certificates?maxresults=1", None, 200, LIST);
    let versions = rig.check("GetCertificateVersions", "GET", "/certificates/s1/versions", None, 200, LIST);
    let version = versions["value"][0]["id"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    rig.check("GetCertificate", "GET", &format!("/certificates/s1/{version}"), None, 200, BUNDLE);
    rig.check("GetCertificatePolicy", "GET", "/certificates/s1/policy", None, 200, POLICY);
    let policy = json!({"lifetime_actions": [{"trigger": {"days_before_expiry": 30}, "action": {"action_type": "EmailContacts"}}]});
    rig.check("UpdateCertificatePolicy", "PATCH", "/certificates/s1/policy", Some(policy), 200, POLICY);
    let props = json!({"attributes": {"enabled": true}, "tags": {"a": "b"}});
    rig.check("UpdateCertificate", "PATCH", &format!("/certificates/s1/{version}"), Some(props), 200, BUNDLE);

    // The pending object: manual, cancelled, failed by merge of nothing, merged, deleted.
    let manual = json!({"policy": {"x509_props": {"subject": "CN=m"}, "issuer": {"name": "Unknown", "cty": "OV-SSL"}}});
    let created =
        rig.check("CreateCertificate", "POST", "/certificates/m1/create", Some(manual.clone()), 202, OPERATION);
    rig.check("GetCertificateOperation", "GET", "/certificates/m1/pending", None, 200, OPERATION);
    let cancel = json!({"cancellation_requested": true});
    rig.check("UpdateCertificateOperation", "PATCH", "/certificates/m1/pending", Some(cancel), 200, OPERATION);
    let refused = rig.check(
        "MergeCertificate",
        "POST",
        "/certificates/m1/pending/merge",
        Some(json!({"x5c": ["AAAA"]})),
        400,
        KEY_VAULT_ERROR,
    );
    assert!(refused["error"]["message"].is_string());
    let csr =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, created["csr"].as_str().unwrap()).unwrap();
    let leaf = support::Ca::p256("Schema CA").sign_csr(&pending_certificate::Csr::from_der(&csr).unwrap(), "m1");
    let merge = json!({"x5c": [support::b64(&leaf)]});
    rig.check("MergeCertificate", "POST", "/certificates/m1/pending/merge", Some(merge), 201, BUNDLE);
    rig.check("GetCertificateOperation", "GET", "/certificates/m1/pending", None, 200, OPERATION);
    rig.check("DeleteCertificateOperation", "DELETE", "/certificates/m1/pending", None, 200, OPERATION);
    rig.check("CreateCertificate", "POST", "/certificates/m2/create", Some(manual), 202, OPERATION);

    // Import.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let ca = support::Ca::p256("Import CA");
    let imported = ca.sign("imported", &key);
    let pem = format!("{}{}", key.serialize_pem(), pending_certificate::pem_block("CERTIFICATE", &imported));
    let import = json!({"value": pem, "policy": {"secret_props": {"contentType": "application/x-pem-file"}}});
    rig.check("ImportCertificate", "POST", "/certificates/i1/import", Some(import), 200, BUNDLE);

    // Backup, delete, the deleted certificate, purge, restore, recover.
    let backup = rig.check("BackupCertificate", "POST", "/certificates/s1/backup", None, 200, BACKUP);
    rig.check("DeleteCertificate", "DELETE", "/certificates/s1", None, 200, DELETED_BUNDLE);
    rig.check("DeleteCertificate", "DELETE", "/certificates/m2", None, 200, DELETED_BUNDLE);
    rig.check("GetDeletedCertificate", "GET", "/deletedcertificates/s1", None, 200, DELETED_BUNDLE);
    rig.check("GetDeletedCertificates", "GET", "/deletedcertificates?maxresults=1", None, 200, DELETED_LIST);
    rig.check("PurgeDeletedCertificate", "DELETE", "/deletedcertificates/s1", None, 204, BACKUP);
    rig.check("RestoreCertificate", "POST", "/certificates/restore", Some(backup), 200, BUNDLE);
    rig.check("RecoverDeletedCertificate", "POST", "/deletedcertificates/m2/recover", None, 200, BUNDLE);

    // Contacts.
    let contacts = json!({"contacts": [{"email": "a@example.com", "name": "A", "phone": "1"}]});
    rig.check("SetCertificateContacts", "PUT", "/certificates/contacts", Some(contacts), 200, CONTACTS);
    rig.check("GetCertificateContacts", "GET", "/certificates/contacts", None, 200, CONTACTS);
    rig.check("DeleteCertificateContacts", "DELETE", "/certificates/contacts", None, 200, CONTACTS);
    // Refusals are the specification's KeyVaultError, innererror included.
    let create = json!({"policy": {"x509_props": {"subject": "CN=x"}}});
    rig.check("DeleteCertificate", "DELETE", "/certificates/m2", None, 200, DELETED_BUNDLE);
    let conflict =
        rig.check("CreateCertificate", "POST", "/certificates/m2/create", Some(create), 409, KEY_VAULT_ERROR);
    assert_eq!(conflict["error"]["innererror"]["code"], "ObjectIsDeletedButRecoverable");

    for operation in OPERATIONS {
        assert!(rig.checked.contains(&operation), "{operation} was not checked");
    }
}
