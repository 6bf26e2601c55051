//! The API proxy (Vault Agent's `listener` + `api_proxy` + `cache` blocks): every request
//! to a listener is sent on to the server, with the auto-auth token when configured, and
//! the answer streamed back. With a `cache {}` block, answers that carry a renewable
//! lease or a new token are kept in memory, shared by identical requests and renewed in
//! the background, as Vault Agent's lease cache does.
//!
//! The request pipeline lives in `handler`; listeners in `listen`, `unix_socket`, `tls`
//! and `accept`; the server side in `upstream`; the lease cache in `cache`.

mod accept;
mod bodies;
mod cache;
mod handler;
mod headers;
mod listen;
mod reply;
mod sanitize;
mod tls;
mod token;
mod unix_socket;
mod upstream;

#[cfg(test)]
mod tests;

use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tresor_crypto::SecretString;

/// What the proxy serves, from the agent's configuration.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    pub listeners: Vec<crate::config::Listener>,
    /// The server's address, CA, `skip_verify` and client certificate (its token is unused).
    pub server: tresor_api::Settings,
    /// Requests without `X-Vault-Token` get the auto-auth token.
    pub use_auto_auth_token: bool,
    /// Every request gets the auto-auth token, whatever it carries.
    pub force_auto_auth_token: bool,
    /// A `cache {}` block: leased answers are cached and renewed.
    pub cache: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("listener {address}: {detail}")]
    Bind { address: String, detail: String },
    #[error("listener {address}: TLS: {detail}")]
    Tls { address: String, detail: String },
    #[error("the server's connection settings: {0}")]
    Upstream(String),
    #[error("the API proxy stopped: {0}")]
    Stopped(String),
}

/// Listeners bound and ready; nothing is accepted until [`Bound::serve`].
pub struct Bound {
    listeners: Vec<listen::BoundListener>,
    upstream: upstream::Upstream,
    rule: token::TokenRule,
    cache: bool,
}

/// Binds every listener (an error if one cannot be bound), then serves until the future
/// is dropped.
pub async fn serve(
    config: ProxyConfig,
    token: watch::Receiver<Option<SecretString>>,
) -> Result<Infallible, ProxyError> {
    bind(&config).await?.serve(token).await
}

/// Binds the listeners and builds the client of the server.
pub async fn bind(config: &ProxyConfig) -> Result<Bound, ProxyError> {
    let upstream = upstream::Upstream::new(&config.server)?;
    let mut listeners = Vec::with_capacity(config.listeners.len());
    for l in &config.listeners {
        listeners.push(listen::bind(l).await?);
    }
    Ok(Bound {
        listeners,
        upstream,
        rule: token::TokenRule {
            use_auto_auth_token: config.use_auto_auth_token || config.force_auto_auth_token,
            force: config.force_auto_auth_token,
        },
        cache: config.cache,
    })
}

impl Bound {
    /// The bound addresses: `ip:port` for tcp (the real port when 0 was asked), the
    /// socket's path for unix.
    pub fn addresses(&self) -> Vec<String> {
        self.listeners.iter().map(|l| l.address()).collect()
    }

    /// Serves every listener (and renews cached leases) until the future is dropped;
    /// dropping it stops the listeners, the connections and the renewals.
    pub async fn serve(
        self,
        token: watch::Receiver<Option<SecretString>>,
    ) -> Result<Infallible, ProxyError> {
        let state = Arc::new(self.state(token));
        self.run(state).await
    }

    fn state(&self, token: watch::Receiver<Option<SecretString>>) -> handler::State {
        let cache = self
            .cache
            .then(|| Arc::new(cache::LeaseCache::new(self.upstream.clone())));
        handler::State {
            upstream: self.upstream.clone(),
            rule: self.rule,
            auto_token: token,
            cache,
        }
    }

    async fn run(self, state: Arc<handler::State>) -> Result<Infallible, ProxyError> {
        let mut tasks = JoinSet::new();
        if let Some(cache) = &state.cache {
            tasks.spawn(cache::renewer(cache.clone()));
        }
        for l in self.listeners {
            tasks.spawn(accept::run(l, state.clone()));
        }
        match tasks.join_next().await {
            Some(Ok(never)) => match never {},
            Some(Err(e)) => Err(ProxyError::Stopped(e.to_string())),
            // No listener and no cache: nothing to serve, which is not an end either.
            None => std::future::pending().await,
        }
    }
}
