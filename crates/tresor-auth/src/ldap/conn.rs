//! One LDAP connection: TCP, then TLS for `ldaps://` or after StartTLS; one request
//! at a time, each bounded by the request timeout; messages framed with a checked
//! header and refused past [`MAX_MESSAGE`].

use super::ber::{self, MAX_MESSAGE};
use super::error::LdapError;
use super::proto::{self, Entry, Message, Op, Search};
use super::tls::{self, TlsOptions};
use super::url::{LdapUrl, Scheme};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::client::TlsStream;
use tresor_crypto::SecretString;

/// How many entries, and how many bytes of them, one search may bring back.
const MAX_ENTRIES: usize = 100_000;
const MAX_SEARCH_BYTES: usize = 64 << 20;

#[derive(Debug, Clone, Copy)]
pub struct ConnectOptions<'a> {
    pub tls: TlsOptions<'a>,
    pub starttls: bool,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Gone,
}

impl Stream {
    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.write_all(bytes).await,
            Stream::Tls(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
            Stream::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.read_exact(buf).await.map(drop),
            Stream::Tls(s) => s.read_exact(buf).await.map(drop),
            Stream::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }
}

pub struct Conn {
    stream: Stream,
    last_id: i32,
    request_timeout: Duration,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("last_id", &self.last_id)
            .finish()
    }
}

fn io_error(e: &io::Error) -> LdapError {
    match e.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => LdapError::Closed,
        _ => LdapError::Connect(e.kind().to_string()),
    }
}

impl Conn {
    /// Connects to `url`, with TLS as its scheme and `starttls` ask.
    pub async fn connect(url: &LdapUrl, o: &ConnectOptions<'_>) -> Result<Self, LdapError> {
        let authority = url.authority();
        let steps = async {
            let tcp = TcpStream::connect(&authority)
                .await
                .map_err(|e| LdapError::Connect(format!("{authority}: {}", e.kind())))?;
            // Small request-response exchanges: don't wait to fill segments.
            let _ = tcp.set_nodelay(true);
            let mut conn = Conn {
                stream: Stream::Plain(tcp),
                last_id: 0,
                request_timeout: o.request_timeout,
            };
            match url.scheme {
                Scheme::Ldaps => conn.upgrade(&o.tls, &url.host).await?,
                Scheme::Ldap if o.starttls => conn.start_tls(&o.tls, &url.host).await?,
                Scheme::Ldap => {}
            }
            Ok(conn)
        };
        timeout(o.connect_timeout, steps)
            .await
            .map_err(|_| LdapError::Timeout("connecting to the LDAP server"))?
    }

    fn next_id(&mut self) -> i32 {
        self.last_id = if self.last_id >= i32::MAX - 1 {
            1
        } else {
            self.last_id + 1
        };
        self.last_id
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), LdapError> {
        timeout(self.request_timeout, self.stream.write_all(bytes))
            .await
            .map_err(|_| LdapError::Timeout("sending a request"))?
            .map_err(|e| io_error(&e))
    }

    async fn read_frame(&mut self) -> Result<Vec<u8>, LdapError> {
        let mut frame = vec![0u8; 2];
        self.stream
            .read_exact(&mut frame)
            .await
            .map_err(|e| io_error(&e))?;
        let extra = match frame.get(1) {
            Some(&b) if b & 0x80 != 0 => usize::from(b & 0x7f).min(5),
            _ => 0,
        };
        frame.resize(2 + extra, 0);
        if let Some(tail) = frame.get_mut(2..) {
            self.stream
                .read_exact(tail)
                .await
                .map_err(|e| io_error(&e))?;
        }
        let (_, len, head) = ber::header(&frame)?.ok_or(LdapError::Protocol("bad header"))?;
        if len > MAX_MESSAGE {
            return Err(LdapError::Protocol("message too large"));
        }
        frame.resize(head + len, 0);
        if let Some(body) = frame.get_mut(head..) {
            self.stream
                .read_exact(body)
                .await
                .map_err(|e| io_error(&e))?;
        }
        Ok(frame)
    }

    /// The next message, which must answer request `id`; also its size.
    async fn recv(&mut self, id: i32) -> Result<(Message, usize), LdapError> {
        let frame = timeout(self.request_timeout, self.read_frame())
            .await
            .map_err(|_| LdapError::Timeout("waiting for the LDAP server"))??;
        let msg = proto::decode(&frame)?;
        if msg.id == 0 {
            // An unsolicited notification: in practice, a notice of disconnection.
            return Err(LdapError::Closed);
        }
        if msg.id != i64::from(id) {
            return Err(LdapError::Protocol("response to another request"));
        }
        Ok((msg, frame.len()))
    }

