//! A certificate's public key as a JSON Web Key, as `GET /keys/{name}`
//! answers it: RSA (`n`, `e`) or EC (`crv`, `x`, `y`), base64url without
//! padding, read from the `SubjectPublicKeyInfo` the certificate gives.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use der::asn1::{ObjectIdentifier as Oid, UintRef};
use der::{Decode as _, Reader as _, SliceReader};
use serde::{Deserialize, Serialize};
use x509_cert::spki::SubjectPublicKeyInfoOwned;

const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
const CURVES: [(Oid, &str, usize); 4] = [
    (Oid::new_unwrap("1.2.840.10045.3.1.7"), "P-256", 32),
    (Oid::new_unwrap("1.3.132.0.34"), "P-384", 48),
    (Oid::new_unwrap("1.3.132.0.35"), "P-521", 66),
    (Oid::new_unwrap("1.3.132.0.10"), "P-256K", 32),
];

/// A public key as a JSON Web Key (`key` of a key bundle), members in the
/// service's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonWebKey {
    /// `{vault}/keys/{name}/{version}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `RSA` or `EC`.
    pub kty: String,
    /// The operations the key may be used for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_ops: Vec<String>,
    /// RSA modulus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC curve name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// Why a public key cannot be a JSON Web Key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the public key cannot be given as a JSON Web Key: {0}")]
pub struct JwkError(&'static str);

/// Big-endian integer bytes without leading zeros.
fn unsigned(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len().saturating_sub(1));
    bytes.get(start..).unwrap_or(bytes)
}

impl JsonWebKey {
    /// The JWK of a `SubjectPublicKeyInfo` (DER), without `kid` or `key_ops`.
    pub fn from_spki(spki: &[u8]) -> Result<Self, JwkError> {
        let info = SubjectPublicKeyInfoOwned::from_der(spki).map_err(|_| JwkError("not a SubjectPublicKeyInfo"))?;
        let key = info.subject_public_key.as_bytes().ok_or(JwkError("the key has unused bits"))?;
        match info.algorithm.oid {
            RSA_ENCRYPTION => {
                let mut reader = SliceReader::new(key).map_err(|_| JwkError("not an RSA public key"))?;
                let (n, e) = reader
                    .sequence(|r| Ok::<_, der::Error>((UintRef::decode(r)?, UintRef::decode(r)?)))
                    .map_err(|_| JwkError("not an RSA public key"))?;
                Ok(JsonWebKey {
                    kty: "RSA".into(),
                    n: Some(URL_SAFE_NO_PAD.encode(unsigned(n.as_bytes()))),
                    e: Some(URL_SAFE_NO_PAD.encode(unsigned(e.as_bytes()))),
                    ..JsonWebKey::default()
                })
            }
            EC_PUBLIC_KEY => {
                let curve = info
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.decode_as::<Oid>().ok())
                    .ok_or(JwkError("an EC key without a named curve"))?;
                let (_, name, len) =
                    CURVES.iter().find(|(oid, ..)| *oid == curve).ok_or(JwkError("an EC key on an unknown curve"))?;
                // An uncompressed point: 0x04 || x || y.
                let point = match key.split_first() {
                    Some((4, point)) if point.len() == 2 * len => point,
                    _ => return Err(JwkError("an EC point that is not uncompressed")),
                };
                let (x, y) = point.split_at(*len);
                Ok(JsonWebKey {
                    kty: "EC".into(),
                    crv: Some((*name).to_owned()),
                    x: Some(URL_SAFE_NO_PAD.encode(x)),
                    y: Some(URL_SAFE_NO_PAD.encode(y)),
                    ..JsonWebKey::default()
                })
            }
            _ => Err(JwkError("neither an RSA nor an EC key")),
        }
    }
}
