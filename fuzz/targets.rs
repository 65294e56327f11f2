//! The fuzz targets' bodies, shared by `cargo fuzz` (fuzz_targets/) and the
//! stable-toolchain smoke test that replays the committed corpus
//! (`tests/fuzz_corpus.rs`). Each asserts what must hold for any input: no
//! panic, bounded work, and a refused request changes nothing.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use pending_certificate::memory::MemoryKeyHolder;
use pending_certificate::rest::{self, Request};
use pending_certificate::wire::{
    CertificateBundle, CertificateCreateParameters, CertificateImportParameters, CertificateMergeParameters,
    CertificateOperation, CertificateOperationUpdateParameter, ErrorBody,
};
use pending_certificate::x5c::{self, ChainPolicy, ChainValidation};
use pending_certificate::{
    CertificateName, Csr, Curve, ImportContent, ImportFormat, ImportedKey, KeyHolder, KeyHolderError, KeyRequest,
    KeyType, SequentialIds, Vault, VaultUrl,
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
}

const METHODS: [&str; 6] = ["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"];
const NAMES: [&str; 4] = ["c1", "c2", "bad_name", "issuers"];
const ROUTES: [&str; 8] = [
    "create",
    "pending",
    "pending/merge",
    "import",
    "",
    "0123456789abcdef0123456789abcdef",
    "pending?request_id=zz",
    "x/y",
];

/// The REST surface driven by a sequence of requests against one vault. Each
/// request is `[method, name, route, len_hi, len_lo, body…]`. A refused
/// request (4xx, 5xx) must leave the vault exactly as it was.
pub fn rest_sequence(data: &[u8]) {
    let mut vault = Vault::new(VaultUrl::new("https://fuzz.vault.azure.net").unwrap());
    let mut keys = FuzzKeys::default();
    let mut ids = SequentialIds::default();
    let setup = Request {
        method: "PUT",
        target: "/certificates/issuers/mydigicert?api-version=7.5",
        body: br#"{"provider":"x"}"#,
    };
    assert_eq!(rest::handle(&mut vault, &mut keys, &mut ids, now(), setup).response.status, 200);
    let mut rest_of = data;
    let mut requests = 0;
    while let [method, name, route, hi, lo, tail @ ..] = rest_of {
        requests += 1;
        if requests > 64 {
            break;
        }
        let len = (usize::from(*hi) << 8 | usize::from(*lo)).min(tail.len());
        let (body, next) = tail.split_at(len);
        rest_of = next;
        let method = METHODS[usize::from(*method) % METHODS.len()];
        let name = NAMES[usize::from(*name) % NAMES.len()];
        let route = ROUTES[usize::from(*route) % ROUTES.len()];
        let issuer_route = route.is_empty() && name == "issuers";
        let target = if issuer_route {
            "/certificates/issuers/mydigicert?api-version=7.5".to_owned()
        } else if route.contains('?') {
            format!("/certificates/{name}/{}&api-version=7.5", route)
        } else {
            format!("/certificates/{name}/{route}?api-version=7.5")
        };
        let before = vault.clone();
        let handled = rest::handle(&mut vault, &mut keys, &mut ids, now(), Request { method, target: &target, body });
        let status = handled.response.status;
        assert!((200..600).contains(&status));
        if status >= 400 {
            assert_eq!(vault, before, "{method} {target} was refused with {status} and changed the vault");
            let error: ErrorBody = serde_json::from_slice(&handled.response.body).unwrap();
            assert!(!error.error.code.is_empty());
        }
    }
}
