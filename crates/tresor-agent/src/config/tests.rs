#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use std::time::Duration;

fn parse(text: &str) -> Result<AgentConfig, ConfigError> {
    AgentConfig::parse("agent.hcl", text)
}

const FULL: &str = r#"
pid_file = "/tmp/agent.pid"
exit_after_auth = false

vault {
  address = "https://127.0.0.1:8200"
  ca_cert = "/etc/ca.pem"
  tls_skip_verify = false
  retry {
    num_retries = 5
  }
}

auto_auth {
  method "approle" {
    mount_path = "auth/approle"
    config = {
      role_id_file_path = "/etc/role-id"
      secret_id_file_path = "/etc/secret-id"
      remove_secret_id_file_after_reading = false
    }
  }
  sink "file" {
    wrap_ttl = "5m"
    config = {
      path = "/tmp/token"
      mode = 0600
    }
  }
}

template_config {
  exit_on_retry_failure = true
  static_secret_render_interval = "10s"
  lease_renewal_threshold = 0.5
}

template {
  contents = <<EOT
{{ with secret "secret/data/app" }}{{ .Data.data.password }}{{ end }}
EOT
  destination = "/tmp/out/app.txt"
  perms = "0600"
  error_on_missing_key = true
}

template {
  source = "/etc/db.tmpl"
  destination = "/tmp/out/db.txt"
  command = "echo rendered"
  left_delimiter = "[["
  right_delimiter = "]]"
}

api_proxy {
  use_auto_auth_token = true
}

cache {}

listener "tcp" {
  address = "127.0.0.1:8100"
  tls_disable = true
}

listener "unix" {
  address = "/tmp/agent.sock"
  socket_mode = "0660"
}
"#;

