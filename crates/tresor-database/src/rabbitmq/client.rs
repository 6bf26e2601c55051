//! The few calls of RabbitMQ's HTTP management API the engine makes. Every name that goes
//! into a URL path (users, vhosts) is percent-encoded byte by byte, so a `/`, `?`, `#`
//! or `%` in it stays inside its segment; `.` and `..` are refused, since URL parsers
//! fold them away. Errors carry a status and at most RabbitMQ's short reason code: never
//! a body, a password or the connection URI.

use super::model::{Connection, TopicPermission, VhostPermission};
use reqwest::{Method, StatusCode, Url};
use serde_json::{json, Value};
use std::fmt;
use std::time::Duration;
use tresor_crypto::SecretString;
use tresor_sdk::Error;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP client every call goes through (one pool per mount; never follows redirects,
/// so the credentials go only where the configuration says).
pub fn http_client() -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|_| Error::internal("cannot build the RabbitMQ HTTP client"))
}

/// A failed call.
#[derive(Debug)]
pub enum ApiError {
    /// A name that cannot go into a URL path (empty, `.` or `..`).
    BadName(String),
    /// No answer: refused, timed out, TLS failure.
    Transport(&'static str),
    /// An answer outside 2xx, with RabbitMQ's reason code when it gave a short one.
    Status { status: u16, reason: Option<String> },
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::BadName(name) => write!(
                f,
                "the name {name:?} cannot be used with the RabbitMQ management API"
            ),
            ApiError::Transport(what) => {
                write!(
                    f,
                    "the RabbitMQ management API could not be reached ({what})"
                )
            }
            ApiError::Status {
                status,
                reason: Some(r),
            } => write!(f, "the RabbitMQ management API answered {status} ({r})"),
            ApiError::Status {
                status,
                reason: None,
            } => write!(f, "the RabbitMQ management API answered {status}"),
        }
    }
}

impl ApiError {
    /// The engine's error for a failed `step`: a refusal (4xx) is the configuration's or
    /// the role's fault and goes back to the caller; anything else is a server failure.
    pub fn into_error(self, step: &str) -> Error {
        match self {
            ApiError::BadName(_) => Error::bad_request(format!("{step}: {self}")),
            ApiError::Status { status, .. } if (400..500).contains(&status) => {
                Error::bad_request(format!("{step}: {self}"))
            }
            other => {
                tracing::warn!(step, error = %other, "RabbitMQ management call failed");
                Error::internal(format!("{step}: {other}"))
            }
        }
    }
}

fn transport(e: &reqwest::Error) -> ApiError {
    ApiError::Transport(if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_builder() {
        "bad request"
    } else {
        "request failed"
    })
}

/// Only a machine-readable reason (`vhost_or_user_not_found`) is kept from a body.
fn short_reason(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let r = v.get("reason")?.as_str()?;
    let ok = !r.is_empty()
        && r.len() <= 64
        && r.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b' ' | b'-'));
    ok.then(|| r.to_owned())
}

