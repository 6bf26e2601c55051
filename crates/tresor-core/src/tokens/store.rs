//! Token storage behind the barrier, under `sys/token/`:
//! `id/<sid>` the entry (the sid is the HMAC-SHA256 of the token under the store's salt),
//! `accessor/<accessor>` the sid it stands for, `parent/<parent sid>/<child sid>` the tree,
//! `roles/<name>` token roles. The token itself is never written.

use super::batch;
use super::entry::{TokenEntry, TokenKind};
use super::roles::Role;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tresor_crypto::digest::HmacKey;
use tresor_crypto::keyring::KEY_LEN;
use tresor_crypto::{random, SecretBytes, SecretString, TermKey};
use tresor_sdk::stored::{encode, get_json, put_json};
use tresor_sdk::Error;
use tresor_storage::{Backend, Op, View};

/// Service tokens start with this prefix, so they are easy to spot in a leak scan.
pub const SERVICE_PREFIX: &str = "trs.";
pub use batch::PREFIX as BATCH_PREFIX;
const TOKEN_BODY_LEN: usize = 32;

#[derive(Debug, Serialize, Deserialize)]
struct AccessorEntry {
    id: String,
}

#[derive(Debug, Clone)]
pub struct TokenStore {
    view: View,
    salt: Arc<HmacKey>,
    batch_key: Arc<TermKey>,
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::internal(e.to_string())
}

/// A fresh accessor (24 base62 characters, as Vault's).
pub fn new_accessor() -> Result<String, Error> {
    random::base62(24)
        .map(|s| s.expose().to_owned())
        .map_err(internal)
}

async fn secret_or_create(view: &View, key: &str) -> Result<SecretBytes, Error> {
    if let Some(s) = view.get(key).await? {
        return Ok(SecretBytes::new(s));
    }
    let s = random::secret_bytes(KEY_LEN).map_err(internal)?;
    view.put(key, s.expose()).await?;
    Ok(s)
}

impl TokenStore {
    /// Opens the store, creating its salt and batch key on first use.
    pub async fn open(storage: Arc<dyn Backend>) -> Result<Self, Error> {
        let view = View::new(storage, crate::layout::TOKEN_PREFIX);
        let salt = secret_or_create(&view, "salt").await?;
        let batch_key =
            TermKey::new(0, 0, secret_or_create(&view, "batch-key").await?).map_err(internal)?;
        Ok(Self {
            view,
            salt: Arc::new(HmacKey::new(salt.expose())),
            batch_key: Arc::new(batch_key),
        })
    }

    /// The salted hash that stands for a token in storage: stable, and useless to whoever
    /// reads it.
    pub fn storage_id(&self, token: &SecretString) -> String {
        hex::encode(self.salt.sign(token.expose().as_bytes()))
    }

    /// Stores a new token for `entry` and returns it. A batch entry is sealed into the
    /// token instead; `id` (root only) chooses the token's value.
    pub async fn create(
        &self,
        entry: &TokenEntry,
        id: Option<SecretString>,
    ) -> Result<SecretString, Error> {
        if entry.kind == TokenKind::Batch {
            return batch::seal(&self.batch_key, entry);
        }
        let token = match id {
            Some(t) if !t.is_empty() => t,
            _ => {
                let body = random::base62(TOKEN_BODY_LEN).map_err(internal)?;
                SecretString::new(format!("{SERVICE_PREFIX}{}", body.expose()))
            }
        };
        let sid = self.storage_id(&token);
        if self.view.get(&format!("id/{sid}")).await?.is_some() {
            return Err(Error::bad_request(
                "cannot create a token with a duplicate ID",
            ));
        }
        let mut ops = vec![
            Op::Put {
                key: format!("id/{sid}"),
                value: encode(entry)?,
            },
            Op::Put {
                key: format!("accessor/{}", entry.accessor),
                value: encode(&AccessorEntry { id: sid.clone() })?,
            },
        ];
        if let Some(parent) = &entry.parent {
            ops.push(Op::Put {
                key: format!("parent/{parent}/{sid}"),
                value: Vec::new(),
            });
        }
        self.view.batch(ops).await?;
        Ok(token)
    }

    /// The live entry of a token and its storage id; `None` for unknown, expired or
    /// forged tokens.
    pub async fn lookup(
        &self,
        token: &SecretString,
        now: i64,
    ) -> Result<Option<(String, TokenEntry)>, Error> {
        if token.is_empty() {
            return Ok(None);
        }
        let sid = self.storage_id(token);
        if token.expose().starts_with(BATCH_PREFIX) {
            let Some(entry) = batch::open(&self.batch_key, token.expose()) else {
                return Ok(None);
            };
            if entry.is_expired(now) {
                return Ok(None);
            }
            if let Some(parent) = &entry.parent {
                if self.get(parent, now).await?.is_none() {
                    return Ok(None);
                }
            }
            return Ok(Some((sid, entry)));
        }
        Ok(self.get(&sid, now).await?.map(|e| (sid, e)))
    }

