//! `x5c` chain handling: the live service's own checks by default, and real,
//! bounded cryptographic validation grounded in RFC 5280 for embedders who
//! want it.
//!
//! [`validate`] takes the `x5c` array as the service receives it, [`validate_der`]
//! the DER bytes. Either returns the chain ordered leaf first, or a
//! [`ChainError`] naming the `x5c` index at fault. How much is checked is the
//! policy's [`ChainValidation`] level:
//!
//! * [`Service`](ChainValidation::Service) (the default) — what the live
//!   service checks: sizes, every element decodes (base64 of DER, or base64 of
//!   the certificate's base64 or PEM text) and parses, and one certificate
//!   carries the expected key. Nothing else refuses.
//! * [`Verified`](ChainValidation::Verified) — also a cryptographically valid
//!   path from the leaf, as `openssl verify` accepts one by default:
//!   signatures over the TBS bytes *as they appear in the input*, issuers that
//!   are CAs, pathLenConstraint, validity at the validation time, name
//!   constraints, no unhandled critical extension; to the trust anchors, or
//!   without them to the top of the chain given (whose self-signature is not
//!   checked, so SHA-1 roots are fine).
//! * [`Strict`](ChainValidation::Strict) — `Verified` plus the RFC 5280
//!   profile (v3, key identifiers, critical basicConstraints on CAs, …), every
//!   certificate on the path, and a self-signed top's own signature: what
//!   x509-limbo measures.
//!
//! Work is bounded by a budget of signature checks and of name comparisons.

mod algorithms;
mod names;
mod parse;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;

use algorithms::AlgorithmError;
pub use algorithms::MIN_RSA_BITS;
use parse::{Parsed, parse_certificate};

/// Bounds on the work and memory one validation may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most certificates in one `x5c`.
    pub max_certificates: usize,
    /// Largest single certificate, in bytes of DER.
    pub max_certificate_len: usize,
    /// Largest `x5c` in all, in bytes of DER.
    pub max_total_len: usize,
    /// Most signature verifications one path search may try.
    pub max_signature_checks: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_certificates: crate::limits::MAX_X5C_CERTIFICATES,
            max_certificate_len: crate::limits::MAX_CERTIFICATE_LEN,
            max_total_len: crate::limits::MAX_X5C_LEN,
            max_signature_checks: crate::limits::MAX_SIGNATURE_CHECKS,
        }
    }
}

/// How much of an `x5c` chain is checked: one level, chosen by the embedder.
/// `docs/x5c-validation.md` lists what each refuses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ChainValidation {
    /// Exactly what the live service checks: every element decodes and parses,
    /// and one certificate carries the expected key. The default.
    #[default]
    Service,
    /// A cryptographically valid path from the leaf, as `openssl verify`
    /// accepts one by default.
    Verified,
    /// `Verified` plus the RFC 5280 profile checks.
    Strict,
}

impl ChainValidation {
    /// Every level, weakest first.
    pub const ALL: [ChainValidation; 3] =
        [ChainValidation::Service, ChainValidation::Verified, ChainValidation::Strict];

    /// The level's name: `service`, `verified` or `strict`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChainValidation::Service => "service",
            ChainValidation::Verified => "verified",
            ChainValidation::Strict => "strict",
        }
    }
}

impl std::fmt::Display for ChainValidation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A level name that is not `service`, `verified` or `strict`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a chain validation level; use service, verified or strict")]
pub struct UnknownLevel(pub String);

impl std::str::FromStr for ChainValidation {
    type Err = UnknownLevel;
    fn from_str(text: &str) -> Result<Self, UnknownLevel> {
        ChainValidation::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| UnknownLevel(text.to_owned()))
    }
}

/// What a chain is validated against.
#[derive(Debug, Clone)]
pub struct ChainPolicy<'a> {
    /// How much is checked.
    pub level: ChainValidation,
    /// Every certificate of the path must be valid at this instant.
    pub time: OffsetDateTime,
    /// The leaf's `SubjectPublicKeyInfo` (DER), e.g. the CSR's key. When absent,
    /// the first certificate is the leaf.
    pub expected_leaf_key: Option<&'a [u8]>,
    /// Trust anchors (DER certificates). When empty, the path's top is the last
    /// certificate reached.
    pub trust_anchors: &'a [Vec<u8>],
    /// Trust anchors already parsed with [`TrustAnchors::parse`], used instead
    /// of `trust_anchors` when given (parse once, validate many times).
    pub prepared_anchors: Option<&'a TrustAnchors<'a>>,
    /// Whether every certificate given must be on the path (true for `x5c`
    /// at `Strict`). Without trust anchors, `Verified` and `Strict` want
    /// every one on it whatever this says: the chain's own top is all there
    /// is to trust.
    pub require_all_on_path: bool,
    /// Size and work bounds.
    pub limits: Limits,
}

