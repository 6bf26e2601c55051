//! A tiny identity provider served by the tests over plain HTTP or HTTPS (with a CA made
//! by rcgen): a JWKS endpoint, a discovery document, a token endpoint that checks the
//! client credentials and the PKCE verifier, and a userinfo endpoint. It counts the
//! requests each path received.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// A code the provider will exchange for `id_token` (the test minted it).
pub struct Grant {
    pub id_token: String,
    pub access_token: String,
    pub challenge: String,
    pub redirect_uri: String,
}

#[derive(Default)]
pub struct State {
    pub jwks: Value,
    pub hits: HashMap<String, usize>,
    pub grants: HashMap<String, Grant>,
    pub client_id: String,
    pub client_secret: String,
    pub userinfo: Option<Value>,
    /// `token_endpoint_auth_methods_supported`, when announced.
    pub auth_methods: Option<Vec<String>>,
    /// An `issuer` other than the provider's URL (to test the discovery check).
    pub issuer: Option<String>,
}

pub struct Provider {
    pub url: String,
    /// The CA that signed the HTTPS certificate (empty for plain HTTP).
    pub ca_pem: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn tls_config() -> (Arc<rustls::ServerConfig>, String) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "jwt test CA");
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = leaf.signed_by(&key, &*ca).unwrap();
    let der = rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], der)
        .unwrap();
    (Arc::new(config), ca.pem())
}

impl Provider {
    pub async fn start(tls: bool, jwks: Value) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let scheme = if tls { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{port}");
        let state = Arc::new(Mutex::new(State {
            jwks,
            client_id: "tresor-client".into(),
            client_secret: "client-secret-canary".into(),
            ..State::default()
        }));
        let (acceptor, ca_pem) = if tls {
            let (config, ca) = tls_config();
            (Some(tokio_rustls::TlsAcceptor::from(config)), ca)
        } else {
            (None, String::new())
        };
        let (shared, base) = (state.clone(), url.clone());
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (state, base, acceptor) = (shared.clone(), base.clone(), acceptor.clone());
                tokio::spawn(async move {
                    match acceptor {
                        Some(a) => {
                            if let Ok(tls) = a.accept(tcp).await {
                                serve(tls, &state, &base).await;
                            }
                        }
                        None => serve(tcp, &state, &base).await,
                    }
                });
            }
        });
        Self {
            url,
            ca_pem,
            state,
            task,
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.state().hits.get(path).copied().unwrap_or(0)
    }

    pub fn set_jwks(&self, jwks: Value) {
        self.state().jwks = jwks;
    }
}

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

async fn read_request<S: AsyncRead + Unpin>(s: &mut S) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, state: &Mutex<State>, base: &str) {
    let Some(req) = read_request(&mut s).await else {
        return;
    };
    let path = req.path.split('?').next().unwrap_or("").to_owned();
    *state.lock().unwrap().hits.entry(path.clone()).or_default() += 1;
    let (status, body) = answer(&req, &path, state, base);
    let text = body.to_string();
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = s.write_all(reply.as_bytes()).await;
    let _ = s.shutdown().await;
}

fn answer(req: &Request, path: &str, state: &Mutex<State>, base: &str) -> (&'static str, Value) {
    let mut st = state.lock().unwrap();
    match (req.method.as_str(), path) {
        ("GET", "/jwks") => ("200 OK", st.jwks.clone()),
        ("GET", "/.well-known/openid-configuration") => {
            let mut doc = json!({"issuer": st.issuer.clone().unwrap_or_else(|| base.to_owned()),
                "jwks_uri": format!("{base}/jwks"), "authorization_endpoint": format!("{base}/authorize?tenant=t1"),
                "token_endpoint": format!("{base}/token"), "userinfo_endpoint": format!("{base}/userinfo")});
            if let Some(m) = &st.auth_methods {
                doc["token_endpoint_auth_methods_supported"] = json!(m);
            }
            ("200 OK", doc)
        }
        ("POST", "/token") => token(req, &mut st),
        ("GET", "/userinfo") => {
            let bearer = req
                .headers
                .get("authorization")
                .cloned()
                .unwrap_or_default();
            let known = bearer == "Bearer access-canary";
            match (&st.userinfo, known) {
                (Some(info), true) => ("200 OK", info.clone()),
                _ => ("401 Unauthorized", json!({"error": "invalid_token"})),
            }
        }
        _ => ("404 Not Found", json!({"error": "not found"})),
    }
}

fn form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            let v = percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned();
            (k.to_owned(), v)
        })
        .collect()
}

/// The token endpoint: client authentication, then the code, redirect URI and PKCE.
fn token(req: &Request, st: &mut State) -> (&'static str, Value) {
    let f = form(&req.body);
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", st.client_id, st.client_secret))
    );
    let by_header = req.headers.get("authorization") == Some(&basic);
    let by_body = f.get("client_id") == Some(&st.client_id)
        && f.get("client_secret") == Some(&st.client_secret);
    let post_only = st
        .auth_methods
        .as_ref()
        .is_some_and(|m| !m.iter().any(|x| x == "client_secret_basic"));
    if !(if post_only { by_body } else { by_header }) {
        return ("401 Unauthorized", json!({"error": "invalid_client"}));
    }
    if f.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return (
            "400 Bad Request",
            json!({"error": "unsupported_grant_type"}),
        );
    }
    let Some(grant) = f.get("code").and_then(|c| st.grants.remove(c)) else {
        return ("400 Bad Request", json!({"error": "invalid_grant"}));
    };
    let verifier = f.get("code_verifier").cloned().unwrap_or_default();
    let challenge = URL_SAFE_NO_PAD.encode(tresor_crypto::digest::sha256(verifier.as_bytes()));
    if challenge != grant.challenge || f.get("redirect_uri") != Some(&grant.redirect_uri) {
        return ("400 Bad Request", json!({"error": "invalid_grant"}));
    }
    (
        "200 OK",
        json!({"access_token": grant.access_token, "token_type": "Bearer",
        "expires_in": 3600, "id_token": grant.id_token}),
    )
}
