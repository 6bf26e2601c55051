//! Login tests: the audience matrix (SECURITY row 2), times and leeways, issuer and
//! subject, signatures and algorithms (`none`, HMAC keyed with the public key), JWKS over
//! HTTP and HTTPS with key rotation, bound claims, groups and claim mappings.

use crate::jwt::testkit::provider::Provider;
use crate::jwt::testkit::{backend_of, forged, hs256, jwks, jwt_mount, now, TestKey};
use crate::testkit::{messages, Harness};
use serde_json::{json, Value};
use std::time::Duration;
use tresor_sdk::{Error, ErrorKind, Operation::*, Response};

const ISS: &str = "https://issuer.example";

async fn configure(h: &Harness, body: Value) {
    h.call(Update, "config", body).await.unwrap();
}

async fn pubkeys_mount(keys: &[&TestKey]) -> Harness {
    let h = jwt_mount().await;
    let pems: Vec<String> = keys.iter().map(|k| k.pem()).collect();
    configure(
        &h,
        json!({"jwt_validation_pubkeys": pems, "bound_issuer": ISS}),
    )
    .await;
    h
}

async fn role(h: &Harness, name: &str, body: Value) {
    let mut body = body;
    body["role_type"] = json!("jwt");
    if body.get("user_claim").is_none() {
        body["user_claim"] = json!("sub");
    }
    h.call(Update, &format!("role/{name}"), body).await.unwrap();
}

/// Standard claims valid at the harness's "now", with `extra` merged in.
fn claims(h: &Harness, extra: Value) -> Value {
    let t = now(h);
    let mut c = json!({"iss": ISS, "sub": "alice", "iat": t, "exp": t + 60});
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

async fn login(h: &Harness, role: &str, jwt: &str) -> Result<Response, Error> {
    h.call(Update, "login", json!({"role": role, "jwt": jwt}))
        .await
}

/// The 400 message of a refused login; the token never appears in it.
async fn refused(h: &Harness, role: &str, jwt: &str) -> String {
    let e = login(h, role, jwt).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest, "{e}");
    let msg = messages(&e).join("\n");
    let sig = jwt.rsplit('.').next().unwrap_or(jwt);
    assert!(
        sig.len() < 8 || !msg.contains(sig),
        "the token leaked: {msg}"
    );
    assert!(jwt.is_empty() || !format!("{e:?}").contains(jwt));
    msg
}

const NO_AUD_MATCH: &str =
    "error validating token: invalid audience (aud) claim: audience claim does not match any expected audience";
const UNBOUND_AUD: &str = "audience claim found in JWT but no audiences bound to the role";

/// SECURITY row 2 (CVE-2024-5798): `aud` as string, list, missing, mismatched, empty,
/// against roles with and without bound audiences. Only a real match logs in.
#[tokio::test]
async fn audience_matrix() {
    let key = TestKey::rsa("k1");
    let h = pubkeys_mount(&[&key]).await;
    role(&h, "bound", json!({"bound_audiences": ["a1", "a2"]})).await;
    role(&h, "unbound", json!({"bound_subject": "alice"})).await;
    let cases: &[(Value, Option<&str>, Option<&str>)] = &[
        (Value::Null, Some(NO_AUD_MATCH), None),
        (json!("a1"), None, Some(UNBOUND_AUD)),
        (json!(["zz", "a2"]), None, Some(UNBOUND_AUD)),
        (json!(["a1"]), None, Some(UNBOUND_AUD)),
        (json!("zz"), Some(NO_AUD_MATCH), Some(UNBOUND_AUD)),
        (json!(["zz", "yy"]), Some(NO_AUD_MATCH), Some(UNBOUND_AUD)),
        (json!([]), Some(NO_AUD_MATCH), None),
        (json!(""), Some(NO_AUD_MATCH), Some(UNBOUND_AUD)),
        (json!("A1"), Some(NO_AUD_MATCH), Some(UNBOUND_AUD)),
    ];
    for (aud, bound, unbound) in cases {
        let token = key.token(claims(&h, json!({"aud": aud})));
        for (role, want) in [("bound", bound), ("unbound", unbound)] {
            match want {
                None => assert!(
                    login(&h, role, &token).await.unwrap().login.is_some(),
                    "{role} aud={aud}"
                ),
                Some(msg) => assert_eq!(refused(&h, role, &token).await, *msg, "{role} aud={aud}"),
            }
        }
    }
}

