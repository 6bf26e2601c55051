//! Reaching the Kubernetes API: its URL, the CA its certificate is checked against, and
//! the bearer token the calls carry.
//!
//! The CA is `kubernetes_ca_cert`, else (unless `disable_local_ca_jwt`) the pod's own
//! `ca.crt`, else the system's roots. The bearer is `token_reviewer_jwt`, else (unless
//! `disable_local_ca_jwt`) the pod's own service-account token, else the JWT being
//! reviewed, as Vault does. The pod's files are read again for every call, so a rotated
//! projected token is picked up at once. Redirects are never followed, so a bearer token
//! goes only to the configured host; answers are read up to a fixed size.

use super::model::Config;
use reqwest::{Client, Url};
use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use tresor_crypto::SecretString;
use tresor_sdk::Error;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer read from the API (a TokenReview or a Namespace is a few KiB).
const MAX_ANSWER: usize = 1 << 20;

/// Where the pod's own service-account token and CA live.
#[derive(Debug, Clone)]
pub struct LocalFiles {
    pub token: PathBuf,
    pub ca_cert: PathBuf,
}

impl Default for LocalFiles {
    fn default() -> Self {
        Self {
            token: "/var/run/secrets/kubernetes.io/serviceaccount/token".into(),
            ca_cert: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt".into(),
        }
    }
}

/// Where the bearer token of a call came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bearer {
    /// `token_reviewer_jwt`.
    Configured,
    /// The pod's own service-account token.
    Local,
    /// The JWT under review (no reviewer token anywhere).
    LoginJwt,
}

/// A call that got no usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallError {
    /// No answer: refused, timed out, TLS failure.
    Unreachable(&'static str),
    /// An answer larger than [`MAX_ANSWER`].
    TooLarge,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Unreachable(why) => {
                write!(f, "the Kubernetes API could not be reached ({why})")
            }
            CallError::TooLarge => write!(
                f,
                "the Kubernetes API answered more than {MAX_ANSWER} bytes"
            ),
        }
    }
}

/// An answer: its status and body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The API of one cluster, ready for the calls of one login.
pub struct Api {
    base: Url,
    bearer: SecretString,
    pub bearer_source: Bearer,
    http: Client,
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("base", &self.base.as_str())
            .field("bearer_source", &self.bearer_source)
            .finish_non_exhaustive()
    }
}

/// The base URL of `kubernetes_host`: `https://` is assumed without a scheme; plain
/// `http` only to a loopback address.
pub fn base_url(host: &str) -> Result<Url, String> {
    let host = host.trim();
    let full = match host.contains("://") {
        true => host.to_owned(),
        false => format!("https://{host}"),
    };
    let url = Url::parse(&full).map_err(|_| "kubernetes_host is not a valid URL".to_owned())?;
    let Some(name) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err("kubernetes_host names no host".to_owned());
    };
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    let loopback = match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(
                "kubernetes_host must use https (plain http only to a loopback address)".to_owned(),
            )
        }
        _ => return Err("kubernetes_host must be an https URL".to_owned()),
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err("kubernetes_host must not carry credentials, a query or a fragment".to_owned());
    }
    Ok(url)
}

/// The certificates of a PEM bundle (an error when it holds none).
pub fn ca_certificates(pem: &[u8]) -> Result<Vec<reqwest::Certificate>, String> {
    let certs = reqwest::Certificate::from_pem_bundle(pem)
        .map_err(|_| "The provided CA PEM data contains no valid certificates".to_owned())?;
    if certs.is_empty() {
        return Err("The provided CA PEM data contains no valid certificates".to_owned());
    }
    Ok(certs)
}

/// The HTTP clients of a mount: one per CA, the last one kept for reuse.
pub struct Clients {
    local: LocalFiles,
    last: Mutex<Option<(Option<Vec<u8>>, Client)>>,
}

impl fmt::Debug for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clients")
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

/// A file of the pod's, or `None` when it cannot be read.
async fn read_local(path: &std::path::Path) -> Option<String> {
    match tokio::fs::read_to_string(path).await {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::debug!(path = %path.display(), error = %e.kind(), "local Kubernetes file not read");
            None
        }
    }
}

