//! The Go MySQL driver's DSN, the format of Vault's MySQL `connection_url`:
//! `[user[:password]@][net[(addr)]]/dbname[?param1=value1&paramN=valueN]`.
//!
//! The template is parsed before `{{username}}` and `{{password}}` are filled in, so a
//! password holding `@`, `/`, `:` or `?` cannot change how the rest is read. Error messages
//! never quote the URL: it may hold a password.

use tresor_sdk::Error;

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Address {
    Tcp { host: String, port: u16 },
    Unix(String),
}

/// A parsed DSN; `user` and `password` are still templates (a literal password may be in
/// them, so no `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Dsn {
    pub user: String,
    pub password: String,
    pub address: Address,
    pub db_name: Option<String>,
    pub params: Vec<(String, String)>,
}

const DEFAULT_PORT: u16 = 3306;

fn invalid(what: &str) -> Error {
    Error::bad_request(format!("invalid connection_url: {what}"))
}

/// Splits the DSN the way the Go driver does: the last `/` ends the address, the last `@`
/// before it ends the credentials, and the first `:` in those separates the password.
pub(crate) fn parse(dsn: &str) -> Result<Dsn, Error> {
    let dsn = dsn.trim();
    let (head, tail) = dsn
        .rsplit_once('/')
        .ok_or_else(|| invalid("missing the '/' before the database name"))?;
    let (credentials, endpoint) = match head.rsplit_once('@') {
        Some((credentials, endpoint)) => (Some(credentials), endpoint),
        None => (None, head),
    };
    let (user, password) = match credentials {
        Some(credentials) => match credentials.split_once(':') {
            Some((user, password)) => (user.to_owned(), password.to_owned()),
            None => (credentials.to_owned(), String::new()),
        },
        None => (String::new(), String::new()),
    };
    let address = parse_endpoint(endpoint)?;
    let (db_name, query) = match tail.split_once('?') {
        Some((db, query)) => (db, Some(query)),
        None => (tail, None),
    };
    let db_name =
        percent_decode(db_name).ok_or_else(|| invalid("bad escape in the database name"))?;
    let params = match query {
        Some(query) => parse_params(query)?,
        None => Vec::new(),
    };
    Ok(Dsn {
        user,
        password,
        address,
        db_name: (!db_name.is_empty()).then_some(db_name),
        params,
    })
}

fn parse_endpoint(endpoint: &str) -> Result<Address, Error> {
    if endpoint.is_empty() {
        return Ok(Address::Tcp {
            host: "127.0.0.1".to_owned(),
            port: DEFAULT_PORT,
        });
    }
    let (net, addr) = match endpoint.split_once('(') {
        Some((net, rest)) => {
            let addr = rest
                .strip_suffix(')')
                .ok_or_else(|| invalid("the address must end with ')'"))?;
            (net, addr)
        }
        None => (endpoint, ""),
    };
    match net {
        "tcp" | "tcp4" | "tcp6" => parse_host_port(addr),
        "unix" if !addr.is_empty() => Ok(Address::Unix(addr.to_owned())),
        "unix" => Ok(Address::Unix("/tmp/mysql.sock".to_owned())),
        _ => Err(invalid("the network must be tcp or unix")),
    }
}

fn parse_host_port(addr: &str) -> Result<Address, Error> {
    if addr.contains(',') {
        return Err(invalid("several hosts in one address are not supported"));
    }
    if addr.is_empty() {
        return Ok(Address::Tcp {
            host: "127.0.0.1".to_owned(),
            port: DEFAULT_PORT,
        });
    }
    let (host, port) = if let Some(rest) = addr.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| invalid("unclosed '[' in the host"))?;
        match after {
            "" => (host, None),
            _ => (
                host,
                Some(after.strip_prefix(':').ok_or_else(|| invalid("bad port"))?),
            ),
        }
    } else {
        match addr.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (addr, None),
        }
    };
    let port = match port {
        Some(port) => port.parse::<u16>().map_err(|_| invalid("bad port"))?,
        None => DEFAULT_PORT,
    };
    if host.is_empty() {
        return Err(invalid("empty host"));
    }
    Ok(Address::Tcp {
        host: host.to_owned(),
        port,
    })
}

fn parse_params(query: &str) -> Result<Vec<(String, String)>, Error> {
    let mut params = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value).ok_or_else(|| invalid("bad escape in a parameter"))?;
        params.push((key.to_owned(), value));
    }
    Ok(params)
}

/// `%XX` escapes, as Go's `url.PathUnescape`/`QueryUnescape` read them.
fn percent_decode(input: &str) -> Option<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let text = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(text, 16).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Fills `{{username}}` and `{{password}}` in the user and password parts.
/// One pass, so a username holding `{{password}}` never receives the password.
pub(crate) fn fill(template: &str, username: &str, password: &str) -> String {
    template
        .split("{{username}}")
        .map(|part| part.replace("{{password}}", password))
        .collect::<Vec<_>>()
        .join(username)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vault_style_urls() {
        let dsn = parse("{{username}}:{{password}}@tcp(127.0.0.1:3306)/").unwrap();
        assert_eq!(dsn.user, "{{username}}");
        assert_eq!(dsn.password, "{{password}}");
        assert_eq!(
            dsn.address,
            Address::Tcp {
                host: "127.0.0.1".into(),
                port: 3306
            }
        );
        assert_eq!(dsn.db_name, None);
        assert!(dsn.params.is_empty());

        let dsn = parse("root:p:a@ss/x@tcp(db.example.com)/app%20db?tls=true&timeout=5s").unwrap();
        assert_eq!(dsn.user, "root");
        assert_eq!(dsn.password, "p:a@ss/x");
        assert_eq!(
            dsn.address,
            Address::Tcp {
                host: "db.example.com".into(),
                port: 3306
            }
        );
        assert_eq!(dsn.db_name.as_deref(), Some("app db"));
        assert_eq!(
            dsn.params,
            vec![
                ("tls".into(), "true".into()),
                ("timeout".into(), "5s".into())
            ]
        );

        let dsn = parse("u@tcp([::1]:3307)/").unwrap();
        assert_eq!(
            dsn.address,
            Address::Tcp {
                host: "::1".into(),
                port: 3307
            }
        );
        let dsn = parse("u:p@unix(/run/mysqld/mysqld.sock)/db").unwrap();
        assert_eq!(dsn.address, Address::Unix("/run/mysqld/mysqld.sock".into()));
        let dsn = parse("/").unwrap();
        assert_eq!(
            dsn.address,
            Address::Tcp {
                host: "127.0.0.1".into(),
                port: 3306
            }
        );
    }

    #[test]
    fn rejects_bad_urls_without_echoing_them() {
        for bad in [
            "user:secretpw@tcp(127.0.0.1:3306)",
            "user:secretpw@tcp(127.0.0.1:99999)/",
            "user:secretpw@tcp(127.0.0.1:3306/",
            "user:secretpw@udp(127.0.0.1)/",
            "user:secretpw@tcp(a:1,b:2)/",
            "user:secretpw@tcp(h)/db%zz",
        ] {
            let Err(err) = parse(bad) else {
                panic!("accepted a bad URL")
            };
            assert!(!err.to_string().contains("secretpw"), "{err}");
        }
    }

    #[test]
    fn fill_replaces_placeholders() {
        assert_eq!(fill("{{username}}", "root", "pw"), "root");
        assert_eq!(
            fill("x{{password}}", "root", "p{{username}}"),
            "xp{{username}}"
        );
        assert_eq!(fill("{{username}}", "{{password}}", "pw"), "{{password}}");
    }
}