impl<'a> ChainPolicy<'a> {
    /// A policy at the default level ([`ChainValidation::Service`]) for `time`,
    /// with no expected key, no anchors and default limits.
    pub fn at(time: OffsetDateTime) -> Self {
        Self {
            level: ChainValidation::Service,
            time,
            expected_leaf_key: None,
            trust_anchors: &[],
            prepared_anchors: None,
            require_all_on_path: false,
            limits: Limits::default(),
        }
    }

    /// The same policy at another level. Whether every certificate given must
    /// be on the path follows the level: only `Strict` wants it.
    pub fn with_level(mut self, level: ChainValidation) -> Self {
        self.level = level;
        self.require_all_on_path = level == ChainValidation::Strict;
        self
    }

    /// The same policy with anchors parsed beforehand.
    pub fn with_prepared_anchors(mut self, anchors: &'a TrustAnchors<'a>) -> Self {
        self.prepared_anchors = Some(anchors);
        self
    }

    /// The same policy expecting the leaf to carry `spki` (DER).
    pub fn with_leaf_key(mut self, spki: &'a [u8]) -> Self {
        self.expected_leaf_key = Some(spki);
        self
    }

    /// The same policy with trust anchors.
    pub fn with_trust_anchors(mut self, anchors: &'a [Vec<u8>]) -> Self {
        self.trust_anchors = anchors;
        self
    }
}

