use super::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use tresor_crypto::SecretString;

/// A device that records lines in memory and fails while `failing` is set.
#[derive(Debug, Default)]
struct Toggle {
    failing: AtomicBool,
    lines: Mutex<Vec<Vec<u8>>>,
    options: Options,
}

#[async_trait::async_trait]
impl Device for Toggle {
    fn kind(&self) -> &'static str {
        "toggle"
    }
    fn options(&self) -> Options {
        self.options.clone()
    }
    async fn log(&self, line: &[u8]) -> Result<(), AuditError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(AuditError::Timeout("toggle"));
        }
        self.lines.lock().unwrap().push(line.to_vec());
        Ok(())
    }
}

fn request() -> AuditRequest {
    AuditRequest {
        id: "r".into(),
        operation: "update".into(),
        client_token: Some(SecretString::from("s.token")),
        path: "secret/x".into(),
        data: json!({"v": "canary-7f3a"}).as_object().cloned(),
        ..AuditRequest::default()
    }
}

fn key() -> Hasher {
    Hasher::from_key(b"k")
}

#[tokio::test]
async fn no_device_is_a_noop_success() {
    let b = Broker::default();
    assert!(b.is_empty());
    b.log_request(None, &request(), None).await.unwrap();
    b.log_response(None, &request(), None, Some("e"))
        .await
        .unwrap();
}

#[tokio::test]
async fn fails_closed_and_recovers() {
    let b = Broker::default();
    let one = Arc::new(Toggle::default());
    let two = Arc::new(Toggle::default());
    b.enable("one", "", one.clone(), key()).unwrap();
    b.enable("two/", "", two.clone(), key()).unwrap();

    b.log_request(None, &request(), None).await.unwrap();
    assert_eq!(one.lines.lock().unwrap().len(), 1);
    assert_eq!(two.lines.lock().unwrap().len(), 1);

    one.failing.store(true, Ordering::SeqCst);
    b.log_request(None, &request(), None).await.unwrap();
    assert_eq!(two.lines.lock().unwrap().len(), 2);

    two.failing.store(true, Ordering::SeqCst);
    assert!(matches!(
        b.log_request(None, &request(), None).await,
        Err(AuditError::NoDeviceRecorded)
    ));
    assert!(matches!(
        b.log_response(None, &request(), Some(&AuditResponse::default()), None)
            .await,
        Err(AuditError::NoDeviceRecorded)
    ));

    two.failing.store(false, Ordering::SeqCst);
    b.log_response(None, &request(), Some(&AuditResponse::default()), None)
        .await
        .unwrap();
    let last: Value = serde_json::from_slice(two.lines.lock().unwrap().last().unwrap()).unwrap();
    assert_eq!(last["type"], "response");
}

#[tokio::test]
async fn each_device_uses_its_own_key() {
    let b = Broker::default();
    let one = Arc::new(Toggle::default());
    let two = Arc::new(Toggle::default());
    b.enable("one", "", one.clone(), Hasher::from_key(b"a"))
        .unwrap();
    b.enable("two", "", two.clone(), Hasher::from_key(b"b"))
        .unwrap();
    b.log_request(None, &request(), None).await.unwrap();
    let l1: Value = serde_json::from_slice(&one.lines.lock().unwrap()[0]).unwrap();
    let l2: Value = serde_json::from_slice(&two.lines.lock().unwrap()[0]).unwrap();
    assert_eq!(
        l1["request"]["data"]["v"],
        json!(b.hash("one", "canary-7f3a").unwrap())
    );
    assert_eq!(
        l2["request"]["data"]["v"],
        json!(b.hash("two/", "canary-7f3a").unwrap())
    );
    assert_ne!(l1["request"]["data"]["v"], l2["request"]["data"]["v"]);
}

#[tokio::test]
async fn enable_disable_and_list() {
    let b = Broker::default();
    let dev = Arc::new(Toggle::default());
    b.enable("file", "main", dev.clone(), key()).unwrap();
    assert!(matches!(
        b.enable("/file/", "", dev.clone(), key()),
        Err(AuditError::PathInUse(_))
    ));
    let list = b.list();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].path, "file/");
    assert_eq!(list[0].kind(), "toggle");
    assert!(b.hash("nope", "x").is_err());
    b.disable("file").unwrap();
    assert!(b.disable("file").is_err());
    assert!(b.is_empty());
    b.log_request(None, &request(), None).await.unwrap();
}

#[tokio::test]
async fn file_device_end_to_end_canary() {
    let dir = tempfile::tempdir().unwrap();
    for raw in [false, true] {
        let path = dir.path().join(format!("audit-{raw}.log"));
        let mut o = Options::new();
        o.insert("file_path".into(), path.display().to_string());
        o.insert("log_raw".into(), raw.to_string());
        let dev = crate::device::create("file", &o).await.unwrap();
        let b = Broker::default();
        b.enable("file", "", dev, Hasher::generate().unwrap())
            .unwrap();
        let resp = AuditResponse {
            data: Some(json!({"v": "canary-7f3a"})),
            ..AuditResponse::default()
        };
        b.log_request(None, &request(), None).await.unwrap();
        b.log_response(None, &request(), Some(&resp), None)
            .await
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert_eq!(text.contains("canary-7f3a"), raw);
        assert_eq!(text.contains("s.token"), raw);
    }
}

#[tokio::test]
async fn unknown_kind_rejected() {
    assert!(matches!(
        crate::device::create("nope", &Options::new()).await,
        Err(AuditError::UnknownKind(_))
    ));
}
