//! The certificate policy: what a create asks for and what a certificate
//! bundle reports. Every field is optional, as on the wire.
//! [`CertificatePolicy::validate`] checks it as the service does (the enums and
//! ranges of the REST specification, the subject first), and
//! [`CertificatePolicy::with_defaults`] fills in what the service fills in.

use serde::{Deserialize, Serialize};

/// A certificate's management policy (`policy` in create requests and bundles).
/// Fields are in the service's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificatePolicy {
    /// `https://{vault}/certificates/{name}/policy`; set by the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The key to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_props: Option<KeyProperties>,
    /// How the secret holding the certificate is encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_props: Option<SecretProperties>,
    /// What goes into the certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_props: Option<X509Properties>,
    /// What to do as the certificate ages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_actions: Option<Vec<LifetimeAction>>,
    /// Who issues the certificate; `Unknown` or absent means a manual merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<IssuerParameters>,
    /// The policy's own attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
}

/// `key_props`: the key the key holder creates for a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyProperties {
    /// Whether the private key may be exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exportable: Option<bool>,
    /// Key type: `RSA`, `RSA-HSM`, `EC`, `EC-HSM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kty: Option<String>,
    /// Key size in bits: 2048, 3072 or 4096 for RSA; the curve's for EC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_size: Option<i32>,
    /// Whether a renewal reuses the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reuse_key: Option<bool>,
    /// Elliptic curve: `P-256`, `P-384`, `P-521`, `P-256K`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
}

/// `secret_props`: the encoding of the certificate's secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretProperties {
    /// `application/x-pkcs12` or `application/x-pem-file`.
    #[serde(rename = "contentType", default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

/// `x509_props`: the certificate's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct X509Properties {
    /// Subject distinguished name, e.g. `CN=MyCertSubject1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Subject alternative names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sans: Option<SubjectAlternativeNames>,
    /// Extended key usages, as dotted OIDs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ekus: Option<Vec<String>>,
    /// Key usages, e.g. `digitalSignature`, `keyEncipherment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<Vec<String>>,
    /// Validity in months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_months: Option<i32>,
    /// `basic_constraints`, which the service reports (`{"ca": false}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_constraints: Option<BasicConstraints>,
}

/// `basic_constraints` of `x509_props`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasicConstraints {
    /// Whether the certificate is a CA.
    #[serde(default)]
    pub ca: bool,
}

/// `sans`: subject alternative names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectAlternativeNames {
    /// E-mail addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<String>>,
    /// DNS names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_names: Option<Vec<String>>,
    /// User principal names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upns: Option<Vec<String>>,
    /// URIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uris: Option<Vec<String>>,
    /// IPv4 and IPv6 addresses.
    #[serde(rename = "ipAddresses", default, skip_serializing_if = "Option::is_none")]
    pub ip_addresses: Option<Vec<String>>,
}

/// One entry of `lifetime_actions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifetimeAction {
    /// When the action fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Trigger>,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
}

/// A lifetime action's trigger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// Percentage of the lifetime elapsed, 1–99.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_percentage: Option<i32>,
    /// Days before expiry, 1 to `validity_months` × 27.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_before_expiry: Option<i32>,
}

/// A lifetime action's action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// `EmailContacts` or `AutoRenew`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_type: Option<String>,
}

/// `issuer`: who issues the certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerParameters {
    /// `Self`, `Unknown`, or a registered issuer's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Certificate type asked of the provider, e.g. `OV-SSL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cty: Option<String>,
    /// Whether the certificate is logged to certificate transparency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_transparency: Option<bool>,
}

/// `attributes` of a certificate or policy; times are Unix seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributes {
    /// Whether the object is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Not before (the leaf's `notBefore`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Expiry (the leaf's `notAfter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Creation time (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    /// Last update time (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<i64>,
    /// The vault's recovery level, e.g. `Recoverable+Purgeable` (read-only).
    #[serde(rename = "recoveryLevel", default, skip_serializing_if = "Option::is_none")]
    pub recovery_level: Option<String>,
    /// How many days a deleted certificate is kept (read-only).
    #[serde(rename = "recoverableDays", default, skip_serializing_if = "Option::is_none")]
    pub recoverable_days: Option<u32>,
}

/// The key usages of the REST specification (`KeyUsageType`), in the
/// spelling the service sends.
pub const KEY_USAGES: [&str; 9] = [
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
];

/// The OIDs of TLS server and client authentication: the default `ekus`.
pub const DEFAULT_EKUS: [&str; 2] = ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"];

/// The default validity, in months.
pub const DEFAULT_VALIDITY_MONTHS: i32 = 12;

/// The longest validity accepted, in months (100 years).
pub const MAX_VALIDITY_MONTHS: i32 = 1200;

