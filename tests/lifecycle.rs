//! A certificate name's whole life through `rest`, bytes in and bytes out:
//! listings and their paging, versions, policy, properties, soft delete,
//! recovery, purge (and the purge date passing), contacts, issuers, and the
//! key and secret a certificate owns.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use base64::Engine as _;
use pending_certificate::memory::MemoryKeyHolder;
use pending_certificate::rest::{self, Request};
use pending_certificate::{Effect, Recovery, RecoveryLevel, SequentialIds, Vault, VaultUrl};
use rcgen::PublicKeyData as _;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

const VAULT: &str = "https://mykeyvault.vault.azure.net";
const API: &str = "api-version=7.5";

struct Rig {
    vault: Vault,
    keys: MemoryKeyHolder,
    ids: SequentialIds,
    now: OffsetDateTime,
    effects: Vec<(pending_certificate::CertificateName, Effect)>,
}

struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
    raw: String,
}

/// The members of a JSON object, in the order sent.
fn members(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_str(raw);
    let map: serde_json::Map<String, Value> = serde::Deserialize::deserialize(&mut de).unwrap();
    // Positions of each top-level key in the text, by scanning at depth 1.
    let (mut depth, mut in_string, mut escaped, mut start) = (0i32, false, false, None);
    for (i, c) in raw.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    in_string = false;
                    if let Some(s) = start.take() {
                        let key = &raw[s + 1..i];
                        if raw[i + 1..].trim_start().starts_with(':') && map.contains_key(key) {
                            out.push(key.to_owned());
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            '"' => {
                in_string = true;
                if depth == 1 {
                    start = Some(i);
                }
            }
            _ => {}
        }
    }
    out
}

impl Answer {
    fn code(&self) -> (u16, &str) {
        (self.status, self.body["error"]["code"].as_str().unwrap_or("-"))
    }
}

impl Rig {
    fn new() -> Self {
        Self::with(Vault::new(VaultUrl::new(VAULT).unwrap()))
    }

    fn with(vault: Vault) -> Self {
        Self { vault, keys: MemoryKeyHolder::new(), ids: support::ids(), now: support::now(), effects: Vec::new() }
    }

    fn call(&mut self, method: &str, target: &str, body: Option<Value>) -> Answer {
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap()).unwrap_or_default();
        let before = self.vault.clone();
        let handled = rest::handle(
            &mut self.vault,
            &mut self.keys,
            &mut self.ids,
            self.now,
            Request {
                method,
                target: &format!("{target}{}{API}", if target.contains('?') { '&' } else { '?' }),
                body: &bytes,
            },
        );
        self.effects.extend(handled.effects);
        let response = handled.response;
        if response.status >= 400 {
            assert_eq!(self.vault, before, "{method} {target}: a refusal changed the vault");
        }
        let body = if response.body.is_empty() { Value::Null } else { serde_json::from_slice(&response.body).unwrap() };
        let raw = String::from_utf8(response.body).unwrap();
        Answer { status: response.status, headers: response.headers, body, raw }
    }

    /// Creates `name` under `Self` and signs it at once.
    fn issued(&mut self, name: &str) -> Value {
        let policy = json!({"policy": {"key_props": {"kty": "EC", "crv": "P-256"}, "x509_props": {"subject": format!("CN={name}")}, "issuer": {"name": "Self"}}, "tags": {"team": "a"}});
        assert_eq!(self.call("POST", &format!("/certificates/{name}/create"), Some(policy)).status, 202);
        let request_id = match self.effects.pop() {
            Some((_, Effect::SignSelf { request_id, .. })) => request_id,
            other => panic!("{other:?}"),
        };
        let n = support::name(name);
        self.vault.sign_self(&n, request_id, &mut self.keys, self.now, &mut self.ids).unwrap();
        let got = self.call("GET", &format!("/certificates/{name}"), None);
        assert_eq!(got.status, 200);
        got.body
    }

    fn manual(&mut self, name: &str) {
        let body = json!({"policy": {"x509_props": {"subject": format!("CN={name}")}, "issuer": {"name": "Unknown"}}});
        assert_eq!(self.call("POST", &format!("/certificates/{name}/create"), Some(body)).status, 202);
    }
}

fn version_of(bundle: &Value) -> String {
    bundle["id"].as_str().unwrap().rsplit('/').next().unwrap().to_owned()
}

