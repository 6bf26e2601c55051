//! Canonical request paths: computed once, before the ACL and the router see a path, so
//! both always agree on what is being asked for.

use tresor_sdk::Error;

/// Canonicalises a path relative to `/v1/`: percent-decoding is done by the HTTP layer;
/// here `.` segments and repeated slashes are dropped, and `..` is refused outright
/// (no Vault path contains it). A trailing slash is kept: it means "folder".
pub fn canonicalize(raw: &str) -> Result<String, Error> {
    if raw.contains('\0') {
        return Err(Error::bad_request("invalid path: contains a NUL byte"));
    }
    let trailing = raw.ends_with('/') && !raw.trim_matches('/').is_empty();
    let mut out: Vec<&str> = Vec::new();
    for segment in raw.split('/') {
        match segment {
            "" | "." => continue,
            ".." => {
                return Err(Error::bad_request(
                    "invalid path: \"..\" segments are not allowed",
                ))
            }
            s => out.push(s),
        }
    }
    let mut path = out.join("/");
    if trailing && !path.is_empty() {
        path.push('/');
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the input, a canonical path has no dot segment and no empty segment
        /// (but a final folder slash), and canonicalising it again changes nothing: the ACL
        /// and the router, which both see it, cannot disagree.
        #[test]
        fn canonical_paths_are_canonical(parts in proptest::collection::vec(
            prop_oneof![Just("".to_owned()), Just(".".to_owned()), Just("..".to_owned()), "[a-z%+*]{1,4}"],
            0..8,
        ), trailing in any::<bool>()) {
            let mut raw = parts.join("/");
            if trailing {
                raw.push('/');
            }
            match canonicalize(&raw) {
                Err(_) => prop_assert!(parts.iter().any(|p| p == "..")),
                Ok(path) => {
                    let body = path.strip_suffix('/').unwrap_or(&path);
                    prop_assert!(!path.starts_with('/'));
                    prop_assert!(body.is_empty() || body.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != ".."));
                    prop_assert_eq!(canonicalize(&path).unwrap(), path.clone());
                }
            }
        }
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonicalize("sys/health").unwrap(), "sys/health");
        assert_eq!(canonicalize("/sys//./health").unwrap(), "sys/health");
        assert_eq!(canonicalize("secret/foo/").unwrap(), "secret/foo/");
        assert_eq!(canonicalize("//").unwrap(), "");
        assert!(canonicalize("secret/../sys/seal").is_err());
        assert!(canonicalize("..").is_err());
        assert!(canonicalize("a\0b").is_err());
    }
}
