//! From a [`Response`] to HTTP: Vault's envelope, raw `sys/` bodies, and 204.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use serde::Serialize;
use serde_json::{json, Value};
use tresor_sdk::{Auth, Data, Response};

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

#[derive(Serialize)]
struct Envelope<'a> {
    request_id: &'a str,
    lease_id: &'a str,
    renewable: bool,
    lease_duration: u64,
    data: Option<&'a Data>,
    wrap_info: Option<Value>,
    warnings: Option<&'a [String]>,
    auth: Option<Value>,
}

fn auth_json(a: &Auth) -> Value {
    json!({
        "client_token": a.client_token.expose(),
        "accessor": a.accessor,
        "policies": a.policies,
        "token_policies": a.token_policies,
        "metadata": if a.metadata.is_empty() { Value::Null } else { json!(a.metadata) },
        "lease_duration": a.lease_duration,
        "renewable": a.renewable,
        "entity_id": a.entity_id,
        "token_type": a.token_type,
        "orphan": a.orphan,
        "mfa_requirement": null,
        "num_uses": a.num_uses,
    })
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
    let envelope = Envelope {
        request_id,
        lease_id: &resp.lease_id,
        renewable: resp.renewable,
        lease_duration: resp.lease_duration,
        data: resp.data.as_ref(),
        wrap_info: None,
        warnings: (!resp.warnings.is_empty()).then_some(resp.warnings.as_slice()),
        auth: resp.auth.as_ref().map(auth_json),
    };
    let mut body = serde_json::to_value(&envelope).unwrap_or(Value::Null);
    if let (true, Some(data), Value::Object(top)) = (resp.data_at_top_level, &resp.data, &mut body)
    {
        for (k, v) in data {
            top.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let status = resp
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    json_response(status, &body)
}
