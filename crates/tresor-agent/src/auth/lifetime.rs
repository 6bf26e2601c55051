//! The auto-auth loop: log in (backing off after failures), hand the token to the sinks
//! and to the rest of the agent, keep it alive by renewal, and log in again when renewal
//! fails or the token nears its end.

use super::{AuthError, Authenticator, Token};
use crate::backoff::Backoff;
use crate::config::Sink;
use crate::sink;
use tokio::sync::watch;
use tresor_api::Client;
use tresor_crypto::SecretString;

/// How the loop ended.
#[derive(Debug)]
pub enum AuthOutcome {
    /// `exit_after_auth`: logged in once and wrote the sinks.
    Done,
    /// A login failed with `exit_on_err` set.
    Failed(AuthError),
}

/// Runs until the first login with `once`, else forever (or until a login fails with
/// `exit_on_err`). Each new token is published on `tx`.
pub async fn run(
    auth: Authenticator,
    sinks: Vec<Sink>,
    server: Client,
    tx: watch::Sender<Option<SecretString>>,
    once: bool,
) -> AuthOutcome {
    let method = auth.method().clone();
    let mut backoff = Backoff::new(method.min_backoff, method.max_backoff);
    loop {
        let token = match auth.login().await {
            Ok(token) => token,
            Err(e) => {
                tracing::error!(method = method.kind.type_name(), error = %e, "auto-auth login failed");
                if method.exit_on_err {
                    return AuthOutcome::Failed(e);
                }
                tokio::time::sleep(backoff.next()).await;
                continue;
            }
        };
        backoff.reset();
        tracing::info!(method = method.kind.type_name(), "authenticated");
        for s in &sinks {
            if let Err(e) = sink::write(&server, s, &token.token).await {
                tracing::error!(path = %s.path.display(), error = %e, "could not write the token sink");
            }
        }
        tx.send_replace(Some(token.token.clone()));
        if once {
            return AuthOutcome::Done;
        }
        keep_alive(auth.client(), token).await;
        tracing::info!("logging in again");
    }
}

/// Renews `token` until that fails or no longer extends it; returns when a new login is
/// due. A token that does not expire is held forever.
async fn keep_alive(server: &Client, token: Token) {
    let client = server.with_token(Some(token.token.clone()));
    let mut ttl = token.ttl;
    if ttl.is_zero() {
        std::future::pending::<()>().await;
    }
    let original = ttl;
    loop {
        // Renew at two thirds of the time left; a non-renewable token is replaced at
        // that point too.
        tokio::time::sleep(ttl.mul_f64(2.0 / 3.0)).await;
        if !token.renewable {
            return;
        }
        match client
            .put("auth/token/renew-self", &serde_json::json!({}))
            .await
        {
            Ok(answer) => match super::token_of_auth(answer) {
                Ok(renewed) => {
                    tracing::debug!(ttl = renewed.ttl.as_secs(), "token renewed");
                    ttl = renewed.ttl;
                    // Capped by its max TTL: use what is left, then log in again.
                    if ttl < original.mul_f64(2.0 / 3.0) || ttl.is_zero() {
                        tokio::time::sleep(ttl.mul_f64(2.0 / 3.0)).await;
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "token renewal answered no token");
                    return;
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "token renewal failed");
                return;
            }
        }
    }
}
