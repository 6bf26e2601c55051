//! The cache as the handler and the renewer see it: the store behind a lock (never held
//! across an await), the in-flight table, and a wake-up for the renewer.

use super::entry::{classify, CachedResponse, Entry, Found, Held, RequestInfo};
use super::evictions::Eviction;
use super::flight::{Flight, Flights};
use super::key::{CacheKey, TokenHash};
use super::store::{renew_deadline, RenewJob, Renewal, Store};
use crate::proxy::upstream::Upstream;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use tresor_crypto::SecretString;

#[derive(Debug)]
pub struct LeaseCache {
    store: Mutex<Store>,
    flights: Flights,
    wake: Notify,
    pub(super) upstream: Upstream,
}

/// A cached answer and how long ago it was stored.
#[derive(Debug)]
pub struct Hit {
    pub response: Arc<CachedResponse>,
    pub age: Duration,
}

impl LeaseCache {
    pub fn new(upstream: Upstream) -> Self {
        Self {
            store: Mutex::new(Store::default()),
            flights: Flights::default(),
            wake: Notify::new(),
            upstream,
        }
    }

    fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut store)
    }

    /// Waits until no other request with this key is under way.
    pub async fn flight(&self, key: CacheKey) -> Flight<'_> {
        self.flights.enter(key).await
    }

    pub fn lookup(&self, key: &CacheKey, now: Instant) -> Option<Hit> {
        self.with_store(|s| s.get(key, now))
            .map(|(response, age)| Hit { response, age })
    }

    pub fn evict(&self, eviction: &Eviction) -> usize {
        let n = self.with_store(|s| s.evict(eviction));
        if n > 0 {
            tracing::debug!(entries = n, "evicted from the cache");
        }
        n
    }

    /// Keeps a successful JSON answer if it carries a renewable lease made with a token
    /// the agent manages (the auto-auth token or one it cached), or a renewable new token
    /// that is an orphan or the child of a managed one. Answers whether it was kept.
    pub fn consider(
        &self,
        req: &RequestInfo<'_>,
        response: &Arc<CachedResponse>,
        auto_auth: Option<&SecretString>,
        now: Instant,
    ) -> bool {
        let Ok(body) = serde_json::from_slice(&response.body) else {
            return false;
        };
        let Some(found) = classify(&body) else {
            return false;
        };
        let sent_with = req.token.map(|t| TokenHash::of(t.expose()));
        let auto_auth = auto_auth.map(|t| TokenHash::of(t.expose()));
        let kept = self.with_store(|store| {
            let managed = |h: Option<TokenHash>| {
                h.is_some_and(|h| Some(h) == auto_auth || store.holds_token(&h))
            };
            let (held, duration) = match found {
                Found::Lease { lease_id, duration } => match (req.token, sent_with) {
                    (Some(token), Some(hash)) if managed(Some(hash)) => (
                        Held::Lease {
                            lease_id,
                            token: token.clone(),
                            token_hash: hash,
                        },
                        duration,
                    ),
                    _ => return false,
                },
                Found::Token {
                    client_token,
                    accessor,
                    orphan,
                    duration,
                } => {
                    if !orphan && !managed(sent_with) {
                        return false;
                    }
                    let held = Held::Token {
                        token_hash: TokenHash::of(client_token.expose()),
                        token: client_token,
                        accessor: accessor.map(|a| TokenHash::of(&a)),
                        parent: if orphan { None } else { sent_with },
                    };
                    (held, duration)
                }
            };
            store.insert(Entry {
                key: req.key,
                request_path: req.path.to_owned(),
                namespace: req.namespace.clone(),
                response: response.clone(),
                held,
                stored_at: now,
                original: duration,
                expires_at: now + duration,
                renew_at: Some(renew_deadline(now, duration)),
            });
            true
        });
        if kept {
            self.wake.notify_one();
        }
        kept
    }

    pub(super) fn due(&self, now: Instant) -> Vec<RenewJob> {
        self.with_store(|s| s.due(now))
    }

    pub(super) fn renewed(&self, id: u64, renewal: Renewal, now: Instant) {
        self.with_store(|s| s.renewed(id, renewal, now));
    }

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.with_store(|s| s.next_deadline())
    }

    /// Resolves when an entry was added (its deadline may be the nearest).
    pub(super) async fn changed(&self) {
        self.wake.notified().await;
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.with_store(|s| s.len())
    }
}
