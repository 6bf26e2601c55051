//! Renewal of a token this method issued. Vault logs the user in again with the
//! password it keeps inside the token; tresor never keeps a password. Where the
//! directory can be read without it (`binddn` with `bindpass`, or `discoverdn`), the
//! user must still be found, uniquely, and their policies must be the ones the token
//! has; otherwise renewal is not checked against the directory. The token is renewed
//! under the config's current token parameters.

use super::directory;
use super::error::LdapError;
use super::model::{self, Config};
use super::path_login::mapped_policies;
use super::Ldap;
use tresor_sdk::{Error, LoginRecord, RenewTerms};

pub async fn renew(b: &Ldap, login: &LoginRecord<'_>) -> Result<Option<RenewTerms>, Error> {
    let cfg = model::load_config(&b.storage).await?;
    let terms = Some(cfg.token.renew_terms());
    if !cfg.searches_for_users() {
        return Ok(terms);
    }
    let name = login
        .metadata
        .get("username")
        .map(String::as_str)
        .unwrap_or_default();
    let groups = groups_of(&cfg, name).await.map_err(|e| {
        tracing::info!(error = %e, "LDAP lookup for a renewal failed");
        Error::bad_request("ldap operation failed: failed to look up the user")
    })?;
    let mut want = cfg.token.policies.clone();
    want.extend(mapped_policies(b, &cfg, name, groups).await?);
    if !crate::names::same_policies(&want, login.policies) {
        return Err(Error::bad_request("policies have changed, not renewing"));
    }
    Ok(terms)
}

/// The user's directory groups, found as at login but without binding as the user.
async fn groups_of(cfg: &Config, name: &str) -> Result<Vec<String>, LdapError> {
    let mut conn = directory::dial(cfg).await?;
    let found = async {
        let user = directory::user_bind_dn(cfg, &mut conn, name).await?;
        let user_dn = directory::user_dn(cfg, &mut conn, &user.bind_dn, name).await?;
        if cfg.anonymous_group_search {
            let mut anon = directory::dial(cfg).await?;
            let groups = directory::groups(cfg, &mut anon, &user_dn, name).await;
            anon.close().await;
            groups
        } else {
            directory::groups(cfg, &mut conn, &user_dn, name).await
        }
    }
    .await;
    conn.close().await;
    found
}
