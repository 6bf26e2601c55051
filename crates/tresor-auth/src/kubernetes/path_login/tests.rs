//! Logins against the fake cluster of [`crate::kubernetes::test_cluster`]: real TLS, the
//! real TokenReview types, RS256 and ES256 tokens signed here.

use crate::kubernetes::test_cluster::{mount, new_ca, sign, Cluster, Sa, SigningKey, API_AUDIENCE};
use crate::testkit::Harness;
use k8s_openapi::api::authentication::v1::{TokenReviewStatus, UserInfo};
use serde_json::{json, Value};
use std::time::Duration;
use tresor_sdk::{Error, ErrorKind, Login, Operation::*};

const NOW: u64 = 1_800_000_000;
const REVIEWER: &str = "reviewer-jwt-canary";

/// A mount configured for `cluster` with the reviewer JWT, and role `web` binding `web`
/// in `default` (plus `role` fields).
async fn setup(cluster: &Cluster, role: Value) -> (Harness, tempfile::TempDir) {
    let (h, dir) = mount().await;
    let config = json!({"kubernetes_host": cluster.url, "kubernetes_ca_cert": cluster.ca_pem,
        "token_reviewer_jwt": REVIEWER, "disable_local_ca_jwt": true});
    h.call(Update, "config", config).await.unwrap();
    let mut body = json!({"bound_service_account_names": "web",
        "bound_service_account_namespaces": "default", "token_policies": "web-read"});
    for (k, v) in role.as_object().unwrap() {
        body[k] = v.clone();
    }
    h.call(Update, "role/web", body).await.unwrap();
    (h, dir)
}

async fn login(h: &Harness, role: &str, jwt: &str) -> Result<Login, Error> {
    let resp = h
        .call(Update, "login", json!({"role": role, "jwt": jwt}))
        .await?;
    Ok(resp.login.unwrap())
}

/// The refusal of a login, checked to carry none of `secrets`.
async fn refused(h: &Harness, role: &str, jwt: &str, secrets: &[&str]) -> (ErrorKind, String) {
    let e = login(h, role, jwt).await.unwrap_err();
    let shown = format!("{e} {e:?} {:?}", e.messages());
    for s in secrets.iter().chain([&jwt, &REVIEWER]) {
        assert!(!shown.contains(s), "{shown} leaks a token");
    }
    (e.kind(), e.to_string())
}

fn reviews(cluster: &Cluster) -> usize {
    cluster.seen().iter().filter(|s| s.review.is_some()).count()
}

#[tokio::test]
async fn token_review_login_answers_vaults_token() {
    let cluster = Cluster::start(&[REVIEWER]).await;
    let (h, _dir) = setup(&cluster, json!({"token_ttl": "10m"})).await;
    let sa = Sa::new("default", "web");
    let jwt = cluster.issue(&SigningKey::rsa(), &sa, &[API_AUDIENCE], NOW);
    let l = login(&h, "web", &jwt).await.unwrap();
    assert_eq!(l.policies, ["web-read"]);
    assert_eq!(l.ttl, Duration::from_secs(600));
    assert_eq!(l.display_name, "default-web");
    assert_eq!(l.alias_name, sa.uid);
    let meta = |m: &std::collections::BTreeMap<String, String>, k: &str| m.get(k).cloned();
    assert_eq!(meta(&l.metadata, "role").as_deref(), Some("web"));
    assert_eq!(
        meta(&l.metadata, "service_account_uid"),
        Some(sa.uid.clone())
    );
    assert_eq!(
        meta(&l.metadata, "service_account_name").as_deref(),
        Some("web")
    );
    assert_eq!(
        meta(&l.metadata, "service_account_namespace").as_deref(),
        Some("default")
    );
    assert_eq!(
        meta(&l.metadata, "service_account_secret_name").as_deref(),
        Some("")
    );
    let mut alias_keys: Vec<&str> = l.alias_metadata.keys().map(String::as_str).collect();
    alias_keys.sort();
    assert_eq!(
        alias_keys,
        [
            "service_account_name",
            "service_account_namespace",
            "service_account_secret_name",
            "service_account_uid"
        ]
    );
    let seen = cluster.seen();
    assert_eq!(seen.len(), 1);
    let call = &seen[0];
    assert_eq!(
        (
            call.method.as_str(),
            call.path.as_str(),
            call.bearer.as_str()
        ),
        (
            "POST",
            "/apis/authentication.k8s.io/v1/tokenreviews",
            REVIEWER
        )
    );
    let spec = &call.review.as_ref().unwrap().spec;
    assert_eq!(spec.token.as_deref(), Some(jwt.as_str()));
    assert_eq!(
        spec.audiences.as_deref(),
        Some(&[API_AUDIENCE.to_owned()][..]),
        "the token's own audiences when the role sets none"
    );
}

