//! Every bound on what a request may bring, in one place. Each is checked
//! before the expensive work it protects; a breach is a 4xx with a clear
//! message and changes nothing. `docs/limits.md` lists them.

/// Largest request body, in bytes (checked before anything is parsed): 413.
pub const MAX_BODY_LEN: usize = 1024 * 1024;

/// Longest request target (path and query), in bytes.
pub const MAX_TARGET_LEN: usize = 8 * 1024;

/// Deepest nesting of JSON arrays and objects in a body (checked on the bytes,
/// before parsing).
pub const MAX_JSON_DEPTH: usize = 32;

/// Longest certificate or issuer name (`^[0-9a-zA-Z-]{1,127}$`).
pub const MAX_NAME_LEN: usize = 127;

/// The length of a `request_id` (hex digits).
pub const REQUEST_ID_LEN: usize = 32;

/// Largest CSR, in bytes of DER.
pub const MAX_CSR_LEN: usize = 16 * 1024;

/// Most certificates in one `x5c`.
pub const MAX_X5C_CERTIFICATES: usize = 10;

/// Largest certificate in an `x5c`, in bytes of DER.
pub const MAX_CERTIFICATE_LEN: usize = 64 * 1024;

/// Largest `x5c` in all, in bytes of DER.
pub const MAX_X5C_LEN: usize = 256 * 1024;

/// Most signature verifications one chain validation may try.
pub const MAX_SIGNATURE_CHECKS: usize = 100;

/// Most tags on a certificate (as the service allows).
pub const MAX_TAGS: usize = 15;

/// Longest tag name, in characters.
pub const MAX_TAG_NAME_LEN: usize = 512;

/// Longest tag value, in characters.
pub const MAX_TAG_VALUE_LEN: usize = 256;

/// Longest string anywhere in a certificate policy or issuer bundle.
pub const MAX_POLICY_STRING_LEN: usize = 1024;

/// Most entries in any list of a certificate policy.
pub const MAX_POLICY_LIST_LEN: usize = 100;

/// Longest provider error code.
pub const MAX_FAILURE_CODE_LEN: usize = 256;

/// Longest provider error message.
pub const MAX_FAILURE_MESSAGE_LEN: usize = 4096;

/// Whether JSON `bytes` nest arrays and objects deeper than `max` (strings
/// and their escapes are skipped). Linear, no allocation.
pub fn json_nesting_exceeds(bytes: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_measured_outside_strings() {
        assert!(!json_nesting_exceeds(br#"{"a":[{"b":"[[[[["}]}"#, 3));
        assert!(json_nesting_exceeds(br#"{"a":[{"b":[1]}]}"#, 3));
        assert!(!json_nesting_exceeds(br#"{"a":"\"[[[[\""}"#, 1));
        // Siblings do not add up: each closing bracket ends a level.
        assert!(!json_nesting_exceeds(br#"[[1],[2],{"a":{}},[[]],[3]]"#, 3));
        assert!(json_nesting_exceeds(br#"[[1],[2],{"a":{"b":[]}}]"#, 3));
        let deep = "[".repeat(100_000);
        assert!(json_nesting_exceeds(deep.as_bytes(), MAX_JSON_DEPTH));
    }
}
