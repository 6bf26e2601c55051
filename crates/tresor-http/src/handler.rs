//! The one handler behind every `/v1/` path.

use crate::decode::{api_path, decode};
use crate::encode::{encode, json_response};
use crate::error::error_response;
use crate::MAX_BODY_BYTES;
use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{Request as HttpRequest, StatusCode};
use axum::response::Response;
use axum::Router;
use futures_util::FutureExt;
use serde_json::json;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tracing::Instrument;
use tresor_core::Core;
use tresor_sdk::Error;

/// The API router: every request goes to [`handle`].
pub fn router(core: Arc<Core>) -> Router {
    Router::new().fallback(handle).with_state(core)
}

async fn handle(State(core): State<Arc<Core>>, req: HttpRequest<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let Some(path) = api_path(&parts.uri) else {
        return json_response(StatusCode::NOT_FOUND, &json!({ "errors": [] }));
    };
    let path = match path {
        Ok(p) => p,
        Err(e) => return error_response(&e),
    };
    let body = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return too_large(),
    };
    let mut request = match decode(&parts.method, &parts.uri, &parts.headers, path, &body) {
        Ok(r) => r,
        Err(e) => return error_response(&e),
    };
    request.client_addr = parts
        .extensions
        .get::<crate::ClientAddr>()
        .map(|a| a.0.clone());
    if let Some(certs) = parts.extensions.get::<crate::PeerCertificates>() {
        request.peer_certificates = certs.0.clone();
    }
    // Debug level: at the default info level the span costs nothing per request.
    let span = tracing::debug_span!(
        "request",
        id = %request.id,
        op = request.operation.as_str(),
        path = %request.path,
    );
    let request_id = request.id.clone();
    // A panic anywhere below is a bug; it becomes a 500 for this request, not a crash.
    let outcome = AssertUnwindSafe(core.handle(request))
        .catch_unwind()
        .instrument(span)
        .await;
    match outcome {
        Ok(Ok(resp)) => encode(&request_id, &resp),
        Ok(Err(e)) => error_response(&e),
        Err(_) => {
            tracing::error!(request_id = %request_id, "request handler panicked");
            error_response(&Error::internal("handler panicked"))
        }
    }
}

fn too_large() -> Response {
    let mut resp = json_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        &json!({ "errors": ["http: request body too large"] }),
    );
    resp.headers_mut()
        .insert("connection", axum::http::HeaderValue::from_static("close"));
    resp
}
