//! Connection settings and a small pool of PostgreSQL connections.
//!
//! `connection_url` is a `postgres://` URL or a `key=value` string, with `{{username}}`
//! and `{{password}}` filled from the config (URL-encoded or quoted as the form needs).
//! TLS follows libpq's `sslmode` (`disable`, `allow`/`prefer` (the default), `require`,
//! `verify-ca`, `verify-full`), but whenever TLS is used the server's certificate is
//! verified, by rustls, against `sslrootcert` (a PEM file, or `system`), the config's
//! `tls_ca` (PEM text), or else the bundled web PKI roots.

use super::error::PgError;
use crate::plugin::ConnectionConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;
use tresor_sdk::Error;

const MAX_OPEN: usize = 4;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to reach the database; holds the password (never printed).
pub struct Settings {
    config: Config,
    tls: Option<MakeRustlsConnect>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("hosts", &self.config.get_hosts())
            .field("user", &self.config.get_user())
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

fn bad(msg: impl Into<String>) -> Error {
    Error::bad_request(msg)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn url_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `key=value` connection string value, single-quoted with `\` and `'` escaped.
fn dsn_quote(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Takes `sslmode` and `sslrootcert` out of the string (tokio-postgres knows fewer
/// modes than libpq, and roots are ours to load); answers the rest and the two values.
fn take_tls_params(url: &str, is_url: bool) -> (String, Option<String>, Option<String>) {
    let (mut mode, mut root) = (None, None);
    let mut keep = |part: &str| -> bool {
        match part.split_once('=') {
            Some(("sslmode", v)) => mode = Some(v.trim_matches('\'').to_owned()),
            Some(("sslrootcert", v)) => root = Some(v.trim_matches('\'').to_owned()),
            _ => return true,
        }
        false
    };
    let rest = if is_url {
        match url.split_once('?') {
            Some((base, query)) => {
                let kept: Vec<&str> = query.split('&').filter(|p| keep(p)).collect();
                if kept.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            None => url.to_owned(),
        }
    } else {
        url.split_whitespace()
            .filter(|p| keep(p))
            .collect::<Vec<_>>()
            .join(" ")
    };
    (rest, mode, root)
}

fn tls_config(root: Option<&str>, ca_pem: Option<&str>) -> Result<MakeRustlsConnect, Error> {
    let mut roots = rustls::RootCertStore::empty();
    let certs: Vec<CertificateDer<'static>> = match (root, ca_pem) {
        (Some(path), _) if path != "system" => CertificateDer::pem_file_iter(path)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|_| bad("sslrootcert could not be read as PEM certificates"))?,
        (None, Some(pem)) if !pem.trim().is_empty() => {
            CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| bad("tls_ca could not be read as PEM certificates"))?
        }
        _ => Vec::new(),
    };
    if certs.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    for cert in certs {
        roots
            .add(cert)
            .map_err(|_| bad("a CA certificate for the connection is not valid"))?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| Error::internal("TLS protocol versions unavailable"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Reads the connection settings out of a config.
pub fn settings(conn: &ConnectionConfig) -> Result<Settings, Error> {
    let raw = conn.connection_url.trim();
    if raw.is_empty() {
        return Err(bad("connection_url cannot be empty"));
    }
    let pw = conn.password.expose();
    if [conn.username.as_str(), pw]
        .iter()
        .any(|v| v.contains("{{username}}") || v.contains("{{password}}"))
    {
        return Err(bad(
            "username and/or password cannot contain the template variables",
        ));
    }
    let is_url = raw.starts_with("postgres://") || raw.starts_with("postgresql://");
    let (rest, mode, root) = take_tls_params(raw, is_url);
    let (user, pass) = if is_url {
        (url_escape(&conn.username), url_escape(pw))
    } else {
        (dsn_quote(&conn.username), dsn_quote(pw))
    };
    let filled = rest
        .replace("{{username}}", &user)
        .replace("{{password}}", &pass);
    let mut config = Config::from_str(&filled)
        .map_err(|_| bad("connection_url is not a valid PostgreSQL connection string"))?;
    if config.get_user().is_none() && !conn.username.is_empty() {
        config.user(&conn.username);
    }
    if config.get_password().is_none() && !pw.is_empty() {
        config.password(pw);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("tresor");
    }
    let ca = conn.options.get("tls_ca").map(String::as_str);
    let tls = match mode.as_deref().unwrap_or("prefer") {
        "disable" => {
            config.ssl_mode(SslMode::Disable);
            None
        }
        "allow" | "prefer" => {
            config.ssl_mode(SslMode::Prefer);
            Some(tls_config(root.as_deref(), ca)?)
        }
        "require" | "verify-ca" | "verify-full" => {
            config.ssl_mode(SslMode::Require);
            Some(tls_config(root.as_deref(), ca)?)
        }
        _ => return Err(bad("invalid sslmode in connection_url")),
    };
    Ok(Settings { config, tls })
}

/// Up to [`MAX_OPEN`] connections, kept open between uses.
#[derive(Debug)]
pub struct Pool {
    settings: Settings,
    idle: Mutex<Vec<Client>>,
    permits: Semaphore,
}

/// A connection taken from the pool; goes back on drop unless it broke.
pub struct Conn<'p> {
    client: Option<Client>,
    pool: &'p Pool,
    _permit: SemaphorePermit<'p>,
}

impl Conn<'_> {
    pub fn client(&mut self) -> Result<&mut Client, PgError> {
        self.client
            .as_mut()
            .ok_or(PgError::Other("the connection was returned"))
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if client.is_closed() {
            return;
        }
        let mut idle = self.pool.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_OPEN {
            idle.push(client);
        }
    }
}

impl Pool {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(MAX_OPEN),
        }
    }

    /// Forgets every idle connection: when one was found dead, its siblings (opened at
    /// the same time, ended by the same restart) likely are too.
    pub fn drop_idle(&self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// A live connection: an idle one, else a new one.
    pub async fn get(&self) -> Result<Conn<'_>, PgError> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PgError::Other("the connection was closed"))?;
        loop {
            let next = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            match next {
                Some(client) if !client.is_closed() => {
                    return Ok(Conn {
                        client: Some(client),
                        pool: self,
                        _permit: permit,
                    })
                }
                Some(_) => continue,
                None => break,
            }
        }
        let client = self.connect().await.map_err(PgError::Db)?;
        Ok(Conn {
            client: Some(client),
            pool: self,
            _permit: permit,
        })
    }

    async fn connect(&self) -> Result<Client, tokio_postgres::Error> {
        let client = match &self.settings.tls {
            None => {
                let (client, connection) = self.settings.config.connect(NoTls).await?;
                tokio::spawn(drive(connection));
                client
            }
            Some(tls) => {
                let (client, connection) = self.settings.config.connect(tls.clone()).await?;
                tokio::spawn(drive(connection));
                client
            }
        };
        Ok(client)
    }

    /// Drops the idle connections and refuses new uses (the pool is being replaced).
    pub fn close(&self) {
        self.permits.close();
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// Runs a connection's I/O until it ends; its error (if any) is not logged, as it may
/// quote the server.
async fn drive<F: std::future::Future<Output = Result<(), tokio_postgres::Error>>>(connection: F) {
    if connection.await.is_err() {
        tracing::debug!("a PostgreSQL connection of the database engine ended with an error");
    }
}