/// Follows `nextLink` to the end: every item's id, and how many pages.
fn all_pages(rig: &mut Rig, first: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut target = first.to_owned();
    loop {
        let page = rig.call("GET", &target, None);
        assert_eq!(page.status, 200, "{target}: {}", page.body);
        pages += 1;
        ids.extend(page.body["value"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        assert!(page.body.as_object().unwrap().contains_key("nextLink"), "nextLink is always sent");
        match page.body["nextLink"].as_str() {
            None => return (ids, pages),
            Some(link) => {
                let rest = link.strip_prefix(VAULT).expect("an absolute link on the vault's URL");
                assert!(rest.contains("api-version=7.5") && rest.contains("$skiptoken="), "{link}");
                // The next call adds api-version itself.
                target = rest.replace("api-version=7.5&", "").replace("?api-version=7.5", "");
            }
        }
        assert!(pages < 50, "paging does not end");
    }
}

#[test]
fn listings_page_in_name_order_and_the_links_lead_through_every_name() {
    let mut rig = Rig::new();
    for name in ["c3", "a1", "b2", "d4", "e5"] {
        rig.issued(name);
    }
    rig.manual("f6");
    let (ids, pages) = all_pages(&mut rig, "/certificates?maxresults=2");
    let expected: Vec<String> =
        ["a1", "b2", "c3", "d4", "e5"].iter().map(|n| format!("{VAULT}/certificates/{n}")).collect();
    assert_eq!(ids, expected, "a name with only a pending request is left out without includePending");
    assert!(pages >= 3, "{pages} pages");
    let (ids, _) = all_pages(&mut rig, "/certificates?maxresults=4&includePending=true");
    assert_eq!(ids.len(), 6);
    let (ids, pages) = all_pages(&mut rig, "/certificates");
    assert_eq!((ids.len(), pages), (5, 1));
    // One item: the unversioned id, x5t, the attributes without the
    // recovery settings, tags, an empty subject.
    let page = rig.call("GET", "/certificates?maxresults=1", None);
    let item = &page.body["value"][0];
    let item_raw = serde_json::to_string(item).unwrap();
    let mut keys: Vec<String> = item.as_object().unwrap().keys().cloned().collect();
    keys.sort_by_key(|k| page.raw.find(&format!("\"{k}\":")).unwrap());
    assert_eq!(keys, ["id", "x5t", "attributes", "tags", "subject"], "{item_raw}");
    assert_eq!(item["subject"], "");
    assert_eq!(item["tags"], json!({"team": "a"}));
    assert!(item["attributes"].get("recoveryLevel").is_none());
    assert!(page.body["nextLink"].as_str().unwrap().ends_with("&maxresults=1"));
    // No maxresults: none in the link either.
    let mut big = Rig::new();
    for n in 0..27 {
        big.issued(&format!("n{n:02}"));
    }
    let first = big.call("GET", "/certificates", None);
    assert_eq!(first.body["value"].as_array().unwrap().len(), rest::MAX_PAGE);
    assert!(!first.body["nextLink"].as_str().unwrap().contains("maxresults"));
    assert_eq!(all_pages(&mut big, "/certificates").0.len(), 27);
}

#[test]
fn versions_are_listed_oldest_first_and_a_name_without_any_has_an_empty_page() {
    let mut rig = Rig::new();
    let first = rig.issued("c1");
    let second = rig.issued("c1");
    let third = rig.issued("c1");
    let (ids, pages) = all_pages(&mut rig, "/certificates/c1/versions?maxresults=1");
    let expected: Vec<String> =
        [&first, &second, &third].iter().map(|b| b["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, expected);
    assert_eq!(pages, 3);
    let never = rig.call("GET", "/certificates/never/versions", None);
    assert_eq!((never.status, never.body.clone()), (200, json!({"value": [], "nextLink": null})));
    assert_eq!(rig.call("GET", &format!("/certificates/c1/{}", version_of(&first)), None).status, 200);
}

#[test]
fn the_policy_is_read_and_updated_section_by_section() {
    let mut rig = Rig::new();
    rig.issued("c1");
    let policy = rig.call("GET", "/certificates/c1/policy", None);
    assert_eq!(policy.status, 200);
    assert_eq!(policy.body["id"], format!("{VAULT}/certificates/c1/policy"));
    assert_eq!(policy.body["issuer"]["name"], "Self");
    let updated = rig.call(
        "PATCH",
        "/certificates/c1/policy",
        Some(json!({"x509_props": {"subject": "CN=other", "validity_months": 6}, "id": "ignored"})),
    );
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["x509_props"]["subject"], "CN=other");
    assert_eq!(updated.body["x509_props"]["validity_months"], 6);
    assert_eq!(updated.body["key_props"]["kty"], "EC", "a section not given is kept");
    assert_eq!(updated.body["issuer"]["name"], "Self");
    assert_eq!(updated.body["id"], format!("{VAULT}/certificates/c1/policy"));
    assert_eq!(rig.call("GET", "/certificates/c1/policy", None).body, updated.body);
    // Checked as a create's: refused whole, nothing changed.
    let refused = rig.call(
        "PATCH",
        "/certificates/c1/policy",
        Some(json!({"x509_props": {"subject": "CN=x", "validity_months": 0}})),
    );
    assert_eq!(refused.code(), (400, "BadParameter"));
    assert_eq!(rig.call("GET", "/certificates/never/policy", None).code(), (404, "CertificateNotFound"));
    // The next create takes the policy as updated.
    assert_eq!(
        rig.call("POST", "/certificates/c1/create", Some(json!({"policy": {"x509_props": {"subject": "CN=x"}}})))
            .status,
        202
    );
    assert_eq!(rig.call("GET", "/certificates/c1/pending", None).body["issuer"]["name"], "Unknown");
}

#[test]
fn a_version_update_sets_enabled_and_tags_and_ignores_the_services_own_attributes() {
    let mut rig = Rig::new();
    let bundle = rig.issued("c1");
    let version = version_of(&bundle);
    let exp = bundle["attributes"]["exp"].clone();
    let updated = rig.call(
        "PATCH",
        &format!("/certificates/c1/{version}"),
        Some(json!({"attributes": {"enabled": false, "exp": 1}, "tags": {"env": "test"}})),
    );
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["attributes"]["enabled"], false);
    assert_eq!(updated.body["attributes"]["exp"], exp);
    assert_eq!(updated.body["tags"], json!({"env": "test"}));
    assert!(updated.body.get("policy").is_none());
    assert!(updated.body.get("cer").is_some());
    // The latest, by the SDKs' trailing slash.
    let again = rig.call("PATCH", "/certificates/c1/", Some(json!({"tags": {}})));
    assert_eq!(again.status, 200);
    assert!(again.body.get("tags").is_none());
    // A disabled version's secret and key are not given out.
    assert_eq!(rig.call("GET", "/secrets/c1", None).code(), (403, "Forbidden"));
    let key = rig.call("GET", "/keys/c1", None);
    assert_eq!(key.code(), (403, "Forbidden"));
    assert_eq!(key.body["error"]["innererror"]["code"], "KeyDisabled");
}

#[test]
fn a_deleted_certificate_is_recoverable_until_purged_and_refuses_everything_else() {
    let mut rig = Rig::new();
    let bundle = rig.issued("c1");
    let deleted = rig.call("DELETE", "/certificates/c1", None);
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(&members(&deleted.raw)[..4], ["recoveryId", "deletedDate", "scheduledPurgeDate", "id"]);
    assert_eq!(deleted.body["recoveryId"], format!("{VAULT}/deletedcertificates/c1"));
    let at = rig.now.unix_timestamp();
    assert_eq!(deleted.body["deletedDate"], at);
    assert_eq!(deleted.body["scheduledPurgeDate"], at + 90 * 86_400);
    assert_eq!(deleted.body["id"], bundle["id"]);
    assert_eq!(deleted.body["attributes"]["recoveryLevel"], "Recoverable+Purgeable");
    assert!(deleted.body.get("policy").is_some());
    // Gone from the live routes.
    assert_eq!(rig.call("GET", "/certificates/c1", None).code(), (404, "CertificateNotFound"));
    assert_eq!(
        rig.call("GET", &format!("/certificates/c1/{}", version_of(&bundle)), None).code(),
        (404, "CertificateNotFound")
    );
    assert_eq!(rig.call("GET", "/certificates/c1/policy", None).code(), (404, "CertificateNotFound"));
    assert_eq!(rig.call("DELETE", "/certificates/c1", None).code(), (404, "CertificateNotFound"));
    assert_eq!(rig.call("GET", "/secrets/c1", None).code(), (404, "SecretNotFound"));
    assert_eq!(rig.call("GET", "/certificates/c1/versions", None).body["value"], json!([]));
    assert_eq!(all_pages(&mut rig, "/certificates").0, Vec::<String>::new());
    // The name cannot be reused, in the service's words.
    let create =
        rig.call("POST", "/certificates/c1/create", Some(json!({"policy": {"x509_props": {"subject": "CN=x"}}})));
    assert_eq!(create.code(), (409, "Conflict"));
    assert_eq!(
        create.body["error"]["message"],
        "Certificate c1 is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the certificate can only be recovered or purged."
    );
    assert_eq!(create.body["error"]["innererror"], json!({"code": "ObjectIsDeletedButRecoverable"}));
    // Listed, got, recovered.
    let (ids, _) = all_pages(&mut rig, "/deletedcertificates");
    assert_eq!(ids, [format!("{VAULT}/certificates/c1")]);
    let listed = rig.call("GET", "/deletedcertificates", None);
    let item = serde_json::to_string(&listed.body["value"][0]).unwrap();
    let mut keys: Vec<String> = listed.body["value"][0].as_object().unwrap().keys().cloned().collect();
    keys.sort_by_key(|k| listed.raw.find(&format!("\"{k}\":")).unwrap());
    assert_eq!(keys, ["recoveryId", "deletedDate", "scheduledPurgeDate", "id", "x5t", "attributes", "tags"], "{item}");
    assert_eq!(rig.call("GET", "/deletedcertificates/c1", None).body, deleted.body);
    let recovered = rig.call("POST", "/deletedcertificates/c1/recover", None);
    assert_eq!(recovered.status, 200);
    assert_eq!(recovered.body["id"], bundle["id"]);
    assert!(recovered.body.get("recoveryId").is_none());
    assert_eq!(rig.call("GET", "/certificates/c1", None).body, bundle, "recovery brings back the same version");
    assert_eq!(rig.call("GET", "/deletedcertificates/c1", None).code(), (404, "CertificateNotFound"));
    assert_eq!(
        rig.call("GET", "/deletedcertificates/c1", None).body["error"]["message"],
        "Deleted Certificate not found: c1"
    );
    // Deleted again and purged: the name holds nothing, and is free.
    assert_eq!(rig.call("DELETE", "/certificates/c1", None).status, 200);
    let purged = rig.call("DELETE", "/deletedcertificates/c1", None);
    assert_eq!((purged.status, purged.body.clone()), (204, Value::Null));
    assert!(!purged.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("Content-Type")));
    assert_eq!(rig.call("GET", "/deletedcertificates/c1", None).code(), (404, "CertificateNotFound"));
    assert_eq!(rig.call("DELETE", "/deletedcertificates/c1", None).code(), (404, "CertificateNotFound"));
    assert!(rig.vault.load(&support::name("c1")).is_none_or(|(_, c)| c.is_empty()), "a purged name leaves no trace");
    assert_eq!(
        rig.call("POST", "/certificates/c1/create", Some(json!({"policy": {"x509_props": {"subject": "CN=x"}}})))
            .status,
        202
    );
}

#[test]
fn a_certificate_deleted_while_its_request_is_in_progress_keeps_it_and_gets_it_back_on_recovery() {
    let mut rig = Rig::new();
    rig.manual("c1");
    let deleted = rig.call("DELETE", "/certificates/c1", None);
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body["pending"]["id"], format!("{VAULT}/certificates/c1/pending"));
    assert!(deleted.body.get("cer").is_none(), "the placeholder has no certificate");
    assert_eq!(rig.call("GET", "/certificates/c1/pending", None).code(), (404, "PendingCertificateNotFound"));
    assert_eq!(
        rig.call("PATCH", "/certificates/c1/pending", Some(json!({"cancellation_requested": true}))).code().0,
        404
    );
    let csr = rig.vault.load(&support::name("c1")).unwrap().1.current_pending().unwrap().csr().clone();
    let leaf = support::Ca::p256("Merge CA").sign_csr(&csr, "c1");
    let merge = json!({"x5c": [support::b64(&leaf)]});
    assert_eq!(rig.call("POST", "/certificates/c1/pending/merge", Some(merge.clone())).code(), (409, "Conflict"));
    assert_eq!(rig.call("POST", "/deletedcertificates/c1/recover", None).status, 200);
    let pending = rig.call("GET", "/certificates/c1/pending", None);
    assert_eq!(pending.body["status"], "inProgress");
    assert_eq!(rig.call("POST", "/certificates/c1/pending/merge", Some(merge)).status, 201);
}

