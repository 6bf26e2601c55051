//! Client commands. Exit codes follow the Vault CLI: 0 success, 1 local error (bad
//! input, no connection), 2 an error answered by the server.

pub mod operator;
mod operator_rekey;
pub mod status;

use std::process::ExitCode;
use tresor_api::{ApiError, Client, Settings};

pub fn client() -> Result<Client, ExitCode> {
    Client::new(Settings::from_env()).map_err(|e| fail("Error creating the client", &e))
}

/// Prints `context: error` and returns the exit code for it.
pub fn fail(context: &str, err: &ApiError) -> ExitCode {
    eprintln!("{context}: {err}");
    if err.is_server() {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}

pub fn field<'a>(v: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    v.get(key).unwrap_or(&serde_json::Value::Null)
}

pub fn text(v: &serde_json::Value, key: &str) -> String {
    match field(v, key) {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}
