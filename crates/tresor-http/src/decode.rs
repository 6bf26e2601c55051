//! From an HTTP request to a [`Request`]: path, operation, token and data.

use axum::http::{HeaderMap, Method, Uri};
use percent_encoding::percent_decode_str;
use tresor_crypto::SecretString;
use tresor_sdk::{Data, Error, Operation, Request, Value};

/// The path after `/v1/`, percent-decoded; `None` for a request outside the API.
pub fn api_path(uri: &Uri) -> Option<Result<String, Error>> {
    let rest = uri.path().strip_prefix("/v1/")?;
    Some(
        percent_decode_str(rest)
            .decode_utf8()
            .map(|p| p.into_owned())
            .map_err(|_| Error::bad_request("invalid path: not UTF-8 after percent-decoding")),
    )
}

fn query_data(uri: &Uri) -> Data {
    let mut data = Data::new();
    for pair in uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        // The first value of a repeated parameter wins, as in Vault.
        data.entry(decode(k))
            .or_insert_with(|| Value::String(decode(v)));
    }
    data
}

fn operation(method: &Method, data: &Data) -> Result<Operation, Error> {
    let list_query = matches!(data.get("list"), Some(Value::String(v)) if v == "true" || v == "1");
    Ok(match method.as_str() {
        "GET" if list_query => Operation::List,
        "GET" => Operation::Read,
        "HEAD" => Operation::Head,
        "LIST" => Operation::List,
        "POST" | "PUT" => Operation::Update,
        "PATCH" => Operation::Patch,
        "DELETE" => Operation::Delete,
        _ => return Err(Error::MethodNotAllowed),
    })
}

/// `X-Vault-Token` wins over `Authorization: Bearer`, as in Vault.
fn token(headers: &HeaderMap) -> Option<SecretString> {
    if let Some(v) = headers.get("x-vault-token").and_then(|v| v.to_str().ok()) {
        if !v.is_empty() {
            return Some(SecretString::from(v));
        }
    }
    let auth = headers.get("authorization")?.to_str().ok()?;
    auth.strip_prefix("Bearer ")
        .map(|t| SecretString::from(t.trim()))
}

/// `X-Vault-Wrap-TTL` as seconds or a Go duration; 0 or absent means no wrapping.
fn wrap_ttl(headers: &HeaderMap) -> Result<Option<std::time::Duration>, Error> {
    let Some(raw) = headers.get("x-vault-wrap-ttl") else {
        return Ok(None);
    };
    let text = raw
        .to_str()
        .map_err(|_| Error::bad_request("invalid X-Vault-Wrap-TTL header"))?;
    let ttl = tresor_sdk::duration::parse(text)
        .map_err(|_| Error::bad_request("invalid X-Vault-Wrap-TTL header"))?;
    Ok((!ttl.is_zero()).then_some(ttl))
}

/// A JSON object body; an empty body is an empty object. Nesting deeper than
/// serde_json's recursion limit (128) is refused as bad input.
fn body_data(body: &[u8]) -> Result<Data, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Data::new());
    }
    crate::json_limits::check(body).map_err(|e| Error::bad_request(e.message()))?;
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Data::new()),
        Ok(_) => Err(Error::bad_request(
            "failed to decode JSON input: the body must be a JSON object",
        )),
        // serde_json's message names a position and a category, never the input itself.
        Err(e) => Err(Error::bad_request(format!(
            "failed to decode JSON input: {}",
            e.classify_message()
        ))),
    }
}

trait ClassifyMessage {
    fn classify_message(&self) -> String;
}

impl ClassifyMessage for serde_json::Error {
    fn classify_message(&self) -> String {
        let what = match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "invalid data",
            serde_json::error::Category::Eof => "unexpected end of input",
        };
        if self.to_string().contains("recursion limit") {
            return "exceeded max depth".to_owned();
        }
        format!("{what} at line {} column {}", self.line(), self.column())
    }
}

pub fn decode(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    path: String,
    body: &[u8],
) -> Result<Request, Error> {
    let query = query_data(uri);
    let op = operation(method, &query)?;
    let mut data = match op {
        Operation::Read | Operation::Head | Operation::List => query,
        _ => body_data(body)?,
    };
    if op == Operation::List {
        data.remove("list");
    }
    Ok(Request {
        id: uuid::Uuid::new_v4().to_string(),
        operation: op,
        path,
        data,
        token: token(headers),
        client_addr: None,
        wrap_ttl: wrap_ttl(headers)?,
        peer_certificates: std::sync::Arc::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn list_and_query() {
        let h = HeaderMap::new();
        let r = decode(
            &Method::GET,
            &uri("/v1/sys/policy?list=true"),
            &h,
            "sys/policy".into(),
            b"",
        )
        .unwrap();
        assert_eq!(r.operation, Operation::List);
        assert!(r.data.is_empty());
        let m = Method::from_bytes(b"LIST").unwrap();
        assert_eq!(
            decode(&m, &uri("/v1/x"), &h, "x".into(), b"")
                .unwrap()
                .operation,
            Operation::List
        );
        let r = decode(
            &Method::GET,
            &uri("/v1/sys/health?sealedcode=299&x=a%20b"),
            &h,
            "".into(),
            b"",
        )
        .unwrap();
        assert_eq!(r.data["sealedcode"], "299");
        assert_eq!(r.data["x"], "a b");
    }

    #[test]
    fn tokens() {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer abc"));
        assert_eq!(token(&h).unwrap().expose(), "abc");
        h.insert("x-vault-token", HeaderValue::from_static("xyz"));
        assert_eq!(token(&h).unwrap().expose(), "xyz");
        let mut lower = HeaderMap::new();
        lower.insert("authorization", HeaderValue::from_static("bearer abc"));
        assert!(token(&lower).is_none());
    }

    #[test]
    fn bodies() {
        assert!(body_data(b"").unwrap().is_empty());
        assert!(body_data(b"null").unwrap().is_empty());
        assert!(body_data(b"[1]").is_err());
        let msg = body_data(b"{\"secret\": \"canary-value\"")
            .unwrap_err()
            .messages()
            .join("");
        assert!(!msg.contains("canary"), "{msg}");
        let deep = "[".repeat(10_000);
        let msg = body_data(deep.as_bytes()).unwrap_err().messages().join("");
        assert!(msg.contains("exceeded max depth"), "{msg}");
    }
}
