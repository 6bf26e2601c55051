//! Against the Redis server on 127.0.0.1:6379 (default user without a password). Each test
//! makes its own admin user with a password, runs the plugin as that admin, and deletes
//! every user it made, pass or fail.

use super::*;
use redis::aio::MultiplexedConnection;
use redis::{AsyncCommands, Client, ConnectionAddr, ConnectionInfo, RedisConnectionInfo};
use std::collections::BTreeMap;

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        tresor_crypto::random::base62(12).unwrap().expose()
    )
}

async fn connect_as(
    user: Option<&str>,
    password: Option<&str>,
) -> Result<MultiplexedConnection, RedisError> {
    let info = ConnectionInfo {
        addr: ConnectionAddr::Tcp("127.0.0.1".to_owned(), 6379),
        redis: RedisConnectionInfo {
            username: user.map(str::to_owned),
            password: password.map(str::to_owned),
            ..Default::default()
        },
    };
    Client::open(info)?.get_multiplexed_async_connection().await
}

async fn superuser() -> MultiplexedConnection {
    connect_as(None, None).await.unwrap()
}

async fn acl_users() -> Vec<String> {
    redis::cmd("ACL")
        .arg("USERS")
        .query_async(&mut superuser().await)
        .await
        .unwrap()
}

async fn acl_list() -> String {
    let lines: Vec<String> = redis::cmd("ACL")
        .arg("LIST")
        .query_async(&mut superuser().await)
        .await
        .unwrap();
    lines.join("\n")
}

struct Admin {
    name: String,
    password: String,
}

async fn admin() -> Admin {
    let admin = Admin {
        name: unique("tt_admin_"),
        password: unique("AdminPw-"),
    };
    redis::cmd("ACL")
        .arg("SETUSER")
        .arg(&admin.name)
        .arg("on")
        .arg(format!(">{}", admin.password))
        .arg("~*")
        .arg("&*")
        .arg("+@all")
        .query_async::<()>(&mut superuser().await)
        .await
        .unwrap();
    admin
}

fn config(admin: &Admin) -> ConnectionConfig {
    let options = [("host", "127.0.0.1"), ("port", "6379")];
    ConnectionConfig {
        connection_url: String::new(),
        username: admin.name.clone(),
        password: admin.password.as_str().into(),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    }
}

async fn plugin(admin: &Admin) -> Redis {
    let plugin = Redis::new();
    plugin.initialize(&config(admin), true).await.unwrap();
    plugin
}

/// Deletes the users when dropped, also when the test panics.
struct Cleanup(Vec<String>);

impl Cleanup {
    fn new(users: &[&str]) -> Self {
        Self(users.iter().map(|s| (*s).to_owned()).collect())
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let users = std::mem::take(&mut self.0);
        // A runtime of its own on a thread of its own: this runs while a panic unwinds too.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut conn = superuser().await;
                for user in &users {
                    let _: i64 = redis::cmd("ACL")
                        .arg("DELUSER")
                        .arg(user)
                        .query_async(&mut conn)
                        .await
                        .unwrap();
                }
            });
        })
        .join();
    }
}

fn new_user<'a>(
    statements: &'a [String],
    username: &'a str,
    password: &'a SecretString,
) -> NewUser<'a> {
    NewUser {
        statements,
        username,
        password,
        expiration: "",
    }
}

