//! What AppRole stores: roles, the role-ID index, secret IDs and their accessors (see
//! [`super::keys`] for where).

use super::keys::{hmac_hex, key_from_hex, secret_key};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;
use tresor_sdk::stored::get_json;
use tresor_sdk::token_params::TokenParams;
use tresor_sdk::{parse_rfc3339, Data, Error, Value};
use tresor_storage::View;

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RoleEntry {
    pub name: String,
    pub role_id: String,
    /// Hex; keys the HMACs of this role's name and secret IDs.
    pub hmac_key: String,
    pub bind_secret_id: bool,
    pub secret_id_bound_cidrs: Vec<String>,
    pub secret_id_num_uses: u64,
    pub secret_id_ttl: u64,
    pub local_secret_ids: bool,
    pub token: TokenParams,
}

impl fmt::Debug for RoleEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleEntry")
            .field("name", &self.name)
            .field("role_id", &"[redacted]")
            .field("hmac_key", &"[redacted]")
            .field("bind_secret_id", &self.bind_secret_id)
            .finish_non_exhaustive()
    }
}

impl RoleEntry {
    pub fn has_constraint(&self) -> bool {
        self.bind_secret_id
            || !self.secret_id_bound_cidrs.is_empty()
            || !self.token.bound_cidrs.is_empty()
    }

    /// `secret_id/<hmac(name)>/`: where this role's secret IDs live.
    pub fn secret_prefix(&self) -> Result<String, Error> {
        let key = key_from_hex(&self.hmac_key)?;
        Ok(format!("secret_id/{}/", hmac_hex(&key, &self.name)))
    }

    /// The HMAC of the role's name and the storage key of `secret_id` under the role.
    pub fn locate(&self, secret_id: &str) -> Result<(String, String), Error> {
        let key = key_from_hex(&self.hmac_key)?;
        let (role_hmac, secret_hmac) = (hmac_hex(&key, &self.name), hmac_hex(&key, secret_id));
        Ok((secret_hmac.clone(), secret_key(&role_hmac, &secret_hmac)))
    }

    pub fn role_name_hmac(&self) -> Result<String, Error> {
        Ok(hmac_hex(&key_from_hex(&self.hmac_key)?, &self.name))
    }

    /// Vault's read output.
    pub fn to_data(&self) -> Data {
        let mut d = Data::new();
        d.insert("bind_secret_id".into(), self.bind_secret_id.into());
        d.insert("local_secret_ids".into(), self.local_secret_ids.into());
        let cidrs = &self.secret_id_bound_cidrs;
        let cidrs = if cidrs.is_empty() {
            Value::Null
        } else {
            cidrs.clone().into()
        };
        d.insert("secret_id_bound_cidrs".into(), cidrs);
        d.insert("secret_id_num_uses".into(), self.secret_id_num_uses.into());
        d.insert("secret_id_ttl".into(), self.secret_id_ttl.into());
        self.token.to_data(&mut d);
        d
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RoleIdEntry {
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SecretIdEntry {
    pub secret_id_accessor: String,
    pub secret_id_num_uses: u64,
    pub secret_id_ttl: u64,
    pub creation_time: String,
    /// Empty: never expires.
    pub expiration_time: String,
    pub last_updated_time: String,
    pub metadata: BTreeMap<String, String>,
    pub cidr_list: Vec<String>,
    pub token_bound_cidrs: Vec<String>,
}

/// Go's zero time, which Vault shows for a secret ID that never expires.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

impl SecretIdEntry {
    /// Expired: an expiration time that has come (or that does not parse).
    pub fn expired(&self, now: SystemTime) -> bool {
        !self.expiration_time.is_empty()
            && parse_rfc3339(&self.expiration_time).is_none_or(|t| t <= now)
    }

    pub fn to_data(&self) -> Data {
        let mut d = Data::new();
        d.insert("cidr_list".into(), self.cidr_list.clone().into());
        d.insert("creation_time".into(), self.creation_time.clone().into());
        let exp = if self.expiration_time.is_empty() {
            ZERO_TIME
        } else {
            &self.expiration_time
        };
        d.insert("expiration_time".into(), exp.into());
        d.insert(
            "last_updated_time".into(),
            self.last_updated_time.clone().into(),
        );
        d.insert("metadata".into(), serde_json::json!(self.metadata));
        d.insert(
            "secret_id_accessor".into(),
            self.secret_id_accessor.clone().into(),
        );
        d.insert("secret_id_num_uses".into(), self.secret_id_num_uses.into());
        d.insert("secret_id_ttl".into(), self.secret_id_ttl.into());
        d.insert(
            "token_bound_cidrs".into(),
            self.token_bound_cidrs.clone().into(),
        );
        d
    }
}

/// An accessor's index entry: the HMACs locating its secret ID.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccessorEntry {
    pub secret_id_hmac: String,
    pub role_name_hmac: String,
}

pub fn role_key(name: &str) -> String {
    format!("role/{name}")
}

pub async fn load_role(storage: &View, name: &str) -> Result<Option<RoleEntry>, Error> {
    get_json(storage, &role_key(name)).await
}
