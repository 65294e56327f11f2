//! Request bodies: their shape (the REST specification's), their bounds, and
//! their decoding.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::limits;
use crate::schema;

use super::error::RestError;

/// Reads a body of the shape `shape` (the specification's) into `T`: empty
/// is the service's `Request body not specified`, a member of the wrong type
/// names its path, and unknown members are ignored.
pub(super) fn json_body<T: DeserializeOwned>(body: &[u8], shape: schema::Shape) -> Result<T, RestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(RestError::BodyMissing);
    }
    if limits::json_nesting_exceeds(body, limits::MAX_JSON_DEPTH) {
        return Err(RestError::LimitExceeded { what: "JSON nesting depth", limit: limits::MAX_JSON_DEPTH });
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| RestError::InvalidBody(e.to_string()))?;
    schema::check(&value, shape).map_err(|e| RestError::InvalidProperty { path: e.path, expected: e.expected })?;
    // Decoded again from the bytes, not the value: a duplicated member is
    // refused rather than silently read as its last occurrence.
    serde_json::from_slice(body).map_err(|e| RestError::InvalidBody(e.to_string()))
}

/// Tags are bounded as the service bounds them.
pub(super) fn check_tags(tags: Option<&std::collections::BTreeMap<String, String>>) -> Result<(), RestError> {
    let Some(tags) = tags else { return Ok(()) };
    if tags.len() > limits::MAX_TAGS {
        return Err(RestError::LimitExceeded { what: "tags", limit: limits::MAX_TAGS });
    }
    for (name, value) in tags {
        if name.chars().count() > limits::MAX_TAG_NAME_LEN {
            return Err(RestError::LimitExceeded { what: "tag name length", limit: limits::MAX_TAG_NAME_LEN });
        }
        if value.chars().count() > limits::MAX_TAG_VALUE_LEN {
            return Err(RestError::LimitExceeded { what: "tag value length", limit: limits::MAX_TAG_VALUE_LEN });
        }
    }
    Ok(())
}

/// Every string of a policy or issuer bundle is bounded, and so is every list.
pub(super) fn check_strings(value: &impl Serialize) -> Result<(), RestError> {
    fn walk(value: &serde_json::Value) -> Result<(), RestError> {
        match value {
            serde_json::Value::String(s) if s.chars().count() > limits::MAX_POLICY_STRING_LEN => {
                Err(RestError::LimitExceeded { what: "string length", limit: limits::MAX_POLICY_STRING_LEN })
            }
            serde_json::Value::Array(items) if items.len() > limits::MAX_POLICY_LIST_LEN => {
                Err(RestError::LimitExceeded { what: "list length", limit: limits::MAX_POLICY_LIST_LEN })
            }
            serde_json::Value::Array(items) => items.iter().try_for_each(walk),
            serde_json::Value::Object(fields) => fields.values().try_for_each(walk),
            _ => Ok(()),
        }
    }
    walk(&serde_json::to_value(value).map_err(|e| RestError::InvalidBody(e.to_string()))?)
}

/// The message of a member of the wrong type, or a required one missing.
pub(super) fn property_message(path: &str, expected: &str) -> String {
    if expected == "required" {
        format!("Property {path} is required.")
    } else {
        format!("Property {path} has invalid value: it must be {expected}.")
    }
}
