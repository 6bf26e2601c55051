//! The browser flow against the test provider: discovery, PKCE, the code exchange with
//! the client secret, ID token checks (signature, issuer, nonce, audience, expiry,
//! at_hash), userinfo, and the login that follows.

use super::valid_redirect;
use crate::jwt::testkit::provider::{Grant, Provider};
use crate::jwt::testkit::{backend_of, jwks, jwt_mount, now, TestKey};
use crate::testkit::{messages, Harness};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use tresor_sdk::{Error, ErrorKind, Operation::*, Response};

const REDIRECT: &str = "http://localhost:8250/oidc/callback";
const CLIENT: &str = "tresor-client";
const ACCESS: &str = "access-canary";

struct Flow {
    h: Harness,
    provider: Provider,
    key: TestKey,
}

async fn flow() -> Flow {
    let key = TestKey::rsa("idp-1");
    let provider = Provider::start(true, jwks(&[&key])).await;
    let h = jwt_mount().await;
    h.call(
        Update,
        "config",
        json!({"oidc_discovery_url": provider.url, "oidc_discovery_ca_pem": provider.ca_pem,
            "oidc_client_id": CLIENT, "oidc_client_secret": "client-secret-canary", "default_role": "web"}),
    )
    .await
    .unwrap();
    h.call(
        Update,
        "role/web",
        json!({"user_claim": "email", "allowed_redirect_uris": [REDIRECT], "groups_claim": "groups",
            "oidc_scopes": "profile,email", "claim_mappings": {"name": "name"}, "token_policies": "eng"}),
    )
    .await
    .unwrap();
    Flow { h, provider, key }
}

/// The query of the authorization URL `auth_url` answered.
async fn start(f: &Flow, body: Value) -> HashMap<String, String> {
    let d = f.h.data(Update, "oidc/auth_url", body).await;
    let url = d["auth_url"].as_str().unwrap();
    let prefix = format!("{}/authorize?tenant=t1&", f.provider.url);
    assert!(url.starts_with(&prefix), "{url}");
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl Flow {
    fn id_claims(&self, q: &HashMap<String, String>, extra: Value) -> Value {
        let t = now(&self.h);
        let mut c = json!({"iss": self.provider.url, "sub": "u-1", "aud": CLIENT, "nonce": q["nonce"],
            "iat": t, "exp": t + 300, "email": "alice@example.com", "name": "Alice", "groups": ["eng"]});
        for (k, v) in extra.as_object().unwrap() {
            match v {
                Value::Null => drop(c.as_object_mut().unwrap().remove(k)),
                v => c[k] = v.clone(),
            }
        }
        c
    }

    /// The provider "authenticates the user": `code` will exchange for `id_token`.
    fn grant(&self, q: &HashMap<String, String>, code: &str, id_token: String) {
        self.provider.state().grants.insert(
            code.to_owned(),
            Grant {
                id_token,
                access_token: ACCESS.to_owned(),
                challenge: q["code_challenge"].clone(),
                redirect_uri: q["redirect_uri"].clone(),
            },
        );
    }

    async fn callback(&self, q: &HashMap<String, String>, code: &str) -> Result<Response, Error> {
        self.h
            .call(
                Read,
                "oidc/callback",
                json!({"state": q["state"], "code": code}),
            )
            .await
    }

    /// A full round with the given ID token claims changes.
    async fn round(&self, extra: Value) -> Result<Response, Error> {
        let q = start(self, json!({"role": "web", "redirect_uri": REDIRECT})).await;
        let token = self.key.token(self.id_claims(&q, extra));
        self.grant(&q, "code-1", token);
        self.callback(&q, "code-1").await
    }
}

/// The typed fields of a request to `pattern`, as the router parses them.
fn fields(pattern: &str, body: Value) -> tresor_sdk::framework::Fields {
    let spec = crate::jwt::PATHS
        .iter()
        .find(|p| p.pattern == pattern)
        .unwrap();
    tresor_sdk::framework::Fields::parse(spec.fields, body.as_object().unwrap()).unwrap()
}

fn msg(r: Result<Response, Error>) -> String {
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest, "{e}");
    messages(&e).join("\n")
}

