//! The `sys/` endpoints of this core and `auth/token/lookup-self`, as a routing table:
//! one match arm per (path, operation), each calling a small handler.

mod audit;
mod init;
mod keys;
mod leases;
mod mounts;
mod password_policies;
mod policies;
mod rekey;
mod seal;
mod tools;
mod wrapping;

use crate::core::{Core, Unsealed};
use crate::mounts::Table;
use crate::pipeline::Caller;
use policies::CapabilitiesOf;
use tresor_sdk::{Error, Operation, Request, Response};

use Operation::{Delete, Head, List, Read, Update};

/// Every path that answers without a token. Each is bounded (no body beyond the HTTP
/// limit, no unbounded state) and listed here so that a test keeps the inventory honest.
pub const UNAUTHENTICATED_PATHS: &[&str] = &[
    "sys/init",
    "sys/seal-status",
    "sys/health",
    "sys/unseal",
    "sys/leader",
    "sys/seal",
    "sys/wrapping/lookup",
];

/// Endpoints that answer without a token and while sealed; `None` for every other path.
pub(crate) async fn unauthenticated(core: &Core, req: &Request) -> Option<Result<Response, Error>> {
    let op = req.operation;
    let answer = match req.path.as_str() {
        "sys/init" => match op {
            Read => init::status(core).await,
            Update => init::initialize(core, req).await,
            _ => Err(Error::MethodNotAllowed),
        },
        "sys/seal-status" => match op {
            Read => seal::status(core).await,
            _ => Err(Error::MethodNotAllowed),
        },
        "sys/health" => match op {
            Read | Head => seal::health(core, req).await,
            _ => Err(Error::MethodNotAllowed),
        },
        "sys/unseal" => match op {
            Update => seal::unseal(core, req).await,
            _ => Err(Error::MethodNotAllowed),
        },
        "sys/wrapping/lookup" => match op {
            Read | Update => wrapping::lookup(core, req).await,
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/leader" => match op {
            Read => Ok(seal::leader()),
            _ => Err(Error::MethodNotAllowed),
        },
        // Sealing a sealed (or uninitialised) server needs no token, as in Vault.
        "sys/seal" if core.is_sealed() => match op {
            Update => Ok(Response::empty()),
            _ => Err(Error::MethodNotAllowed),
        },
        _ => return None,
    };
    Some(answer)
}

/// Endpoints behind a token, reached once the caller is authenticated and authorised.
pub(crate) async fn authenticated(
    core: &Core,
    state: &Unsealed,
    caller: &Caller,
    req: &Request,
) -> Result<Response, Error> {
    if let Some(rest) = req.path.strip_prefix("auth/token/") {
        let ctx = crate::token_api::Ctx {
            core,
            state,
            caller,
            req,
        };
        return crate::token_api::route(&ctx, rest).await;
    }
    if let Some(answer) = prefixed(state, caller, req).await {
        return answer;
    }
    for (prefix, legacy) in [("sys/policy/", true), ("sys/policies/acl/", false)] {
        if let Some(name) = req
            .path
            .strip_prefix(prefix)
            .filter(|n| !n.is_empty() && !n.contains('/'))
        {
            return policies::named(core, state, name, req, legacy).await;
        }
    }
    let op = req.operation;
    match req.path.as_str() {
        "sys/seal" => match op {
            Update => seal::seal(core).await,
            _ => Err(Error::MethodNotAllowed),
        },
        "sys/rotate" | "sys/rotate/keyring" => match op {
            Update => keys::rotate(core).await,
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/key-status" => match op {
            Read => keys::status(core),
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/rekey/init" => match op {
            Read => rekey::status(core).await,
            Update => rekey::init(core, req).await,
            Delete => rekey::cancel(core).await,
            _ => Err(Error::MethodNotAllowed),
        },
        "sys/rekey/update" => match op {
            Update => rekey::update(core, req).await,
            _ => Err(Error::MethodNotAllowed),
        },
        "sys/mounts" => match op {
            Read => mounts::list(state, Table::Secrets),
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/auth" => match op {
            Read => mounts::list(state, Table::Auth),
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/remount" => match op {
            Update => mounts::remount(state, &req.data).await,
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/wrapping/wrap" => match op {
            Update => wrapping::wrap(req),
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/wrapping/unwrap" => match op {
            Update => wrapping::unwrap(core, state, caller, req).await,
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/wrapping/rewrap" => match op {
            Update => wrapping::rewrap(core, state, caller, req).await,
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/policy" => match op {
            Read | List => Ok(policies::list(state, true)),
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/policies/acl" | "sys/policies/acl/" => match op {
            List => Ok(policies::list(state, false)),
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/capabilities" => match op {
            Update => policies::capabilities(core, state, caller, req, CapabilitiesOf::Token).await,
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/capabilities-self" => match op {
            Update => {
                policies::capabilities(core, state, caller, req, CapabilitiesOf::Caller).await
            }
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/capabilities-accessor" => match op {
            Update => {
                policies::capabilities(core, state, caller, req, CapabilitiesOf::Accessor).await
            }
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/internal/ui/resultant-acl" => match op {
            Read => Ok(policies::resultant_acl(state, caller)),
            _ => Err(Error::UnsupportedOperation),
        },
        "sys/internal/ui/mounts" => match op {
            Read => Ok(mounts::ui_mounts(state)),
            _ => Err(Error::UnsupportedOperation),
        },
        _ => Err(Error::UnsupportedPath),
    }
}

