//! The `socket` device: writes each line to a TCP, UDP or unix-stream socket, connecting
//! lazily and reconnecting on the next write after a failure.

use crate::device::{Device, Options};
use crate::AuditError;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket, UnixStream};
use tokio::sync::Mutex;

const KIND: &str = "socket";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketType {
    Tcp,
    Udp,
    Unix,
}

#[derive(Debug)]
enum Conn {
    Tcp(TcpStream),
    Udp(UdpSocket),
    Unix(UnixStream),
}

/// Sends entries to `address` over `socket_type` (default tcp).
#[derive(Debug)]
pub struct SocketDevice {
    address: String,
    socket_type: SocketType,
    timeout: Duration,
    options: Options,
    // A tokio mutex: writes on one stream must not interleave, and the connection is
    // held across the write's await (a std guard never is).
    conn: Mutex<Option<Conn>>,
}

impl SocketDevice {
    pub fn new(options: &Options) -> Result<Self, AuditError> {
        let address = options
            .get("address")
            .filter(|a| !a.is_empty())
            .ok_or(AuditError::MissingOption("address"))?
            .clone();
        let socket_type = match options.get("socket_type").map(String::as_str) {
            None | Some("tcp") => SocketType::Tcp,
            Some("udp") => SocketType::Udp,
            Some("unix") => SocketType::Unix,
            Some(_) => {
                return Err(AuditError::InvalidOption {
                    key: "socket_type".into(),
                    reason: "expected tcp, udp or unix",
                })
            }
        };
        let timeout = match options.get("write_timeout") {
            None => DEFAULT_TIMEOUT,
            Some(t) => tresor_sdk::duration::parse(t)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or(AuditError::InvalidOption {
                    key: "write_timeout".into(),
                    reason: "expected a positive duration",
                })?,
        };
        Ok(Self {
            address,
            socket_type,
            timeout,
            options: options.clone(),
            conn: Mutex::new(None),
        })
    }

    async fn connect(&self) -> Result<Conn, AuditError> {
        let io = AuditError::io(KIND);
        Ok(match self.socket_type {
            SocketType::Tcp => Conn::Tcp(TcpStream::connect(&self.address).await.map_err(io)?),
            SocketType::Unix => Conn::Unix(UnixStream::connect(&self.address).await.map_err(io)?),
            SocketType::Udp => {
                let bind = if self.address.starts_with('[') {
                    "[::]:0"
                } else {
                    "0.0.0.0:0"
                };
                let sock = UdpSocket::bind(bind).await.map_err(AuditError::io(KIND))?;
                sock.connect(&self.address).await.map_err(io)?;
                Conn::Udp(sock)
            }
        })
    }

    async fn write(&self, slot: &mut Option<Conn>, line: &[u8]) -> Result<(), AuditError> {
        if slot.is_none() {
            *slot = Some(self.connect().await?);
        }
        let io = AuditError::io(KIND);
        match slot.as_mut() {
            Some(Conn::Tcp(s)) => s.write_all(line).await.map_err(io),
            Some(Conn::Unix(s)) => s.write_all(line).await.map_err(io),
            Some(Conn::Udp(s)) => s.send(line).await.map(|_| ()).map_err(io),
            None => Err(AuditError::Task),
        }
    }
}

#[async_trait::async_trait]
impl Device for SocketDevice {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn options(&self) -> Options {
        self.options.clone()
    }

    async fn log(&self, line: &[u8]) -> Result<(), AuditError> {
        let mut slot = self.conn.lock().await;
        let result = match tokio::time::timeout(self.timeout, self.write(&mut slot, line)).await {
            Ok(r) => r,
            Err(_) => Err(AuditError::Timeout(KIND)),
        };
        if result.is_err() {
            // Drop the connection: the next write reconnects.
            *slot = None;
        }
        result
    }

    async fn reopen(&self) -> Result<(), AuditError> {
        *self.conn.lock().await = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncBufReadExt;
    use tokio::net::{TcpListener, UnixListener};

    fn opts(address: &str, kind: &str) -> Options {
        let mut o = Options::new();
        o.insert("address".into(), address.into());
        o.insert("socket_type".into(), kind.into());
        o
    }

    #[tokio::test]
    async fn tcp_writes_and_reconnects() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let dev = SocketDevice::new(&opts(&addr, "tcp")).unwrap();
        dev.log(b"first\n").await.unwrap();
        let (conn, _) = listener.accept().await.unwrap();
        let mut lines = tokio::io::BufReader::new(conn).lines();
        assert_eq!(lines.next_line().await.unwrap().unwrap(), "first");
        drop(lines);

        // The peer is gone: writes fail until one reconnects; none is swallowed.
        let mut failed = false;
        for _ in 0..50 {
            if dev.log(b"probe\n").await.is_err() {
                failed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(failed, "a write to a closed peer must fail");
        dev.log(b"again\n").await.unwrap();
        let (conn, _) = listener.accept().await.unwrap();
        let mut lines = tokio::io::BufReader::new(conn).lines();
        assert_eq!(lines.next_line().await.unwrap().unwrap(), "again");
    }

    #[tokio::test]
    async fn tcp_refused_is_an_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        drop(listener);
        let dev = SocketDevice::new(&opts(&addr, "tcp")).unwrap();
        assert!(dev.log(b"x\n").await.is_err());
    }

    #[tokio::test]
    async fn unix_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let dev = SocketDevice::new(&opts(&path.display().to_string(), "unix")).unwrap();
        dev.log(b"{\"type\":\"request\"}\n").await.unwrap();
        let (conn, _) = listener.accept().await.unwrap();
        let mut lines = tokio::io::BufReader::new(conn).lines();
        assert_eq!(
            lines.next_line().await.unwrap().unwrap(),
            "{\"type\":\"request\"}"
        );
    }

    #[tokio::test]
    async fn udp_datagram() {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap().to_string();
        let dev = SocketDevice::new(&opts(&addr, "udp")).unwrap();
        dev.log(b"dgram\n").await.unwrap();
        let mut buf = [0u8; 64];
        let n = server.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"dgram\n");
    }

    #[test]
    fn options_validated() {
        assert!(SocketDevice::new(&Options::new()).is_err());
        assert!(SocketDevice::new(&opts("127.0.0.1:9", "sctp")).is_err());
        let mut o = opts("127.0.0.1:9", "tcp");
        o.insert("write_timeout".into(), "0s".into());
        assert!(SocketDevice::new(&o).is_err());
    }
}
