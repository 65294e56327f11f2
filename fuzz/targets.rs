//! The fuzz targets' bodies, shared by `cargo fuzz` (fuzz_targets/) and the
//! stable-toolchain smoke test that replays the committed corpus
//! (`tests/fuzz_corpus.rs`). Each asserts what must hold for any input: no
//! panic, bounded work, and a refused request changes nothing.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use pending_certificate::memory::MemoryKeyHolder;
use pending_certificate::rest::{self, Request};
use pending_certificate::wire::{
    CertificateBundle, CertificateCreateParameters, CertificateImportParameters, CertificateItem,
    CertificateMergeParameters, CertificateOperation, CertificateOperationUpdateParameter,
    CertificateRestoreParameters, CertificateUpdateParameters, Contacts, DeletedCertificateBundle,
    DeletedCertificateItem, ErrorBody, KeyBundle, ListResult, SecretBundle,
};
use pending_certificate::x5c::{self, ChainPolicy, ChainValidation};
use pending_certificate::{
    CertificateName, CertificatePolicy, Csr, Curve, Effect, ImportContent, ImportFormat, ImportedKey, IssuerMode,
    KeyHolder, KeyHolderError, KeyRequest, KeyType, SequentialIds, Vault, VaultUrl,
};

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_605)
}

/// The key holder of the REST targets: `MemoryKeyHolder`, except that a key
/// asked for as RSA is made on P-256. Generating an RSA key takes tens of
/// milliseconds to seconds, which would leave the fuzzer a handful of
/// executions per second; the decisions under test never look at the key's
/// type after the policy has been checked. Everything else (imports,
/// secrets, backups, restores) is the real key holder.
#[derive(Debug, Default)]
pub struct FuzzKeys(pub MemoryKeyHolder);

fn cheap(request: &KeyRequest) -> KeyRequest {
    let mut request = request.clone();
    if matches!(request.key_type, KeyType::Rsa { .. }) {
        request.key_type = KeyType::Ec(Curve::P256);
    }
    request
}

impl KeyHolder for FuzzKeys {
    fn create_key(&mut self, name: &CertificateName, request: &KeyRequest) -> Result<Csr, KeyHolderError> {
        self.0.create_key(name, &cheap(request))
    }

    fn sign_self(
        &mut self,
        name: &CertificateName,
        csr: &Csr,
        request: &KeyRequest,
        now: time::OffsetDateTime,
    ) -> Result<Vec<u8>, KeyHolderError> {
        self.0.sign_self(name, csr, &cheap(request), now)
    }

    fn import(&mut self, name: &CertificateName, content: &ImportContent<'_>) -> Result<ImportedKey, KeyHolderError> {
        self.0.import(name, content)
    }

    fn discard(&mut self, public_key: &[u8]) {
        self.0.discard(public_key);
    }

    fn export_secret(
        &self,
        name: &CertificateName,
        public_key: Option<&[u8]>,
        chain: &[Vec<u8>],
        format: ImportFormat,
    ) -> Result<String, KeyHolderError> {
        self.0.export_secret(name, public_key, chain, format)
    }

    fn backup_key(&self, name: &CertificateName, public_key: &[u8]) -> Result<Vec<u8>, KeyHolderError> {
        self.0.backup_key(name, public_key)
    }

    fn restore_key(&mut self, name: &CertificateName, public_key: &[u8], backup: &[u8]) -> Result<(), KeyHolderError> {
        self.0.restore_key(name, public_key, backup)
    }
}

/// `x5c`: the input is split into DER certificates at 0xFF 0xFE 0xFD
/// separators; the first is also the expected leaf key source when it parses.
pub fn x5c(data: &[u8]) {
    let parts: Vec<&[u8]> = data.split(|&b| b == 0xFD).collect();
    let text = String::from_utf8_lossy(data);
    let strings: Vec<&str> = text.split(',').collect();
    for level in ChainValidation::ALL {
        let policy = ChainPolicy::at(now()).with_level(level);
        let _ = x5c::validate_der(&parts, &policy);
        // The same bytes as base64 strings.
        let _ = x5c::validate(&strings, &policy);
        // As its own anchor.
        if let Some(first) = parts.first() {
            let anchors = vec![first.to_vec()];
            let _ = x5c::validate_der(&parts, &policy.clone().with_trust_anchors(&anchors));
        }
    }
}