/// `application/x-pkcs12`: the default secret content type.
pub const PKCS12: &str = "application/x-pkcs12";

/// `application/x-pem-file`.
pub const PEM: &str = "application/x-pem-file";

/// The message the service gives for a subject that is not a distinguished
/// name, byte for byte (the trailing CR LF is the service's).
pub const INVALID_SUBJECT: &str = "Property policy.x509_props has invalid value. Invalid X.500 distinguished name\r\n";

/// A policy the specification does not allow: the property, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct PolicyError {
    /// The property, e.g. `policy.key_props.kty`.
    pub property: String,
    /// Why its value is refused.
    pub reason: String,
}

impl PolicyError {
    fn new(property: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { property: property.into(), reason: reason.into() }
    }

    /// The message: the service's own for a bad subject, else
    /// `Property {property} has invalid value. {reason}`.
    pub fn message(&self) -> String {
        if self.property == "policy.x509_props" && self.reason == "Invalid X.500 distinguished name" {
            INVALID_SUBJECT.to_owned()
        } else {
            format!("Property {} has invalid value. {}", self.property, self.reason)
        }
    }
}

/// The canonical spelling of a key usage, matched without regard to case
/// (`crlSign` is `cRLSign`).
pub fn normalize_key_usage(usage: &str) -> Option<&'static str> {
    KEY_USAGES.iter().copied().find(|known| known.eq_ignore_ascii_case(usage))
}

/// The key usages a policy asks for, as the service stores them: normalized,
/// sorted, each once; `digitalSignature` and `keyEncipherment` when none are
/// given. Names that are not key usages are left out (`validate` refuses
/// them first).
pub fn key_usages(given: Option<&[String]>) -> Vec<String> {
    let mut usages: Vec<String> = match given {
        Some(given) => given.iter().filter_map(|u| normalize_key_usage(u)).map(str::to_owned).collect(),
        None => DEFAULT_KEY_USAGES.iter().map(|u| (*u).to_owned()).collect(),
    };
    usages.sort();
    usages.dedup();
    usages
}

/// The extended key usages a policy asks for: the ones given, or server and
/// client authentication.
pub fn extended_key_usages(given: Option<&[String]>) -> Vec<String> {
    given.map_or_else(|| DEFAULT_EKUS.iter().map(|e| (*e).to_owned()).collect(), <[String]>::to_vec)
}

/// The key usages of a policy that names none.
pub const DEFAULT_KEY_USAGES: [&str; 2] = ["digitalSignature", "keyEncipherment"];

/// The key types a certificate's key may have, in the service's spelling.
const KEY_TYPES: [&str; 4] = ["RSA", "RSA-HSM", "EC", "EC-HSM"];

/// The curves, with the key size the service reports for each.
const CURVES: [(&str, i32); 4] = [("P-256", 256), ("P-384", 384), ("P-521", 521), ("P-256K", 256)];

impl CertificatePolicy {
    /// The key type, in the service's spelling (`RSA` when none is given).
    pub fn key_type(&self) -> &str {
        let kty = self.key_props.as_ref().and_then(|k| k.kty.as_deref()).unwrap_or("RSA");
        KEY_TYPES.iter().copied().find(|known| known.eq_ignore_ascii_case(kty)).unwrap_or(kty)
    }

    /// Whether the key type is elliptic-curve.
    pub fn is_ec(&self) -> bool {
        self.key_type().starts_with("EC")
    }

