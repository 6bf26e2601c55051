//! `tresor operator rekey`: start, feed shares into, inspect or cancel a rekey.

use super::{fail, field, text};
use crate::cli::RekeyArgs;
use crate::output::{structured, table, Format};
use serde_json::{json, Value};
use std::process::ExitCode;
use tresor_api::Client;

pub async fn run(client: &Client, a: RekeyArgs) -> ExitCode {
    if a.cancel {
        return match client.request("DELETE", "sys/rekey/init", None).await {
            Ok(_) => {
                println!("Success! Canceled rekeying (if it was started)");
                ExitCode::SUCCESS
            }
            Err(e) => fail("Error canceling rekey", &e),
        };
    }
    if a.init {
        let body = json!({ "secret_shares": a.key_shares, "secret_threshold": a.key_threshold });
        return match client.put("sys/rekey/init", &body).await {
            Ok(Some(s)) => print_status(&s, a.format),
            Ok(None) => ExitCode::SUCCESS,
            Err(e) => fail("Error initializing rekey", &e),
        };
    }
    let status = match client.get("sys/rekey/init").await {
        Ok(Some(s)) => s,
        Ok(None) => Value::Null,
        Err(e) => return fail("Error reading rekey status", &e),
    };
    if a.status {
        return print_status(&status, a.format);
    }
    if field(&status, "started").as_bool() != Some(true) {
        eprintln!("No rekey is in progress. Start one with \"tresor operator rekey -init\".");
        return ExitCode::from(1);
    }
    let Some(key) = a.key else {
        eprintln!("Give a key share: tresor operator rekey -nonce=NONCE KEY");
        return ExitCode::from(1);
    };
    let nonce = a.nonce.unwrap_or_else(|| text(&status, "nonce"));
    let resp = match client
        .put("sys/rekey/update", &json!({ "key": key, "nonce": nonce }))
        .await
    {
        Ok(Some(v)) => v,
        Ok(None) => Value::Null,
        Err(e) => return fail("Error posting unseal key", &e),
    };
    if field(&resp, "complete").as_bool() != Some(true) {
        return print_status(&resp, a.format);
    }
    if let Some(text) = structured(a.format, &resp) {
        println!("{text}");
        return ExitCode::SUCCESS;
    }
    println!();
    for (i, k) in field(&resp, "keys_base64")
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        println!("Key {}: {}", i + 1, k.as_str().unwrap_or_default());
    }
    println!("\nOperation nonce: {}\n", text(&resp, "nonce"));
    println!(
        "The unseal key was rekeyed to {} key shares with a threshold of {}. The old shares no\n\
         longer unseal tresor.",
        a.key_shares, a.key_threshold
    );
    ExitCode::SUCCESS
}

fn print_status(s: &Value, format: Format) -> ExitCode {
    if let Some(text) = structured(format, s) {
        println!("{text}");
        return ExitCode::SUCCESS;
    }
    let started = field(s, "started").as_bool().unwrap_or(false);
    let nonce = text(s, "nonce");
    let mut rows = vec![
        (
            "Nonce",
            if nonce.is_empty() {
                "n/a".into()
            } else {
                nonce
            },
        ),
        ("Started", started.to_string()),
    ];
    if started {
        rows.push((
            "Progress",
            format!("{}/{}", text(s, "progress"), text(s, "required")),
        ));
        rows.push(("New Shares", text(s, "n")));
        rows.push(("New Threshold", text(s, "t")));
    }
    print!("{}", table(&rows));
    ExitCode::SUCCESS
}
