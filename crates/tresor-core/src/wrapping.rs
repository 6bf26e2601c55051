//! Response wrapping: an answer is kept in the cubbyhole of a new single-use token whose
//! only power is to unwrap it; the client receives that token instead of the answer.

use crate::core::{Core, Unsealed};
use crate::policies::RESPONSE_WRAPPING_NAME;
use crate::tokens::{new_accessor, TokenEntry};
use serde_json::Value;
use std::time::Duration;
use tresor_crypto::SecretString;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::{rfc3339, Data, Error, Response, WrapInfo};

const RESPONSE_KEY: &str = "response";

/// What a wrapping token's cubbyhole keeps: the answer and where it came from.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Wrapped {
    response: Value,
    creation_path: String,
    wrapped_accessor: String,
}

impl Core {
    /// Replaces `resp` by a wrapping token that holds it for `ttl`.
    pub(crate) async fn wrap(
        &self,
        state: &Unsealed,
        resp: &Response,
        request_id: &str,
        ttl: Duration,
        creation_path: &str,
    ) -> Result<Response, Error> {
        let wrapped = Wrapped {
            response: resp.envelope(request_id),
            creation_path: creation_path.to_owned(),
            wrapped_accessor: resp
                .auth
                .as_ref()
                .map(|a| a.accessor.clone())
                .unwrap_or_default(),
        };
        self.store_wrapped(state, &wrapped, ttl).await
    }

    /// Makes a wrapping token and puts `wrapped` in its cubbyhole.
    async fn store_wrapped(
        &self,
        state: &Unsealed,
        wrapped: &Wrapped,
        ttl: Duration,
    ) -> Result<Response, Error> {
        let now = self.now();
        let ttl_secs = ttl.as_secs().max(1);
        let entry = TokenEntry {
            accessor: new_accessor()?,
            policies: vec![RESPONSE_WRAPPING_NAME.to_owned()],
            path: wrapped.creation_path.clone(),
            display_name: "response-wrapping".to_owned(),
            creation_time: now,
            issue_time: crate::tokens::entry_time(now),
            creation_ttl: ttl_secs,
            expire_at: now.saturating_add(i64::try_from(ttl_secs).unwrap_or(i64::MAX)),
            num_uses: 1,
            orphan: true,
            ..TokenEntry::default()
        };
        let token = state.create_token(&entry, None).await?;
        let view = state
            .mounts
            .cubbyhole_view(&state.tokens.storage_id(&token))
            .ok_or_else(|| Error::internal("no cubbyhole mount to keep wrapped responses"))?;
        put_json(&view, RESPONSE_KEY, wrapped).await?;
        Ok(Response {
            wrap_info: Some(WrapInfo {
                token,
                accessor: entry.accessor,
                ttl: ttl_secs,
                creation_time: rfc3339(self.config.clock.now()),
                creation_path: wrapped.creation_path.clone(),
                wrapped_accessor: wrapped.wrapped_accessor.clone(),
            }),
            ..Response::default()
        })
    }

    /// The wrapped answer of a live wrapping token, with the token's storage id and entry.
    async fn wrapped(
        &self,
        state: &Unsealed,
        token: &SecretString,
    ) -> Result<(String, TokenEntry, Wrapped), Error> {
        let invalid = || Error::bad_request("wrapping token is not valid or does not exist");
        let (sid, entry) = state
            .tokens
            .lookup(token, self.now())
            .await?
            .ok_or_else(invalid)?;
        if entry.policies != [RESPONSE_WRAPPING_NAME] {
            return Err(invalid());
        }
        let view = state.mounts.cubbyhole_view(&sid).ok_or_else(invalid)?;
        let wrapped: Wrapped = get_json(&view, RESPONSE_KEY).await?.ok_or_else(invalid)?;
        Ok((sid, entry, wrapped))
    }

    /// Unwraps once: the answer comes back as it was and the wrapping token is gone.
    pub(crate) async fn unwrap(
        &self,
        state: &Unsealed,
        token: &SecretString,
    ) -> Result<Response, Error> {
        let (sid, _, wrapped) = self.wrapped(state, token).await?;
        state.revoke_tokens(&sid, false).await?;
        Ok(Response::unwrapped(wrapped.response))
    }

    pub(crate) async fn wrap_lookup(
        &self,
        state: &Unsealed,
        token: &SecretString,
    ) -> Result<Response, Error> {
        let (_, entry, wrapped) = self.wrapped(state, token).await?;
        let mut data = Data::new();
        data.insert("creation_path".into(), wrapped.creation_path.into());
        data.insert(
            "creation_time".into(),
            entry.issue_time.unwrap_or_default().into(),
        );
        data.insert("creation_ttl".into(), entry.creation_ttl.into());
        Ok(Response::data(data))
    }

    /// A new wrapping token for the same answer and TTL; the old one stops working.
    pub(crate) async fn rewrap(
        &self,
        state: &Unsealed,
        token: &SecretString,
    ) -> Result<Response, Error> {
        let (sid, entry, wrapped) = self.wrapped(state, token).await?;
        let fresh = self
            .store_wrapped(state, &wrapped, Duration::from_secs(entry.creation_ttl))
            .await?;
        state.revoke_tokens(&sid, false).await?;
        Ok(fresh)
    }
}
