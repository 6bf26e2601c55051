//! `tresor lease lookup|renew|revoke`: the leases of secrets and tokens (`sys/leases/*`).

use super::context::{local, with_ctx, ClientArgs, Ctx, Run};
use super::duration::{self, Duration};
use super::render::{self, wrap};
use super::rw::sanitize;
use clap::{Args, Subcommand};
use serde_json::json;
use std::process::ExitCode;
use tresor_api::Call;

#[derive(Debug, Args)]
pub struct LeaseArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub cmd: LeaseCommand,
}

#[derive(Debug, Subcommand)]
pub enum LeaseCommand {
    /// Show a lease: issue and expiry times, TTL, whether it can be renewed.
    Lookup(LookupArgs),
    /// Extend a lease (the server may grant less than asked).
    Renew(RenewArgs),
    /// Revoke a lease, or every lease under a prefix (-prefix).
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct LookupArgs {
    /// The lease ID.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenewArgs {
    /// The extension to ask for, from now (`30m`, `2h`); the server's default when absent.
    #[arg(long, value_parser = duration::parse_flag)]
    pub increment: Option<Duration>,
    /// The lease ID.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Remove the leases even when the secrets engine fails to revoke them (needs -prefix).
    #[arg(long, short = 'f')]
    pub force: bool,
    /// The argument is a prefix: revoke every lease under it (needs sudo).
    #[arg(long)]
    pub prefix: bool,
    /// Wait for the revocation to finish instead of queueing it.
    #[arg(long)]
    pub sync: bool,
    /// The lease ID, or the prefix with -prefix.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
}

pub async fn run(a: LeaseArgs) -> ExitCode {
    with_ctx(&a.client, |ctx| dispatch(ctx, a.cmd)).await
}

async fn dispatch(ctx: Ctx, cmd: LeaseCommand) -> Run {
    match cmd {
        LeaseCommand::Lookup(a) => lookup(&ctx, &a).await,
        LeaseCommand::Renew(a) => renew(&ctx, &a).await,
        LeaseCommand::Revoke(a) => revoke(&ctx, &a).await,
    }
}

/// The one lease ID of `ids`, trimmed; `missing` when there is none.
fn single_id(ids: &[String], missing: &str) -> Result<String, ExitCode> {
    match ids {
        [id] => Ok(id.trim().to_owned()),
        [] => Err(local(missing)),
        more => Err(local(&format!(
            "Too many arguments (expected 1, got {})",
            more.len()
        ))),
    }
}

/// The lease ID of a lookup or renewal: a blank one counts as missing.
fn lease_id(ids: &[String]) -> Result<String, ExitCode> {
    match single_id(ids, "Missing ID!")? {
        id if id.is_empty() => Err(local("Missing ID!")),
        id => Ok(id),
    }
}

async fn lookup(ctx: &Ctx, a: &LookupArgs) -> Run {
    let id = lease_id(&a.ids)?;
    let body = json!({ "lease_id": id });
    let answer = ctx
        .secret(
            &format!("error looking up lease id {id}"),
            Call::new("PUT", "sys/leases/lookup").body(&body),
        )
        .await?;
    Ok(answer.map_or(ExitCode::SUCCESS, |s| render::secret(ctx.format, &s)))
}

async fn renew(ctx: &Ctx, a: &RenewArgs) -> Run {
    let id = lease_id(&a.ids)?;
    // whole seconds, as the server counts them
    let increment = a.increment.map_or(0, |d| d.0 / 1_000_000_000).max(0);
    let body = json!({ "lease_id": id, "increment": increment });
    let answer = ctx
        .secret(
            &format!("Error renewing {id}"),
            Call::new("PUT", "sys/leases/renew").body(&body),
        )
        .await?;
    Ok(answer.map_or(ExitCode::SUCCESS, |s| render::secret(ctx.format, &s)))
}

/// Which revocation a `revoke` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Revocation {
    One,
    Prefix,
    Force,
}

