//! The shapes of the request bodies, transcribed from the Key Vault REST
//! specification (`certificates.json`, api-version 2025-07-01): which member
//! is an object, an array, a string, a boolean or a 32-bit integer, and which
//! are required. A body is checked against its shape before it is decoded, so
//! a wrong type anywhere (an array where an object belongs, a number out of
//! `int32`) is refused with the property it concerns, never read positionally
//! or truncated. Unknown members are ignored, as the service ignores them.

use serde_json::Value;

/// What a JSON member must be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    /// An object with these members (all optional unless listed in `required`).
    Object { members: &'static [(&'static str, Shape)], required: &'static [&'static str] },
    /// An array whose items are all of one shape.
    Array(&'static Shape),
    /// An object whose every value is a string (`tags`).
    StringMap,
    /// A string.
    String,
    /// `true` or `false`.
    Bool,
    /// An integer in `i32`'s range.
    Int32,
    /// An integer in `i64`'s range (Unix times).
    Int64,
}

const fn object(members: &'static [(&'static str, Shape)]) -> Shape {
    Shape::Object { members, required: &[] }
}

const STRINGS: Shape = Shape::Array(&Shape::String);

/// `CertificateAttributes` (read-only members included: they are ignored, but
/// must still be of their type).
pub(crate) const CERTIFICATE_ATTRIBUTES: Shape = object(&[
    ("enabled", Shape::Bool),
    ("nbf", Shape::Int64),
    ("exp", Shape::Int64),
    ("created", Shape::Int64),
    ("updated", Shape::Int64),
    ("recoverableDays", Shape::Int32),
    ("recoveryLevel", Shape::String),
]);

/// `CertificatePolicy`.
pub(crate) const POLICY: Shape = object(&[
    ("id", Shape::String),
    (
        "key_props",
        object(&[
            ("exportable", Shape::Bool),
            ("kty", Shape::String),
            ("key_size", Shape::Int32),
            ("reuse_key", Shape::Bool),
            ("crv", Shape::String),
        ]),
    ),
    ("secret_props", object(&[("contentType", Shape::String)])),
    (
        "x509_props",
        object(&[
            ("subject", Shape::String),
            ("ekus", STRINGS),
            (
                "sans",
                object(&[
                    ("emails", STRINGS),
                    ("dns_names", STRINGS),
                    ("upns", STRINGS),
                    ("uris", STRINGS),
                    ("ipAddresses", STRINGS),
                ]),
            ),
            ("key_usage", STRINGS),
            ("validity_months", Shape::Int32),
            ("basic_constraints", object(&[("ca", Shape::Bool)])),
        ]),
    ),
    (
        "lifetime_actions",
        Shape::Array(&object(&[
            ("trigger", object(&[("lifetime_percentage", Shape::Int32), ("days_before_expiry", Shape::Int32)])),
            ("action", object(&[("action_type", Shape::String)])),
        ])),
    ),
    ("issuer", object(&[("name", Shape::String), ("cty", Shape::String), ("cert_transparency", Shape::Bool)])),
    ("attributes", CERTIFICATE_ATTRIBUTES),
]);

/// `CertificateCreateParameters`.
pub(crate) const CREATE: Shape = object(&[
    ("policy", POLICY),
    ("attributes", CERTIFICATE_ATTRIBUTES),
    ("tags", Shape::StringMap),
    ("preserveCertOrder", Shape::Bool),
]);

/// `CertificateImportParameters`.
pub(crate) const IMPORT: Shape = Shape::Object {
    members: &[
        ("value", Shape::String),
        ("pwd", Shape::String),
        ("policy", POLICY),
        ("attributes", CERTIFICATE_ATTRIBUTES),
        ("tags", Shape::StringMap),
        ("preserveCertOrder", Shape::Bool),
    ],
    required: &["value"],
};

/// `CertificateMergeParameters`.
pub(crate) const MERGE: Shape = Shape::Object {
    members: &[("x5c", STRINGS), ("attributes", CERTIFICATE_ATTRIBUTES), ("tags", Shape::StringMap)],
    required: &["x5c"],
};

/// `CertificateUpdateParameters`.
pub(crate) const UPDATE: Shape =
    object(&[("policy", POLICY), ("attributes", CERTIFICATE_ATTRIBUTES), ("tags", Shape::StringMap)]);

/// `CertificateRestoreParameters`.
pub(crate) const RESTORE: Shape = Shape::Object { members: &[("value", Shape::String)], required: &["value"] };

/// `Contacts`.
pub(crate) const CONTACTS: Shape = object(&[
    ("id", Shape::String),
    ("contacts", Shape::Array(&object(&[("email", Shape::String), ("name", Shape::String), ("phone", Shape::String)]))),
]);

/// `CertificateOperationUpdateParameter`.
pub(crate) const OPERATION_UPDATE: Shape =
    Shape::Object { members: &[("cancellation_requested", Shape::Bool)], required: &["cancellation_requested"] };