/// One `x5c` element as the service takes it: the bytes as the element's
/// text, and base64 of them (so the inner base64 and PEM text forms are
/// reached). Decoding never grows the input, DER comes back unchanged, and
/// whatever decodes goes through every level.
pub fn x5c_element(data: &[u8]) {
    use base64::Engine as _;
    let limits = x5c::Limits::default();
    let text = String::from_utf8_lossy(data);
    if let Ok(decoded) = x5c::decode(&[text.as_ref()], &limits) {
        assert!(decoded.iter().all(|der| der.len() <= text.len()));
    }
    let element = base64::engine::general_purpose::STANDARD.encode(data);
    match x5c::decode(&[element], &limits) {
        Ok(decoded) => {
            let [der] = decoded.as_slice() else { panic!("one element decoded into {}", decoded.len()) };
            if data.first() == Some(&0x30) {
                assert_eq!(der.as_slice(), data);
            } else {
                assert!(der.len() <= data.len());
            }
            for level in ChainValidation::ALL {
                let _ = x5c::validate_der(&decoded, &ChainPolicy::at(now()).with_level(level));
            }
        }
        Err(error) => assert!(
            matches!(error, x5c::ChainError::CertificateTooLarge { .. } | x5c::ChainError::ChainTooLarge { .. }),
            "base64 of {} bytes refused: {error}",
            data.len()
        ),
    }
}

/// CSR parsing: refused or accepted, never a panic; an accepted CSR's key is
/// a DER `SubjectPublicKeyInfo`.
pub fn csr(data: &[u8]) {
    if let Ok(csr) = Csr::from_der(data) {
        assert!(!csr.public_key().is_empty());
        assert_eq!(csr.der(), data);
    }
}

/// Every wire type decodes without panicking; what decodes re-encodes and
/// decodes to the same value.
pub fn wire_json(data: &[u8]) {
    fn round<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(data: &[u8]) {
        if let Ok(value) = serde_json::from_slice::<T>(data) {
            let again = serde_json::to_vec(&value).unwrap();
            assert_eq!(serde_json::from_slice::<T>(&again).unwrap(), value);
        }
    }
    round::<CertificateOperation>(data);
    round::<CertificateBundle>(data);
    round::<CertificateCreateParameters>(data);
    round::<CertificateMergeParameters>(data);
    round::<CertificateImportParameters>(data);
    round::<CertificateOperationUpdateParameter>(data);
    round::<ErrorBody>(data);
    round::<pending_certificate::Certificate>(data);
    round::<CertificatePolicy>(data);
    round::<CertificateUpdateParameters>(data);
    round::<CertificateRestoreParameters>(data);
    round::<Contacts>(data);
    round::<rest::IssuerBundle>(data);
    round::<DeletedCertificateBundle>(data);
    round::<ListResult<CertificateItem>>(data);
    round::<ListResult<DeletedCertificateItem>>(data);
    round::<SecretBundle>(data);
    round::<KeyBundle>(data);
}

/// One vault driven through the REST surface, with the checks every REST
/// target makes on every answer: no 5xx (every input here is a client's),
/// a refusal leaves the vault exactly as it was and says why in an error
/// body, and a body that is sent is JSON.
pub struct Rig {
    pub vault: Vault,
    pub keys: FuzzKeys,
    pub ids: SequentialIds,
    pub now: time::OffsetDateTime,
    pub effects: Vec<(CertificateName, Effect)>,
}

const VAULT: &str = "https://fuzz.vault.azure.net";

impl Rig {
    pub fn new() -> Self {
        Self::with(Vault::new(VaultUrl::new(VAULT).unwrap()))
    }

    pub fn with(vault: Vault) -> Self {
        Self { vault, keys: FuzzKeys::default(), ids: SequentialIds::default(), now: now(), effects: Vec::new() }
    }

    /// One request; `target` without `api-version`, which is added.
    pub fn call(&mut self, method: &str, target: &str, body: &[u8]) -> rest::Response {
        let target = format!("{target}{}api-version=7.5", if target.contains('?') { '&' } else { '?' });
        self.raw(method, &target, body)
    }

    /// One request as given.
    pub fn raw(&mut self, method: &str, target: &str, body: &[u8]) -> rest::Response {
        let before = self.vault.clone();
        let handled =
            rest::handle(&mut self.vault, &mut self.keys, &mut self.ids, self.now, Request { method, target, body });
        let response = handled.response;
        let status = response.status;
        assert!((200..500).contains(&status), "{method} {target} answered {status}: {}", text(&response.body));
        if status >= 400 {
            assert_eq!(self.vault, before, "{method} {target} was refused with {status} and changed the vault");
            let error: ErrorBody = serde_json::from_slice(&response.body).unwrap();
            assert!(!error.error.code.is_empty() && !error.error.message.is_empty());
        } else if !response.body.is_empty() {
            serde_json::from_slice::<serde_json::Value>(&response.body).unwrap();
        }
        self.effects.extend(handled.effects);
        response
    }

