use super::*;

const VAULT_HCL: &str = r#"
storage "file" {
  path = "/var/lib/tresor"
}

listener "tcp" {
  address         = "0.0.0.0:8200"
  cluster_address = "0.0.0.0:8201"
  tls_cert_file   = "/etc/tresor/tls.crt"
  tls_key_file    = "/etc/tresor/tls.key"
  tls_min_version = "tls12"
}

api_addr          = "https://vault.example:8200"
cluster_addr      = "https://vault.example:8201"
cluster_name      = "prod"
ui                = true
log_level         = "info"
default_lease_ttl = "768h"
max_lease_ttl     = 86400
disable_mlock     = true
"#;

#[test]
fn a_vault_hcl_file_parses() {
    let c = Config::parse("vault.hcl", VAULT_HCL).unwrap();
    assert_eq!(
        c.storage,
        Some(Storage::File {
            path: "/var/lib/tresor".into()
        })
    );
    assert_eq!(c.listeners.len(), 1);
    assert_eq!(c.listeners[0].address, "0.0.0.0:8200");
    assert!(!c.listeners[0].tls_disable);
    assert_eq!(c.default_lease_ttl, Some(Duration::from_secs(768 * 3600)));
    assert_eq!(c.max_lease_ttl, Some(Duration::from_secs(86400)));
    assert!(c.ui && c.disable_mlock);
    c.validate().unwrap();
}

#[test]
fn the_same_file_in_json_parses_the_same() {
    let json = r#"{
      "storage": {"file": {"path": "/var/lib/tresor"}},
      "listener": [{"tcp": {"address": "0.0.0.0:8200", "cluster_address": "0.0.0.0:8201",
                            "tls_cert_file": "/etc/tresor/tls.crt", "tls_key_file": "/etc/tresor/tls.key",
                            "tls_min_version": "tls12"}}],
      "api_addr": "https://vault.example:8200", "cluster_addr": "https://vault.example:8201",
      "cluster_name": "prod", "ui": true, "log_level": "info",
      "default_lease_ttl": "768h", "max_lease_ttl": 86400, "disable_mlock": true
    }"#;
    assert_eq!(
        Config::parse("vault.json", json).unwrap(),
        Config::parse("vault.hcl", VAULT_HCL).unwrap()
    );
}

#[test]
fn unknown_keys_name_file_block_and_key() {
    let err = Config::parse("a.hcl", "listener \"tcp\" {\n  adress = \"x\"\n}\n")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "a.hcl: block listener \"tcp\": unknown key \"adress\"");
    let err = Config::parse("a.hcl", "plugin_directory = \"/x\"\n")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "a.hcl: unknown key \"plugin_directory\"");
    let err = Config::parse("a.hcl", "telemetry {\n}\n")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "a.hcl: unknown block \"telemetry\"");
    let err = Config::parse(
        "a.json",
        r#"{"storage": {"file": {"path": "/x", "mode": 1}}}"#,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(err, "a.json: block storage \"file\": unknown key \"mode\"");
    assert!(Config::parse("a.hcl", "storage \"consul\" {}\n").is_err());
    assert!(Config::parse("a.hcl", "ui = \"maybe\"\n").is_err());
    assert!(Config::parse("a.hcl", "storage \"file\" {\n").is_err());
}

#[test]
fn files_merge_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.hcl");
    let b = dir.path().join("b.hcl");
    std::fs::write(&a, "storage \"inmem\" {}\nlistener \"tcp\" {\n address = \"127.0.0.1:1\"\n tls_disable = true\n}\nlog_level = \"info\"\n").unwrap();
    std::fs::write(&b, "listener \"tcp\" {\n address = \"127.0.0.1:2\"\n tls_disable = \"true\"\n}\nlog_level = \"debug\"\n").unwrap();
    let c = Config::load_all(&[a, b]).unwrap();
    assert_eq!(c.storage, Some(Storage::Inmem));
    assert_eq!(c.listeners.len(), 2);
    assert_eq!(c.log_level.as_deref(), Some("debug"));
    c.validate().unwrap();
}

#[test]
fn tls_listeners_need_cert_and_key() {
    let c = Config::parse("a.hcl", "storage \"inmem\" {}\nlistener \"tcp\" {}\n").unwrap();
    assert!(c.validate().is_err());
}

#[test]
fn vault_hcl1_one_line_blocks_parse() {
    let c = Config::parse(
        "dev.hcl",
        "storage \"inmem\" {}\nlistener \"tcp\" { address = \"127.0.0.1:8200\" tls_disable = true }\nui = true, log_level = \"debug\"\n",
    )
    .unwrap();
    assert_eq!(c.listeners.len(), 1);
    assert!(c.listeners[0].tls_disable);
    assert_eq!(c.log_level.as_deref(), Some("debug"));
    let deep = format!("x = {}{}", "[".repeat(100), "]".repeat(100));
    assert!(
        Config::parse("deep.hcl", &deep).is_err(),
        "nesting is bounded"
    );
}

#[test]
fn audit_devices_parse_from_hcl_and_json() {
    let hcl = r#"
        unsafe_allow_api_audit_creation = true
        audit "file" "to-disk" {
          description = "all requests"
          options {
            file_path = "/var/log/tresor/audit.log"
            hmac_accessor = false
          }
        }
        audit "socket" "siem" {
          local = true
          options { address = "127.0.0.1:9090" }
        }
    "#;
    let c = Config::parse("a.hcl", hcl).unwrap();
    assert!(c.unsafe_allow_api_audit_creation);
    assert_eq!(c.audit.len(), 2);
    assert_eq!(c.audit[0].kind, "file");
    assert_eq!(c.audit[0].path, "to-disk");
    assert_eq!(c.audit[0].description, "all requests");
    assert_eq!(c.audit[0].options["hmac_accessor"], "false");
    assert_eq!(c.audit[1].kind, "socket");
    assert!(c.audit[1].local);

    let json = r#"{"audit": {"file": {"to-disk": {"options": {"file_path": "stdout"}}}}}"#;
    let j = Config::parse("a.json", json).unwrap();
    assert_eq!(j.audit[0].path, "to-disk");
    assert_eq!(j.audit[0].options["file_path"], "stdout");
    assert!(!j.unsafe_allow_api_audit_creation, "off by default");

    let err = Config::parse("b.hcl", r#"audit "file" { }"#).unwrap_err();
    assert!(err.to_string().contains("type and a path"), "{err}");
    assert!(Config::parse("c.hcl", r#"listener "tcp" "x" { }"#).is_err());
}
