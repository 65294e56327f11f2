//! The certificate operation: create, import, get, cancel, delete, merge.

use crate::certificate::{Certificate, CreateRequest};
use crate::error::OperationError;
use crate::ids::{IdGenerator, RequestId};
use crate::keys::{ImportContent, ImportFormat, KeyHolder, KeyHolderError, KeyRequest};
use crate::name::{CertificateName, IssuerMode};
use crate::vault::Revision;
use crate::wire::{
    BundleView, CertificateBundle, CertificateCreateParameters, CertificateImportParameters, CertificateOperation,
};
use crate::x5c;

use super::error::RestError;
use super::{Context, Decision, Loaded, RETRY_AFTER_SECONDS, Response, Write};

/// The loaded aggregate of `name`, or an empty one when the name holds nothing.
pub(super) fn aggregate(
    loaded: Option<(Revision, Certificate)>,
    name: &CertificateName,
) -> (Option<Revision>, Certificate) {
    match loaded {
        Some((revision, certificate)) => (Some(revision), certificate),
        None => (None, Certificate::new(name.clone())),
    }
}

fn operation(
    cx: &Context<'_>,
    certificate: &Certificate,
    status: u16,
    deleted: Option<&crate::PendingCertificate>,
) -> Result<Response, RestError> {
    let pending = match deleted {
        Some(pending) => pending,
        None => certificate.pending(None)?,
    };
    Ok(Response::json(status, &CertificateOperation::from_pending(&cx.settings.url, certificate.name(), pending)))
}

fn bundle(
    cx: &Context<'_>,
    certificate: &Certificate,
    version: crate::VersionId,
) -> Result<CertificateBundle, RestError> {
    let found = certificate.certificate(Some(version))?;
    Ok(CertificateBundle::render(&cx.settings.url, certificate, found, BundleView::Latest, &cx.settings.recovery))
}

/// `POST …/create`: every refusal is given before the key holder makes a key.
pub(super) fn create(
    cx: &Context<'_>,
    name: &CertificateName,
    params: &CertificateCreateParameters,
    api_version: &str,
    loaded: Loaded,
    keys: &mut impl KeyHolder,
    ids: &mut impl IdGenerator,
) -> Result<Decision, RestError> {
    let policy = params.policy.clone().unwrap_or_default();
    let (expected, mut certificate) = aggregate(loaded.certificate, name);
    let named = certificate.check_create(&policy)?;
    // The policy's issuer, loaded when it names a registered one.
    if named.name.mode() == IssuerMode::Provider && loaded.issuer.is_none() {
        return Err(OperationError::UnknownIssuer { name: named.name }.into());
    }
    let key_request = KeyRequest::from_policy(&policy)?;
    let csr = keys.create_key(name, &key_request)?;
    let request = CreateRequest { csr, policy, preserve_cert_order: params.preserve_cert_order.unwrap_or(false) };
    let effect = certificate.create(request, cx.now, ids)?;
    if let Some(tags) = &params.tags {
        certificate.tag_latest(tags.clone());
    }
    let pending = certificate.pending(None)?;
    let location =
        format!("{}?api-version={api_version}&request_id={}", cx.settings.url.pending_id(name), pending.request_id());
    let response = operation(cx, &certificate, 202, None)?
        .with("Location", location)
        .with("Retry-After", RETRY_AFTER_SECONDS.to_string());
    // `Self` is an issuer whose provider is the key holder: the embedder
    // signs later (`sign_self`), as the service takes its time.
    let effects = effect.map(|effect| (name.clone(), effect)).into_iter().collect();
    Ok(Decision { response, effects, writes: vec![Write::Certificate { expected, certificate }] })
}

/// `GET …/pending`.
pub(super) fn get(
    cx: &Context<'_>,
    name: &CertificateName,
    request_id: Option<RequestId>,
    loaded: Option<(Revision, Certificate)>,
) -> Result<Decision, RestError> {
    let (_, certificate) = aggregate(loaded, name);
    let pending = certificate.pending(request_id)?;
    let mut response = operation(cx, &certificate, 200, None)?;
    if pending.is_in_progress() {
        response = response.with("Retry-After", RETRY_AFTER_SECONDS.to_string());
    }
    Ok(Decision::answer(response))
}

