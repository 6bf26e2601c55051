//! Browser logins in progress: what `oidc/auth_url` started, keyed by its `state`, kept
//! in memory for ten minutes (as Vault keeps them) and used at most once by
//! `oidc/callback`. The store is bounded; expired entries are dropped as new ones come.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};
use tresor_crypto::SecretString;

pub const TIMEOUT: Duration = Duration::from_secs(600);
const MAX_PENDING: usize = 10_000;

/// One pending login. The nonce and PKCE verifier are secrets until the callback.
#[derive(Debug, Clone)]
pub struct Pending {
    pub role: String,
    pub redirect_uri: String,
    pub nonce: SecretString,
    pub code_verifier: SecretString,
    pub client_nonce: SecretString,
    pub expires: SystemTime,
}

#[derive(Default)]
pub struct PendingStore {
    map: Mutex<HashMap<String, Pending>>,
}

impl std::fmt::Debug for PendingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingStore")
    }
}

impl PendingStore {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Pending>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `pending` under `state`; false when the store is full of live entries.
    pub fn insert(&self, state: String, pending: Pending, now: SystemTime) -> bool {
        let mut map = self.lock();
        if map.len() >= MAX_PENDING {
            map.retain(|_, p| p.expires > now);
            if map.len() >= MAX_PENDING {
                return false;
            }
        }
        map.insert(state, pending);
        true
    }

    /// Removes and answers the login `state` started, unless it expired.
    pub fn take(&self, state: &str, now: SystemTime) -> Option<Pending> {
        self.lock().remove(state).filter(|p| p.expires > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_are_used_once() {
        let store = PendingStore::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let p = Pending {
            role: "r".into(),
            redirect_uri: "u".into(),
            nonce: "n".into(),
            code_verifier: "v".into(),
            client_nonce: "".into(),
            expires: now + TIMEOUT,
        };
        assert!(store.insert("s1".into(), p.clone(), now));
        assert!(store.insert("s2".into(), p, now));
        assert_eq!(store.take("s1", now).map(|p| p.role), Some("r".into()));
        assert!(store.take("s1", now).is_none(), "single use");
        assert!(store.take("s2", now + TIMEOUT).is_none(), "expired");
    }
}
