//! Evaluating a request against an ACL, and the answers of `sys/capabilities`.

use crate::acl::Acl;
use crate::capability::{Capabilities, Capability};
use crate::params;
use serde_json::{Map, Value};
use std::time::Duration;

/// The operation of a request, as the ACL sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `GET`.
    Read,
    /// A write to a path that does not exist yet.
    Create,
    /// A write to an existing path (the core also maps revoke/renew/rollback here).
    Update,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
    /// `LIST` (or `GET ?list=true`).
    List,
    /// OpenBao's `SCAN` (recursive list).
    Scan,
    /// `?help=1`: always allowed, as in Vault.
    Help,
}

impl Operation {
    /// The capability that grants this operation (`None` for help).
    pub fn capability(self) -> Option<Capability> {
        Some(match self {
            Operation::Read => Capability::Read,
            Operation::Create => Capability::Create,
            Operation::Update => Capability::Update,
            Operation::Patch => Capability::Patch,
            Operation::Delete => Capability::Delete,
            Operation::List => Capability::List,
            Operation::Scan => Capability::Scan,
            Operation::Help => return None,
        })
    }

    fn is_list_like(self) -> bool {
        matches!(self, Operation::List | Operation::Scan)
    }

    /// Operations whose body parameters policies constrain (as Vault: read, create,
    /// update, patch).
    fn checks_parameters(self) -> bool {
        matches!(
            self,
            Operation::Read | Operation::Create | Operation::Update | Operation::Patch
        )
    }
}

/// What the ACL needs to know about a request.
#[derive(Debug, Clone, Copy)]
pub struct AclRequest<'a> {
    /// The request path after the core has canonicalised it (no `/v1/`); leading `/`s
    /// are ignored.
    pub path: &'a str,
    /// The operation.
    pub operation: Operation,
    /// The request parameters (body or query), checked against parameter rules.
    pub data: Option<&'a Map<String, Value>>,
    /// The response-wrapping TTL the client asked for, if any.
    pub wrap_ttl: Option<Duration>,
}

impl<'a> AclRequest<'a> {
    /// A request without parameters or wrapping.
    pub fn new(path: &'a str, operation: Operation) -> AclRequest<'a> {
        AclRequest {
            path,
            operation,
            data: None,
            wrap_ttl: None,
        }
    }

    /// The same request with parameters.
    #[must_use]
    pub fn with_data(mut self, data: &'a Map<String, Value>) -> AclRequest<'a> {
        self.data = Some(data);
        self
    }

    /// The same request with a wrapping TTL.
    #[must_use]
    pub fn with_wrap_ttl(mut self, ttl: Duration) -> AclRequest<'a> {
        self.wrap_ttl = Some(ttl);
        self
    }
}

/// Why a request was refused. Parameter names come from the policy or the request
/// (cut short); values never appear.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// No rule matches the path (deny by default).
    #[error("no policy grants access to this path")]
    NoMatchingRule,
    /// The governing rule is an explicit deny.
    #[error("a policy explicitly denies this path")]
    ExplicitDeny,
    /// The governing rule lacks the operation's capability.
    #[error("the policies do not grant the {0} capability on this path")]
    MissingCapability(Capability),
    /// The rule sets wrapping TTL bounds the request does not meet.
    #[error("the policies require response wrapping within their TTL bounds")]
    WrappingTtl,
    /// A parameter the rule requires is absent.
    #[error("missing required parameter {0:?}")]
    MissingParameter(String),
    /// A parameter (or value of it) the rule denies is present.
    #[error("parameter {0:?} is denied")]
    DeniedParameter(String),
    /// A parameter (or value of it) the rule's allow list does not contain is present.
    #[error("parameter {0:?} is not allowed")]
    ParameterNotAllowed(String),
}

/// The ACL's answer for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed (the core still checks `sudo` on root paths).
    pub allowed: bool,
    /// Whether the governing rule grants `sudo` (root-protected paths need it). Set
    /// even when the operation itself is refused, as in Vault.
    pub sudo: bool,
    /// Whether this is the root ACL.
    pub root: bool,
    /// The capabilities of the governing rule (empty when none matched).
    pub capabilities: Capabilities,
    /// Why the request was refused, when it was.
    pub denial: Option<Denial>,
}

impl Decision {
    fn refuse(capabilities: Capabilities, denial: Denial) -> Decision {
        Decision {
            allowed: false,
            sudo: capabilities.contains(Capability::Sudo),
            root: false,
            capabilities,
            denial: Some(denial),
        }
    }
}

