//! Against the MariaDB server on 127.0.0.1:3306 (root, empty password). Every test uses
//! names of its own and drops what it created, pass or fail.

use super::*;
use mysql_async::OptsBuilder;
use std::collections::BTreeMap;

const URL: &str = "{{username}}:{{password}}@tcp(127.0.0.1:3306)/";
const CREATE: &str = "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; \
                      GRANT SELECT ON test.* TO '{{name}}'@'%';";

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        tresor_crypto::random::base62(10).unwrap().expose()
    )
}

fn root_config(password: &str) -> ConnectionConfig {
    ConnectionConfig {
        connection_url: URL.to_owned(),
        username: "root".to_owned(),
        password: password.into(),
        options: BTreeMap::new(),
    }
}

async fn plugin() -> MySql {
    let plugin = MySql::new();
    plugin.initialize(&root_config(""), true).await.unwrap();
    plugin
}

fn opts(user: &str, password: &str) -> OptsBuilder {
    OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(3306)
        .user(Some(user))
        .pass(Some(password))
}

/// Whether `user` can log in with `password`.
async fn login(user: &str, password: &str) -> bool {
    match Conn::new(opts(user, password)).await {
        Ok(conn) => {
            let _ = conn.disconnect().await;
            true
        }
        Err(_) => false,
    }
}

async fn root() -> Conn {
    Conn::new(opts("root", "")).await.unwrap()
}

async fn users_named(user: &str) -> i64 {
    let mut conn = root().await;
    let n: Option<i64> = conn
        .exec_first("SELECT COUNT(*) FROM mysql.user WHERE user = ?", (user,))
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    n.unwrap_or(0)
}

async fn table_exists(table: &str) -> bool {
    let mut conn = root().await;
    let n: Option<i64> = conn
        .exec_first(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'test' AND table_name = ?",
            (table,),
        )
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    n.unwrap_or(0) > 0
}

/// Drops users (any host) and `test.` tables when dropped, also when the test panics.
struct Cleanup {
    users: Vec<String>,
    tables: Vec<String>,
}

impl Cleanup {
    fn new(users: &[&str], tables: &[&str]) -> Self {
        let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        Self {
            users: owned(users),
            tables: owned(tables),
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let (users, tables) = (
            std::mem::take(&mut self.users),
            std::mem::take(&mut self.tables),
        );
        // A runtime of its own on a thread of its own: this runs while a panic unwinds too.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(cleanup(&users, &tables));
        })
        .join();
    }
}

async fn cleanup(users: &[String], tables: &[String]) {
    let mut conn = root().await;
    for user in users {
        let hosts: Vec<String> = conn
            .exec("SELECT host FROM mysql.user WHERE user = ?", (user,))
            .await
            .unwrap();
        for host in hosts {
            let quote = |s: &str| s.replace('\\', "\\\\").replace('\'', "''");
            let sql = format!("DROP USER IF EXISTS '{}'@'{}'", quote(user), quote(&host));
            conn.query_drop(sql).await.unwrap();
        }
    }
    for table in tables {
        conn.query_drop(format!("DROP TABLE IF EXISTS test.`{table}`"))
            .await
            .unwrap();
    }
    conn.disconnect().await.unwrap();
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
        expiration: "2030-01-01 00:00:00+0000",
    }
}

#[tokio::test]
async fn mysql_dynamic_user_lifecycle() {
    let name = unique("tt-");
    let password = SecretString::from(unique("Pw-").as_str());
    let _cleanup = Cleanup::new(&[&name], &[]);
    let plugin = plugin().await;
    let statements = vec![CREATE.to_owned()];
    plugin
        .new_user(&new_user(&statements, &name, &password))
        .await
        .unwrap();
    assert!(
        login(&name, password.expose()).await,
        "the new user logs in"
    );
    assert_eq!(users_named(&name).await, 1);

    plugin
        .renew_user(&[], &name, "2031-01-01 00:00:00+0000")
        .await
        .unwrap();

    plugin.delete_user(&[], &name).await.unwrap();
    assert!(
        !login(&name, password.expose()).await,
        "a deleted user cannot log in"
    );
    assert_eq!(users_named(&name).await, 0);
    // Revoking again (a retry after a crash) succeeds.
    plugin.delete_user(&[], &name).await.unwrap();
    plugin.close().await;
}

#[tokio::test]
async fn mysql_custom_revocation_statements() {
    let name = unique("tr-");
    let password = SecretString::from(unique("Pw-").as_str());
    let _cleanup = Cleanup::new(&[&name], &[]);
    let plugin = plugin().await;
    let json = r#"["CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'"]"#.to_owned();
    plugin
        .new_user(&new_user(&[json], &name, &password))
        .await
        .unwrap();
    assert!(login(&name, password.expose()).await);
    let revoke = vec!["DROP USER IF EXISTS '{{name}}'@'%'".to_owned()];
    plugin.delete_user(&revoke, &name).await.unwrap();
    assert_eq!(users_named(&name).await, 0);
    // No creation statements: Vault has no default for MySQL.
    let err = plugin
        .new_user(&new_user(&[], &name, &password))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRequest(_)));
    plugin.close().await;
}