#[test]
fn past_its_purge_date_a_deleted_certificate_is_gone_and_its_name_free() {
    let vault = Vault::new(VaultUrl::new(VAULT).unwrap())
        .with_recovery(Recovery { level: RecoveryLevel::CustomizedRecoverablePurgeable, days: 7 });
    let mut rig = Rig::with(vault);
    rig.issued("c1");
    rig.issued("c2");
    let deleted = rig.call("DELETE", "/certificates/c1", None);
    assert_eq!(deleted.body["scheduledPurgeDate"], rig.now.unix_timestamp() + 7 * 86_400);
    assert_eq!(deleted.body["attributes"]["recoverableDays"], 7);
    rig.now += Duration::days(7) - Duration::seconds(1);
    assert_eq!(rig.call("GET", "/deletedcertificates/c1", None).status, 200);
    rig.now += Duration::seconds(1);
    assert_eq!(rig.call("GET", "/deletedcertificates/c1", None).code(), (404, "CertificateNotFound"));
    assert_eq!(rig.call("GET", "/deletedcertificates", None).body["value"], json!([]));
    assert_eq!(rig.call("POST", "/deletedcertificates/c1/recover", None).code().0, 404);
    assert_eq!(rig.vault.sweep(rig.now), 1);
    assert!(rig.vault.load(&support::name("c1")).is_some_and(|(_, c)| c.is_empty()));
    assert_eq!(
        rig.call("POST", "/certificates/c1/create", Some(json!({"policy": {"x509_props": {"subject": "CN=x"}}})))
            .status,
        202
    );
    assert_eq!(rig.call("GET", "/certificates/c2", None).status, 200, "other names are untouched");
}

