//! Logins: an auth method's login endpoints take no token; when the method accepts the
//! credentials it answers a [`Login`], and the core makes the token, bounding its TTLs by
//! the method's mount.

use crate::audit::AuditCtx;
use crate::core::{Core, Unsealed};
use crate::mounts::{Mounted, Table};
use crate::token_api::normalize_policies;
use crate::tokens::{new_accessor, ttl, TokenEntry, TokenKind};
use std::sync::Arc;
use tresor_sdk::{Auth, BackendRequest, Error, LogicalBackend, Login, Request, Response};

/// Whether `rel` (a path relative to the mount) is one of the backend's login paths.
fn is_login_path(patterns: &[&str], rel: &str) -> bool {
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => rel.starts_with(prefix),
        None => rel == *p,
    })
}

impl Core {
    /// Serves the request if it is a login; `None` for every other request.
    pub(crate) async fn try_login(
        &self,
        state: &Unsealed,
        req: &Request,
        audit: &AuditCtx,
    ) -> Option<Result<Response, Error>> {
        if !req.path.starts_with("auth/") || req.path.starts_with("auth/token/") {
            return None;
        }
        let router = state.mounts.router();
        let (mounted, rel) = router.route(&req.path)?;
        let backend = mounted.backend.clone()?;
        if mounted.entry.table != Table::Auth || !is_login_path(backend.login_paths(), rel) {
            return None;
        }
        if let Err(e) = audit.log_request(state, None).await {
            return Some(Err(e));
        }
        Some(self.login(state, mounted, backend, rel, req).await)
    }

    async fn login(
        &self,
        state: &Unsealed,
        mounted: &Mounted,
        backend: Arc<dyn LogicalBackend>,
        rel: &str,
        req: &Request,
    ) -> Result<Response, Error> {
        let breq = BackendRequest {
            id: &req.id,
            operation: req.operation,
            path: rel,
            data: &req.data,
            mount: &mounted.info,
            token_hash: None,
            client_addr: req.client_addr.as_deref(),
            display_name: "",
            peer_certificates: &req.peer_certificates,
        };
        let mut resp = backend.handle(&breq).await?;
        if let Some(login) = resp.login.take() {
            // A failed token issue after a good login stores nothing (no hidden token).
            resp.auth = Some(self.issue_login_token(state, mounted, rel, login).await?);
        }
        Ok(resp)
    }

    async fn issue_login_token(
        &self,
        state: &Unsealed,
        mounted: &Mounted,
        rel: &str,
        login: Login,
    ) -> Result<Auth, Error> {
        let mut policies = normalize_policies(&login.policies);
        if policies.iter().any(|p| p == "root") {
            return Err(Error::bad_request(
                "an auth method cannot grant the root policy",
            ));
        }
        if !login.no_default_policy && !policies.iter().any(|p| p == "default") {
            policies.push("default".to_owned());
            policies.sort();
        }
        let kind = match login.token_type.as_str() {
            "batch" | "default-batch" => TokenKind::Batch,
            "" | "service" | "default-service" | "default" => {
                match mounted.entry.config.token_type.as_deref() {
                    Some("batch") | Some("default-batch") if login.token_type.is_empty() => {
                        TokenKind::Batch
                    }
                    _ => TokenKind::Service,
                }
            }
            other => return Err(Error::bad_request(format!("invalid token type {other:?}"))),
        };
        let mount_max = mounted.info.max_lease_ttl.as_secs().max(1);
        let max = match login.max_ttl.as_secs() {
            0 => mount_max,
            m => m.min(mount_max),
        };
        let (ttl_secs, _) = ttl::initial(&ttl::Inputs {
            requested: login.ttl.as_secs(),
            explicit_max: login.explicit_max_ttl.as_secs(),
            period: login.period.as_secs(),
            default: mounted.info.default_lease_ttl.as_secs().clamp(1, max),
            max,
            root_without_ttl: false,
        });
        let now = self.now();
        let mount_name = mounted.entry.path.trim_end_matches('/').replace('/', "-");
        let display = if login.display_name.is_empty() {
            mount_name.clone()
        } else {
            format!("{mount_name}-{}", login.display_name)
        };
        let entry = TokenEntry {
            accessor: if kind == TokenKind::Batch {
                String::new()
            } else {
                new_accessor()?
            },
            parent: None,
            policies,
            path: format!("{}{rel}", mounted.route),
            display_name: display,
            meta: (!login.metadata.is_empty()).then(|| login.metadata.clone()),
            creation_time: now,
            issue_time: crate::tokens::entry_time(now),
            creation_ttl: ttl_secs,
            expire_at: now.saturating_add(i64::try_from(ttl_secs).unwrap_or(i64::MAX)),
            explicit_max_ttl: login.explicit_max_ttl.as_secs(),
            period: login.period.as_secs(),
            num_uses: login.num_uses,
            orphan: true,
            renewable: kind == TokenKind::Service && login.renewable,
            kind,
            role: None,
            bound_cidrs: login.bound_cidrs,
            login_max_ttl: login.max_ttl.as_secs(),
            internal_data: login.internal_data,
            entity_id: state
                .login_entity(
                    &mounted.entry,
                    &login.alias_name,
                    login.alias_metadata.clone(),
                    &login.group_aliases,
                )
                .await?
                .unwrap_or_default(),
        };
        let token = state.create_token(&entry, None).await?;
        Ok(state.auth_of(&entry, token, now))
    }
}

#[cfg(test)]
mod tests {
    use super::is_login_path;

    #[test]
    fn login_path_patterns() {
        assert!(is_login_path(&["login"], "login"));
        assert!(!is_login_path(&["login"], "login/alice"));
        assert!(is_login_path(&["login/*"], "login/alice"));
        assert!(!is_login_path(&["login/*"], "users/alice"));
        assert!(!is_login_path(&[], "login"));
    }
}
