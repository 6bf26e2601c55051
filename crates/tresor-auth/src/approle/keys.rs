//! The HMACs AppRole stores instead of credentials, and the storage keys built on them:
//!
//! - `salt`: the per-mount salt (32 random bytes);
//! - `role/<name>`: a role, with its random HMAC key;
//! - `role_id/<hmac_salt(role_id)>`: which role a role ID belongs to;
//! - `secret_id/<hmac_role(name)>/<hmac_role(secret_id)>`: a secret ID's properties;
//! - `accessor/<hmac_salt(accessor)>`: which secret ID (and role) an accessor names.

use super::AppRole;
use serde::{Deserialize, Serialize};
use tresor_crypto::digest::HmacKey;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::Error;

/// Vault's limit on an HMAC input (role names, secret IDs).
pub const MAX_HMAC_INPUT: usize = 4096;
const SALT_KEY: &str = "salt";

#[derive(Serialize, Deserialize)]
struct StoredSalt {
    salt: String,
}

pub fn random_hex(len: usize) -> Result<String, Error> {
    tresor_crypto::random::bytes(len)
        .map(hex::encode)
        .map_err(|e| Error::internal(e.to_string()))
}

/// The hex HMAC-SHA256 of `value` under `key`.
pub fn hmac_hex(key: &HmacKey, value: &str) -> String {
    hex::encode(key.sign(value.as_bytes()))
}

/// A key stored as hex (a role's HMAC key, the salt).
pub fn key_from_hex(hex_key: &str) -> Result<HmacKey, Error> {
    hex::decode(hex_key)
        .ok()
        .filter(|k| k.len() >= 16)
        .map(|k| HmacKey::new(&k))
        .ok_or_else(|| Error::internal("a stored HMAC key does not decode"))
}

impl AppRole {
    /// The mount's salt, made and stored on first use.
    pub(super) async fn salt(&self) -> Result<&HmacKey, Error> {
        self.salt
            .get_or_try_init(|| async {
                if let Some(s) = get_json::<StoredSalt>(&self.storage, SALT_KEY).await? {
                    return key_from_hex(&s.salt);
                }
                let salt = random_hex(32)?;
                put_json(&self.storage, SALT_KEY, &StoredSalt { salt: salt.clone() }).await?;
                key_from_hex(&salt)
            })
            .await
    }

    pub(super) async fn role_id_key(&self, role_id: &str) -> Result<String, Error> {
        Ok(format!("role_id/{}", hmac_hex(self.salt().await?, role_id)))
    }

    pub(super) async fn accessor_key(&self, accessor: &str) -> Result<String, Error> {
        Ok(format!(
            "accessor/{}",
            hmac_hex(self.salt().await?, accessor)
        ))
    }
}

pub fn secret_key(role_name_hmac: &str, secret_id_hmac: &str) -> String {
    format!("secret_id/{role_name_hmac}/{secret_id_hmac}")
}
