//! The cache of remote key sets (JWKS) and discovery documents, owned by the mount.
//!
//! A key set is fetched when first needed and again once it is an hour old, so a key the
//! provider removed stops verifying within the hour. A token naming a key the cached set
//! lacks forces a refetch (key rotation), unless the set was fetched less than
//! [`MIN_FORCED`] ago, so a stream of made-up key IDs cannot turn the server into a load
//! generator. No lock is
//! held while fetching; the fetched set replaces the cached one whole.

use super::discovery::{self, Discovery};
use super::fetch;
use super::keys::{self, VerifyingKey};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

const MAX_AGE: Duration = Duration::from_secs(3600);
const MIN_FORCED: Duration = Duration::from_secs(10);
/// Sources kept at once (a mount has one; old ones linger after config changes).
const MAX_SOURCES: usize = 8;

pub type KeySet = Arc<Vec<VerifyingKey>>;

struct Cached<T> {
    value: T,
    fetched: SystemTime,
}

#[derive(Default)]
struct State {
    sets: HashMap<String, Cached<KeySet>>,
    /// When each source was last fetched (or a fetch began).
    attempts: HashMap<String, SystemTime>,
    discovery: HashMap<String, Cached<Arc<Discovery>>>,
}

#[derive(Default)]
pub struct RemoteKeys {
    state: Mutex<State>,
}

impl std::fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RemoteKeys")
    }
}

fn source(url: &str, ca_pem: &str) -> String {
    format!("{url}\n{ca_pem}")
}

fn fresh(fetched: SystemTime, now: SystemTime) -> bool {
    now.duration_since(fetched)
        .map_or(true, |age| age < MAX_AGE)
}

fn bounded<T>(map: &mut HashMap<String, T>) {
    if map.len() >= MAX_SOURCES {
        map.clear();
    }
}

async fn fetch_keys(url: &str, ca_pem: &str) -> Result<KeySet, String> {
    let client = fetch::client(ca_pem)?;
    let doc = fetch::get_json(&client, url)
        .await
        .map_err(|e| format!("fetching keys: {e}"))?;
    keys::from_jwks(&doc)
        .map(Arc::new)
        .map_err(|e| format!("fetching keys: {e}"))
}

impl RemoteKeys {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets everything (the configuration changed).
    pub fn clear(&self) {
        *self.lock() = State::default();
    }

    /// The key set at `url`: cached, or fetched when absent or stale.
    pub async fn get(&self, url: &str, ca_pem: &str, now: SystemTime) -> Result<KeySet, String> {
        let id = source(url, ca_pem);
        if let Some(c) = self.lock().sets.get(&id) {
            if fresh(c.fetched, now) {
                return Ok(c.value.clone());
            }
        }
        self.attempted(&id, now);
        let set = fetch_keys(url, ca_pem).await?;
        self.store(id, set.clone(), now);
        Ok(set)
    }

    fn attempted(&self, id: &str, now: SystemTime) {
        let mut state = self.lock();
        bounded(&mut state.attempts);
        state.attempts.insert(id.to_owned(), now);
    }

    /// Refetches the key set because a token named a key it lacks; `None` when this
    /// source was fetched less than [`MIN_FORCED`] ago.
    pub async fn refresh(
        &self,
        url: &str,
        ca_pem: &str,
        now: SystemTime,
    ) -> Result<Option<KeySet>, String> {
        let id = source(url, ca_pem);
        {
            let mut state = self.lock();
            let recent = state
                .attempts
                .get(&id)
                .is_some_and(|t| now.duration_since(*t).map_or(true, |d| d < MIN_FORCED));
            if recent {
                return Ok(None);
            }
            bounded(&mut state.attempts);
            state.attempts.insert(id.clone(), now);
        }
        let set = fetch_keys(url, ca_pem).await?;
        self.store(id, set.clone(), now);
        Ok(Some(set))
    }

    fn store(&self, id: String, set: KeySet, now: SystemTime) {
        let mut state = self.lock();
        bounded(&mut state.sets);
        state.sets.insert(
            id,
            Cached {
                value: set,
                fetched: now,
            },
        );
    }

    /// The discovery document of `url`: cached, or fetched when absent or stale.
    pub async fn discovery(
        &self,
        url: &str,
        ca_pem: &str,
        now: SystemTime,
    ) -> Result<Arc<Discovery>, String> {
        let id = source(url, ca_pem);
        if let Some(c) = self.lock().discovery.get(&id) {
            if fresh(c.fetched, now) {
                return Ok(c.value.clone());
            }
        }
        let doc = Arc::new(discovery::fetch(url, ca_pem).await?);
        let mut state = self.lock();
        bounded(&mut state.discovery);
        state.discovery.insert(
            id,
            Cached {
                value: doc.clone(),
                fetched: now,
            },
        );
        Ok(doc)
    }
}
