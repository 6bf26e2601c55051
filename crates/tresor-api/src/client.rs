use crate::Settings;
use reqwest::{Method, StatusCode};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an error status.
    #[error("Error making API request.\n\nURL: {method} {url}\nCode: {status}. Errors:\n\n{}", format_errors(.errors))]
    Server {
        method: String,
        url: String,
        status: u16,
        errors: Vec<String>,
    },
    /// The request never got an answer (connection, TLS, timeout) or the answer was not JSON.
    #[error("{0}")]
    Transport(String),
    #[error("{0}")]
    Setup(String),
}

fn format_errors(errors: &[String]) -> String {
    errors
        .iter()
        .map(|e| format!("* {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl ApiError {
    pub fn is_server(&self) -> bool {
        matches!(self, ApiError::Server { .. })
    }
}

/// An HTTP client bound to one server address and (optionally) one token.
#[derive(Debug, Clone)]
pub struct Client {
    settings: Settings,
    http: reqwest::Client,
}

impl Client {
    pub fn new(settings: Settings) -> Result<Self, ApiError> {
        let mut builder = reqwest::Client::builder().timeout(std::time::Duration::from_secs(60));
        if settings.skip_verify {
            builder = builder.danger_accept_invalid_certs(true);
        }
        if let Some(path) = &settings.ca_cert {
            let pem = std::fs::read(path).map_err(|e| {
                ApiError::Setup(format!("reading CA certificate {}: {e}", path.display()))
            })?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| {
                ApiError::Setup(format!("parsing CA certificate {}: {e}", path.display()))
            })?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder
            .build()
            .map_err(|e| ApiError::Setup(e.to_string()))?;
        Ok(Self { settings, http })
    }

    pub fn address(&self) -> &str {
        &self.settings.address
    }

    /// Sends one request; `Ok(None)` for a 204, the JSON body otherwise.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, ApiError> {
        let method =
            Method::from_bytes(method.as_bytes()).map_err(|e| ApiError::Setup(e.to_string()))?;
        let url = format!(
            "{}/v1/{}",
            self.settings.address.trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        let mut req = self
            .http
            .request(method.clone(), &url)
            .header("X-Vault-Request", "true");
        if let Some(token) = &self.settings.token {
            req = req.header("X-Vault-Token", token.expose());
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| ApiError::Transport(describe(&e)))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| ApiError::Transport(describe(&e)))?;
        if status == StatusCode::NO_CONTENT || (status.is_success() && text.trim().is_empty()) {
            return Ok(None);
        }
        let parsed: Option<Value> = serde_json::from_str(&text).ok();
        if !status.is_success() {
            let errors = parsed
                .as_ref()
                .and_then(|v| v.get("errors"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            return Err(ApiError::Server {
                method: method.to_string(),
                url,
                status: status.as_u16(),
                errors,
            });
        }
        parsed
            .map(Some)
            .ok_or_else(|| ApiError::Transport(format!("the answer from {url} is not JSON")))
    }

    pub async fn get(&self, path: &str) -> Result<Option<Value>, ApiError> {
        self.request("GET", path, None).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Option<Value>, ApiError> {
        self.request("PUT", path, Some(body)).await
    }
}

fn describe(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}
