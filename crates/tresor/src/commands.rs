//! Client commands. Exit codes follow the Vault CLI: 0 success, 1 local error (bad
//! input, no connection), 2 an error answered by the server.

pub mod agent;
mod agent_args;
pub mod audit;
pub mod auth;
pub mod context;
mod data_args;
mod duration;
pub mod kv;
pub mod kv_args;
mod kv_metadata;
mod kv_paths;
mod kv_versions;
pub mod lease;
pub mod login;
mod mounts;
pub mod operator;
mod operator_rekey;
pub mod policy;
mod policy_fmt;
mod render;
pub mod rw;
mod secret;
pub mod secrets;
pub mod status;
pub mod token;

use std::process::ExitCode;
use tresor_api::{ApiError, Client, Settings};

pub fn client() -> Result<Client, ExitCode> {
    Client::new(Settings::from_env()).map_err(|e| fail("Error creating the client", &e))
}

/// Prints `context: error` and returns the exit code for it.
pub fn fail(context: &str, err: &ApiError) -> ExitCode {
    eprintln!("{context}: {err}");
    exit_code(err)
}

/// 2 for an error the server answered, 1 for any other.
pub fn exit_code(err: &ApiError) -> ExitCode {
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