#[tokio::test]
async fn the_role_audience_is_asked_for_and_must_be_granted() {
    let cluster = Cluster::start(&[REVIEWER]).await;
    let (h, _dir) = setup(&cluster, json!({"audience": "vault"})).await;
    let sa = Sa::new("default", "web");
    let jwt = cluster.issue(&SigningKey::ec(), &sa, &["vault"], NOW);
    login(&h, "web", &jwt).await.unwrap();
    let spec = cluster.seen()[0].review.clone().unwrap().spec;
    assert_eq!(spec.audiences, Some(vec!["vault".to_owned()]));
    // A token claiming the audience, which the cluster honours for another one only.
    let other = sign(&SigningKey::ec(), &sa.projected(&["vault"], NOW));
    cluster.honour(&other, &sa, &["elsewhere"]);
    assert_eq!(
        refused(&h, "web", &other, &[]).await,
        (ErrorKind::PermissionDenied, "permission denied".to_owned())
    );
    // A token without the audience is refused before any call.
    let before = reviews(&cluster);
    let wrong = cluster.issue(&SigningKey::ec(), &sa, &["elsewhere"], NOW);
    let (kind, msg) = refused(&h, "web", &wrong, &[]).await;
    assert_eq!(kind, ErrorKind::PermissionDenied);
    assert_eq!(
        msg,
        "invalid audience (aud) claim: audience claim does not match any expected audience"
    );
    assert_eq!(reviews(&cluster), before);
}

#[tokio::test]
async fn bindings_are_checked_before_any_call() {
    let cluster = Cluster::start(&[REVIEWER]).await;
    let (h, _dir) = setup(&cluster, json!({})).await;
    let key = SigningKey::rsa();
    let other_ns = cluster.issue(&key, &Sa::new("kube-system", "web"), &[API_AUDIENCE], NOW);
    let other_name = cluster.issue(&key, &Sa::new("default", "admin"), &[API_AUDIENCE], NOW);
    assert_eq!(
        refused(&h, "web", &other_ns, &[]).await,
        (
            ErrorKind::PermissionDenied,
            "namespace not authorized".to_owned()
        )
    );
    assert_eq!(
        refused(&h, "web", &other_name, &[]).await,
        (
            ErrorKind::PermissionDenied,
            "service account name not authorized".to_owned()
        )
    );
    assert_eq!(
        refused(&h, "nope", &other_name, &[]).await,
        (
            ErrorKind::BadRequest,
            "invalid role name \"nope\"".to_owned()
        )
    );
    assert_eq!(
        refused(&h, "web", "not-a-jwt", &[]).await,
        (ErrorKind::PermissionDenied, "permission denied".to_owned())
    );
    let expired = cluster.issue(
        &key,
        &Sa::new("default", "web"),
        &[API_AUDIENCE],
        NOW - 3600,
    );
    assert_eq!(
        refused(&h, "web", &expired, &[]).await,
        (
            ErrorKind::PermissionDenied,
            "invalid expiration time (exp) claim: token is expired".to_owned()
        )
    );
    assert!(
        cluster.seen().is_empty(),
        "no call was made: {:?}",
        cluster.seen()
    );
    for (body, msg) in [
        (json!({"jwt": "x"}), "missing role"),
        (json!({"role": "web"}), "missing jwt"),
    ] {
        let e = h.call(Update, "login", body).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.to_string()),
            (ErrorKind::BadRequest, msg.to_owned())
        );
    }
}