#[test]
fn a_purgeable_vault_deletes_for_good_and_a_protected_one_refuses_purge() {
    let vault =
        Vault::new(VaultUrl::new(VAULT).unwrap()).with_recovery(Recovery { level: RecoveryLevel::Purgeable, days: 90 });
    let mut rig = Rig::with(vault);
    let bundle = rig.issued("c1");
    let deleted = rig.call("DELETE", "/certificates/c1", None);
    assert_eq!(deleted.status, 200);
    assert!(deleted.body.get("recoveryId").is_none());
    assert_eq!(deleted.body["id"], bundle["id"]);
    assert_eq!(rig.call("GET", "/deletedcertificates/c1", None).code().0, 404);
    assert_eq!(
        rig.call("POST", "/certificates/c1/create", Some(json!({"policy": {"x509_props": {"subject": "CN=x"}}})))
            .status,
        202
    );

    let vault = Vault::new(VaultUrl::new(VAULT).unwrap())
        .with_recovery(Recovery { level: RecoveryLevel::Recoverable, days: 90 });
    let mut rig = Rig::with(vault);
    rig.issued("c1");
    assert_eq!(rig.call("DELETE", "/certificates/c1", None).status, 200);
    assert_eq!(rig.call("DELETE", "/deletedcertificates/c1", None).code(), (403, "Forbidden"));
    assert_eq!(rig.call("POST", "/deletedcertificates/c1/recover", None).status, 200);
}

