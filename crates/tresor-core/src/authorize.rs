//! The ACL step of the pipeline: the caller's compiled ACL against the canonical path,
//! the operation (create vs update already decided) and the request's parameters; `sudo`
//! for the root-protected paths. Deny by default.

use crate::pipeline::Caller;
use tresor_policy::{AclRequest, Operation as AclOp};
use tresor_sdk::{Error, Operation, Request};

/// Paths that need the `sudo` capability besides the operation's own (Vault's
/// root-protected paths). An entry ending in `/` covers everything below it.
const SUDO_PATHS: &[&str] = &[
    "sys/auth/",
    "sys/remount",
    "sys/audit",
    "sys/audit/",
    "sys/raw",
    "sys/raw/",
    "sys/rotate",
    "sys/rotate/keyring",
    "sys/seal",
    "sys/step-down",
    "sys/rekey/",
    "sys/config/",
    "sys/leases/revoke-prefix/",
    "sys/leases/revoke-force/",
    "sys/leases/lookup/",
    "sys/revoke-prefix/",
    "sys/revoke-force/",
    "auth/token/accessors/",
    "auth/token/revoke-orphan",
];

pub fn needs_sudo(path: &str) -> bool {
    SUDO_PATHS.iter().any(|p| {
        if p.ends_with('/') {
            path.starts_with(p)
        } else {
            path == *p
        }
    })
}

fn acl_operation(op: Operation) -> AclOp {
    match op {
        Operation::Read | Operation::Head => AclOp::Read,
        Operation::Create => AclOp::Create,
        Operation::Update => AclOp::Update,
        Operation::Patch => AclOp::Patch,
        Operation::Delete => AclOp::Delete,
        Operation::List => AclOp::List,
    }
}

/// Allows the request or answers `permission denied` (never saying why: the reason goes
/// to the server log at debug level).
pub fn authorize(caller: &Caller, req: &Request, op: Operation) -> Result<(), Error> {
    if caller.acl.is_root() {
        return Ok(());
    }
    // Any token may ask which mount serves a path; the handler answers only when the
    // token has some capability there (the kv commands of the Vault CLI ask this first).
    if req.path.starts_with("sys/internal/ui/mounts/") && op == Operation::Read {
        return Ok(());
    }
    let decision = caller
        .acl
        .allowed(&AclRequest::new(&req.path, acl_operation(op)).with_data(&req.data));
    if !decision.allowed {
        tracing::debug!(path = %req.path, op = op.as_str(), reason = ?decision.denial, "denied by policy");
        return Err(Error::PermissionDenied);
    }
    if needs_sudo(&req.path) && !decision.sudo {
        tracing::debug!(path = %req.path, "denied: sudo required");
        return Err(Error::PermissionDenied);
    }
    Ok(())
}

/// Whether the caller holds `sudo` on `path` (root tokens always do).
pub fn has_sudo(caller: &Caller, path: &str) -> bool {
    caller.acl.is_root()
        || caller
            .acl
            .allowed(&AclRequest::new(path, AclOp::Update))
            .sudo
}