#[tokio::test]
async fn glob_bindings() {
    let cluster = Cluster::start(&[REVIEWER]).await;
    let role = json!({"bound_service_account_names": "app-*,worker",
        "bound_service_account_namespaces": ["team-*", "default"]});
    let (h, _dir) = setup(&cluster, role).await;
    let key = SigningKey::rsa();
    for (ns, name, ok) in [
        ("team-a", "app-frontend", true),
        ("default", "worker", true),
        ("team-b", "worker", true),
        ("team-a", "xapp-frontend", false),
        ("teams", "app-x", false),
        ("default", "workers", false),
    ] {
        let jwt = cluster.issue(&key, &Sa::new(ns, name), &[API_AUDIENCE], NOW);
        assert_eq!(login(&h, "web", &jwt).await.is_ok(), ok, "{ns}/{name}");
    }
    h.call(
        Update,
        "role/any",
        json!({"bound_service_account_names": "*", "bound_service_account_namespaces": "*"}),
    )
    .await
    .unwrap();
    let jwt = cluster.issue(&key, &Sa::new("anything", "at-all"), &[API_AUDIENCE], NOW);
    login(&h, "any", &jwt).await.unwrap();
}

#[tokio::test]
async fn alias_name_source() {
    let cluster = Cluster::start(&[REVIEWER]).await;
    let (h, _dir) = setup(
        &cluster,
        json!({"alias_name_source": "serviceaccount_name"}),
    )
    .await;
    let jwt = cluster.issue(
        &SigningKey::rsa(),
        &Sa::new("default", "web"),
        &[API_AUDIENCE],
        NOW,
    );
    assert_eq!(
        login(&h, "web", &jwt).await.unwrap().alias_name,
        "default/web"
    );
    h.call(
        Update,
        "role/web",
        json!({"alias_name_source": "serviceaccount_uid"}),
    )
    .await
    .unwrap();
    assert_eq!(
        login(&h, "web", &jwt).await.unwrap().alias_name,
        "uid-default-web"
    );
}

#[tokio::test]
async fn the_review_must_vouch_for_the_same_account() {
    let cluster = Cluster::start(&[REVIEWER]).await;
    let (h, _dir) = setup(&cluster, json!({})).await;
    let sa = Sa::new("default", "web");
    let key = SigningKey::rsa();
    let unknown = sign(&key, &sa.projected(&[API_AUDIENCE], NOW));
    let denied = (ErrorKind::PermissionDenied, "permission denied".to_owned());
    assert_eq!(
        refused(&h, "web", &unknown, &[]).await,
        denied,
        "not issued by the cluster"
    );
    let claims_web = sign(&key, &sa.projected(&[API_AUDIENCE], NOW + 1));
    cluster.honour(&claims_web, &Sa::new("default", "other"), &[API_AUDIENCE]);
    assert_eq!(
        refused(&h, "web", &claims_web, &[]).await,
        denied,
        "another account's token"
    );
    let recreated = sign(&key, &sa.projected(&[API_AUDIENCE], NOW + 2));
    let mut new_uid = sa.clone();
    new_uid.uid = "uid-recreated".to_owned();
    cluster.honour(&recreated, &new_uid, &[API_AUDIENCE]);
    assert_eq!(
        refused(&h, "web", &recreated, &[]).await,
        denied,
        "another UID"
    );
    assert_eq!(reviews(&cluster), 3);
}