#[test]
fn the_secret_holds_the_private_key_of_the_certificate_as_pkcs12_or_pem() {
    let mut rig = Rig::new();
    let bundle = rig.issued("c1");
    let version = version_of(&bundle);
    let cer = base64::engine::general_purpose::STANDARD.decode(bundle["cer"].as_str().unwrap()).unwrap();
    let secret = rig.call("GET", "/secrets/c1", None);
    assert_eq!(secret.status, 200, "{}", secret.body);
    assert_eq!(members(&secret.raw), ["value", "contentType", "id", "managed", "attributes", "tags", "kid"]);
    assert_eq!(secret.body["contentType"], "application/x-pkcs12");
    assert_eq!(secret.body["id"], format!("{VAULT}/secrets/c1/{version}"));
    assert_eq!(secret.body["kid"], bundle["kid"]);
    assert_eq!(secret.body["managed"], true);
    let pfx = base64::engine::general_purpose::STANDARD.decode(secret.body["value"].as_str().unwrap()).unwrap();
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(&pfx, "").unwrap();
    assert_eq!(archive.certs.first().map(|c| c.cert.as_der().to_vec()), Some(cer.clone()));
    let pkcs8 = archive.keys.first().unwrap().key.as_der().to_vec();
    let key = rcgen::KeyPair::try_from(pkcs8.as_slice()).unwrap();
    let spki = rig.vault.load(&support::name("c1")).unwrap().1.versions().last().unwrap().public_key().to_vec();
    assert_eq!(key.subject_public_key_info(), spki, "the private key is the certificate's");
    assert_eq!(rig.call("GET", &format!("/secrets/c1/{version}"), None).body["id"], secret.body["id"]);
    let missing = rig.call("GET", &format!("/secrets/c1/{}", "0".repeat(32)), None);
    assert_eq!(missing.code(), (404, "SecretNotFound"));
    let message = format!(
        "A secret with (name/id) c1/{} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182",
        "0".repeat(32)
    );
    assert_eq!(missing.body["error"]["message"].as_str(), Some(message.as_str()));

    // PEM once the policy says so: the key first, then the certificate.
    assert_eq!(
        rig.call(
            "PATCH",
            "/certificates/c1/policy",
            Some(json!({"secret_props": {"contentType": "application/x-pem-file"}}))
        )
        .status,
        200
    );
    let pem = rig.call("GET", "/secrets/c1", None);
    assert_eq!(pem.body["contentType"], "application/x-pem-file");
    let text = pem.body["value"].as_str().unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
    let bundle = pending_certificate::parse_pem_bundle(text).unwrap();
    assert_eq!(bundle.certificates, [cer]);
    assert_eq!(rcgen::KeyPair::try_from(bundle.private_key.as_slice()).unwrap().subject_public_key_info(), spki);
    assert!(text.lines().all(|l| l.len() <= 64));
}

