//! The request pipeline, as a sequence of named steps:
//! canonical path -> unauthenticated sys endpoints -> sealed? -> token -> route ->
//! existence check -> ACL -> count the token's use -> handle -> revoke a used-up token.

use crate::audit::AuditCtx;
use crate::authorize::authorize;
use crate::core::{Core, Unsealed};
use crate::path::canonicalize;
use crate::sys;
use crate::tokens::TokenEntry;
use std::sync::Arc;
use tresor_crypto::SecretString;
use tresor_policy::Acl;
use tresor_sdk::{BackendRequest, Error, Operation, Request, Response};

/// What the pipeline knows about the caller once the token is checked.
#[derive(Debug)]
pub(crate) struct Caller {
    pub token: SecretString,
    /// The compiled ACL of the token's policies.
    pub acl: Arc<Acl>,
    /// The token's storage id (its salted hash).
    pub sid: String,
    pub entry: TokenEntry,
}

impl Core {
    /// Handles one request. Every error is typed; the HTTP layer maps it to a status.
    pub async fn handle(&self, mut req: Request) -> Result<Response, Error> {
        req.path = canonicalize(&req.path)?;
        // A listing is always of a folder: Vault adds the slash, so routes see one form.
        if req.operation == Operation::List && !req.path.is_empty() && !req.path.ends_with('/') {
            req.path.push('/');
        }
        // A wrapping-token lookup takes no token but reveals token facts: it is audited.
        if req.path == "sys/wrapping/lookup" && !self.is_sealed() {
            let state = self.state()?;
            let audit = AuditCtx::new(&state, &req);
            audit.log_request(&state, None).await?;
            let answer = sys::unauthenticated(self, &req)
                .await
                .unwrap_or(Err(Error::UnsupportedPath));
            return audit.finish(&state, answer).await;
        }
        if let Some(answer) = sys::unauthenticated(self, &req).await {
            return answer;
        }
        let state = self.state()?;
        let mut audit = AuditCtx::new(&state, &req);
        let answer = self.serve(&state, req, &mut audit).await;
        audit.finish(&state, answer).await
    }

    /// Serves an authenticated request or a login, the request already audited when
    /// anything acts on it.
    async fn serve(
        &self,
        state: &Unsealed,
        req: Request,
        audit: &mut AuditCtx,
    ) -> Result<Response, Error> {
        if let Some(answer) = self.try_login(state, &req, audit).await {
            let answer = answer?;
            return match req.wrap_ttl {
                Some(ttl) if !answer.is_empty() => {
                    self.wrap(state, &answer, &req.id, ttl, &req.path).await
                }
                _ => Ok(answer),
            };
        }
        let mut caller = match self.authenticate(state, &req).await {
            Ok(caller) => caller,
            Err(e) => {
                // Recorded with its error; the request is refused either way.
                let _ = audit.log_request(state, Some(&e)).await;
                // Unwrapping with a spent wrapping token is a bad token, as Vault says it.
                if matches!(e, Error::PermissionDenied)
                    && req.path == "sys/wrapping/unwrap"
                    && req.token.is_some()
                {
                    return Err(Error::bad_request(
                        "wrapping token is not valid or does not exist",
                    ));
                }
                return Err(e);
            }
        };
        audit.set_caller(&caller);
        audit.log_request(state, None).await?;
        // Is `foo/` a key or a folder? Vault refuses the question, and so do we (once the
        // caller is known, so an anonymous probe learns nothing).
        if req.path.ends_with('/') && req.operation == Operation::Update {
            return Err(Error::bad_request("cannot write to a path ending in '/'"));
        }
        let (wrap_ttl, id, path) = (req.wrap_ttl, req.id.clone(), req.path.clone());
        let answer = if sys::is_core_path(&req.path) {
            let op = sys::core_operation(state, &req);
            authorize(&caller, &req, op)?;
            let used_up = self.count_use(state, &mut caller).await?;
            let answer = sys::authenticated(self, state, &caller, &req).await;
            self.after_last_use(state, &caller, used_up, answer).await?
        } else {
            self.route_to_mount(state, &mut caller, req).await?
        };
        match wrap_ttl {
            Some(ttl) if answer.raw.is_none() && !answer.is_empty() => {
                self.wrap(state, &answer, &id, ttl, &path).await
            }
            _ => Ok(answer),
        }
    }

