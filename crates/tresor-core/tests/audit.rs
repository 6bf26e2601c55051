//! Audit in the pipeline: API creation off by default; entries for requests and
//! responses with every secret HMAC'd (equal to `sys/audit-hash`); configured devices that
//! the API cannot disable and whose keys survive a restart; and fail closed: with the
//! only device failing, requests are refused and nothing they produced leaves, until the
//! device recovers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tresor_core::{AuditDeviceConfig, AuditSettings, CoreConfig};
use tresor_sdk::{ErrorKind, Operation};
use tresor_testkit::TestCore;

const CANARY: &str = "canary-7f3a9c1e-do-not-log";

fn file_device(path: &str, file: &Path) -> AuditDeviceConfig {
    AuditDeviceConfig {
        kind: "file".into(),
        path: path.into(),
        options: BTreeMap::from([("file_path".to_owned(), file.display().to_string())]),
        ..AuditDeviceConfig::default()
    }
}

async fn core_with(settings: AuditSettings) -> TestCore {
    TestCore::with_config(CoreConfig {
        audit: settings,
        ..CoreConfig::default()
    })
    .await
}

fn entries(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn audit_hash(t: &TestCore, device: &str, input: &str) -> String {
    let resp = t
        .root_call(
            Operation::Update,
            &format!("sys/audit-hash/{device}"),
            json!({ "input": input }),
        )
        .await
        .unwrap();
    resp.data.unwrap()["hash"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn creating_devices_through_the_api_is_off_by_default() {
    let t = TestCore::new().await;
    let err = t
        .root_call(
            Operation::Update,
            "sys/audit/file",
            json!({"type": "file", "options": {"file_path": "discard"}}),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot enable audit device via API"),
        "{err}"
    );
    let list = t
        .root_call(Operation::Read, "sys/audit", Value::Null)
        .await
        .unwrap();
    assert_eq!(list.data.unwrap(), serde_json::Map::new());
}

#[tokio::test]
async fn entries_hash_every_secret_and_match_audit_hash() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let t = core_with(AuditSettings {
        allow_api_creation: true,
        devices: Vec::new(),
    })
    .await;
    t.root_call(
        Operation::Update,
        "sys/audit/main",
        json!({"type": "file", "description": "d", "options": {"file_path": log.display().to_string()}}),
    )
    .await
    .unwrap();
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode & 0o111,
        0,
        "an audit file is never executable ({mode:o})"
    );

    // A canary in request data, and a token in a response.
    let policy = format!("path \"secret/{CANARY}\" {{ capabilities = [\"read\"] }}");
    t.root_call(
        Operation::Update,
        "sys/policy/canary",
        json!({ "policy": policy }),
    )
    .await
    .unwrap();
    let created = t
        .root_call(
            Operation::Update,
            "auth/token/create",
            json!({"policies": ["canary"]}),
        )
        .await
        .unwrap();
    let token = created.auth.unwrap().client_token.expose().to_owned();
    // A denied request is recorded with its error.
    let denied = t
        .call(Operation::Read, "sys/policy/canary", &token, Value::Null)
        .await
        .unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::PermissionDenied);

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(CANARY), "the canary is in the audit log");
    assert!(!text.contains(&token), "a token is in the audit log");
    assert!(
        !text.contains(&t.root),
        "the root token is in the audit log"
    );

    let all = entries(&log);
    let write = all
        .iter()
        .find(|e| e["type"] == "request" && e["request"]["path"] == "sys/policy/canary")
        .expect("the policy write is recorded");
    assert_eq!(
        write["request"]["data"]["policy"].as_str().unwrap(),
        audit_hash(&t, "main", &policy).await
    );
    assert_eq!(
        write["request"]["client_token"].as_str().unwrap(),
        audit_hash(&t, "main", &t.root).await,
        "the caller's token is hashed with the device key"
    );
    assert_eq!(write["request"]["mount_type"], "system");
    let issued = all
        .iter()
        .find(|e| e["type"] == "response" && e["request"]["path"] == "auth/token/create")
        .expect("the token creation is recorded");
    assert_eq!(
        issued["response"]["auth"]["client_token"].as_str().unwrap(),
        audit_hash(&t, "main", &token).await
    );
    assert!(all.iter().any(|e| e["type"] == "response"
        && e["request"]["path"] == "sys/policy/canary"
        && e["request"]["operation"] == "read"
        && e["error"] == "permission denied"));

    let err = t
        .root_call(
            Operation::Update,
            "sys/audit-hash/nope",
            json!({"input": "x"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown audit backend \"nope/\"");
    let err = t
        .root_call(
            Operation::Update,
            "sys/audit/main",
            json!({"type": "file", "options": {"file_path": "discard"}}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "path already in use");
    let err = t
        .root_call(
            Operation::Update,
            "sys/audit/other",
            json!({"type": "nope"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown backend type: \"nope\"");

    let list = t
        .root_call(Operation::Read, "sys/audit", Value::Null)
        .await
        .unwrap();
    let d = list.data.unwrap();
    assert_eq!(d["main/"]["type"], "file");
    assert_eq!(d["main/"]["description"], "d");
    assert_eq!(d["main/"]["path"], "main/");
    t.root_call(Operation::Delete, "sys/audit/main", Value::Null)
        .await
        .unwrap();
    let before = std::fs::read_to_string(&log).unwrap().len();
    t.root_call(Operation::Read, "sys/audit", Value::Null)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().len(),
        before,
        "disabled"
    );
}

#[tokio::test]
async fn configured_devices_cannot_be_disabled_and_keep_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cfg.log");
    let t = core_with(AuditSettings {
        allow_api_creation: false,
        devices: vec![file_device("cfg", &log)],
    })
    .await;
    let err = t
        .root_call(Operation::Delete, "sys/audit/cfg", Value::Null)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot disable configuration-managed audit device"
    );
    let before = audit_hash(&t, "cfg", CANARY).await;
    t.restart().await;
    assert_eq!(audit_hash(&t, "cfg", CANARY).await, before);
    assert!(!std::fs::read_to_string(&log).unwrap().contains(CANARY));
}

#[tokio::test]
async fn with_the_only_device_failing_requests_are_refused_until_it_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("audit.sock");
    let listener = tokio::net::UnixListener::bind(&sock).unwrap();
    let reader = tokio::spawn(drain(listener));
    let t = core_with(AuditSettings {
        allow_api_creation: false,
        devices: vec![AuditDeviceConfig {
            kind: "socket".into(),
            path: "siem".into(),
            options: BTreeMap::from([
                ("address".to_owned(), sock.display().to_string()),
                ("socket_type".to_owned(), "unix".to_owned()),
                ("write_timeout".to_owned(), "1s".to_owned()),
            ]),
            ..AuditDeviceConfig::default()
        }],
    })
    .await;
    let create = || t.root_call(Operation::Update, "auth/token/create", json!({}));
    assert!(create().await.is_ok());

    // The collector goes away: once a write fails, no request is served.
    reader.abort();
    let _ = reader.await;
    std::fs::remove_file(&sock).unwrap();
    let mut refused = 0;
    for _ in 0..5 {
        match create().await {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Internal);
                assert!(!e.to_string().contains("trs."), "no token in the error");
                refused += 1;
            }
        }
    }
    assert!(
        refused >= 4,
        "requests are refused while no device records ({refused}/5)"
    );
    let accessors = t
        .root_call(Operation::List, "auth/token/accessors", Value::Null)
        .await;
    assert!(accessors.is_err(), "even reads are refused");

    // It comes back: requests are served again, without a restart.
    let listener = tokio::net::UnixListener::bind(&sock).unwrap();
    let _reader = tokio::spawn(drain(listener));
    assert!(create().await.is_ok());
}

/// Accepts connections and reads everything sent; aborting it closes every connection
/// (a `JoinSet` aborts its tasks when dropped).
async fn drain(listener: tokio::net::UnixListener) {
    use tokio::io::AsyncReadExt;
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let Ok((mut conn, _)) = listener.accept().await else {
            return;
        };
        conns.spawn(async move {
            let mut buf = vec![0u8; 65536];
            while conn.read(&mut buf).await.is_ok_and(|n| n > 0) {}
        });
    }
}