#[tokio::test]
async fn code_flow_logs_in() {
    let f = flow().await;
    f.provider.state().userinfo = Some(json!({"sub": "u-1", "groups": ["eng", "sre"]}));
    let q = start(&f, json!({"redirect_uri": REDIRECT})).await;
    assert_eq!(q["client_id"], CLIENT);
    assert_eq!(
        (q["response_type"].as_str(), q["scope"].as_str()),
        ("code", "openid profile email")
    );
    assert_eq!(
        (
            q["redirect_uri"].as_str(),
            q["code_challenge_method"].as_str()
        ),
        (REDIRECT, "S256")
    );
    assert!(
        q["state"].starts_with("st_") && q["nonce"].starts_with("n_") && q["state"] != q["nonce"]
    );
    assert_eq!(
        URL_SAFE_NO_PAD.decode(&q["code_challenge"]).unwrap().len(),
        32
    );
    let token = f.key.token(f.id_claims(&q, json!({})));
    f.grant(&q, "code-1", token);
    let resp = f.callback(&q, "code-1").await.unwrap();
    let l = resp.login.unwrap();
    assert_eq!(
        (l.display_name.as_str(), l.alias_name.as_str()),
        ("alice@example.com", "alice@example.com")
    );
    assert_eq!(l.policies, ["eng"]);
    let meta: Vec<(&str, &str)> = l
        .metadata
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(meta, [("name", "Alice"), ("role", "web")]);
    assert_eq!(f.provider.hits("/token"), 1);
    assert_eq!(f.provider.hits("/userinfo"), 1);
    // The state is used once.
    assert_eq!(
        msg(f.callback(&q, "code-1").await),
        "Vault login failed. Expired or missing OAuth state."
    );
}

#[tokio::test]
async fn groups_come_from_the_id_token_or_userinfo() {
    let f = flow().await;
    f.provider.state().userinfo = Some(json!({"sub": "u-1", "groups": "sre"}));
    let b = backend_of(&f.h);
    let d = super::auth_url(
        &b,
        &fields("oidc/auth_url", json!({"redirect_uri": REDIRECT})),
    )
    .await
    .unwrap()
    .data
    .unwrap();
    let url = reqwest::Url::parse(d["auth_url"].as_str().unwrap()).unwrap();
    let q: HashMap<String, String> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    f.grant(
        &q,
        "c",
        f.key.token(f.id_claims(&q, json!({"groups": ["eng"]}))),
    );
    let fields = fields("oidc/callback", json!({"state": q["state"], "code": "c"}));
    let (role, issued) = super::complete(&b, &fields, None).await.unwrap();
    assert_eq!(role, "web");
    assert_eq!(
        issued.login.group_aliases,
        ["sre"],
        "userinfo's groups replace the token's"
    );
    // Userinfo for another subject is ignored.
    f.provider.state().userinfo = Some(json!({"sub": "someone-else", "email": "evil@example.com"}));
    let l = f
        .round(json!({"groups": "eng"}))
        .await
        .unwrap()
        .login
        .unwrap();
    assert_eq!(l.alias_name, "alice@example.com");
}

#[tokio::test]
async fn id_tokens_are_verified() {
    let f = flow().await;
    let exchange =
        "Vault login failed. Error exchanging oidc code: \"id_token failed verification: ";
    let t = now(&f.h);
    let other = TestKey::rsa("idp-1");
    for (extra, want) in [
        (json!({"nonce": "n_forged"}), "invalid id_token nonce"),
        (json!({"nonce": null}), "invalid id_token nonce"),
        (
            json!({"iss": "https://evil.example"}),
            "id token issued by a different provider",
        ),
        (
            json!({"aud": "other-client"}),
            "the audience does not contain the client_id",
        ),
        (
            json!({"aud": null}),
            "the audience does not contain the client_id",
        ),
        (
            json!({"aud": [CLIENT, "other"]}),
            "authorized party is not equal client_id",
        ),
        (
            json!({"azp": "other"}),
            "authorized party is not equal client_id",
        ),
        (json!({"exp": t - 1}), "token is expired"),
        (json!({"exp": null}), "token is expired"),
        (json!({"iat": t + 600}), "before the iat (issued at) time"),
        (
            json!({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}),
            "invalid at_hash",
        ),
    ] {
        let m = msg(f.round(extra.clone()).await);
        assert!(m.starts_with(exchange) && m.contains(want), "{extra}: {m}");
    }
    let good_hash = URL_SAFE_NO_PAD.encode(&tresor_crypto::digest::sha256(ACCESS.as_bytes())[..16]);
    f.round(json!({"at_hash": good_hash})).await.unwrap();
    assert!(f
        .round(json!({"aud": [CLIENT, "other"], "azp": CLIENT}))
        .await
        .is_ok());
    // A token signed by a key the provider does not publish.
    let q = start(&f, json!({"redirect_uri": REDIRECT})).await;
    f.grant(&q, "c", other.token(f.id_claims(&q, json!({}))));
    assert!(msg(f.callback(&q, "c").await).contains("failed to verify id token signature"));
    // ES256 is not among the default OIDC algorithms (RS256).
    let ec = TestKey::ec("idp-2");
    f.provider.set_jwks(jwks(&[&f.key, &ec]));
    let q = start(&f, json!({"redirect_uri": REDIRECT})).await;
    f.grant(&q, "c", ec.token(f.id_claims(&q, json!({}))));
    f.h.clock.advance(Duration::from_secs(11));
    assert!(msg(f.callback(&q, "c").await).contains("unsupported algorithm"));
}

