//! The directory side of a login, step by step as Vault's LDAP helper takes them:
//! connect (URLs in order), find the DN to bind as, find the user's DN, their groups,
//! and the value of their identity alias.

use super::conn::{Conn, ConnectOptions};
use super::dn;
use super::error::LdapError;
use super::filter::{self, Filter};
use super::model::{Config, DEFAULT_USER_FILTER};
use super::proto::{Deref, Entry, Scope, Search};
use super::template;
use super::tls::TlsOptions;
use super::url;
use std::collections::BTreeSet;

pub fn tls_options(cfg: &Config) -> TlsOptions<'_> {
    TlsOptions {
        ca_pem: &cfg.certificate,
        insecure: cfg.insecure_tls,
        client_cert: &cfg.client_tls_cert,
        client_key: &cfg.client_tls_key,
        min_version: &cfg.tls_min_version,
        max_version: &cfg.tls_max_version,
    }
}

pub fn deref(name: &str) -> Option<Deref> {
    match name {
        "never" => Some(Deref::Never),
        "searching" => Some(Deref::Searching),
        "finding" => Some(Deref::Finding),
        "always" => Some(Deref::Always),
        _ => None,
    }
}

/// A connection to the first URL of `url` that answers.
pub async fn dial(cfg: &Config) -> Result<Conn, LdapError> {
    let opts = ConnectOptions {
        tls: tls_options(cfg),
        starttls: cfg.starttls,
        connect_timeout: cfg.connection_timeout(),
        request_timeout: cfg.request_timeout(),
    };
    let mut last = LdapError::Url("no LDAP URL is configured".to_owned());
    for url in url::parse_list(&cfg.url) {
        let attempt = match &url {
            Ok(u) => Conn::connect(u, &opts).await,
            Err(e) => Err(e.clone()),
        };
        match attempt {
            Ok(conn) => return Ok(conn),
            Err(e) => {
                tracing::debug!(error = %e, "LDAP server not usable, trying the next URL");
                last = e;
            }
        }
    }
    Err(last)
}

fn search<'a>(
    cfg: &Config,
    base: &'a str,
    filter: &'a Filter,
    attributes: &'a [&'a str],
) -> Search<'a> {
    Search {
        base,
        scope: Scope::Subtree,
        deref: deref(&cfg.dereference_aliases).unwrap_or_default(),
        size_limit: i32::MAX,
        filter,
        attributes,
    }
}

fn parse_filter(rendered: &str) -> Result<Filter, LdapError> {
    filter::parse(rendered).map_err(|e| LdapError::Filter(format!("LDAP search failed: {e}")))
}

/// `userfilter` with the escaped username (`name@upndomain` with a UPN domain).
pub fn user_filter(cfg: &Config, username: &str) -> Result<Filter, LdapError> {
    let template = if cfg.userfilter.is_empty() {
        DEFAULT_USER_FILTER
    } else {
        &cfg.userfilter
    };
    let (attr, user) = if cfg.upndomain.is_empty() {
        (filter::escape(&cfg.userattr), filter::escape(username))
    } else {
        let upn = format!("{}@{}", filter::escape(username), cfg.upndomain);
        ("userPrincipalName".to_owned(), upn)
    };
    let rendered = template::render(template, &[("UserAttr", &attr), ("Username", &user)])
        .map_err(|e| LdapError::Filter(format!("invalid userfilter: {e}")))?;
    parse_filter(&rendered)
}

/// The search for the user's entry, bound as `binddn` (without `bindpass`, an
/// unauthenticated bind: anonymous when `binddn` is empty).
pub async fn find_user(
    cfg: &Config,
    conn: &mut Conn,
    username: &str,
) -> Result<Vec<Entry>, LdapError> {
    if cfg.bindpass.is_empty() {
        conn.unauthenticated_bind(&cfg.binddn).await?;
    } else {
        conn.bind(&cfg.binddn, &cfg.bindpass).await?;
    }
    let filter = user_filter(cfg, username)?;
    let attrs = [cfg.userattr.as_str()];
    let s = Search {
        size_limit: 2,
        ..search(cfg, &cfg.userdn, &filter, &attrs)
    };
    conn.search(&s, 0).await
}

/// The user as the login knows them: the DN to bind as and, when a search found it,
/// their entry.
#[derive(Debug)]
pub struct UserRef {
    pub bind_dn: String,
    pub entry: Option<Entry>,
}

/// Finds the DN to bind as: by a search (`discoverdn`, or `binddn` with `bindpass`),
/// else built as `username@upndomain` or `<userattr>=<username>,<userdn>`, the username
/// escaped for a DN.
pub async fn user_bind_dn(
    cfg: &Config,
    conn: &mut Conn,
    username: &str,
) -> Result<UserRef, LdapError> {
    if cfg.searches_for_users() {
        let mut entries = find_user(cfg, conn, username).await?;
        return match (entries.pop(), entries.is_empty()) {
            (Some(entry), true) => Ok(UserRef {
                bind_dn: entry.dn.clone(),
                entry: Some(entry),
            }),
            _ => Err(LdapError::Lookup(
                "LDAP search for binddn 0 or not unique".into(),
            )),
        };
    }
    let escaped = dn::escape_value(username);
    let bind_dn = if cfg.upndomain.is_empty() {
        format!("{}={},{}", cfg.userattr, escaped, cfg.userdn)
    } else {
        format!("{escaped}@{}", cfg.upndomain)
    };
    Ok(UserRef {
        bind_dn,
        entry: None,
    })
}

