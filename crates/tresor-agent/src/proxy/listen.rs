//! Binding one configured listener: tcp (plain or TLS) or a unix socket.

use super::{tls, unix_socket, ProxyError};
use crate::config::{Listener, ListenerKind};
use std::path::Path;
use tokio::net::{TcpListener, UnixListener};
use tokio_rustls::TlsAcceptor;

/// A bound listener and what it needs to serve.
pub enum BoundListener {
    Tcp {
        listener: TcpListener,
        tls: Option<TlsAcceptor>,
        require_request_header: bool,
    },
    Unix {
        listener: UnixListener,
        /// Removes the socket file when the listener goes.
        _file: unix_socket::SocketFile,
        path: String,
        require_request_header: bool,
    },
}

impl BoundListener {
    pub fn address(&self) -> String {
        match self {
            BoundListener::Tcp { listener, .. } => listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            BoundListener::Unix { path, .. } => path.clone(),
        }
    }

    pub fn require_request_header(&self) -> bool {
        match self {
            BoundListener::Tcp {
                require_request_header,
                ..
            }
            | BoundListener::Unix {
                require_request_header,
                ..
            } => *require_request_header,
        }
    }
}

pub async fn bind(l: &Listener) -> Result<BoundListener, ProxyError> {
    let bind_err = |detail: String| ProxyError::Bind {
        address: l.address.clone(),
        detail,
    };
    match l.kind {
        ListenerKind::Tcp => {
            let tls = match (l.tls_disable, &l.tls_cert_file, &l.tls_key_file) {
                (true, _, _) => None,
                (false, Some(cert), Some(key)) => {
                    Some(tls::acceptor(cert, key).map_err(|detail| ProxyError::Tls {
                        address: l.address.clone(),
                        detail,
                    })?)
                }
                (false, _, _) => {
                    return Err(ProxyError::Tls {
                        address: l.address.clone(),
                        detail: "needs tls_cert_file and tls_key_file (or tls_disable)".into(),
                    })
                }
            };
            let listener = TcpListener::bind(l.address.as_str())
                .await
                .map_err(|e| bind_err(e.to_string()))?;
            Ok(BoundListener::Tcp {
                listener,
                tls,
                require_request_header: l.require_request_header,
            })
        }
        ListenerKind::Unix => {
            let mode = l.socket_mode.unwrap_or(unix_socket::DEFAULT_MODE);
            let (listener, file) = unix_socket::bind(Path::new(&l.address), mode)
                .map_err(|e| bind_err(e.to_string()))?;
            Ok(BoundListener::Unix {
                listener,
                _file: file,
                path: l.address.clone(),
                require_request_header: l.require_request_header,
            })
        }
    }
}