const ISSUER_MEMBERS: &[(&str, Shape)] = &[
    ("id", Shape::String),
    ("provider", Shape::String),
    ("credentials", object(&[("account_id", Shape::String), ("pwd", Shape::String)])),
    (
        "org_details",
        object(&[
            ("id", Shape::String),
            (
                "admin_details",
                Shape::Array(&object(&[
                    ("first_name", Shape::String),
                    ("last_name", Shape::String),
                    ("email", Shape::String),
                    ("phone", Shape::String),
                ])),
            ),
        ]),
    ),
    ("attributes", object(&[("enabled", Shape::Bool), ("created", Shape::Int64), ("updated", Shape::Int64)])),
];

/// `CertificateIssuerSetParameters`.
pub(crate) const ISSUER_SET: Shape = Shape::Object { members: ISSUER_MEMBERS, required: &["provider"] };

/// `CertificateIssuerUpdateParameters`.
pub(crate) const ISSUER_UPDATE: Shape = Shape::Object { members: ISSUER_MEMBERS, required: &[] };

/// A member of the wrong type, or a required one missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShapeError {
    /// The member's path, e.g. `policy.x509_props.validity_months`.
    pub path: String,
    /// What it must be.
    pub expected: &'static str,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Object { .. } | Shape::StringMap => "an object",
            Shape::Array(_) => "an array",
            Shape::String => "a string",
            Shape::Bool => "true or false",
            Shape::Int32 => "an integer from -2147483648 to 2147483647",
            Shape::Int64 => "an integer",
        }
    }
}

/// Checks `value` against `shape`. `null` stands for an absent member.
pub(crate) fn check(value: &Value, shape: Shape) -> Result<(), ShapeError> {
    let mut path = String::new();
    walk(value, shape, &mut path)
}

fn wrong(path: &str, shape: Shape) -> ShapeError {
    ShapeError { path: if path.is_empty() { "body".to_owned() } else { path.to_owned() }, expected: shape.name() }
}

fn walk(value: &Value, shape: Shape, path: &mut String) -> Result<(), ShapeError> {
    match (shape, value) {
        (Shape::Object { members, required }, Value::Object(fields)) => {
            for name in required {
                if fields.get(*name).is_none_or(Value::is_null) {
                    let mut missing = path.clone();
                    push(&mut missing, name);
                    return Err(ShapeError { path: missing, expected: "required" });
                }
            }
            for (name, member) in members {
                let Some(field) = fields.get(*name).filter(|f| !f.is_null()) else { continue };
                let len = path.len();
                push(path, name);
                walk(field, *member, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        (Shape::Array(item), Value::Array(items)) => {
            for (index, element) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                walk(element, *item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        (Shape::StringMap, Value::Object(fields)) => match fields.iter().find(|(_, v)| !v.is_string()) {
            Some((key, _)) => {
                let mut at = path.clone();
                push(&mut at, key);
                Err(wrong(&at, Shape::String))
            }
            None => Ok(()),
        },
        (Shape::String, Value::String(_)) | (Shape::Bool, Value::Bool(_)) => Ok(()),
        (Shape::Int32, Value::Number(n)) if n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()) => Ok(()),
        (Shape::Int64, Value::Number(n)) if n.as_i64().is_some() => Ok(()),
        (shape, _) => Err(wrong(path, shape)),
    }
}

fn push(path: &mut String, name: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(name);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_array_where_an_object_belongs_is_refused_with_its_path() {
        let body = json!({"policy": {"x509_props": ["CN=a"]}});
        let error = check(&body, CREATE).err();
        assert_eq!(error, Some(ShapeError { path: "policy.x509_props".into(), expected: "an object" }));
    }

    #[test]
    fn int32_is_bounded_and_integral() {
        let at = |v| check(&json!({"policy": {"x509_props": {"validity_months": v}}}), CREATE);
        assert!(at(json!(12)).is_ok());
        assert!(at(json!(2147483647_i64)).is_ok());
        assert!(at(json!(2147483648_i64)).is_err());
        assert!(at(json!(1.5)).is_err());
        assert!(at(json!("12")).is_err());
    }

    #[test]
    fn required_members_and_nulls() {
        assert_eq!(check(&json!({}), MERGE).map_err(|e| e.path), Err("x5c".into()));
        assert_eq!(check(&json!({"x5c": null}), MERGE).map_err(|e| e.expected), Err("required"));
        assert!(check(&json!({"x5c": [], "tags": null}), MERGE).is_ok());
        assert_eq!(
            check(&json!({"x5c": ["a", 1]}), MERGE),
            Err(ShapeError { path: "x5c[1]".into(), expected: "a string" })
        );
        assert!(check(&json!({"x5c": [], "tags": {"a": 1}}), MERGE).is_err());
        assert!(check(&json!([]), MERGE).is_err());
        assert!(check(&json!({"x5c": [], "unknown": [1, {}]}), MERGE).is_ok());
    }
}
