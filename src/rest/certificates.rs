//! Certificates: get (the latest, or one version), list, versions, policy,
//! update.

use crate::backup::Backup;
use crate::certificate::{Certificate, CertificateVersion, VersionUpdate};
use crate::command::{Command, NoKeys};
use crate::error::OperationError;
use crate::ids::{IdGenerator, VersionId};
use crate::keys::KeyHolder;
use crate::name::CertificateName;
use crate::policy::CertificatePolicy;
use crate::vault::Revision;
use crate::wire::{
    BundleView, CertificateBundle, CertificateItem, CertificateRestoreParameters, CertificateUpdateParameters,
    ListResult, PendingRef, render_policy,
};

use super::error::RestError;
use super::pending::{aggregate, apply, version_of, written};
use super::{Context, Decision, Loaded, PageQuery, Response, next_link, page_link};

/// `GET /certificates/{name}[/{version}]`: the latest version with the policy
/// and `pending`, or one version alone. A version that is not 32 hex digits
/// is not found, as any other.
pub(super) fn get(
    cx: &Context<'_>,
    name: &CertificateName,
    version: Option<&str>,
    loaded: Option<(Revision, Certificate)>,
) -> Result<Decision, RestError> {
    let version = version_id(name, version)?;
    let (_, certificate) = aggregate(loaded, name);
    let found = certificate.certificate(version)?;
    let view = if version.is_some() { BundleView::ByVersion } else { BundleView::Latest };
    let bundle = CertificateBundle::render(&cx.settings.url, &certificate, found, view, &cx.settings.recovery);
    Ok(Decision::answer(Response::json(200, &bundle)))
}

/// The version a path names: none (the latest) when it names none; a
/// version that is not 32 hex digits is not found, as any other.
pub(super) fn version_id(name: &CertificateName, version: Option<&str>) -> Result<Option<VersionId>, RestError> {
    match version {
        None | Some("") => Ok(None),
        Some(text) => Ok(Some(VersionId::parse(text).map_err(|_| OperationError::VersionNotFound {
            name: name.clone(),
            version: text.chars().take(64).collect(),
        })?)),
    }
}

/// `GET /certificates`: one page of names, in name order, each as its newest
/// issued version (with `includePending=true`, its newest version, which may
/// be a pending request's placeholder).
pub(super) fn list(cx: &Context<'_>, page: &PageQuery, loaded: Loaded) -> Result<Decision, RestError> {
    let len = loaded.certificates.len();
    let last = loaded.certificates.last().map(|(_, c)| c.name().as_str().to_owned());
    let value = loaded
        .certificates
        .into_iter()
        .map(|(_, c)| c.at(cx.now))
        .filter_map(|c| {
            let shown = c.listed_version(page.include_pending)?;
            Some(CertificateItem::render(&cx.settings.url, &c, shown, false))
        })
        .collect();
    let kind = if page.include_pending { 'p' } else { 'c' };
    let next_link = page_link(cx, "/certificates", page, kind, len, last.as_deref());
    Ok(Decision::answer(Response::json(200, &ListResult { value, next_link })))
}

/// `GET /certificates/{name}/versions`: one page of the name's versions,
/// oldest first. A name without a certificate has none (an empty page, as
/// the service answers).
pub(super) fn versions(
    cx: &Context<'_>,
    name: &CertificateName,
    page: &PageQuery,
    loaded: Option<(Revision, Certificate)>,
) -> Result<Decision, RestError> {
    let (_, certificate) = aggregate(loaded, name);
    let all: &[CertificateVersion] = if certificate.is_deleted() { &[] } else { certificate.versions() };
    let start = match page.after.as_deref() {
        None => 0,
        Some(after) => all.iter().position(|v| v.version().to_string() == after).map_or(all.len(), |i| i + 1),
    };
    let rest = all.get(start..).unwrap_or_default();
    let shown = rest.get(..page.limit().min(rest.len())).unwrap_or_default();
    let value: Vec<CertificateItem> =
        shown.iter().map(|v| CertificateItem::render(&cx.settings.url, &certificate, v, true)).collect();
    let next_link = match shown.last() {
        Some(last) if rest.len() > shown.len() => {
            let path = format!("/certificates/{name}/versions");
            Some(next_link(cx, &path, page, 'v', &last.version().to_string()))
        }
        _ => None,
    };
    Ok(Decision::answer(Response::json(200, &ListResult { value, next_link })))
}

