//! Deleted certificates: delete (soft), list, get, purge, recover.

use crate::certificate::{Certificate, Deletion};
use crate::error::OperationError;
use crate::name::CertificateName;
use crate::vault::Revision;
use crate::wire::{BundleView, CertificateBundle, DeletedCertificateBundle, DeletedCertificateItem, ListResult};

use super::error::RestError;
use super::pending::aggregate;
use super::{Context, Decision, Loaded, PageQuery, Response, Write, page_link};

fn deleted_bundle(cx: &Context<'_>, certificate: &Certificate) -> Result<DeletedCertificateBundle, RestError> {
    let deletion = certificate.check_deleted()?;
    let latest = certificate
        .versions()
        .last()
        .ok_or_else(|| OperationError::DeletedCertificateNotFound { name: certificate.name().clone() })?;
    Ok(DeletedCertificateBundle::render(&cx.settings.url, certificate, latest, deletion, &cx.settings.recovery))
}

/// `DELETE /certificates/{name}`: the certificate as deleted, with its
/// recovery members (none on a `Purgeable` vault, which deletes for good).
pub(super) fn delete(
    cx: &Context<'_>,
    name: &CertificateName,
    loaded: Option<(Revision, Certificate)>,
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    // Rendered before the delete, which on a `Purgeable` vault leaves
    // nothing to render: a soft delete changes nothing the bundle shows but
    // the recovery members.
    let recovery = &cx.settings.recovery;
    let latest = certificate.certificate(None)?;
    let bundle = DeletedCertificateBundle::render(
        &cx.settings.url,
        &certificate,
        latest,
        Deletion::at(cx.now, recovery),
        recovery,
    );
    certificate.delete(recovery, cx.now)?;
    let response = Response::json(200, &bundle);
    Ok(Decision { response, effects: Vec::new(), writes: vec![Write::Certificate { expected, certificate }] })
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
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    certificate.purge(&cx.settings.recovery, cx.now)?;
    Ok(Decision {
        response: Response::empty(204),
        effects: Vec::new(),
        writes: vec![Write::Certificate { expected, certificate }],
    })
}

/// `POST /deletedcertificates/{name}/recover`: the certificate as it is
/// again, its latest version with the policy and `pending`.
pub(super) fn recover(
    cx: &Context<'_>,
    name: &CertificateName,
    loaded: Option<(Revision, Certificate)>,
) -> Result<Decision, RestError> {
    let (expected, mut certificate) = aggregate(loaded, name);
    certificate.recover(cx.now)?;
    let latest = certificate.certificate(None)?;
    let bundle =
        CertificateBundle::render(&cx.settings.url, &certificate, latest, BundleView::Latest, &cx.settings.recovery);
    let response = Response::json(200, &bundle);
    Ok(Decision { response, effects: Vec::new(), writes: vec![Write::Certificate { expected, certificate }] })
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
