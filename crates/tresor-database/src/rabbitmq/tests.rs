//! The engine against the machine's real RabbitMQ (management plugin enabled). Every
//! test names its users with a prefix of its own run ([`Users`]), deleted at its end.

use super::testkit::{admin, amqp_login, creds, enc, management_url, Api, Harness, Users, ADMIN};
use serde_json::{json, Value};
use std::time::Duration;
use tresor_sdk::{ErrorKind, Operation};

const VHOSTS: &str = r#"{"/": {"configure": "^cfg-.*", "write": "^w$", "read": ".*"}}"#;
const TOPICS: &str = r#"{"/": {"amq.topic": {"write": "^tw", "read": "^tr"}}}"#;

/// A template making `<prefix><role>-<uuid>` names.
fn template(prefix: &str) -> String {
    format!(r#"{{{{ printf "{prefix}%s-%s" .RoleName (uuid) }}}}"#)
}

#[tokio::test]
async fn connection_is_write_only_and_verified() {
    let h = Harness::new().await;
    let err = h.read("config/connection").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedOperation);

    for (body, msg) in [
        (
            json!({"username": "u", "password": "p"}),
            "missing connection_uri",
        ),
        (
            json!({"connection_uri": "http://x", "password": "p"}),
            "missing username",
        ),
        (
            json!({"connection_uri": "http://x", "username": "u"}),
            "missing password",
        ),
    ] {
        let err = h.write("config/connection", body).await.unwrap_err();
        assert_eq!(err.messages(), vec![msg.to_owned()]);
    }

    let canary = "canary-wrong-admin-password";
    let err = h
        .write(
            "config/connection",
            json!({"connection_uri": management_url(), "username": ADMIN, "password": canary}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    let shown = format!("{err:?} {:?}", err.messages());
    assert!(shown.contains("401"), "{shown}");
    assert!(!shown.contains(canary), "{shown}");

    let err = h
        .write(
            "config/connection",
            json!({"connection_uri": "http://127.0.0.1:1", "username": ADMIN, "password": canary}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert!(!format!("{err:?}").contains(canary));

    let err = h
        .write(
            "config/connection",
            json!({"connection_uri": management_url(), "username": ADMIN, "password": "guest",
                   "username_template": "{{ .Nope }}"}),
        )
        .await
        .unwrap_err();
    assert!(err.messages()[0].starts_with("invalid username template"));

    h.connect("").await;
    assert!(!format!("{:?}", h.backend).contains("guest\""));
    let err = h.read("config/connection").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedOperation);
}

#[tokio::test]
async fn unverified_bad_credentials_fail_at_issue_without_leaking() {
    let h = Harness::new().await;
    let canary = "canary-unverified-password";
    h.write(
        "config/connection",
        json!({"connection_uri": management_url(), "username": ADMIN, "password": canary,
               "verify_connection": false}),
    )
    .await
    .unwrap();
    h.write("roles/r", json!({"tags": "management"}))
        .await
        .unwrap();
    let err = h.read("creds/r").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    let shown = format!("{err:?} {:?} {:?}", err.messages(), h.backend);
    assert!(shown.contains("401"), "{shown}");
    assert!(!shown.contains(canary), "{shown}");
}

#[tokio::test]
async fn lease_config_reads_back_in_seconds() {
    let h = Harness::new().await;
    assert_eq!(
        h.read("config/lease").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    h.write("config/lease", json!({"ttl": "1h", "max_ttl": 7200}))
        .await
        .unwrap();
    let data = h.read("config/lease").await.unwrap().data.unwrap();
    assert_eq!(Value::Object(data), json!({"ttl": 3600, "max_ttl": 7200}));
}

#[tokio::test]
async fn roles_read_list_and_delete_in_vaults_shapes() {
    let h = Harness::new().await;
    let body = json!({"tags": "management, policymaker", "vhosts": VHOSTS, "vhost_topics": TOPICS});
    assert!(h.write("roles/r1", body).await.unwrap().is_empty());
    h.write("roles/r2", json!({"tags": "management"}))
        .await
        .unwrap();
    let data = h.read("roles/r1").await.unwrap().data.unwrap();
    assert_eq!(
        Value::Object(data),
        json!({"tags": "management, policymaker",
               "vhosts": {"/": {"configure": "^cfg-.*", "write": "^w$", "read": ".*"}},
               "vhost_topics": {"/": {"amq.topic": {"write": "^tw", "read": "^tr"}}}})
    );
    let data = h.read("roles/r2").await.unwrap().data.unwrap();
    assert_eq!(
        Value::Object(data),
        json!({"tags": "management", "vhosts": {}, "vhost_topics": {}})
    );
    for path in ["roles", "roles/"] {
        let data = h
            .call(Operation::List, path, Value::Null)
            .await
            .unwrap()
            .data
            .unwrap();
        assert_eq!(data["keys"], json!(["r1", "r2"]));
    }
    let data = h
        .call(Operation::List, "roles", json!({"after": "r1", "limit": 5}))
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(data["keys"], json!(["r2"]));

    assert_eq!(
        h.read("roles/nope").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    h.call(Operation::Delete, "roles/r1", Value::Null)
        .await
        .unwrap();
    h.call(Operation::Delete, "roles/r2", Value::Null)
        .await
        .unwrap();
    let err = h
        .call(Operation::List, "roles", Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn bad_roles_are_refused() {
    let h = Harness::new().await;
    let cases = [
        (json!({}), "both tags and vhosts not specified"),
        (
            json!({"vhost_topics": TOPICS}),
            "both tags and vhosts not specified",
        ),
        (json!({"vhosts": "{bad"}), "failed to unmarshal vhosts"),
        (
            json!({"tags": "x", "vhost_topics": "[1]"}),
            "failed to unmarshal vhost_topics",
        ),
        (json!({"vhosts": {"/": {}}}), "expected a string"),
        (
            json!({"vhosts": r#"{"..": {"read": ".*"}}"#}),
            "cannot be used",
        ),
        (
            json!({"vhosts": r#"{"": {"read": ".*"}}"#}),
            "cannot be used",
        ),
    ];
    for (body, msg) in cases {
        let err = h.write("roles/r", body.clone()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest, "{body}");
        assert!(
            err.messages()[0].contains(msg),
            "{body}: {:?}",
            err.messages()
        );
    }
    for bad in ["roles/a%20b", "roles/-x", "creds/a b", "roles/x."] {
        let err = h.write(bad, json!({"tags": "x"})).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{bad}");
    }
    assert_eq!(
        h.write("creds/r", json!({})).await.unwrap_err().kind(),
        ErrorKind::UnsupportedOperation
    );
    assert_eq!(
        h.read("creds/nope").await.unwrap_err().messages(),
        vec!["unknown role: nope".to_owned()]
    );
}

#[tokio::test]
async fn issued_credentials_log_in_with_the_roles_permissions_until_revoked() {
    let users = Users::new("issue");
    let prefix = users.0.as_str();
    let h = Harness::new().await;
    h.connect(&template(prefix)).await;
    h.write("config/lease", json!({"ttl": 600, "max_ttl": 3600}))
        .await
        .unwrap();
    let body = json!({"tags": "management, policymaker", "vhosts": VHOSTS, "vhost_topics": TOPICS});
    h.write("roles/app", body).await.unwrap();

    let (user, password, lease) = creds(h.read("creds/app").await.unwrap());
    assert!(user.starts_with(&format!("{prefix}app-")), "{user}");
    assert_eq!(password.len(), 36);
    assert!(password.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(lease.ttl, Duration::from_secs(600));
    assert_eq!(lease.max_ttl, Duration::from_secs(3600));
    assert!(lease.renewable);
    assert_eq!(
        Value::Object(lease.internal.clone()),
        json!({"username": user})
    );
    assert!(!format!("{lease:?}").contains(&user));

    // The credentials work: management API and AMQP, on the vhost the role names.
    let (status, me) = Api::as_user(&user, &password).get("whoami").await;
    assert_eq!(status, 200);
    assert_eq!(me["name"], user.as_str());
    assert_eq!(me["tags"], json!(["management", "policymaker"]));
    assert_eq!(amqp_login(&user, &password, "/").await, Ok(()));
    assert_eq!(
        amqp_login(&user, "wrong-password", "/").await,
        Err("login refused")
    );

    // Permissions are exactly the role's.
    let (_, perms) = admin()
        .get(&format!("users/{}/permissions", enc(&user)))
        .await;
    assert_eq!(
        perms,
        json!([{"user": user, "vhost": "/", "configure": "^cfg-.*", "write": "^w$", "read": ".*"}])
    );
    let (_, topics) = admin()
        .get(&format!("users/{}/topic-permissions", enc(&user)))
        .await;
    assert_eq!(
        topics,
        json!([{"user": user, "vhost": "/", "exchange": "amq.topic", "write": "^tw", "read": "^tr"}])
    );

    // Renewal keeps the user; it asks for the increment within config/lease's maximum.
    let renewed = h.renew(&lease, 60).await.unwrap();
    assert_eq!(
        (renewed.ttl, renewed.max_ttl, renewed.renewable),
        (Duration::from_secs(60), Duration::from_secs(3600), true)
    );
    assert_eq!(
        h.renew(&lease, 0).await.unwrap().ttl,
        Duration::from_secs(600)
    );
    assert!(admin().user_names().await.contains(&user));

    // Revocation deletes the user; a second revocation finds it gone and succeeds.
    h.revoke(&lease).await.unwrap();
    assert!(!admin().user_names().await.contains(&user));
    assert_eq!(
        amqp_login(&user, &password, "/").await,
        Err("login refused")
    );
    let (status, _) = Api::as_user(&user, &password).get("whoami").await;
    assert_eq!(status, 401);
    h.revoke(&lease).await.unwrap();
}

#[tokio::test]
async fn default_username_and_policy_password() {
    let h = Harness::new().await;
    h.write(
        "config/connection",
        json!({"connection_uri": management_url(), "username": ADMIN, "password": "guest",
               "password_policy": "test-policy"}),
    )
    .await
    .unwrap();
    let role = "tresor-test-default";
    h.write(&format!("roles/{role}"), json!({"vhosts": VHOSTS}))
        .await
        .unwrap();
    let (user, password, lease) = creds(h.read(&format!("creds/{role}")).await.unwrap());
    let _cleanup = Users(user.clone());
    // Vault's default template, `<display name>-<uuid>`, with the display name `token`.
    let id = user.strip_prefix("token-").unwrap();
    let groups: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{user}");
    assert!(password.starts_with("Pp1-"), "from the policy");
    assert_eq!(
        lease.ttl,
        Duration::ZERO,
        "no config/lease: the mount's default"
    );
    assert_eq!(amqp_login(&user, &password, "/").await, Ok(()));
    h.revoke(&lease).await.unwrap();
    assert!(!admin().user_names().await.contains(&user));

    // An unknown policy fails before any user is made.
    let users = Users::new("nopolicy");
    h.write(
        "config/connection",
        json!({"connection_uri": management_url(), "username": ADMIN, "password": "guest",
               "password_policy": "no-such-policy", "username_template": template(&users.0)}),
    )
    .await
    .unwrap();
    let err = h.read(&format!("creds/{role}")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    let made = admin().user_names().await;
    assert!(!made.iter().any(|u| u.starts_with(&users.0)), "{made:?}");
}

#[tokio::test]
async fn failed_permissions_leave_no_user_behind() {
    let users = Users::new("orphan");
    let prefix = users.0.as_str();
    let h = Harness::new().await;
    h.connect(&template(prefix)).await;
    let cases = [
        (
            json!({"vhosts": r#"{"/": {"read": ".*"}, "tresor-no-such-vhost": {"read": ".*"}}"#}),
            "vhost_or_user_not_found",
        ),
        (
            json!({"vhosts": r#"{"/": {"configure": "(", "read": ".*"}}"#}),
            "400",
        ),
        (
            json!({"vhosts": VHOSTS, "vhost_topics": r#"{"tresor-no-such-vhost": {"x": {}}}"#}),
            "vhost_or_user_not_found",
        ),
    ];
    for (body, msg) in cases {
        h.write("roles/bad", body.clone()).await.unwrap();
        let err = h.read("creds/bad").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest, "{body}");
        assert!(
            err.messages()[0].contains(msg),
            "{body}: {:?}",
            err.messages()
        );
        let left: Vec<String> = admin()
            .user_names()
            .await
            .into_iter()
            .filter(|u| u.starts_with(prefix))
            .collect();
        assert!(left.is_empty(), "orphaned users: {left:?}");
    }
}

#[tokio::test]
async fn names_with_special_characters_stay_in_their_path_segment() {
    let users = Users::new("odd/..");
    let prefix = format!("{}/../", users.0);
    let h = Harness::new().await;
    h.connect(&format!(
        r#"{{{{ printf "{prefix}%s?x=1#f %%25 %s" .RoleName (uuid) }}}}-{{{{unix_time}}}}"#
    ))
    .await;
    h.write("roles/odd", json!({"tags": "management", "vhosts": VHOSTS}))
        .await
        .unwrap();
    let (user, password, lease) = creds(h.read("creds/odd").await.unwrap());
    assert!(
        user.starts_with(&format!("{prefix}odd?x=1#f %25 ")),
        "{user}"
    );
    assert!(user.ends_with("-1800000000"), "the injected clock: {user}");
    assert!(admin().user_names().await.contains(&user));
    let (status, me) = Api::as_user(&user, &password).get("whoami").await;
    assert_eq!((status, me["name"].as_str()), (200, Some(user.as_str())));
    let (_, perms) = admin()
        .get(&format!("users/{}/permissions", enc(&user)))
        .await;
    assert_eq!(perms[0]["vhost"], "/");
    h.revoke(&lease).await.unwrap();
    assert!(!admin().user_names().await.contains(&user));
}

#[tokio::test]
async fn an_existing_user_is_never_taken_over() {
    let h = Harness::new().await;
    h.connect(ADMIN).await;
    h.write("roles/r", json!({"tags": "management"}))
        .await
        .unwrap();
    let err = h.read("creds/r").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert!(err.messages()[0].contains("exists already"));
    // The administrator's password is unchanged.
    let (status, _) = admin().get("whoami").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn revoke_needs_a_username_and_a_connection() {
    let h = Harness::new().await;
    let lease = tresor_sdk::SecretLease::default();
    assert_eq!(
        h.revoke(&lease).await.unwrap_err().kind(),
        ErrorKind::Internal
    );
    let mut lease = lease;
    lease
        .internal
        .insert("username".into(), "tresor-test-nobody".into());
    assert_eq!(
        h.revoke(&lease).await.unwrap_err().kind(),
        ErrorKind::BadRequest
    );
    h.connect("").await;
    h.revoke(&lease).await.unwrap();
}