    /// A stored entry by storage id, if it is still live. An expired token is refused at
    /// once; the expiration manager revokes it (with its tree, leases and cubbyhole).
    pub async fn get(&self, sid: &str, now: i64) -> Result<Option<TokenEntry>, Error> {
        let Some(entry) = get_json::<TokenEntry>(&self.view, &format!("id/{sid}")).await? else {
            return Ok(None);
        };
        Ok((!entry.is_expired(now)).then_some(entry))
    }

    pub async fn by_accessor(
        &self,
        accessor: &str,
        now: i64,
    ) -> Result<Option<(String, TokenEntry)>, Error> {
        if accessor.is_empty() || accessor.contains('/') {
            return Ok(None);
        }
        let Some(a) =
            get_json::<AccessorEntry>(&self.view, &format!("accessor/{accessor}")).await?
        else {
            return Ok(None);
        };
        Ok(self.get(&a.id, now).await?.map(|e| (a.id, e)))
    }

    /// Writes back an entry (renewal, a use counted).
    pub async fn save(&self, sid: &str, entry: &TokenEntry) -> Result<(), Error> {
        put_json(&self.view, &format!("id/{sid}"), entry).await
    }

    /// Revokes a token and every descendant, children before parents (so an interrupted
    /// revocation never leaves a live child under a revoked parent); returns the storage
    /// ids revoked.
    pub async fn revoke_tree(&self, sid: &str) -> Result<Vec<String>, Error> {
        let mut revoked = Vec::new();
        let mut stack = vec![(sid.to_owned(), false)];
        while let Some((node, children_done)) = stack.pop() {
            if children_done {
                self.remove(&node).await?;
                revoked.push(node);
                continue;
            }
            let children = self.view.list(&format!("parent/{node}/")).await?;
            stack.push((node, true));
            stack.extend(
                children
                    .into_iter()
                    .filter(|c| !c.ends_with('/'))
                    .map(|c| (c, false)),
            );
        }
        Ok(revoked)
    }

    /// Revokes a token but not its children, which become orphans.
    pub async fn revoke_orphan(&self, sid: &str) -> Result<Vec<String>, Error> {
        for child in self.view.list(&format!("parent/{sid}/")).await? {
            if let Some(mut entry) =
                get_json::<TokenEntry>(&self.view, &format!("id/{child}")).await?
            {
                entry.parent = None;
                entry.orphan = true;
                self.view
                    .batch(vec![
                        Op::Put {
                            key: format!("id/{child}"),
                            value: encode(&entry)?,
                        },
                        Op::Delete {
                            key: format!("parent/{sid}/{child}"),
                        },
                    ])
                    .await?;
            }
        }
        self.remove(sid).await?;
        Ok(vec![sid.to_owned()])
    }

    /// Deletes one token's entry and index entries in one batch.
    async fn remove(&self, sid: &str) -> Result<(), Error> {
        let entry = get_json::<TokenEntry>(&self.view, &format!("id/{sid}")).await?;
        let mut ops = vec![Op::Delete {
            key: format!("id/{sid}"),
        }];
        if let Some(e) = &entry {
            if !e.accessor.is_empty() {
                ops.push(Op::Delete {
                    key: format!("accessor/{}", e.accessor),
                });
            }
            if let Some(parent) = &e.parent {
                ops.push(Op::Delete {
                    key: format!("parent/{parent}/{sid}"),
                });
            }
        }
        self.view.batch(ops).await?;
        Ok(())
    }

    pub async fn accessors(&self) -> Result<Vec<String>, Error> {
        Ok(self.view.list("accessor/").await?)
    }

