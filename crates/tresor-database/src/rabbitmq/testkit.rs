//! Drives the engine the way the core does (existence-free writes, leases renewed and
//! revoked through the backend), over in-memory storage, against the RabbitMQ of the
//! machine: the management API at `RABBITMQ_MANAGEMENT_URL` (default
//! `http://127.0.0.1:15672`) and AMQP at `RABBITMQ_AMQP_ADDR` (default `127.0.0.1:5672`),
//! administrator `guest`/`guest`.

use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tresor_crypto::SecretString;
use tresor_sdk::{
    BackendRequest, Data, Error, LeaseRequest, LogicalBackend, ManualClock, MountContext,
    MountInfo, Operation, Response, SecretLease, SystemView,
};
use tresor_storage::{InmemBackend, View};

pub const ADMIN: &str = "guest";
pub const ADMIN_PASSWORD: &str = "guest";

pub fn management_url() -> String {
    std::env::var("RABBITMQ_MANAGEMENT_URL").unwrap_or_else(|_| "http://127.0.0.1:15672".into())
}

pub fn amqp_addr() -> String {
    std::env::var("RABBITMQ_AMQP_ADDR").unwrap_or_else(|_| "127.0.0.1:5672".into())
}

/// Knows one password policy, `test-policy`, whose passwords start with `Pp1-`.
#[derive(Debug)]
pub struct TestSystem;

#[async_trait]
impl SystemView for TestSystem {
    async fn generate_password(&self, policy: &str) -> Result<SecretString, Error> {
        if policy == "test-policy" {
            let tail = tresor_crypto::random::base62(20).unwrap();
            Ok(SecretString::new(format!("Pp1-{}", tail.expose())))
        } else {
            Err(Error::bad_request(format!(
                "password policy {policy:?} does not exist"
            )))
        }
    }
}

pub struct Harness {
    pub backend: Arc<dyn LogicalBackend>,
    pub mount: MountInfo,
}

impl Harness {
    pub async fn new() -> Self {
        let storage = View::new(Arc::new(InmemBackend::new()), "logical/rmq/");
        let clock = Arc::new(ManualClock::fixed());
        let mount = MountInfo {
            path: "rabbitmq/".into(),
            kind: "rabbitmq".into(),
            accessor: "rabbitmq_1234".into(),
            default_lease_ttl: Duration::from_secs(768 * 3600),
            max_lease_ttl: Duration::from_secs(768 * 3600),
            ..MountInfo::default()
        };
        let backend = super::factory(MountContext {
            storage,
            info: mount.clone(),
            clock,
            system: Arc::new(TestSystem),
        })
        .unwrap();
        backend.initialize().await.unwrap();
        Self { backend, mount }
    }

    pub async fn call(&self, op: Operation, path: &str, body: Value) -> Result<Response, Error> {
        let data: Data = body.as_object().cloned().unwrap_or_default();
        let req = BackendRequest {
            id: "test-request",
            operation: op,
            path,
            data: &data,
            mount: &self.mount,
            token_hash: None,
            client_addr: Some("127.0.0.1"),
            display_name: "token",
            peer_certificates: &[],
        };
        self.backend.handle(&req).await
    }

    pub async fn write(&self, path: &str, body: Value) -> Result<Response, Error> {
        self.call(Operation::Update, path, body).await
    }

    pub async fn read(&self, path: &str) -> Result<Response, Error> {
        self.call(Operation::Read, path, Value::Null).await
    }

    /// `config/connection` with the machine's administrator and `template`.
    pub async fn connect(&self, template: &str) {
        self.write(
            "config/connection",
            json!({"connection_uri": management_url(), "username": ADMIN,
                   "password": ADMIN_PASSWORD, "username_template": template}),
        )
        .await
        .unwrap();
    }

    pub async fn renew(&self, lease: &SecretLease, increment: u64) -> Result<SecretLease, Error> {
        self.backend
            .renew_secret(&self.lease_request(lease, increment))
            .await
    }

    pub async fn revoke(&self, lease: &SecretLease) -> Result<(), Error> {
        self.backend
            .revoke_secret(&self.lease_request(lease, 0))
            .await
    }

    fn lease_request<'a>(&'a self, lease: &'a SecretLease, increment: u64) -> LeaseRequest<'a> {
        LeaseRequest {
            lease_id: "rabbitmq/creds/test/abc",
            path: "creds/test",
            internal: &lease.internal,
            increment: Duration::from_secs(increment),
            issue_time: 1_800_000_000,
            mount: &self.mount,
        }
    }
}

/// Issued credentials: (username, password, lease).
pub fn creds(resp: Response) -> (String, String, SecretLease) {
    let data = resp.data.unwrap();
    let s = |k: &str| data[k].as_str().unwrap().to_owned();
    (s("username"), s("password"), resp.secret.unwrap())
}