    /// Checks every member the specification constrains, in the service's
    /// order: the subject first, then the names, the usages, the validity,
    /// the key, the secret, the lifetime actions and the issuer. Read-only
    /// members are not looked at.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let x509 = self.x509_props.as_ref();
        if let Some(subject) = x509.and_then(|x| x.subject.as_deref()).filter(|s| !s.trim().is_empty()) {
            crate::dn::parse(subject)
                .map_err(|_| PolicyError::new("policy.x509_props", "Invalid X.500 distinguished name"))?;
        }
        if let Some(sans) = x509.and_then(|x| x.sans.as_ref()) {
            validate_sans(sans)?;
        }
        for usage in x509.and_then(|x| x.key_usage.as_deref()).unwrap_or_default() {
            if normalize_key_usage(usage).is_none() {
                return Err(PolicyError::new(
                    "policy.x509_props.key_usage",
                    format!("{usage:?} is not a key usage; use {}", KEY_USAGES.join(", ")),
                ));
            }
        }
        for eku in x509.and_then(|x| x.ekus.as_deref()).unwrap_or_default() {
            if !is_dotted_oid(eku) {
                return Err(PolicyError::new(
                    "policy.x509_props.ekus",
                    format!("{eku:?} is not an object identifier in dotted form"),
                ));
            }
        }
        let months = x509.and_then(|x| x.validity_months).unwrap_or(DEFAULT_VALIDITY_MONTHS);
        if !(1..=MAX_VALIDITY_MONTHS).contains(&months) {
            return Err(PolicyError::new(
                "policy.x509_props.validity_months",
                format!("validity_months must be from 1 to {MAX_VALIDITY_MONTHS}, not {months}"),
            ));
        }
        self.validate_key()?;
        if let Some(content_type) = self.secret_props.as_ref().and_then(|s| s.content_type.as_deref())
            && content_type != PKCS12
            && content_type != PEM
        {
            return Err(PolicyError::new(
                "policy.secret_props.contentType",
                format!("{content_type:?} is not supported; use {PKCS12} or {PEM}"),
            ));
        }
        for (index, action) in self.lifetime_actions.as_deref().unwrap_or_default().iter().enumerate() {
            validate_lifetime_action(index, action, months)?;
        }
        if let Some(name) = self.issuer.as_ref().and_then(|i| i.name.as_deref()) {
            crate::name::IssuerName::new(name)
                .map_err(|e| PolicyError::new("policy.issuer.name", format!("{name:?} is not an issuer name: {e}")))?;
        }
        Ok(())
    }

    fn validate_key(&self) -> Result<(), PolicyError> {
        let Some(key) = self.key_props.as_ref() else { return Ok(()) };
        if let Some(kty) = key.kty.as_deref()
            && !KEY_TYPES.iter().any(|known| known.eq_ignore_ascii_case(kty))
        {
            return Err(PolicyError::new(
                "policy.key_props.kty",
                format!("{kty:?} is not a certificate key type; use {}", KEY_TYPES.join(", ")),
            ));
        }
        if self.is_ec() {
            let crv = key.crv.as_deref().unwrap_or("P-256");
            let Some(&(_, size)) = CURVES.iter().find(|(name, _)| *name == crv) else {
                return Err(PolicyError::new(
                    "policy.key_props.crv",
                    format!("{crv:?} is not a curve; use P-256, P-384, P-521 or P-256K"),
                ));
            };
            if let Some(bits) = key.key_size.filter(|&bits| bits != size) {
                return Err(PolicyError::new(
                    "policy.key_props.key_size",
                    format!("key_size {bits} does not match the curve {crv} ({size} bits)"),
                ));
            }
        } else {
            if let Some(crv) = key.crv.as_deref() {
                return Err(PolicyError::new(
                    "policy.key_props.crv",
                    format!("a curve ({crv:?}) is given for an RSA key"),
                ));
            }
            if let Some(bits) = key.key_size.filter(|bits| ![2048, 3072, 4096].contains(bits)) {
                return Err(PolicyError::new(
                    "policy.key_props.key_size",
                    format!("RSA key size {bits} is not supported; use 2048, 3072 or 4096"),
                ));
            }
        }
        Ok(())
    }

    /// The policy as the service stores it after a create: defaults filled
    /// in (an RSA-2048 exportable key, PKCS#12, server and client
    /// authentication, digital signature and key encipherment, 12 months,
    /// not a CA, and a lifetime action at 80 % — `AutoRenew` for `Self` and
    /// registered issuers, `EmailContacts` for `Unknown`), key usages
    /// normalized and sorted, read-only members dropped, and the attributes'
    /// times set (`created` kept from `previous`).
    pub fn with_defaults(
        &self,
        mode: crate::name::IssuerMode,
        now: i64,
        previous: Option<&CertificatePolicy>,
    ) -> CertificatePolicy {
        let mut policy = self.clone();
        policy.id = None;
        let is_ec = policy.is_ec();
        let kty = policy.key_type().to_owned();
        let key = policy.key_props.get_or_insert_with(KeyProperties::default);
        key.exportable.get_or_insert(true);
        key.kty = Some(kty);
        if is_ec {
            let crv = key.crv.get_or_insert_with(|| "P-256".to_owned()).clone();
            if let Some(&(_, size)) = CURVES.iter().find(|(name, _)| *name == crv) {
                key.key_size.get_or_insert(size);
            }
        } else {
            key.key_size.get_or_insert(2048);
        }
        key.reuse_key.get_or_insert(false);
        let secret = policy.secret_props.get_or_insert_with(SecretProperties::default);
        secret.content_type.get_or_insert_with(|| PKCS12.to_owned());
        let x509 = policy.x509_props.get_or_insert_with(X509Properties::default);
        x509.ekus = Some(extended_key_usages(x509.ekus.as_deref()));
        x509.key_usage = Some(key_usages(x509.key_usage.as_deref()));
        x509.validity_months.get_or_insert(DEFAULT_VALIDITY_MONTHS);
        x509.basic_constraints.get_or_insert_with(BasicConstraints::default);
        if policy.lifetime_actions.is_none() {
            let action = match mode {
                crate::name::IssuerMode::Manual => "EmailContacts",
                crate::name::IssuerMode::SelfSigned | crate::name::IssuerMode::Provider => "AutoRenew",
            };
            policy.lifetime_actions = Some(vec![LifetimeAction {
                trigger: Some(Trigger { lifetime_percentage: Some(80), days_before_expiry: None }),
                action: Some(Action { action_type: Some(action.to_owned()) }),
            }]);
        }
        let issuer = policy.issuer.get_or_insert_with(IssuerParameters::default);
        issuer.name.get_or_insert_with(|| "Unknown".to_owned());
        let enabled = policy.attributes.as_ref().and_then(|a| a.enabled).unwrap_or(true);
        let created = previous.and_then(|p| p.attributes.as_ref()).and_then(|a| a.created).unwrap_or(now);
        policy.attributes = Some(Attributes {
            enabled: Some(enabled),
            created: Some(created),
            updated: Some(now),
            ..Attributes::default()
        });
        policy
    }
}