impl Acl {
    /// Decides whether `req` is allowed.
    pub fn allowed(&self, req: &AclRequest<'_>) -> Decision {
        if self.is_root() {
            return Decision {
                allowed: true,
                sudo: true,
                root: true,
                capabilities: Capabilities::EMPTY,
                denial: None,
            };
        }
        let Some(needed) = req.operation.capability() else {
            return Decision {
                allowed: true,
                sudo: false,
                root: false,
                capabilities: Capabilities::EMPTY,
                denial: None,
            };
        };
        let path = req.path.trim_start_matches('/');
        let Some(rule) = self.lookup(path, req.operation.is_list_like()) else {
            return Decision::refuse(Capabilities::EMPTY, Denial::NoMatchingRule);
        };
        let perms = &rule.perms;
        let caps = perms.caps;
        let refusal = if caps.is_deny() {
            Some(Denial::ExplicitDeny)
        } else if !caps.contains(needed) {
            Some(Denial::MissingCapability(needed))
        } else if !params::wrapping_ok(perms, req.wrap_ttl) {
            Some(Denial::WrappingTtl)
        } else if req.operation.checks_parameters() {
            params::check(perms, req.data).err()
        } else {
            None
        };
        match refusal {
            Some(denial) => Decision::refuse(caps, denial),
            None => Decision {
                allowed: true,
                sudo: caps.contains(Capability::Sudo),
                root: false,
                capabilities: caps,
                denial: None,
            },
        }
    }

    /// The capabilities on `path` as `sys/capabilities` reports them: sorted names of the
    /// governing rule's capabilities (looked up with LIST's folder semantics, as Vault
    /// does), `["root"]` for the root ACL, `["deny"]` when nothing is granted.
    pub fn capabilities(&self, path: &str) -> Vec<String> {
        if self.is_root() {
            return vec!["root".to_owned()];
        }
        let caps = self
            .lookup(path.trim_start_matches('/'), true)
            .map_or(Capabilities::EMPTY, |r| r.perms.caps);
        if caps.is_empty() || caps.is_deny() {
            return vec![Capability::Deny.as_str().to_owned()];
        }
        caps.iter().map(|c| c.as_str().to_owned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;

    fn acl(text: &str) -> Acl {
        Acl::new(&[Policy::parse("t", text).unwrap()])
    }

    #[test]
    fn denial_reasons() {
        let a = acl(r#"path "s/*" { capabilities = ["read", "sudo"] }
               path "s/no" { capabilities = ["deny"] }
               path "s/empty" { capabilities = [] }"#);
        let d = a.allowed(&AclRequest::new("x", Operation::Read));
        assert_eq!(d.denial, Some(Denial::NoMatchingRule));
        assert!(!d.allowed && !d.sudo && d.capabilities.is_empty());
        let d = a.allowed(&AclRequest::new("s/no", Operation::Read));
        assert_eq!(d.denial, Some(Denial::ExplicitDeny));
        assert!(!d.sudo);
        // The governing rule lacks `update`, but its sudo is still reported.
        let d = a.allowed(&AclRequest::new("s/a", Operation::Update));
        assert_eq!(
            d.denial,
            Some(Denial::MissingCapability(Capability::Update))
        );
        assert!(d.sudo && !d.allowed);
        let d = a.allowed(&AclRequest::new("s/a", Operation::Read));
        assert!(d.allowed && d.sudo && d.denial.is_none());
        // An empty rule still governs its path: nothing is granted there.
        assert!(
            !a.allowed(&AclRequest::new("s/empty", Operation::Read))
                .allowed
        );
        assert_eq!(a.capabilities("s/empty"), ["deny"]);
        let help = a.allowed(&AclRequest::new("s/no", Operation::Help));
        assert!(help.allowed && !help.sudo);
    }

    #[test]
    fn denial_messages_hold_no_values() {
        let a = acl(
            r#"path "p" { capabilities = ["update"], denied_parameters = { "pw" = ["hunter2"] } }"#,
        );
        let body = serde_json::json!({"pw": "hunter2"});
        let d = a
            .allowed(&AclRequest::new("p", Operation::Update).with_data(body.as_object().unwrap()));
        let msg = d.denial.unwrap().to_string();
        assert!(msg.contains("pw") && !msg.contains("hunter2"), "{msg}");
    }
}
