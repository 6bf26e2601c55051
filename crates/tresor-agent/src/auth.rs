//! Auto-auth: logging in with the configured method, and the token that results.

mod files;
mod lifetime;
mod methods;

pub use lifetime::{run, AuthOutcome};
pub use methods::Authenticator;

use std::time::Duration;
use tresor_crypto::SecretString;

/// A token the agent holds. Its Debug output never shows the token.
#[derive(Debug, Clone)]
pub struct Token {
    pub token: SecretString,
    /// How long it lives from now (zero: it does not expire).
    pub ttl: Duration,
    pub renewable: bool,
}

/// Why a login failed; says nothing secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{0}")]
    Credentials(String),
    #[error("login failed: {0}")]
    Server(#[from] tresor_api::ApiError),
    #[error("the login answer has no token")]
    NoToken,
}

/// The token, TTL and renewability of a login answer's `auth` block.
pub fn token_of_auth(answer: Option<serde_json::Value>) -> Result<Token, AuthError> {
    let auth = answer
        .as_ref()
        .and_then(|a| a.get("auth"))
        .ok_or(AuthError::NoToken)?;
    let token = auth
        .get("client_token")
        .and_then(serde_json::Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or(AuthError::NoToken)?;
    Ok(Token {
        token: SecretString::from(token),
        ttl: Duration::from_secs(
            auth.get("lease_duration")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0),
        ),
        renewable: auth
            .get("renewable")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false),
    })
}
