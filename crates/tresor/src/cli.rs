//! The command tree. Vault's single-dash flags (`-dev`, `-config=x`) are accepted by
//! rewriting them to the double-dash form before clap sees them.

use crate::commands;
use crate::output::Format;
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "tresor",
    version,
    about = "A secrets manager that speaks the Vault HTTP API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Server(ServerArgs),
    /// Print the seal status of the server (exit 0 unsealed, 2 sealed, 1 error).
    Status(FormatArgs),
    /// Operator commands: init, unseal, seal, rotate, rekey, key-status.
    #[command(subcommand)]
    Operator(OperatorCommand),
}

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// A configuration file (HCL or JSON); may be given several times, later ones win.
    #[arg(long = "config", value_name = "FILE")]
    pub config: Vec<PathBuf>,
    /// Development mode: in memory, initialised, unsealed, root token printed.
    #[arg(long)]
    pub dev: bool,
    /// The root token to create in development mode.
    #[arg(
        long = "dev-root-token-id",
        env = "VAULT_DEV_ROOT_TOKEN_ID",
        value_name = "ID"
    )]
    pub dev_root_token_id: Option<String>,
    /// The address development mode listens on.
    #[arg(
        long = "dev-listen-address",
        env = "VAULT_DEV_LISTEN_ADDRESS",
        default_value = "127.0.0.1:8200"
    )]
    pub dev_listen_address: String,
    /// Log level: trace, debug, info, warn, error (overrides the configuration).
    #[arg(long = "log-level", env = "VAULT_LOG_LEVEL")]
    pub log_level: Option<String>,
}

#[derive(Debug, Args, Clone, Copy)]
pub struct FormatArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Initialise the server: create the unseal key shares and the root token.
    Init(InitArgs),
    /// Give one unseal key share (prompted without echo when absent).
    Unseal(UnsealArgs),
    /// Seal the server.
    Seal,
    /// Add a new barrier key term.
    Rotate(FormatArgs),
    /// Show the barrier key's term and install time.
    KeyStatus(FormatArgs),
    /// Make new unseal key shares from a threshold of the current ones.
    Rekey(RekeyArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[arg(long = "key-shares", default_value_t = 5)]
    pub key_shares: i64,
    #[arg(long = "key-threshold", default_value_t = 3)]
    pub key_threshold: i64,
    /// Only report whether the server is initialised (exit 0 yes, 2 no).
    #[arg(long)]
    pub status: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct UnsealArgs {
    /// The key share, hex or base64.
    pub key: Option<String>,
    /// Discard the shares given so far.
    #[arg(long)]
    pub reset: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RekeyArgs {
    /// The key share for this rekey, hex or base64.
    pub key: Option<String>,
    #[arg(long)]
    pub init: bool,
    #[arg(long)]
    pub cancel: bool,
    #[arg(long)]
    pub status: bool,
    #[arg(long = "key-shares", default_value_t = 5)]
    pub key_shares: i64,
    #[arg(long = "key-threshold", default_value_t = 3)]
    pub key_threshold: i64,
    #[arg(long)]
    pub nonce: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Rewrites `-flag` and `-flag=value` to `--flag...`; `-h`, `-`, `--x` and negative
/// numbers are left alone.
pub fn normalize_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    args.into_iter()
        .enumerate()
        .map(|(i, arg)| {
            let Some(s) = arg.to_str() else { return arg };
            let single_dash_word = i > 0
                && s.starts_with('-')
                && !s.starts_with("--")
                && s.len() > 2
                && !s[1..].starts_with(|c: char| c.is_ascii_digit());
            if single_dash_word {
                OsString::from(format!("-{s}"))
            } else {
                arg
            }
        })
        .collect()
}

pub fn run(args: Vec<OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error starting the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Server(args) => crate::server::run(args).await,
            Command::Status(f) => commands::status::run(f.format).await,
            Command::Operator(op) => commands::operator::run(op).await,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(args: &[&str]) -> Vec<String> {
        normalize_args(args.iter().map(OsString::from))
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect()
    }

    #[test]
    fn vault_style_flags_become_long_flags() {
        assert_eq!(
            norm(&[
                "tresor",
                "server",
                "-dev",
                "-dev-root-token-id=root",
                "-config=/a.hcl",
                "--config",
                "/b.hcl"
            ]),
            vec![
                "tresor",
                "server",
                "--dev",
                "--dev-root-token-id=root",
                "--config=/a.hcl",
                "--config",
                "/b.hcl"
            ]
        );
        assert_eq!(
            norm(&["tresor", "operator", "unseal", "-"]),
            vec!["tresor", "operator", "unseal", "-"]
        );
        assert_eq!(norm(&["tresor", "-h"]), vec!["tresor", "-h"]);
        assert_eq!(norm(&["tresor", "x", "-5"]), vec!["tresor", "x", "-5"]);
    }

    #[test]
    fn the_command_tree_parses() {
        let cli = Cli::try_parse_from(normalize_args(
            [
                "tresor",
                "operator",
                "init",
                "-key-shares=3",
                "-key-threshold=2",
                "-format=json",
            ]
            .map(OsString::from),
        ))
        .unwrap();
        let Command::Operator(OperatorCommand::Init(a)) = cli.command else {
            panic!()
        };
        assert_eq!(
            (a.key_shares, a.key_threshold, a.format),
            (3, 2, Format::Json)
        );
    }
}
