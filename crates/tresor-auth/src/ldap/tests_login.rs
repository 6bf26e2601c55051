//! Logins against a real slapd (see `test_slapd`).

use super::path_login::BIND_FAILED;
use super::test_slapd::{self, Slapd, GROUPS, PEOPLE, SERVICE_DN, SERVICE_PW};
use crate::testkit::{messages, Harness};
use serde_json::{json, Value};
use tresor_sdk::{Error, ErrorKind, Login, Operation::Update, Response};

/// A mount configured for `slapd`: users built as `uid=<name>,ou=people,...`, groups
/// searched under `ou=groups`, plus `extra`.
pub async fn mount(slapd: &Slapd, extra: Value) -> Harness {
    let h = Harness::new(super::factory, "ldap").await;
    let mut body = json!({
        "url": slapd.url(), "userdn": PEOPLE, "userattr": "uid", "groupdn": GROUPS,
        "request_timeout": 5, "connection_timeout": 5,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    h.call(Update, "config", body).await.unwrap();
    h
}

/// Search mode: the user is found bound as the service account.
fn with_binddn() -> Value {
    json!({"binddn": SERVICE_DN, "bindpass": SERVICE_PW})
}

pub async fn login(h: &Harness, user: &str, password: &str) -> Result<Response, Error> {
    let path = format!("login/{user}");
    h.call(Update, &path, json!({ "password": password })).await
}

pub async fn ok(h: &Harness, user: &str, password: &str) -> Login {
    let resp = login(h, user, password).await.unwrap();
    resp.login.unwrap()
}

/// The failure every refused login gives: 400 and the one message.
pub fn refused(r: Result<Response, Error>) -> Vec<String> {
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest, "{e:?}");
    messages(&e)
}

async fn policies(h: &Harness) {
    for (group, policy) in [
        ("devs", "dev"),
        ("ops", "ops"),
        ("admins", "admin"),
        ("auditors", "audit"),
    ] {
        let path = format!("groups/{group}");
        h.call(Update, &path, json!({ "policies": policy }))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn login_maps_groups_to_policies() {
    let Some(slapd) = test_slapd::start() else {
        return;
    };
    let h = mount(&slapd, json!({"token_policies": "base", "token_ttl": "1h"})).await;
    policies(&h).await;
    h.call(
        Update,
        "users/alice",
        json!({"policies": "personal", "groups": "extra"}),
    )
    .await
    .unwrap();
    h.call(Update, "groups/extra", json!({"policies": "x"}))
        .await
        .unwrap();
    let resp = login(&h, "alice", "alice-pw").await.unwrap();
    assert!(resp.warnings.is_empty(), "{:?}", resp.warnings);
    let l = resp.login.unwrap();
    // groupOfNames (member), groupOfUniqueNames (uniqueMember), local groups.
    assert_eq!(l.policies, ["base", "audit", "dev", "ops", "personal", "x"]);
    assert_eq!((l.display_name.as_str(), l.ttl.as_secs()), ("alice", 3600));
    assert_eq!(l.alias_name, format!("uid=alice,{PEOPLE}"));
    assert_eq!(
        l.metadata.get("username").map(String::as_str),
        Some("alice")
    );
    assert_eq!(
        l.alias_metadata.get("name").map(String::as_str),
        Some("alice")
    );
    // posixGroup (memberUid) membership.
    assert_eq!(
        ok(&h, "bob", "bob-pw").await.policies,
        ["base", "admin", "ops"]
    );
}

#[tokio::test]
async fn no_group_gives_a_warning() {
    let Some(slapd) = test_slapd::start() else {
        return;
    };
    let h = mount(&slapd, json!({})).await;
    let resp = login(&h, "twin", "twin-pw").await.unwrap();
    assert_eq!(
        resp.warnings,
        [format!("no LDAP groups found in groupDN \"{GROUPS}\"; only policies from locally-defined groups available")]
    );
    assert!(resp.login.unwrap().policies.is_empty());
}

/// SECURITY row 10: wrong password, unknown user and a dead server answer alike, in
/// both ways of finding the user; the unknown user costs a bind too.
#[tokio::test]
async fn failures_answer_alike() {
    let Some(slapd) = test_slapd::start() else {
        return;
    };
    for extra in [json!({}), with_binddn()] {
        let h = mount(&slapd, extra.clone()).await;
        let wrong = refused(login(&h, "alice", "nope").await);
        let unknown = refused(login(&h, "nobody", "nope").await);
        assert_eq!(wrong, [BIND_FAILED], "{extra}");
        assert_eq!(unknown, wrong, "{extra}");
    }
    // Two entries with cn=Twin: not unique, the same failure.
    let mut by_cn = with_binddn();
    by_cn["userattr"] = json!("cn");
    let h = mount(&slapd, by_cn).await;
    assert_eq!(refused(login(&h, "twin", "twin-pw").await), [BIND_FAILED]);
    assert!(
        slapd.log().contains("cn=tresor-no-such-user"),
        "an unknown user costs a bind"
    );
    let dead = mount(&slapd, json!({"url": "ldap://127.0.0.1:1"})).await;
    assert_eq!(
        refused(login(&dead, "alice", "alice-pw").await),
        [BIND_FAILED]
    );
}

/// The unauthenticated-bind class: an empty password never reaches the directory.
#[tokio::test]
async fn empty_passwords_are_refused_before_the_directory() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ldap://{}", listener.local_addr().unwrap());
    let h = Harness::new(super::factory, "ldap").await;
    h.call(
        Update,
        "config",
        json!({"url": url, "userdn": PEOPLE, "request_timeout": 1}),
    )
    .await
    .unwrap();
    let msg = "password cannot be of zero length when passwordless binds are being denied";
    assert_eq!(refused(login(&h, "alice", "").await), [msg]);
    assert_eq!(
        refused(h.call(Update, "login/alice", json!({})).await),
        [msg]
    );
    let none = tokio::time::timeout(std::time::Duration::from_millis(200), listener.accept());
    assert!(none.await.is_err(), "no connection was made");
    // A password does connect; a server that never answers is a plain failure.
    let pending = tokio::spawn(async move { listener.accept().await.map(|(s, _)| s) });
    assert_eq!(refused(login(&h, "alice", "pw").await), [BIND_FAILED]);
    assert!(pending.await.unwrap().is_ok());
}

#[tokio::test]
async fn null_binds_when_allowed_still_fail_at_the_server() {
    let Some(slapd) = test_slapd::start() else {
        return;
    };
    let h = mount(&slapd, json!({"deny_null_bind": false})).await;
    // slapd refuses an unauthenticated bind (a DN and no password).
    assert_eq!(refused(login(&h, "alice", "").await), [BIND_FAILED]);
}

/// Filter and DN injection: wildcards and filter syntax in a username are data.
#[tokio::test]
async fn injected_names_match_no_one() {
    let Some(slapd) = test_slapd::start() else {
        return;
    };
    for extra in [json!({}), with_binddn()] {
        let h = mount(&slapd, extra).await;
        for evil in [
            "al*",
            "*",
            "*lice",
            "a*e",
            "alice)(uid=*",
            "*)(|(uid=alice",
            "alice,ou=people",
        ] {
            assert_eq!(
                refused(login(&h, evil, "alice-pw").await),
                [BIND_FAILED],
                "{evil}"
            );
        }
        assert!(login(&h, "alice", "alice-pw").await.is_ok());
    }
}

#[tokio::test]
async fn names_are_case_insensitive_by_default() {
    let Some(slapd) = test_slapd::start() else {
        return;
    };
    let h = mount(&slapd, json!({})).await;
    policies(&h).await;
    h.call(Update, "users/Alice", json!({"policies": "mine"}))
        .await
        .unwrap();
    let l = ok(&h, " ALICE ", "alice-pw").await;
    assert_eq!(
        (l.display_name.as_str(), l.metadata["username"].as_str()),
        ("alice", "alice")
    );
    assert!(l.policies.contains(&"mine".to_owned()) && l.policies.contains(&"ops".to_owned()));

    let cs = mount(&slapd, json!({"case_sensitive_names": true})).await;
    cs.call(Update, "groups/Ops", json!({"policies": "ops"}))
        .await
        .unwrap();
    cs.call(Update, "groups/devs", json!({"policies": "dev"}))
        .await
        .unwrap();
    cs.call(Update, "users/Alice", json!({"policies": "upper"}))
        .await
        .unwrap();
    // The directory matches either case; local names match exactly.
    let upper = ok(&cs, "Alice", "alice-pw").await;
    assert_eq!(upper.policies, ["dev", "ops", "upper"]);
    assert_eq!(ok(&cs, "alice", "alice-pw").await.policies, ["dev", "ops"]);
}

#[tokio::test]
async fn search_mode_and_aliases() {
    let Some(slapd) = test_slapd::start() else {
        return;
    };
    let h = mount(&slapd, with_binddn()).await;
    policies(&h).await;
    let l = ok(&h, "ALICE", "alice-pw").await;
    assert_eq!(l.alias_name, "alice", "the userattr value the search found");
    assert_eq!(l.policies, ["audit", "dev", "ops"]);
    // discoverdn: an anonymous search (slapd lets anonymous users read).
    let anon = mount(&slapd, json!({"discoverdn": true})).await;
    assert_eq!(ok(&anon, "bob", "bob-pw").await.alias_name, "bob");
    let by_name = mount(&slapd, json!({"username_as_alias": true})).await;
    assert_eq!(ok(&by_name, "Bob", "bob-pw").await.alias_name, "bob");
    // Spacing variants the directory ignores make one alias, not two.
    let mut by_cn = with_binddn();
    by_cn["userattr"] = json!("cn");
    by_cn["username_as_alias"] = json!(true);
    let h = mount(&slapd, by_cn).await;
    for variant in ["Alice Liddell", " alice \t  LIDDELL "] {
        let l = ok(&h, variant, "alice-pw").await;
        assert_eq!(
            (l.alias_name.as_str(), l.display_name.as_str()),
            ("alice liddell", "alice liddell")
        );
    }
    // A wrong service password: the user cannot be found, the same failure.
    let bad = mount(&slapd, json!({"binddn": SERVICE_DN, "bindpass": "wrong"})).await;
    assert_eq!(
        refused(login(&bad, "alice", "alice-pw").await),
        [BIND_FAILED]
    );
}

#[tokio::test]
async fn upn_domain_with_a_search() {
    let Some(slapd) = test_slapd::start() else {
        return;
    };
    let mut extra = with_binddn();
    extra["upndomain"] = json!("corp.example");
    let h = mount(&slapd, extra).await;
    policies(&h).await;
    let l = ok(&h, "alice", "alice-pw").await;
    assert_eq!(l.policies, ["audit", "dev", "ops"]);
    assert_eq!(
        refused(login(&h, "bob", "bob-pw").await),
        [BIND_FAILED],
        "no UPN"
    );
}

/// Groups from the user's own `memberOf`, paged searches, and anonymous group search.
#[tokio::test]
async fn other_group_lookups() {
    let Some(slapd) = test_slapd::start() else {
        return;
    };
    let member_of = json!({"groupdn": PEOPLE, "groupattr": "memberOf",
        "groupfilter": "(&(objectClass=inetOrgPerson)(uid={{.Username}}))"});
    let h = mount(&slapd, member_of).await;
    h.call(Update, "groups/readers", json!({"policies": "read"}))
        .await
        .unwrap();
    h.call(Update, "groups/devs", json!({"policies": "dev"}))
        .await
        .unwrap();
    assert_eq!(ok(&h, "alice", "alice-pw").await.policies, ["dev", "read"]);

    for extra in [
        json!({"max_page_size": 1}),
        json!({"anonymous_group_search": true}),
    ] {
        let h = mount(&slapd, extra.clone()).await;
        policies(&h).await;
        assert_eq!(
            ok(&h, "alice", "alice-pw").await.policies,
            ["audit", "dev", "ops"],
            "{extra}"
        );
    }
    let bad_base = mount(&slapd, json!({"groupdn": "ou=nowhere,dc=example,dc=org"})).await;
    let e = refused(login(&bad_base, "alice", "alice-pw").await);
    assert!(
        e[0].starts_with("LDAP search failed: search: LDAP Result Code 32"),
        "{e:?}"
    );
}
