//! The certificate operation: create, import, get, cancel, delete, merge.

use crate::certificate::{Certificate, Effect};
use crate::command::{self, Applied, Chain, Command, Import, ImportSource, NewKey, NoKeys, Outcome};
use crate::error::OperationError;
use crate::ids::{IdGenerator, RequestId, VersionId};
use crate::keys::KeyHolder;
use crate::name::CertificateName;
use crate::vault::Revision;
use crate::wire::{
    BundleView, CertificateBundle, CertificateCreateParameters, CertificateImportParameters, CertificateOperation,
};

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

fn bundle(cx: &Context<'_>, certificate: &Certificate, version: VersionId) -> Result<CertificateBundle, RestError> {
    let found = certificate.certificate(Some(version))?;
    Ok(CertificateBundle::render(&cx.settings.url, certificate, found, BundleView::Latest, &cx.settings.recovery))
}

/// Applies `command` to `certificate` ([`Certificate::apply`]); a refusal
/// in the service's words, with the vault's identifiers.
pub(super) fn apply(
    cx: &Context<'_>,
    certificate: &mut Certificate,
    command: Command,
    ids: &mut impl IdGenerator,
    keys: &mut impl KeyHolder,
) -> Result<Outcome, RestError> {
    let context =
        command::Context { chain_options: &cx.settings.chain_options, recovery: &cx.settings.recovery, now: cx.now };
    certificate.apply(command, &context, ids, keys).map_err(|error| match error {
        OperationError::RestoreConflict { name, version } => {
            RestError::RestoreConflict { id: cx.settings.url.certificate_id(&name, version) }
        }
        other => RestError::Operation(other),
    })
}

/// A write's decision: the answer, the outcome's effects, the aggregate to store.
pub(super) fn written(
    response: Response,
    effects: Vec<Effect>,
    expected: Option<Revision>,
    certificate: Certificate,
) -> Decision {
    let name = certificate.name().clone();
    let effects = effects.into_iter().map(|effect| (name.clone(), effect)).collect();
    Decision { response, effects, writes: vec![Write::Certificate { expected, certificate }] }
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
    let (expected, mut certificate) = aggregate(loaded.certificate, name);
    let command = Command::Create {
        key: NewKey::Make,
        policy: Box::new(params.policy.clone().unwrap_or_default()),
        preserve_cert_order: params.preserve_cert_order.unwrap_or(false),
        tags: params.tags.clone(),
        registered_issuer: loaded.issuer.map(Box::new),
    };
    let outcome = apply(cx, &mut certificate, command, ids, keys)?;
    let pending = certificate.pending(None)?;
    let location =
        format!("{}?api-version={api_version}&request_id={}", cx.settings.url.pending_id(name), pending.request_id());
    let response = operation(cx, &certificate, 202, None)?
        .with("Location", location)
        .with("Retry-After", RETRY_AFTER_SECONDS.to_string());
    Ok(written(response, outcome.effects, expected, certificate))
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
    ids: &mut impl IdGenerator,
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    let command = Command::UpdatePending { request_id, cancellation_requested };
    let outcome = apply(cx, &mut certificate, command, ids, &mut NoKeys)?;
    let response = operation(cx, &certificate, 200, None)?;
    Ok(written(response, outcome.effects, expected, certificate))
}

/// `DELETE …/pending`: the object as it was. No `Retry-After`.
pub(super) fn delete(
    cx: &Context<'_>,
    name: &CertificateName,
    request_id: Option<RequestId>,
    loaded: Option<(Revision, Certificate)>,
    ids: &mut impl IdGenerator,
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    let outcome = apply(cx, &mut certificate, Command::DeletePending { request_id }, ids, &mut NoKeys)?;
    let Applied::PendingDeleted(deleted) = &outcome.applied else {
        return Err(OperationError::PendingNotFoundForChange { name: name.clone() }.into());
    };
    let response = operation(cx, &certificate, 200, Some(deleted))?;
    Ok(written(response, outcome.effects, expected, certificate))
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
    let command = Command::Merge { x5c: Chain::Encoded(x5c.to_vec()) };
    let outcome = apply(cx, &mut certificate, command, ids, &mut NoKeys)?;
    let version = version_of(&outcome, name)?;
    let location = format!("{}?api-version={api_version}", cx.settings.url.certificate_base(name));
    let response = Response::json(201, &bundle(cx, &certificate, version)?).with("Location", location);
    Ok(written(response, outcome.effects, expected, certificate))
}

/// The version a merge, an import or an update made or changed.
pub(super) fn version_of(outcome: &Outcome, name: &CertificateName) -> Result<VersionId, RestError> {
    match outcome.applied {
        Applied::Version(version) | Applied::Restored(version) => Ok(version),
        _ => Err(OperationError::CertificateNotFound { name: name.clone() }.into()),
    }
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
    let source = ImportSource::File { value: params.value.clone(), password: params.pwd.clone() };
    let import = Import { source, policy: params.policy.clone(), tags: params.tags.clone() };
    let outcome = apply(cx, &mut certificate, Command::Import(Box::new(import)), ids, keys)?;
    let version = version_of(&outcome, name)?;
    let response = Response::json(200, &bundle(cx, &certificate, version)?);
    Ok(written(response, outcome.effects, expected, certificate))
}