/// Why a chain was refused. Every variant that concerns one certificate names
/// its index in the `x5c` as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The `x5c` is empty (or missing). The message is the service's.
    #[error("Property x5c has invalid value X5C must has at least one valid item")]
    Empty,
    /// More certificates than [`Limits::max_certificates`].
    #[error("x5c has {count} certificates; at most {max} are allowed")]
    TooManyCertificates {
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// One certificate larger than [`Limits::max_certificate_len`].
    #[error("x5c[{index}] has {len} bytes; at most {max} are allowed")]
    CertificateTooLarge {
        /// Index in the `x5c`.
        index: usize,
        /// Its size (decoded, or an upper bound from its base64).
        len: usize,
        /// The limit.
        max: usize,
    },
    /// All certificates together larger than [`Limits::max_total_len`].
    #[error("x5c has {len} bytes in all; at most {max} are allowed")]
    ChainTooLarge {
        /// The total.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not standard base64.
    #[error("x5c[{index}] is not standard base64")]
    Base64 {
        /// Index in the `x5c`.
        index: usize,
    },
    /// Not a DER-encoded X.509 certificate, or bytes follow it.
    #[error("x5c[{index}] is not a DER-encoded X.509 certificate: {detail}")]
    Malformed {
        /// Index in the `x5c`.
        index: usize,
        /// What the decoder said.
        detail: String,
    },
    /// The same certificate appears twice.
    #[error("x5c[{index}] repeats x5c[{first}]")]
    Duplicate {
        /// Index of the repetition.
        index: usize,
        /// Index of the first occurrence.
        first: usize,
    },
    /// No certificate carries the expected public key. The message is the
    /// service's.
    #[error("Unable to parse X5c certificate chain and locate leaf certificate")]
    LeafKeyMismatch,
    /// More than one certificate carries the expected public key.
    #[error("x5c[{index}] carries the request's public key too; there must be one leaf")]
    AmbiguousLeaf {
        /// Index of the second certificate with the key.
        index: usize,
    },
    /// A certificate is not on the path from the leaf.
    #[error("x5c[{index}] is not on the path from the leaf")]
    NotOnPath {
        /// Index in the `x5c`.
        index: usize,
    },
    /// The signature does not verify with the issuer's key.
    #[error("the signature of x5c[{index}] does not verify with its issuer's key")]
    BadSignature {
        /// Index of the signed certificate.
        index: usize,
    },
    /// `signatureAlgorithm` differs from the `signature` field inside the TBS.
    #[error("x5c[{index}] names different signature algorithms outside and inside its TBS")]
    AlgorithmMismatch {
        /// Index in the `x5c`.
        index: usize,
    },
    /// SHA-1, MD5 or MD2.
    #[error("x5c[{index}] is signed with a weak algorithm (SHA-1, MD5 or MD2)")]
    WeakAlgorithm {
        /// Index in the `x5c`.
        index: usize,
    },
    /// An algorithm or key type the validator does not support.
    #[error("x5c[{index}] uses an unsupported algorithm or key")]
    UnsupportedAlgorithm {
        /// Index in the `x5c`.
        index: usize,
    },
    /// An RSA key under [`MIN_RSA_BITS`] bits.
    #[error("x5c[{index}] has a {bits}-bit RSA key; at least {MIN_RSA_BITS} bits are required")]
    WeakKey {
        /// Index in the `x5c`.
        index: usize,
        /// The modulus size.
        bits: usize,
    },
    /// Not yet valid at the validation time.
    #[error("x5c[{index}] is not valid yet")]
    NotYetValid {
        /// Index in the `x5c`.
        index: usize,
    },
    /// Expired at the validation time.
    #[error("x5c[{index}] has expired")]
    Expired {
        /// Index in the `x5c`.
        index: usize,
    },
    /// An issuer that is not a v3 CA certificate (basicConstraints `cA`).
    #[error("x5c[{index}] issues a certificate but is not a CA")]
    NotCa {
        /// Index in the `x5c`.
        index: usize,
    },
    /// An issuer whose keyUsage lacks keyCertSign.
    #[error("x5c[{index}] issues a certificate but its key usage lacks keyCertSign")]
    KeyCertSignMissing {
        /// Index in the `x5c`.
        index: usize,
    },
    /// An issuer's pathLenConstraint is exceeded.
    #[error("x5c[{index}] allows {allowed} intermediate CAs below it; the path has {found}")]
    PathLenExceeded {
        /// Index in the `x5c`.
        index: usize,
        /// Its pathLenConstraint.
        allowed: u8,
        /// Intermediates below it on the path.
        found: usize,
    },
    /// A critical extension the validator does not process, or an extension twice.
    #[error("x5c[{index}] has a critical extension {oid} that is not understood, or an extension twice")]
    UnknownCriticalExtension {
        /// Index in the `x5c`.
        index: usize,
        /// The extension's OID.
        oid: String,
    },
    /// The certificate breaks a rule of the RFC 5280 profile on its own.
    #[error("x5c[{index}] does not conform to RFC 5280: {reason}")]
    Nonconforming {
        /// Index in the `x5c`.
        index: usize,
        /// The rule broken.
        reason: &'static str,
    },
    /// A CA's nameConstraints hold a form the validator does not compare
    /// (URI, otherName, …) for a name of that form below it, or cannot be
    /// read: the chain is refused rather than accepted unchecked.
    #[error("the name constraints of x5c[{index}] cannot be applied")]
    NameConstraintsUnsupported {
        /// Index in the `x5c` of the constraining CA (for an anchor: of the path's top).
        index: usize,
    },
    /// A name of a certificate is outside its CA's permitted subtrees, or in
    /// its excluded ones (RFC 5280 §4.2.1.10).
    #[error("a name of x5c[{index}] is not permitted by the name constraints above x5c[{ca}]")]
    NameNotPermitted {
        /// Index of the certificate whose name is refused.
        index: usize,
        /// Index of the constraining CA (for an anchor: of the path's top).
        ca: usize,
    },
    /// A trust anchor that would end the path cannot be used (expired, not a
    /// CA, or nonconforming).
    #[error("trust anchor {anchor} cannot be used: {reason}")]
    TrustAnchorRefused {
        /// Index among the anchors.
        anchor: usize,
        /// Why.
        reason: &'static str,
    },
    /// With trust anchors: the path does not end at one.
    #[error("the path from the leaf ends at x5c[{index}], which no trust anchor issued")]
    UntrustedRoot {
        /// Index of the top of the path.
        index: usize,
    },
    /// A trust anchor is not a DER certificate.
    #[error("trust anchor {index} is not a DER-encoded X.509 certificate")]
    InvalidTrustAnchor {
        /// Index among the anchors.
        index: usize,
    },
    /// The path search used up its budget of signature checks.
    #[error("path building gave up after {checks} signature checks")]
    BudgetExceeded {
        /// The budget.
        checks: usize,
    },
}

impl ChainError {
    /// The `x5c` index at fault, where one certificate is.
    pub fn index(&self) -> Option<usize> {
        use ChainError::*;
        match self {
            Empty
            | TooManyCertificates { .. }
            | ChainTooLarge { .. }
            | LeafKeyMismatch
            | InvalidTrustAnchor { .. }
            | TrustAnchorRefused { .. }
            | BudgetExceeded { .. } => None,
            CertificateTooLarge { index, .. }
            | Base64 { index }
            | Malformed { index, .. }
            | Duplicate { index, .. }
            | AmbiguousLeaf { index }
            | NotOnPath { index }
            | BadSignature { index }
            | AlgorithmMismatch { index }
            | WeakAlgorithm { index }
            | UnsupportedAlgorithm { index }
            | WeakKey { index, .. }
            | NotYetValid { index }
            | Expired { index }
            | NotCa { index }
            | KeyCertSignMissing { index }
            | PathLenExceeded { index, .. }
            | UnknownCriticalExtension { index, .. }
            | Nonconforming { index, .. }
            | NameConstraintsUnsupported { index }
            | NameNotPermitted { index, .. }
            | UntrustedRoot { index } => Some(*index),
        }
    }

    /// How much a caller learns from this error when several paths failed: the
    /// most specific one is reported (an untrusted root says less than a
    /// signature that does not verify).
    fn rank(&self) -> u8 {
        match self {
            ChainError::UntrustedRoot { .. } => 0,
            ChainError::BadSignature { .. } => 1,
            _ => 2,
        }
    }

    fn from_algorithm(index: usize, error: AlgorithmError) -> Self {
        match error {
            AlgorithmError::Weak => ChainError::WeakAlgorithm { index },
            AlgorithmError::SmallRsaKey(bits) => ChainError::WeakKey { index, bits },
            AlgorithmError::Unsupported | AlgorithmError::KeyMismatch => ChainError::UnsupportedAlgorithm { index },
        }
    }
}

/// Trust anchors parsed once, for many validations.
pub struct TrustAnchors<'a> {
    parsed: Vec<Parsed<'a>>,
}