#[tokio::test]
async fn times_are_checked_with_the_roles_leeways() {
    let key = TestKey::ec("k1");
    let h = pubkeys_mount(&[&key]).await;
    let t = now(&h);
    role(&h, "default", json!({"bound_subject": "alice"})).await;
    role(
        &h,
        "strict",
        json!({"bound_subject": "alice", "clock_skew_leeway": -1}),
    )
    .await;
    role(
        &h,
        "lenient",
        json!({"bound_subject": "alice", "clock_skew_leeway": "2m"}),
    )
    .await;
    let expired = "error validating token: invalid expiration time (exp) claim: token is expired";
    let early = "error validating token: invalid not before (nbf) claim: token not yet valid";
    let just_expired = key.token(claims(&h, json!({"iat": t - 100, "exp": t - 30})));
    assert!(
        login(&h, "default", &just_expired).await.is_ok(),
        "60 s skew by default"
    );
    assert_eq!(refused(&h, "strict", &just_expired).await, expired);
    let long_expired = key.token(claims(&h, json!({"iat": t - 200, "exp": t - 90})));
    assert_eq!(refused(&h, "default", &long_expired).await, expired);
    assert!(login(&h, "lenient", &long_expired).await.is_ok());
    let future = key.token(claims(&h, json!({"nbf": t + 90, "exp": t + 900})));
    assert_eq!(refused(&h, "default", &future).await, early);
    assert!(login(&h, "lenient", &future).await.is_ok());
    let issued_later = key.token(claims(&h, json!({"iat": t + 90, "exp": t + 900})));
    assert_eq!(refused(&h, "default", &issued_later).await, early);
    let timeless = key.token(claims(&h, json!({"iat": null, "exp": null})));
    assert_eq!(
        refused(&h, "default", &timeless).await,
        "error validating token: no issued at (iat), not before (nbf), or expiration time (exp) claims in token"
    );
    // The same token stops working when the clock moves past its expiry and the skew.
    let fresh = key.token(claims(&h, json!({})));
    assert!(login(&h, "strict", &fresh).await.is_ok());
    h.clock.advance(Duration::from_secs(61));
    assert_eq!(refused(&h, "strict", &fresh).await, expired);
}

#[tokio::test]
async fn issuer_subject_and_signature_are_checked() {
    let (key, other) = (TestKey::rsa("k1"), TestKey::rsa("k1"));
    let h = pubkeys_mount(&[&key]).await;
    role(&h, "r", json!({"bound_subject": "alice"})).await;
    assert!(login(&h, "r", &key.token(claims(&h, json!({}))))
        .await
        .is_ok());
    let wrong_iss = key.token(claims(&h, json!({"iss": "https://evil.example"})));
    assert_eq!(
        refused(&h, "r", &wrong_iss).await,
        "error validating token: invalid issuer (iss) claim"
    );
    let wrong_sub = key.token(claims(&h, json!({"sub": "mallory"})));
    assert_eq!(
        refused(&h, "r", &wrong_sub).await,
        "error validating token: invalid subject (sub) claim"
    );
    let no_key = "error validating token: error verifying token signature: no known key successfully validated the token signature";
    assert_eq!(
        refused(&h, "r", &other.token(claims(&h, json!({})))).await,
        no_key
    );
    // A valid signature over other claims: swap the payload.
    let good = key.token(claims(&h, json!({})));
    let evil = other.token(claims(&h, json!({"sub": "alice", "admin": true})));
    let parts: Vec<&str> = good.split('.').collect();
    let spliced = format!(
        "{}.{}.{}",
        parts[0],
        evil.split('.').nth(1).unwrap(),
        parts[2]
    );
    assert_eq!(refused(&h, "r", &spliced).await, no_key);
    assert!(refused(&h, "r", "not.a-token")
        .await
        .contains("compact JWS format must have three parts"));
}

