//! Test kit: a Kubernetes mount whose pod files live in a temporary directory, signing
//! keys and service-account JWTs, and a fake API server over real TLS (an rcgen CA and
//! server certificate) that speaks the TokenReview and Namespace APIs with
//! `k8s-openapi` types and checks the bearer token of every call.

use super::{Kubernetes, LocalFiles};
use crate::testkit::Harness;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewStatus, UserInfo};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tresor_sdk::{MountContext, NoSystemView};

/// The audience the fake API server grants by default, as a real one does.
pub const API_AUDIENCE: &str = "https://kubernetes.default.svc";

/// A Kubernetes mount whose pod token and CA are `token` and `ca.crt` in the directory.
pub async fn mount() -> (Harness, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut h = Harness::new(super::factory, "kubernetes").await;
    let ctx = MountContext {
        system: Arc::new(NoSystemView),
        storage: h.storage.clone(),
        info: h.mount.clone(),
        clock: h.clock.clone(),
    };
    let local = LocalFiles {
        token: dir.path().join("token"),
        ca_cert: dir.path().join("ca.crt"),
    };
    h.backend = Arc::new(Kubernetes::new(ctx, local));
    (h, dir)
}

/// A key that signs service-account JWTs.
pub struct SigningKey {
    alg: Algorithm,
    pair: Arc<KeyPair>,
}

static RSA_KEYS: LazyLock<[Arc<KeyPair>; 2]> = LazyLock::new(|| {
    std::array::from_fn(|_| Arc::new(KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap()))
});

impl SigningKey {
    /// One of two RSA keys (made once per test binary; RSA key generation is slow).
    pub fn rsa_n(n: usize) -> Self {
        Self {
            alg: Algorithm::RS256,
            pair: RSA_KEYS[n].clone(),
        }
    }

    pub fn rsa() -> Self {
        Self::rsa_n(0)
    }

    /// A fresh P-256 key.
    pub fn ec() -> Self {
        Self {
            alg: Algorithm::ES256,
            pair: Arc::new(KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()),
        }
    }

    pub fn public_pem(&self) -> String {
        self.pair.public_key_pem()
    }

    /// A self-signed certificate holding the public key.
    pub fn certificate_pem(&self) -> String {
        CertificateParams::new(vec!["sa-signer".to_owned()])
            .unwrap()
            .self_signed(self.pair.as_ref())
            .unwrap()
            .pem()
    }
}

/// `claims` signed with `key` (RS256 or ES256).
pub fn sign(key: &SigningKey, claims: &Value) -> String {
    let pem = key.pair.serialize_pem();
    let enc = match key.alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        _ => EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
    };
    jsonwebtoken::encode(&Header::new(key.alg), claims, &enc).unwrap()
}

/// A service account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sa {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl Sa {
    pub fn new(namespace: &str, name: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            uid: format!("uid-{namespace}-{name}"),
        }
    }

    /// The claims of a projected token for `aud`, issued at `now`, living ten minutes.
    pub fn projected(&self, aud: &[&str], now: u64) -> Value {
        json!({
            "iss": API_AUDIENCE, "sub": format!("system:serviceaccount:{}:{}", self.namespace, self.name),
            "aud": aud, "iat": now, "nbf": now, "exp": now + 600,
            "kubernetes.io": {"namespace": self.namespace,
                "pod": {"name": "pod-1", "uid": "pod-uid"},
                "serviceaccount": {"name": self.name, "uid": self.uid}},
        })
    }

    /// The claims of a legacy, secret-based token.
    pub fn legacy(&self) -> Value {
        json!({
            "iss": "kubernetes/serviceaccount",
            "sub": format!("system:serviceaccount:{}:{}", self.namespace, self.name),
            "kubernetes.io/serviceaccount/namespace": self.namespace,
            "kubernetes.io/serviceaccount/secret.name": format!("{}-token-abcde", self.name),
            "kubernetes.io/serviceaccount/service-account.name": self.name,
            "kubernetes.io/serviceaccount/service-account.uid": self.uid,
        })
    }
}

