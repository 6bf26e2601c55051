//! The HTTP face of tresor: Vault's API over axum and rustls.
//!
//! One handler takes every `/v1/` request, decodes it into a [`tresor_sdk::Request`],
//! runs it through the core, and encodes the answer in Vault's envelope. Errors become
//! status codes in exactly one place ([`error::error_response`]).
#![forbid(unsafe_code)]

mod decode;
mod encode;
pub mod error;
mod handler;
mod json_limits;
pub mod listener;
pub mod tls;

pub use handler::router;

/// The address of the connection's peer, put on each request by the listener.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

/// The client certificate chain of a TLS connection (DER, leaf first), put on each
/// request by the listener; empty without TLS or without a client certificate.
#[derive(Debug, Clone, Default)]
pub struct PeerCertificates(pub std::sync::Arc<Vec<Vec<u8>>>);

/// Request bodies larger than this are refused with 413, before they are parsed.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