/// The management API, as a given user.
pub struct Api {
    http: reqwest::Client,
    user: String,
    password: String,
}

pub fn admin() -> Api {
    Api::as_user(ADMIN, ADMIN_PASSWORD)
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Api {
    pub fn as_user(user: &str, password: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            user: user.into(),
            password: password.into(),
        }
    }

    /// GET `/api/<path>` (already encoded): the status and the JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}/api/{path}", management_url()))
            .basic_auth(&self.user, Some(&self.password))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn user_names(&self) -> Vec<String> {
        let (status, users) = self.get("users").await;
        assert_eq!(status, 200, "{users}");
        users
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Deletes every user whose name starts with `prefix`.
    pub async fn delete_users(&self, prefix: &str) {
        for name in self.user_names().await {
            if name.starts_with(prefix) {
                self.http
                    .delete(format!("{}/api/users/{}", management_url(), enc(&name)))
                    .basic_auth(&self.user, Some(&self.password))
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}

/// The users of one test run: a name prefix unique to the run (so runs of the same test
/// side by side leave each other alone), whose users are deleted when it drops, even when
/// the test fails.
pub struct Users(pub String);

impl Users {
    pub fn new(tag: &str) -> Self {
        let id: String = tresor_crypto::random::bytes(4)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Self(format!("tresor-test-{tag}-{id}-"))
    }
}

impl Drop for Users {
    fn drop(&mut self) {
        let prefix = self.0.clone();
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(admin().delete_users(&prefix));
        })
        .join();
    }
}

// ---- a minimal AMQP 0-9-1 client: enough to log in and open a vhost ----

async fn send_method(s: &mut TcpStream, class: u16, method: u16, args: &[u8]) {
    let mut payload = Vec::new();
    payload.extend(class.to_be_bytes());
    payload.extend(method.to_be_bytes());
    payload.extend(args);
    let mut frame = vec![1u8, 0, 0];
    frame.extend(u32::try_from(payload.len()).unwrap().to_be_bytes());
    frame.extend(payload);
    frame.push(0xCE);
    s.write_all(&frame).await.unwrap();
}

/// The next method frame's (class, method, arguments); `None` when the server closed.
async fn read_method(s: &mut TcpStream) -> Option<(u16, u16, Vec<u8>)> {
    let mut header = [0u8; 7];
    s.read_exact(&mut header).await.ok()?;
    let size = u32::from_be_bytes([header[3], header[4], header[5], header[6]]) as usize;
    let mut body = vec![0u8; size + 1];
    s.read_exact(&mut body).await.ok()?;
    assert_eq!(header[0], 1, "expected a method frame");
    let class = u16::from_be_bytes([body[0], body[1]]);
    let method = u16::from_be_bytes([body[2], body[3]]);
    Some((class, method, body[4..size].to_vec()))
}

fn shortstr(out: &mut Vec<u8>, s: &str) {
    out.push(u8::try_from(s.len()).unwrap());
    out.extend(s.as_bytes());
}

/// Logs in over AMQP with PLAIN and opens `vhost`: `Ok(())` when the server accepts both,
/// else which step it refused.
pub async fn amqp_login(user: &str, password: &str, vhost: &str) -> Result<(), &'static str> {
    let mut s = TcpStream::connect(amqp_addr()).await.unwrap();
    s.write_all(b"AMQP\x00\x00\x09\x01").await.unwrap();
    let (class, method, _) = read_method(&mut s).await.ok_or("no start")?;
    assert_eq!((class, method), (10, 10), "connection.start");
    let mut args = 0u32.to_be_bytes().to_vec(); // empty client properties
    shortstr(&mut args, "PLAIN");
    let response = format!("\0{user}\0{password}");
    args.extend(u32::try_from(response.len()).unwrap().to_be_bytes());
    args.extend(response.as_bytes());
    shortstr(&mut args, "en_US");
    send_method(&mut s, 10, 11, &args).await;
    match read_method(&mut s).await {
        Some((10, 30, tune)) => {
            let mut ok = tune[..2].to_vec(); // channel_max as offered
            ok.extend(131_072u32.to_be_bytes());
            ok.extend(0u16.to_be_bytes());
            send_method(&mut s, 10, 31, &ok).await;
        }
        _ => return Err("login refused"),
    }
    let mut open = Vec::new();
    shortstr(&mut open, vhost);
    shortstr(&mut open, "");
    open.push(0);
    send_method(&mut s, 10, 40, &open).await;
    let opened = matches!(read_method(&mut s).await, Some((10, 41, _)));
    send_method(&mut s, 10, 50, &[0, 200, 0, 0, 0, 0, 0]).await;
    if opened {
        Ok(())
    } else {
        Err("vhost refused")
    }
}
