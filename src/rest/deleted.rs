//! Deleted certificates: delete (soft), list, get, purge, recover.

use crate::certificate::Certificate;
use crate::command::{Applied, Command, NoKeys};
use crate::error::OperationError;
use crate::ids::IdGenerator;
use crate::name::CertificateName;
use crate::vault::Revision;
use crate::wire::{BundleView, CertificateBundle, DeletedCertificateBundle, DeletedCertificateItem, ListResult};

use super::error::RestError;
use super::pending::{aggregate, apply, written};
use super::{Context, Decision, Loaded, PageQuery, Response, page_link};

fn deleted_bundle(cx: &Context<'_>, certificate: &Certificate) -> Result<DeletedCertificateBundle, RestError> {
    let (deletion, latest) = certificate.deleted_view()?;
    Ok(DeletedCertificateBundle::render(&cx.settings.url, certificate, latest, deletion, &cx.settings.recovery))
}

/// `DELETE /certificates/{name}`: the certificate as deleted, with its
/// recovery members (none on a `Purgeable` vault, which deletes for good).
pub(super) fn delete(
    cx: &Context<'_>,
    name: &CertificateName,
    loaded: Option<(Revision, Certificate)>,
    ids: &mut impl IdGenerator,
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    let outcome = apply(cx, &mut certificate, Command::Delete, ids, &mut NoKeys)?;
    let Applied::Deleted { certificate: before, deletion } = &outcome.applied else {
        return Err(OperationError::CertificateNotFound { name: name.clone() }.into());
    };
    // Rendered from the certificate as it was: on a `Purgeable` vault the
    // name now holds nothing.
    let latest = before.certificate(None)?;
    let recovery = &cx.settings.recovery;
    let bundle = DeletedCertificateBundle::render(&cx.settings.url, before, latest, *deletion, recovery);
    let response = Response::json(200, &bundle);
    Ok(written(response, outcome.effects, expected, certificate))
}

/// `GET /deletedcertificates/{name}`.
pub(super) fn get(
    cx: &Context<'_>,
    name: &CertificateName,
    loaded: Option<(Revision, Certificate)>,
) -> Result<Decision, RestError> {
    let (_, certificate) = aggregate(loaded, name);
    Ok(Decision::answer(Response::json(200, &deleted_bundle(cx, &certificate)?)))
}

/// `DELETE /deletedcertificates/{name}`: 204, no body.
pub(super) fn purge(
    cx: &Context<'_>,
    name: &CertificateName,
    loaded: Option<(Revision, Certificate)>,
    ids: &mut impl IdGenerator,
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    let outcome = apply(cx, &mut certificate, Command::Purge, ids, &mut NoKeys)?;
    Ok(written(Response::empty(204), outcome.effects, expected, certificate))
}

/// `POST /deletedcertificates/{name}/recover`: the certificate as it is
/// again, its latest version with the policy and `pending`.
pub(super) fn recover(
    cx: &Context<'_>,
    name: &CertificateName,
    loaded: Option<(Revision, Certificate)>,
    ids: &mut impl IdGenerator,
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    let outcome = apply(cx, &mut certificate, Command::Recover, ids, &mut NoKeys)?;
    let latest = certificate.certificate(None)?;
    let bundle =
        CertificateBundle::render(&cx.settings.url, &certificate, latest, BundleView::Latest, &cx.settings.recovery);
    let response = Response::json(200, &bundle);
    Ok(written(response, outcome.effects, expected, certificate))
}

/// `GET /deletedcertificates`: one page, in name order.
pub(super) fn list(cx: &Context<'_>, page: &PageQuery, loaded: Loaded) -> Result<Decision, RestError> {
    let len = loaded.certificates.len();
    let last = loaded.certificates.last().map(|(_, c)| c.name().as_str().to_owned());
    let value = loaded
        .certificates
        .into_iter()
        .map(|(_, c)| c.at(cx.now))
        .filter_map(|c| {
            let deletion = c.deletion()?;
            let latest = c.versions().last()?;
            Some(DeletedCertificateItem::render(&cx.settings.url, &c, latest, deletion, &cx.settings.recovery))
        })
        .collect();
    let next_link = page_link(cx, "/deletedcertificates", page, 'd', len, last.as_deref());
    Ok(Decision::answer(Response::json(200, &ListResult { value, next_link })))
}
