//! Logins: an auth method's login paths need no token; a `Login` becomes a real token
//! whose TTL the method's mount bounds; the root policy cannot be granted that way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tresor_core::mounts::{Registry, Table};
use tresor_core::CoreConfig;
use tresor_sdk::token_params::Cidr;
use tresor_sdk::{
    BackendRequest, Error, ErrorKind, LogicalBackend, Login, LoginRecord, MountContext, Operation,
    RenewTerms, Request, Response,
};
use tresor_testkit::TestCore;

/// Logs in anyone whose password is "right", with the policies they ask for.
#[derive(Debug)]
struct Gate;

#[async_trait]
impl LogicalBackend for Gate {
    fn login_paths(&self) -> &'static [&'static str] {
        &["login/*"]
    }

    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        let Some(user) = req.path.strip_prefix("login/") else {
            return Err(Error::UnsupportedPath);
        };
        if req.data.get("password").and_then(|p| p.as_str()) != Some("right") {
            return Err(Error::bad_request("invalid username or password"));
        }
        let policies: Vec<String> = req.data["policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
        Ok(Response {
            login: Some(Login {
                policies,
                display_name: user.to_owned(),
                ttl: Duration::from_secs(req.data.get("ttl").and_then(|t| t.as_u64()).unwrap_or(0)),
                bound_cidrs: match req.data.get("cidr").and_then(|c| c.as_str()) {
                    Some(c) => vec![Cidr::parse_block(c).unwrap()],
                    None => Vec::new(),
                },
                max_ttl: Duration::from_secs(
                    req.data
                        .get("max_ttl")
                        .and_then(|t| t.as_u64())
                        .unwrap_or(0),
                ),
                renewable: true,
                internal_data: [("kept".to_owned(), KEPT.to_owned())].into(),
                metadata: match req.data.get("terms").and_then(|t| t.as_str()) {
                    Some(t) => [("terms".to_owned(), t.to_owned())].into(),
                    None => Default::default(),
                },
                ..Login::default()
            }),
            ..Response::default()
        })
    }

    /// Renews only tokens whose internal data came back intact; with `terms: role` in
    /// the metadata, under "the role's" terms of today (10 minutes, at most 30).
    async fn renew_login(
        &self,
        _req: &BackendRequest<'_>,
        login: &LoginRecord<'_>,
    ) -> Result<Option<RenewTerms>, Error> {
        if login.internal_data.get("kept").map(String::as_str) != Some(KEPT) {
            return Err(Error::bad_request("internal data lost"));
        }
        Ok(
            (login.metadata.get("terms").map(String::as_str) == Some("role")).then(|| RenewTerms {
                ttl: Duration::from_secs(600),
                max_ttl: Duration::from_secs(1800),
                period: Duration::ZERO,
            }),
        )
    }
}

const KEPT: &str = "internal-value-never-shown";

fn gate(_: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(Gate))
}

async fn core_with_gate() -> TestCore {
    let mut registry = Registry::default();
    registry.register(Table::Auth, "gate", gate);
    let t = TestCore::with_config(CoreConfig {
        registry,
        ..CoreConfig::default()
    })
    .await;
    t.root_call(Operation::Update, "sys/auth/gate", json!({"type": "gate"}))
        .await
        .unwrap();
    t.root_call(
        Operation::Update,
        "sys/auth/gate/tune",
        json!({"max_lease_ttl": "2h"}),
    )
    .await
    .unwrap();
    t
}

fn login_request(body: serde_json::Value) -> Request {
    Request::new(Operation::Update, "auth/gate/login/alice")
        .with_data(body.as_object().cloned().unwrap())
}

#[tokio::test]
async fn a_login_makes_a_token_bounded_by_the_mount() {
    let t = core_with_gate().await;
    let resp = t
        .core
        .handle(login_request(
            json!({"password": "right", "policies": ["Reader "], "ttl": 86400}),
        ))
        .await
        .unwrap();
    let auth = resp.auth.unwrap();
    assert_eq!(auth.policies, vec!["default", "reader"]);
    assert_eq!(
        auth.lease_duration, 7200,
        "capped by the mount's max_lease_ttl"
    );
    assert!(auth.renewable && auth.orphan);
    let token = auth.client_token.expose().to_owned();
    let me = t
        .call(Operation::Read, "auth/token/lookup-self", &token, json!({}))
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(me["display_name"], "gate-alice");
    assert_eq!(me["path"], "auth/gate/login/alice");
}

