//! `tresor agent -config=FILE`: runs the agent from a Vault Agent configuration file.

use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio::sync::watch;
use tresor_agent::AgentConfig;

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The agent's configuration file (Vault Agent's HCL or JSON).
    #[arg(long = "config", value_name = "FILE", required = true)]
    pub config: PathBuf,
    /// Log in once, render the templates once, then exit (as `exit_after_auth = true`).
    #[arg(long = "exit-after-auth")]
    pub exit_after_auth: bool,
    /// Revoke the auto-auth token when stopped by SIGTERM or SIGINT.
    #[arg(long = "revoke-on-exit")]
    pub revoke_on_exit: bool,
    /// Log level: trace, debug, info, warn, error (overrides the configuration).
    #[arg(long = "log-level", env = "VAULT_LOG_LEVEL")]
    pub log_level: Option<String>,
}

pub async fn run(a: AgentArgs) -> ExitCode {
    let mut cfg = match AgentConfig::load(&a.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error loading configuration: {e}");
            return ExitCode::from(1);
        }
    };
    cfg.exit_after_auth |= a.exit_after_auth;
    cfg.revoke_on_exit |= a.revoke_on_exit;
    let level = a
        .log_level
        .clone()
        .or_else(|| cfg.log_level.clone())
        .unwrap_or_else(|| "info".to_owned());
    if let Err(e) = crate::server::init_logging(&level) {
        eprintln!("Error: {e}");
        return ExitCode::from(1);
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        crate::server::wait_for_signal().await;
        stop_tx.send_replace(true);
    });
    match tresor_agent::run(cfg, stop_rx).await {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::from(1)
        }
    }
}
