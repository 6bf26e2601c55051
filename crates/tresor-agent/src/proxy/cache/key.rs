//! Cache keys and token hashes: SHA-256 digests, so that no key holds a token.

use std::fmt;
use tresor_crypto::digest::sha256;
use tresor_crypto::SecretString;

/// A token (or an accessor) as the cache names it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    pub fn of(token: &str) -> Self {
        Self(sha256(token.as_bytes()))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// What identifies a request: its token, method, path, query, namespace and body.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    pub fn of(
        token: Option<&SecretString>,
        method: &str,
        path: &str,
        query: Option<&str>,
        namespace: Option<&str>,
        body: &[u8],
    ) -> Self {
        let token = token.map(|t| sha256(t.expose().as_bytes()));
        let body = sha256(body);
        let mut buf = Vec::with_capacity(160 + path.len() + query.map_or(0, str::len));
        // Each field is tagged (present or not) and length-prefixed: no two requests
        // share an encoding.
        for field in [
            token.as_ref().map(|t| &t[..]),
            Some(method.as_bytes()),
            Some(path.as_bytes()),
            query.map(str::as_bytes),
            namespace.map(str::as_bytes),
            Some(&body[..]),
        ] {
            match field {
                None => buf.push(0),
                Some(bytes) => {
                    buf.push(1);
                    buf.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
                    buf.extend_from_slice(bytes);
                }
            }
        }
        Self(sha256(&buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_of_the_request_counts() {
        let t = SecretString::from("t");
        let base = CacheKey::of(Some(&t), "GET", "/v1/a", None, None, b"");
        let variants = [
            CacheKey::of(None, "GET", "/v1/a", None, None, b""),
            CacheKey::of(
                Some(&SecretString::from("u")),
                "GET",
                "/v1/a",
                None,
                None,
                b"",
            ),
            CacheKey::of(Some(&t), "PUT", "/v1/a", None, None, b""),
            CacheKey::of(Some(&t), "GET", "/v1/b", None, None, b""),
            CacheKey::of(Some(&t), "GET", "/v1/a", Some(""), None, b""),
            CacheKey::of(Some(&t), "GET", "/v1/a", None, Some("ns"), b""),
            CacheKey::of(Some(&t), "GET", "/v1/a", None, None, b"{}"),
        ];
        for v in variants {
            assert_ne!(v, base);
        }
        assert_eq!(
            base,
            CacheKey::of(Some(&t), "GET", "/v1/a", None, None, b"")
        );
        assert_eq!(TokenHash::of("t"), TokenHash::of("t"));
        assert_eq!(format!("{:?}", TokenHash::of("t")), "TokenHash(..)");
    }
}
