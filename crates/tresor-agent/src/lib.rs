//! `tresor agent`: logs in for applications and keeps their secrets in files (or in a
//! child's environment) up to date, as Vault Agent does, from Vault Agent's own
//! configuration files. It is a client of the HTTP API only: it works against any
//! Vault-compatible server.
#![forbid(unsafe_code)]

mod agent;
mod atomic_file;
pub mod auth;
mod backoff;
pub mod config;
mod exec;
pub mod proxy;
mod sink;
mod templates;

pub use agent::{run, server_settings, AgentError};
pub use config::AgentConfig;

use std::convert::Infallible;
use tokio::sync::watch;
use tresor_crypto::SecretString;

/// Serves the API proxy on the configured listeners; never ends without them.
async fn proxy_task(
    cfg: &AgentConfig,
    settings: &tresor_api::Settings,
    token: watch::Receiver<Option<SecretString>>,
) -> Result<Infallible, AgentError> {
    if cfg.listeners.is_empty() {
        return std::future::pending().await;
    }
    let config = proxy::ProxyConfig {
        listeners: cfg.listeners.clone(),
        server: settings.clone(),
        use_auto_auth_token: cfg.api_proxy.use_auto_auth_token,
        force_auto_auth_token: cfg.api_proxy.force_auto_auth_token,
        cache: cfg.cache,
    };
    proxy::serve(config, token)
        .await
        .map_err(|e| AgentError::Setup(e.to_string()))
}
