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
    if trailing {
        path.push('/');
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

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
