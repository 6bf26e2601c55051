//! The pipeline's audit hooks: the request is recorded before anything acts on it, the
//! response (or error) before it leaves. With devices enabled and none recording, the
//! request is refused and nothing it produced is sent (fail closed).

use crate::core::Unsealed;
use crate::mounts::Table;
use crate::pipeline::Caller;
use crate::tokens::TokenEntry;
use tresor_audit::{AuditAuth, AuditRequest, AuditResponse};
use tresor_crypto::SecretString;
use tresor_sdk::{Error, Request, Response};

/// The error a client gets when its request or response could not be audited.
fn unaudited() -> Error {
    Error::internal("internal error: the request could not be audited")
}

/// What the audit log knows of one request while it is served; inert when no device is
/// enabled (nothing is copied then).
pub(crate) struct AuditCtx {
    inner: Option<(AuditRequest, Option<AuditAuth>)>,
}

impl AuditCtx {
    pub fn new(state: &Unsealed, req: &Request) -> Self {
        if state.audit.broker().is_empty() {
            return Self { inner: None };
        }
        let mut areq = AuditRequest::from(req);
        let router = state.mounts.router();
        match router.route(&req.path) {
            Some((m, _)) => {
                areq.mount_point = m.route.clone();
                areq.mount_type = Some(m.entry.kind.clone());
                areq.mount_accessor = m.entry.accessor.clone();
                if m.entry.table == Table::Auth && m.entry.kind == "token" {
                    areq.mount_type = Some("token".to_owned());
                }
            }
            None if req.path.starts_with("sys/") || req.path == "sys" => {
                areq.mount_point = "sys/".to_owned();
                areq.mount_type = Some("system".to_owned());
            }
            None => {}
        }
        Self {
            inner: Some((areq, None)),
        }
    }

    /// The caller is known: entries carry its token (hashed) and its policies.
    pub fn set_caller(&mut self, caller: &Caller) {
        if let Some((areq, auth)) = self.inner.as_mut() {
            areq.client_token_accessor = caller.entry.accessor.clone();
            *auth = Some(auth_of(&caller.entry, &caller.token));
        }
    }

    /// Records the request; an `Err` refuses it.
    pub async fn log_request(&self, state: &Unsealed, error: Option<&Error>) -> Result<(), Error> {
        let Some((areq, auth)) = &self.inner else {
            return Ok(());
        };
        let error = error.map(ToString::to_string);
        state
            .audit
            .broker()
            .log_request(auth.as_ref(), areq, error.as_deref())
            .await
            .map_err(|_| unaudited())
    }

    /// Records the answer before it leaves; an answer no device recorded becomes an error
    /// that carries none of it.
    pub async fn finish(
        self,
        state: &Unsealed,
        answer: Result<Response, Error>,
    ) -> Result<Response, Error> {
        let Some((areq, auth)) = self.inner else {
            return answer;
        };
        let (aresp, error) = match &answer {
            Ok(resp) => (Some(AuditResponse::from(resp)), None),
            Err(e) => recorded_error(e),
        };
        // A login's entries carry the token it made.
        let auth = auth.or_else(|| {
            answer
                .as_ref()
                .ok()
                .and_then(|r| r.auth.as_ref())
                .map(AuditAuth::from)
        });
        state
            .audit
            .broker()
            .log_response(auth.as_ref(), &areq, aresp.as_ref(), error.as_deref())
            .await
            .map_err(|_| unaudited())?;
        answer
    }
}

/// How an error is recorded. A message that may echo the request (a bad request's
/// details) goes into the response data, where the device hashes it, under a fixed
/// `error`, as Vault does; a missing value (404) is an answer, not an error.
fn recorded_error(e: &Error) -> (Option<AuditResponse>, Option<String>) {
    let hashed = |fixed: &str, msg: String| {
        let mut data = serde_json::Map::new();
        data.insert("error".into(), msg.into());
        (
            Some(AuditResponse {
                data: Some(serde_json::Value::Object(data)),
                ..AuditResponse::default()
            }),
            Some(fixed.to_owned()),
        )
    };
    match e {
        Error::NotFound => (None, None),
        Error::BadRequest(msg) | Error::TooLarge(msg) => hashed("invalid request", msg.clone()),
        Error::Forbidden(msg) => hashed("permission denied", msg.clone()),
        other => (None, Some(other.to_string())),
    }
}

fn auth_of(entry: &TokenEntry, token: &SecretString) -> AuditAuth {
    AuditAuth {
        client_token: Some(token.clone()),
        accessor: entry.accessor.clone(),
        display_name: entry.display_name.clone(),
        policies: entry.policies.clone(),
        token_policies: entry.policies.clone(),
        metadata: entry.meta.clone().unwrap_or_default(),
        entity_id: String::new(),
        token_type: entry.kind.as_str().to_owned(),
        token_ttl: entry.creation_ttl,
        token_issue_time: entry.issue_time.clone().unwrap_or_default(),
        num_uses: entry.num_uses,
        renewable: entry.renewable,
        orphan: entry.orphan,
    }
}