#[test]
fn the_key_is_the_certificates_public_key_as_a_json_web_key() {
    let mut rig = Rig::new();
    let bundle = rig.issued("c1");
    let key = rig.call("GET", "/keys/c1", None);
    assert_eq!(key.status, 200, "{}", key.body);
    assert_eq!(members(&key.raw), ["key", "attributes", "tags", "managed"]);
    let jwk = &key.body["key"];
    assert_eq!(jwk["kid"], bundle["kid"]);
    assert_eq!((jwk["kty"].as_str(), jwk["crv"].as_str()), (Some("EC"), Some("P-256")));
    assert_eq!(jwk["key_ops"], json!(["sign", "verify"]));
    let spki = rig.vault.load(&support::name("c1")).unwrap().1.versions().last().unwrap().public_key().to_vec();
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    let y = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap();
    let point = [vec![4u8], x, y].concat();
    assert!(spki.ends_with(&point), "the JWK's point is the certificate's key");
    let missing = rig.call("GET", "/keys/never", None);
    assert_eq!(missing.code(), (404, "KeyNotFound"));
    assert!(missing.body["error"]["message"].as_str().unwrap().starts_with("A key with (name/id) never was not found"));
    // A version is named as given, cut at 64 characters.
    let missing = rig.call("GET", &format!("/keys/c1/{}", "v".repeat(100)), None);
    let named = format!("A key with (name/id) c1/{} was not found", "v".repeat(64));
    assert!(missing.body["error"]["message"].as_str().unwrap().starts_with(&named), "{}", missing.body);
    assert_eq!(rig.call("POST", "/keys/c1/sign", None).code(), (405, "MethodNotAllowed"));
}

#[test]
fn contacts_are_set_read_and_deleted() {
    let mut rig = Rig::new();
    assert_eq!(rig.call("GET", "/certificates/contacts", None).code(), (404, "ContactsNotFound"));
    assert_eq!(rig.call("DELETE", "/certificates/contacts", None).code(), (404, "ContactsNotFound"));
    let contacts = json!({"contacts": [{"email": "a@example.com", "name": "A", "phone": "1"}], "id": "ignored"});
    let set = rig.call("PUT", "/certificates/contacts", Some(contacts));
    let expected = json!({"id": format!("{VAULT}/certificates/contacts"), "contacts": [{"email": "a@example.com", "name": "A", "phone": "1"}]});
    assert_eq!((set.status, set.body.clone()), (200, expected.clone()));
    assert_eq!(rig.call("GET", "/certificates/contacts", None).body, expected);
    assert_eq!(rig.call("DELETE", "/certificates/contacts", None).body, expected);
    assert_eq!(rig.call("GET", "/certificates/contacts", None).code(), (404, "ContactsNotFound"));
}

#[test]
fn issuers_are_listed_in_pages() {
    let mut rig = Rig::new();
    for name in ["i3", "i1", "i2"] {
        let body = json!({"provider": "Test"});
        assert_eq!(rig.call("PUT", &format!("/certificates/issuers/{name}"), Some(body)).status, 200);
    }
    let (ids, pages) = all_pages(&mut rig, "/certificates/issuers?maxresults=2");
    let expected: Vec<String> =
        ["i1", "i2", "i3"].iter().map(|n| format!("{VAULT}/certificates/issuers/{n}")).collect();
    assert_eq!((ids, pages), (expected, 2));
    let page = rig.call("GET", "/certificates/issuers", None);
    assert_eq!(page.body["value"][0], json!({"id": format!("{VAULT}/certificates/issuers/i1"), "provider": "Test"}));
}

