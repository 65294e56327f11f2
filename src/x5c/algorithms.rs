//! The one place that maps X.509 algorithm identifiers to `aws-lc-rs`
//! verification algorithms. Anything not listed here is refused.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use der::asn1::{ContextSpecific, ObjectIdentifier as Oid, UintRef};
use der::{Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

/// Smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const MD5_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.4");
const SHA1_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
const MD2_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.2");
const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
const ECDSA_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.10045.4.1");
const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_WITH_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
const DSA_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.10040.4.3");
const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
const SECP521R1: Oid = Oid::new_unwrap("1.3.132.0.35");
const ED25519: Oid = Oid::new_unwrap("1.3.101.112");
const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");

/// Why an algorithm or key cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlgorithmError {
    /// SHA-1, MD5 or MD2: known and refused.
    Weak,
    /// Not one of the supported algorithms, or malformed parameters.
    Unsupported,
    /// An RSA key with fewer than [`MIN_RSA_BITS`] bits.
    SmallRsaKey(usize),
    /// The signature algorithm cannot be used with the issuer's key type.
    KeyMismatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn from_oid(oid: &Oid) -> Result<Self, AlgorithmError> {
        match *oid {
            SHA256 => Ok(Hash::Sha256),
            SHA384 => Ok(Hash::Sha384),
            SHA512 => Ok(Hash::Sha512),
            SHA1 => Err(AlgorithmError::Weak),
            _ => Err(AlgorithmError::Unsupported),
        }
    }

    fn len(self) -> u32 {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }
}

/// A signature algorithm the validator accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignatureScheme {
    RsaPkcs1(Hash),
    RsaPss(Hash),
    Ecdsa(Hash),
    Ed25519,
}

/// The kind of a subject public key the validator accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Rsa { bits: usize },
    P256,
    P384,
    P521,
    Ed25519,
}

/// Whether an algorithm's parameters are absent or `NULL` (the two spellings
/// of "none" encoders use for RSA).
pub(crate) fn params_absent_or_null(alg: &AlgorithmIdentifierOwned) -> bool {
    match &alg.parameters {
        None => true,
        Some(any) => any.tag() == Tag::Null && any.value().is_empty(),
    }
}

fn scheme(alg: &AlgorithmIdentifierOwned) -> Result<SignatureScheme, AlgorithmError> {
    let rsa = |hash| {
        if params_absent_or_null(alg) { Ok(SignatureScheme::RsaPkcs1(hash)) } else { Err(AlgorithmError::Unsupported) }
    };
    let ecdsa = |hash| {
        if alg.parameters.is_none() { Ok(SignatureScheme::Ecdsa(hash)) } else { Err(AlgorithmError::Unsupported) }
    };
    match alg.oid {
        SHA256_WITH_RSA => rsa(Hash::Sha256),
        SHA384_WITH_RSA => rsa(Hash::Sha384),
        SHA512_WITH_RSA => rsa(Hash::Sha512),
        RSASSA_PSS => pss_hash(alg).map(SignatureScheme::RsaPss),
        ECDSA_WITH_SHA256 => ecdsa(Hash::Sha256),
        ECDSA_WITH_SHA384 => ecdsa(Hash::Sha384),
        ECDSA_WITH_SHA512 => ecdsa(Hash::Sha512),
        ED25519 if alg.parameters.is_none() => Ok(SignatureScheme::Ed25519),
        MD2_WITH_RSA | MD5_WITH_RSA | SHA1_WITH_RSA | ECDSA_WITH_SHA1 | DSA_WITH_SHA1 => Err(AlgorithmError::Weak),
        _ => Err(AlgorithmError::Unsupported),
    }
}

/// RSASSA-PSS parameters (RFC 4055): the hash, MGF1 with the same hash, and a
/// salt as long as the hash. The SHA-1 defaults are refused as weak.
fn pss_hash(alg: &AlgorithmIdentifierOwned) -> Result<Hash, AlgorithmError> {
    let params = alg.parameters.as_ref().ok_or(AlgorithmError::Weak)?;
    let bytes = params.to_der().map_err(|_| AlgorithmError::Unsupported)?;
    let parsed = (|| -> der::Result<(AlgorithmIdentifierOwned, AlgorithmIdentifierOwned, u32, Option<u8>)> {
        let mut reader = SliceReader::new(&bytes)?;
        let fields = reader.sequence(|r| {
            let hash = ContextSpecific::<AlgorithmIdentifierOwned>::decode_explicit(r, TagNumber(0))?;
            let mgf = ContextSpecific::<AlgorithmIdentifierOwned>::decode_explicit(r, TagNumber(1))?;
            let salt = ContextSpecific::<u32>::decode_explicit(r, TagNumber(2))?;
            let trailer = ContextSpecific::<u8>::decode_explicit(r, TagNumber(3))?;
            Ok::<_, der::Error>((hash, mgf, salt, trailer))
        })?;
        reader.finish()?;
        match fields {
            (Some(h), Some(m), Some(s), t) => Ok((h.value, m.value, s.value, t.map(|t| t.value))),
            _ => Err(der::ErrorKind::Value { tag: Tag::Sequence }.into()),
        }
    })();
    // Absent fields mean the SHA-1 defaults.
    let (hash_alg, mgf, salt, trailer) = parsed.map_err(|_| AlgorithmError::Weak)?;
    if !params_absent_or_null(&hash_alg) || mgf.oid != MGF1 || !matches!(trailer, None | Some(1)) {
        return Err(AlgorithmError::Unsupported);
    }
    let hash = Hash::from_oid(&hash_alg.oid)?;
    let mgf_hash = mgf
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<AlgorithmIdentifierOwned>().ok())
        .ok_or(AlgorithmError::Unsupported)?;
    if Hash::from_oid(&mgf_hash.oid)? != hash || !params_absent_or_null(&mgf_hash) || salt != hash.len() {
        return Err(AlgorithmError::Unsupported);
    }
    Ok(hash)
}