impl std::fmt::Debug for TrustAnchors<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustAnchors").field("count", &self.parsed.len()).finish()
    }
}

impl<'a> TrustAnchors<'a> {
    /// Parses DER certificates as trust anchors.
    pub fn parse(anchors: &'a [impl AsRef<[u8]>]) -> Result<Self, ChainError> {
        let parsed = anchors
            .iter()
            .enumerate()
            .map(|(index, der)| {
                parse_certificate(index, der.as_ref()).map_err(|_| ChainError::InvalidTrustAnchor { index })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { parsed })
    }

    /// How many anchors there are.
    pub fn len(&self) -> usize {
        self.parsed.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.parsed.is_empty()
    }
}

/// A chain that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedChain {
    certificates: Vec<Vec<u8>>,
    path: Vec<usize>,
    not_before: i64,
    not_after: i64,
    leaf_public_key: Vec<u8>,
}

impl ValidatedChain {
    /// The certificates (DER) in the order given.
    pub fn as_given(&self) -> &[Vec<u8>] {
        &self.certificates
    }

    /// The `x5c` indices of the path, leaf first.
    pub fn path(&self) -> &[usize] {
        &self.path
    }

    /// The certificates (DER), leaf first.
    pub fn leaf_first(&self) -> impl Iterator<Item = &[u8]> {
        self.path.iter().filter_map(|&i| self.certificates.get(i).map(Vec::as_slice))
    }

    /// The leaf (DER).
    pub fn leaf(&self) -> &[u8] {
        self.leaf_first().next().unwrap_or_default()
    }

    /// The leaf's `notBefore`, Unix seconds.
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// The leaf's `notAfter`, Unix seconds.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// One certificate, parsed (and nothing checked): to read its validity and
    /// key.
    pub fn parse_one(der: &[u8]) -> Result<Self, ChainError> {
        validate_der(&[der], &ChainPolicy::at(OffsetDateTime::UNIX_EPOCH))
    }

    /// The leaf's `SubjectPublicKeyInfo` (DER), as the certificate gives it.
    pub fn leaf_public_key(&self) -> &[u8] {
        &self.leaf_public_key
    }

    /// Consumes the chain, returning the certificates in the order given.
    pub fn into_certificates(self) -> Vec<Vec<u8>> {
        self.certificates
    }
}

/// Decodes an `x5c` array as the service takes it. Each element is standard
/// base64 of a DER certificate, or base64 of that certificate's own base64 or
/// PEM text (what reading a `.crt` file's lines into bytes gives); ASCII
/// whitespace inside an element is ignored, as the service's decoder ignores
/// it. The result is always DER. Sizes are checked on the base64 lengths
/// before anything is decoded, and the inner text is never longer than the
/// element.
pub fn decode(x5c: &[impl AsRef<str>], limits: &Limits) -> Result<Vec<Vec<u8>>, ChainError> {
    check_count(x5c.len(), limits)?;
    // Upper bounds from the base64 lengths, so nothing large is decoded.
    let mut total = 0usize;
    for (index, entry) in x5c.iter().enumerate() {
        let len = entry.as_ref().len() / 4 * 3;
        if len > limits.max_certificate_len + 2 {
            return Err(ChainError::CertificateTooLarge { index, len, max: limits.max_certificate_len });
        }
        total = total.saturating_add(len);
    }
    if total > limits.max_total_len + 2 * x5c.len() {
        return Err(ChainError::ChainTooLarge { len: total, max: limits.max_total_len });
    }
    x5c.iter().enumerate().map(|(index, entry)| decode_element(index, entry.as_ref())).collect()
}

/// Standard base64, ASCII whitespace ignored.
fn base64_lenient(text: &[u8]) -> Option<Vec<u8>> {
    if text.iter().any(u8::is_ascii_whitespace) {
        let compact: Vec<u8> = text.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
        STANDARD.decode(compact).ok()
    } else {
        STANDARD.decode(text).ok()
    }
}

