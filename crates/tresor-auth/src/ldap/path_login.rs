//! `login/<username>`: binds to the directory as the user with their password, then
//! answers the token to make, with the policies of the user and of their groups.
//!
//! Every failure up to and including the user's bind (no connection, no unique user,
//! a wrong password, any LDAP error) gives one answer, byte for byte; the detail goes to
//! the server log. When a search finds no unique user, a bind to a DN that names no
//! entry (with a random password, never the user's) still costs the round trip a wrong
//! password costs.
//! An empty password is refused before the directory is contacted (unless
//! `deny_null_bind` is off, and then it is an unauthenticated bind, as in Vault).

use super::conn::Conn;
use super::directory::{self, UserRef};
use super::error::LdapError;
use super::model::{self, Config};
use super::Ldap;
use std::collections::BTreeMap;
use tresor_crypto::SecretString;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Error, Response};

/// The one answer to a failed login (Vault's `errUserBindFailed`).
pub const BIND_FAILED: &str = "ldap operation failed: failed to bind as user";
const NULL_BIND: &str =
    "password cannot be of zero length when passwordless binds are being denied";

/// What the directory says about a user who proved their password.
#[derive(Debug)]
struct Verified {
    groups: Vec<String>,
    alias: String,
}

fn bind_failed(step: &str, e: &LdapError) -> Error {
    tracing::info!(step, error = %e, "LDAP login failed");
    Error::bad_request(BIND_FAILED)
}

/// The username as the login uses it: outer whitespace dropped and inner runs made
/// one space (LDAP matching ignores both, so they must not make a second alias of one
/// entry: the MFA-bypass class of CVE-2025-6013), lower-cased unless names are
/// case-sensitive.
fn username(cfg: &Config, raw: &str) -> String {
    let words: Vec<&str> = raw.split_whitespace().collect();
    cfg.canonical(&words.join(" "))
}

pub async fn login(
    b: &Ldap,
    raw_name: &str,
    fields: &Fields,
    client_addr: Option<&str>,
) -> Result<Response, Error> {
    let cfg = model::load_config(&b.storage).await?;
    cfg.token.check_bound_cidrs(client_addr)?;
    let name = username(&cfg, raw_name);
    let password = SecretString::from(fields.str("password").unwrap_or_default());
    if cfg.deny_null_bind && password.is_empty() {
        return Err(Error::bad_request(NULL_BIND));
    }
    let verified = verify(&cfg, &name, &password).await?;
    drop(password);
    answer(b, &cfg, &name, verified).await
}

/// Proves the password and reads the user's groups and alias.
async fn verify(cfg: &Config, name: &str, password: &SecretString) -> Result<Verified, Error> {
    let mut conn = directory::dial(cfg)
        .await
        .map_err(|e| bind_failed("connect", &e))?;
    let user = match directory::user_bind_dn(cfg, &mut conn, name).await {
        Ok(user) => user,
        Err(e) => {
            if matches!(e, LdapError::Lookup(_)) {
                equalize(cfg, &mut conn).await;
            }
            conn.close().await;
            return Err(bind_failed("find the user", &e));
        }
    };
    let bound = if password.is_empty() {
        conn.unauthenticated_bind(&user.bind_dn).await
    } else {
        conn.bind(&user.bind_dn, password).await
    };
    if let Err(e) = bound {
        conn.close().await;
        return Err(bind_failed("bind as the user", &e));
    }
    let found = after_bind(cfg, &mut conn, name, &user).await;
    conn.close().await;
    found
}

/// A bind that fails, as a wrong password's would, for a user the search did not find.
async fn equalize(cfg: &Config, conn: &mut Conn) {
    let Ok(random) = tresor_crypto::random::base62(24) else {
        return;
    };
    let nobody = if cfg.userdn.is_empty() {
        "cn=tresor-no-such-user".to_owned()
    } else {
        format!("cn=tresor-no-such-user,{}", cfg.userdn)
    };
    let _ = conn.bind(&nobody, &random).await;
}

