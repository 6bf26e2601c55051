//! TLS for `ldaps://` and StartTLS: rustls with the aws-lc-rs provider. The server's
//! certificate is verified against `certificate` (PEM CAs) when set, else against the
//! system's CA bundle (the files Go reads for its system pool), unless `insecure_tls`.

use super::error::LdapError;
use rustls::client::WantsClientCert;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ConfigBuilder, RootCertStore};
use std::sync::Arc;
use tokio::sync::OnceCell;
use tresor_crypto::SecretString;

/// The TLS settings of a config.
#[derive(Debug, Clone, Copy)]
pub struct TlsOptions<'a> {
    pub ca_pem: &'a str,
    pub insecure: bool,
    pub client_cert: &'a str,
    pub client_key: &'a SecretString,
    pub min_version: &'a str,
    pub max_version: &'a str,
}

/// Where Linux distributions keep their CA bundle (`SSL_CERT_FILE` first).
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

static SYSTEM_ROOTS: OnceCell<Arc<RootCertStore>> = OnceCell::const_new();

async fn system_roots() -> Arc<RootCertStore> {
    SYSTEM_ROOTS
        .get_or_init(|| async {
            let mut roots = RootCertStore::empty();
            let env = std::env::var("SSL_CERT_FILE").ok();
            for path in env
                .iter()
                .map(String::as_str)
                .chain(SYSTEM_BUNDLES.iter().copied())
            {
                if let Ok(pem) = tokio::fs::read(path).await {
                    let certs = CertificateDer::pem_slice_iter(&pem).filter_map(Result::ok);
                    roots.add_parsable_certificates(certs);
                    break;
                }
            }
            Arc::new(roots)
        })
        .await
        .clone()
}

/// The version number of a `tls1x` name.
pub fn version_number(name: &str) -> Option<u8> {
    match name {
        "tls10" => Some(10),
        "tls11" => Some(11),
        "tls12" => Some(12),
        "tls13" => Some(13),
        _ => None,
    }
}

fn versions(
    min: &str,
    max: &str,
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, String> {
    let (Some(min), Some(max)) = (version_number(min), version_number(max)) else {
        return Err("invalid 'tls_min_version' or 'tls_max_version'".to_owned());
    };
    let mut out = Vec::new();
    if (min..=max).contains(&12) {
        out.push(&rustls::version::TLS12);
    }
    if (min..=max).contains(&13) {
        out.push(&rustls::version::TLS13);
    }
    if out.is_empty() {
        return Err(
            "TLS 1.0 and 1.1 are not supported; set 'tls_max_version' to tls12 or tls13".to_owned(),
        );
    }
    Ok(out)
}

/// The CA certificates of `certificate`; at least one, each a parsable X.509.
pub fn parse_ca(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|_| "failed to decode PEM block in the certificate".to_owned())?;
    if certs.is_empty() {
        return Err("failed to decode PEM block in the certificate".to_owned());
    }
    for c in &certs {
        x509_parser::parse_x509_certificate(c)
            .map_err(|_| "failed to parse certificate".to_owned())?;
    }
    Ok(certs)
}

fn with_client_cert(
    builder: ConfigBuilder<ClientConfig, WantsClientCert>,
    opts: &TlsOptions<'_>,
) -> Result<ClientConfig, String> {
    match (opts.client_cert.trim(), opts.client_key.expose().trim()) {
        ("", "") => Ok(builder.with_no_client_auth()),
        ("", _) | (_, "") => Err("both client_tls_cert and client_tls_key must be set".to_owned()),
        (cert, key) => {
            let bad = || "failed to parse client X509 key pair".to_owned();
            let chain: Vec<CertificateDer<'static>> =
                CertificateDer::pem_slice_iter(cert.as_bytes())
                    .collect::<Result<_, _>>()
                    .map_err(|_| bad())?;
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).map_err(|_| bad())?;
            builder.with_client_auth_cert(chain, key).map_err(|_| bad())
        }
    }
}

/// A client config for these options (roots given, so no I/O happens here).
fn build(
    opts: &TlsOptions<'_>,
    system: Option<Arc<RootCertStore>>,
) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions(opts.min_version, opts.max_version)?)
        .map_err(|e| e.to_string())?;
    let builder = if opts.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(tresor_sdk::tls::AnyServerCert(provider)))
    } else if opts.ca_pem.trim().is_empty() {
        builder.with_root_certificates(system.unwrap_or_else(|| Arc::new(RootCertStore::empty())))
    } else {
        let mut roots = RootCertStore::empty();
        for cert in parse_ca(opts.ca_pem)? {
            roots
                .add(cert)
                .map_err(|_| "could not append CA certificate".to_owned())?;
        }
        builder.with_root_certificates(roots)
    };
    with_client_cert(builder, opts)
}

/// Checks the TLS options of a config being written.
pub fn check(opts: &TlsOptions<'_>) -> Result<(), String> {
    build(opts, None).map(|_| ())
}

/// The connector for a connection to `host`.
pub async fn connector(
    opts: &TlsOptions<'_>,
    host: &str,
) -> Result<(tokio_rustls::TlsConnector, ServerName<'static>), LdapError> {
    let system = if opts.ca_pem.trim().is_empty() && !opts.insecure {
        Some(system_roots().await)
    } else {
        None
    };
    let config = build(opts, system).map_err(LdapError::Tls)?;
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| LdapError::Tls(format!("invalid server name {host:?}")))?;
    Ok((tokio_rustls::TlsConnector::from(Arc::new(config)), name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts<'a>(key: &'a SecretString) -> TlsOptions<'a> {
        TlsOptions {
            ca_pem: "",
            insecure: false,
            client_cert: "",
            client_key: key,
            min_version: "tls12",
            max_version: "tls12",
        }
    }

    #[test]
    fn options_are_checked() {
        let none = SecretString::default();
        assert!(check(&opts(&none)).is_ok());
        let bad_versions = TlsOptions {
            min_version: "tls10",
            max_version: "tls11",
            ..opts(&none)
        };
        assert!(check(&bad_versions).unwrap_err().contains("not supported"));
        let bad_ca = TlsOptions {
            ca_pem: "not pem",
            ..opts(&none)
        };
        assert!(check(&bad_ca).is_err());
        let key =
            SecretString::from("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n");
        let half = TlsOptions {
            client_key: &key,
            ..opts(&none)
        };
        assert_eq!(
            check(&half).unwrap_err(),
            "both client_tls_cert and client_tls_key must be set"
        );
        assert_eq!(versions("tls12", "tls13").unwrap().len(), 2);
        assert!(versions("tls13", "tls12").is_err());
    }
}
