//! From `config/<name>` to driver options: the DSN in `connection_url`, the pool sizes and
//! the TLS options (`tls_ca`, `tls_certificate_key`, `tls_server_name`, `tls_skip_verify`).
//! TLS, once on, verifies the server's certificate and name unless told not to.

use super::dsn::{self, Address};
use crate::plugin::ConnectionConfig;
use mysql_async::{ClientIdentity, Opts, OptsBuilder, PoolConstraints, PoolOpts, SslOpts};
use std::time::Duration;
use tresor_crypto::SecretString;
use tresor_sdk::Error;

/// Connection settings ready for a pool.
pub(crate) struct Settings {
    pub opts: Opts,
    pub connect_timeout: Duration,
    /// The password the pool logs in with (from `password` or written in the URL), kept so
    /// errors can be cleaned of it.
    pub password: SecretString,
}

const DEFAULT_MAX_OPEN: usize = 4;
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// DSN parameters of the Go driver that change nothing here.
const IGNORED_PARAMS: &[&str] = &[
    "allowNativePasswords",
    "charset",
    "collation",
    "columnsWithAlias",
    "interpolateParams",
    "loc",
    "maxAllowedPacket",
    "multiStatements",
    "parseTime",
    "readTimeout",
    "rejectReadOnly",
    "writeTimeout",
];

fn bad(msg: impl Into<String>) -> Error {
    Error::bad_request(msg.into())
}

pub(crate) fn settings(config: &ConnectionConfig) -> Result<Settings, Error> {
    if config.connection_url.trim().is_empty() {
        return Err(bad("connection_url cannot be empty"));
    }
    let parsed = dsn::parse(&config.connection_url)?;
    let user = dsn::fill(&parsed.user, &config.username, config.password.expose());
    let password = dsn::fill(&parsed.password, &config.username, config.password.expose());
    let secret = SecretString::new(password.clone());

    let mut builder = OptsBuilder::default()
        .user((!user.is_empty()).then_some(user))
        .pass((!password.is_empty()).then_some(password))
        .db_name(parsed.db_name.clone())
        // Statements may hold passwords: never keep them in a client-side cache.
        .stmt_cache_size(0)
        .pool_opts(pool_opts(config)?);
    builder = match &parsed.address {
        Address::Tcp { host, port } => builder.ip_or_hostname(host.clone()).tcp_port(*port),
        Address::Unix(path) => builder.socket(Some(path.clone())).prefer_socket(true),
    };

    let mut tls_param = None;
    let mut connect_timeout = DEFAULT_CONNECT_TIMEOUT;
    for (key, value) in &parsed.params {
        match key.as_str() {
            "tls" => tls_param = Some(value.clone()),
            "timeout" => {
                connect_timeout = parse_duration(value)
                    .ok_or_else(|| bad("invalid connection_url: bad timeout parameter"))?;
            }
            other if IGNORED_PARAMS.contains(&other) => {}
            other => {
                return Err(bad(format!(
                    "invalid connection_url: unsupported parameter {other:?}"
                )));
            }
        }
    }
    builder = builder.ssl_opts(ssl_opts(config, tls_param.as_deref())?);
    Ok(Settings {
        opts: Opts::from(builder),
        connect_timeout,
        password: secret,
    })
}

fn option<'a>(config: &'a ConnectionConfig, key: &str) -> Option<&'a str> {
    config
        .options
        .get(key)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
}

fn pool_opts(config: &ConnectionConfig) -> Result<PoolOpts, Error> {
    let number = |key: &str| -> Result<Option<usize>, Error> {
        option(config, key)
            .map(|v| {
                v.parse::<usize>()
                    .map_err(|_| bad(format!("{key} must be a number")))
            })
            .transpose()
    };
    let max_open = number("max_open_connections")?
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_MAX_OPEN);
    let max_idle = number("max_idle_connections")?
        .filter(|n| *n > 0)
        .unwrap_or(max_open)
        .min(max_open);
    let constraints = PoolConstraints::new(max_idle, max_open)
        .ok_or_else(|| bad("max_idle_connections cannot exceed max_open_connections"))?;
    let lifetime = match option(config, "max_connection_lifetime") {
        Some(v) => parse_duration(v).ok_or_else(|| bad("invalid max_connection_lifetime"))?,
        None => Duration::ZERO,
    };
    Ok(PoolOpts::default()
        .with_constraints(constraints)
        .with_inactive_connection_ttl(Duration::from_secs(60))
        .with_abs_conn_ttl((!lifetime.is_zero()).then_some(lifetime)))
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// A whole number of seconds (`30`) or a Go duration of whole units (`1m30s`, `500ms`).
pub(crate) fn parse_duration(value: &str) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = value;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(digits);
        let number: u64 = number.parse().ok()?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let part = match unit {
            "ns" => Duration::from_nanos(number),
            "us" | "µs" => Duration::from_micros(number),
            "ms" => Duration::from_millis(number),
            "s" => Duration::from_secs(number),
            "m" => Duration::from_secs(number.checked_mul(60)?),
            "h" => Duration::from_secs(number.checked_mul(3600)?),
            _ => return None,
        };
        total = total.checked_add(part)?;
        rest = tail;
    }
    Some(total)
}