/// A token the fake cluster honours, and whose it is.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub sa: Sa,
    /// Empty: a legacy token, valid for the API server's audience.
    pub audiences: Vec<String>,
}

/// One call the fake API server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub bearer: String,
    /// The TokenReview of a review call, as sent.
    pub review: Option<TokenReview>,
}

#[derive(Debug, Default)]
pub struct State {
    /// Bearer tokens the API accepts.
    pub reviewers: Vec<String>,
    pub issued: Vec<Issued>,
    pub namespace_labels: BTreeMap<String, BTreeMap<String, String>>,
    pub seen: Vec<Seen>,
    /// When set, every review answers this status, whatever the token.
    pub forced: Option<TokenReviewStatus>,
}

/// A fake API server on a loopback port, over TLS with a certificate from its own CA.
pub struct Cluster {
    pub url: String,
    pub ca_pem: String,
    pub state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A CA certificate and its issuer.
pub fn new_ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "test cluster CA");
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn server_tls(ca: &CertifiedIssuer<'static, KeyPair>) -> Arc<rustls::ServerConfig> {
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let cert = params.signed_by(&key, &**ca).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let der = rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone(), ca.der().clone()], der)
        .unwrap();
    Arc::new(config)
}

impl Cluster {
    pub async fn start(reviewers: &[&str]) -> Self {
        let ca = new_ca();
        let acceptor = tokio_rustls::TlsAcceptor::from(server_tls(&ca));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "https://127.0.0.1:{}",
            listener.local_addr().unwrap().port()
        );
        let state = Arc::new(Mutex::new(State {
            reviewers: reviewers.iter().map(|r| (*r).to_owned()).collect(),
            ..State::default()
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, state) = (acceptor.clone(), shared.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        serve(tls, state).await;
                    }
                });
            }
        });
        Self {
            url,
            ca_pem: ca.pem(),
            state,
            task,
        }
    }

    /// Issues a token for `sa` signed with `key`, which the cluster then honours.
    pub fn issue(&self, key: &SigningKey, sa: &Sa, aud: &[&str], now: u64) -> String {
        let token = sign(key, &sa.projected(aud, now));
        self.honour(&token, sa, aud);
        token
    }

    /// Makes the cluster vouch for `token` as `sa`'s, for `aud`.
    pub fn honour(&self, token: &str, sa: &Sa, aud: &[&str]) {
        self.state.lock().unwrap().issued.push(Issued {
            token: token.to_owned(),
            sa: sa.clone(),
            audiences: aud.iter().map(|a| (*a).to_owned()).collect(),
        });
    }

    pub fn set_reviewers(&self, reviewers: &[&str]) {
        self.state.lock().unwrap().reviewers = reviewers.iter().map(|r| (*r).to_owned()).collect();
    }

    /// Makes every review answer `status`.
    pub fn force(&self, status: TokenReviewStatus) {
        self.state.lock().unwrap().forced = Some(status);
    }

    pub fn label_namespace(&self, namespace: &str, labels: &[(&str, &str)]) {
        let labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        self.state
            .lock()
            .unwrap()
            .namespace_labels
            .insert(namespace.to_owned(), labels.collect());
    }

    /// The calls received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }
}

/// Reads one HTTP/1.1 request: method, path, headers (lower-cased names), body.
async fn read_request<S: AsyncReadExt + Unpin>(
    s: &mut S,
) -> Option<(String, String, BTreeMap<String, String>, Vec<u8>)> {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, path) = (
        request_line.next()?.to_owned(),
        request_line.next()?.to_owned(),
    );
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .map_or(0, |l| l.parse().unwrap());
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((method, path, headers, body))
}

