//! Issuers: set, update, get, delete.

use serde::{Deserialize, Serialize};

use crate::name::IssuerName;
use crate::policy::Attributes;
use crate::vault::Issuer;

use super::error::RestError;
use super::{Context, Decision, Loaded, Operation, PageQuery, Response, Write, page_link};
use crate::wire::{IssuerItem, ListResult};

/// `GET /certificates/issuers`: one page, in name order.
pub(super) fn list(cx: &Context<'_>, page: &PageQuery, loaded: Loaded) -> Result<Decision, RestError> {
    let last = loaded.issuers.last().map(|(name, _)| name.as_str());
    let next_link = page_link(cx, "/certificates/issuers", page, 'i', loaded.issuers.len(), last);
    let value: Vec<IssuerItem> = loaded
        .issuers
        .iter()
        .map(|(name, issuer)| IssuerItem {
            id: cx.settings.url.issuer_id(name),
            provider: Some(issuer.provider.clone()),
        })
        .collect();
    Ok(Decision::answer(Response::json(200, &ListResult { value, next_link })))
}

fn answer(cx: &Context<'_>, name: &IssuerName, issuer: &Issuer) -> Response {
    Response::json(200, &IssuerBundle::from_issuer(cx.settings.url.issuer_id(name), issuer))
}

/// The issuer routes, over the issuer loaded (`None`: not registered).
pub(super) fn decide(cx: &Context<'_>, operation: &Operation, loaded: Loaded) -> Result<Decision, RestError> {
    let now = cx.now.unix_timestamp();
    let (name, issuer) = match operation {
        Operation::SetCertificateIssuer { name, bundle } => {
            let bundle = bundle.as_ref().clone();
            let provider = bundle
                .provider
                .filter(|p| !p.trim().is_empty())
                .ok_or_else(|| RestError::InvalidBody("provider is required".into()))?;
            let issuer = Issuer {
                provider,
                account_id: bundle.credentials.and_then(|c| c.account_id),
                organization: bundle.org_details,
                enabled: bundle.attributes.and_then(|a| a.enabled).unwrap_or(true),
                created: loaded.issuer.as_ref().map_or(now, |existing| existing.created),
                updated: now,
            };
            (name, Some(issuer))
        }
        // The members given replace the issuer's; the others are kept.
        Operation::UpdateCertificateIssuer { name, bundle } => {
            let bundle = bundle.as_ref().clone();
            let mut issuer = loaded.issuer.ok_or_else(|| RestError::IssuerNotFound { name: name.clone() })?;
            if let Some(provider) = bundle.provider {
                if provider.trim().is_empty() {
                    return Err(RestError::InvalidProperty { path: "provider".into(), expected: "a provider name" });
                }
                issuer.provider = provider;
            }
            if let Some(account) = bundle.credentials.and_then(|c| c.account_id) {
                issuer.account_id = Some(account);
            }
            if let Some(organization) = bundle.org_details {
                issuer.organization = Some(organization);
            }
            if let Some(enabled) = bundle.attributes.and_then(|a| a.enabled) {
                issuer.enabled = enabled;
            }
            issuer.updated = now;
            (name, Some(issuer))
        }
        Operation::GetCertificateIssuer { name } => {
            let issuer = loaded.issuer.ok_or_else(|| RestError::IssuerNotFound { name: name.clone() })?;
            return Ok(Decision::answer(answer(cx, name, &issuer)));
        }
        Operation::DeleteCertificateIssuer { name } => {
            let issuer = loaded.issuer.ok_or_else(|| RestError::IssuerNotFound { name: name.clone() })?;
            let response = answer(cx, name, &issuer);
            let writes = vec![Write::Issuer { name: name.clone(), issuer: None }];
            return Ok(Decision { response, effects: Vec::new(), writes });
        }
        _ => return Err(RestError::RouteNotFound { path: String::new() }),
    };
    let Some(issuer) = issuer else { return Err(RestError::IssuerNotFound { name: name.clone() }) };
    let response = answer(cx, name, &issuer);
    Ok(Decision {
        response,
        effects: Vec::new(),
        writes: vec![Write::Issuer { name: name.clone(), issuer: Some(issuer) }],
    })
}

/// An issuer bundle (`PUT`/`GET`/`DELETE /certificates/issuers/{name}`). The
/// account id and the organization details are kept and echoed; the password
/// is taken and never kept or sent back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerBundle {
    /// `{vault}/certificates/issuers/{name}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The provider, e.g. `DigiCert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The account at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<IssuerCredentials>,
    /// The organization at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_details: Option<crate::policy::OrganizationDetails>,
    /// `enabled`, `created`, `updated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
}

/// `credentials` of an issuer bundle.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerCredentials {
    /// The account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The password: read from requests, never sent.
    #[serde(default, skip_serializing)]
    pub pwd: Option<String>,
}

impl std::fmt::Debug for IssuerCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerCredentials").field("account_id", &self.account_id).finish_non_exhaustive()
    }
}

impl IssuerBundle {
    /// What the service answers for a registered issuer.
    pub fn from_issuer(id: String, issuer: &Issuer) -> Self {
        IssuerBundle {
            id: Some(id),
            provider: Some(issuer.provider.clone()),
            credentials: issuer
                .account_id
                .as_ref()
                .map(|account| IssuerCredentials { account_id: Some(account.clone()), pwd: None }),
            org_details: issuer.organization.clone(),
            attributes: Some(Attributes {
                enabled: Some(issuer.enabled),
                created: Some(issuer.created),
                updated: Some(issuer.updated),
                ..Attributes::default()
            }),
        }
    }
}
