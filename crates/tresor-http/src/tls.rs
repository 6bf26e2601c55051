//! TLS for listeners, through rustls with the aws-lc-rs provider.

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading TLS certificate file {path}: {detail}")]
    Cert { path: String, detail: String },
    #[error("reading TLS key file {path}: {detail}")]
    Key { path: String, detail: String },
    #[error("tls_min_version {0:?} is not supported (use tls12 or tls13)")]
    MinVersion(String),
    #[error("building the TLS configuration: {0}")]
    Config(String),
}

/// A server configuration from PEM files; `min_version` is `tls12` (default) or `tls13`.
pub fn server_config(
    cert_file: &Path,
    key_file: &Path,
    min_version: Option<&str>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let cert_err = |detail: String| TlsError::Cert {
        path: cert_file.display().to_string(),
        detail,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .map_err(|e| cert_err(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| cert_err(e.to_string()))?;
    if certs.is_empty() {
        return Err(cert_err("no certificate found".to_owned()));
    }
    // The key file's content never reaches an error message.
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|_| TlsError::Key {
        path: key_file.display().to_string(),
        detail: "no readable PEM private key".to_owned(),
    })?;
    let versions: &[&rustls::SupportedProtocolVersion] = match min_version.unwrap_or("tls12") {
        "tls12" => &[&rustls::version::TLS13, &rustls::version::TLS12],
        "tls13" => &[&rustls::version::TLS13],
        other => return Err(TlsError::MinVersion(other.to_owned())),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_client_cert_verifier(Arc::new(tresor_sdk::tls::AskForClientCert(provider)))
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
