//! Password hashes. New passwords get argon2id; bcrypt hashes (imported through
//! `password_hash`, as OpenBao allows) are accepted and replaced by argon2id at the next
//! good login. Hashing is CPU-heavy: it runs on the blocking pool.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use serde::{Deserialize, Serialize};
use std::fmt;
use tresor_crypto::SecretString;
use tresor_sdk::Error;

/// The argon2id hash, made with [`hasher`]'s parameters, of a random password that was
/// thrown away. An unknown user's login is checked against it, so that it costs exactly
/// what a wrong password costs (a test keeps its parameters equal to [`hasher`]'s).
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$AJmOzGPShqsIlm8PjtVoXA$JGd7IJiU8VookRR+QnWoKNUcOpVyozIp3MBeKDpYKFs";

/// Bcrypt costs accepted on import (OpenBao's bounds).
const BCRYPT_MIN_COST: u32 = 5;
const BCRYPT_MAX_COST: u32 = 12;

/// A stored password hash (PHC argon2id or bcrypt); never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredHash(String);

impl fmt::Debug for StoredHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredHash([redacted])")
    }
}

impl StoredHash {
    pub fn is_bcrypt(&self) -> bool {
        is_bcrypt(&self.0)
    }
}

fn is_bcrypt(h: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"].iter().any(|p| h.starts_with(p))
}

/// Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane).
fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

#[cfg(test)]
pub static DUMMY_CHECKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn argon2_matches(password: &[u8], hash: &str) -> bool {
    hasher().verify_password(password, hash).is_ok()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| Error::internal("the password hashing task failed"))
}

/// A new argon2id hash of `password`, with a random salt.
pub async fn hash(password: SecretString) -> Result<StoredHash, Error> {
    let mut salt = [0u8; 16];
    tresor_crypto::random::fill(&mut salt).map_err(|e| Error::internal(e.to_string()))?;
    blocking(move || {
        hasher()
            .hash_password_with_salt(password.expose().as_bytes(), &salt)
            .map(|h| StoredHash(h.to_string()))
            .map_err(|_| Error::internal("argon2 hashing failed"))
    })
    .await?
}

/// Whether `password` matches `stored`. With no usable hash (an unknown user) the
/// password is still checked, against [`DUMMY_HASH`], and the answer is no.
pub async fn verify(password: SecretString, stored: Option<StoredHash>) -> Result<bool, Error> {
    blocking(move || {
        let pw = password.expose().as_bytes();
        match stored.as_ref().map(|s| s.0.as_str()) {
            Some(h) if h.starts_with("$argon2id$") => argon2_matches(pw, h),
            Some(h) if is_bcrypt(h) => bcrypt::verify(pw, h).unwrap_or(false),
            _ => {
                #[cfg(test)]
                DUMMY_CHECKS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = argon2_matches(pw, DUMMY_HASH);
                false
            }
        }
    })
    .await
}

/// A bcrypt hash given on import, checked as OpenBao checks it.
pub fn import_bcrypt(hash: &str) -> Result<StoredHash, Error> {
    let parts: bcrypt::HashParts = hash
        .parse()
        .ok()
        .filter(|_| is_bcrypt(hash))
        .ok_or_else(|| Error::bad_request("password_hash is not a valid bcrypt hash"))?;
    let cost = parts.get_cost();
    if cost < BCRYPT_MIN_COST {
        return Err(Error::bad_request(format!(
            "bcrypt cost of {cost} is too low, want {BCRYPT_MIN_COST} at minimum"
        )));
    }
    if cost > BCRYPT_MAX_COST {
        return Err(Error::bad_request(format!(
            "bcrypt cost of {cost} exceeds maximum cost of {BCRYPT_MAX_COST}"
        )));
    }
    Ok(StoredHash(hash.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::phc::PasswordHash;

    #[test]
    fn dummy_hash_costs_what_a_real_one_costs() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(dummy.algorithm.as_str(), "argon2id");
        let params = Params::try_from(&dummy).unwrap();
        let ours = Params::default();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (ours.m_cost(), ours.t_cost(), ours.p_cost())
        );
    }

    #[tokio::test]
    async fn argon2_round_trip_and_redacted_debug() {
        let h = hash("hunter2".into()).await.unwrap();
        assert!(h.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("hunter2".into(), Some(h.clone())).await.unwrap());
        assert!(!verify("hunter3".into(), Some(h.clone())).await.unwrap());
        assert_eq!(format!("{h:?}"), "StoredHash([redacted])");
        assert_ne!(hash("hunter2".into()).await.unwrap(), h, "salted");
    }

    #[tokio::test]
    async fn bcrypt_imports() {
        // Cost 4 is refused, cost 5 accepted.
        let low = bcrypt::hash("pw", 4).unwrap();
        assert!(import_bcrypt(&low)
            .unwrap_err()
            .to_string()
            .contains("too low"));
        let ok = import_bcrypt(&bcrypt::hash("pw", 5).unwrap()).unwrap();
        assert!(ok.is_bcrypt());
        assert!(verify("pw".into(), Some(ok.clone())).await.unwrap());
        assert!(!verify("nope".into(), Some(ok)).await.unwrap());
        let high = "$2b$13$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie";
        assert!(import_bcrypt(high)
            .unwrap_err()
            .to_string()
            .contains("exceeds"));
        for bad in [
            "",
            "plain",
            "$argon2id$v=19$m=19456,t=2,p=1$x$y",
            "$2x$05$aaaa",
        ] {
            assert_eq!(
                import_bcrypt(bad).unwrap_err().to_string(),
                "password_hash is not a valid bcrypt hash"
            );
        }
    }

    #[tokio::test]
    async fn unknown_users_check_the_dummy() {
        use std::sync::atomic::Ordering;
        let before = DUMMY_CHECKS.load(Ordering::SeqCst);
        assert!(!verify("x".into(), None).await.unwrap());
        assert!(DUMMY_CHECKS.load(Ordering::SeqCst) > before);
    }
}