#[tokio::test]
async fn failed_and_forbidden_logins_issue_nothing() {
    let t = core_with_gate().await;
    let err = t
        .core
        .handle(login_request(json!({"password": "wrong", "policies": []})))
        .await
        .unwrap_err();
    assert_eq!(err.messages(), vec!["invalid username or password"]);
    let err = t
        .core
        .handle(login_request(
            json!({"password": "right", "policies": [" ROOT"]}),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    let accessors = t
        .root_call(Operation::List, "auth/token/accessors/", json!({}))
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(
        accessors["keys"].as_array().unwrap().len(),
        1,
        "only the root token exists"
    );
    // Paths that are not login paths still need a token.
    let err = t
        .core
        .handle(Request::new(Operation::Read, "auth/gate/users/alice"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
}

#[tokio::test]
async fn a_token_bound_to_cidrs_works_only_from_there() {
    let t = core_with_gate().await;
    let req = login_request(json!({"password": "right", "policies": [], "cidr": "10.1.0.0/16"}));
    let token = t
        .core
        .handle(req)
        .await
        .unwrap()
        .auth
        .unwrap()
        .client_token
        .expose()
        .to_owned();
    let from = |addr: &str| {
        let mut r =
            Request::new(Operation::Read, "auth/token/lookup-self").with_token(token.as_str());
        r.client_addr = Some(addr.to_owned());
        t.core.handle(r)
    };
    assert!(from("10.1.2.3").await.is_ok());
    assert_eq!(
        from("10.2.0.1").await.unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    assert_eq!(
        from("127.0.0.1").await.unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
}

#[tokio::test]
async fn renewal_stays_bound_by_the_issuing_mount() {
    let t = core_with_gate().await;
    let req = login_request(json!({"password": "right", "policies": [], "ttl": 3600}));
    let token = t
        .core
        .handle(req)
        .await
        .unwrap()
        .auth
        .unwrap()
        .client_token
        .expose()
        .to_owned();
    let renewed = t
        .call(
            Operation::Update,
            "auth/token/renew-self",
            &token,
            json!({"increment": "10h"}),
        )
        .await
        .unwrap();
    let ttl = renewed.auth.unwrap().lease_duration;
    assert!(
        ttl <= 7200 && ttl > 7000,
        "capped by the gate mount's 2h max, got {ttl}"
    );
}

async fn gate_token(t: &TestCore, body: serde_json::Value) -> String {
    let auth = t
        .core
        .handle(login_request(body))
        .await
        .unwrap()
        .auth
        .unwrap();
    auth.client_token.expose().to_owned()
}

async fn renew_ttl(t: &TestCore, token: &str, body: serde_json::Value) -> u64 {
    let renewed = t
        .call(Operation::Update, "auth/token/renew-self", token, body)
        .await
        .unwrap();
    renewed.auth.unwrap().lease_duration
}

#[tokio::test]
async fn the_logins_max_ttl_bounds_renewals() {
    let t = core_with_gate().await;
    let token = gate_token(
        &t,
        json!({"password": "right", "policies": [], "ttl": 600, "max_ttl": 1800}),
    )
    .await;
    let ttl = renew_ttl(&t, &token, json!({"increment": "10h"})).await;
    assert!(
        ttl <= 1800 && ttl > 1700,
        "capped by the login's 30m max, not the mount's 2h: {ttl}"
    );
}

#[tokio::test]
async fn internal_data_reaches_the_method_and_no_client() {
    let t = core_with_gate().await;
    let token = gate_token(&t, json!({"password": "right", "policies": []})).await;
    let me = t
        .call(Operation::Read, "auth/token/lookup-self", &token, json!({}))
        .await
        .unwrap();
    let shown = serde_json::to_string(&me.data).unwrap();
    assert!(!shown.contains(KEPT), "internal data shown: {shown}");
    let renewed = t
        .call(
            Operation::Update,
            "auth/token/renew-self",
            &token,
            json!({}),
        )
        .await
        .unwrap();
    let shown = format!("{:?}", renewed.auth);
    assert!(!shown.contains(KEPT), "internal data shown: {shown}");
}

#[tokio::test]
async fn the_methods_terms_of_today_apply_at_renewal() {
    let t = core_with_gate().await;
    let token = gate_token(
        &t,
        json!({"password": "right", "policies": [], "ttl": 3600, "terms": "role"}),
    )
    .await;
    assert_eq!(
        renew_ttl(&t, &token, json!({})).await,
        600,
        "the role's ttl now"
    );
    let ttl = renew_ttl(&t, &token, json!({"increment": "10h"})).await;
    assert!(ttl <= 1800 && ttl > 1700, "the role's max now: {ttl}");
}