    /// Removes index entries that point at tokens which no longer exist.
    pub async fn tidy(&self) -> Result<usize, Error> {
        let mut removed = 0;
        for accessor in self.view.list("accessor/").await? {
            let key = format!("accessor/{accessor}");
            let dangling = match get_json::<AccessorEntry>(&self.view, &key).await? {
                Some(a) => self.view.get(&format!("id/{}", a.id)).await?.is_none(),
                None => false,
            };
            if dangling {
                self.view.delete(&key).await?;
                removed += 1;
            }
        }
        for parent in self.view.list("parent/").await? {
            for child in self.view.list(&format!("parent/{parent}")).await? {
                if self.view.get(&format!("id/{child}")).await?.is_none() {
                    self.view.delete(&format!("parent/{parent}{child}")).await?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    pub async fn role(&self, name: &str) -> Result<Option<Role>, Error> {
        get_json(&self.view, &format!("roles/{name}")).await
    }

    pub async fn put_role(&self, role: &Role) -> Result<(), Error> {
        put_json(&self.view, &format!("roles/{}", role.name), role).await
    }

    pub async fn delete_role(&self, name: &str) -> Result<(), Error> {
        Ok(self.view.delete(&format!("roles/{name}")).await?)
    }

    pub async fn roles(&self) -> Result<Vec<String>, Error> {
        Ok(self.view.list("roles/").await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tresor_storage::InmemBackend;

    async fn store() -> (Arc<dyn Backend>, TokenStore) {
        let storage: Arc<dyn Backend> = Arc::new(InmemBackend::new());
        (storage.clone(), TokenStore::open(storage).await.unwrap())
    }

    fn child_of(parent: Option<&str>) -> TokenEntry {
        TokenEntry {
            accessor: new_accessor().unwrap(),
            parent: parent.map(str::to_owned),
            policies: vec!["default".into()],
            ..TokenEntry::default()
        }
    }

    #[tokio::test]
    async fn tokens_are_stored_only_as_salted_hashes() {
        let (storage, store) = store().await;
        let token = store
            .create(&TokenEntry::root(10, new_accessor().unwrap()), None)
            .await
            .unwrap();
        assert!(token.expose().starts_with(SERVICE_PREFIX));
        assert_eq!(token.expose().len(), SERVICE_PREFIX.len() + TOKEN_BODY_LEN);
        let (_, found) = store.lookup(&token, 11).await.unwrap().unwrap();
        assert_eq!(found.policies, vec!["root"]);
        assert!(store
            .lookup(&SecretString::from("trs.nope"), 11)
            .await
            .unwrap()
            .is_none());
        assert!(store
            .lookup(&SecretString::from(""), 11)
            .await
            .unwrap()
            .is_none());
        for key in storage.list("sys/token/id/").await.unwrap() {
            assert!(!key.contains(token.expose()));
        }
        let again = TokenStore::open(storage).await.unwrap();
        assert!(
            again.lookup(&token, 11).await.unwrap().is_some(),
            "the salt persists"
        );
    }

    #[tokio::test]
    async fn revoking_a_parent_revokes_the_whole_tree() {
        let (_, store) = store().await;
        let root = store.create(&child_of(None), None).await.unwrap();
        let root_sid = store.storage_id(&root);
        let mut all = vec![root.clone()];
        let mut frontier = vec![root_sid.clone()];
        for _ in 0..3 {
            let mut next = Vec::new();
            for parent in &frontier {
                for _ in 0..3 {
                    let t = store.create(&child_of(Some(parent)), None).await.unwrap();
                    next.push(store.storage_id(&t));
                    all.push(t);
                }
            }
            frontier = next;
        }
        assert_eq!(all.len(), 1 + 3 + 9 + 27);
        let revoked = store.revoke_tree(&root_sid).await.unwrap();
        assert_eq!(revoked.len(), all.len());
        for t in &all {
            assert!(store.lookup(t, 0).await.unwrap().is_none());
        }
        assert!(store.accessors().await.unwrap().is_empty());
        assert_eq!(store.tidy().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn orphan_revocation_keeps_children() {
        let (_, store) = store().await;
        let parent = store.create(&child_of(None), None).await.unwrap();
        let psid = store.storage_id(&parent);
        let child = store.create(&child_of(Some(&psid)), None).await.unwrap();
        store.revoke_orphan(&psid).await.unwrap();
        let (_, entry) = store.lookup(&child, 0).await.unwrap().unwrap();
        assert!(entry.orphan && entry.parent.is_none());
    }

    #[tokio::test]
    async fn expiry_and_batch_tokens() {
        let (_, store) = store().await;
        let parent = store
            .create(
                &TokenEntry {
                    expire_at: 100,
                    ..child_of(None)
                },
                None,
            )
            .await
            .unwrap();
        let psid = store.storage_id(&parent);
        let batch = TokenEntry {
            kind: TokenKind::Batch,
            parent: Some(psid),
            accessor: String::new(),
            ..child_of(None)
        };
        let b = store.create(&batch, None).await.unwrap();
        assert!(b.expose().starts_with(BATCH_PREFIX));
        assert!(store.lookup(&b, 50).await.unwrap().is_some());
        assert!(
            store.lookup(&parent, 100).await.unwrap().is_none(),
            "expired at its expiry"
        );
        assert!(
            store.lookup(&b, 50).await.unwrap().is_some(),
            "refusing an expired token revokes nothing: the expiration manager does"
        );
        store.revoke_tree(&store.storage_id(&parent)).await.unwrap();
        assert!(
            store.lookup(&b, 50).await.unwrap().is_none(),
            "a batch token dies with its parent"
        );
    }
}
