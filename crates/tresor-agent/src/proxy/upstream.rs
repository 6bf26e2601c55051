//! The server side: one HTTP client for the configured server (its CA, `skip_verify`,
//! client certificate), used for proxied requests and for the cache's renewals.

use super::headers::{VAULT_NAMESPACE, VAULT_REQUEST, VAULT_TOKEN};
use super::reply::Refusal;
use super::ProxyError;
use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::Method;
use std::time::Duration;
use tresor_api::Settings;
use tresor_crypto::SecretString;

/// Vault's client timeout, for a whole exchange.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A request as it goes to the server.
#[derive(Debug)]
pub struct Outgoing {
    pub method: Method,
    /// Path and query, as the client sent them (`/v1/...?...`).
    pub path_and_query: String,
    /// The client's end-to-end headers, without its token.
    pub headers: HeaderMap,
    pub body: Bytes,
    pub token: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct Upstream {
    http: reqwest::Client,
    base: String,
}

impl Upstream {
    pub fn new(settings: &Settings) -> Result<Self, ProxyError> {
        let base = settings.address.trim_end_matches('/').to_owned();
        reqwest::Url::parse(&base)
            .map_err(|e| ProxyError::Upstream(format!("address {base:?}: {e}")))?;
        // The Vault client's redirects: a standby's 307 (and 308) only, a few times.
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            let temporary = matches!(attempt.status().as_u16(), 307 | 308);
            if temporary && attempt.previous().len() < 3 {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let builder = tresor_api::tls_builder(settings)
            .map_err(|e| ProxyError::Upstream(e.to_string()))?
            .timeout(TIMEOUT)
            .redirect(redirects);
        let http = builder
            .build()
            .map_err(|e| ProxyError::Upstream(e.to_string()))?;
        Ok(Self { http, base })
    }

    /// Sends one proxied request; the answer's body is left unread.
    pub async fn send(&self, out: &Outgoing) -> Result<reqwest::Response, Refusal> {
        if !out.path_and_query.starts_with('/') {
            return Err(Refusal::BadRequest("invalid request path".to_owned()));
        }
        let url = reqwest::Url::parse(&format!("{}{}", self.base, out.path_and_query))
            .map_err(|_| Refusal::BadRequest("invalid request path".to_owned()))?;
        let mut headers = out.headers.clone();
        if let Some(token) = &out.token {
            let mut value = HeaderValue::from_str(token.expose())
                .map_err(|_| Refusal::BadRequest("invalid token".to_owned()))?;
            value.set_sensitive(true);
            headers.insert(VAULT_TOKEN, value);
        }
        self.http
            .request(out.method.clone(), url)
            .headers(headers)
            .body(out.body.clone())
            .send()
            .await
            .map_err(|e| Refusal::Upstream(describe(&e)))
    }

    /// A `PUT` of a JSON body with `token`, for the cache's renewals: the JSON answer,
    /// or `None` for any failure.
    pub async fn put_json(
        &self,
        path: &str,
        token: &SecretString,
        namespace: Option<&str>,
        body: &serde_json::Value,
    ) -> Option<serde_json::Value> {
        let mut req = self
            .http
            .put(format!("{}/v1/{path}", self.base))
            .header(VAULT_REQUEST, "true")
            .header(VAULT_TOKEN, token.expose())
            .json(body);
        if let Some(ns) = namespace {
            req = req.header(VAULT_NAMESPACE, ns);
        }
        let resp = req.send().await.ok()?;
        if !resp.status().is_success() {
            tracing::debug!(status = resp.status().as_u16(), "renewal refused");
            return None;
        }
        resp.json().await.ok()
    }
}

pub use tresor_api::describe;