#[test]
fn a_backup_restores_the_same_certificate_with_its_keys_and_nothing_else_is_taken() {
    let mut rig = Rig::new();
    rig.issued("c1");
    let latest = rig.issued("c1");
    let backup = rig.call("POST", "/certificates/c1/backup", None);
    assert_eq!(backup.status, 200);
    let blob = backup.body["value"].as_str().unwrap().to_owned();
    assert!(!blob.contains('=') && !blob.contains('+') && !blob.contains('/'), "base64url without padding");
    let before = rig.vault.load(&support::name("c1")).unwrap().1.clone();
    // Onto a name that holds a certificate, live or deleted: 409.
    let occupied = rig.call("POST", "/certificates/restore", Some(json!({"value": blob})));
    assert_eq!(occupied.code(), (409, "Conflict"));
    assert_eq!(rig.call("DELETE", "/certificates/c1", None).status, 200);
    assert_eq!(rig.call("POST", "/certificates/restore", Some(json!({"value": blob}))).code(), (409, "Conflict"));
    assert_eq!(rig.call("DELETE", "/deletedcertificates/c1", None).status, 204);
    // A blob not made here, or changed by one byte, is refused whole.
    for bad in ["", "AAAA", "JkF6dXJlS2V5VmF1bHRLZXlCYWNrdXBWMS5taWNyb3NvZnQuY29t", "!!!"] {
        let refused = rig.call("POST", "/certificates/restore", Some(json!({"value": bad})));
        assert_eq!(refused.code(), (400, "Malformed backup blob"), "{bad:?}");
        assert_eq!(refused.body["error"]["message"], "Backup blob contains invalid or corrupt version.");
    }
    let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&blob).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    let flipped = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
    assert_eq!(rig.call("POST", "/certificates/restore", Some(json!({"value": flipped}))).code().0, 400);
    assert_eq!(rig.call("POST", "/certificates/restore", None).code(), (400, "BadParameter"));
    // A blob whose digest is right but whose contents do not hold together
    // (made outside): a version twice, a version without its key.
    let forged = |edit: &dyn Fn(&mut Value)| {
        let mut backup = pending_certificate::backup::Backup::decode(&blob).unwrap();
        let mut aggregate = serde_json::to_value(&backup.certificate).unwrap();
        edit(&mut aggregate);
        backup.certificate = serde_json::from_value(aggregate).unwrap();
        backup.encode()
    };
    let twice = forged(&|a: &mut Value| {
        let first = a["versions"][0].clone();
        a["versions"].as_array_mut().unwrap().push(first);
    });
    let keyless = forged(&|a: &mut Value| a["versions"][0]["public_key"] = json!(""));
    let other_key = forged(&|a: &mut Value| a["versions"][0]["public_key"] = a["versions"][1]["public_key"].clone());
    for bad in [twice, keyless, other_key] {
        let refused = rig.call("POST", "/certificates/restore", Some(json!({"value": bad})));
        assert_eq!(refused.code(), (400, "Malformed backup blob"));
    }
    // Restored by a key holder that never saw the keys: they came in the blob.
    rig.keys = MemoryKeyHolder::new();
    let restored = rig.call("POST", "/certificates/restore", Some(json!({"value": blob})));
    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(restored.body["id"], latest["id"]);
    assert!(restored.body.get("pending").is_none());
    let restored_aggregate = rig.vault.load(&support::name("c1")).unwrap().1.clone();
    // A backup restores to an equal aggregate, without its pending object.
    assert_eq!(restored_aggregate.versions(), before.versions());
    assert_eq!(restored_aggregate.policy(), before.policy());
    assert!(restored_aggregate.current_pending().is_none() && !restored_aggregate.is_deleted());
    assert_eq!(all_pages(&mut rig, "/certificates/c1/versions").0.len(), 2);
    assert_eq!(rig.call("GET", "/secrets/c1", None).status, 200, "the restored key is held again");
    assert_eq!(rig.call("POST", "/certificates/never/backup", None).code(), (404, "CertificateNotFound"));
}

mod hostile_inputs {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Whatever a restore, a page token, a page size or a policy update
        /// carries, the answer is a 2xx or a clear 4xx with a code, never a
        /// panic or a 5xx, and a refusal changes nothing.
        #[test]
        fn lifecycle_inputs_get_a_4xx_and_change_nothing(
            blob in prop_oneof![
                "[A-Za-z0-9_-]{0,200}",
                proptest::collection::vec(any::<u8>(), 0..200)
                    .prop_map(|b| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)),
            ],
            token in "[A-Za-z0-9_%=-]{0,40}",
            size in "[-+0-9a-z]{0,8}",
            section in prop_oneof![Just("key_props"), Just("x509_props"), Just("lifetime_actions"), Just("issuer"), Just("secret_props")],
            value in prop_oneof![
                Just(json!(null)), Just(json!([])), Just(json!({})), Just(json!("x")), Just(json!(-1)),
                Just(json!({"kty": "AAA"})), Just(json!({"validity_months": 0})), Just(json!([{"trigger": {"lifetime_percentage": 101}}])),
                Just(json!({"name": "no/such"})), Just(json!({"contentType": "text/plain"})), Just(json!({"subject": "=="})),
            ],
        ) {
            let mut rig = Rig::new();
            let bundle = rig.issued("c1");
            let before = rig.vault.clone();
            let answers = [
                rig.call("POST", "/certificates/restore", Some(json!({"value": blob}))),
                rig.call("GET", &format!("/certificates?$skiptoken={token}&maxresults={size}"), None),
                rig.call("GET", &format!("/deletedcertificates?$skiptoken={token}"), None),
                rig.call("GET", &format!("/certificates/c1/versions?maxresults={size}"), None),
                rig.call("PATCH", "/certificates/c1/policy", Some(json!({section: value}))),
            ];
            for answer in &answers {
                prop_assert!(answer.status < 500, "{} {}", answer.status, answer.raw);
                if answer.status >= 400 {
                    prop_assert!(answer.body["error"]["code"].as_str().is_some_and(|c| !c.is_empty()), "{}", answer.raw);
                }
            }
            // Nothing but a policy update that was taken changed the name.
            if answers[4].status >= 400 {
                prop_assert_eq!(&rig.vault, &before);
            }
            prop_assert_eq!(rig.call("GET", "/certificates/c1", None).body["id"].clone(), bundle["id"].clone());
        }
    }
}