    /// Resolves the request's token; a missing, unknown or expired token is `permission
    /// denied`.
    async fn authenticate(&self, state: &Unsealed, req: &Request) -> Result<Caller, Error> {
        let token = req.token.clone().ok_or(Error::PermissionDenied)?;
        let (sid, entry) = state
            .tokens
            .lookup(&token, self.now())
            .await?
            .ok_or(Error::PermissionDenied)?;
        if !entry.bound_cidrs.is_empty()
            && !tresor_sdk::token_params::client_in(&entry.bound_cidrs, req.client_addr.as_deref())
        {
            return Err(Error::PermissionDenied);
        }
        if state.entity_refused(&entry) {
            return Err(Error::PermissionDenied);
        }
        let acl = state.acl_of(&entry);
        Ok(Caller {
            token,
            acl,
            sid,
            entry,
        })
    }

    /// Hands a request to the backend of the mount that serves its path.
    async fn route_to_mount(
        &self,
        state: &Unsealed,
        caller: &mut Caller,
        req: Request,
    ) -> Result<Response, Error> {
        let router = state.mounts.router();
        let Some((mounted, rel)) = router.route(&req.path) else {
            authorize(caller, &req, req.operation)?;
            return Err(Error::NoRoute {
                path: req.path.clone(),
            });
        };
        let backend = mounted.backend.as_ref().ok_or_else(|| Error::NoRoute {
            path: req.path.clone(),
        })?;
        let sid = caller.sid.clone();
        let display_name = caller.entry.display_name.clone();
        let mut breq = BackendRequest {
            id: &req.id,
            operation: req.operation,
            path: rel,
            data: &req.data,
            mount: &mounted.info,
            token_hash: Some(&sid),
            client_addr: req.client_addr.as_deref(),
            display_name: &display_name,
            peer_certificates: &req.peer_certificates,
        };
        if breq.operation == Operation::Update && backend.exists(&breq).await? == Some(false) {
            breq.operation = Operation::Create;
        }
        authorize(caller, &req, breq.operation)?;
        let used_up = self.count_use(state, caller).await?;
        let mut answer = backend.handle(&breq).await;
        if let Ok(resp) = answer.as_mut() {
            if resp.secret.is_some() {
                state
                    .register_secret(
                        mounted,
                        &req.path,
                        &caller.entry,
                        &caller.sid,
                        resp,
                        self.now(),
                    )
                    .await?;
            }
        }
        self.after_last_use(state, caller, used_up, answer).await
    }

    /// Counts one use of a limited-use token (the caller then shows the uses left); true
    /// when that was its last.
    async fn count_use(&self, state: &Unsealed, caller: &mut Caller) -> Result<bool, Error> {
        if caller.entry.num_uses == 0 || caller.entry.kind == crate::tokens::TokenKind::Batch {
            return Ok(false);
        }
        caller.entry.num_uses -= 1;
        if caller.entry.num_uses == 0 {
            return Ok(true);
        }
        state.tokens.save(&caller.sid, &caller.entry).await?;
        Ok(false)
    }

    /// Revokes a token whose last use this request was, whatever the answer.
    async fn after_last_use(
        &self,
        state: &Unsealed,
        caller: &Caller,
        used_up: bool,
        answer: Result<Response, Error>,
    ) -> Result<Response, Error> {
        if used_up {
            state.revoke_tokens(&caller.sid, false).await?;
        }
        answer
    }
}
