//! The one mapping from an error kind to a status code and an `{"errors": [...]}` body.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use tresor_sdk::{Error, ErrorKind};

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::PermissionDenied => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::UnsupportedOperation => StatusCode::METHOD_NOT_ALLOWED,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorKind::NotInitialized => StatusCode::NOT_IMPLEMENTED,
        ErrorKind::Sealed => StatusCode::SERVICE_UNAVAILABLE,
    }
}

pub fn error_response(err: &Error) -> Response {
    if err.kind() == ErrorKind::Internal {
        // The detail stays in the server log; the client gets a generic message.
        tracing::error!(error = %err, detail = ?err, "request failed");
    }
    crate::encode::json_response(status_of(err.kind()), &json!({ "errors": err.messages() }))
}