impl Clients {
    pub fn new(local: LocalFiles) -> Self {
        Self {
            local,
            last: Mutex::new(None),
        }
    }

    /// The API as `config` reaches it, for a login presenting `login_jwt`.
    pub async fn connect(&self, config: &Config, login_jwt: &str) -> Result<Api, Error> {
        let base = base_url(&config.kubernetes_host).map_err(Error::bad_request)?;
        let use_local = !config.disable_local_ca_jwt;
        let (bearer, bearer_source) = if !config.token_reviewer_jwt.is_empty() {
            (config.token_reviewer_jwt.clone(), Bearer::Configured)
        } else {
            let local = match use_local {
                true => read_local(&self.local.token).await,
                false => None,
            };
            match local.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
                Some(t) => (SecretString::new(t), Bearer::Local),
                None => (SecretString::from(login_jwt), Bearer::LoginJwt),
            }
        };
        let ca = if !config.kubernetes_ca_cert.is_empty() {
            Some(config.kubernetes_ca_cert.clone().into_bytes())
        } else if use_local {
            read_local(&self.local.ca_cert)
                .await
                .map(String::into_bytes)
        } else {
            None
        };
        Ok(Api {
            base,
            bearer,
            bearer_source,
            http: self.client(ca)?,
        })
    }

    /// A client trusting exactly `ca` (or the system's roots without one).
    fn client(&self, ca: Option<Vec<u8>>) -> Result<Client, Error> {
        let mut last = self
            .last
            .lock()
            .map_err(|_| Error::internal("the Kubernetes client cache is poisoned"))?;
        if let Some((cached_ca, client)) = last.as_ref() {
            if *cached_ca == ca {
                return Ok(client.clone());
            }
        }
        let mut builder = Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        if let Some(pem) = &ca {
            let certs = ca_certificates(pem).map_err(|e| {
                tracing::warn!("the Kubernetes CA certificate does not parse");
                Error::bad_request(e)
            })?;
            builder = builder.tls_certs_only(certs);
        }
        let client = builder
            .build()
            .map_err(|_| Error::internal("cannot build the Kubernetes HTTP client"))?;
        *last = Some((ca, client.clone()));
        Ok(client)
    }
}

fn transport(e: &reqwest::Error) -> CallError {
    let why = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection or TLS failure"
    } else {
        "transport failure"
    };
    CallError::Unreachable(why)
}

impl Api {
    /// `path` (absolute, starting with `/`) under the configured base URL.
    fn url(&self, path: &str) -> Result<Url, CallError> {
        let base = self.base.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}{path}")).map_err(|_| CallError::Unreachable("bad URL"))
    }

    /// POSTs a JSON body.
    pub async fn post_json(&self, path: &str, body: Vec<u8>) -> Result<Answer, CallError> {
        let req = self
            .http
            .post(self.url(path)?)
            .header("Content-Type", "application/json")
            .body(body);
        self.send(req).await
    }

    pub async fn get(&self, path: &str) -> Result<Answer, CallError> {
        let req = self.http.get(self.url(path)?);
        self.send(req).await
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Answer, CallError> {
        let mut resp = req
            .header("Accept", "application/json")
            .bearer_auth(self.bearer.expose())
            .send()
            .await
            .map_err(|e| transport(&e))?;
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport(&e))? {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(CallError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_become_https_urls() {
        for (host, url) in [
            ("k8s.example:6443", "https://k8s.example:6443/"),
            ("https://k8s.example", "https://k8s.example/"),
            ("https://k8s.example/prefix/", "https://k8s.example/prefix/"),
            ("http://127.0.0.1:8001", "http://127.0.0.1:8001/"),
            ("http://localhost:8001", "http://localhost:8001/"),
        ] {
            assert_eq!(base_url(host).unwrap().as_str(), url, "{host}");
        }
        for bad in [
            "http://k8s.example",
            "ftp://k8s.example",
            "https://user:pw@k8s.example",
            "https://k8s.example/?q=1",
            "https://",
        ] {
            assert!(base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ca_bundles_must_hold_a_certificate() {
        assert!(ca_certificates(b"").is_err());
        assert!(ca_certificates(b"not a pem").is_err());
    }
}