impl Revocation {
    fn of(a: &RevokeArgs) -> Result<Revocation, String> {
        match (a.force, a.prefix) {
            (true, false) => Err("Specifying -force requires also specifying -prefix".into()),
            (true, true) => Ok(Revocation::Force),
            (false, true) => Ok(Revocation::Prefix),
            (false, false) => Ok(Revocation::One),
        }
    }

    /// The endpoint: the ID or prefix goes in the path, slashes at its ends dropped.
    fn path(self, id: &str) -> String {
        let base = match self {
            Revocation::One => "sys/leases/revoke",
            Revocation::Prefix => "sys/leases/revoke-prefix",
            Revocation::Force => "sys/leases/revoke-force",
        };
        format!("{base}/{}", sanitize(id))
    }

    fn error_context(self, id: &str) -> String {
        match self {
            Revocation::One => format!("Error revoking lease {id}"),
            Revocation::Prefix => format!("Error revoking leases with prefix {id}"),
            Revocation::Force => format!("Error force revoking leases with prefix {id}"),
        }
    }

    fn success(self, id: &str, sync: bool) -> String {
        match (self, sync) {
            (Revocation::Force, _) => {
                format!("Success! Force revoked any leases with prefix: {id}")
            }
            (Revocation::Prefix, true) => format!("Success! Revoked any leases with prefix: {id}"),
            (Revocation::One, true) => format!("Success! Revoked lease: {id}"),
            (_, false) => "All revocation operations queued successfully!".to_owned(),
        }
    }
}

async fn revoke(ctx: &Ctx, a: &RevokeArgs) -> Run {
    let id = single_id(&a.ids, "Not enough arguments (expected 1, got 0)")?;
    let kind = Revocation::of(a).map_err(|e| local(&e))?;
    // A blank ID, or one made only of slashes, names no lease; as a prefix, every lease.
    if sanitize(&id).is_empty() {
        return Err(local(&format!("Invalid lease ID or prefix: {id:?}")));
    }
    let path = kind.path(&id);
    let body = json!({ "sync": a.sync });
    let mut call = Call::new("PUT", &path);
    if kind == Revocation::Force {
        eprintln!(
            "{}",
            wrap(
                "Warning! Force-removing leases can cause tresor to become out of sync with \
                 secret engines!",
                0
            )
        );
    } else {
        call = call.body(&body);
    }
    ctx.call(&kind.error_context(&id), call).await?;
    println!("{}", kind.success(&id, a.sync));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(force: bool, prefix: bool) -> RevokeArgs {
        RevokeArgs {
            force,
            prefix,
            sync: false,
            ids: vec!["x".into()],
        }
    }

    #[test]
    fn revocation_kinds_and_paths() {
        assert!(Revocation::of(&args(true, false)).is_err());
        let force = Revocation::of(&args(true, true)).unwrap();
        assert_eq!(force.path("/db/creds/"), "sys/leases/revoke-force/db/creds");
        let prefix = Revocation::of(&args(false, true)).unwrap();
        assert_eq!(
            prefix.path("auth/token/create"),
            "sys/leases/revoke-prefix/auth/token/create"
        );
        let one = Revocation::of(&args(false, false)).unwrap();
        assert_eq!(one.path(" a/b/c "), "sys/leases/revoke/a/b/c");
        assert_eq!(one.success("a", true), "Success! Revoked lease: a");
        assert_eq!(
            prefix.success("a", false),
            "All revocation operations queued successfully!"
        );
    }

    #[test]
    fn exactly_one_id() {
        assert_eq!(single_id(&[" a/b ".into()], "m").unwrap(), "a/b");
        assert!(single_id(&[], "m").is_err());
        assert!(lease_id(&["  ".into()]).is_err());
        assert!(single_id(&["a".into(), "b".into()], "m").is_err());
    }
}