#[tokio::test]
async fn redis_user_gets_only_its_rules() {
    let admin = admin().await;
    let name = unique("V_TEST_");
    let password = SecretString::from(unique("Pw-").as_str());
    let _cleanup = Cleanup::new(&[&name, &admin.name]);
    let plugin = plugin(&admin).await;
    let statements = vec![r#"["+get", "~app:*"]"#.to_owned()];
    plugin
        .new_user(&new_user(&statements, &name, &password))
        .await
        .unwrap();

    let mut conn = connect_as(Some(&name), Some(password.expose()))
        .await
        .unwrap();
    let value: Option<String> = conn.get("app:x").await.unwrap();
    assert_eq!(value, None);
    let denied: Result<(), RedisError> = conn.set("app:x", "1").await;
    assert!(denied.unwrap_err().to_string().contains("NOPERM"));
    let denied: Result<Option<String>, RedisError> = conn.get("other:x").await;
    assert!(denied.unwrap_err().to_string().contains("NOPERM"));
    assert!(connect_as(Some(&name), Some("wrong")).await.is_err());

    plugin
        .renew_user(&[], &name, "2030-01-01 00:00:00+0000")
        .await
        .unwrap();
    plugin.delete_user(&[], &name).await.unwrap();
    assert!(!acl_users().await.contains(&name));
    assert!(!acl_list().await.contains(&name));
    assert!(
        connect_as(Some(&name), Some(password.expose()))
            .await
            .is_err(),
        "AUTH fails"
    );
    // A second revocation (a retry) is fine.
    plugin.delete_user(&[], &name).await.unwrap();
    plugin.close().await;
}

#[tokio::test]
async fn redis_default_rules_and_rules_one_per_entry() {
    let admin = admin().await;
    let (first, second) = (unique("V_DEF_"), unique("V_RAW_"));
    let password = SecretString::from(unique("Pw-").as_str());
    let _cleanup = Cleanup::new(&[&first, &second, &admin.name]);
    let plugin = plugin(&admin).await;
    plugin
        .new_user(&new_user(&[], &first, &password))
        .await
        .unwrap();
    let mut conn = connect_as(Some(&first), Some(password.expose()))
        .await
        .unwrap();
    let _: Option<String> = conn.get("anything").await.unwrap();
    assert!(conn.set::<_, _, ()>("anything", "1").await.is_err());

    let raw = vec!["~cache:*".to_owned(), "+@read".to_owned()];
    plugin
        .new_user(&new_user(&raw, &second, &password))
        .await
        .unwrap();
    let mut conn = connect_as(Some(&second), Some(password.expose()))
        .await
        .unwrap();
    let _: Option<String> = conn.get("cache:1").await.unwrap();
    assert!(conn.get::<_, Option<String>>("other").await.is_err());

    // Creating over an existing name is refused, and the user stays as it was.
    let wide = vec![r#"["+@all", "~*"]"#.to_owned()];
    assert!(plugin
        .new_user(&new_user(&wide, &second, &password))
        .await
        .is_err());
    assert!(conn.get::<_, Option<String>>("other").await.is_err());
    plugin.close().await;
}

#[tokio::test]
async fn redis_set_password_replaces_the_old_one() {
    let admin = admin().await;
    let name = unique("V_ROT_");
    let missing = unique("V_MISSING_");
    let old = SecretString::from(unique("Old-").as_str());
    let new = SecretString::from(unique("New-").as_str());
    let _cleanup = Cleanup::new(&[&name, &missing, &admin.name]);
    let plugin = plugin(&admin).await;
    plugin.new_user(&new_user(&[], &name, &old)).await.unwrap();
    plugin.set_password(&[], &name, &new).await.unwrap();
    assert!(
        connect_as(Some(&name), Some(old.expose())).await.is_err(),
        "old fails"
    );
    assert!(
        connect_as(Some(&name), Some(new.expose())).await.is_ok(),
        "new works"
    );

    let err = plugin.set_password(&[], &missing, &new).await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains(new.expose()));
    assert!(
        !acl_users().await.contains(&missing),
        "no user made by a rotation"
    );
    plugin.close().await;
}

/// Names, passwords and rules are separate arguments: none can add a rule or a user.
#[tokio::test]
async fn redis_values_cannot_inject() {
    let admin = admin().await;
    let name = unique("V_INJ_");
    let password = SecretString::from("p w nopass +@all ~* \r\nACL SETUSER evil on nopass +@all");
    let _cleanup = Cleanup::new(&[&name, &admin.name]);
    let plugin = plugin(&admin).await;
    let statements = vec![r#"["+get", "~app:*"]"#.to_owned()];
    plugin
        .new_user(&new_user(&statements, &name, &password))
        .await
        .unwrap();
    let mut conn = connect_as(Some(&name), Some(password.expose()))
        .await
        .unwrap();
    assert!(
        conn.get::<_, Option<String>>("other").await.is_err(),
        "no widened keys"
    );
    assert!(
        connect_as(Some(&name), Some("p")).await.is_err(),
        "no nopass"
    );
    assert!(!acl_users().await.iter().any(|u| u == "evil"));

    for bad in ["a b", "a\nb", ""] {
        let err = plugin
            .new_user(&new_user(&statements, bad, &password))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::BadRequest(_)));
    }
    plugin.close().await;
}

