//! Tokens, stored behind the barrier only as salted hashes.
//!
//! A token's storage key is the HMAC-SHA256 of the token under a per-store salt, so the
//! store never holds a usable token and a lookup is a single keyed read.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tresor_crypto::{digest, random, SecretBytes, SecretString};
use tresor_sdk::{Data, Error, Value};
use tresor_storage::{Backend, View};

/// Service tokens start with this prefix, so they are easy to spot in a leak scan.
pub const SERVICE_PREFIX: &str = "trs.";
const TOKEN_BODY_LEN: usize = 32;
const SALT_KEY: &str = "salt";

/// A stored token, keyed by its salted hash; the token itself is never stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenEntry {
    pub accessor: String,
    pub policies: Vec<String>,
    pub path: String,
    pub display_name: String,
    pub creation_time: i64,
    pub ttl: u64,
    pub explicit_max_ttl: u64,
    pub num_uses: u64,
    pub orphan: bool,
    #[serde(default)]
    pub meta: Option<BTreeMap<String, String>>,
    #[serde(rename = "type")]
    pub kind: String,
}

impl TokenEntry {
    pub fn root(now: i64, accessor: String) -> Self {
        Self {
            accessor,
            policies: vec!["root".to_owned()],
            path: "auth/token/root".to_owned(),
            display_name: "root".to_owned(),
            creation_time: now,
            ttl: 0,
            explicit_max_ttl: 0,
            num_uses: 0,
            orphan: true,
            meta: None,
            kind: "service".to_owned(),
        }
    }

    /// The root token that `-dev` creates: made like any token of the store, as Vault does.
    pub fn dev_root(now: i64, accessor: String) -> Self {
        Self {
            path: "auth/token/create".to_owned(),
            display_name: "token".to_owned(),
            ..Self::root(now, accessor)
        }
    }

    /// The root token of `sys/init` is the one entry without an issue time or renewability.
    fn created_by_store(&self) -> bool {
        self.path != "auth/token/root"
    }

    pub fn is_root(&self) -> bool {
        self.policies.iter().any(|p| p == "root")
    }

    /// The `data` of a token lookup; `id` is the token the caller presented.
    pub fn lookup_data(&self, id: &SecretString) -> Data {
        let mut d = Data::new();
        d.insert("accessor".into(), self.accessor.clone().into());
        d.insert("creation_time".into(), self.creation_time.into());
        d.insert("creation_ttl".into(), self.ttl.into());
        d.insert("display_name".into(), self.display_name.clone().into());
        d.insert("entity_id".into(), "".into());
        d.insert("expire_time".into(), Value::Null);
        d.insert("explicit_max_ttl".into(), self.explicit_max_ttl.into());
        d.insert("id".into(), id.expose().into());
        if self.created_by_store() {
            let issued = time::OffsetDateTime::from_unix_timestamp(self.creation_time)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default();
            d.insert("issue_time".into(), issued.into());
            d.insert("renewable".into(), false.into());
        }
        d.insert(
            "meta".into(),
            self.meta.as_ref().map_or(Value::Null, |m| {
                serde_json::to_value(m).unwrap_or(Value::Null)
            }),
        );
        d.insert("num_uses".into(), self.num_uses.into());
        d.insert("orphan".into(), self.orphan.into());
        d.insert("path".into(), self.path.clone().into());
        d.insert("policies".into(), self.policies.clone().into());
        d.insert("ttl".into(), self.ttl.into());
        d.insert("type".into(), self.kind.clone().into());
        d
    }
}

/// The token store over its barrier view (`sys/token/`).
#[derive(Debug, Clone)]
pub struct TokenStore {
    view: View,
    salt: Arc<SecretBytes>,
}

impl TokenStore {
    /// Opens the store, creating its salt on first use.
    pub async fn open(storage: Arc<dyn Backend>) -> Result<Self, Error> {
        let view = View::new(storage, crate::layout::TOKEN_PREFIX);
        let salt = match view.get(SALT_KEY).await? {
            Some(s) => SecretBytes::new(s),
            None => {
                let s = random::secret_bytes(32).map_err(|e| Error::internal(e.to_string()))?;
                view.put(SALT_KEY, s.expose()).await?;
                s
            }
        };
        Ok(Self {
            view,
            salt: Arc::new(salt),
        })
    }

    /// The salted hash that stands for a token in storage: stable, and useless to whoever
    /// reads it.
    pub fn storage_id(&self, token: &SecretString) -> String {
        hex::encode(digest::hmac_sha256(
            self.salt.expose(),
            token.expose().as_bytes(),
        ))
    }

    fn id_key(&self, token: &str) -> String {
        format!("id/{}", self.storage_id(&SecretString::from(token)))
    }

    /// Creates a token for `entry`; with `id` set (dev mode's `-dev-root-token-id`) that
    /// value becomes the token.
    pub async fn create(
        &self,
        entry: &TokenEntry,
        id: Option<SecretString>,
    ) -> Result<SecretString, Error> {
        let token = match id {
            Some(t) if !t.is_empty() => t,
            _ => {
                let body =
                    random::base62(TOKEN_BODY_LEN).map_err(|e| Error::internal(e.to_string()))?;
                SecretString::new(format!("{SERVICE_PREFIX}{}", body.expose()))
            }
        };
        let json = serde_json::to_vec(entry).map_err(|e| Error::internal(e.to_string()))?;
        self.view.put(&self.id_key(token.expose()), &json).await?;
        Ok(token)
    }

    pub async fn lookup(&self, token: &SecretString) -> Result<Option<TokenEntry>, Error> {
        if token.is_empty() {
            return Ok(None);
        }
        let Some(raw) = self.view.get(&self.id_key(token.expose())).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&raw)
            .map(Some)
            .map_err(|_| Error::internal("a stored token entry does not decode"))
    }
}

/// A fresh accessor (24 base62 characters, as Vault's).
pub fn new_accessor() -> Result<String, Error> {
    random::base62(24)
        .map(|s| s.expose().to_owned())
        .map_err(|e| Error::internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tresor_storage::InmemBackend;

    #[tokio::test]
    async fn tokens_are_stored_only_as_salted_hashes() {
        let storage: Arc<dyn Backend> = Arc::new(InmemBackend::new());
        let store = TokenStore::open(storage.clone()).await.unwrap();
        let entry = TokenEntry::root(10, new_accessor().unwrap());
        let token = store.create(&entry, None).await.unwrap();
        assert!(token.expose().starts_with(SERVICE_PREFIX));
        assert_eq!(token.expose().len(), SERVICE_PREFIX.len() + TOKEN_BODY_LEN);
        let found = store.lookup(&token).await.unwrap().unwrap();
        assert_eq!(found.policies, vec!["root"]);
        assert!(store
            .lookup(&SecretString::from("trs.nope"))
            .await
            .unwrap()
            .is_none());
        assert!(store
            .lookup(&SecretString::from(""))
            .await
            .unwrap()
            .is_none());
        for key in storage.list("sys/token/id/").await.unwrap() {
            assert!(!key.contains(token.expose()));
        }
        // Reopening keeps the salt, so the token still resolves.
        let again = TokenStore::open(storage).await.unwrap();
        assert!(again.lookup(&token).await.unwrap().is_some());
    }
}