    /// Signs the newest `Self` request of `name`, if one waits.
    pub fn sign(&mut self, name: &str) {
        let Some(at) =
            self.effects.iter().rposition(|(n, e)| n.as_str() == name && matches!(e, Effect::SignSelf { .. }))
        else {
            return;
        };
        let (name, effect) = self.effects.remove(at);
        if let Effect::SignSelf { request_id, .. } = effect {
            // A request cancelled or replaced meanwhile is refused; both are fine.
            let _ = self.vault.sign_self(&name, request_id, &mut self.keys, self.now, &mut self.ids);
        }
    }

    /// Creates `name` under `Self` on P-256 and signs it.
    pub fn issued(&mut self, name: &str) {
        let body = format!(
            r#"{{"policy":{{"key_props":{{"kty":"EC"}},"x509_props":{{"subject":"CN={name}"}},"issuer":{{"name":"Self"}}}}}}"#
        );
        assert_eq!(self.call("POST", &format!("/certificates/{name}/create"), body.as_bytes()).status, 202);
        self.sign(name);
    }
}

impl Default for Rig {
    fn default() -> Self {
        Self::new()
    }
}

fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(400).collect()
}

fn json(response: &rest::Response) -> serde_json::Value {
    serde_json::from_slice(&response.body).unwrap()
}

/// A vault holding `c`, issued under `Self`, made once per process.
fn issued_vault() -> &'static Vault {
    static VAULT: std::sync::OnceLock<Vault> = std::sync::OnceLock::new();
    VAULT.get_or_init(|| {
        let mut rig = Rig::new();
        rig.issued("c");
        rig.vault
    })
}

/// Policies and policy updates: the JSON as a policy (decoded, checked, its
/// defaults filled in), as the body of `PATCH /certificates/c/policy` over
/// an issued certificate, and as the policy of a create. What the service
/// takes it keeps: the policy read back is the one answered, and updating
/// with it again changes nothing.
pub fn policy(data: &[u8]) {
    if let Ok(policy) = serde_json::from_slice::<CertificatePolicy>(data) {
        let valid = policy.validate();
        let _ = pending_certificate::KeyRequest::from_policy(&policy);
        if valid.is_ok() {
            for mode in [IssuerMode::SelfSigned, IssuerMode::Manual] {
                let filled = policy.with_defaults(mode, now().unix_timestamp(), Some(&policy));
                let _ = filled.validate();
            }
        }
    }
    let mut rig = Rig::with(issued_vault().clone());
    let updated = rig.call("PATCH", "/certificates/c/policy", data);
    if updated.status == 200 {
        let got = rig.call("GET", "/certificates/c/policy", b"");
        assert_eq!(got.status, 200);
        assert_eq!(json(&got), json(&updated), "the policy read back is not the one answered");
        let again = rig.call("PATCH", "/certificates/c/policy", &got.body);
        assert_eq!(again.status, 200, "the policy answered is refused as an update: {}", text(&again.body));
        assert_eq!(json(&again), json(&updated), "updating with the same policy changed it");
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let body = serde_json::to_vec(&serde_json::json!({ "policy": value })).unwrap();
        let created = rig.call("POST", "/certificates/d/create", &body);
        if created.status == 202 {
            assert_eq!(rig.call("GET", "/certificates/d/pending", b"").status, 200);
            assert_eq!(rig.call("GET", "/certificates/d/policy", b"").status, 200);
        }
    }
}

/// The blob of a real backup of `b` (two versions, `Self`), and its JSON
/// contents, made once per process.
pub fn real_backup() -> &'static (String, Vec<u8>) {
    static BACKUP: std::sync::OnceLock<(String, Vec<u8>)> = std::sync::OnceLock::new();
    BACKUP.get_or_init(|| {
        use base64::Engine as _;
        let mut rig = Rig::new();
        rig.issued("b");
        rig.issued("b");
        let backup = rig.call("POST", "/certificates/b/backup", b"");
        assert_eq!(backup.status, 200);
        let value = json(&backup)["value"].as_str().unwrap().to_owned();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&value).unwrap();
        let contents = bytes[pending_certificate::backup::MAGIC.len() + 1..bytes.len() - 32].to_vec();
        (value, contents)
    })
}