/// `PATCH …/pending`. The service sends no `Retry-After` on its answer.
pub(super) fn update(
    cx: &Context<'_>,
    name: &CertificateName,
    request_id: Option<RequestId>,
    cancellation_requested: bool,
    loaded: Option<(Revision, Certificate)>,
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    let effect = certificate.update_pending(request_id, cancellation_requested, cx.now)?;
    let response = operation(cx, &certificate, 200, None)?;
    let effects = effect.map(|effect| (name.clone(), effect)).into_iter().collect();
    Ok(Decision { response, effects, writes: vec![Write::Certificate { expected, certificate }] })
}

/// `DELETE …/pending`: the object as it was. No `Retry-After`.
pub(super) fn delete(
    cx: &Context<'_>,
    name: &CertificateName,
    request_id: Option<RequestId>,
    loaded: Option<(Revision, Certificate)>,
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    let (deleted, effect) = certificate.delete_pending(request_id, cx.now)?;
    let response = operation(cx, &certificate, 200, Some(&deleted))?;
    let effects = effect.map(|effect| (name.clone(), effect)).into_iter().collect();
    Ok(Decision { response, effects, writes: vec![Write::Certificate { expected, certificate }] })
}

/// `POST …/pending/merge`: the state decides first (403, 404, 409), then the
/// chain (400).
pub(super) fn merge(
    cx: &Context<'_>,
    name: &CertificateName,
    x5c: &[String],
    api_version: &str,
    loaded: Option<(Revision, Certificate)>,
    ids: &mut impl IdGenerator,
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    certificate.check_merge()?;
    let der = x5c::decode(x5c, &cx.settings.chain_options.limits)?;
    let version = certificate.merge(&der, &cx.settings.chain_options, cx.now, ids)?;
    let location = format!("{}?api-version={api_version}", cx.settings.url.certificate_base(name));
    let response = Response::json(201, &bundle(cx, &certificate, version)?).with("Location", location);
    Ok(Decision { response, effects: Vec::new(), writes: vec![Write::Certificate { expected, certificate }] })
}

/// `POST …/import`: the key holder reads the file and keeps the key; the
/// chain's leaf is the certificate with that key.
pub(super) fn import(
    cx: &Context<'_>,
    name: &CertificateName,
    params: &CertificateImportParameters,
    loaded: Option<(Revision, Certificate)>,
    keys: &mut impl KeyHolder,
    ids: &mut impl IdGenerator,
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    certificate.check_import(params.policy.as_ref())?;
    let content_type =
        params.policy.as_ref().and_then(|p| p.secret_props.as_ref()).and_then(|s| s.content_type.as_deref());
    let format = ImportFormat::from_content_type(content_type).ok_or_else(|| {
        RestError::InvalidImport(format!("content type {:?} is not supported", content_type.unwrap_or_default()))
    })?;
    let content = ImportContent { value: &params.value, password: params.pwd.as_deref(), format };
    let imported = keys.import(name, &content).map_err(|e| match e {
        KeyHolderError::Rejected(m) => RestError::InvalidImport(m),
        other => RestError::KeyHolder(other),
    })?;
    let (certificates, spki) = (imported.certificates, imported.public_key);
    let options = &cx.settings.chain_options;
    let version = match certificate.import(&certificates, Some(&spki), params.policy.clone(), options, cx.now, ids) {
        Ok(version) => version,
        Err(error) => {
            keys.discard(&spki);
            return Err(error.into());
        }
    };
    if let Some(tags) = &params.tags {
        certificate.tag_latest(tags.clone());
    }
    let response = Response::json(200, &bundle(cx, &certificate, version)?);
    Ok(Decision { response, effects: Vec::new(), writes: vec![Write::Certificate { expected, certificate }] })
}