/// The user's own DN: with a UPN domain, found by `userPrincipalName` (the last match,
/// or empty), else the DN they bound as.
pub async fn user_dn(
    cfg: &Config,
    conn: &mut Conn,
    bind_dn: &str,
    username: &str,
) -> Result<String, LdapError> {
    if cfg.upndomain.is_empty() {
        return Ok(bind_dn.to_owned());
    }
    let rendered = format!(
        "(userPrincipalName={}@{})",
        filter::escape(username),
        cfg.upndomain
    );
    let filter = parse_filter(&rendered)?;
    let entries = conn
        .search(&search(cfg, &cfg.userdn, &filter, &["1.1"]), 0)
        .await?;
    Ok(entries.last().map(|e| e.dn.clone()).unwrap_or_default())
}

/// The names of the user's groups, sorted: the `groupattr` values (a DN's `cn`, else
/// the value as is) of the entries `groupfilter` finds under `groupdn`, or the entry's
/// own `cn` when it has no such attribute. With `use_token_groups`, Active Directory's
/// `tokenGroups` of the user instead.
pub async fn groups(
    cfg: &Config,
    conn: &mut Conn,
    user_dn: &str,
    username: &str,
) -> Result<Vec<String>, LdapError> {
    let entries = if cfg.use_token_groups {
        token_groups(cfg, conn, user_dn).await?
    } else if cfg.groupfilter.is_empty() || cfg.groupdn.is_empty() {
        Vec::new()
    } else {
        let vars = [
            ("UserDN", filter::escape(user_dn)),
            ("Username", filter::escape(username)),
        ];
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let rendered = template::render(&cfg.groupfilter, &vars)
            .map_err(|e| LdapError::Filter(format!("invalid groupfilter: {e}")))?;
        let filter = parse_filter(&rendered)?;
        let attrs = [cfg.groupattr.as_str()];
        let page = u32::try_from(cfg.max_page_size).unwrap_or(0);
        conn.search(&search(cfg, &cfg.groupdn, &filter, &attrs), page)
            .await?
    };
    let exact = cfg.use_pre111_group_cn_behavior;
    let mut names = BTreeSet::new();
    for e in &entries {
        if dn::parse(&e.dn).is_none_or(|r| r.is_empty()) {
            continue;
        }
        let mut values = e.values(&cfg.groupattr).peekable();
        if values.peek().is_none() {
            names.insert(dn::common_name(&e.dn, exact));
        }
        for v in values {
            names.insert(dn::common_name(&String::from_utf8_lossy(v), exact));
        }
    }
    Ok(names.into_iter().collect())
}

/// The groups in the user's `tokenGroups` (SIDs), each looked up by `<SID=...>`.
async fn token_groups(
    cfg: &Config,
    conn: &mut Conn,
    user_dn: &str,
) -> Result<Vec<Entry>, LdapError> {
    let any = Filter::Present("objectClass".into());
    let base = Search {
        scope: Scope::Base,
        size_limit: 1,
        ..search(cfg, user_dn, &any, &["tokenGroups"])
    };
    let Some(user) = conn.search(&base, 0).await?.into_iter().next() else {
        tracing::warn!("unable to read the user's object for its tokenGroups");
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for raw in user.values("tokenGroups") {
        let Some(sid) = sid_string(raw) else {
            tracing::warn!("unable to read a SID of tokenGroups");
            continue;
        };
        let sid_base = format!("<SID={sid}>");
        let one = Search {
            base: &sid_base,
            attributes: &["1.1"],
            ..base
        };
        match conn.search(&one, 0).await {
            Ok(found) => out.extend(found.into_iter().take(1)),
            Err(e) => tracing::warn!(%sid, error = %e, "unable to read a group by its SID"),
        }
    }
    Ok(out)
}

/// A binary SID as `S-<revision>-<authority>-<sub>-...`.
pub fn sid_string(b: &[u8]) -> Option<String> {
    let (&revision, &count) = (b.first()?, b.get(1)?);
    let authority = b
        .get(2..8)?
        .iter()
        .fold(0u64, |a, &x| (a << 8) | u64::from(x));
    let mut out = format!("S-{revision}-{authority}");
    for i in 0..usize::from(count) {
        let at = 8 + 4 * i;
        let sub: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        out.push_str(&format!("-{}", u32::from_le_bytes(sub)));
    }
    Some(out)
}

/// The identity alias: with a search, the user's single `userattr` value; else the
/// DN (or UPN) they bound as.
pub fn alias_value(cfg: &Config, user: &UserRef) -> Result<String, LdapError> {
    let Some(entry) = &user.entry else {
        return Ok(user.bind_dn.clone());
    };
    let [attr] = entry.attributes.as_slice() else {
        return Err(LdapError::Lookup(
            "LDAP attribute missing for entity alias mapping".into(),
        ));
    };
    match attr.values.as_slice() {
        [v] if !v.is_empty() => Ok(String::from_utf8_lossy(v).into_owned()),
        _ => Err(LdapError::Lookup(format!(
            "LDAP entity alias attribute {} empty or not unique for entity alias mapping",
            cfg.userattr
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_read_as_text() {
        let sid = [1u8, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0];
        assert_eq!(sid_string(&sid).unwrap(), "S-1-5-32-544");
        assert!(sid_string(&sid[..12]).is_none());
        assert!(sid_string(&[]).is_none());
    }

    #[test]
    fn user_filters_escape_the_username() {
        let cfg = Config {
            userattr: "uid".into(),
            ..Config::default()
        };
        let f = user_filter(&cfg, "*)(uid=*").unwrap();
        assert_eq!(f, Filter::Equal("uid".into(), b"*)(uid=*".to_vec()));
        let upn = Config {
            upndomain: "example.org".into(),
            ..cfg
        };
        assert_eq!(
            user_filter(&upn, "a*").unwrap(),
            Filter::Equal("userPrincipalName".into(), b"a*@example.org".to_vec())
        );
    }
}