#[tokio::test]
async fn mysql_set_password_replaces_the_old_one() {
    let name = unique("tp-");
    let old = SecretString::from(unique("Old-").as_str());
    let new = SecretString::from(unique("New-").as_str());
    let _cleanup = Cleanup::new(&[&name], &[]);
    let plugin = plugin().await;
    plugin
        .new_user(&new_user(&[CREATE.to_owned()], &name, &old))
        .await
        .unwrap();
    plugin.set_password(&[], &name, &new).await.unwrap();
    assert!(!login(&name, old.expose()).await, "the old password fails");
    assert!(login(&name, new.expose()).await, "the new password works");

    let custom = vec!["SET PASSWORD FOR '{{username}}'@'%' = PASSWORD('{{password}}')".to_owned()];
    plugin.set_password(&custom, &name, &old).await.unwrap();
    assert!(login(&name, old.expose()).await);
    assert!(!login(&name, new.expose()).await);
    plugin.close().await;
}

/// Quotes, backslashes, `;` and comment markers in the name and password stay inside their
/// literals: had any escaped, the extra user or table would exist afterwards.
#[tokio::test]
async fn mysql_values_cannot_inject() {
    let tag = unique("");
    let extra_user = format!("inj{tag}");
    let extra_table = format!("inj{tag}");
    let name = format!("n\\'{tag}'; CREATE USER '{extra_user}'@'%'; -- #");
    let password = SecretString::new(format!(
        "p\\'; CREATE TABLE test.{extra_table} (a INT); -- \" ` /* #"
    ));
    let _cleanup = Cleanup::new(&[&name, &extra_user], &[&extra_table]);
    let plugin = plugin().await;
    plugin
        .new_user(&new_user(&[CREATE.to_owned()], &name, &password))
        .await
        .unwrap();
    assert_eq!(
        users_named(&name).await,
        1,
        "the user has exactly the name given"
    );
    assert!(
        login(&name, password.expose()).await,
        "with exactly the password given"
    );
    assert_eq!(users_named(&extra_user).await, 0, "no injected user");
    assert!(!table_exists(&extra_table).await, "no injected table");

    let new = SecretString::new(format!("q'; CREATE TABLE test.{extra_table} (a INT); #\\"));
    plugin.set_password(&[], &name, &new).await.unwrap();
    assert!(login(&name, new.expose()).await);
    assert!(!table_exists(&extra_table).await);

    plugin.delete_user(&[], &name).await.unwrap();
    assert_eq!(users_named(&name).await, 0);
    assert_eq!(users_named(&extra_user).await, 0);
    plugin.close().await;
}

#[tokio::test]
async fn mysql_errors_never_show_passwords() {
    let name = unique("te-");
    let password = SecretString::from(unique("Secret-").as_str());
    let _cleanup = Cleanup::new(&[&name], &[]);
    let plugin = plugin().await;
    // A syntax error just before the password: the server quotes the rest of the statement.
    let bad = vec!["CREATE USER '{{name}}'@'%' IDENTIFIED BYY '{{password}}'".to_owned()];
    let err = plugin
        .new_user(&new_user(&bad, &name, &password))
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("syntax"), "{text}");
    assert!(!text.contains(password.expose()), "{text}");
    assert_eq!(users_named(&name).await, 0);

    // Changing the password of a user that does not exist.
    let err = plugin
        .set_password(&[], &name, &password)
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains(password.expose()), "{text}");

    // A placeholder outside quotes is refused before anything runs.
    let bare = vec!["CREATE USER {{name}} IDENTIFIED BY {{password}}".to_owned()];
    let err = plugin
        .new_user(&new_user(&bare, &name, &password))
        .await
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains(password.expose()));
    assert_eq!(users_named(&name).await, 0);
    plugin.close().await;
}

#[tokio::test]
async fn mysql_bad_connection_errors_hide_the_password() {
    let secret = unique("RootSecret-");
    let plugin = MySql::new();
    let err = plugin
        .initialize(&root_config(&secret), true)
        .await
        .unwrap_err();
    let text = format!("{err} {err:?} {plugin:?}");
    assert!(matches!(err, Error::BadRequest(_)), "{text}");
    assert!(text.contains("Access denied"), "{text}");
    assert!(!text.contains(&secret), "{text}");

    let mut config = root_config(&secret);
    config.connection_url = "{{username}}:{{password}}@tcp(127.0.0.1:1)/?timeout=2s".to_owned();
    let err = plugin.initialize(&config, true).await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains(&secret));

    // Unverified, the error comes with the first use instead.
    plugin.initialize(&config, false).await.unwrap();
    let pw = SecretString::from("x");
    let err = plugin
        .new_user(&new_user(&[CREATE.to_owned()], "tx-never", &pw))
        .await
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains(&secret));
    plugin.close().await;

    let err = plugin.delete_user(&[], "tx-never").await.unwrap_err();
    assert!(matches!(err, Error::Internal(_)));
}

#[test]
fn mysql_flavors_and_limits() {
    let modern = MySql::new();
    assert_eq!(modern.name(), "mysql-database-plugin");
    assert_eq!(modern.max_username_len(), 32);
    assert!(modern.default_username_template().contains("truncate 32"));
    let legacy = MySql::legacy();
    assert_eq!(legacy.name(), "mysql-legacy-database-plugin");
    assert_eq!(legacy.max_username_len(), 16);
}

#[test]
fn mysql_redact_covers_cut_messages() {
    assert_eq!(
        redact("bad 'hunter22' here", &["hunter22"]),
        "bad '[redacted]' here"
    );
    assert_eq!(
        redact("ends with 'hunt", &["hunter22"]),
        "ends with '[redacted]"
    );
    assert_eq!(redact("nothing", &["", "zzzz"]), "nothing");
}
