//! `sys/wrapping/wrap`, `unwrap`, `lookup` and `rewrap`.

use crate::core::{Core, Unsealed};
use crate::pipeline::Caller;
use tresor_crypto::SecretString;
use tresor_sdk::fields::string_field;
use tresor_sdk::{Error, Request, Response};

/// The token to act on: `token` in the body (or query), else the caller's own.
fn target(req: &Request, caller: Option<&Caller>) -> Result<SecretString, Error> {
    match string_field(&req.data, "token")?.filter(|t| !t.is_empty()) {
        Some(t) => Ok(SecretString::from(t)),
        None => caller
            .map(|c| c.token.clone())
            .or_else(|| req.token.clone().filter(|t| !t.is_empty()))
            .ok_or_else(|| Error::bad_request("wrapping token is not valid or does not exist")),
    }
}

/// Echoes the body; the pipeline wraps it (a request without a wrap TTL is refused).
pub fn wrap(req: &Request) -> Result<Response, Error> {
    if req.wrap_ttl.is_none() {
        return Err(Error::bad_request(
            "endpoint requires response wrapping to be used",
        ));
    }
    Ok(Response::data(req.data.clone()))
}

pub async fn unwrap(
    core: &Core,
    state: &Unsealed,
    caller: &Caller,
    req: &Request,
) -> Result<Response, Error> {
    core.unwrap(state, &target(req, Some(caller))?).await
}

pub async fn lookup(core: &Core, req: &Request) -> Result<Response, Error> {
    let state = core.state()?;
    core.wrap_lookup(&state, &target(req, None)?).await
}

pub async fn rewrap(
    core: &Core,
    state: &Unsealed,
    caller: &Caller,
    req: &Request,
) -> Result<Response, Error> {
    core.rewrap(state, &target(req, Some(caller))?).await
}
