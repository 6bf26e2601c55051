//! From `config/<name>` to a Redis connection. The fields are those of Vault's Redis plugin:
//! `host`, `port`, `username`, `password`, `tls`, `insecure_tls`, `ca_cert`; or, instead of
//! host and port, a `connection_url` (`redis://host:port`, `rediss://` for TLS, whose
//! credentials may be `{{username}}` / `{{password}}`). With TLS the server's certificate is
//! checked against `ca_cert` and its name against the host, unless `insecure_tls`.

use crate::plugin::ConnectionConfig;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, ProtocolVersion, RedisConnectionInfo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tresor_crypto::SecretString;
use tresor_sdk::Error;

const DEFAULT_PORT: u16 = 6379;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Vault's Redis plugin waits 20 s for an answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(20);

/// Where and how to connect; the password never prints.
pub(crate) struct Settings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    tls: Option<Arc<ClientConfig>>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

fn bad(msg: impl Into<String>) -> Error {
    Error::bad_request(msg.into())
}

fn option<'a>(config: &'a ConnectionConfig, key: &str) -> Option<&'a str> {
    config
        .options
        .get(key)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
}

fn flag(config: &ConnectionConfig, key: &str) -> Result<bool, Error> {
    match option(config, key) {
        None => Ok(false),
        Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
        Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
        Some(_) => Err(bad(format!("{key} must be a boolean"))),
    }
}

pub(crate) fn settings(config: &ConnectionConfig) -> Result<Settings, Error> {
    let mut tls = flag(config, "tls")?;
    let insecure = flag(config, "insecure_tls")?;
    let mut username = config.username.clone();
    let mut password = config.password.expose().to_owned();
    let (host, port) = if config.connection_url.trim().is_empty() {
        let host = option(config, "host").ok_or_else(|| bad("host cannot be empty"))?;
        let port = match option(config, "port") {
            Some(port) => port
                .parse::<u16>()
                .map_err(|_| bad("port must be a number"))?,
            None => DEFAULT_PORT,
        };
        (host.to_owned(), port)
    } else {
        if option(config, "host").is_some() || option(config, "port").is_some() {
            return Err(bad("cannot specify both connection_url and host/port"));
        }
        let url = parse_url(&config.connection_url)?;
        tls |= url.tls;
        if let Some(user) = url.user {
            username = fill(&user, config);
        }
        if let Some(pass) = url.password {
            password = fill(&pass, config);
        }
        (url.host, url.port)
    };
    // As Vault's Redis plugin: the engine manages ACL users, so it logs in as one.
    if username.is_empty() {
        return Err(bad("username cannot be empty"));
    }
    if password.is_empty() {
        return Err(bad("password cannot be empty"));
    }
    let tls = if tls {
        let ca = option(config, "ca_cert").ok_or_else(|| bad("ca_cert cannot be empty"))?;
        Some(Arc::new(tls_config(ca, insecure)?))
    } else {
        None
    };
    Ok(Settings {
        host,
        port,
        username: (!username.is_empty()).then_some(username),
        password: (!password.is_empty()).then(|| SecretString::new(password)),
        tls,
    })
}

fn fill(template: &str, config: &ConnectionConfig) -> String {
    template
        .split("{{username}}")
        .map(|part| part.replace("{{password}}", config.password.expose()))
        .collect::<Vec<_>>()
        .join(&config.username)
}

struct Url {
    tls: bool,
    user: Option<String>,
    password: Option<String>,
    host: String,
    port: u16,
}

/// `scheme://[user[:password]@]host[:port][/db]`; messages never quote the URL.
fn parse_url(url: &str) -> Result<Url, Error> {
    let invalid = |what: &str| bad(format!("invalid connection_url: {what}"));
    let (scheme, rest) = url
        .trim()
        .split_once("://")
        .ok_or_else(|| invalid("missing scheme"))?;
    let tls = match scheme {
        "redis" | "valkey" => false,
        "rediss" | "valkeys" => true,
        _ => return Err(invalid("the scheme must be redis or rediss")),
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let (credentials, endpoint) = match authority.rsplit_once('@') {
        Some((credentials, endpoint)) => (Some(credentials), endpoint),
        None => (None, authority),
    };
    let (user, password) = match credentials.map(|c| c.split_once(':').unwrap_or((c, ""))) {
        Some((user, password)) => (Some(user.to_owned()), Some(password.to_owned())),
        None => (None, None),
    };
    let (host, port) = match endpoint.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']').ok_or_else(|| invalid("unclosed '['"))?;
            (host, after.strip_prefix(':'))
        }
        None => match endpoint.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (endpoint, None),
        },
    };
    if host.is_empty() {
        return Err(invalid("empty host"));
    }
    let port = match port {
        Some(port) => port.parse::<u16>().map_err(|_| invalid("bad port"))?,
        None => DEFAULT_PORT,
    };
    Ok(Url {
        tls,
        user,
        password,
        host: host.to_owned(),
        port,
    })
}