    async fn start_tls(&mut self, opts: &TlsOptions<'_>, host: &str) -> Result<(), LdapError> {
        let id = self.next_id();
        self.send(&proto::start_tls_request(id)).await?;
        match self.recv(id).await?.0.op {
            Op::Extended { result, .. } if result.code == proto::SUCCESS => {
                self.upgrade(opts, host).await
            }
            Op::Extended { result, .. } => Err(LdapError::Result {
                op: "StartTLS",
                code: result.code,
                diagnostic: result.diagnostic,
            }),
            _ => Err(LdapError::Protocol("unexpected answer to StartTLS")),
        }
    }

    async fn upgrade(&mut self, opts: &TlsOptions<'_>, host: &str) -> Result<(), LdapError> {
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Gone) else {
            return Err(LdapError::Protocol("TLS is already on"));
        };
        let (connector, name) = tls::connector(opts, host).await?;
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| LdapError::Tls(e.to_string()))?;
        self.stream = Stream::Tls(Box::new(tls));
        Ok(())
    }

    /// A simple bind with a password, which must not be empty (an empty one would make
    /// an unauthenticated bind, which most servers accept without checking anything).
    pub async fn bind(&mut self, dn: &str, password: &SecretString) -> Result<(), LdapError> {
        if password.is_empty() {
            return Err(LdapError::Protocol("refusing an empty password"));
        }
        self.simple_bind(dn, password.expose().as_bytes()).await
    }

    /// A bind with a name and no password (RFC 4513 section 5.1.2); with no name, an
    /// anonymous bind.
    pub async fn unauthenticated_bind(&mut self, dn: &str) -> Result<(), LdapError> {
        self.simple_bind(dn, b"").await
    }

    async fn simple_bind(&mut self, dn: &str, password: &[u8]) -> Result<(), LdapError> {
        let id = self.next_id();
        let request = proto::bind_request(id, dn, password);
        self.send(request.expose()).await?;
        drop(request);
        match self.recv(id).await?.0.op {
            Op::Bind(r) if r.code == proto::SUCCESS => Ok(()),
            Op::Bind(r) => Err(LdapError::Result {
                op: "bind",
                code: r.code,
                diagnostic: r.diagnostic,
            }),
            _ => Err(LdapError::Protocol("unexpected answer to a bind")),
        }
    }

    /// The entries a search finds; with `page_size` > 0 through the paged results
    /// control. References are skipped; any result but success is an error.
    pub async fn search(
        &mut self,
        s: &Search<'_>,
        page_size: u32,
    ) -> Result<Vec<Entry>, LdapError> {
        let mut entries = Vec::new();
        let mut bytes = 0usize;
        let mut cookie = Vec::new();
        loop {
            let id = self.next_id();
            let page = (page_size > 0).then_some((page_size, cookie.as_slice()));
            self.send(&proto::search_request(id, s, page)).await?;
            let done = loop {
                let (msg, size) = self.recv(id).await?;
                bytes += size;
                if bytes > MAX_SEARCH_BYTES {
                    return Err(LdapError::TooManyEntries);
                }
                match msg.op {
                    Op::Entry(_) if entries.len() >= MAX_ENTRIES => {
                        return Err(LdapError::TooManyEntries)
                    }
                    Op::Entry(e) => entries.push(e),
                    Op::Reference | Op::Intermediate => {}
                    Op::Done(r) => break (r, msg.controls),
                    _ => return Err(LdapError::Protocol("unexpected answer to a search")),
                }
            };
            let (result, controls) = done;
            if result.code != proto::SUCCESS {
                return Err(LdapError::Result {
                    op: "search",
                    code: result.code,
                    diagnostic: result.diagnostic,
                });
            }
            cookie = if page_size > 0 {
                proto::paged_cookie(&controls)?
            } else {
                Vec::new()
            };
            if cookie.is_empty() {
                return Ok(entries);
            }
        }
    }

    /// Says goodbye (best effort, briefly) and closes the connection.
    pub async fn close(mut self) {
        let id = self.next_id();
        let goodbye = async {
            let _ = self.stream.write_all(&proto::unbind_request(id)).await;
            match &mut self.stream {
                Stream::Plain(s) => drop(s.shutdown().await),
                Stream::Tls(s) => drop(s.shutdown().await),
                Stream::Gone => {}
            }
        };
        let _ = timeout(Duration::from_secs(1), goodbye).await;
    }
}
