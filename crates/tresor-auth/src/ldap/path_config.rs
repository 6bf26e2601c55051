//! `config`: where the directory is and how users and groups are found in it. A read
//! never shows `bindpass` or `client_tls_key`; a write changes only the fields it sets.

use super::directory::{deref, tls_options};
use super::model::{self, Config};
use super::{filter, template, tls, url, Ldap};
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Response, Value};

const USER_FILTER_WARNING: &str = "userfilter configured does not consider userattr and may result in colliding entity aliases on logins";

pub async fn read(b: &Ldap) -> Result<Response, Error> {
    let cfg = model::load_config(&b.storage).await?;
    let mut d = Data::new();
    let mut put = |k: &str, v: Value| {
        d.insert(k.to_owned(), v);
    };
    put("url", cfg.url.clone().into());
    put("userdn", cfg.userdn.clone().into());
    put("groupdn", cfg.groupdn.clone().into());
    put("groupfilter", cfg.groupfilter.clone().into());
    put("groupattr", cfg.groupattr.clone().into());
    put("userfilter", cfg.userfilter.clone().into());
    put("upndomain", cfg.upndomain.clone().into());
    put("userattr", cfg.userattr.clone().into());
    put("certificate", cfg.certificate.clone().into());
    put("insecure_tls", cfg.insecure_tls.into());
    put("starttls", cfg.starttls.into());
    put("binddn", cfg.binddn.clone().into());
    put("deny_null_bind", cfg.deny_null_bind.into());
    put("discoverdn", cfg.discoverdn.into());
    put("tls_min_version", cfg.tls_min_version.clone().into());
    put("tls_max_version", cfg.tls_max_version.clone().into());
    put("use_token_groups", cfg.use_token_groups.into());
    put("anonymous_group_search", cfg.anonymous_group_search.into());
    put("request_timeout", cfg.request_timeout.into());
    put("connection_timeout", cfg.connection_timeout.into());
    put("username_as_alias", cfg.username_as_alias.into());
    put(
        "dereference_aliases",
        cfg.dereference_aliases.clone().into(),
    );
    put("max_page_size", cfg.max_page_size.into());
    put("case_sensitive_names", cfg.case_sensitive_names.into());
    put(
        "use_pre111_group_cn_behavior",
        cfg.use_pre111_group_cn_behavior.into(),
    );
    cfg.token.to_data(&mut d);
    let mut resp = Response::data(d);
    resp.warnings.extend(user_filter_warning(&cfg));
    Ok(resp)
}

/// Vault's best-effort warning: a `userfilter` that ignores `userattr` may map two
/// users to one alias.
fn user_filter_warning(cfg: &Config) -> Option<String> {
    let f = &cfg.userfilter;
    let fine = f.is_empty() || f.contains("{{.UserAttr}}") || f.contains(&cfg.userattr);
    (!fine).then(|| USER_FILTER_WARNING.to_owned())
}

pub async fn write(b: &Ldap, fields: &Fields, data: &Data) -> Result<Response, Error> {
    let _writes = b.writes.lock().await;
    let mut cfg = model::load_config(&b.storage).await?;
    apply_strings(&mut cfg, fields);
    apply_flags(&mut cfg, fields);
    if let Some(p) = fields.str("bindpass") {
        cfg.bindpass = p.into();
    }
    if let Some(k) = fields.str("client_tls_key") {
        cfg.client_tls_key = k.into();
    }
    validate(&cfg)?;
    cfg.token.parse_update_with(data, &[])?;
    model::save_config(&b.storage, &cfg).await?;
    let mut resp = Response::empty();
    resp.warnings.extend(user_filter_warning(&cfg));
    Ok(resp)
}

