//! Which headers cross the proxy: all but the hop-by-hop ones (RFC 9110 7.6.1), those
//! the connection header names, and those the proxy sets itself.

use hyper::header::{HeaderMap, HeaderName, CONNECTION, CONTENT_LENGTH, HOST};

pub const VAULT_TOKEN: &str = "x-vault-token";
pub const VAULT_REQUEST: &str = "x-vault-request";
pub const VAULT_NAMESPACE: &str = "x-vault-namespace";

const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
];

fn named_by_connection(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect()
}

fn end_to_end(headers: &HeaderMap, also_drop: &[HeaderName]) -> HeaderMap {
    let named = named_by_connection(headers);
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let hop = HOP_BY_HOP.contains(&name.as_str()) || name.as_str() == "upgrade";
        if hop || named.contains(name) || also_drop.contains(name) {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}

/// A client's headers as sent on to the server: without the hop-by-hop ones, `Host`,
/// `Content-Length` (set again for the body sent) and `X-Vault-Token` (set from the
/// token rule).
pub fn to_server(headers: &HeaderMap) -> HeaderMap {
    end_to_end(
        headers,
        &[HOST, CONTENT_LENGTH, HeaderName::from_static(VAULT_TOKEN)],
    )
}

/// The server's headers as passed back: without the hop-by-hop ones and
/// `Content-Length` (set again for the body passed back).
pub fn to_client(headers: &HeaderMap) -> HeaderMap {
    end_to_end(headers, &[CONTENT_LENGTH])
}

/// The request's own token, if it has exactly one readable `X-Vault-Token`.
pub fn request_token(headers: &HeaderMap) -> Option<&str> {
    headers.get(VAULT_TOKEN).and_then(|v| v.to_str().ok())
}

/// Vault's SSRF guard: exactly one `X-Vault-Request` header, and it says `true`.
pub fn has_request_header(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(VAULT_REQUEST).iter();
    matches!((values.next(), values.next()), (Some(v), None) if v == "true")
}

pub fn namespace(headers: &HeaderMap) -> Option<String> {
    headers
        .get(VAULT_NAMESPACE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn hop_by_hop_and_connection_named_headers_stay_behind() {
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            HeaderValue::from_static("keep-alive, x-private"),
        );
        h.insert("x-private", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("host", HeaderValue::from_static("agent"));
        h.insert("content-length", HeaderValue::from_static("3"));
        h.insert(VAULT_TOKEN, HeaderValue::from_static("t"));
        h.insert("x-vault-wrap-ttl", HeaderValue::from_static("60"));
        h.append("accept", HeaderValue::from_static("a"));
        h.append("accept", HeaderValue::from_static("b"));
        let out = to_server(&h);
        let names: Vec<&str> = out.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["x-vault-wrap-ttl", "accept"]);
        assert_eq!(out.get_all("accept").iter().count(), 2);
        let back = to_client(&h);
        assert!(back.contains_key(VAULT_TOKEN) && !back.contains_key("content-length"));
    }

    #[test]
    fn the_request_header_must_be_one_true() {
        let mut h = HeaderMap::new();
        assert!(!has_request_header(&h));
        h.insert(VAULT_REQUEST, HeaderValue::from_static("false"));
        assert!(!has_request_header(&h));
        h.insert(VAULT_REQUEST, HeaderValue::from_static("true"));
        assert!(has_request_header(&h));
        h.append(VAULT_REQUEST, HeaderValue::from_static("true"));
        assert!(!has_request_header(&h));
    }
}