#[test]
fn vault_agent_configuration_reads_whole() {
    let c = parse(FULL).unwrap();
    assert_eq!(c.pid_file.unwrap().to_str(), Some("/tmp/agent.pid"));
    assert_eq!(c.vault.address.as_deref(), Some("https://127.0.0.1:8200"));
    assert_eq!(c.vault.num_retries, 5);
    let auth = c.auto_auth.unwrap();
    assert_eq!(auth.method.mount_path, "auth/approle");
    match &auth.method.kind {
        MethodKind::AppRole {
            role_id_file_path,
            remove_secret_id_file_after_reading,
            ..
        } => {
            assert_eq!(role_id_file_path.to_str(), Some("/etc/role-id"));
            assert!(!remove_secret_id_file_after_reading);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(auth.sinks.len(), 1);
    assert_eq!(auth.sinks[0].mode, 0o600);
    assert_eq!(auth.sinks[0].wrap_ttl, Some(Duration::from_secs(300)));
    assert!(c.template_config.exit_on_retry_failure);
    assert_eq!(
        c.template_config.static_secret_render_interval,
        Duration::from_secs(10)
    );
    assert_eq!(c.template_config.lease_renewal_threshold, 0.5);
    assert_eq!(c.templates.len(), 2);
    assert_eq!(
        c.templates[0].text,
        TemplateText::Inline(
            "{{ with secret \"secret/data/app\" }}{{ .Data.data.password }}{{ end }}\n".into()
        )
    );
    assert_eq!(c.templates[0].perms, 0o600);
    assert!(c.templates[0].error_on_missing_key);
    assert_eq!(c.templates[1].command, ["/bin/sh", "-c", "echo rendered"]);
    assert_eq!(c.templates[1].left_delimiter, "[[");
    assert!(c.api_proxy.use_auto_auth_token && !c.api_proxy.force_auto_auth_token);
    assert!(c.cache);
    assert_eq!(c.listeners.len(), 2);
    assert_eq!(c.listeners[0].kind, ListenerKind::Tcp);
    assert_eq!(c.listeners[1].socket_mode, Some(0o660));
}

#[test]
fn json_configuration_reads_the_same() {
    let json = r#"{
      "vault": {"address": "http://127.0.0.1:8200"},
      "auto_auth": {
        "method": [{"type": "token_file", "config": {"token_file_path": "/tmp/t"}}],
        "sink": {"file": {"config": {"path": "/tmp/sink"}}}
      },
      "template": [
        {"contents": "a", "destination": "/tmp/a"},
        {"contents": "b", "destination": "/tmp/b"}
      ],
      "listener": {"tcp": {"address": "127.0.0.1:0", "tls_disable": true}}
    }"#;
    let c = AgentConfig::parse("agent.json", json).unwrap();
    let auth = c.auto_auth.unwrap();
    assert!(matches!(auth.method.kind, MethodKind::TokenFile { .. }));
    assert_eq!(auth.method.mount_path, "auth/token_file");
    assert_eq!(auth.sinks[0].mode, 0o640);
    assert_eq!(c.templates.len(), 2);
    assert_eq!(c.listeners.len(), 1);
}

#[test]
fn method_type_may_be_a_key_and_config_a_block() {
    let c = parse(
        r#"
auto_auth {
  method {
    type = "kubernetes"
    config {
      role = "web"
    }
  }
}"#,
    )
    .unwrap();
    match c.auto_auth.unwrap().method.kind {
        MethodKind::Kubernetes { role, token_path } => {
            assert_eq!(role, "web");
            assert_eq!(
                token_path.to_str(),
                Some("/var/run/secrets/kubernetes.io/serviceaccount/token")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_keys_are_errors_that_name_them() {
    let cases = [
        ("colour = \"blue\"", "agent.hcl: unknown key \"colour\""),
        (
            "vault {\n adress = \"x\"\n}",
            "agent.hcl: block vault: unknown key \"adress\"",
        ),
        (
            "auto_auth {\n method \"approle\" {\n config = {\n role_id_file_path = \"a\"\n role = \"x\"\n }\n }\n}",
            "agent.hcl: block auto_auth.method \"approle\".config: unknown key \"role\"",
        ),
        (
            "template {\n contents = \"x\"\n destination = \"/tmp/x\"\n perm = \"0600\"\n}",
            "agent.hcl: block template: unknown key \"perm\"",
        ),
        (
            "auto_auth {\n method \"github\" {}\n}",
            "agent.hcl: block auto_auth.method \"github\".config: unsupported auto_auth method \"github\"",
        ),
    ];
    for (text, want) in cases {
        let e = parse(text).unwrap_err();
        assert_eq!(e.to_string(), want, "{text}");
    }
}

#[test]
fn bad_values_say_what_was_expected() {
    let e = parse("template_config {\n static_secret_render_interval = \"soon\"\n}").unwrap_err();
    assert!(e.to_string().contains("must be a duration"), "{e}");
    let e = parse("template {\n contents = \"x\"\n destination = \"/x\"\n perms = \"0999\"\n}")
        .unwrap_err();
    assert!(e.to_string().contains("must be a file mode"), "{e}");
    let e = parse("template {\n destination = \"/x\"\n}").unwrap_err();
    assert!(e.to_string().contains("one of source or contents"), "{e}");
    let e = parse(
        "exec {\n command = [\"app\"]\n}\ntemplate {\n contents = \"x\"\n destination = \"/x\"\n}",
    )
    .unwrap_err();
    assert!(e.to_string().contains("cannot be used together"), "{e}");
    assert!(parse("vault {\n address = ").is_err());
}

#[test]
fn exec_with_env_templates() {
    let c = parse(
        r#"
env_template "DB_PASSWORD" {
  contents = "{{ with secret \"secret/data/db\" }}{{ .Data.data.password }}{{ end }}"
  error_on_missing_key = true
}
exec {
  command = ["/app", "--serve"]
  restart_on_secret_changes = "always"
  restart_stop_signal = "SIGINT"
}"#,
    )
    .unwrap();
    assert_eq!(c.env_templates[0].name, "DB_PASSWORD");
    let exec = c.exec.unwrap();
    assert_eq!(exec.command, ["/app", "--serve"]);
    assert_eq!(exec.restart_stop_signal, "SIGINT");
}