fn tls_config(ca_pem: &str, insecure: bool) -> Result<ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|_| Error::internal("redis: no TLS protocol versions"))?;
    let config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(tresor_sdk::tls::AnyServerCert(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            let cert = cert.map_err(|_| bad("ca_cert must hold PEM certificates"))?;
            roots
                .add(cert)
                .map_err(|_| bad("ca_cert holds a certificate that cannot be used"))?;
        }
        if roots.is_empty() {
            return Err(bad("ca_cert must hold PEM certificates"));
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(config)
}

/// A connection and the task that drives it (abort it to close the connection).
pub(crate) struct Connection {
    pub conn: MultiplexedConnection,
    pub driver: JoinHandle<()>,
}

/// Connects, authenticates and spawns the connection's driver task.
pub(crate) async fn open(settings: &Settings) -> Result<Connection, redis::RedisError> {
    let address = (settings.host.as_str(), settings.port);
    let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await {
        Ok(tcp) => tcp?,
        Err(_) => return Err(timed_out()),
    };
    let info = RedisConnectionInfo {
        db: 0,
        username: settings.username.clone(),
        password: settings.password.as_ref().map(|p| p.expose().to_owned()),
        protocol: ProtocolVersion::RESP2,
    };
    match &settings.tls {
        None => finish(&info, tcp).await,
        Some(config) => {
            // tokio-postgres-rustls is a plain rustls client over any tokio stream.
            let mut make =
                tokio_postgres_rustls::MakeRustlsConnect::new(ClientConfig::clone(config));
            let connect = MakeTlsConnect::<TcpStream>::make_tls_connect(&mut make, &settings.host)
                .map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "invalid TLS server name")
                })?;
            let handshake = TlsConnect::connect(connect, tcp);
            let stream = match tokio::time::timeout(CONNECT_TIMEOUT, handshake).await {
                Ok(stream) => stream?,
                Err(_) => return Err(timed_out()),
            };
            finish(&info, stream).await
        }
    }
}

fn timed_out() -> redis::RedisError {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "timed out connecting to the server",
    )
    .into()
}

async fn finish<S>(info: &RedisConnectionInfo, stream: S) -> Result<Connection, redis::RedisError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let config = AsyncConnectionConfig::new().set_response_timeout(RESPONSE_TIMEOUT);
    let setup = MultiplexedConnection::new_with_config(info, stream, config);
    let (conn, driver) = match tokio::time::timeout(CONNECT_TIMEOUT, setup).await {
        Ok(result) => result?,
        Err(_) => return Err(timed_out()),
    };
    Ok(Connection {
        conn,
        driver: tokio::spawn(driver),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config(url: &str, options: &[(&str, &str)]) -> ConnectionConfig {
        ConnectionConfig {
            connection_url: url.to_owned(),
            username: "admin".to_owned(),
            password: "pa:ss@word".into(),
            options: options
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn reads_vault_fields() {
        let s = settings(&config("", &[("host", "127.0.0.1"), ("port", "6380")])).unwrap();
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 6380));
        assert_eq!(s.username.as_deref(), Some("admin"));
        assert_eq!(s.password.as_ref().map(|p| p.expose()), Some("pa:ss@word"));
        assert!(s.tls.is_none());
        assert!(!format!("{s:?}").contains("pa:ss"));
    }

    #[test]
    fn reads_connection_urls() {
        let s = settings(&config(
            "redis://{{username}}:{{password}}@cache.internal:7000/0",
            &[],
        ))
        .unwrap();
        assert_eq!((s.host.as_str(), s.port), ("cache.internal", 7000));
        assert_eq!(s.username.as_deref(), Some("admin"));
        assert_eq!(s.password.as_ref().map(|p| p.expose()), Some("pa:ss@word"));
        let s = settings(&config("redis://[::1]", &[])).unwrap();
        assert_eq!((s.host.as_str(), s.port), ("::1", 6379));
    }

    #[test]
    fn tls_needs_a_ca_and_refuses_junk() {
        let err = settings(&config("", &[("host", "h"), ("tls", "true")])).unwrap_err();
        assert!(err.to_string().contains("ca_cert"));
        assert!(settings(&config("rediss://h", &[])).is_err());
        assert!(settings(&config(
            "",
            &[("host", "h"), ("tls", "true"), ("ca_cert", "junk")]
        ))
        .is_err());
        let insecure = [
            ("host", "h"),
            ("tls", "true"),
            ("ca_cert", "junk"),
            ("insecure_tls", "true"),
        ];
        assert!(settings(&config("", &insecure)).unwrap().tls.is_some());
    }

    #[test]
    fn rejects_bad_settings_without_echoing_them() {
        for (url, options) in [
            ("", vec![]),
            ("", vec![("host", "h"), ("port", "x")]),
            ("http://admin:secretpw@h", vec![]),
            ("redis://admin:secretpw@h:99999", vec![]),
            ("redis://admin:secretpw@h", vec![("host", "h")]),
            ("", vec![("host", "h"), ("tls", "maybe")]),
        ] {
            let Err(err) = settings(&config(url, &options)) else {
                panic!("accepted")
            };
            assert!(!err.to_string().contains("secretpw"));
        }
    }
}
