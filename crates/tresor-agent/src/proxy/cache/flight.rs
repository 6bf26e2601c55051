//! One request per key at a time: identical requests arriving together wait for the
//! first, then find its answer in the cache (so two replicas asking for credentials at
//! once share one lease), as Vault Agent's in-flight table does.

use super::key::CacheKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

#[derive(Debug, Default)]
pub struct Flights {
    map: Mutex<HashMap<CacheKey, Arc<AsyncMutex<()>>>>,
}

/// The right to handle one key; the key's slot goes with the last holder.
pub struct Flight<'a> {
    flights: &'a Flights,
    key: CacheKey,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Flights {
    pub async fn enter(&self, key: CacheKey) -> Flight<'_> {
        let lock = {
            let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
            map.entry(key).or_default().clone()
        };
        Flight {
            flights: self,
            key,
            guard: Some(lock.lock_owned().await),
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or_default()
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let mut map = self
            .flights
            .map
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Clones are only taken under the map's lock: two references (the map's and this
        // guard's) mean nobody waits.
        let last = self
            .guard
            .as_ref()
            .is_some_and(|g| Arc::strong_count(OwnedMutexGuard::mutex(g)) <= 2);
        if last {
            map.remove(&self.key);
        }
        self.guard = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn identical_keys_wait_and_slots_go() {
        let flights = Arc::new(Flights::default());
        let key = CacheKey::of(None, "GET", "/v1/a", None, None, b"");
        let first = flights.enter(key).await;
        let f = flights.clone();
        let waiter = tokio::spawn(async move {
            let _second = f.enter(key).await;
        });
        for _ in 0..5 {
            tokio::task::yield_now().await;
        }
        assert!(!waiter.is_finished());
        drop(first);
        assert!(waiter.await.is_ok());
        assert_eq!(flights.len(), 0);
    }
}
