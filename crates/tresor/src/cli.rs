//! The command tree. Vault's single-dash flags (`-dev`, `-config=x`) are accepted by
//! rewriting them to the double-dash form before clap sees them.

use crate::commands;
use crate::commands::audit::AuditArgs;
use crate::commands::auth::AuthArgs;
use crate::commands::kv_args::KvArgs;
use crate::commands::lease::LeaseArgs;
use crate::commands::login::LoginArgs;
use crate::commands::policy::PolicyArgs;
use crate::commands::rw;
use crate::commands::secrets::SecretsArgs;
use crate::commands::token::TokenArgs;
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
    /// Read data at a path and print it.
    Read(rw::ReadArgs),
    /// Write data to a path (`k=v`, `k=@file`, `-` for a JSON object on stdin).
    Write(rw::WriteArgs),
    /// Merge data into what a path holds (HTTP PATCH).
    Patch(rw::WriteArgs),
    /// List the keys under a path.
    List(rw::ListArgs),
    /// Delete the data at a path.
    Delete(rw::ReadArgs),
    /// Key/value secrets (KV version 1 and 2): get, put, patch, delete, list, metadata...
    Kv(KvArgs),
    /// Authenticate with a token and keep it in ~/.vault-token.
    Login(LoginArgs),
    /// ACL policies: list, read, write, delete, fmt.
    Policy(PolicyArgs),
    /// Tokens: create, lookup, renew, revoke, capabilities.
    Token(TokenArgs),
    /// Secrets engines: enable, disable, list, tune, move.
    Secrets(SecretsArgs),
    /// Auth methods: enable, disable, list, tune.
    Auth(AuthArgs),
    /// Leases of secrets and tokens: lookup, renew, revoke.
    Lease(LeaseArgs),
    /// Audit devices: enable, disable, list.
    Audit(AuditArgs),
    /// Run the agent: auto-auth, token sinks, templates, exec, API proxy (Vault Agent's
    /// configuration files; `tresor agent -help` for its flags).
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Agent {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<OsString>,
    },
}

/// Parses the arguments. The agent's are passed on untouched without building the command
/// tree: that would run the argument code of every subcommand, and the agent is meant to
/// stay small in memory (commands/agent_args.rs reads them).
fn parse(mut args: Vec<OsString>) -> Result<Command, clap::Error> {
    if args.get(1).is_some_and(|a| a == "agent") {
        Ok(Command::Agent {
            args: args.split_off(2),
        })
    } else {
        Cli::try_parse_from(args).map(|c| c.command)
    }
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
    let command = match parse(args) {
        Ok(command) => command,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // The agent is small and mostly idle: one thread (see also main's small_footprint).
    let mut builder = if matches!(command, Command::Agent { .. }) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error starting the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        match command {
            Command::Server(args) => crate::server::run(args).await,
            Command::Status(f) => commands::status::run(f.format).await,
            Command::Operator(op) => commands::operator::run(op).await,
            Command::Read(a) => rw::read(a).await,
            Command::Write(a) => rw::write(a, "PUT").await,
            Command::Patch(a) => rw::write(a, "PATCH").await,
            Command::List(a) => rw::list(a).await,
            Command::Delete(a) => rw::delete(a).await,
            Command::Kv(a) => commands::kv::run(a).await,
            Command::Login(a) => commands::login::run(a).await,
            Command::Policy(a) => commands::policy::run(a).await,
            Command::Token(a) => commands::token::run(a).await,
            Command::Secrets(a) => commands::secrets::run(a).await,
            Command::Auth(a) => commands::auth::run(a).await,
            Command::Lease(a) => commands::lease::run(a).await,
            Command::Audit(a) => commands::audit::run(a).await,
            Command::Agent { args } => commands::agent::run(args).await,
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

    fn parse(args: &[&str]) -> Command {
        let argv = std::iter::once("tresor").chain(args.iter().copied());
        super::parse(normalize_args(argv.map(OsString::from))).unwrap()
    }

    #[test]
    fn the_command_tree_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn the_agents_arguments_pass_untouched_and_as_the_tree_would() {
        let argv = ["agent", "-config=/a.hcl", "-help", "x"];
        let Command::Agent { args } = parse(&argv) else {
            panic!()
        };
        assert_eq!(args, ["--config=/a.hcl", "--help", "x"]);
        let full = std::iter::once("tresor").chain(argv);
        let tree = Cli::try_parse_from(normalize_args(full.map(OsString::from))).unwrap();
        let Command::Agent { args: in_tree } = tree.command else {
            panic!()
        };
        assert_eq!(args, in_tree);
    }

    #[test]
    fn client_commands_take_vault_style_flags() {
        let Command::Kv(kv) = parse(&["kv", "put", "-mount=secret", "-cas=0", "foo", "a=b", "-"])
        else {
            panic!()
        };
        let crate::commands::kv_args::KvCommand::Put(put) = kv.cmd else {
            panic!()
        };
        assert_eq!(put.mount.mount.as_deref(), Some("secret"));
        assert_eq!((put.cas, put.path.as_str()), (Some(0), "foo"));
        assert_eq!(put.data, ["a=b", "-"]);

        // client flags are accepted after the subcommand too
        let Command::Kv(kv) = parse(&["kv", "get", "-format=yaml", "-address=http://x:1", "a/b"])
        else {
            panic!()
        };
        assert_eq!(kv.client.format, Some(Format::Yaml));
        assert_eq!(kv.client.address.as_deref(), Some("http://x:1"));

        let Command::Token(t) = parse(&[
            "token",
            "create",
            "-renewable=false",
            "-policy=a",
            "-policy=b",
        ]) else {
            panic!()
        };
        let crate::commands::token::TokenCommand::Create(c) = t.cmd else {
            panic!()
        };
        assert_eq!((c.renewable, c.policies.len()), (Some(false), 2));

        // a bare boolean flag does not swallow the next argument
        let Command::Token(t) = parse(&["token", "lookup", "-accessor", "abc"]) else {
            panic!()
        };
        let crate::commands::token::TokenCommand::Lookup(l) = t.cmd else {
            panic!()
        };
        assert!(l.accessor && l.token.as_deref() == Some("abc"));
        assert!(matches!(parse(&["login", "-"]), Command::Login(_)));
    }

    #[test]
    fn lease_and_audit_commands_parse() {
        use crate::commands::audit::AuditCommand;
        use crate::commands::lease::LeaseCommand;
        let Command::Lease(l) = parse(&["lease", "revoke", "-prefix", "-sync", "auth/token"])
        else {
            panic!()
        };
        let LeaseCommand::Revoke(r) = l.cmd else {
            panic!()
        };
        assert!(r.prefix && r.sync && !r.force && r.ids == ["auth/token"]);
        let Command::Lease(l) = parse(&["lease", "renew", "-increment=1h", "-format=json", "a/b"])
        else {
            panic!()
        };
        let LeaseCommand::Renew(r) = l.cmd else {
            panic!()
        };
        assert_eq!(r.increment.map(|d| d.0), Some(3_600_000_000_000));
        assert_eq!(l.client.format, Some(Format::Json));
        let Command::Audit(a) = parse(&[
            "audit",
            "enable",
            "-path=logs",
            "-local",
            "file",
            "file_path=/x",
            "-",
        ]) else {
            panic!()
        };
        let AuditCommand::Enable(e) = a.cmd else {
            panic!()
        };
        assert_eq!(e.path.as_deref(), Some("logs"));
        assert!(e.local && e.args == ["file", "file_path=/x", "-"]);
    }
}
