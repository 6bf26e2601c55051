//! `auth/token/*`: the token method's API, served by the core (the token store lives here).

mod create;
mod lookup;
mod renew;
mod revoke;
mod roles;

use crate::core::{Core, Unsealed};
use crate::mounts::Table;
use crate::pipeline::Caller;
use std::time::Duration;
use tresor_sdk::{Error, Operation, Request, Response};

use Operation::{Delete, List, Read, Update};

/// Everything a token API handler needs.
pub(crate) struct Ctx<'a> {
    pub core: &'a Core,
    pub state: &'a Unsealed,
    pub caller: &'a Caller,
    pub req: &'a Request,
}

impl Ctx<'_> {
    pub fn now(&self) -> i64 {
        self.core.now()
    }

    /// The token mount's effective default and maximum TTLs.
    pub fn mount_ttls(&self) -> (Duration, Duration) {
        let (system_default, system_max) = self.state.mounts.system_ttls();
        self.state
            .mounts
            .router()
            .entries()
            .find(|e| e.table == Table::Auth && e.kind == "token")
            .map(|e| {
                let info = e.info(system_default, system_max);
                (info.default_lease_ttl, info.max_lease_ttl)
            })
            .unwrap_or((system_default, system_max))
    }
}

impl Ctx<'_> {
    /// The maximum TTL of the mount that issued a token (found from the token's path):
    /// a login token stays bound by its auth method's mount, not the token mount's.
    pub fn issuing_mount_max(&self, token_path: &str) -> Duration {
        let router = self.state.mounts.router();
        router
            .route(token_path)
            .map(|(m, _)| m.info.max_lease_ttl)
            .unwrap_or_else(|| self.mount_ttls().1)
    }
}

/// Routes a path under `auth/token/`.
pub(crate) async fn route(ctx: &Ctx<'_>, rest: &str) -> Result<Response, Error> {
    let op = ctx.req.operation;
    let write = matches!(op, Update | Operation::Create);
    match rest {
        "create" if write => create::create(ctx, create::Mode::Child).await,
        "create-orphan" if write => create::create(ctx, create::Mode::Orphan).await,
        "lookup" if write || op == Read => lookup::lookup(ctx).await,
        "lookup-self" if write || op == Read => lookup::lookup_self(ctx),
        "lookup-accessor" if write => lookup::lookup_accessor(ctx).await,
        "renew" if write => renew::renew(ctx, renew::Target::Token).await,
        "renew-self" if write => renew::renew(ctx, renew::Target::Caller).await,
        "renew-accessor" if write => renew::renew(ctx, renew::Target::Accessor).await,
        "revoke" if write => revoke::revoke(ctx, revoke::Target::Token).await,
        "revoke-self" if write => revoke::revoke(ctx, revoke::Target::Caller).await,
        "revoke-accessor" if write => revoke::revoke(ctx, revoke::Target::Accessor).await,
        "revoke-orphan" if write => revoke::revoke(ctx, revoke::Target::Orphan).await,
        "accessors/" if op == List => lookup::accessors(ctx).await,
        "roles/" if op == List => roles::list(ctx).await,
        "tidy" if write => revoke::tidy(ctx).await,
        _ => route_named(ctx, rest, op, write).await,
    }
}

async fn route_named(
    ctx: &Ctx<'_>,
    rest: &str,
    op: Operation,
    write: bool,
) -> Result<Response, Error> {
    if let Some(role) = rest
        .strip_prefix("create/")
        .filter(|r| !r.is_empty() && !r.contains('/'))
    {
        return match write {
            true => create::create(ctx, create::Mode::Role(role)).await,
            false => Err(Error::UnsupportedOperation),
        };
    }
    if let Some(name) = rest
        .strip_prefix("roles/")
        .filter(|r| !r.is_empty() && !r.contains('/'))
    {
        return match op {
            Read => roles::read(ctx, name).await,
            Update | Operation::Create => roles::write(ctx, name).await,
            Delete => roles::delete(ctx, name).await,
            _ => Err(Error::UnsupportedOperation),
        };
    }
    match rest {
        "create" | "create-orphan" | "lookup" | "lookup-self" | "lookup-accessor" | "renew"
        | "renew-self" | "renew-accessor" | "revoke" | "revoke-self" | "revoke-accessor"
        | "revoke-orphan" | "tidy" => Err(Error::UnsupportedOperation),
        _ => Err(Error::UnsupportedPath),
    }
}

/// Normalised policy names: trimmed, lower-cased, de-duplicated, sorted.
pub(crate) fn normalize_policies(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = names
        .iter()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}
