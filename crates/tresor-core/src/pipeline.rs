//! The request pipeline, as a sequence of named steps:
//! canonical path -> unauthenticated sys endpoints -> sealed? -> token -> ACL -> route.

use crate::core::{Core, Unsealed};
use crate::path::canonicalize;
use crate::sys;
use crate::token_store::TokenEntry;
use tresor_crypto::SecretString;
use tresor_sdk::{Error, Operation, Request, Response};

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
        authorize(&caller, &req)?;
        sys::authenticated(self, &state, &caller, &req).await
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