type ToolFn = fn(&Request, &str) -> Result<Response, Error>;

/// The `sys/` routes that carry a path of their own after a fixed prefix.
async fn prefixed(
    state: &Unsealed,
    caller: &Caller,
    req: &Request,
) -> Option<Result<Response, Error>> {
    let path = req.path.as_str();
    if let Some(rest) = path.strip_prefix("sys/mounts/") {
        return Some(mounts::route(state, Table::Secrets, rest, req).await);
    }
    if let Some(rest) = path.strip_prefix("sys/auth/") {
        return Some(mounts::route(state, Table::Auth, rest, req).await);
    }
    for (prefix, tool) in [
        ("sys/tools/random", tools::random as ToolFn),
        ("sys/tools/hash", tools::hash),
    ] {
        if let Some(rest) = path
            .strip_prefix(prefix)
            .filter(|r| r.is_empty() || r.starts_with('/'))
        {
            return Some(match req.operation {
                Update => tool(req, rest),
                _ => Err(Error::UnsupportedOperation),
            });
        }
    }
    if let Some(answer) = password_policies::route(state, req).await {
        return Some(answer);
    }
    if let Some(answer) = audit::route(state, req).await {
        return Some(answer);
    }
    if let Some(answer) = leases::route(state, req).await {
        return Some(answer);
    }
    if let Some(id) = path.strip_prefix("sys/remount/status/") {
        return Some(match req.operation {
            Read => mounts::remount_status(state, id),
            _ => Err(Error::UnsupportedOperation),
        });
    }
    if let Some(rest) = path.strip_prefix("sys/internal/ui/mounts/") {
        return Some(match req.operation {
            Read => mounts::ui_mount_for(state, caller, rest),
            _ => Err(Error::UnsupportedOperation),
        });
    }
    None
}

/// The operation the ACL sees for a write to a core path: `create` when the target does
/// not exist yet (named policies, token roles), else the request's own.
pub(crate) fn core_operation(state: &Unsealed, req: &Request) -> Operation {
    if req.operation != Update {
        return req.operation;
    }
    let name = ["sys/policy/", "sys/policies/acl/"]
        .iter()
        .find_map(|p| req.path.strip_prefix(p));
    match name {
        Some(n) if !state.policies.exists(n) => Operation::Create,
        _ => Update,
    }
}

/// Whether the core itself serves `path` (rather than a mounted backend).
pub(crate) fn is_core_path(path: &str) -> bool {
    path == "sys"
        || path.starts_with("sys/")
        || path.starts_with("auth/token/")
        || path == "auth/token"
}
