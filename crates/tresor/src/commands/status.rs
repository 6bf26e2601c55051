//! `tresor status` (and the table `operator unseal` prints).

use super::{client, fail, field, text};
use crate::output::{structured, table, Format};
use serde_json::Value;
use std::process::ExitCode;
use tresor_api::Client;

pub async fn run(format: Format) -> ExitCode {
    let client = match client() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let status = match client.get("sys/seal-status").await {
        Ok(Some(s)) => s,
        Ok(None) => return local_error("Error checking seal status: empty answer"),
        Err(e) => return fail("Error checking seal status", &e),
    };
    match print_seal_status(&client, status, format).await {
        Ok(sealed) if sealed => ExitCode::from(2),
        Ok(_) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

fn local_error(msg: &str) -> ExitCode {
    eprintln!("{msg}");
    ExitCode::from(1)
}

/// Prints a seal status (with the HA state from `sys/leader`); returns whether sealed.
pub async fn print_seal_status(
    client: &Client,
    mut status: Value,
    format: Format,
) -> Result<bool, ExitCode> {
    let leader = match client.get("sys/leader").await {
        Ok(l) => l.unwrap_or(Value::Null),
        Err(e) => return Err(fail("Error checking leader status", &e)),
    };
    let ha_enabled = field(&leader, "ha_enabled").as_bool().unwrap_or(false);
    let sealed = field(&status, "sealed").as_bool().unwrap_or(true);
    match format {
        Format::Json | Format::Yaml => {
            if let Value::Object(m) = &mut status {
                m.insert("ha_enabled".into(), ha_enabled.into());
            }
            println!("{}", structured(format, &status).unwrap_or_default());
        }
        Format::Table => print!("{}", seal_status_table(&status, ha_enabled)),
    }
    Ok(sealed)
}

fn seal_status_table(s: &Value, ha_enabled: bool) -> String {
    let sealed = field(s, "sealed").as_bool().unwrap_or(true);
    let mut rows = vec![
        ("Seal Type", text(s, "type")),
        ("Initialized", text(s, "initialized")),
        ("Sealed", text(s, "sealed")),
        ("Total Shares", text(s, "n")),
        ("Threshold", text(s, "t")),
    ];
    if sealed {
        rows.push((
            "Unseal Progress",
            format!("{}/{}", text(s, "progress"), text(s, "t")),
        ));
        let nonce = text(s, "nonce");
        rows.push((
            "Unseal Nonce",
            if nonce.is_empty() {
                "n/a".into()
            } else {
                nonce
            },
        ));
    }
    rows.push(("Version", text(s, "version")));
    rows.push(("Storage Type", text(s, "storage_type")));
    if !sealed {
        rows.push(("Cluster Name", text(s, "cluster_name")));
        rows.push(("Cluster ID", text(s, "cluster_id")));
    }
    rows.push(("HA Enabled", ha_enabled.to_string()));
    table(&rows)
}