/// The kind of a subject public key, refusing small RSA keys and unknown curves.
pub(crate) fn key_kind(spki: &SubjectPublicKeyInfoOwned) -> Result<KeyKind, AlgorithmError> {
    let key = spki.subject_public_key.as_bytes().ok_or(AlgorithmError::Unsupported)?;
    match spki.algorithm.oid {
        RSA_ENCRYPTION | RSASSA_PSS => {
            let bits = rsa_modulus_bits(key).ok_or(AlgorithmError::Unsupported)?;
            if bits < MIN_RSA_BITS {
                Err(AlgorithmError::SmallRsaKey(bits))
            } else if bits % 8 != 0 {
                // A modulus that is not whole bytes is a sign of a broken key generator.
                Err(AlgorithmError::Unsupported)
            } else {
                Ok(KeyKind::Rsa { bits })
            }
        }
        EC_PUBLIC_KEY => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<Oid>().ok())
                .ok_or(AlgorithmError::Unsupported)?;
            match curve {
                SECP256R1 => Ok(KeyKind::P256),
                SECP384R1 => Ok(KeyKind::P384),
                SECP521R1 => Ok(KeyKind::P521),
                _ => Err(AlgorithmError::Unsupported),
            }
        }
        ED25519 if spki.algorithm.parameters.is_none() => Ok(KeyKind::Ed25519),
        _ => Err(AlgorithmError::Unsupported),
    }
}

fn rsa_modulus_bits(key: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(key).ok()?;
    let modulus = reader
        .sequence(|r| {
            let n = UintRef::decode(r)?;
            let _e = UintRef::decode(r)?;
            Ok::<_, der::Error>(n)
        })
        .ok()?;
    reader.finish().ok()?;
    let bytes = modulus.as_bytes();
    let first = *bytes.first()?;
    Some(bytes.len() * 8 - first.leading_zeros() as usize)
}

fn verification_algorithm(
    scheme: SignatureScheme,
    key: KeyKind,
) -> Result<&'static dyn VerificationAlgorithm, AlgorithmError> {
    use Hash::*;
    Ok(match (scheme, key) {
        (SignatureScheme::RsaPkcs1(Sha256), KeyKind::Rsa { .. }) => &signature::RSA_PKCS1_2048_8192_SHA256,
        (SignatureScheme::RsaPkcs1(Sha384), KeyKind::Rsa { .. }) => &signature::RSA_PKCS1_2048_8192_SHA384,
        (SignatureScheme::RsaPkcs1(Sha512), KeyKind::Rsa { .. }) => &signature::RSA_PKCS1_2048_8192_SHA512,
        (SignatureScheme::RsaPss(Sha256), KeyKind::Rsa { .. }) => &signature::RSA_PSS_2048_8192_SHA256,
        (SignatureScheme::RsaPss(Sha384), KeyKind::Rsa { .. }) => &signature::RSA_PSS_2048_8192_SHA384,
        (SignatureScheme::RsaPss(Sha512), KeyKind::Rsa { .. }) => &signature::RSA_PSS_2048_8192_SHA512,
        (SignatureScheme::Ecdsa(Sha256), KeyKind::P256) => &signature::ECDSA_P256_SHA256_ASN1,
        (SignatureScheme::Ecdsa(Sha384), KeyKind::P256) => &signature::ECDSA_P256_SHA384_ASN1,
        (SignatureScheme::Ecdsa(Sha512), KeyKind::P256) => &signature::ECDSA_P256_SHA512_ASN1,
        (SignatureScheme::Ecdsa(Sha256), KeyKind::P384) => &signature::ECDSA_P384_SHA256_ASN1,
        (SignatureScheme::Ecdsa(Sha384), KeyKind::P384) => &signature::ECDSA_P384_SHA384_ASN1,
        (SignatureScheme::Ecdsa(Sha512), KeyKind::P384) => &signature::ECDSA_P384_SHA512_ASN1,
        (SignatureScheme::Ecdsa(Sha256), KeyKind::P521) => &signature::ECDSA_P521_SHA256_ASN1,
        (SignatureScheme::Ecdsa(Sha384), KeyKind::P521) => &signature::ECDSA_P521_SHA384_ASN1,
        (SignatureScheme::Ecdsa(Sha512), KeyKind::P521) => &signature::ECDSA_P521_SHA512_ASN1,
        (SignatureScheme::Ed25519, KeyKind::Ed25519) => &signature::ED25519,
        _ => return Err(AlgorithmError::KeyMismatch),
    })
}

/// A signature algorithm checked for use, before any key is known.
pub(crate) fn check_signature_algorithm(alg: &AlgorithmIdentifierOwned) -> Result<(), AlgorithmError> {
    scheme(alg).map(|_| ())
}

/// Whether `signature` over `message` verifies with `issuer_key` under `alg`.
/// `Ok(false)` is a wrong signature; `Err` an algorithm that cannot be used.
pub(crate) fn verify(
    alg: &AlgorithmIdentifierOwned,
    issuer_key: &SubjectPublicKeyInfoOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, AlgorithmError> {
    let scheme = scheme(alg)?;
    let kind = key_kind(issuer_key)?;
    let algorithm = verification_algorithm(scheme, kind)?;
    let key = issuer_key.subject_public_key.as_bytes().ok_or(AlgorithmError::Unsupported)?;
    Ok(UnparsedPublicKey::new(algorithm, key).verify(message, signature).is_ok())
}
