use crate::Settings;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tresor_crypto::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an error status: its `errors`, or else its raw body.
    #[error("Error making API request.\n\nURL: {method} {url}\nCode: {status}. {}", format_errors(.errors, .raw))]
    Server {
        method: String,
        url: String,
        status: u16,
        errors: Vec<String>,
        raw: String,
    },
    /// The request never got an answer (connection, TLS, timeout) or the answer was not JSON.
    #[error("{0}")]
    Transport(String),
    #[error("{0}")]
    Setup(String),
}

fn format_errors(errors: &[String], raw: &str) -> String {
    if errors.is_empty() {
        return format!("Raw Message:\n\n{raw}");
    }
    let list = errors
        .iter()
        .map(|e| format!("* {e}"))
        .collect::<Vec<_>>()
        .join("\n");
    format!("Errors:\n\n{list}")
}

impl ApiError {
    pub fn is_server(&self) -> bool {
        matches!(self, ApiError::Server { .. })
    }

    /// The HTTP status of a server error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Server { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A reqwest client builder with the settings' TLS: the CA to trust (or none checked
/// with `skip_verify`) and the client certificate. Shared by this client and the agent's
/// API proxy. Errors name files, never their content.
pub fn tls_builder(settings: &Settings) -> Result<reqwest::ClientBuilder, ApiError> {
    let mut builder = reqwest::Client::builder();
    if settings.skip_verify {
        builder = builder.danger_accept_invalid_certs(true);
    }
    let read = |p: &std::path::Path, what: &str| {
        std::fs::read(p)
            .map_err(|e| ApiError::Setup(format!("reading {what} {}: {e}", p.display())))
    };
    if let Some(path) = &settings.ca_cert {
        // As Vault's client: the given CA replaces the system's roots.
        let pem = read(path, "CA certificate")?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            ApiError::Setup(format!("parsing CA certificate {}: {e}", path.display()))
        })?;
        if certs.is_empty() {
            return Err(ApiError::Setup(format!(
                "no certificate in {}",
                path.display()
            )));
        }
        builder = builder.tls_certs_only(certs);
    } else if settings
        .address
        .get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
    {
        // A plain-text address needs no trusted roots: loading the system's costs
        // milliseconds and memory (the agent's footprint).
        builder = builder.tls_certs_only(std::iter::empty());
    }
    match (&settings.client_cert, &settings.client_key) {
        (Some(cert), Some(key)) => {
            let mut pem = read(cert, "client certificate")?;
            pem.push(b'\n');
            pem.extend(read(key, "client key")?);
            let identity = reqwest::Identity::from_pem(&pem).map_err(|_| {
                ApiError::Setup(format!(
                    "the client certificate {} and key {} do not make a TLS identity",
                    cert.display(),
                    key.display()
                ))
            })?;
            builder = builder.identity(identity);
        }
        (None, None) => {}
        _ => {
            return Err(ApiError::Setup(
                "a client certificate needs both VAULT_CLIENT_CERT and VAULT_CLIENT_KEY".to_owned(),
            ))
        }
    }
    Ok(builder)
}

/// One request: a method, a path under `/v1/`, query parameters and an optional JSON body.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a [(String, String)],
    body: Option<&'a Value>,
    merge_patch: bool,
    wrap_ttl: Option<u64>,
}

impl<'a> Call<'a> {
    pub fn new(method: &'a str, path: &'a str) -> Self {
        Self {
            method,
            path,
            query: &[],
            body: None,
            merge_patch: false,
            wrap_ttl: None,
        }
    }

    /// Asks for the answer response-wrapped for `seconds` (`X-Vault-Wrap-TTL`).
    pub fn wrap_ttl(mut self, seconds: u64) -> Self {
        self.wrap_ttl = Some(seconds);
        self
    }

    pub fn query(mut self, query: &'a [(String, String)]) -> Self {
        self.query = query;
        self
    }

    pub fn body(mut self, body: &'a Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Sends the body as `application/merge-patch+json` (KV v2 `PATCH`).
    pub fn merge_patch(mut self) -> Self {
        self.merge_patch = true;
        self
    }
}

/// An answer with a success status, or a 404 (for the reads that look into its body).
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    body: Option<Value>,
}

/// An HTTP client bound to one server address and (optionally) one token.
#[derive(Debug, Clone)]
pub struct Client {
    settings: Settings,
    http: reqwest::Client,
}