/// Percent-encodes every byte but the unreserved ones (RFC 3986).
fn encode_segment(segment: &str) -> Result<String, ApiError> {
    if segment.is_empty() || segment == "." || segment == ".." {
        return Err(ApiError::BadName(segment.to_owned()));
    }
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// Parses and checks a `connection_uri`: http or https, query and fragment dropped.
pub fn parse_base(uri: &str) -> Result<Url, Error> {
    let bad = || Error::bad_request("connection_uri must be an http:// or https:// URL");
    let mut url = Url::parse(uri.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad());
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// One connection's view of the management API.
pub struct Management<'a> {
    http: &'a reqwest::Client,
    base: Url,
    username: &'a str,
    password: &'a SecretString,
}

impl fmt::Debug for Management<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Management")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl<'a> Management<'a> {
    pub fn new(http: &'a reqwest::Client, conn: &'a Connection) -> Result<Self, Error> {
        Ok(Self {
            http,
            base: parse_base(&conn.uri)?,
            username: &conn.username,
            password: &conn.password,
        })
    }

    /// `<base>/api/<segments...>`, each segment encoded.
    pub fn endpoint(&self, segments: &[&str]) -> Result<Url, ApiError> {
        let mut s = self.base.as_str().trim_end_matches('/').to_owned();
        s.push_str("/api");
        for segment in segments {
            s.push('/');
            s.push_str(&encode_segment(segment)?);
        }
        Url::parse(&s).map_err(|_| ApiError::Transport("bad URL"))
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Value>,
    ) -> Result<StatusCode, ApiError> {
        let mut req = self
            .http
            .request(method, url)
            .basic_auth(self.username, Some(self.password.expose()));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.map_err(|e| transport(&e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(status);
        }
        let body = resp.bytes().await.unwrap_or_default();
        Err(ApiError::Status {
            status: status.as_u16(),
            reason: short_reason(&body),
        })
    }

    /// Whether the configured credentials may manage users (`GET /api/users`, as Vault
    /// checks them).
    pub async fn verify(&self) -> Result<(), ApiError> {
        let url = self.endpoint(&["users"])?;
        self.send(Method::GET, url, None).await.map(|_| ())
    }

    pub async fn user_exists(&self, name: &str) -> Result<bool, ApiError> {
        let url = self.endpoint(&["users", name])?;
        match self.send(Method::GET, url, None).await {
            Ok(_) => Ok(true),
            Err(ApiError::Status { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn put_user(
        &self,
        name: &str,
        password: &SecretString,
        tags: &str,
    ) -> Result<(), ApiError> {
        let url = self.endpoint(&["users", name])?;
        let body = json!({"password": password.expose(), "tags": tags});
        self.send(Method::PUT, url, Some(body)).await.map(|_| ())
    }

    pub async fn put_permissions(
        &self,
        vhost: &str,
        user: &str,
        p: &VhostPermission,
    ) -> Result<(), ApiError> {
        let url = self.endpoint(&["permissions", vhost, user])?;
        let body = json!({"configure": p.configure, "write": p.write, "read": p.read});
        self.send(Method::PUT, url, Some(body)).await.map(|_| ())
    }

    pub async fn put_topic_permissions(
        &self,
        vhost: &str,
        user: &str,
        exchange: &str,
        p: &TopicPermission,
    ) -> Result<(), ApiError> {
        let url = self.endpoint(&["topic-permissions", vhost, user])?;
        let body = json!({"exchange": exchange, "write": p.write, "read": p.read});
        self.send(Method::PUT, url, Some(body)).await.map(|_| ())
    }

    /// Deletes a user; one already gone (404) counts as deleted.
    pub async fn delete_user(&self, name: &str) -> Result<(), ApiError> {
        let url = self.endpoint(&["users", name])?;
        match self.send(Method::DELETE, url, None).await {
            Ok(_) | Err(ApiError::Status { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(uri: &str) -> Connection {
        Connection {
            uri: uri.into(),
            username: "admin".into(),
            password: SecretString::from("canary-admin-password"),
            password_policy: String::new(),
            username_template: String::new(),
        }
    }

    #[test]
    fn names_stay_inside_their_segment() {
        let http = http_client().unwrap();
        let c = conn("http://127.0.0.1:15672/prefix/?q=1#f");
        let m = Management::new(&http, &c).unwrap();
        let url = m
            .endpoint(&["permissions", "/", "a/../b?c#d %\t\n"])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:15672/prefix/api/permissions/%2F/a%2F..%2Fb%3Fc%23d%20%25%09%0A"
        );
        assert_eq!(
            m.endpoint(&["users", "é"]).unwrap().path(),
            "/prefix/api/users/%C3%A9"
        );
        for bad in ["", ".", ".."] {
            let err = m.endpoint(&["users", bad]).unwrap_err().into_error("test");
            assert_eq!(err.kind(), tresor_sdk::ErrorKind::BadRequest);
        }
    }

    #[test]
    fn only_http_urls_are_accepted() {
        for bad in [
            "",
            "127.0.0.1:15672",
            "ftp://h/",
            "file:///etc/passwd",
            "http://",
        ] {
            assert!(parse_base(bad).is_err(), "{bad:?}");
        }
        assert!(parse_base("https://rabbit.example:15671").is_ok());
    }

    #[test]
    fn errors_and_debug_hold_no_secret() {
        let c = conn("http://user:canary-uri-secret@127.0.0.1:1");
        let http = http_client().unwrap();
        let m = Management::new(&http, &c).unwrap();
        let shown = format!("{m:?} {c:?}");
        assert!(!shown.contains("canary"), "{shown}");
        let e = ApiError::Status {
            status: 400,
            reason: short_reason(br#"{"reason":"canary secret: with punctuation!"}"#),
        };
        assert!(!e.to_string().contains("canary"));
        assert_eq!(
            short_reason(br#"{"error":"bad_request","reason":"vhost_or_user_not_found"}"#)
                .as_deref(),
            Some("vhost_or_user_not_found")
        );
    }
}