/// `alg: none` and HS256 keyed with the public key (PEM text or DER) are refused, in
/// both key modes; RS256 claimed for an EC key fails too.
#[tokio::test]
async fn algorithm_confusion_is_refused() {
    let key = TestKey::rsa("k1");
    let h = pubkeys_mount(&[&key]).await;
    role(&h, "r", json!({"bound_subject": "alice"})).await;
    let c = claims(&h, json!({}));
    let none = forged(json!({"alg": "none", "typ": "JWT"}), c.clone(), b"");
    let hs_pem = hs256(key.pem().as_bytes(), json!({"alg": "HS256"}), c.clone());
    let pem_body: String = key
        .pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, pem_body).unwrap();
    let hs_der = hs256(&der, json!({"alg": "HS256"}), c.clone());
    let no_key = "error validating token: error verifying token signature: no known key successfully validated the token signature";
    for forged in [&none, &hs_pem, &hs_der] {
        assert_eq!(refused(&h, "r", forged).await, no_key);
    }
    let e = h
        .call(
            Update,
            "config",
            json!({"jwt_validation_pubkeys": [key.pem()], "jwt_supported_algs": ["HS256"]}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid jwt_supported_algs: unsupported signing algorithm \"HS256\""
    );
    let e = h
        .call(
            Update,
            "config",
            json!({"jwt_validation_pubkeys": [key.pem()], "jwt_supported_algs": "none"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    // Same forgeries against a JWKS: refused before any fetch.
    let provider = Provider::start(false, jwks(&[&key])).await;
    configure(
        &h,
        json!({"jwks_url": format!("{}/jwks", provider.url), "bound_issuer": ISS}),
    )
    .await;
    let fetched = provider.hits("/jwks");
    let jwks_fail = "error validating token: error verifying token signature: failed to verify id token signature";
    for forged in [&none, &hs_pem, &hs_der] {
        assert_eq!(refused(&h, "r", forged).await, jwks_fail);
    }
    assert_eq!(provider.hits("/jwks"), fetched, "refused without fetching");
    assert!(login(&h, "r", &key.token(c.clone())).await.is_ok());
    // SECURITY row 1: keys named by the token itself (`jwk`, `jku`, `x5u`) are never used.
    let attacker = TestKey::rsa("k1");
    let theirs = Provider::start(false, jwks(&[&attacker])).await;
    let header = json!({"alg": "RS256", "kid": "k1", "jwk": attacker.jwk(),
        "jku": format!("{}/jwks", theirs.url), "x5u": format!("{}/jwks", theirs.url)});
    let token = attacker.token_with(header, c);
    assert_eq!(refused(&h, "r", &token).await, jwks_fail);
    assert_eq!(theirs.hits("/jwks"), 0);
}

#[tokio::test]
async fn supported_algs_restrict_tokens() {
    let (rsa, ec, ed) = (TestKey::rsa("r"), TestKey::ec("e"), TestKey::ed("d"));
    let h = pubkeys_mount(&[&rsa, &ec, &ed]).await;
    role(&h, "r", json!({"bound_subject": "alice"})).await;
    for key in [&rsa, &ec, &ed] {
        assert!(
            login(&h, "r", &key.token(claims(&h, json!({}))))
                .await
                .is_ok(),
            "{}",
            key.alg()
        );
    }
    let pems = [rsa.pem(), ec.pem()];
    configure(
        &h,
        json!({"jwt_validation_pubkeys": pems, "jwt_supported_algs": ["ES256"]}),
    )
    .await;
    assert!(login(&h, "r", &ec.token(claims(&h, json!({}))))
        .await
        .is_ok());
    assert_eq!(
        refused(&h, "r", &rsa.token(claims(&h, json!({})))).await,
        "error validating token: invalid algorithm (alg) header parameter: token signed with unexpected algorithm"
    );
    // An RSA key cannot check a token that claims ES256 (and the reverse).
    let wrong = rsa.token_with(json!({"alg": "ES256"}), claims(&h, json!({})));
    assert!(refused(&h, "r", &wrong).await.contains("no known key"));
}

async fn jwks_mount(tls: bool, keys: &[&TestKey]) -> (Harness, Provider) {
    let provider = Provider::start(tls, jwks(keys)).await;
    let h = jwt_mount().await;
    configure(
        &h,
        json!({"jwks_url": format!("{}/jwks", provider.url), "jwks_ca_pem": provider.ca_pem,
            "bound_issuer": ISS, "default_role": "r"}),
    )
    .await;
    role(&h, "r", json!({"bound_audiences": "vault"})).await;
    (h, provider)
}

#[tokio::test]
async fn jwks_over_http_and_https() {
    for tls in [false, true] {
        let (k1, k2) = (TestKey::rsa("k1"), TestKey::ec("k2"));
        let (h, provider) = jwks_mount(tls, &[&k1, &k2]).await;
        assert_eq!(provider.hits("/jwks"), 1, "checked at config write");
        for key in [&k1, &k2] {
            let resp = login(&h, "r", &key.token(claims(&h, json!({"aud": "vault"}))))
                .await
                .unwrap();
            assert_eq!(resp.login.unwrap().display_name, "alice");
        }
        assert_eq!(provider.hits("/jwks"), 2, "fetched once, then cached");
    }
    // HTTPS is verified: without the CA (system roots only) the config is refused.
    let provider = Provider::start(true, jwks(&[&TestKey::ec("k")])).await;
    let h = jwt_mount().await;
    let e = h
        .call(
            Update,
            "config",
            json!({"jwks_url": format!("{}/jwks", provider.url)}),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("error checking jwks URL"), "{e}");
    let e = h
        .call(
            Update,
            "config",
            json!({"jwks_url": format!("{}/jwks", provider.url), "jwks_ca_pem": "junk"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "error checking jwks_ca_pem");
    assert_eq!(
        h.call(Read, "config", Value::Null)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

const FAIL: &str =
    "error validating token: error verifying token signature: failed to verify id token signature";

/// A token naming a key the cached set lacks refetches the set (key rotation); such
/// refetches are rate-limited, and removed keys stop verifying.
#[tokio::test]
async fn unknown_kid_refreshes_the_jwks_within_bounds() {
    let (k1, k2, k3) = (TestKey::rsa("k1"), TestKey::rsa("k2"), TestKey::ec("k3"));
    let (h, provider) = jwks_mount(true, &[&k1]).await;
    let token = |k: &TestKey| k.token(claims(&h, json!({"aud": "vault"})));
    assert!(login(&h, "", &token(&k1)).await.is_ok(), "default_role");
    assert_eq!(provider.hits("/jwks"), 2);
    provider.set_jwks(jwks(&[&k2]));
    assert_eq!(
        refused(&h, "r", &token(&k2)).await,
        FAIL,
        "no refetch right after a fetch"
    );
    h.clock.advance(Duration::from_secs(11));
    assert!(
        login(&h, "r", &token(&k2)).await.is_ok(),
        "rotated key found"
    );
    assert_eq!(provider.hits("/jwks"), 3);
    let fail = FAIL;
    assert_eq!(
        refused(&h, "r", &token(&k1)).await,
        fail,
        "the removed key is gone"
    );
    assert_eq!(refused(&h, "r", &token(&k3)).await, fail);
    assert_eq!(provider.hits("/jwks"), 3, "no refetch within 10 s");
    // A known kid with a bad signature never refetches.
    let imposter = TestKey::rsa("k2");
    h.clock.advance(Duration::from_secs(11));
    assert!(refused(
        &h,
        "r",
        &imposter.token(claims(&h, json!({"aud": "vault"})))
    )
    .await
    .contains("failed to verify"));
    assert_eq!(provider.hits("/jwks"), 3);
    provider.set_jwks(jwks(&[&k2, &k3]));
    assert!(
        login(&h, "r", &token(&k3)).await.is_ok(),
        "a later rotation is found"
    );
    assert_eq!(provider.hits("/jwks"), 4);
    // The cache is refreshed hourly, whatever the tokens say.
    provider.set_jwks(jwks(&[&k3]));
    h.clock.advance(Duration::from_secs(3601));
    assert_eq!(refused(&h, "r", &token(&k2)).await, fail);
    assert_eq!(provider.hits("/jwks"), 5);
}

#[tokio::test]
async fn bound_claims_with_globs_lists_and_pointers() {
    let key = TestKey::rsa("k1");
    let h = pubkeys_mount(&[&key]).await;
    role(
        &h,
        "exact",
        json!({"bound_claims": {"team": ["blue", "red"], "/org/unit": "ops", "admin": true}}),
    )
    .await;
    role(&h, "glob", json!({"bound_claims_type": "glob", "bound_claims": {"repo": "org/*-svc", "groups": ["ci-*"]}})).await;
    let ok = claims(
        &h,
        json!({"team": "red", "org": {"unit": "ops"}, "admin": true}),
    );
    assert!(login(&h, "exact", &key.token(ok)).await.is_ok());
    let listed = claims(
        &h,
        json!({"team": ["green", "blue"], "org": {"unit": "ops"}, "admin": true}),
    );
    assert!(login(&h, "exact", &key.token(listed)).await.is_ok());
    for (bad, msg) in [
        (
            json!({"team": "green", "org": {"unit": "ops"}, "admin": true}),
            "claim \"team\" does not match any associated bound claim values",
        ),
        (
            json!({"team": "red", "admin": true}),
            "claim \"/org/unit\" is missing",
        ),
        (
            json!({"team": "red", "org": {"unit": "ops"}, "admin": "true"}),
            "claim \"admin\" does not match any associated bound claim values",
        ),
    ] {
        let msg = format!("error validating claims: {msg}");
        assert_eq!(refused(&h, "exact", &key.token(claims(&h, bad))).await, msg);
    }
    let ok = claims(
        &h,
        json!({"repo": "org/pay-svc", "groups": ["dev", "ci-runners"]}),
    );
    assert!(login(&h, "glob", &key.token(ok)).await.is_ok());
    for bad in [
        json!({"repo": "org/pay-svc-x", "groups": ["ci-runners"]}),
        json!({"repo": "evil/org/pay-svc", "groups": ["ci-runners"]}),
        json!({"repo": "org/pay-svc", "groups": ["dev"]}),
    ] {
        assert!(refused(&h, "glob", &key.token(claims(&h, bad)))
            .await
            .starts_with("error validating claims"));
    }
}

#[tokio::test]
async fn identity_comes_from_the_claims() {
    let key = TestKey::ec("k1");
    let h = pubkeys_mount(&[&key]).await;
    role(
        &h,
        "r",
        json!({"user_claim": "email", "bound_subject": "alice", "groups_claim": "/realm/groups",
        "claim_mappings": {"name": "full_name", "/org/unit": "unit"}, "token_policies": "dev",
        "token_ttl": "1h"}),
    )
    .await;
    let c = claims(
        &h,
        json!({"email": "alice@example.com", "name": "Alice", "org": {"unit": "ops"},
        "realm": {"groups": ["eng", "", "oncall"]}}),
    );
    let b = backend_of(&h);
    let (name, issued) = super::authenticate(&b, Some("R"), &key.token(c.clone()), None)
        .await
        .unwrap();
    assert_eq!(name, "r");
    assert_eq!(issued.login.group_aliases, ["eng", "oncall"]);
    let l = issued.login;
    assert_eq!(
        (l.display_name.as_str(), l.alias_name.as_str()),
        ("alice@example.com", "alice@example.com")
    );
    let meta: Vec<(&str, &str)> = l
        .metadata
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        meta,
        [("full_name", "Alice"), ("role", "r"), ("unit", "ops")]
    );
    assert_eq!(l.alias_metadata, l.metadata);
    assert_eq!(
        (l.policies.clone(), l.ttl),
        (vec!["dev".to_owned()], Duration::from_secs(3600))
    );
    // A single group is a list of one; groups never reach the token metadata.
    let one = claims(&h, json!({"email": "a@x", "realm": {"groups": "eng"}}));
    let (_, issued) = super::authenticate(&b, Some("r"), &key.token(one), None)
        .await
        .unwrap();
    assert_eq!(issued.login.group_aliases, ["eng"]);
    assert!(!issued.login.metadata.values().any(|v| v == "eng"));
    for (extra, msg) in [
        (json!({"email": null}), "claim \"email\" not found in token"),
        (
            json!({"email": 7}),
            "claim \"email\" could not be converted to string",
        ),
        (
            json!({"realm": null}),
            "failed to fetch groups: \"/realm/groups\" claim not found in token",
        ),
        (
            json!({"name": ["A"]}),
            "error converting claim 'name' to string",
        ),
    ] {
        let mut base = c.clone();
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        assert_eq!(refused(&h, "r", &key.token(base)).await, msg);
    }
}

#[tokio::test]
async fn role_selection_and_request_errors() {
    let key = TestKey::rsa("k1");
    let h = jwt_mount().await;
    let token = key.token(claims(&h, json!({})));
    assert_eq!(
        refused(&h, "r", &token).await,
        "could not load configuration"
    );
    configure(
        &h,
        json!({"jwt_validation_pubkeys": key.pem(), "default_role": "Dflt"}),
    )
    .await;
    role(&h, "dflt", json!({"bound_subject": "alice"})).await;
    h.call(
        Update,
        "role/web",
        json!({"user_claim": "sub", "allowed_redirect_uris": "https://app/cb"}),
    )
    .await
    .unwrap();
    let resp = h
        .call(Update, "login", json!({"jwt": token}))
        .await
        .unwrap();
    assert_eq!(
        resp.login.unwrap().metadata.get("role").map(String::as_str),
        Some("dflt")
    );
    assert_eq!(
        refused(&h, "nope", &token).await,
        "role \"nope\" could not be found"
    );
    assert_eq!(
        refused(&h, "web", &token).await,
        "role with oidc role_type is not allowed"
    );
    assert_eq!(refused(&h, "dflt", "").await, "missing token");
    configure(&h, json!({"jwt_validation_pubkeys": key.pem()})).await;
    assert_eq!(refused(&h, "", &token).await, "missing role");
    role(
        &h,
        "cidr",
        json!({"bound_subject": "alice", "token_bound_cidrs": "10.0.0.0/8"}),
    )
    .await;
    let e = h
        .call_from(
            Update,
            "login",
            json!({"role": "cidr", "jwt": token}),
            Some("127.0.0.1"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    let ok = h
        .call_from(
            Update,
            "login",
            json!({"role": "cidr", "jwt": token}),
            Some("10.1.2.3"),
        )
        .await;
    assert!(ok.unwrap().login.is_some());
}
