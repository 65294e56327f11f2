//! Certificates: get (the latest, or one version).

use crate::certificate::Certificate;
use crate::error::OperationError;
use crate::ids::VersionId;
use crate::name::CertificateName;
use crate::vault::Revision;
use crate::wire::{BundleView, CertificateBundle};

use super::error::RestError;
use super::pending::aggregate;
use super::{Context, Decision, Response};

/// `GET /certificates/{name}[/{version}]`: the latest version with the policy
/// and `pending`, or one version alone. A version that is not 32 hex digits
/// is not found, as any other.
pub(super) fn get(
    cx: &Context<'_>,
    name: &CertificateName,
    version: Option<&str>,
    loaded: Option<(Revision, Certificate)>,
) -> Result<Decision, RestError> {
    let version = match version {
        None => None,
        Some(text) => Some(VersionId::parse(text).map_err(|_| OperationError::VersionNotFound {
            name: name.clone(),
            version: text.chars().take(64).collect(),
        })?),
    };
    let (_, certificate) = aggregate(loaded, name);
    let found = certificate.certificate(version)?;
    let view = if version.is_some() { BundleView::ByVersion } else { BundleView::Latest };
    let bundle = CertificateBundle::render(&cx.settings.url, &certificate, found, view, &cx.settings.recovery);
    Ok(Decision::answer(Response::json(200, &bundle)))
}