fn validate_sans(sans: &SubjectAlternativeNames) -> Result<(), PolicyError> {
    let each = |list: &Option<Vec<String>>, property: &str, ok: fn(&str) -> bool, what: &str| match list
        .iter()
        .flatten()
        .find(|value| !ok(value))
    {
        Some(bad) => {
            Err(PolicyError::new(format!("policy.x509_props.sans.{property}"), format!("{bad:?} is not {what}")))
        }
        None => Ok(()),
    };
    each(&sans.dns_names, "dns_names", is_dns_name, "a DNS name")?;
    each(&sans.emails, "emails", is_mailbox, "an e-mail address")?;
    each(&sans.upns, "upns", is_mailbox, "a user principal name")?;
    each(&sans.uris, "uris", is_uri, "an absolute URI")?;
    each(&sans.ip_addresses, "ipAddresses", |ip| ip.parse::<std::net::IpAddr>().is_ok(), "an IP address")
}

fn validate_lifetime_action(index: usize, action: &LifetimeAction, months: i32) -> Result<(), PolicyError> {
    let at = |member: &str| format!("policy.lifetime_actions[{index}].{member}");
    let trigger = action.trigger.as_ref();
    match (trigger.and_then(|t| t.lifetime_percentage), trigger.and_then(|t| t.days_before_expiry)) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::new(at("trigger"), "give lifetime_percentage or days_before_expiry, not both"));
        }
        (None, None) => {
            return Err(PolicyError::new(at("trigger"), "give lifetime_percentage or days_before_expiry"));
        }
        (Some(percentage), None) if !(1..=99).contains(&percentage) => {
            return Err(PolicyError::new(
                at("trigger.lifetime_percentage"),
                format!("lifetime_percentage must be from 1 to 99, not {percentage}"),
            ));
        }
        (None, Some(days)) if days < 1 || i64::from(days) > i64::from(months) * 27 => {
            return Err(PolicyError::new(
                at("trigger.days_before_expiry"),
                format!(
                    "days_before_expiry must be from 1 to validity_months × 27 ({}), not {days}",
                    i64::from(months) * 27
                ),
            ));
        }
        _ => {}
    }
    match action.action.as_ref().and_then(|a| a.action_type.as_deref()) {
        Some("EmailContacts" | "AutoRenew") => Ok(()),
        Some(other) => Err(PolicyError::new(
            at("action.action_type"),
            format!("{other:?} is not an action; use EmailContacts or AutoRenew"),
        )),
        None => Err(PolicyError::new(at("action.action_type"), "an action_type is required")),
    }
}

fn is_dotted_oid(text: &str) -> bool {
    crate::dn::dotted_oid(text).is_some()
}

fn is_dns_name(name: &str) -> bool {
    is_host_name(name, true)
}

/// Whether `name` is a host name in preferred syntax (letters, digits,
/// hyphens, and with `underscore` also `_`; labels of 1–63), optionally
/// `*.`-prefixed.
pub(crate) fn is_host_name(name: &str, underscore: bool) -> bool {
    let host = name.strip_prefix("*.").unwrap_or(name);
    !host.is_empty()
        && name.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || (underscore && b == b'_'))
        })
}

fn is_mailbox(address: &str) -> bool {
    match address.rsplit_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !address.chars().any(char::is_whitespace),
        None => false,
    }
}

fn is_uri(uri: &str) -> bool {
    match uri.split_once(':') {
        Some((scheme, rest)) => {
            !rest.is_empty()
                && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !uri.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// `org_details` of an issuer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationDetails {
    /// The organization's id at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What the service reports after `id` (always `0`); ignored in requests.
    #[serde(default, skip_deserializing)]
    pub zip: i64,
    /// Its administrators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_details: Option<Vec<AdministratorDetails>>,
}

/// One administrator of an issuer's organization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdministratorDetails {
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}
