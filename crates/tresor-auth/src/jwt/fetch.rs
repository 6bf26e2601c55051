//! HTTP to the identity provider: JWKS, discovery documents, the token and userinfo
//! endpoints. TLS is verified against the configured CA bundle when there is one, else
//! against the system's roots. Answers are bounded in size and time; error texts name
//! the status, never a body, a secret or a token.

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Certificate, Client, RequestBuilder};
use serde_json::Value;
use std::time::Duration;

/// The largest answer read from a provider.
const MAX_BODY: usize = 1 << 20;
const TIMEOUT: Duration = Duration::from_secs(15);

/// A client trusting `ca_pem` only (when set) or the system's roots.
pub fn client(ca_pem: &str) -> Result<Client, String> {
    let mut builder = Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::limited(5));
    if !ca_pem.trim().is_empty() {
        let certs = Certificate::from_pem_bundle(ca_pem.as_bytes())
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| "could not parse CA PEM value successfully".to_owned())?;
        builder = builder.tls_certs_only(certs);
    }
    builder
        .build()
        .map_err(|e| format!("could not build an HTTP client: {e}"))
}

/// Whether `ca_pem` holds at least one certificate (empty is fine: system roots).
pub fn check_ca(ca_pem: &str) -> Result<(), String> {
    client(ca_pem).map(|_| ())
}

async fn send(req: RequestBuilder) -> Result<(u16, Vec<u8>), String> {
    let mut resp = req
        .header(ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err("response too large".to_owned());
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

fn json(status: u16, body: &[u8]) -> Result<Value, String> {
    if status != 200 {
        return Err(status_text(status));
    }
    serde_json::from_slice(body).map_err(|_| "response is not valid JSON".to_owned())
}

fn status_text(status: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    format!("{status} {reason}").trim_end().to_owned()
}

/// A transport error without the URL's query (which may carry a code or a token).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_redirect() {
        "too many redirects"
    } else {
        "request failed"
    };
    let url = e
        .url()
        .map(|u| {
            format!(
                "{}://{}{}",
                u.scheme(),
                u.host_str().unwrap_or(""),
                u.path()
            )
        })
        .unwrap_or_default();
    format!("{kind}: {url}").trim_end_matches(": ").to_owned()
}

/// `GET url` for a JSON document.
pub async fn get_json(client: &Client, url: &str) -> Result<Value, String> {
    let (status, body) = send(client.get(url)).await?;
    json(status, &body)
}

/// `GET url` with a bearer token (the userinfo endpoint).
pub async fn get_json_bearer(client: &Client, url: &str, token: &str) -> Result<Value, String> {
    let req = client
        .get(url)
        .header(AUTHORIZATION, format!("Bearer {token}"));
    let (status, body) = send(req).await?;
    json(status, &body)
}

/// How the client authenticates to the token endpoint.
pub enum ClientAuth<'a> {
    /// HTTP Basic with the form-encoded ID and secret (RFC 6749 section 2.3.1).
    Basic { id: &'a str, secret: &'a str },
    /// `client_id` and `client_secret` in the form body.
    Post { id: &'a str, secret: &'a str },
}

/// `POST url` with a form body; answers the JSON document. A failed answer names the
/// OAuth `error` code when the provider sent one.
pub async fn post_form(
    client: &Client,
    url: &str,
    form: &[(&str, &str)],
    auth: ClientAuth<'_>,
) -> Result<Value, String> {
    let mut pairs: Vec<(&str, &str)> = form.to_vec();
    let mut req = client.post(url);
    match auth {
        ClientAuth::Basic { id, secret } => {
            use base64::Engine;
            let raw = format!("{}:{}", form_encode(id), form_encode(secret));
            let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
            req = req.header(AUTHORIZATION, format!("Basic {b64}"));
        }
        ClientAuth::Post { id, secret } => {
            pairs.push(("client_id", id));
            pairs.push(("client_secret", secret));
        }
    }
    let body = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let req = req
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body);
    let (status, body) = send(req).await?;
    if status != 200 {
        let code = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(oauth_code));
        return Err(match code {
            Some(c) if !c.is_empty() => format!("{}: {c}", status_text(status)),
            _ => status_text(status),
        });
    }
    json(status, &body)
}

/// An OAuth error code, restricted to its grammar so no free text is echoed.
fn oauth_code(s: &str) -> String {
    s.chars()
        .take(64)
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(s: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const FORM: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b' ');
    utf8_percent_encode(s, FORM).to_string().replace(' ', "+")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_and_codes() {
        assert_eq!(form_encode("a b&c=d/é~"), "a+b%26c%3Dd%2F%C3%A9~");
        assert_eq!(oauth_code("invalid_grant <script>"), "invalid_grantscript");
        assert_eq!(status_text(404), "404 Not Found");
        assert!(client("not a pem").is_err());
        assert!(client("").is_ok());
    }
}