/// TLS is on when the DSN asks for it (`tls=true` / `tls=skip-verify`) or a CA or client
/// certificate is configured; it then verifies unless `tls_skip_verify` (or `skip-verify`).
fn ssl_opts(config: &ConnectionConfig, tls_param: Option<&str>) -> Result<Option<SslOpts>, Error> {
    let ca = option(config, "tls_ca");
    let cert_key = option(config, "tls_certificate_key");
    let server_name = option(config, "tls_server_name");
    let skip_verify = match option(config, "tls_skip_verify") {
        Some(v) => parse_bool(v).ok_or_else(|| bad("tls_skip_verify must be a boolean"))?,
        None => false,
    };
    let (wanted, param_skips) = match tls_param {
        None => (false, false),
        Some("skip-verify") => (true, true),
        Some("preferred") => {
            return Err(bad(
                "invalid connection_url: tls=preferred is not supported; use tls=true",
            ));
        }
        Some(v) => match parse_bool(v) {
            Some(on) => (on, false),
            None => return Err(bad("invalid connection_url: unsupported tls parameter")),
        },
    };
    if !wanted && ca.is_none() && cert_key.is_none() {
        return Ok(None);
    }
    let mut opts = SslOpts::default();
    if let Some(ca) = ca {
        if !ca.contains("-----BEGIN CERTIFICATE-----") {
            return Err(bad("tls_ca must hold PEM certificates"));
        }
        opts = opts
            .with_root_certs(vec![ca.as_bytes().to_vec().into()])
            .with_disable_built_in_roots(true);
    }
    if let Some(pem) = cert_key {
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(bad(
                "tls_certificate_key must hold a PEM certificate and its key",
            ));
        }
        // The driver's rustls mode reads only PKCS#1 RSA keys.
        if !pem.contains("-----BEGIN RSA PRIVATE KEY-----") {
            return Err(bad(
                "tls_certificate_key: the private key must be an RSA key in PKCS#1 PEM \
                 (BEGIN RSA PRIVATE KEY)",
            ));
        }
        let buf = || pem.as_bytes().to_vec().into();
        opts = opts.with_client_identity(Some(ClientIdentity::new(buf(), buf())));
    }
    if let Some(name) = server_name {
        opts = opts.with_danger_tls_hostname_override(Some(name.to_owned()));
    }
    if skip_verify || param_skips {
        opts = opts
            .with_danger_accept_invalid_certs(true)
            .with_danger_skip_domain_validation(true);
    }
    Ok(Some(opts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config(url: &str, options: &[(&str, &str)]) -> ConnectionConfig {
        ConnectionConfig {
            connection_url: url.to_owned(),
            username: "root".to_owned(),
            password: "s3cr:et@/x".into(),
            options: options
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn fills_credentials_after_parsing() {
        let s = settings(&config(
            "{{username}}:{{password}}@tcp(127.0.0.1:3306)/app",
            &[],
        ))
        .unwrap();
        assert_eq!(s.opts.user(), Some("root"));
        assert_eq!(s.opts.pass(), Some("s3cr:et@/x"));
        assert_eq!(s.opts.ip_or_hostname(), "127.0.0.1");
        assert_eq!(s.opts.tcp_port(), 3306);
        assert_eq!(s.opts.db_name(), Some("app"));
        assert_eq!(s.opts.stmt_cache_size(), 0);
        assert!(s.opts.ssl_opts().is_none());
        assert_eq!(s.opts.pool_opts().constraints().max(), 4);
    }

    #[test]
    fn tls_is_verified_by_default() {
        let s = settings(&config("u:p@tcp(db:3306)/?tls=true", &[])).unwrap();
        let ssl = s.opts.ssl_opts().unwrap();
        assert!(!ssl.accept_invalid_certs());
        assert!(!ssl.skip_domain_validation());

        let ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let s = settings(&config(
            "u:p@tcp(db)/",
            &[("tls_ca", ca), ("tls_server_name", "db.internal")],
        ))
        .unwrap();
        let ssl = s.opts.ssl_opts().unwrap();
        assert!(!ssl.accept_invalid_certs());
        assert!(ssl.disable_built_in_roots());
        assert_eq!(ssl.tls_hostname_override(), Some("db.internal"));

        let s = settings(&config(
            "u:p@tcp(db)/?tls=true",
            &[("tls_skip_verify", "true")],
        ))
        .unwrap();
        assert!(s.opts.ssl_opts().unwrap().accept_invalid_certs());
    }

    #[test]
    fn rejects_unknown_or_weak_settings() {
        assert!(settings(&config("", &[])).is_err());
        assert!(settings(&config("u:p@tcp(db)/?tls=preferred", &[])).is_err());
        assert!(settings(&config("u:p@tcp(db)/?sql_mode=x", &[])).is_err());
        assert!(settings(&config("u:p@tcp(db)/", &[("tls_ca", "junk")])).is_err());
        assert!(settings(&config("u:p@tcp(db)/", &[("max_open_connections", "x")])).is_err());
        let key = "-----BEGIN CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n";
        assert!(settings(&config("u:p@tcp(db)/", &[("tls_certificate_key", key)])).is_err());
    }

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_duration("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration("s"), None);
    }
}