/// A blob with a good header and checksum around `contents`.
pub fn sealed_backup(contents: &[u8]) -> String {
    use base64::Engine as _;
    let mut bytes = pending_certificate::backup::MAGIC.to_vec();
    bytes.push(pending_certificate::backup::FORMAT);
    bytes.extend_from_slice(contents);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    bytes.extend_from_slice(digest.as_ref());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Backup blobs, as `POST /certificates/restore` takes them onto an empty
/// vault. The first byte chooses the form: the rest as the blob's text
/// (`0`), or as the JSON contents of a blob with a good header and
/// checksum (any other), so that the checks behind the checksum are
/// reached. A blob that decodes encodes back to itself; a restore that is
/// taken brings a certificate that answers, whose secret answers, and which
/// backs up again.
pub fn backup(data: &[u8]) {
    let Some((&form, rest)) = data.split_first() else { return };
    let value = if form == 0 { String::from_utf8_lossy(rest).into_owned() } else { sealed_backup(rest) };
    if let Ok(decoded) = pending_certificate::backup::Backup::decode(&value) {
        let again = pending_certificate::backup::Backup::decode(&decoded.encode()).unwrap();
        assert_eq!(again, decoded);
    }
    let mut rig = Rig::new();
    let body = serde_json::to_vec(&serde_json::json!({ "value": value })).unwrap();
    let restored = rig.call("POST", "/certificates/restore", &body);
    if restored.status == 200 {
        let id = json(&restored)["id"].as_str().unwrap().to_owned();
        let name = id.split('/').nth(4).unwrap().to_owned();
        assert_eq!(rig.call("GET", &format!("/certificates/{name}"), b"").status, 200);
        let secret = rig.call("GET", &format!("/secrets/{name}"), b"").status;
        assert!(secret == 200 || secret == 403, "the restored secret answered {secret}");
        assert_eq!(rig.call("POST", &format!("/certificates/{name}/backup"), b"").status, 200);
        assert_eq!(rig.call("POST", "/certificates/restore", &body).status, 409);
    }
}

/// PKCS#12 and PEM import: the first byte chooses the form — the rest as
/// PEM text (`0`), or as a PKCS#12 file (base64 of the rest) with an empty
/// password (`1`) or the password `fuzz` (any other). An import that is
/// taken answers as a certificate, a secret and a key.
pub fn import(data: &[u8]) {
    use base64::Engine as _;
    let Some((&form, rest)) = data.split_first() else { return };
    let (value, pwd, content_type) = match form {
        0 => (String::from_utf8_lossy(rest).into_owned(), None, "application/x-pem-file"),
        1 => (base64::engine::general_purpose::STANDARD.encode(rest), Some(""), "application/x-pkcs12"),
        _ => (base64::engine::general_purpose::STANDARD.encode(rest), Some("fuzz"), "application/x-pkcs12"),
    };
    let body = serde_json::to_vec(&serde_json::json!({
        "value": value,
        "pwd": pwd,
        "policy": { "secret_props": { "contentType": content_type } },
    }))
    .unwrap();
    let mut rig = Rig::new();
    let imported = rig.call("POST", "/certificates/i/import", &body);
    if imported.status == 200 {
        assert_eq!(rig.call("GET", "/certificates/i", b"").status, 200);
        assert_eq!(rig.call("GET", "/secrets/i", b"").status, 200);
        assert_eq!(rig.call("GET", "/keys/i", b"").status, 200);
        assert_eq!(rig.call("GET", "/certificates/i/pending", b"").status, 404);
    }
}

/// A vault with names to page through: 12 issued (one with two versions),
/// 8 pending, 6 deleted, and 30 issuers; made once per process.
pub fn paged_vault() -> &'static Vault {
    static VAULT: std::sync::OnceLock<Vault> = std::sync::OnceLock::new();
    VAULT.get_or_init(|| {
        let mut rig = Rig::new();
        for i in 0..12 {
            rig.issued(&format!("a{i:02}"));
        }
        rig.issued("a01");
        for i in 0..8 {
            let body =
                format!(r#"{{"policy":{{"x509_props":{{"subject":"CN=p{i}"}},"issuer":{{"name":"Unknown"}}}}}}"#);
            assert_eq!(rig.call("POST", &format!("/certificates/p{i}/create"), body.as_bytes()).status, 202);
        }
        for i in 0..6 {
            rig.issued(&format!("d{i}"));
            assert_eq!(rig.call("DELETE", &format!("/certificates/d{i}"), b"").status, 200);
        }
        for i in 0..30 {
            let body = br#"{"provider":"Test"}"#;
            assert_eq!(rig.call("PUT", &format!("/certificates/issuers/i{i:02}"), body).status, 200);
        }
        rig.vault
    })
}

const LISTINGS: [&str; 4] =
    ["/certificates", "/deletedcertificates", "/certificates/a01/versions", "/certificates/issuers"];

/// Paging: the first byte chooses the listing, the rest is its query
/// string as given (`maxresults`, `$skiptoken`, `includePending`,
/// `api-version`, anything else). A page holds at most what was asked and
/// no more than 25, names in order; its `nextLink` is taken, and leads on
/// past the page's last name.
pub fn paging(data: &[u8]) {
    let Some((&which, query)) = data.split_first() else { return };
    let path = LISTINGS[usize::from(which) % LISTINGS.len()];
    let target = format!("{path}?{}", String::from_utf8_lossy(query));
    let mut rig = Rig::with(paged_vault().clone());
    let page = rig.raw("GET", &target, b"");
    if page.status != 200 {
        assert_eq!(page.status, 400, "{target}: {}", text(&page.body));
        return;
    }
    let body = json(&page);
    let ids: Vec<&str> = body["value"].as_array().unwrap().iter().map(|item| item["id"].as_str().unwrap()).collect();
    assert!(ids.len() <= rest::MAX_PAGE);
    let by_name = !path.ends_with("/versions");
    if by_name {
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{target}: out of order: {ids:?}");
    }
    if let Some(next) = body["nextLink"].as_str() {
        let next = next.strip_prefix(VAULT).unwrap();
        let following = rig.raw("GET", next, b"");
        assert_eq!(following.status, 200, "{next}: {}", text(&following.body));
        let following = json(&following);
        let first = following["value"][0]["id"].as_str();
        if let (true, Some(first), Some(last)) = (by_name, first, ids.last()) {
            assert!(first > *last, "{next} went back: {first} after {last}");
        }
    }
}

const METHODS: [&str; 8] = ["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "SIGN", "TICK"];
const NAMES: [&str; 4] = ["c1", "c2", "bad_name", "issuers"];
/// Route templates; `{n}` is the request's name.
const ROUTES: [&str; 24] = [
    "/certificates/{n}/create",
    "/certificates/{n}/pending",
    "/certificates/{n}/pending/merge",
    "/certificates/{n}/import",
    "/certificates/{n}",
    "/certificates/{n}/0123456789abcdef0123456789abcdef",
    "/certificates/{n}/pending?request_id=zz",
    "/certificates/{n}/x/y",
    "/certificates/issuers/mydigicert",
    "/certificates/{n}/versions",
    "/certificates/{n}/policy",
    "/certificates/{n}/backup",
    "/certificates/restore",
    "/deletedcertificates/{n}",
    "/deletedcertificates/{n}/recover",
    "/secrets/{n}",
    "/keys/{n}",
    "/certificates/contacts",
    "/certificates",
    "/deletedcertificates",
    "/certificates/issuers",
    "/certificates?includePending=true&maxresults=1",
    "/secrets/{n}/0123456789abcdef0123456789abcdef",
    "/keys/{n}/",
];

/// The REST surface driven by a sequence of requests against one vault, over
/// every route. Each request is `[method, name, route, len_hi, len_lo,
/// body…]`; the method `SIGN` signs the name's newest `Self` request and
/// `TICK` moves the clock on by `len` days (a deleted name passes its purge
/// date); a restore with an empty body restores the last backup answered.
/// Every answer gets [`Rig::call`]'s checks.
pub fn rest_sequence(data: &[u8]) {
    let mut rig = Rig::new();
    assert_eq!(rig.call("PUT", "/certificates/issuers/mydigicert", br#"{"provider":"x"}"#).status, 200);
    let mut last_backup: Option<Vec<u8>> = None;
    let mut rest_of = data;
    let mut requests = 0;
    while let [method, name, route, hi, lo, tail @ ..] = rest_of {
        requests += 1;
        if requests > 64 {
            break;
        }
        let declared = usize::from(*hi) << 8 | usize::from(*lo);
        let len = declared.min(tail.len());
        let (body, next) = tail.split_at(len);
        rest_of = next;
        let method = METHODS[usize::from(*method) % METHODS.len()];
        let name = NAMES[usize::from(*name) % NAMES.len()];
        let route = ROUTES[usize::from(*route) % ROUTES.len()];
        match method {
            "SIGN" => rig.sign(name),
            "TICK" => rig.now += time::Duration::days((declared % 120) as i64),
            _ => {
                let target = route.replace("{n}", name);
                let body = match (route, &last_backup) {
                    ("/certificates/restore", Some(blob)) if body.is_empty() => blob.clone(),
                    _ => body.to_vec(),
                };
                let response = rig.call(method, &target, &body);
                if route.ends_with("/backup") && response.status == 200 {
                    last_backup = Some(response.body);
                }
            }
        }
    }
}
