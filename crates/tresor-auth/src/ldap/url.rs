//! `ldap://host[:port][/...]` and `ldaps://...` URLs, as `url` lists them.

use super::error::LdapError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Ldap,
    Ldaps,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapUrl {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
}

impl LdapUrl {
    /// `host:port`, with brackets around an IPv6 address.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The URLs of a comma-separated `url`, in order (empty items skipped).
pub fn parse_list(list: &str) -> Vec<Result<LdapUrl, LdapError>> {
    list.split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(parse)
        .collect()
}

pub fn parse(url: &str) -> Result<LdapUrl, LdapError> {
    let bad = |why: &str| LdapError::Url(format!("{why} in {:?}", clip(url)));
    let (scheme, rest) = match url.split_once("://") {
        Some((s, rest)) if s.eq_ignore_ascii_case("ldap") => (Scheme::Ldap, rest),
        Some((s, rest)) if s.eq_ignore_ascii_case("ldaps") => (Scheme::Ldaps, rest),
        _ => return Err(bad("invalid LDAP scheme")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(bad("user information is not allowed"));
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err(bad("missing host"));
    }
    let port = match port {
        Some(p) => p.parse::<u16>().map_err(|_| bad("invalid port"))?,
        None if scheme == Scheme::Ldaps => 636,
        None => 389,
    };
    Ok(LdapUrl {
        scheme,
        host: host.to_owned(),
        port,
    })
}

fn clip(s: &str) -> String {
    s.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u = parse("ldap://ldap.example.org").unwrap();
        assert_eq!(
            (u.scheme, u.port, u.authority()),
            (Scheme::Ldap, 389, "ldap.example.org:389".into())
        );
        let u = parse("LDAPS://10.0.0.1:1636/dc=x").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_str(), u.port),
            (Scheme::Ldaps, "10.0.0.1", 1636)
        );
        let u = parse("ldaps://[::1]").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.authority()),
            ("::1", 636, "[::1]:636".into())
        );
        for bad in [
            "http://x",
            "ldap://",
            "ldap://x:99999",
            "ldap://u@x",
            "x",
            "ldap://[::1",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let list = parse_list("ldap://a, ,ldaps://b:1");
        assert_eq!(list.len(), 2);
    }
}
