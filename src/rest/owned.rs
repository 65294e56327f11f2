//! The key and the secret a certificate owns, read-only: `GET /keys/{name}`
//! (the public key as a JSON Web Key) and `GET /secrets/{name}` (the private
//! key with the chain, as the policy's `contentType` says), each for the
//! latest version or one version.

use crate::certificate::{Certificate, CertificateVersion};
use crate::jwk::JsonWebKey;
use crate::keys::{ImportFormat, KeyHolder};
use crate::name::CertificateName;
use crate::wire::{KeyBundle, SecretBundle, tags_of, version_attributes};

use super::error::RestError;
use super::{Context, Decision, Loaded, Response};

/// The certificate version a key or secret request names, if there is one.
fn find<'a>(certificate: &'a Certificate, version: Option<&str>) -> Option<&'a CertificateVersion> {
    let version = super::certificates::version_id(certificate.name(), version).ok()?;
    certificate.certificate(version).ok()
}

fn shown_name(name: &CertificateName, version: Option<&str>) -> String {
    match version {
        None | Some("") => name.to_string(),
        Some(v) => format!("{name}/{}", v.chars().take(64).collect::<String>()),
    }
}

pub(super) fn key_needed(version: Option<&str>, loaded: &Loaded) -> Option<Vec<u8>> {
    let (_, certificate) = loaded.certificate.as_ref()?;
    let found = find(certificate, version)?;
    (!found.is_placeholder() && found.enabled() && exportable(certificate)).then(|| found.public_key().to_vec())
}

/// Whether the policy lets the private key out with the secret
/// (`key_props.exportable`, true unless set false).
fn exportable(certificate: &Certificate) -> bool {
    certificate.policy().and_then(|p| p.key_props.as_ref()).and_then(|k| k.exportable) != Some(false)
}

/// The chain leaf first, whatever order it is stored in.
fn leaf_first(version: &CertificateVersion) -> Vec<Vec<u8>> {
    let mut chain = vec![version.cer().to_vec()];
    chain.extend(version.x5c().iter().filter(|c| c.as_slice() != version.cer()).cloned());
    chain
}

/// The certificate and the version a key or secret request names: not found
/// (`not_found`) when there is none, forbidden when it is disabled (a
/// pending certificate's placeholder, or a version disabled by an update).
fn owned_version(
    loaded: Loaded,
    version: Option<&str>,
    not_found: RestError,
    what: &'static str,
) -> Result<(Certificate, CertificateVersion), RestError> {
    let Some((_, certificate)) = loaded.certificate else { return Err(not_found) };
    let Some(found) = find(&certificate, version).cloned() else { return Err(not_found) };
    if found.is_placeholder() || !found.enabled() {
        return Err(RestError::Disabled { what });
    }
    Ok((certificate, found))
}

/// `GET /secrets/{name}[/{version}]`.
pub(super) fn secret(
    cx: &Context<'_>,
    name: &CertificateName,
    version: Option<&str>,
    loaded: Loaded,
    keys: &mut impl KeyHolder,
) -> Result<Decision, RestError> {
    let not_found = RestError::SecretNotFound { name: shown_name(name, version) };
    let (certificate, found) = owned_version(loaded, version, not_found, "secret")?;
    let found = &found;
    let content_type = certificate
        .policy()
        .and_then(|p| p.secret_props.as_ref())
        .and_then(|s| s.content_type.clone())
        .unwrap_or_else(|| crate::policy::PKCS12.to_owned());
    let format = ImportFormat::from_content_type(Some(&content_type)).unwrap_or(ImportFormat::Pkcs12);
    let key = exportable(&certificate).then(|| found.public_key());
    let value = keys.export_secret(name, key, &leaf_first(found), format)?;
    let bundle = SecretBundle {
        value,
        content_type: Some(content_type),
        id: cx.settings.url.secret_id(name, found.version()),
        managed: true,
        attributes: Some(version_attributes(found, Some(&cx.settings.recovery))),
        tags: tags_of(found),
        kid: Some(cx.settings.url.key_id(name, found.version())),
    };
    Ok(Decision::answer(Response::json(200, &bundle)))
}

/// The JWK operations a policy's key usages allow the key (an EC key
/// neither wraps nor encrypts).
fn key_ops(certificate: &Certificate, ec: bool) -> Vec<String> {
    let usages = certificate.policy().and_then(|p| p.x509_props.as_ref()).and_then(|x| x.key_usage.clone());
    let mut ops = Vec::new();
    for usage in usages.unwrap_or_default() {
        let more: &[&str] = match usage.as_str() {
            "digitalSignature" | "nonRepudiation" => &["sign", "verify"],
            "keyEncipherment" if !ec => &["wrapKey", "unwrapKey"],
            "dataEncipherment" if !ec => &["encrypt", "decrypt"],
            _ => &[],
        };
        for op in more {
            if !ops.iter().any(|o: &String| o == op) {
                ops.push((*op).to_owned());
            }
        }
    }
    ops
}

/// `GET /keys/{name}[/{version}]`.
pub(super) fn key(
    cx: &Context<'_>,
    name: &CertificateName,
    version: Option<&str>,
    loaded: Loaded,
) -> Result<Decision, RestError> {
    let not_found = RestError::KeyNotFound { name: shown_name(name, version) };
    let (certificate, found) = owned_version(loaded, version, not_found, "key")?;
    let found = &found;
    let mut jwk =
        JsonWebKey::from_spki(found.public_key()).map_err(|e| crate::keys::KeyHolderError::Rejected(e.to_string()))?;
    jwk.kid = Some(cx.settings.url.key_id(name, found.version()));
    jwk.key_ops = key_ops(&certificate, jwk.kty == "EC");
    let bundle = KeyBundle {
        key: jwk,
        attributes: Some(version_attributes(found, Some(&cx.settings.recovery))),
        tags: tags_of(found),
        managed: true,
    };
    Ok(Decision::answer(Response::json(200, &bundle)))
}