#[tokio::test]
async fn redis_errors_never_show_passwords() {
    let admin = admin().await;
    let name = unique("V_ERR_");
    let password = SecretString::from(unique("Secret-").as_str());
    let _cleanup = Cleanup::new(&[&name, &admin.name]);
    let plugin = plugin(&admin).await;
    let bad = vec![r#"["+nosuchcommand"]"#.to_owned()];
    let err = plugin
        .new_user(&new_user(&bad, &name, &password))
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("nosuchcommand"), "{text}");
    assert!(!text.contains(password.expose()), "{text}");
    assert!(!acl_users().await.contains(&name));

    let err = plugin
        .new_user(&new_user(&["[not json".to_owned()], &name, &password))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRequest(_)));
    plugin.close().await;

    // A wrong admin password: refused, without the password in the message.
    let mut wrong = config(&admin);
    wrong.password = "WrongSecret-123".into();
    let err = plugin.initialize(&wrong, true).await.unwrap_err();
    let text = format!("{err} {err:?} {plugin:?}");
    assert!(matches!(err, Error::BadRequest(_)), "{text}");
    assert!(!text.contains("WrongSecret-123"), "{text}");

    // Nothing listening: the error comes at verification, or at first use.
    let mut closed = config(&admin);
    closed.options.insert("port".to_owned(), "1".to_owned());
    assert!(plugin.initialize(&closed, true).await.is_err());
    plugin.initialize(&closed, false).await.unwrap();
    let err = plugin.delete_user(&[], "V_X").await.unwrap_err();
    assert!(!format!("{err:?}").contains(&admin.password));
    plugin.close().await;
    assert!(plugin.delete_user(&[], "V_X").await.is_err());
}

/// TLS against a server that speaks plain text fails (by the connect timeout), whatever
/// `insecure_tls` says, and the error holds no password.
#[tokio::test]
async fn redis_tls_to_a_plain_server_fails() {
    let admin = Admin {
        name: "admin".to_owned(),
        password: "TlsSecret-1".to_owned(),
    };
    let mut tls = config(&admin);
    tls.options.insert("tls".to_owned(), "true".to_owned());
    tls.options
        .insert("ca_cert".to_owned(), "unused".to_owned());
    tls.options
        .insert("insecure_tls".to_owned(), "true".to_owned());
    let plugin = Redis::new();
    let err = plugin.initialize(&tls, true).await.unwrap_err();
    assert!(!format!("{err:?}").contains("TlsSecret-1"));
}

#[test]
fn redis_rules_parse_like_vault() {
    assert_eq!(acl_rules(&[]).unwrap(), vec!["~*", "+@read"]);
    assert_eq!(acl_rules(&[" ".to_owned()]).unwrap(), vec!["~*", "+@read"]);
    assert_eq!(
        acl_rules(&[r#"["+get","~a:*"]"#.to_owned()]).unwrap(),
        vec!["+get", "~a:*"]
    );
    assert_eq!(
        acl_rules(&["+get".to_owned(), "~a:*".to_owned()]).unwrap(),
        vec!["+get", "~a:*"]
    );
    assert!(acl_rules(&["[\"+get\"".to_owned()]).is_err());
    assert!(acl_rules(&[r#"["+get", ""]"#.to_owned()]).is_err());
    assert_eq!(Redis::new().name(), "redis-database-plugin");
}