/// The base64 body of a certificate's PEM text: what lies after its BEGIN
/// line and before its END line, either of which may be missing (the
/// JavaScript SDK's sample reads a `.crt` file's base64 lines and keeps the
/// END line). Text past the END line must be empty: a second certificate in
/// one element is not one certificate.
fn pem_certificate_body(text: &str) -> &str {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let body = text.split_once(BEGIN).map_or(text, |(_, rest)| rest);
    match body.split_once(END) {
        Some((body, after)) if after.trim().is_empty() => body,
        Some(_) => text,
        None => body,
    }
}

/// One element: DER as given, or the DER its base64 or PEM text spells. What
/// is neither is returned as decoded, for the parser to refuse with its index.
fn decode_element(index: usize, entry: &str) -> Result<Vec<u8>, ChainError> {
    let bytes = base64_lenient(entry.as_bytes()).ok_or(ChainError::Base64 { index })?;
    // A DER certificate starts with a SEQUENCE tag; text never does.
    if bytes.first() == Some(&0x30) {
        return Ok(bytes);
    }
    let Ok(text) = std::str::from_utf8(&bytes) else { return Ok(bytes) };
    let body = pem_certificate_body(text);
    match base64_lenient(body.as_bytes()) {
        Some(der) if der.first() == Some(&0x30) => Ok(der),
        _ => Ok(bytes),
    }
}

fn check_count(count: usize, limits: &Limits) -> Result<(), ChainError> {
    if count == 0 {
        return Err(ChainError::Empty);
    }
    if count > limits.max_certificates {
        return Err(ChainError::TooManyCertificates { count, max: limits.max_certificates });
    }
    Ok(())
}

/// Validates an `x5c` as the service receives it (see [`decode`]).
pub fn validate(x5c: &[impl AsRef<str>], policy: &ChainPolicy<'_>) -> Result<ValidatedChain, ChainError> {
    let der = decode(x5c, &policy.limits)?;
    validate_der(&der, policy)
}

