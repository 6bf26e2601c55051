use super::*;
use serde_json::json;
use tresor_crypto::SecretString;

const TIME: &str = "2026-01-02T03:04:05.000000006Z";

fn formatter(options: FormatOptions) -> (Formatter, Hasher) {
    (
        Formatter::new(Hasher::from_key(b"device-key"), options),
        Hasher::from_key(b"device-key"),
    )
}

fn auth() -> AuditAuth {
    AuditAuth {
        client_token: Some(SecretString::from("s.root-token")),
        accessor: "acc-123".into(),
        display_name: "token".into(),
        policies: vec!["root".into()],
        token_policies: vec!["root".into()],
        token_type: "service".into(),
        ..AuditAuth::default()
    }
}

fn request() -> AuditRequest {
    let data = json!({"password": "canary-secret", "ttl": 30, "on": true,
        "nested": {"list": ["x", 2]}});
    AuditRequest {
        id: "req-1".into(),
        operation: "update".into(),
        mount_type: Some("kv".into()),
        mount_point: "secret/".into(),
        mount_accessor: "kv_1234".into(),
        client_token: Some(SecretString::from("s.root-token")),
        client_token_accessor: "acc-123".into(),
        path: "secret/foo".into(),
        data: data.as_object().cloned(),
        remote_address: Some("127.0.0.1".into()),
        remote_port: Some(51234),
        wrap_ttl: Some(60),
    }
}

fn parse(line: &[u8]) -> Value {
    assert_eq!(line.last(), Some(&b'\n'));
    assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
    serde_json::from_slice(line).unwrap()
}

#[test]
fn request_entry_golden() {
    let (f, h) = formatter(FormatOptions::default());
    let got = parse(
        &f.request_entry(TIME, Some(&auth()), &request(), None)
            .unwrap(),
    );
    let want = json!({
        "time": TIME,
        "type": "request",
        "auth": {
            "client_token": h.hash("s.root-token"),
            "accessor": h.hash("acc-123"),
            "display_name": "token",
            "policies": ["root"],
            "token_policies": ["root"],
            "token_type": "service"
        },
        "request": {
            "id": "req-1",
            "operation": "update",
            "mount_type": "kv",
            "mount_point": "secret/",
            "mount_accessor": "kv_1234",
            "client_token": h.hash("s.root-token"),
            "client_token_accessor": h.hash("acc-123"),
            "namespace": {"id": "root"},
            "path": "secret/foo",
            "data": {"password": h.hash("canary-secret"), "ttl": 30, "on": true,
                "nested": {"list": [h.hash("x"), 2]}},
            "remote_address": "127.0.0.1",
            "remote_port": 51234,
            "wrap_ttl": 60
        }
    });
    assert_eq!(got, want);
}

#[test]
fn response_entry_golden() {
    let (f, h) = formatter(FormatOptions::default());
    let resp = AuditResponse {
        mount_type: Some("token".into()),
        auth: Some(AuditAuth {
            client_token: Some(SecretString::from("s.new-token")),
            accessor: "acc-new".into(),
            policies: vec!["default".into()],
            token_ttl: 3600,
            renewable: true,
            ..AuditAuth::default()
        }),
        data: Some(json!({"value": "canary-secret", "n": 1})),
        wrap_info: Some(AuditWrapInfo {
            token: SecretString::from("s.wrap"),
            accessor: "acc-wrap".into(),
            ttl: 60,
            creation_time: TIME.into(),
            creation_path: "secret/foo".into(),
            wrapped_accessor: String::new(),
        }),
        warnings: vec!["careful".into()],
    };
    let req = AuditRequest {
        data: None,
        ..request()
    };
    let got = parse(
        &f.response_entry(TIME, Some(&auth()), &req, Some(&resp), Some("boom"))
            .unwrap(),
    );
    assert_eq!(got["type"], "response");
    assert_eq!(got["error"], "boom");
    assert!(got["request"].get("data").is_none());
    assert_eq!(
        got["response"],
        json!({
            "mount_type": "token",
            "auth": {"client_token": h.hash("s.new-token"), "accessor": h.hash("acc-new"),
                "policies": ["default"], "token_ttl": 3600, "renewable": true},
            "data": {"value": h.hash("canary-secret"), "n": 1},
            "wrap_info": {"ttl": 60, "token": h.hash("s.wrap"), "accessor": h.hash("acc-wrap"),
                "creation_time": TIME, "creation_path": "secret/foo"},
            "warnings": ["careful"]
        })
    );
}

#[test]
fn error_only_response_has_no_response_object() {
    let (f, _) = formatter(FormatOptions::default());
    let got = parse(
        &f.response_entry(TIME, None, &request(), None, Some("permission denied"))
            .unwrap(),
    );
    assert!(got.get("response").is_none());
    assert_eq!(got["auth"], json!({}));
    assert_eq!(got["error"], "permission denied");
}

#[test]
fn canary_absent_unless_log_raw() {
    let (f, _) = formatter(FormatOptions::default());
    let line = f
        .request_entry(TIME, Some(&auth()), &request(), None)
        .unwrap();
    let text = String::from_utf8(line).unwrap();
    assert!(!text.contains("canary-secret"));
    assert!(!text.contains("s.root-token"));

    let (raw, _) = formatter(FormatOptions {
        log_raw: true,
        hmac_accessor: true,
    });
    let got = parse(
        &raw.request_entry(TIME, Some(&auth()), &request(), None)
            .unwrap(),
    );
    assert_eq!(got["request"]["data"]["password"], "canary-secret");
    assert_eq!(got["request"]["client_token"], "s.root-token");
    assert_eq!(got["auth"]["accessor"], "acc-123");
}

#[test]
fn hmac_accessor_false_keeps_accessors_only() {
    let (f, h) = formatter(FormatOptions {
        log_raw: false,
        hmac_accessor: false,
    });
    let got = parse(
        &f.request_entry(TIME, Some(&auth()), &request(), None)
            .unwrap(),
    );
    assert_eq!(got["auth"]["accessor"], "acc-123");
    assert_eq!(got["request"]["client_token_accessor"], "acc-123");
    assert_eq!(got["auth"]["client_token"], json!(h.hash("s.root-token")));
    assert_eq!(
        got["request"]["data"]["password"],
        json!(h.hash("canary-secret"))
    );
}

#[test]
fn options_parse() {
    let mut o = BTreeMap::new();
    assert_eq!(
        FormatOptions::from_options(&o).unwrap(),
        FormatOptions::default()
    );
    o.insert("log_raw".to_string(), "true".to_string());
    o.insert("hmac_accessor".to_string(), "false".to_string());
    let parsed = FormatOptions::from_options(&o).unwrap();
    assert!(parsed.log_raw && !parsed.hmac_accessor);
    o.insert("log_raw".to_string(), "maybe".to_string());
    assert!(FormatOptions::from_options(&o).is_err());
}

#[test]
fn from_sdk_request() {
    let mut data = tresor_sdk::Data::new();
    data.insert("k".into(), json!("v"));
    let req = tresor_sdk::Request::new(tresor_sdk::Operation::Read, "sys/mounts")
        .with_data(data)
        .with_token("s.tok");
    let a = AuditRequest::from(&req);
    assert_eq!(a.operation, "read");
    assert_eq!(a.path, "sys/mounts");
    assert_eq!(a.client_token.as_ref().map(|t| t.expose()), Some("s.tok"));
    assert!(a.data.is_some());
}
