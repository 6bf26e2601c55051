//! From a [`Response`] to HTTP: Vault's envelope, raw `sys/` bodies, and 204.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use serde_json::Value;
use tresor_sdk::Response;

/// A JSON body as Vault writes it (compact, then a newline), with Vault's headers.
pub fn json_response(status: StatusCode, body: &Value) -> axum::response::Response {
    let mut bytes =
        serde_json::to_vec(body).unwrap_or_else(|_| b"{\"errors\":[\"internal error\"]}".to_vec());
    bytes.push(b'\n');
    with_headers(status, Body::from(bytes))
}

pub fn with_headers(status: StatusCode, body: Body) -> axum::response::Response {
    let mut resp = axum::response::Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

pub fn encode(request_id: &str, resp: &Response) -> axum::response::Response {
    if let Some(raw) = &resp.raw {
        let status = StatusCode::from_u16(raw.status).unwrap_or(StatusCode::OK);
        return match &raw.body {
            Some(body) if status != StatusCode::NO_CONTENT => json_response(status, body),
            _ => with_headers(status, Body::empty()),
        };
    }
    if resp.is_empty() {
        return with_headers(StatusCode::NO_CONTENT, Body::empty());
    }
    let status = resp
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    json_response(status, &resp.envelope(request_id))
}