#[test]
fn a_backup_too_large_to_restore_is_refused_when_it_is_asked_for() {
    let mut rig = Rig::new();
    // A leaf of about 40 KB (many names) and its chain repeated: about
    // 200 KB of DER per import.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let names: Vec<String> = (0..2000).map(|i| format!("n{i:05}.example.com")).collect();
    let leaf = rcgen::CertificateParams::new(names).unwrap().self_signed(&key).unwrap().der().to_vec();
    let mut pem = key.serialize_pem();
    for _ in 0..5 {
        pem.push_str(&pending_certificate::pem_block("CERTIFICATE", &leaf));
    }
    let import = json!({"value": pem, "policy": {"secret_props": {"contentType": "application/x-pem-file"}}});
    assert_eq!(rig.call("POST", "/certificates/big/import", Some(import.clone())).status, 200);
    let one = rig.call("POST", "/certificates/big/backup", None);
    assert_eq!(one.status, 200, "one version backs up");
    for _ in 0..3 {
        assert_eq!(rig.call("POST", "/certificates/big/import", Some(import.clone())).status, 200);
    }
    let refused = rig.call("POST", "/certificates/big/backup", None);
    assert_eq!(refused.code(), (400, "BadParameter"), "{}", refused.raw);
    // The smaller backup still restores (onto a purged name).
    assert_eq!(rig.call("DELETE", "/certificates/big", None).status, 200);
    assert_eq!(rig.call("DELETE", "/deletedcertificates/big", None).status, 204);
    let restore = json!({"value": one.body["value"]});
    assert_eq!(rig.call("POST", "/certificates/restore", Some(restore)).status, 200);
}

#[test]
fn a_non_exportable_key_stays_out_of_the_secret() {
    let mut rig = Rig::new();
    let policy = json!({"policy": {"key_props": {"kty": "EC", "crv": "P-256", "exportable": false},
        "x509_props": {"subject": "CN=ne"}, "issuer": {"name": "Self"}}});
    assert_eq!(rig.call("POST", "/certificates/ne/create", Some(policy)).status, 202);
    let request_id = match rig.effects.pop() {
        Some((_, Effect::SignSelf { request_id, .. })) => request_id,
        other => panic!("{other:?}"),
    };
    rig.vault.sign_self(&support::name("ne"), request_id, &mut rig.keys, rig.now, &mut rig.ids).unwrap();
    let bundle = rig.call("GET", "/certificates/ne", None);
    let cer = base64::engine::general_purpose::STANDARD.decode(bundle.body["cer"].as_str().unwrap()).unwrap();
    let secret = rig.call("GET", "/secrets/ne", None);
    assert_eq!(secret.status, 200, "{}", secret.raw);
    let pfx = base64::engine::general_purpose::STANDARD.decode(secret.body["value"].as_str().unwrap()).unwrap();
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(&pfx, "").unwrap();
    assert!(archive.keys.is_empty(), "a non-exportable key was given out");
    assert_eq!(archive.certs.first().map(|c| c.cert.as_der().to_vec()), Some(cer.clone()));
    let pem = json!({"secret_props": {"contentType": "application/x-pem-file"}});
    assert_eq!(rig.call("PATCH", "/certificates/ne/policy", Some(pem)).status, 200);
    let text = rig.call("GET", "/secrets/ne", None).body["value"].as_str().unwrap().to_owned();
    assert!(!text.contains("PRIVATE KEY") && text.starts_with("-----BEGIN CERTIFICATE-----"), "{text}");
    assert_eq!(pending_certificate::pem_certificates(&text).unwrap(), [cer]);
}

/// A page token is read back only by the listing that gave it: a token of
/// the certificates listing with pending ones is not one of the deleted or
/// issuers listings, and a token that ends at no name is not one at all.
#[test]
fn a_page_token_is_taken_only_by_the_listing_that_gave_it() {
    use base64::Engine as _;
    let token = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    let mut rig = Rig::new();
    rig.issued("a1");
    rig.issued("b1");
    let with_pending = token("p:a1");
    let page = rig.call("GET", &format!("/certificates?$skiptoken={with_pending}"), None);
    assert_eq!(page.status, 200, "{}", page.raw);
    assert_eq!(page.body["value"][0]["id"], format!("{VAULT}/certificates/b1"));
    for listing in ["/deletedcertificates", "/certificates/issuers"] {
        let refused = rig.call("GET", &format!("{listing}?$skiptoken={with_pending}"), None);
        assert_eq!(refused.code(), (400, "BadParameter"), "{listing}");
    }
    for empty in ["c:", "p:"] {
        let refused = rig.call("GET", &format!("/certificates?$skiptoken={}", token(empty)), None);
        assert_eq!(refused.code(), (400, "BadParameter"), "{empty}");
    }
}