/// `GET /certificates/{name}/policy`.
pub(super) fn get_policy(
    cx: &Context<'_>,
    name: &CertificateName,
    loaded: Option<(Revision, Certificate)>,
) -> Result<Decision, RestError> {
    let (_, certificate) = aggregate(loaded, name);
    let policy = render_policy(&cx.settings.url, name, certificate.current_policy()?);
    Ok(Decision::answer(Response::json(200, &policy)))
}

/// `PATCH /certificates/{name}/policy`: the sections given replace the
/// current ones; the policy as it now is.
pub(super) fn update_policy(
    cx: &Context<'_>,
    name: &CertificateName,
    policy: &CertificatePolicy,
    loaded: Option<(Revision, Certificate)>,
    ids: &mut impl IdGenerator,
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    let outcome = apply(cx, &mut certificate, Command::UpdatePolicy(Box::new(policy.clone())), ids, &mut NoKeys)?;
    let response = Response::json(200, &render_policy(&cx.settings.url, name, certificate.current_policy()?));
    Ok(written(response, outcome.effects, expected, certificate))
}

/// `PATCH /certificates/{name}/{version}`: `attributes.enabled` and `tags`
/// of the version (the other attributes are the service's and are
/// ignored), and the policy if one is given. The answer is the version with
/// the name's `pending`, without the policy, as the service answers.
pub(super) fn update(
    cx: &Context<'_>,
    name: &CertificateName,
    version: Option<&str>,
    params: &CertificateUpdateParameters,
    loaded: Option<(Revision, Certificate)>,
    ids: &mut impl IdGenerator,
) -> Result<Decision, RestError> {
    let version = version_id(name, version)?;
    let (expected, mut certificate) = aggregate(loaded, name);
    let update =
        VersionUpdate { enabled: params.attributes.as_ref().and_then(|a| a.enabled), tags: params.tags.clone() };
    let command = Command::UpdateVersion { version, update, policy: params.policy.clone().map(Box::new) };
    let outcome = apply(cx, &mut certificate, command, ids, &mut NoKeys)?;
    let id = version_of(&outcome, name)?;
    let found = certificate.certificate(Some(id))?;
    let mut bundle =
        CertificateBundle::render(&cx.settings.url, &certificate, found, BundleView::ByVersion, &cx.settings.recovery);
    bundle.pending = certificate.current_pending().map(|_| PendingRef { id: cx.settings.url.pending_id(name) });
    let response = Response::json(200, &bundle);
    Ok(written(response, outcome.effects, expected, certificate))
}

/// The bytes of a restore body besides the blob: `{"value":""}`.
const RESTORE_BODY_OVERHEAD: usize = 12;

/// `POST /certificates/{name}/backup`: `{"value": blob}`, with every
/// version's private key as the key holder lets it out.
pub(super) fn backup(
    name: &CertificateName,
    loaded: Option<(Revision, Certificate)>,
    keys: &mut impl KeyHolder,
) -> Result<Decision, RestError> {
    let (_, certificate) = aggregate(loaded, name);
    let value = certificate.backup(keys)?.encode();
    // A backup that could not be restored is refused here, not there.
    if value.len() + RESTORE_BODY_OVERHEAD > crate::limits::MAX_BODY_LEN {
        return Err(RestError::LimitExceeded { what: "backup size", limit: crate::limits::MAX_BODY_LEN });
    }
    Ok(Decision::answer(Response::json(200, &CertificateRestoreParameters { value })))
}

/// `POST /certificates/restore`: the backed-up certificate under its name,
/// which must hold nothing (a deleted certificate must be purged first).
pub(super) fn restore(
    cx: &Context<'_>,
    name: &CertificateName,
    backup: &Backup,
    loaded: Option<(Revision, Certificate)>,
    keys: &mut impl KeyHolder,
    ids: &mut impl IdGenerator,
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    let outcome = apply(cx, &mut certificate, Command::Restore(Box::new(backup.clone())), ids, keys)?;
    let latest = certificate.certificate(Some(version_of(&outcome, name)?))?;
    let bundle =
        CertificateBundle::render(&cx.settings.url, &certificate, latest, BundleView::Latest, &cx.settings.recovery);
    let response = Response::json(200, &bundle);
    Ok(written(response, outcome.effects, expected, certificate))
}
