//! The request pipeline, as a sequence of named steps:
//! canonical path -> unauthenticated sys endpoints -> sealed? -> token -> ACL -> route.

use crate::core::{Core, Unsealed};
use crate::path::canonicalize;
use crate::sys;
use crate::token_store::TokenEntry;
use tresor_crypto::SecretString;
use tresor_sdk::{BackendRequest, Error, Operation, Request, Response};

/// What the pipeline knows about the caller once the token is checked.
#[derive(Debug)]
pub(crate) struct Caller {
    pub token: SecretString,
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
        if let Some(answer) = sys::unauthenticated(self, &req).await {
            return answer;
        }
        let state = self.state()?;
        let caller = authenticate(&state, &req).await?;
        if sys::is_core_path(&req.path) {
            authorize(&caller, &req)?;
            return sys::authenticated(self, &state, &caller, &req).await;
        }
        self.route_to_mount(&state, &caller, req).await
    }

    /// Hands a request to the backend of the mount that serves its path.
    async fn route_to_mount(
        &self,
        state: &Unsealed,
        caller: &Caller,
        req: Request,
    ) -> Result<Response, Error> {
        let router = state.mounts.router();
        let Some((mounted, rel)) = router.route(&req.path) else {
            authorize(caller, &req)?;
            return Err(Error::NoRoute {
                path: req.path.clone(),
            });
        };
        let backend = mounted.backend.as_ref().ok_or_else(|| Error::NoRoute {
            path: req.path.clone(),
        })?;
        let (system_default, system_max) = state.mounts.system_ttls();
        let info = mounted.entry.info(system_default, system_max);
        let token_hash = state.tokens.storage_id(&caller.token);
        let mut breq = BackendRequest {
            id: &req.id,
            operation: req.operation,
            path: rel,
            data: &req.data,
            mount: &info,
            token_hash: Some(&token_hash),
        };
        if breq.operation == Operation::Update && backend.exists(&breq).await? == Some(false) {
            breq.operation = Operation::Create;
        }
        authorize(caller, &req)?;
        backend.handle(&breq).await
    }
}

/// Resolves the request's token; a missing or unknown token is `permission denied`.
async fn authenticate(state: &Unsealed, req: &Request) -> Result<Caller, Error> {
    let token = req.token.clone().ok_or(Error::PermissionDenied)?;
    let entry = state
        .tokens
        .lookup(&token)
        .await?
        .ok_or(Error::PermissionDenied)?;
    Ok(Caller { token, entry })
}

/// Deny by default. Only the root policy exists so far; policies come with the ACL.
fn authorize(caller: &Caller, _req: &Request) -> Result<(), Error> {
    if caller.entry.is_root() {
        Ok(())
    } else {
        Err(Error::PermissionDenied)
    }
}
