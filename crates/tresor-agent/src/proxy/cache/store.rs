//! The entries, their index by request, and one deadline-ordered renewal queue. Plain
//! data: no I/O, no clock of its own (every call is given `now`).

use super::entry::{CachedResponse, Entry, Held};
use super::evictions::Eviction;
use super::key::{CacheKey, TokenHash};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tresor_crypto::SecretString;

/// One renewal to make.
#[derive(Debug)]
pub struct RenewJob {
    pub id: u64,
    pub what: Renewing,
    pub increment: Duration,
    pub namespace: Option<String>,
}

#[derive(Debug)]
pub enum Renewing {
    Lease {
        lease_id: String,
        token: SecretString,
    },
    Token {
        token: SecretString,
    },
}

/// What a renewal answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    Renewed { duration: Duration, renewable: bool },
    Failed,
}

#[derive(Debug, Default)]
pub struct Store {
    next_id: u64,
    entries: HashMap<u64, Entry>,
    by_key: HashMap<CacheKey, u64>,
    queue: BTreeSet<(Instant, u64)>,
}

/// When a lease of `duration` renewed at `now` is renewed next: at two thirds.
pub fn renew_deadline(now: Instant, duration: Duration) -> Instant {
    now + duration * 2 / 3
}

impl Store {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The cached answer for `key` and its age, unless it has expired (then it goes).
    pub fn get(&mut self, key: &CacheKey, now: Instant) -> Option<(Arc<CachedResponse>, Duration)> {
        let id = *self.by_key.get(key)?;
        let entry = self.entries.get(&id)?;
        if entry.expires_at <= now {
            self.remove_cascading(vec![id]);
            return None;
        }
        Some((
            entry.response.clone(),
            now.saturating_duration_since(entry.stored_at),
        ))
    }

    /// Adds an entry (replacing one with the same key) with its first renewal due at
    /// `renew_at`.
    pub fn insert(&mut self, entry: Entry) -> u64 {
        if let Some(old) = self.by_key.get(&entry.key).copied() {
            self.remove_cascading(vec![old]);
        }
        self.next_id += 1;
        let id = self.next_id;
        if let Some(at) = entry.renew_at {
            self.queue.insert((at, id));
        }
        self.by_key.insert(entry.key, id);
        self.entries.insert(id, entry);
        id
    }

    /// A token is managed when a cached entry holds it.
    pub fn holds_token(&self, hash: &TokenHash) -> bool {
        self.entries
            .values()
            .any(|e| matches!(&e.held, Held::Token { token_hash, .. } if token_hash == hash))
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.queue.first().map(|(at, _)| *at)
    }

    /// Takes the renewals due at `now` off the queue.
    pub fn due(&mut self, now: Instant) -> Vec<RenewJob> {
        let mut jobs = Vec::new();
        while let Some(&(at, id)) = self.queue.first() {
            if at > now {
                break;
            }
            self.queue.remove(&(at, id));
            let Some(entry) = self.entries.get_mut(&id) else {
                continue;
            };
            entry.renew_at = None;
            let what = match &entry.held {
                Held::Lease {
                    lease_id, token, ..
                } => Renewing::Lease {
                    lease_id: lease_id.clone(),
                    token: token.clone(),
                },
                Held::Token { token, .. } => Renewing::Token {
                    token: token.clone(),
                },
            };
            jobs.push(RenewJob {
                id,
                what,
                increment: entry.original,
                namespace: entry.namespace.clone(),
            });
        }
        jobs
    }

    /// Applies a renewal's answer. As Vault's lifetime watcher: a failure, a lease no
    /// longer renewable, or one whose new duration is within the grace period (a tenth of
    /// the first duration, so three tenths with the renewal at two thirds: the maximum
    /// TTL is near) ends it, and the entry goes.
    pub fn renewed(&mut self, id: u64, renewal: Renewal, now: Instant) {
        let Some(entry) = self.entries.get_mut(&id) else {
            return;
        };
        match renewal {
            Renewal::Renewed {
                duration,
                renewable: true,
            } if duration * 10 > entry.original * 3 => {
                entry.expires_at = now + duration;
                let at = renew_deadline(now, duration);
                entry.renew_at = Some(at);
                self.queue.insert((at, id));
            }
            _ => {
                self.remove_cascading(vec![id]);
            }
        }
    }

    /// Removes what `eviction` names; answers how many entries went.
    pub fn evict(&mut self, eviction: &Eviction) -> usize {
        let ids: Vec<u64> = match eviction {
            Eviction::All => {
                let n = self.entries.len();
                *self = Store {
                    next_id: self.next_id,
                    ..Store::default()
                };
                return n;
            }
            Eviction::Token(hash) => self.derived_from(hash, true),
            Eviction::TokenOrphan(hash) => return self.evict_orphan(hash),
            Eviction::Accessor(hash) => self.matching(|e| {
                matches!(&e.held, Held::Token { accessor: Some(a), .. } if a == hash)
            }),
            Eviction::Lease(id) => self.matching(
                |e| matches!(&e.held, Held::Lease { lease_id, .. } if lease_id == id),
            ),
            Eviction::LeasePrefix(prefix) => self.matching(|e| {
                matches!(&e.held, Held::Lease { lease_id, .. } if lease_id.starts_with(prefix.as_str()))
            }),
            Eviction::RequestPath(prefix) => {
                self.matching(|e| e.request_path.starts_with(prefix.as_str()))
            }
        };
        self.remove_cascading(ids)
    }

    fn matching(&self, pred: impl Fn(&Entry) -> bool) -> Vec<u64> {
        self.entries
            .iter()
            .filter(|(_, e)| pred(e))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Leases made with the token and its child tokens (and, with `itself`, its own
    /// entry).
    fn derived_from(&self, hash: &TokenHash, itself: bool) -> Vec<u64> {
        self.matching(|e| match &e.held {
            Held::Lease { token_hash, .. } => token_hash == hash,
            Held::Token {
                token_hash, parent, ..
            } => parent.as_ref() == Some(hash) || (itself && token_hash == hash),
        })
    }

    fn evict_orphan(&mut self, hash: &TokenHash) -> usize {
        let ids = self.matching(|e| e.token_hash() == *hash);
        for e in self.entries.values_mut() {
            if let Held::Token { parent, .. } = &mut e.held {
                if parent.as_ref() == Some(hash) {
                    *parent = None;
                }
            }
        }
        let n = ids.len();
        for id in ids {
            self.remove(id);
        }
        n
    }

    /// Removes the entries and, for each token among them, all that derives from it.
    fn remove_cascading(&mut self, mut ids: Vec<u64>) -> usize {
        let mut n = 0;
        while let Some(id) = ids.pop() {
            let Some(entry) = self.remove(id) else {
                continue;
            };
            n += 1;
            if let Held::Token { token_hash, .. } = &entry.held {
                ids.extend(self.derived_from(token_hash, false));
            }
        }
        n
    }

    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.entries.remove(&id)?;
        if self.by_key.get(&entry.key) == Some(&id) {
            self.by_key.remove(&entry.key);
        }
        if let Some(at) = entry.renew_at {
            self.queue.remove(&(at, id));
        }
        Some(entry)
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