impl Client {
    pub fn new(settings: Settings) -> Result<Self, ApiError> {
        let builder = tls_builder(&settings)?.timeout(std::time::Duration::from_secs(60));
        let http = builder
            .build()
            .map_err(|e| ApiError::Setup(e.to_string()))?;
        Ok(Self { settings, http })
    }

    pub fn address(&self) -> &str {
        &self.settings.address
    }

    /// The token requests are sent with, if any.
    pub fn token(&self) -> Option<&SecretString> {
        self.settings.token.as_ref()
    }

    /// The same client sending `token` instead (or no token).
    pub fn with_token(&self, token: Option<SecretString>) -> Self {
        let mut settings = self.settings.clone();
        settings.token = token;
        Self {
            settings,
            http: self.http.clone(),
        }
    }

    /// Sends one request; `Ok(None)` for a 204, the JSON body otherwise.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, ApiError> {
        let mut call = Call::new(method, path);
        call.body = body;
        self.call(call).await
    }

    /// Sends one call; any status but 2xx is an error.
    pub async fn call(&self, call: Call<'_>) -> Result<Option<Value>, ApiError> {
        Ok(self.send(call, false).await?.body)
    }

    /// A read as the Vault CLI does it: a 404 whose body carries data or warnings (a
    /// deleted KV v2 version) is an answer; a bare 404 is `Ok(None)`.
    pub async fn read(&self, call: Call<'_>) -> Result<Option<Value>, ApiError> {
        let reply = self.send(call, true).await?;
        if reply.status != StatusCode::NOT_FOUND {
            return Ok(reply.body);
        }
        let has = |key: &str| {
            reply
                .body
                .as_ref()
                .and_then(|b| b.get(key))
                .is_some_and(|v| match v {
                    Value::Object(m) => !m.is_empty(),
                    Value::Array(a) => !a.is_empty(),
                    _ => false,
                })
        };
        Ok((has("data") || has("warnings"))
            .then_some(reply.body)
            .flatten())
    }

    pub async fn get(&self, path: &str) -> Result<Option<Value>, ApiError> {
        self.request("GET", path, None).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Option<Value>, ApiError> {
        self.request("PUT", path, Some(body)).await
    }

    async fn send(&self, call: Call<'_>, keep_not_found: bool) -> Result<Reply, ApiError> {
        let method = Method::from_bytes(call.method.as_bytes())
            .map_err(|e| ApiError::Setup(e.to_string()))?;
        let url = format!(
            "{}/v1/{}",
            self.settings.address.trim_end_matches('/'),
            call.path.trim_start_matches('/')
        );
        let mut target =
            reqwest::Url::parse(&url).map_err(|e| ApiError::Setup(format!("{url}: {e}")))?;
        if !call.query.is_empty() {
            target.query_pairs_mut().extend_pairs(call.query);
        }
        let url = target.to_string();
        let mut req = self
            .http
            .request(method.clone(), target)
            .header("X-Vault-Request", "true");
        if let Some(token) = &self.settings.token {
            req = req.header("X-Vault-Token", token.expose());
        }
        if let Some(ttl) = call.wrap_ttl {
            req = req.header("X-Vault-Wrap-TTL", ttl.to_string());
        }
        if let Some(body) = call.body {
            let content_type = if call.merge_patch {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            let bytes = serde_json::to_vec(body).map_err(|e| ApiError::Setup(e.to_string()))?;
            req = req.header("Content-Type", content_type).body(bytes);
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
        let parsed: Option<Value> = serde_json::from_str(&text).ok();
        if status.is_success() || (keep_not_found && status == StatusCode::NOT_FOUND) {
            if status == StatusCode::NO_CONTENT || text.trim().is_empty() {
                return Ok(Reply { status, body: None });
            }
            if parsed.is_none() && status.is_success() {
                return Err(ApiError::Transport(format!(
                    "the answer from {url} is not JSON"
                )));
            }
            return Ok(Reply {
                status,
                body: parsed,
            });
        }
        let errors: Vec<String> = parsed
            .as_ref()
            .and_then(|v| v.get("errors"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        // A body that is not Vault's error object (a proxy's page) is shown as is.
        let raw = match &parsed {
            Some(v) if v.get("errors").is_some() => String::new(),
            _ => text.chars().take(2000).collect(),
        };
        Err(ApiError::Server {
            method: method.to_string(),
            url,
            status: status.as_u16(),
            errors,
            raw,
        })
    }
}

/// A transport error with its causes (reqwest's messages name the URL, never a token
/// or a body).
pub fn describe(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}
