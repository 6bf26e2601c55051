//! The agent's flags, read without clap. `tresor agent` is meant to idle in a few MiB, and
//! clap's parser is some hundreds of KiB of code that would stay mapped for the agent's
//! whole life (bench/agent). Go's flag rules, as Vault Agent: `-flag=value` or
//! `-flag value`, a boolean alone or as `-flag=true|false`; `main` has already turned
//! single dashes into double ones.

use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AgentArgs {
    /// The agent's configuration file (Vault Agent's HCL or JSON).
    pub config: PathBuf,
    /// Log in once, render the templates once, then exit (as `exit_after_auth = true`).
    pub exit_after_auth: bool,
    /// Revoke the auto-auth token when stopped by SIGTERM or SIGINT.
    pub revoke_on_exit: bool,
    /// Log level (overrides the configuration); `VAULT_LOG_LEVEL` when not given.
    pub log_level: Option<String>,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum AgentCommand {
    Run(AgentArgs),
    Help,
    Version,
}

pub const USAGE: &str = "\
Run the agent: auto-auth, token sinks, templates, exec, API proxy

Usage: tresor agent -config=FILE [options]

Options:
  -config=FILE         The agent's configuration file (Vault Agent's HCL or JSON)
  -exit-after-auth     Log in, render the templates once, then exit
  -revoke-on-exit      Revoke the auto-auth token when stopped by SIGTERM or SIGINT
  -log-level=LEVEL     trace, debug, info, warn or error [env: VAULT_LOG_LEVEL]
  -h, -help            Print this help
  -version             Print the version
";

/// Parses the arguments after `agent`; `env_log_level` is `VAULT_LOG_LEVEL`.
pub fn parse(
    args: impl IntoIterator<Item = OsString>,
    env_log_level: Option<String>,
) -> Result<AgentCommand, String> {
    let mut out = AgentArgs::default();
    let mut config = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str() else {
            return Err(format!("unexpected argument {arg:?}"));
        };
        let Some(flag) = text.strip_prefix("--").or_else(|| text.strip_prefix('-')) else {
            return Err(format!("unexpected argument '{text}'"));
        };
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (flag, None),
        };
        match name {
            "h" | "help" => return Ok(AgentCommand::Help),
            "V" | "version" => return Ok(AgentCommand::Version),
            "exit-after-auth" => out.exit_after_auth = boolean(name, inline)?,
            "revoke-on-exit" => out.revoke_on_exit = boolean(name, inline)?,
            "config" if config.is_some() => {
                return Err("-config is given twice: the agent reads one configuration file".into())
            }
            "config" => config = Some(PathBuf::from(value(name, inline, &mut args)?)),
            "log-level" => {
                let level = value(name, inline, &mut args)?;
                let level = level
                    .into_string()
                    .map_err(|v| format!("invalid -{name} {v:?}"))?;
                out.log_level = Some(level);
            }
            _ => return Err(format!("unknown flag -{name}")),
        }
    }
    out.config = config.ok_or("the flag -config=FILE is required")?;
    if out.log_level.is_none() {
        out.log_level = env_log_level.filter(|l| !l.is_empty());
    }
    Ok(AgentCommand::Run(out))
}

/// A boolean flag: alone it is true; `=true`/`=false` (and Go's other spellings) set it.
fn boolean(name: &str, inline: Option<&str>) -> Result<bool, String> {
    match inline {
        None | Some("true" | "TRUE" | "True" | "t" | "T" | "1") => Ok(true),
        Some("false" | "FALSE" | "False" | "f" | "F" | "0") => Ok(false),
        Some(other) => Err(format!("invalid boolean value '{other}' for -{name}")),
    }
}

/// A flag's value: after `=`, or the next argument.
fn value(
    name: &str,
    inline: Option<&str>,
    rest: &mut impl Iterator<Item = OsString>,
) -> Result<OsString, String> {
    match inline {
        Some(v) => Ok(v.into()),
        None => rest
            .next()
            .ok_or_else(|| format!("the flag -{name} needs a value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: Option<&str>) -> Result<AgentCommand, String> {
        parse(args.iter().map(OsString::from), env.map(str::to_owned))
    }

    #[test]
    fn flags_take_vaults_spellings() {
        let want = AgentArgs {
            config: "/a.hcl".into(),
            exit_after_auth: true,
            revoke_on_exit: false,
            log_level: Some("debug".into()),
        };
        for args in [
            &["--config=/a.hcl", "--exit-after-auth", "--log-level=debug"][..],
            &[
                "--config",
                "/a.hcl",
                "--exit-after-auth=true",
                "--log-level",
                "debug",
            ],
            &[
                "-config=/a.hcl",
                "-exit-after-auth=1",
                "-revoke-on-exit=false",
                "-log-level=debug",
            ],
        ] {
            assert_eq!(run(args, None), Ok(AgentCommand::Run(want.clone())));
        }
    }

    #[test]
    fn the_environment_gives_the_log_level_unless_a_flag_does() {
        let level = |args: &[&str], env| match run(args, env) {
            Ok(AgentCommand::Run(a)) => a.log_level,
            other => panic!("{other:?}"),
        };
        assert_eq!(level(&["-config=a"], Some("warn")).as_deref(), Some("warn"));
        assert_eq!(
            level(&["-config=a", "-log-level=error"], Some("warn")).as_deref(),
            Some("error")
        );
        assert_eq!(level(&["-config=a"], Some("")), None);
    }

    #[test]
    fn help_and_version_win() {
        assert_eq!(run(&["--help"], None), Ok(AgentCommand::Help));
        assert_eq!(run(&["-h", "--bogus"], None), Ok(AgentCommand::Help));
        assert_eq!(run(&["--version"], None), Ok(AgentCommand::Version));
    }

    #[test]
    fn bad_command_lines_are_errors_that_say_why() {
        for (args, want) in [
            (&[][..], "-config=FILE is required"),
            (&["--exit-after-auth"], "-config=FILE is required"),
            (&["--config"], "-config needs a value"),
            (&["--config=a", "--bogus"], "unknown flag -bogus"),
            (&["--config=a", "extra"], "unexpected argument 'extra'"),
            (
                &["--config=a", "--exit-after-auth=maybe"],
                "invalid boolean value 'maybe'",
            ),
            (&["--config=a", "--config=b"], "-config is given twice"),
        ] {
            let err = run(args, None).unwrap_err();
            assert!(err.contains(want), "{args:?}: {err}");
        }
    }
}