#[tokio::test]
async fn role_bindings_apply_to_oidc_logins() {
    let f = flow().await;
    f.h.call(
        Update,
        "role/web",
        json!({"user_claim": "email", "allowed_redirect_uris": [REDIRECT], "bound_audiences": "api",
            "bound_subject": "u-1", "bound_claims": {"hd": "example.com"}, "max_age": "1h"}),
    )
    .await
    .unwrap();
    let t = now(&f.h);
    let ok =
        json!({"aud": [CLIENT, "api"], "azp": CLIENT, "hd": "example.com", "auth_time": t - 60});
    let q = start(&f, json!({"redirect_uri": REDIRECT})).await;
    assert_eq!(q["max_age"], "3600");
    f.grant(&q, "c", f.key.token(f.id_claims(&q, ok.clone())));
    f.callback(&q, "c").await.unwrap();
    for (change, want) in [
        (
            json!({"aud": CLIENT, "azp": null}),
            "invalid id_token audiences",
        ),
        (
            json!({"sub": "u-2"}),
            "Vault login failed. sub claim does not match bound subject",
        ),
        (
            json!({"hd": "evil.com"}),
            "error validating claims: claim \"hd\" does not match",
        ),
        (
            json!({"auth_time": t - 7200}),
            "auth_time is beyond max age",
        ),
        (json!({"auth_time": null}), "missing auth_time claim"),
        (
            json!({"email": null}),
            "Vault login failed. claim \"email\" not found in token",
        ),
    ] {
        let mut claims = ok.clone();
        for (k, v) in change.as_object().unwrap() {
            claims[k] = v.clone();
        }
        let m = msg(f.round(claims).await);
        assert!(m.contains(want), "{change}: {m}");
    }
}

#[tokio::test]
async fn exchange_failures_name_no_secret() {
    let f = flow().await;
    // A code the provider never issued.
    let q = start(&f, json!({"redirect_uri": REDIRECT})).await;
    let m = msg(f.callback(&q, "unknown-code").await);
    assert_eq!(m, "Vault login failed. Error exchanging oidc code: \"oauth2: cannot fetch token: 400 Bad Request: invalid_grant\".");
    // PKCE: a grant bound to another challenge is refused by the provider.
    let q = start(&f, json!({"redirect_uri": REDIRECT})).await;
    let mut wrong = q.clone();
    wrong.insert("code_challenge".into(), "x".repeat(43));
    f.grant(&wrong, "c", f.key.token(f.id_claims(&q, json!({}))));
    assert!(msg(f.callback(&q, "c").await).contains("invalid_grant"));
    // A wrong client secret.
    f.provider.state().client_secret = "rotated".into();
    let m = msg(f.round(json!({})).await);
    assert!(
        m.contains("401 Unauthorized: invalid_client") && !m.contains("canary"),
        "{m}"
    );
    // A provider that takes the secret in the body only.
    f.provider.state().client_secret = "client-secret-canary".into();
    f.provider.state().auth_methods = Some(vec!["client_secret_post".into()]);
    f.h.call(
        Update,
        "config",
        json!({"oidc_discovery_url": f.provider.url, "oidc_discovery_ca_pem": f.provider.ca_pem,
            "oidc_client_id": CLIENT, "oidc_client_secret": "client-secret-canary"}),
    )
    .await
    .unwrap();
    f.round(json!({})).await.unwrap();
}