#[tokio::test]
async fn the_review_answer_is_checked_field_by_field() {
    let cluster = Cluster::start(&[REVIEWER]).await;
    let (h, _dir) = setup(&cluster, json!({"audience": "vault"})).await;
    let sa = Sa::new("default", "web");
    let jwt = sign(&SigningKey::rsa(), &sa.projected(&["vault"], NOW));
    let user = |username: &str| UserInfo {
        username: Some(username.to_owned()),
        uid: Some(sa.uid.clone()),
        ..UserInfo::default()
    };
    let good = TokenReviewStatus {
        authenticated: Some(true),
        audiences: Some(vec!["vault".to_owned()]),
        user: Some(user("system:serviceaccount:default:web")),
        ..TokenReviewStatus::default()
    };
    cluster.force(good.clone());
    login(&h, "web", &jwt).await.unwrap();
    let denied = (ErrorKind::PermissionDenied, "permission denied".to_owned());
    for (what, status) in [
        (
            "not authenticated",
            TokenReviewStatus {
                authenticated: Some(false),
                ..good.clone()
            },
        ),
        (
            "authenticated unset",
            TokenReviewStatus {
                authenticated: None,
                ..good.clone()
            },
        ),
        (
            "an error",
            TokenReviewStatus {
                error: Some("boom".to_owned()),
                ..good.clone()
            },
        ),
        (
            "another audience",
            TokenReviewStatus {
                audiences: Some(vec!["other".to_owned()]),
                ..good.clone()
            },
        ),
        (
            "no audiences",
            TokenReviewStatus {
                audiences: None,
                ..good.clone()
            },
        ),
        (
            "not a service account",
            TokenReviewStatus {
                user: Some(user("system:node:default:web")),
                ..good.clone()
            },
        ),
        (
            "a user",
            TokenReviewStatus {
                user: Some(user("web")),
                ..good.clone()
            },
        ),
        (
            "another namespace",
            TokenReviewStatus {
                user: Some(user("system:serviceaccount:other:web")),
                ..good.clone()
            },
        ),
        ("no status", TokenReviewStatus::default()),
    ] {
        cluster.force(status);
        assert_eq!(refused(&h, "web", &jwt, &[]).await, denied, "{what}");
    }
}

#[tokio::test]
async fn a_rejected_reviewer_token_is_named_not_echoed() {
    let cluster = Cluster::start(&["some-other-reviewer"]).await;
    let (h, _dir) = setup(&cluster, json!({})).await;
    let jwt = cluster.issue(
        &SigningKey::rsa(),
        &Sa::new("default", "web"),
        &[API_AUDIENCE],
        NOW,
    );
    let (kind, msg) = refused(&h, "web", &jwt, &["some-other-reviewer"]).await;
    assert_eq!(kind, ErrorKind::PermissionDenied);
    assert!(
        msg.contains("refused the configured token_reviewer_jwt"),
        "{msg}"
    );
    assert!(msg.contains("HTTP 401"), "{msg}");
}

#[tokio::test]
async fn an_untrusted_api_certificate_is_refused() {
    let cluster = Cluster::start(&[REVIEWER]).await;
    let (h, _dir) = setup(&cluster, json!({})).await;
    let jwt = cluster.issue(
        &SigningKey::rsa(),
        &Sa::new("default", "web"),
        &[API_AUDIENCE],
        NOW,
    );
    let other_ca = new_ca().pem();
    let config = json!({"kubernetes_host": cluster.url, "kubernetes_ca_cert": other_ca,
        "token_reviewer_jwt": REVIEWER, "disable_local_ca_jwt": true});
    h.call(Update, "config", config).await.unwrap();
    let denied = (ErrorKind::PermissionDenied, "permission denied".to_owned());
    assert_eq!(refused(&h, "web", &jwt, &[]).await, denied);
    // Without a CA: the system's roots, which do not hold the test CA either.
    let config = json!({"kubernetes_host": cluster.url, "token_reviewer_jwt": REVIEWER,
        "disable_local_ca_jwt": true});
    h.call(Update, "config", config).await.unwrap();
    assert_eq!(refused(&h, "web", &jwt, &[]).await, denied);
    assert!(
        cluster.seen().is_empty(),
        "the token never left: {:?}",
        cluster.seen()
    );
    let config = json!({"kubernetes_host": cluster.url, "kubernetes_ca_cert": cluster.ca_pem,
        "token_reviewer_jwt": REVIEWER, "disable_local_ca_jwt": true});
    h.call(Update, "config", config).await.unwrap();
    login(&h, "web", &jwt).await.unwrap();
}

