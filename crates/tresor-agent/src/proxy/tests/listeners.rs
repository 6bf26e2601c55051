//! Listeners: the SSRF header, unix sockets, TLS, the body limit, binding errors.

use super::*;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Sends raw bytes and reads the answer's head (or all of it, if the server closes).
async fn raw<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, request: &str) -> String {
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let read = async {
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            buf.extend_from_slice(&chunk[..n]);
            if n == 0 || buf.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .unwrap();
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn the_request_header_guard() {
    let h = start(Opts {
        listener: Listener {
            require_request_header: true,
            ..tcp()
        },
        ..Opts::default()
    })
    .await;
    let resp = h.get(KV).send().await.unwrap();
    assert_eq!(resp.status(), 412);
    assert_eq!(
        json(resp).await["errors"][0],
        "missing 'X-Vault-Request' header"
    );
    assert!(h.fake.seen().is_empty());
    let resp = h
        .get(KV)
        .header("X-Vault-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

fn socket_mode(path: &std::path::Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[tokio::test]
async fn unix_socket_listeners() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.sock");
    let unix = |mode| Listener {
        kind: ListenerKind::Unix,
        address: path.display().to_string(),
        socket_mode: mode,
        ..tcp()
    };
    let h = start(Opts {
        listener: unix(Some(0o660)),
        ..Opts::default()
    })
    .await;
    assert_eq!(h.addresses, [path.display().to_string()]);
    assert_eq!(socket_mode(&path), 0o660);
    let stream = tokio::net::UnixStream::connect(&path).await.unwrap();
    let answer = raw(
        stream,
        "GET /v1/secret/data/app HTTP/1.1\r\nHost: agent\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    h.stop().await;
    // The listener's task is cancelled right after the proxy's.
    for _ in 0..100 {
        if !path.exists() {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(!path.exists(), "the socket file goes with the listener");

    // Vault leaves the mode to the umask; tresor's default is the owner's only.
    let h = start(Opts {
        listener: unix(None),
        ..Opts::default()
    })
    .await;
    assert_eq!(socket_mode(&path), 0o600);
    h.stop().await;
}

#[tokio::test]
async fn tls_listeners() {
    let dir = tempfile::tempdir().unwrap();
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, issued.cert.pem()).unwrap();
    std::fs::write(&key, issued.signing_key.serialize_pem()).unwrap();
    let h = start(Opts {
        listener: Listener {
            tls_disable: false,
            tls_cert_file: Some(cert),
            tls_key_file: Some(key),
            ..tcp()
        },
        ..Opts::default()
    })
    .await;
    let addr: std::net::SocketAddr = h.addresses[0].parse().unwrap();
    let client = reqwest::Client::builder()
        .no_proxy()
        .add_root_certificate(reqwest::Certificate::from_pem(issued.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", addr)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}{KV}", addr.port());
    assert_eq!(client.get(url).send().await.unwrap().status(), 200);
    // Plain HTTP on a TLS listener gets nowhere.
    assert!(h.get(KV).send().await.is_err());
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let h = start(Opts::default()).await;
    let addr = h.addresses[0].clone();
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT {KV} HTTP/1.1\r\nHost: agent\r\nContent-Length: {}\r\n\r\n",
        crate::proxy::bodies::LIMIT + 1
    );
    let answer = raw(stream, &head).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Within the limit, bodies go through whole.
    let body = vec![b'x'; 1 << 20];
    let resp = client()
        .put(format!("{}{KV}", h.url))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(h.fake.seen_at(KV).len(), 1);
    assert_eq!(h.fake.seen_at(KV)[0].body, body);
}

#[tokio::test]
async fn binding_errors_name_the_listener() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let mut config = ProxyConfig {
        listeners: vec![
            tcp(),
            Listener {
                address: address.clone(),
                ..tcp()
            },
        ],
        server: server("http://127.0.0.1:1"),
        use_auto_auth_token: false,
        force_auto_auth_token: false,
        cache: false,
    };
    let err = bind(&config).await.err().unwrap();
    assert!(
        matches!(&err, ProxyError::Bind { address: a, .. } if *a == address),
        "{err}"
    );
    config.listeners = vec![Listener {
        tls_disable: false,
        ..tcp()
    }];
    assert!(matches!(bind(&config).await, Err(ProxyError::Tls { .. })));
    config.listeners = vec![tcp()];
    config.server = server("not a url");
    assert!(matches!(bind(&config).await, Err(ProxyError::Upstream(_))));
}
