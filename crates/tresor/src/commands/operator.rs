//! `tresor operator init|unseal|seal|rotate|key-status` (rekey lives beside it).

use super::{client, fail, field, text};
use crate::cli::{InitArgs, OperatorCommand, UnsealArgs};
use crate::output::{structured, table, Format};
use serde_json::{json, Value};
use std::process::ExitCode;
use tresor_api::Client;

pub async fn run(cmd: OperatorCommand) -> ExitCode {
    let client = match client() {
        Ok(c) => c,
        Err(code) => return code,
    };
    match cmd {
        OperatorCommand::Init(a) => init(&client, a).await,
        OperatorCommand::Unseal(a) => unseal(&client, a).await,
        OperatorCommand::Seal => seal(&client).await,
        OperatorCommand::Rotate(f) => rotate(&client, f.format).await,
        OperatorCommand::KeyStatus(f) => key_status(&client, f.format, "").await,
        OperatorCommand::Rekey(a) => super::operator_rekey::run(&client, a).await,
    }
}

async fn init(client: &Client, a: InitArgs) -> ExitCode {
    if a.status {
        return match client.get("sys/init").await {
            Ok(Some(v)) if field(&v, "initialized").as_bool() == Some(true) => {
                println!("tresor is initialized");
                ExitCode::SUCCESS
            }
            Ok(_) => {
                println!("tresor is not initialized");
                ExitCode::from(2)
            }
            Err(e) => fail("Error checking init status", &e),
        };
    }
    let body = json!({ "secret_shares": a.key_shares, "secret_threshold": a.key_threshold });
    let resp = match client.put("sys/init", &body).await {
        Ok(Some(v)) => v,
        Ok(None) => return ExitCode::from(2),
        Err(e) => return fail("Error initializing", &e),
    };
    match a.format {
        Format::Json | Format::Yaml => println!(
            "{}",
            structured(
                a.format,
                &json!({
                    "unseal_keys_b64": field(&resp, "keys_base64"),
                    "unseal_keys_hex": field(&resp, "keys"),
                    "unseal_shares": a.key_shares,
                    "unseal_threshold": a.key_threshold,
                    "recovery_keys_b64": null,
                    "recovery_keys_hex": null,
                    "recovery_keys_shares": 0,
                    "recovery_keys_threshold": 0,
                    "root_token": field(&resp, "root_token"),
                })
            )
            .unwrap_or_default()
        ),
        Format::Table => {
            let keys = field(&resp, "keys_base64")
                .as_array()
                .cloned()
                .unwrap_or_default();
            for (i, k) in keys.iter().enumerate() {
                println!("Unseal Key {}: {}", i + 1, k.as_str().unwrap_or_default());
            }
            println!("\nInitial Root Token: {}\n", text(&resp, "root_token"));
            println!(
                "tresor initialized with {} key shares and a key threshold of {}. Keep the shares\n\
                 apart and safe: whenever tresor restarts or is sealed, {} of them are needed to\n\
                 unseal it. tresor does not keep the unseal key: without {} shares the data\n\
                 cannot be recovered.",
                a.key_shares, a.key_threshold, a.key_threshold, a.key_threshold
            );
        }
    }
    ExitCode::SUCCESS
}

async fn unseal(client: &Client, a: UnsealArgs) -> ExitCode {
    let body = if a.reset {
        json!({ "reset": true })
    } else {
        let key = match a.key {
            Some(k) => k,
            None => match rpassword::prompt_password("Unseal Key (will be hidden): ") {
                Ok(k) => k.trim().to_owned(),
                Err(e) => {
                    eprintln!("Error reading the unseal key: {e}");
                    return ExitCode::from(1);
                }
            },
        };
        json!({ "key": key })
    };
    let status = match client.put("sys/unseal", &body).await {
        Ok(Some(v)) => v,
        Ok(None) => Value::Null,
        Err(e) => return fail("Error unsealing", &e),
    };
    match super::status::print_seal_status(client, status, a.format).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

async fn seal(client: &Client) -> ExitCode {
    match client.put("sys/seal", &json!({})).await {
        Ok(_) => {
            println!("Success! tresor is sealed.");
            ExitCode::SUCCESS
        }
        Err(e) => fail("Error sealing", &e),
    }
}

async fn rotate(client: &Client, format: Format) -> ExitCode {
    if let Err(e) = client.put("sys/rotate", &json!({})).await {
        return fail("Error rotating key", &e);
    }
    key_status(client, format, "Success! Rotated key\n\n").await
}

async fn key_status(client: &Client, format: Format, prefix: &str) -> ExitCode {
    let resp = match client.get("sys/key-status").await {
        Ok(Some(v)) => v,
        Ok(None) => Value::Null,
        Err(e) => return fail("Error reading key status", &e),
    };
    let data = field(&resp, "data");
    match format {
        Format::Json | Format::Yaml => println!(
            "{}",
            structured(
                format,
                &json!({
                    "term": field(data, "term"),
                    "install_time": field(data, "install_time"),
                    "encryptions": field(data, "encryptions"),
                })
            )
            .unwrap_or_default()
        ),
        Format::Table => {
            let rows = [
                ("Key Term", text(data, "term")),
                ("Install Time", text(data, "install_time")),
                ("Encryption Count", text(data, "encryptions")),
            ];
            let t = table(&rows);
            // The key-status table has no header in the Vault CLI.
            print!(
                "{prefix}{}",
                t.lines()
                    .skip(2)
                    .map(|l| format!("{l}\n"))
                    .collect::<String>()
            );
        }
    }
    ExitCode::SUCCESS
}
