//! The auth challenge the Azure SDKs expect: a request without a bearer
//! token is answered 401 with `WWW-Authenticate: Bearer authorization=…,
//! resource=…`, before its body is read; the SDKs then fetch a token and send
//! the request again.
//!
//! Invariant: every Key Vault route is behind the challenge; only `/health`
//! and the admin routes (off unless `--admin`) are not.

use serde_json::json;

use crate::config::Config;
use crate::routes;
use pending_certificate::rest::Response;

/// Whether a path is outside the challenge.
pub fn exempt(path: &str) -> bool {
    path == "/health" || path == "/admin" || path.starts_with("/admin/")
}

/// Whether an `Authorization` header value is one this server accepts: a
/// bearer token, the one `--token` names when given, any non-empty one
/// otherwise.
pub fn accepted(authorization: Option<&[u8]>, config: &Config) -> bool {
    let Some(value) = authorization.and_then(|v| std::str::from_utf8(v).ok()) else { return false };
    let Some((scheme, token)) = value.split_once(' ') else { return false };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return false;
    }
    let token = token.trim();
    match &config.token {
        Some(required) => token == required,
        None => !token.is_empty(),
    }
}

/// The 401 answer with the challenge naming the tenant and resource.
pub fn challenge(config: &Config) -> Response {
    let mut response = routes::json(
        401,
        json!({"error": {"code": "Unauthorized", "message": "AKV10000: Request is missing a Bearer or PoP token."}}),
    );
    response.headers.push((
        "WWW-Authenticate",
        format!(
            "Bearer authorization=\"https://login.windows.net/{}\", resource=\"https://vault.azure.net\"",
            config.tenant
        ),
    ));
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(args: &[&str]) -> Config {
        let mut all = vec!["pending-certificate-server"];
        all.extend_from_slice(args);
        Config::try_parse_from(all).unwrap()
    }

    #[test]
    fn bearer_tokens_are_accepted_by_scheme_case_insensitively() {
        let open = config(&[]);
        assert!(accepted(Some(b"Bearer abc"), &open));
        assert!(accepted(Some(b"bearer abc"), &open));
        assert!(!accepted(Some(b"Bearer "), &open));
        assert!(!accepted(Some(b"Basic abc"), &open));
        assert!(!accepted(None, &open));
        let closed = config(&["--token", "s3cret"]);
        assert!(accepted(Some(b"Bearer s3cret"), &closed));
        assert!(!accepted(Some(b"Bearer other"), &closed));
    }

    #[test]
    fn the_challenge_names_the_tenant() {
        let response = challenge(&config(&["--tenant", "t-1"]));
        assert_eq!(response.status, 401);
        let header = response.headers.iter().find(|(n, _)| *n == "WWW-Authenticate").map(|(_, v)| v.as_str());
        assert_eq!(
            header,
            Some("Bearer authorization=\"https://login.windows.net/t-1\", resource=\"https://vault.azure.net\"")
        );
        assert!(exempt("/health") && exempt("/admin/outcome") && !exempt("/certificates/a"));
    }
}
