//! ETags of the reference (RFC 7644 §3.14): the weak ETag of a resource version, the
//! `If-Match` / `If-None-Match` comparison, and the 412 a failed precondition answers. A leaf:
//! the HTTP handlers and bulk use it for headers and `version`, the store for its checks
//! (which must happen under its lock, against the version it is about to replace).

use crate::scim::ScimError;

/// The weak ETag of a version (RFC 7644 §3.14): also the value of `meta.version`.
pub fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// Checks `If-Match` (RFC 7644 §3.14, RFC 7232): `*` or any listed ETag equal to the current one.
/// Weak comparison, so `"3"` and `W/"3"` both match version 3.
pub fn if_match_ok(header: Option<&str>, version: u64) -> bool {
    let Some(h) = header else { return true };
    let current = version.to_string();
    h.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/").trim_matches('"') == current)
}

/// The `412 Precondition Failed` of an `If-Match` that names another version.
pub fn precondition_failed(version: u64) -> ScimError {
    ScimError::status(
        412,
        format!(
            "If-Match does not match the current version {}",
            etag(version)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_compares_weakly_and_accepts_any_listed_tag() {
        assert_eq!(etag(3), "W/\"3\"");
        for ok in [
            None,
            Some("*"),
            Some("W/\"3\""),
            Some("\"3\""),
            Some("\"1\", W/\"3\""),
        ] {
            assert!(if_match_ok(ok, 3), "{ok:?}");
        }
        for bad in [Some("W/\"4\""), Some(""), Some("\"13\"")] {
            assert!(!if_match_ok(bad, 3), "{bad:?}");
        }
        assert_eq!(precondition_failed(3).status, 412);
    }
}
