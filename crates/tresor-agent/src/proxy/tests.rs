//! The proxy end to end, against a fake server: the harness and the forwarding tests;
//! listeners and the cache have files of their own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cache;
mod fake;
mod listeners;

use super::{bind, handler::State, ProxyConfig, ProxyError};
use crate::config::{Listener, ListenerKind};
use fake::Fake;
use serde_json::Value;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tresor_crypto::SecretString;

pub struct Opts {
    pub use_auto: bool,
    pub force: bool,
    pub cache: bool,
    pub auto_token: Option<&'static str>,
    pub listener: Listener,
}

impl Default for Opts {
    fn default() -> Self {
        Self {
            use_auto: false,
            force: false,
            cache: false,
            auto_token: None,
            listener: tcp(),
        }
    }
}

pub fn tcp() -> Listener {
    Listener {
        kind: ListenerKind::Tcp,
        address: "127.0.0.1:0".into(),
        tls_disable: true,
        tls_cert_file: None,
        tls_key_file: None,
        socket_mode: None,
        require_request_header: false,
    }
}

pub struct Harness {
    /// `http://ip:port` of a tcp listener (meaningless for a unix one).
    pub url: String,
    pub addresses: Vec<String>,
    pub fake: Fake,
    pub state: Arc<State>,
    pub token: watch::Sender<Option<SecretString>>,
    task: JoinHandle<Result<Infallible, ProxyError>>,
}

impl Harness {
    /// Stops the proxy and waits until its listeners are gone.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        client().get(format!("{}{path}", self.url))
    }
}

pub fn server(address: &str) -> tresor_api::Settings {
    tresor_api::Settings {
        address: address.to_owned(),
        token: None,
        ca_cert: None,
        skip_verify: false,
        client_cert: None,
        client_key: None,
    }
}

pub async fn start(opts: Opts) -> Harness {
    let fake = Fake::start().await;
    let config = ProxyConfig {
        listeners: vec![opts.listener],
        server: server(&fake.address),
        use_auto_auth_token: opts.use_auto,
        force_auto_auth_token: opts.force,
        cache: opts.cache,
    };
    let (token, rx) = watch::channel(opts.auto_token.map(SecretString::from));
    let bound = bind(&config).await.unwrap();
    let addresses = bound.addresses();
    let state = Arc::new(bound.state(rx));
    let task = tokio::spawn(bound.run(state.clone()));
    Harness {
        url: format!("http://{}", addresses[0]),
        addresses,
        fake,
        state,
        token,
        task,
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub async fn json(resp: reqwest::Response) -> Value {
    resp.json().await.unwrap()
}

fn tokens(fake: &Fake, path: &str) -> Vec<Option<String>> {
    fake.seen_at(path).into_iter().map(|s| s.token).collect()
}

const KV: &str = "/v1/secret/data/app";

#[tokio::test]
async fn the_token_rules() {
    let on = start(Opts {
        use_auto: true,
        auto_token: Some("auto"),
        ..Opts::default()
    })
    .await;
    on.get(KV).send().await.unwrap();
    on.get(KV)
        .header("X-Vault-Token", "app")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tokens(&on.fake, KV),
        [Some("auto".into()), Some("app".into())]
    );

    let force = start(Opts {
        use_auto: true,
        force: true,
        auto_token: Some("auto"),
        ..Opts::default()
    })
    .await;
    force
        .get(KV)
        .header("X-Vault-Token", "app")
        .send()
        .await
        .unwrap();
    assert_eq!(tokens(&force.fake, KV), [Some("auto".into())]);

    let off = start(Opts {
        auto_token: Some("auto"),
        ..Opts::default()
    })
    .await;
    off.get(KV).send().await.unwrap();
    off.get(KV)
        .header("X-Vault-Token", "app")
        .send()
        .await
        .unwrap();
    assert_eq!(tokens(&off.fake, KV), [None, Some("app".into())]);
}

#[tokio::test]
async fn no_auto_auth_token_yet_is_503() {
    let h = start(Opts {
        use_auto: true,
        ..Opts::default()
    })
    .await;
    let resp = h.get(KV).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    let body = json(resp).await;
    assert!(body["errors"][0]
        .as_str()
        .unwrap()
        .contains("auto-auth token"));
    assert!(h.fake.seen().is_empty());
    // A request with its own token does not need it.
    let resp = h
        .get(KV)
        .header("X-Vault-Token", "app")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Once auto-auth has a token, it is used.
    h.token.send(Some("auto".into())).unwrap();
    assert_eq!(h.get(KV).send().await.unwrap().status(), 200);
    assert_eq!(
        tokens(&h.fake, KV),
        [Some("app".into()), Some("auto".into())]
    );
}

#[tokio::test]
async fn status_headers_and_bodies_pass_through() {
    let h = start(Opts::default()).await;
    let resp = client()
        .post(format!("{}/v1/teapot?a=1&b=two", h.url))
        .header("x-custom", "c")
        .header("connection", "x-private")
        .header("x-private", "1")
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 418);
    assert_eq!(resp.headers()["x-upstream"], "yes");
    assert_eq!(resp.headers()["content-type"], "text/plain");
    assert!(resp.headers().get("x-cache").is_none());
    assert_eq!(resp.text().await.unwrap(), "short and stout");
    let seen = h.fake.seen_at("/v1/teapot");
    let s = &seen[0];
    assert_eq!(s.method, "POST");
    assert_eq!(s.query.as_deref(), Some("a=1&b=two"));
    assert_eq!(s.body, b"payload");
    assert_eq!(s.headers["x-custom"], "c");
    assert!(s.headers.get("x-private").is_none());
    let fake_host = h.fake.address.trim_start_matches("http://");
    assert_eq!(s.headers["host"], fake_host);
}

#[tokio::test]
async fn the_auto_auth_token_never_shows() {
    let h = start(Opts {
        use_auto: true,
        auto_token: Some("auto"),
        ..Opts::default()
    })
    .await;
    let lookup = "/v1/auth/token/lookup-self";
    let body = json(h.get(lookup).send().await.unwrap()).await;
    assert!(body["data"].get("id").is_none() && body["data"].get("accessor").is_none());
    assert_eq!(body["data"]["policies"][0], "default");
    // An application's own token is its business.
    let body = json(
        h.get(lookup)
            .header("X-Vault-Token", "app")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["data"]["id"], "app");
}

#[tokio::test]
async fn an_unreachable_server_is_vaults_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = ProxyConfig {
        listeners: vec![tcp()],
        server: server(&format!("http://127.0.0.1:{port}")),
        use_auto_auth_token: false,
        force_auto_auth_token: false,
        cache: false,
    };
    let bound = bind(&config).await.unwrap();
    let url = format!("http://{}{KV}", bound.addresses()[0]);
    let (_tx, rx) = watch::channel(None);
    let task = tokio::spawn(bound.serve(rx));
    let resp = client().get(url).send().await.unwrap();
    assert_eq!(resp.status(), 500);
    let body = json(resp).await;
    assert!(body["errors"][0]
        .as_str()
        .unwrap()
        .starts_with("failed to get the response"));
    task.abort();
}
