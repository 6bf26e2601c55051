//! A fake Vault server: records what it receives and answers leased and unleased JSON.

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderMap;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

pub const LEASE_SECS: u64 = 3600;
pub const TOKEN_SECS: u64 = 600;

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub token: Option<String>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

#[derive(Default)]
pub struct Shared {
    pub seen: Mutex<Vec<Seen>>,
    pub renew_fails: AtomicBool,
    counter: AtomicU64,
}

pub struct Fake {
    pub address: String,
    pub shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Fake {
    pub async fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(s.clone(), req));
                    let _ = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Fake {
            address,
            shared,
            task,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// The requests received for `path`.
    pub fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }
}

fn json_reply(status: u16, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

async fn answer(
    s: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.unwrap().to_bytes().to_vec();
    let token = parts
        .headers
        .get("x-vault-token")
        .map(|v| v.to_str().unwrap().to_owned());
    let path = parts.uri.path().to_owned();
    s.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_owned),
        token: token.clone(),
        headers: parts.headers.clone(),
        body: body.clone(),
    });
    let n = s.counter.fetch_add(1, Ordering::SeqCst);
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let resp = match path.as_str() {
        "/v1/database/creds/app" => json_reply(
            200,
            json!({"lease_id": format!("database/creds/app/{n}"), "renewable": true,
                "lease_duration": LEASE_SECS, "data": {"username": format!("u{n}")}}),
        ),
        "/v1/secret/data/app" => json_reply(
            200,
            json!({"lease_id": "", "renewable": false, "lease_duration": 0,
                "data": {"data": {"n": n}}}),
        ),
        "/v1/auth/approle/login" => json_reply(
            200,
            json!({"auth": {"client_token": format!("login-{n}"), "accessor": format!("acc-{n}"),
                "renewable": true, "lease_duration": TOKEN_SECS, "orphan": true}}),
        ),
        "/v1/auth/token/lookup-self" => json_reply(
            200,
            json!({"data": {"id": token, "accessor": "acc", "policies": ["default"]}}),
        ),
        "/v1/sys/leases/renew" | "/v1/auth/token/renew-self"
            if s.renew_fails.load(Ordering::SeqCst) =>
        {
            json_reply(400, json!({"errors": ["lease not found"]}))
        }
        "/v1/sys/leases/renew" => json_reply(
            200,
            json!({"lease_id": request["lease_id"], "renewable": true, "lease_duration": LEASE_SECS}),
        ),
        "/v1/auth/token/renew-self" => json_reply(
            200,
            json!({"auth": {"client_token": token, "renewable": true, "lease_duration": TOKEN_SECS}}),
        ),
        "/v1/sys/leases/revoke" | "/v1/auth/token/revoke-self" => Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(Full::new(Bytes::new()))
            .unwrap(),
        "/v1/teapot" => Response::builder()
            .status(418)
            .header("content-type", "text/plain")
            .header("x-upstream", "yes")
            .body(Full::new(Bytes::from_static(b"short and stout")))
            .unwrap(),
        _ => json_reply(404, json!({"errors": []})),
    };
    Ok(resp)
}