#[tokio::test]
async fn the_pods_own_token_is_read_again_for_every_review() {
    let cluster = Cluster::start(&["pod-token-a"]).await;
    let (h, dir) = setup(&cluster, json!({})).await;
    std::fs::write(dir.path().join("token"), "pod-token-a\n").unwrap();
    std::fs::write(dir.path().join("ca.crt"), &cluster.ca_pem).unwrap();
    h.call(Update, "config", json!({"kubernetes_host": cluster.url}))
        .await
        .unwrap();
    let jwt = cluster.issue(
        &SigningKey::rsa(),
        &Sa::new("default", "web"),
        &[API_AUDIENCE],
        NOW,
    );
    login(&h, "web", &jwt).await.unwrap();
    // The token rotates: the API takes only the new one, which the file does not hold yet.
    cluster.set_reviewers(&["pod-token-b"]);
    let (kind, msg) = refused(&h, "web", &jwt, &["pod-token-a", "pod-token-b"]).await;
    assert_eq!(kind, ErrorKind::PermissionDenied);
    assert!(msg.contains("tresor's own service-account token"), "{msg}");
    std::fs::write(dir.path().join("token"), "pod-token-b").unwrap();
    login(&h, "web", &jwt).await.unwrap();
    let bearers: Vec<String> = cluster.seen().into_iter().map(|s| s.bearer).collect();
    assert_eq!(bearers, ["pod-token-a", "pod-token-a", "pod-token-b"]);
    // Without the pod's token, the login JWT reviews itself (as Vault).
    std::fs::remove_file(dir.path().join("token")).unwrap();
    cluster.set_reviewers(&[&jwt]);
    login(&h, "web", &jwt).await.unwrap();
    // The local files are ignored once disabled.
    let config = json!({"kubernetes_host": cluster.url, "disable_local_ca_jwt": true});
    h.call(Update, "config", config).await.unwrap();
    assert!(
        login(&h, "web", &jwt).await.is_err(),
        "the local CA is not used"
    );
}

/// A mount verifying tokens with `keys` only (its API host does not answer).
async fn local_keys(keys: &[String], config: Value) -> (Harness, tempfile::TempDir) {
    let (h, dir) = mount().await;
    let mut body = json!({"kubernetes_host": "https://127.0.0.1:9", "pem_keys": keys,
        "disable_local_ca_jwt": true});
    for (k, v) in config.as_object().unwrap() {
        body[k] = v.clone();
    }
    h.call(Update, "config", body).await.unwrap();
    h.call(
        Update,
        "role/web",
        json!({"bound_service_account_names": "web",
        "bound_service_account_namespaces": "default"}),
    )
    .await
    .unwrap();
    (h, dir)
}

#[tokio::test]
async fn pem_keys_verify_rs256_and_es256_locally() {
    let (rsa, ec) = (SigningKey::rsa(), SigningKey::ec());
    let (h, _dir) = local_keys(&[rsa.public_pem(), ec.certificate_pem()], json!({})).await;
    let sa = Sa::new("default", "web");
    let claims = sa.projected(&[API_AUDIENCE], NOW);
    assert_eq!(
        login(&h, "web", &sign(&rsa, &claims))
            .await
            .unwrap()
            .alias_name,
        sa.uid
    );
    login(&h, "web", &sign(&ec, &claims)).await.unwrap();
    let legacy = login(&h, "web", &sign(&rsa, &sa.legacy())).await.unwrap();
    assert_eq!(
        legacy
            .metadata
            .get("service_account_secret_name")
            .map(String::as_str),
        Some("web-token-abcde")
    );
    let denied = (ErrorKind::PermissionDenied, "permission denied".to_owned());
    for forged in [
        sign(&SigningKey::rsa_n(1), &claims),
        sign(&SigningKey::ec(), &claims),
    ] {
        assert_eq!(
            refused(&h, "web", &forged, &[]).await,
            denied,
            "bad signature"
        );
    }
    let expired = sign(&rsa, &sa.projected(&[API_AUDIENCE], NOW - 700));
    assert_eq!(
        refused(&h, "web", &expired, &[]).await.1,
        "invalid expiration time (exp) claim: token is expired"
    );
    h.clock.advance(Duration::from_secs(661));
    assert!(
        login(&h, "web", &sign(&rsa, &claims)).await.is_err(),
        "expired on the mount's clock"
    );
}

