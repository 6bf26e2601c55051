//! What version tresor reports to clients.
//!
//! Clients gate features on the server's version (Terraform's provider, for one), so we
//! report the Vault API level we implement, with our own version as build metadata:
//! `1.19.0+tresor.0.1.0`.

/// The Vault API level that tresor's endpoints follow.
pub const API_LEVEL: &str = "1.19.0";

pub fn version() -> String {
    format!("{API_LEVEL}+tresor.{}", env!("CARGO_PKG_VERSION"))
}