#[tokio::test]
async fn auth_url_and_callback_requests_are_checked() {
    let f = flow().await;
    let url = |d: tresor_sdk::Data| d["auth_url"].as_str().unwrap().to_owned();
    let bad = json!({"role": "web", "redirect_uri": "https://evil.example/cb"});
    assert_eq!(url(f.h.data(Update, "oidc/auth_url", bad).await), "");
    let other_port = json!({"role": "web", "redirect_uri": "http://localhost:1234/oidc/callback"});
    assert!(!url(f.h.data(Update, "oidc/auth_url", other_port).await).is_empty());
    for (body, want) in [
        (json!({"role": "web"}), "missing redirect_uri"),
        (
            json!({"role": "nope", "redirect_uri": REDIRECT}),
            "role \"nope\" could not be found",
        ),
    ] {
        assert_eq!(msg(f.h.call(Update, "oidc/auth_url", body).await), want);
    }
    // State expires after ten minutes.
    let q = start(&f, json!({"redirect_uri": REDIRECT})).await;
    f.grant(&q, "c", f.key.token(f.id_claims(&q, json!({}))));
    f.h.clock.advance(Duration::from_secs(601));
    assert_eq!(
        msg(f.callback(&q, "c").await),
        "Vault login failed. Expired or missing OAuth state."
    );
    // client_nonce must match when auth_url was given one.
    let q = start(
        &f,
        json!({"redirect_uri": REDIRECT, "client_nonce": "cn-1"}),
    )
    .await;
    let body = json!({"state": q["state"], "code": "c", "client_nonce": "cn-2"});
    assert_eq!(
        msg(f.h.call(Read, "oidc/callback", body).await),
        "invalid client_nonce"
    );
    // The provider's errors.
    let q = start(&f, json!({"redirect_uri": REDIRECT})).await;
    let body =
        json!({"state": q["state"], "error": "access_denied", "error_description": "<b>no</b>"});
    assert_eq!(
        msg(f.h.call(Read, "oidc/callback", body).await),
        "Vault login failed. access_denied"
    );
    let q = start(&f, json!({"redirect_uri": REDIRECT})).await;
    let body = json!({"state": q["state"]});
    assert_eq!(
        msg(f.h.call(Read, "oidc/callback", body).await),
        "Vault login failed. No code or id_token received."
    );
    let e =
        f.h.call(Update, "oidc/callback", json!({"state": "x"}))
            .await
            .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedOperation);
    // Without client credentials the browser flow is off; JWT logins keep working.
    f.h.call(
        Update,
        "config",
        json!({"oidc_discovery_url": f.provider.url, "oidc_discovery_ca_pem": f.provider.ca_pem}),
    )
    .await
    .unwrap();
    let body = json!({"role": "web", "redirect_uri": REDIRECT});
    assert_eq!(
        msg(f.h.call(Update, "oidc/auth_url", body).await),
        "OIDC login is not configured for this mount"
    );
    f.h.call(
        Update,
        "role/cli",
        json!({"role_type": "jwt", "user_claim": "sub", "bound_audiences": CLIENT}),
    )
    .await
    .unwrap();
    let t = now(&f.h);
    let jwt = f.key.token(
        json!({"iss": f.provider.url, "sub": "svc", "aud": CLIENT, "iat": t, "exp": t + 60}),
    );
    let resp =
        f.h.call(Update, "login", json!({"role": "cli", "jwt": jwt}))
            .await
            .unwrap();
    assert_eq!(resp.login.unwrap().alias_name, "svc");
}

#[test]
fn redirects_match_exactly_except_loopback_ports() {
    let allowed = [
        "https://app.example/cb".to_owned(),
        "http://localhost:8250/oidc/callback".to_owned(),
        "http://[::1]:8250/cb".to_owned(),
    ];
    for (uri, ok) in [
        ("https://app.example/cb", true),
        ("https://app.example/cb/", false),
        ("https://app.example:443/cb", false),
        ("https://evil.example/cb", false),
        ("http://localhost:9999/oidc/callback", true),
        ("http://localhost/oidc/callback", true),
        ("http://localhost:8250/other", false),
        ("http://[::1]:1/cb", true),
        ("http://127.0.0.1:8250/oidc/callback", false),
        ("not a url", false),
    ] {
        assert_eq!(valid_redirect(uri, &allowed), ok, "{uri}");
    }
}