fn apply_strings(cfg: &mut Config, fields: &Fields) {
    let set = |target: &mut String, name: &str| {
        if let Some(v) = fields.str(name) {
            *target = v.to_owned();
        }
    };
    set(&mut cfg.url, "url");
    set(&mut cfg.userdn, "userdn");
    set(&mut cfg.binddn, "binddn");
    set(&mut cfg.userattr, "userattr");
    set(&mut cfg.userfilter, "userfilter");
    set(&mut cfg.upndomain, "upndomain");
    set(&mut cfg.groupdn, "groupdn");
    set(&mut cfg.groupfilter, "groupfilter");
    set(&mut cfg.groupattr, "groupattr");
    set(&mut cfg.certificate, "certificate");
    set(&mut cfg.client_tls_cert, "client_tls_cert");
    set(&mut cfg.tls_min_version, "tls_min_version");
    set(&mut cfg.tls_max_version, "tls_max_version");
    set(&mut cfg.dereference_aliases, "dereference_aliases");
    cfg.url = cfg.url.to_lowercase();
    cfg.userattr = cfg.userattr.to_lowercase();
}

fn apply_flags(cfg: &mut Config, fields: &Fields) {
    let set = |target: &mut bool, name: &str| {
        if let Some(v) = fields.bool(name) {
            *target = v;
        }
    };
    set(&mut cfg.insecure_tls, "insecure_tls");
    set(&mut cfg.starttls, "starttls");
    set(&mut cfg.deny_null_bind, "deny_null_bind");
    set(&mut cfg.discoverdn, "discoverdn");
    set(&mut cfg.case_sensitive_names, "case_sensitive_names");
    set(&mut cfg.use_token_groups, "use_token_groups");
    set(
        &mut cfg.use_pre111_group_cn_behavior,
        "use_pre111_group_cn_behavior",
    );
    set(&mut cfg.anonymous_group_search, "anonymous_group_search");
    set(&mut cfg.username_as_alias, "username_as_alias");
    if let Some(d) = fields.duration("request_timeout") {
        cfg.request_timeout = d.as_secs();
    }
    if let Some(d) = fields.duration("connection_timeout") {
        cfg.connection_timeout = d.as_secs();
    }
    if let Some(n) = fields.int("max_page_size") {
        cfg.max_page_size = n;
    }
}

/// A filter template: only the allowed placeholders, and a valid filter once filled.
fn check_filter(name: &str, template: &str, vars: &[&str]) -> Result<(), Error> {
    if template.is_empty() {
        return Ok(());
    }
    let bad = |why: String| Error::bad_request(format!("invalid {name}: {why}"));
    template::check(template, vars).map_err(bad)?;
    let filled: Vec<(&str, &str)> = vars.iter().map(|v| (*v, "x")).collect();
    let rendered = template::render(template, &filled).map_err(bad)?;
    filter::parse(&rendered).map_err(|e| bad(e.to_string()))?;
    Ok(())
}

fn validate(cfg: &Config) -> Result<(), Error> {
    for u in url::parse_list(&cfg.url) {
        u.map_err(|e| Error::bad_request(e.to_string()))?;
    }
    check_filter("userfilter", &cfg.userfilter, &["UserAttr", "Username"])?;
    check_filter("groupfilter", &cfg.groupfilter, &["UserDN", "Username"])?;
    if !cfg.certificate.trim().is_empty() {
        tls::parse_ca(&cfg.certificate)
            .map_err(|e| Error::bad_request(format!("failed to parse server tls cert: {e}")))?;
    }
    let min = tls::version_number(&cfg.tls_min_version)
        .ok_or_else(|| Error::bad_request("invalid 'tls_min_version'"))?;
    let max = tls::version_number(&cfg.tls_max_version)
        .ok_or_else(|| Error::bad_request("invalid 'tls_max_version'"))?;
    if max < min {
        return Err(Error::bad_request(
            "'tls_max_version' must be greater than or equal to 'tls_min_version'",
        ));
    }
    tls::check(&tls_options(cfg)).map_err(Error::bad_request)?;
    if deref(&cfg.dereference_aliases).is_none() {
        return Err(Error::bad_request(
            "invalid 'dereference_aliases': use never, finding, searching or always",
        ));
    }
    Ok(())
}