async fn serve<S: AsyncReadExt + AsyncWriteExt + Unpin>(mut s: S, state: Arc<Mutex<State>>) {
    let Some((method, path, headers, body)) = read_request(&mut s).await else {
        return;
    };
    let bearer = headers
        .get("authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_owned();
    let review = serde_json::from_slice::<TokenReview>(&body).ok();
    let (status, answer) = {
        let mut st = state.lock().unwrap();
        st.seen.push(Seen {
            method: method.clone(),
            path: path.clone(),
            bearer: bearer.clone(),
            review: review.clone(),
        });
        route(&st, &method, &path, &bearer, review)
    };
    let text = serde_json::to_vec(&answer).unwrap();
    let reason = match status {
        200 => "OK",
        201 => "Created",
        401 => "Unauthorized",
        _ => "Error",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        text.len()
    );
    let _ = s.write_all(head.as_bytes()).await;
    let _ = s.write_all(&text).await;
    let _ = s.shutdown().await;
}

fn status(code: u16, reason: &str) -> (u16, Value) {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": reason, "reason": reason, "code": code});
    (code, body)
}

fn route(
    st: &State,
    method: &str,
    path: &str,
    bearer: &str,
    review: Option<TokenReview>,
) -> (u16, Value) {
    if !st.reviewers.iter().any(|r| r == bearer) {
        return status(401, "Unauthorized");
    }
    match (method, path) {
        ("POST", "/apis/authentication.k8s.io/v1/tokenreviews") => match review {
            Some(review) => (
                201,
                serde_json::to_value(answer_review(st, review)).unwrap(),
            ),
            None => status(400, "BadRequest"),
        },
        ("GET", p) if p.starts_with("/api/v1/namespaces/") => {
            let name = p.trim_start_matches("/api/v1/namespaces/");
            match st.namespace_labels.get(name) {
                Some(labels) => {
                    let ns = Namespace {
                        metadata: ObjectMeta {
                            name: Some(name.to_owned()),
                            labels: Some(labels.clone()),
                            ..ObjectMeta::default()
                        },
                        ..Namespace::default()
                    };
                    (200, serde_json::to_value(ns).unwrap())
                }
                None => status(404, "NotFound"),
            }
        }
        _ => status(404, "NotFound"),
    }
}

/// What a real API server answers: authenticated for the audiences the token and the
/// request share (the request's default being the API server's own).
fn answer_review(st: &State, mut review: TokenReview) -> TokenReview {
    let token = review.spec.token.clone().unwrap_or_default();
    let wanted = review
        .spec
        .audiences
        .clone()
        .unwrap_or_else(|| vec![API_AUDIENCE.to_owned()]);
    let found = st.issued.iter().find(|i| i.token == token);
    let status = match found {
        _ if st.forced.is_some() => st.forced.clone().unwrap_or_default(),
        Some(i) => {
            let granted: Vec<String> = match i.audiences.is_empty() {
                true => wanted,
                false => wanted
                    .into_iter()
                    .filter(|a| i.audiences.contains(a))
                    .collect(),
            };
            match granted.is_empty() {
                true => TokenReviewStatus {
                    authenticated: Some(false),
                    error: Some("token audiences are invalid for the target audiences".to_owned()),
                    ..TokenReviewStatus::default()
                },
                false => TokenReviewStatus {
                    authenticated: Some(true),
                    audiences: Some(granted),
                    user: Some(UserInfo {
                        username: Some(format!(
                            "system:serviceaccount:{}:{}",
                            i.sa.namespace, i.sa.name
                        )),
                        uid: Some(i.sa.uid.clone()),
                        groups: Some(vec!["system:serviceaccounts".to_owned()]),
                        ..UserInfo::default()
                    }),
                    ..TokenReviewStatus::default()
                },
            }
        }
        None => TokenReviewStatus {
            authenticated: Some(false),
            error: Some("invalid bearer token".to_owned()),
            ..TokenReviewStatus::default()
        },
    };
    review.spec.token = None;
    review.status = Some(status);
    review
}
