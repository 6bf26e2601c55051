//! Response bodies, and the one place a refusal becomes a status and Vault's
//! `{"errors": [...]}`.

use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// Why the proxy answers a request itself. Messages never hold a token or a body.
#[derive(Debug)]
pub enum Refusal {
    /// `require_request_header` and no `X-Vault-Request: true`.
    MissingRequestHeader,
    /// The auto-auth token is needed and there is none yet.
    NoAutoAuthToken,
    /// A request body over the limit.
    TooLarge,
    BadRequest(String),
    /// The server could not be reached, or its answer could not be read.
    Upstream(String),
    Internal(String),
}

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

pub fn empty() -> Body {
    full(Bytes::new())
}

/// The server's answer body, passed on as it arrives.
pub fn streaming(resp: reqwest::Response) -> Body {
    reqwest::Body::from(resp)
        .map_err(|e| Box::new(e) as BoxError)
        .boxed_unsync()
}

/// The answer for a refusal.
pub fn refusal(r: Refusal) -> Response<Body> {
    let (status, message) = match r {
        Refusal::MissingRequestHeader => (
            StatusCode::PRECONDITION_FAILED,
            "missing 'X-Vault-Request' header".to_owned(),
        ),
        Refusal::NoAutoAuthToken => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the agent has no auto-auth token yet".to_owned(),
        ),
        Refusal::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large".to_owned(),
        ),
        Refusal::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
        Refusal::Upstream(m) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to get the response: {m}"),
        ),
        Refusal::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
    };
    errors(status, &message)
}

fn errors(status: StatusCode, message: &str) -> Response<Body> {
    let body = serde_json::json!({ "errors": [message] }).to_string();
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn refusals_have_vaults_shape() {
        let resp = refusal(Refusal::MissingRequestHeader);
        assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
        assert_eq!(resp.headers()[CONTENT_TYPE], "application/json");
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["errors"][0], "missing 'X-Vault-Request' header");
        assert_eq!(refusal(Refusal::TooLarge).status(), 413);
        assert_eq!(refusal(Refusal::NoAutoAuthToken).status(), 503);
        assert_eq!(refusal(Refusal::BadRequest("x".into())).status(), 400);
    }
}
