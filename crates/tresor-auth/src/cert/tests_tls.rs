//! A real TLS round trip: a tokio-rustls server that asks for (but does not require or
//! judge) a client certificate with the listeners' verifier, records the chain the
//! handshake carried, and the method judges that chain.

use super::test_pki::*;
use super::verify::NO_CERT;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use serde_json::json;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

fn key_der(leaf: &Leaf) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key.serialize_der()))
}

/// One TLS connection from a client presenting `client` (chain and key, if any); answers
/// the chain the server saw.
async fn handshake(client: Option<(Vec<Vec<u8>>, &Leaf)>) -> Vec<Vec<u8>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let server_leaf = self_signed(
        &rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap(),
        None,
    );
    let server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(Arc::new(tresor_sdk::tls::AskForClientCert(
            provider.clone(),
        )))
        .with_single_cert(
            vec![CertificateDer::from(server_leaf.der.clone())],
            key_der(&server_leaf),
        )
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(server_leaf.der.clone()))
        .unwrap();
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let client_config = match client {
        Some((chain, leaf)) => builder
            .with_client_auth_cert(
                chain.into_iter().map(CertificateDer::from).collect(),
                key_der(leaf),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accept = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = TlsAcceptor::from(Arc::new(server))
            .accept(tcp)
            .await
            .unwrap();
        let mut byte = [0u8; 1];
        tls.read_exact(&mut byte).await.unwrap();
        tls.get_ref()
            .1
            .peer_certificates()
            .map(|certs| {
                certs
                    .iter()
                    .map(|c| c.as_ref().to_vec())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = TlsConnector::from(Arc::new(client_config))
        .connect(name, tcp)
        .await
        .unwrap();
    tls.write_all(b"x").await.unwrap();
    tls.flush().await.unwrap();
    accept.await.unwrap()
}

#[tokio::test]
async fn chain_from_a_real_handshake_logs_in() {
    let h = mount().await;
    let ca = root("Test CA");
    let int = intermediate("Issuing CA", 31, &ca);
    trust(&h, "web", &ca.pem(), json!({"token_policies": "web"})).await;
    let leaf = sign(&rich_params(4660), &int, None);
    let chain = handshake(Some((vec![leaf.der.clone(), int.der().to_vec()], &leaf))).await;
    assert_eq!(chain, vec![leaf.der.clone(), int.der().to_vec()]);
    let l = login(&h, &chain, None).await.unwrap().login.unwrap();
    assert_eq!(
        (l.policies[0].as_str(), l.metadata["serial_number"].as_str()),
        ("web", "4660")
    );

    // A pinned self-signed leaf over TLS; then its impostor (same name, own key).
    let pinned = self_signed(&leaf_params("pinned", 5), None);
    trust(&h, "pin", &pinned.pem, json!({})).await;
    let chain = handshake(Some((vec![pinned.der.clone()], &pinned))).await;
    assert_eq!(
        login(&h, &chain, None)
            .await
            .unwrap()
            .login
            .unwrap()
            .metadata["cert_name"],
        "pin"
    );
    let impostor = self_signed(&leaf_params("pinned", 5), None);
    let chain = handshake(Some((vec![impostor.der.clone()], &impostor))).await;
    assert!(login(&h, &chain, None).await.is_err());

    // No client certificate: the listener lets the connection through, login refuses.
    let chain = handshake(None).await;
    assert!(chain.is_empty());
    let e = login(&h, &chain, None).await.unwrap_err();
    assert_eq!(e.to_string(), NO_CERT);
}
