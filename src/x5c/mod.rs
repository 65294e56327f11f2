//! `x5c` chain validation: cryptographically real, grounded in RFC 5280, bounded.
//!
//! [`validate`] takes the `x5c` array as the service receives it (standard
//! base64 of DER certificates), [`validate_der`] the DER bytes. Either returns
//! the chain ordered leaf first, or a [`ChainError`] naming the `x5c` index at
//! fault. The checks, in the order they run:
//!
//! 1. sizes, before anything is decoded ([`Limits`]);
//! 2. base64 and DER well-formedness, nothing after each certificate;
//! 3. no certificate twice;
//! 4. the leaf: the certificate whose public key equals the expected key (or,
//!    with no expected key, the first);
//! 5. a path from the leaf by issuer links, each link a signature that verifies
//!    with the issuer's key over the TBS bytes *as they appear in the input*,
//!    bounded by a budget of signature checks; every certificate must be on it;
//! 6. on every certificate of the path: signature algorithm allowed and equal to
//!    the one inside its TBS, keys strong enough, valid at the validation time,
//!    no unknown critical extension; on every issuer: a v3 CA (`cA`, keyCertSign
//!    when keyUsage is present, pathLenConstraint honoured);
//! 7. with trust anchors: the path ends at an anchor or at a certificate an
//!    anchor issued. Without, a self-signed top must verify its own signature.

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

/// What a chain is validated against.
#[derive(Debug, Clone)]
pub struct ChainPolicy<'a> {
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
    /// Whether every certificate given must be on the path (true for `x5c`).
    pub require_all_on_path: bool,
    /// Size and work bounds.
    pub limits: Limits,
}

impl<'a> ChainPolicy<'a> {
    /// A policy for `time` with no expected key, no anchors and default limits.
    pub fn at(time: OffsetDateTime) -> Self {
        Self {
            time,
            expected_leaf_key: None,
            trust_anchors: &[],
            prepared_anchors: None,
            require_all_on_path: true,
            limits: Limits::default(),
        }
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
    /// The `x5c` is empty.
    #[error("x5c is empty")]
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
    /// No certificate carries the expected public key.
    #[error("no certificate in x5c carries the request's public key")]
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

    /// Consumes the chain, returning the certificates in the order given.
    pub fn into_certificates(self) -> Vec<Vec<u8>> {
        self.certificates
    }
}

/// Decodes an `x5c` array of standard base64 strings, checking sizes before
/// decoding anything.
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
    x5c.iter()
        .enumerate()
        .map(|(index, entry)| STANDARD.decode(entry.as_ref()).map_err(|_| ChainError::Base64 { index }))
        .collect()
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

/// Validates an `x5c` of standard base64 strings.
pub fn validate(x5c: &[impl AsRef<str>], policy: &ChainPolicy<'_>) -> Result<ValidatedChain, ChainError> {
    let der = decode(x5c, &policy.limits)?;
    validate_der(&der, policy)
}

/// Validates an `x5c` of DER certificates.
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
    for (index, cert) in certs.iter().enumerate() {
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

    let leaf = find_leaf(&certs, policy.expected_leaf_key)?;
    let search = PathSearch {
        certs: &certs,
        anchors,
        time: policy.time.unix_timestamp(),
        budget: std::cell::Cell::new(limits.max_signature_checks),
        budget_total: limits.max_signature_checks,
    };
    let path = search.build(leaf)?;

    if let Some(index) = (0..certs.len()).find(|i| policy.require_all_on_path && !path.contains(i)) {
        return Err(ChainError::NotOnPath { index });
    }
    let (not_before, not_after) = certs.get(leaf).map(|c| (c.not_before, c.not_after)).unwrap_or_default();
    Ok(ValidatedChain { certificates: x5c.iter().map(|c| c.as_ref().to_vec()).collect(), path, not_before, not_after })
}

fn find_leaf(certs: &[Parsed<'_>], expected: Option<&[u8]>) -> Result<usize, ChainError> {
    let Some(key) = expected else {
        return Ok(0);
    };
    let mut matching = certs.iter().filter(|c| c.spki_der == key).map(|c| c.index);
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

    /// Checks one certificate on its own: algorithms, keys, time, extensions.
    fn check_certificate(&self, cert: &Parsed<'_>) -> Result<(), ChainError> {
        let index = cert.index;
        if cert.outer_algorithm != cert.tbs_algorithm {
            return Err(ChainError::AlgorithmMismatch { index });
        }
        algorithms::check_signature_algorithm(&cert.outer_algorithm)
            .map_err(|e| ChainError::from_algorithm(index, e))?;
        algorithms::key_kind(&cert.spki).map_err(|e| ChainError::from_algorithm(index, e))?;
        if self.time < cert.not_before {
            return Err(ChainError::NotYetValid { index });
        }
        if self.time > cert.not_after {
            return Err(ChainError::Expired { index });
        }
        if let Some(oid) = &cert.unknown_critical {
            return Err(ChainError::UnknownCriticalExtension { index, oid: oid.clone() });
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

    /// Whether a trust anchor may end a path: valid now, a conforming CA.
    fn check_anchor(&self, anchor: &Parsed<'_>) -> Result<(), ChainError> {
        let refuse = |reason| Err(ChainError::TrustAnchorRefused { anchor: anchor.index, reason });
        if self.time < anchor.not_before || self.time > anchor.not_after {
            return refuse("it is not valid at the validation time");
        }
        if let Some(reason) = anchor.defect {
            return refuse(reason);
        }
        if anchor.unknown_critical.is_some() {
            return refuse("it has a critical extension that is not understood");
        }
        if anchor.root_aki_mismatch {
            return refuse(ROOT_AKI);
        }

        match self.check_ca(anchor) {
            Ok(()) => Ok(()),
            Err(ChainError::Nonconforming { reason, .. }) => refuse(reason),
            Err(_) => refuse("it is not a CA certificate with keyCertSign"),
        }
    }

    /// The rules every CA certificate keeps, wherever it stands.
    fn check_ca(&self, ca: &Parsed<'_>) -> Result<(), ChainError> {
        let index = ca.index;
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
        let index = issuer.index;
        self.check_ca(issuer)?;
        if let Some(allowed) = issuer.path_len {
            let found = self.intermediates_below(path);
            if found > usize::from(allowed) {
                return Err(ChainError::PathLenExceeded { index, allowed, found });
            }
        }
        Ok(())
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
            if top.self_issued {
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
                if let Some(allowed) = anchor.path_len {
                    let found = self.intermediates_below(path);
                    if found > usize::from(allowed) {
                        return Err(ChainError::PathLenExceeded { index: top_index, allowed, found });
                    }
                }
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
