//! `tresor agent -config=FILE`: runs the agent from a Vault Agent configuration file.

use super::agent_args::{self, AgentArgs, AgentCommand};
use std::ffi::OsString;
use std::process::ExitCode;
use tokio::sync::watch;
use tresor_agent::AgentConfig;

/// `tresor agent` with the arguments after `agent`.
pub async fn run(args: Vec<OsString>) -> ExitCode {
    match agent_args::parse(args, std::env::var("VAULT_LOG_LEVEL").ok()) {
        Ok(AgentCommand::Run(a)) => run_agent(a).await,
        Ok(AgentCommand::Help) => {
            print!("{}", agent_args::USAGE);
            ExitCode::SUCCESS
        }
        Ok(AgentCommand::Version) => {
            println!("tresor {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{}", agent_args::USAGE);
            ExitCode::from(1)
        }
    }
}

async fn run_agent(a: AgentArgs) -> ExitCode {
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