#[tokio::test]
async fn pem_keys_with_issuer_and_audience_checks() {
    let rsa = SigningKey::rsa();
    let config = json!({"disable_iss_validation": false, "issuer": API_AUDIENCE});
    let (h, _dir) = local_keys(&[rsa.public_pem()], config).await;
    let sa = Sa::new("default", "web");
    login(&h, "web", &sign(&rsa, &sa.projected(&["vault"], NOW)))
        .await
        .unwrap();
    let mut claims = sa.projected(&["vault"], NOW);
    claims["iss"] = json!("https://evil.example");
    assert_eq!(
        refused(&h, "web", &sign(&rsa, &claims), &[]).await.1,
        "invalid issuer (iss) claim"
    );
    h.call(Update, "role/web", json!({"audience": "vault"}))
        .await
        .unwrap();
    login(&h, "web", &sign(&rsa, &sa.projected(&["vault"], NOW)))
        .await
        .unwrap();
    let wrong = sign(&rsa, &sa.projected(&["other"], NOW));
    assert_eq!(
        refused(&h, "web", &wrong, &[]).await,
        (
            ErrorKind::PermissionDenied,
            "invalid audience (aud) claim: audience claim does not match any expected audience"
                .to_owned()
        )
    );
    // Without an issuer configured, validation expects the legacy issuer.
    let (h, _dir) = local_keys(
        &[rsa.public_pem()],
        json!({"disable_iss_validation": false}),
    )
    .await;
    login(&h, "web", &sign(&rsa, &sa.legacy())).await.unwrap();
    assert!(login(&h, "web", &sign(&rsa, &sa.projected(&[], NOW)))
        .await
        .is_err());
}

#[tokio::test]
async fn namespace_selector_reads_the_namespace() {
    let cluster = Cluster::start(&[REVIEWER]).await;
    let role = json!({"bound_service_account_namespaces": "",
        "bound_service_account_namespace_selector": "{\"matchLabels\":{\"stage\":\"prod\"}}"});
    let (h, _dir) = setup(&cluster, role).await;
    cluster.label_namespace("shop", &[("stage", "prod"), ("team", "a")]);
    cluster.label_namespace("lab", &[("stage", "dev")]);
    let key = SigningKey::rsa();
    let shop = cluster.issue(&key, &Sa::new("shop", "web"), &[API_AUDIENCE], NOW);
    login(&h, "web", &shop).await.unwrap();
    let lab = cluster.issue(&key, &Sa::new("lab", "web"), &[API_AUDIENCE], NOW);
    assert_eq!(
        refused(&h, "web", &lab, &[]).await,
        (
            ErrorKind::PermissionDenied,
            "namespace not authorized".to_owned()
        )
    );
    let calls: Vec<(String, String)> = cluster
        .seen()
        .into_iter()
        .map(|s| (s.method, s.path))
        .collect();
    assert_eq!(
        calls,
        [
            ("GET".to_owned(), "/api/v1/namespaces/shop".to_owned()),
            (
                "POST".to_owned(),
                "/apis/authentication.k8s.io/v1/tokenreviews".to_owned()
            ),
            ("GET".to_owned(), "/api/v1/namespaces/lab".to_owned()),
        ]
    );
    // Listed namespaces are matched first, without a call.
    h.call(
        Update,
        "role/web",
        json!({"bound_service_account_namespaces": "lab",
        "bound_service_account_namespace_selector": "{\"matchLabels\":{\"stage\":\"prod\"}}"}),
    )
    .await
    .unwrap();
    login(&h, "web", &lab).await.unwrap();
    assert_eq!(cluster.seen().len(), 4);
}

#[tokio::test]
async fn token_bound_cidrs_and_a_missing_config() {
    let cluster = Cluster::start(&[REVIEWER]).await;
    let (h, _dir) = setup(&cluster, json!({"token_bound_cidrs": "10.0.0.0/8"})).await;
    let jwt = cluster.issue(
        &SigningKey::rsa(),
        &Sa::new("default", "web"),
        &[API_AUDIENCE],
        NOW,
    );
    let e = login(&h, "web", &jwt).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    let body = json!({"role": "web", "jwt": jwt});
    let l = h
        .call_from(Update, "login", body, Some("10.1.2.3"))
        .await
        .unwrap();
    assert_eq!(l.login.unwrap().bound_cidrs.len(), 1);
    let (h, _dir) = mount().await;
    h.call(
        Update,
        "role/web",
        json!({"bound_service_account_names": "web",
        "bound_service_account_namespaces": "default"}),
    )
    .await
    .unwrap();
    let e = login(&h, "web", &jwt).await.unwrap_err();
    assert_eq!(e.to_string(), "could not load backend configuration");
}