/// The steps after the user proved their password: back to the service account, the
/// user's DN, their groups (on a fresh anonymous connection with
/// `anonymous_group_search`), and the alias.
async fn after_bind(
    cfg: &Config,
    conn: &mut Conn,
    name: &str,
    user: &UserRef,
) -> Result<Verified, Error> {
    if !cfg.binddn.is_empty() && !cfg.bindpass.is_empty() {
        conn.bind(&cfg.binddn, &cfg.bindpass).await.map_err(|e| {
            tracing::info!(error = %e, "LDAP re-bind as binddn failed");
            Error::bad_request("ldap operation failed: failed to re-bind with the BindDN user")
        })?;
    }
    let user_dn = directory::user_dn(cfg, conn, &user.bind_dn, name)
        .await
        .map_err(|e| Error::bad_request(format!("LDAP search failed for detecting user: {e}")))?;
    let groups = if cfg.anonymous_group_search {
        let mut anon = directory::dial(cfg).await.map_err(|e| {
            tracing::info!(error = %e, "LDAP connection for the group search failed");
            Error::bad_request("ldap operation failed: failed to connect to LDAP server")
        })?;
        let groups = directory::groups(cfg, &mut anon, &user_dn, name).await;
        anon.close().await;
        groups
    } else {
        directory::groups(cfg, conn, &user_dn, name).await
    }
    .map_err(|e| Error::bad_request(group_error(&e)))?;
    let alias = if cfg.username_as_alias {
        name.to_owned()
    } else {
        directory::alias_value(cfg, user).map_err(|e| Error::bad_request(e.to_string()))?
    };
    if alias.is_empty() {
        return Err(Error::bad_request("missing entity alias attribute value"));
    }
    Ok(Verified { groups, alias })
}

fn group_error(e: &LdapError) -> String {
    match e {
        LdapError::Filter(why) => why.clone(),
        other => format!("LDAP search failed: {other}"),
    }
}

/// The policies a user gets beyond the config's: those of their entry and of every
/// group (from the directory and from their entry) that has one.
pub async fn mapped_policies(
    b: &Ldap,
    cfg: &Config,
    name: &str,
    ldap_groups: Vec<String>,
) -> Result<Vec<String>, Error> {
    let user = model::load_user(&b.storage, name).await?;
    let mut all_groups: Vec<String> = user.as_ref().map(|u| u.groups.clone()).unwrap_or_default();
    all_groups.extend(ldap_groups);
    let mut policies = Vec::new();
    for g in &all_groups {
        if let Some(group) = model::load_group(&b.storage, &cfg.canonical(g)).await? {
            policies.extend(group.policies);
        }
    }
    if let Some(u) = user {
        policies.extend(u.policies);
    }
    Ok(model::remove_duplicates(&policies, true))
}

/// The token: the config's token parameters, with the mapped policies.
async fn answer(b: &Ldap, cfg: &Config, name: &str, v: Verified) -> Result<Response, Error> {
    let mut resp = Response::empty();
    if v.groups.is_empty() {
        resp.warnings.push(format!(
            "no LDAP groups found in groupDN {:?}; only policies from locally-defined groups available",
            cfg.groupdn
        ));
    }
    let mut token = cfg.token.clone();
    let group_aliases = v.groups.clone();
    token
        .policies
        .extend(mapped_policies(b, cfg, name, v.groups).await?);
    let mut metadata = BTreeMap::new();
    metadata.insert("username".to_owned(), name.to_owned());
    let mut login = token.login(name, &v.alias, metadata);
    login
        .alias_metadata
        .insert("name".to_owned(), name.to_owned());
    // Directory groups name identity group aliases, as Vault's LDAP method does.
    login.group_aliases = group_aliases;
    resp.login = Some(login);
    Ok(resp)
}
