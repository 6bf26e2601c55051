//! The lease cache through the proxy: what is cached, renewals (with a clock moved
//! forward, never slept), revocations and cache-clear.

use super::fake::{LEASE_SECS, TOKEN_SECS};
use super::*;
use reqwest::header::HeaderMap;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::time::Instant;

const CREDS: &str = "/v1/database/creds/app";

fn cached() -> Opts {
    Opts {
        use_auto: true,
        cache: true,
        auto_token: Some("auto"),
        ..Opts::default()
    }
}

/// The username handed out, and the answer's headers.
async fn creds(h: &Harness, token: Option<&str>) -> (String, HeaderMap) {
    let mut req = h.get(CREDS);
    if let Some(t) = token {
        req = req.header("X-Vault-Token", t);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    let body = json(resp).await;
    (
        body["data"]["username"].as_str().unwrap().to_owned(),
        headers,
    )
}

fn cache(h: &Harness) -> Arc<crate::proxy::cache::LeaseCache> {
    h.state.cache.clone().unwrap()
}

async fn put(h: &Harness, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = client().put(format!("{}{path}", h.url)).json(&body);
    if let Some(t) = token {
        req = req.header("X-Vault-Token", t);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn leased_answers_are_shared_and_unleased_ones_are_not() {
    let h = start(cached()).await;
    let (first, miss) = creds(&h, None).await;
    let (second, hit) = creds(&h, None).await;
    assert_eq!(first, second);
    assert_eq!(miss["x-cache"], "MISS");
    assert_eq!(hit["x-cache"], "HIT");
    assert!(hit.contains_key("age") && hit.contains_key("date"));
    assert_eq!(h.fake.seen_at(CREDS).len(), 1);
    // KV reads carry no lease: every one reaches the server.
    for _ in 0..2 {
        let resp = h.get(KV).send().await.unwrap();
        assert_eq!(resp.headers()["x-cache"], "MISS");
    }
    assert_eq!(h.fake.seen_at(KV).len(), 2);
    // A lease made with a token the agent does not manage is passed through.
    let (a, _) = creds(&h, Some("app")).await;
    let (b, _) = creds(&h, Some("app")).await;
    assert_ne!(a, b);
    assert_eq!(cache(&h).len(), 1);
}

#[tokio::test]
async fn concurrent_identical_requests_share_one_lease() {
    let h = start(cached()).await;
    let (a, b) = tokio::join!(creds(&h, None), creds(&h, None));
    assert_eq!(a.0, b.0);
    assert_eq!(h.fake.seen_at(CREDS).len(), 1);
}

#[tokio::test]
async fn leases_are_renewed_then_dropped_when_renewal_fails() {
    let h = start(cached()).await;
    let (user, _) = creds(&h, None).await;
    let cache = cache(&h);
    let t0 = Instant::now();
    cache
        .renew_due(t0 + Duration::from_secs(LEASE_SECS / 2))
        .await;
    assert!(h.fake.seen_at("/v1/sys/leases/renew").is_empty());
    cache
        .renew_due(t0 + Duration::from_secs(LEASE_SECS * 2 / 3 + 1))
        .await;
    let renewals = h.fake.seen_at("/v1/sys/leases/renew");
    assert_eq!(renewals.len(), 1);
    assert_eq!(renewals[0].method, "PUT");
    assert_eq!(renewals[0].token.as_deref(), Some("auto"));
    let body: Value = serde_json::from_slice(&renewals[0].body).unwrap();
    assert_eq!(
        body,
        json!({"lease_id": "database/creds/app/0", "increment": LEASE_SECS})
    );
    assert_eq!(creds(&h, None).await.0, user, "still cached");

    h.fake.shared.renew_fails.store(true, Ordering::SeqCst);
    cache
        .renew_due(t0 + Duration::from_secs(LEASE_SECS * 2))
        .await;
    assert_eq!(cache.len(), 0);
    assert_ne!(creds(&h, None).await.0, user, "a new lease");
}

#[tokio::test]
async fn logins_are_cached_their_tokens_renewed_and_revoked_with_their_leases() {
    let h = start(Opts {
        use_auto: false,
        ..cached()
    })
    .await;
    let login = json!({"role_id": "r", "secret_id": "s"});
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let resp = put(&h, "/v1/auth/approle/login", None, login.clone()).await;
        tokens.push(json(resp).await["auth"]["client_token"].clone());
    }
    assert_eq!(tokens[0], tokens[1]);
    assert_eq!(h.fake.seen_at("/v1/auth/approle/login").len(), 1);
    let token = tokens[0].as_str().unwrap().to_owned();
    // The new token is managed: its leases are cached too.
    let (user, _) = creds(&h, Some(&token)).await;
    assert_eq!(creds(&h, Some(&token)).await.0, user);
    assert_eq!(cache(&h).len(), 2);

    let t0 = Instant::now();
    cache(&h)
        .renew_due(t0 + Duration::from_secs(TOKEN_SECS * 2 / 3 + 1))
        .await;
    let renewals = h.fake.seen_at("/v1/auth/token/renew-self");
    assert_eq!(renewals.len(), 1);
    assert_eq!(renewals[0].token.as_deref(), Some(token.as_str()));
    assert!(
        h.fake.seen_at("/v1/sys/leases/renew").is_empty(),
        "not due yet"
    );

    let resp = put(&h, "/v1/auth/token/revoke-self", Some(&token), json!({})).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(cache(&h).len(), 0, "the token and the lease made with it");
}

#[tokio::test]
async fn revoking_a_lease_through_the_proxy_evicts_it() {
    let h = start(cached()).await;
    let (user, _) = creds(&h, None).await;
    let resp = put(
        &h,
        "/v1/sys/leases/revoke",
        None,
        json!({"lease_id": "database/creds/app/0"}),
    )
    .await;
    assert_eq!(resp.status(), 204);
    assert_eq!(cache(&h).len(), 0);
    assert_ne!(creds(&h, None).await.0, user);
}

#[tokio::test]
async fn cache_clear() {
    let h = start(cached()).await;
    let clear = |body: Value| {
        client()
            .post(format!("{}/agent/v1/cache-clear", h.url))
            .json(&body)
            .send()
    };
    creds(&h, None).await;
    let resp = clear(json!({"type": "nope", "value": "x"})).await.unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(cache(&h).len(), 1);
    let resp = clear(json!({"type": "lease", "value": "database/creds/app/0"}))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(cache(&h).len(), 0);
    creds(&h, None).await;
    creds(&h, Some("auto")).await;
    assert_eq!(cache(&h).len(), 1, "the same request: the same entry");
    let resp = clear(json!({"type": "all"})).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(cache(&h).len(), 0);
    assert!(h.fake.seen_at("/agent/v1/cache-clear").is_empty());
}
