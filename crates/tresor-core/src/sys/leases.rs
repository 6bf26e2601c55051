//! `sys/leases/*` (lookup, renew, revoke, revoke-prefix, revoke-force, tidy, LIST lookup)
//! and the older aliases Vault clients still call: `sys/renew`, `sys/revoke`,
//! `sys/revoke-prefix`, `sys/revoke-force`.

use crate::core::Unsealed;
use std::time::Duration;
use tresor_sdk::fields::{bool_field, duration_field, string_field};
use tresor_sdk::{Data, Error, Operation, Request, Response, Value};

use Operation::{List, Update};

enum Action {
    Lookup,
    Renew,
    Revoke,
    RevokePrefix,
    RevokeForce,
}

/// The lease endpoints, or `None` for other paths.
pub async fn route(state: &Unsealed, req: &Request) -> Option<Result<Response, Error>> {
    let path = req.path.as_str();
    if path == "sys/leases/tidy" {
        return Some(match req.operation {
            Update => tidy(state).await,
            _ => Err(Error::UnsupportedOperation),
        });
    }
    if let Some(prefix) = path.strip_prefix("sys/leases/lookup/") {
        return Some(match req.operation {
            List => list(state, prefix).await,
            _ => Err(Error::UnsupportedOperation),
        });
    }
    let (action, rest) = [
        ("sys/leases/lookup", Action::Lookup),
        ("sys/leases/renew", Action::Renew),
        ("sys/renew", Action::Renew),
        ("sys/leases/revoke-prefix", Action::RevokePrefix),
        ("sys/revoke-prefix", Action::RevokePrefix),
        ("sys/leases/revoke-force", Action::RevokeForce),
        ("sys/revoke-force", Action::RevokeForce),
        ("sys/leases/revoke", Action::Revoke),
        ("sys/revoke", Action::Revoke),
    ]
    .into_iter()
    .find_map(|(prefix, action)| {
        let rest = path.strip_prefix(prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then(|| (action, rest.trim_start_matches('/')))
    })?;
    if req.operation != Update {
        return Some(Err(Error::UnsupportedOperation));
    }
    // A prefix revocation names its prefix: an empty one is no route, never "everything".
    if matches!(action, Action::RevokePrefix | Action::RevokeForce)
        && rest.trim_matches('/').is_empty()
    {
        return Some(Err(Error::UnsupportedPath));
    }
    let now = unix_now(state);
    Some(match action {
        Action::Lookup => lookup(state, req, now).await,
        Action::Renew => renew(state, req, rest, now).await,
        Action::Revoke => revoke(state, req, rest).await,
        Action::RevokePrefix => prefix(state, req, rest, false).await,
        Action::RevokeForce => prefix(state, req, rest, true).await,
    })
}

fn unix_now(state: &Unsealed) -> i64 {
    state.clock.unix()
}

/// The lease id from the URL (`sys/leases/renew/<id>`) or the body.
fn lease_id(req: &Request, from_url: &str) -> Result<String, Error> {
    let id = if from_url.is_empty() {
        string_field(&req.data, "lease_id")?.unwrap_or_default()
    } else {
        from_url.to_owned()
    };
    if id.is_empty() {
        return Err(Error::bad_request("lease_id must be specified"));
    }
    Ok(id)
}

async fn lookup(state: &Unsealed, req: &Request, now: i64) -> Result<Response, Error> {
    let id = lease_id(req, "")?;
    let entry = state
        .expiration
        .get(&id)
        .await?
        .ok_or_else(|| Error::bad_request("invalid lease"))?;
    Ok(Response::data(entry.lookup_data(now)))
}

async fn list(state: &Unsealed, prefix: &str) -> Result<Response, Error> {
    if !prefix.is_empty() && !crate::expiration::valid_id(prefix.trim_end_matches('/')) {
        return Err(Error::bad_request("invalid prefix"));
    }
    let keys = state.expiration.list(prefix).await?;
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    let mut data = Data::new();
    data.insert(
        "keys".into(),
        Value::Array(keys.into_iter().map(Value::from).collect()),
    );
    Ok(Response::data(data))
}

async fn renew(state: &Unsealed, req: &Request, rest: &str, now: i64) -> Result<Response, Error> {
    let id = lease_id(req, rest)?;
    let increment = duration_field(&req.data, "increment")?.unwrap_or(Duration::ZERO);
    state.renew_lease(&id, increment, now).await
}

/// `sync` (default true) is accepted; revocation is always done before answering, and an
/// asynchronous request is answered `202` with no body, as Vault does.
fn answer(req: &Request) -> Result<Response, Error> {
    if bool_field(&req.data, "sync")?.unwrap_or(true) {
        Ok(Response::empty())
    } else {
        Ok(Response::status_only(202))
    }
}

async fn revoke(state: &Unsealed, req: &Request, rest: &str) -> Result<Response, Error> {
    let id = lease_id(req, rest)?;
    let sync = bool_field(&req.data, "sync")?.unwrap_or(true);
    match state.revoke_lease(&id, false).await {
        Ok(()) => answer(req),
        // Asked to revoke in the background: a failure is retried later, as Vault does.
        Err(e) if !sync && e.kind() != tresor_sdk::ErrorKind::Sealed => {
            let delay = state.expiration.failed(&id, unix_now(state));
            tracing::warn!(lease = %id, error = %e, retry_in_secs = delay, "revocation failed; retrying");
            answer(req)
        }
        Err(e) => Err(e),
    }
}

async fn prefix(
    state: &Unsealed,
    req: &Request,
    rest: &str,
    force: bool,
) -> Result<Response, Error> {
    state.revoke_prefix(rest, force).await?;
    answer(req)
}

async fn tidy(state: &Unsealed) -> Result<Response, Error> {
    let revoked = state.tidy_leases(unix_now(state)).await?;
    tracing::info!(revoked, "leases tidied");
    Ok(Response {
        status: Some(202),
        warnings: vec![
            "Tidy operation successfully started. Any information from the operation will be printed to the server's logs.".to_owned(),
        ],
        ..Response::empty()
    })
}
