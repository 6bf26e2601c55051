//! A small client of the Vault HTTP API.
//!
//! Its settings come from the same environment variables as the Vault CLI
//! (`VAULT_ADDR`, `VAULT_TOKEN`, `VAULT_CACERT`, `VAULT_SKIP_VERIFY`); the `TRESOR_*`
//! spellings take precedence.
#![forbid(unsafe_code)]

mod client;
mod settings;

pub use client::{describe, tls_builder, ApiError, Call, Client};
pub use settings::{env, token_file, Settings};