/// Validates an `x5c` of DER certificates at the policy's level.
pub fn validate_der(x5c: &[impl AsRef<[u8]>], policy: &ChainPolicy<'_>) -> Result<ValidatedChain, ChainError> {
    let limits = &policy.limits;
    check_count(x5c.len(), limits)?;
    let mut total = 0usize;
    for (index, der) in x5c.iter().enumerate() {
        let len = der.as_ref().len();
        if len > limits.max_certificate_len {
            return Err(ChainError::CertificateTooLarge { index, len, max: limits.max_certificate_len });
        }
        total = total.saturating_add(len);
    }
    if total > limits.max_total_len {
        return Err(ChainError::ChainTooLarge { len: total, max: limits.max_total_len });
    }

    let certs = x5c
        .iter()
        .enumerate()
        .map(|(index, der)| parse_certificate(index, der.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    let expected_key = policy.expected_leaf_key.map(PublicKey::new);

    let path = if policy.level == ChainValidation::Service {
        let leaf = match &expected_key {
            None => 0,
            Some(key) => certs.iter().position(|c| key.matches(c)).ok_or(ChainError::LeafKeyMismatch)?,
        };
        order_by_names(&certs, leaf)
    } else {
        // `Strict` refuses a certificate given twice; `Verified`, as
        // `openssl verify`, builds its path over them.
        for (index, cert) in certs.iter().enumerate().filter(|_| policy.level == ChainValidation::Strict) {
            if let Some(first) = certs.iter().take(index).position(|c| c.der == cert.der) {
                return Err(ChainError::Duplicate { index, first });
            }
        }
        let parsed_here;
        let anchors: &[Parsed<'_>] = match policy.prepared_anchors {
            Some(prepared) => &prepared.parsed,
            None => {
                parsed_here = TrustAnchors::parse(policy.trust_anchors)?;
                &parsed_here.parsed
            }
        };
        let leaf = find_leaf(&certs, expected_key.as_ref())?;
        let search = PathSearch {
            certs: &certs,
            anchors,
            strict: policy.level == ChainValidation::Strict,
            time: policy.time.unix_timestamp(),
            budget: std::cell::Cell::new(limits.max_signature_checks),
            budget_total: limits.max_signature_checks,
        };
        let path = search.build(leaf)?;
        // Without trust anchors the path's top is the last certificate
        // reached, so a certificate off the path (an unrelated root, a root
        // whose intermediate is missing) would be trusted for nothing: it is
        // refused, as `openssl verify` refuses such a chain. With anchors,
        // `Verified` lets extra certificates be, as `openssl verify
        // -untrusted` does.
        let all_on_path = policy.require_all_on_path || anchors.is_empty();
        if let Some(index) = (0..certs.len()).find(|i| all_on_path && !path.contains(i)) {
            return Err(ChainError::NotOnPath { index });
        }
        path
    };
    let leaf = path.first().and_then(|&i| certs.get(i));
    let (not_before, not_after) = leaf.map(|c| (c.not_before, c.not_after)).unwrap_or_default();
    let leaf_public_key = leaf.map(|c| c.spki_der.to_vec()).unwrap_or_default();
    Ok(ValidatedChain {
        certificates: x5c.iter().map(|c| c.as_ref().to_vec()).collect(),
        path,
        not_before,
        not_after,
        leaf_public_key,
    })
}

/// The `Service` level's order: the leaf, then each certificate whose subject
/// is the issuer of the one before (names only, no signature), then the rest
/// in the order given. Every certificate appears once.
fn order_by_names(certs: &[Parsed<'_>], leaf: usize) -> Vec<usize> {
    let mut order = vec![leaf];
    let mut top = leaf;
    while let Some(cert) = certs.get(top).filter(|c| !c.self_issued) {
        match certs.iter().find(|c| c.subject == cert.issuer && !order.contains(&c.index)) {
            Some(issuer) => {
                order.push(issuer.index);
                top = issuer.index;
            }
            None => break,
        }
    }
    let rest: Vec<usize> = (0..certs.len()).filter(|i| !order.contains(i)).collect();
    order.extend(rest);
    order
}

/// The expected leaf key, compared by what it is rather than by its exact
/// encoding: the same algorithm, parameters and key bits. (An RSA key's
/// `NULL` parameters are sometimes omitted by encoders; both forms match.)
struct PublicKey<'a> {
    der: &'a [u8],
    parsed: Option<x509_cert::spki::SubjectPublicKeyInfoOwned>,
}

impl<'a> PublicKey<'a> {
    fn new(der: &'a [u8]) -> Self {
        use x509_cert::der::Decode as _;
        Self { der, parsed: x509_cert::spki::SubjectPublicKeyInfoOwned::from_der(der).ok() }
    }

    fn matches(&self, cert: &Parsed<'_>) -> bool {
        if cert.spki_der == self.der {
            return true;
        }
        let Some(key) = &self.parsed else { return false };
        let absent_or_null = |p: &Option<x509_cert::der::Any>| {
            p.as_ref()
                .is_none_or(|p| x509_cert::der::Tagged::tag(p) == x509_cert::der::Tag::Null && p.value().is_empty())
        };
        key.algorithm.oid == cert.spki.algorithm.oid
            && key.subject_public_key == cert.spki.subject_public_key
            && (key.algorithm.parameters == cert.spki.algorithm.parameters
                || (absent_or_null(&key.algorithm.parameters) && absent_or_null(&cert.spki.algorithm.parameters)))
    }
}

fn find_leaf(certs: &[Parsed<'_>], expected: Option<&PublicKey<'_>>) -> Result<usize, ChainError> {
    let Some(key) = expected else {
        return Ok(0);
    };
    let mut matching = certs.iter().filter(|c| key.matches(c)).map(|c| c.index);
    let leaf = matching.next().ok_or(ChainError::LeafKeyMismatch)?;
    if let Some(index) = matching.next() {
        return Err(ChainError::AmbiguousLeaf { index });
    }
    Ok(leaf)
}

const ROOT_AKI: &str = "a self-signed root's authorityKeyIdentifier must be its own keyIdentifier only";

struct PathSearch<'p, 'a> {
    certs: &'p [Parsed<'a>],
    anchors: &'p [Parsed<'p>],
    /// The `Strict` level: the RFC 5280 profile too.
    strict: bool,
    time: i64,
    budget: std::cell::Cell<usize>,
    budget_total: usize,
}

impl PathSearch<'_, '_> {
    fn build(&self, leaf: usize) -> Result<Vec<usize>, ChainError> {
        let cert = self.cert(leaf)?;
        self.check_certificate(cert)?;
        let mut path = vec![leaf];
        self.extend(&mut path)?;
        Ok(path)
    }

    fn cert(&self, index: usize) -> Result<&Parsed<'_>, ChainError> {
        self.certs.get(index).ok_or(ChainError::NotOnPath { index })
    }

    /// Checks one certificate on its own: algorithms, time, extensions and,
    /// at the `Strict` level, keys and the RFC 5280 profile. (The algorithm
    /// and key of every signature relied on are checked when it is verified.)
    fn check_certificate(&self, cert: &Parsed<'_>) -> Result<(), ChainError> {
        let index = cert.index;
        if cert.outer_algorithm != cert.tbs_algorithm {
            return Err(ChainError::AlgorithmMismatch { index });
        }
        if self.strict {
            algorithms::check_signature_algorithm(&cert.outer_algorithm)
                .map_err(|e| ChainError::from_algorithm(index, e))?;
            algorithms::key_kind(&cert.spki).map_err(|e| ChainError::from_algorithm(index, e))?;
        }
        if self.time < cert.not_before {
            return Err(ChainError::NotYetValid { index });
        }
        if self.time > cert.not_after {
            return Err(ChainError::Expired { index });
        }
        let critical = if self.strict { &cert.unknown_critical } else { &cert.unhandled_critical };
        if let Some(oid) = critical {
            return Err(ChainError::UnknownCriticalExtension { index, oid: oid.clone() });
        }
        if !self.strict {
            return match cert.malformed_extension {
                Some(reason) => Err(ChainError::Nonconforming { index, reason }),
                None => Ok(()),
            };
        }
        if let Some(reason) = cert.defect {
            return Err(ChainError::Nonconforming { index, reason });
        }
        if cert.serial_not_positive {
            return Err(ChainError::Nonconforming {
                index,
                reason: "the serial number is not a positive integer (RFC 5280 §4.1.2.2)",
            });
        }
        if cert.has_name_constraints && !cert.is_ca {
            return Err(ChainError::Nonconforming {
                index,
                reason: "nameConstraints may appear only in CA certificates (RFC 5280 §4.2.1.10)",
            });
        }
        if !cert.self_issued && !cert.has_authority_key_id {
            return Err(ChainError::Nonconforming {
                index,
                reason: "a certificate not issued by itself must have authorityKeyIdentifier (RFC 5280 §4.2.1.1)",
            });
        }
        Ok(())
    }

    /// Whether a trust anchor may end a path: valid now, a CA (at the
    /// `Strict` level, a conforming one).
    fn check_anchor(&self, anchor: &Parsed<'_>) -> Result<(), ChainError> {
        let refuse = |reason| Err(ChainError::TrustAnchorRefused { anchor: anchor.index, reason });
        if self.time < anchor.not_before || self.time > anchor.not_after {
            return refuse("it is not valid at the validation time");
        }
        let critical = if self.strict { &anchor.unknown_critical } else { &anchor.unhandled_critical };
        if critical.is_some() {
            return refuse("it has a critical extension that is not understood");
        }
        if self.strict {
            if let Some(reason) = anchor.defect {
                return refuse(reason);
            }
            if anchor.root_aki_mismatch {
                return refuse(ROOT_AKI);
            }
        } else if let Some(reason) = anchor.malformed_extension {
            return refuse(reason);
        }

        match self.check_ca(anchor) {
            Ok(()) => Ok(()),
            Err(ChainError::Nonconforming { reason, .. }) => refuse(reason),
            Err(_) => refuse("it is not a CA certificate with keyCertSign"),
        }
    }

    /// The rules every CA certificate keeps, wherever it stands. At the
    /// `Verified` level they are `openssl verify`'s: keyUsage, when present,
    /// has keyCertSign; basicConstraints, when present, says `cA`; without
    /// it, a version 1 self-issued certificate (an old root) or one whose
    /// keyUsage has keyCertSign is a CA. `Strict` wants a v3 CA with critical
    /// basicConstraints, a subjectKeyIdentifier and a subject.
    fn check_ca(&self, ca: &Parsed<'_>) -> Result<(), ChainError> {
        let index = ca.index;
        if !self.strict {
            if ca.key_usage_lacks_cert_sign {
                return Err(ChainError::KeyCertSignMissing { index });
            }
            let is_ca = if ca.has_basic_constraints {
                ca.is_ca
            } else {
                (ca.version == 0 && ca.self_issued) || ca.has_key_usage
            };
            return if is_ca { Ok(()) } else { Err(ChainError::NotCa { index }) };
        }
        if !ca.is_ca {
            return Err(ChainError::NotCa { index });
        }
        if ca.key_usage_lacks_cert_sign {
            return Err(ChainError::KeyCertSignMissing { index });
        }
        let reason = if !ca.basic_constraints_critical {
            "a CA's basicConstraints must be critical (RFC 5280 §4.2.1.9)"
        } else if !ca.has_subject_key_id {
            "a CA must have subjectKeyIdentifier (RFC 5280 §4.2.1.2)"
        } else if ca.subject_empty {
            "a CA's subject must not be empty (RFC 5280 §4.1.2.6)"
        } else {
            return Ok(());
        };
        Err(ChainError::Nonconforming { index, reason })
    }

    /// Whether `issuer` may issue the certificate at `path`'s end, as the
    /// `depth`-th certificate of the path.
    /// Intermediates above the leaf of `path`, not counting self-issued ones:
    /// what a pathLenConstraint bounds (RFC 5280 §4.2.1.9).
    fn intermediates_below(&self, path: &[usize]) -> usize {
        path.iter().skip(1).filter(|&&i| self.certs.get(i).is_some_and(|c| !c.self_issued)).count()
    }

    fn check_issuer(&self, issuer: &Parsed<'_>, path: &[usize]) -> Result<(), ChainError> {
        self.check_ca(issuer)?;
        self.check_path_len(issuer, path, issuer.index)
    }

    /// `ca`'s pathLenConstraint against the intermediates below it on `path`;
    /// a breach names `index`.
    fn check_path_len(&self, ca: &Parsed<'_>, path: &[usize], index: usize) -> Result<(), ChainError> {
        match ca.path_len {
            Some(allowed) if self.intermediates_below(path) > usize::from(allowed) => {
                Err(ChainError::PathLenExceeded { index, allowed, found: self.intermediates_below(path) })
            }
            _ => Ok(()),
        }
    }

    /// Name constraints along a complete path (and its anchor).
    fn check_names(&self, path: &[usize], anchor: Option<&Parsed<'_>>) -> Result<(), ChainError> {
        let constrained = |c: &Parsed<'_>| c.name_constraints.is_some();
        if !anchor.is_some_and(constrained) && !path.iter().filter_map(|&i| self.certs.get(i)).any(constrained) {
            return Ok(());
        }
        let certs: Vec<&Parsed<'_>> = path.iter().filter_map(|&i| self.certs.get(i)).collect();
        names::check(&certs, anchor)
    }

    fn verify(&self, subject: &Parsed<'_>, issuer: &Parsed<'_>) -> Result<bool, ChainError> {
        let left = self.budget.get();
        if left == 0 {
            return Err(ChainError::BudgetExceeded { checks: self.budget_total });
        }
        self.budget.set(left - 1);
        algorithms::verify(&subject.outer_algorithm, &issuer.spki, subject.tbs, subject.signature)
            .map_err(|e| ChainError::from_algorithm(subject.index, e))
    }

    fn extend(&self, path: &mut Vec<usize>) -> Result<(), ChainError> {
        let Some(&top_index) = path.last() else {
            return Err(ChainError::Empty);
        };
        let certs = self.certs;
        let anchors = self.anchors;
        let top = certs.get(top_index).ok_or(ChainError::NotOnPath { index: top_index })?;
        if let Some(anchor) = anchors.iter().find(|a| a.der == top.der) {
            self.check_anchor(anchor)?;
            return self.check_names(path, Some(anchor));
        }

        let mut best: Option<ChainError> = None;
        let keep = |error: ChainError, best: &mut Option<ChainError>| {
            if matches!(error, ChainError::BudgetExceeded { .. }) {
                return Err(error);
            }
            if best.as_ref().is_none_or(|b| error.rank() > b.rank()) {
                *best = Some(error);
            }
            Ok(())
        };

        let candidates: Vec<&Parsed<'_>> =
            certs.iter().filter(|c| c.subject == top.issuer && !path.contains(&c.index)).collect();
        let had_candidate = !candidates.is_empty();
        for candidate in candidates {
            let attempt = (|| {
                self.check_issuer(candidate, path)?;
                self.check_certificate(candidate)?;
                if !self.verify(top, candidate)? {
                    return Err(ChainError::BadSignature { index: top.index });
                }
                path.push(candidate.index);
                let rest = self.extend(path);
                if rest.is_err() {
                    path.pop();
                }
                rest
            })();
            match attempt {
                Ok(()) => return Ok(()),
                Err(error) => keep(error, &mut best)?,
            }
        }

        if anchors.is_empty() {
            if had_candidate {
                return Err(best.unwrap_or(ChainError::BadSignature { index: top_index }));
            }
            // The top of the chain given is its anchor. `Strict` checks a
            // self-signed top's own signature and key identifier; `Verified`,
            // as `openssl verify` with that top as its trust anchor, does not
            // (public roots are often SHA-1 self-signed).
            if top.self_issued && self.strict {
                if !self.verify(top, top)? {
                    return Err(ChainError::BadSignature { index: top_index });
                }
                if top.root_aki_mismatch {
                    return Err(ChainError::Nonconforming { index: top_index, reason: ROOT_AKI });
                }
            }
            return self.check_names(path, None);
        }

        for anchor in anchors.iter().filter(|a| a.subject == top.issuer) {
            let attempt = (|| {
                self.check_anchor(anchor)?;
                if !self.verify(top, anchor)? {
                    return Err(ChainError::BadSignature { index: top_index });
                }
                // An anchor's constraints are not enforced (RFC 5280 §6.1: the
                // anchor is input to the algorithm, not part of the path), but a
                // path longer than its pathLenConstraint allows is still refused.
                self.check_path_len(anchor, path, top_index)?;
                self.check_names(path, Some(anchor))
            })();
            match attempt {
                Ok(()) => return Ok(()),
                Err(error) => keep(error, &mut best)?,
            }
        }
        Err(best.unwrap_or(ChainError::UntrustedRoot { index: top_index }))
    }
}

/// Whether `signature` over `message` verifies with `key` under `algorithm`,
/// with the same algorithms and key sizes as chain validation; `Err` when
/// either cannot be used.
pub(crate) fn verify_signature(
    algorithm: &x509_cert::spki::AlgorithmIdentifierOwned,
    key: &x509_cert::spki::SubjectPublicKeyInfoOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, ()> {
    algorithms::verify(algorithm, key, message, signature).map_err(|_| ())
}

/// The base64url SHA-1 thumbprint of a DER certificate: `x5t`.
pub fn thumbprint(der: &[u8]) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}
