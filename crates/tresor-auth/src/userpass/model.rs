//! What userpass stores: one entry per user, under `user/<lower-cased name>`.

use super::password::StoredHash;
use serde::{Deserialize, Serialize};
use std::fmt;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::token_params::TokenParams;
use tresor_sdk::Error;
use tresor_storage::View;

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserEntry {
    pub password_hash: Option<StoredHash>,
    pub token: TokenParams,
}

impl fmt::Debug for UserEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserEntry")
            .field("password_hash", &self.password_hash)
            .field("token", &self.token)
            .finish()
    }
}

pub fn user_key(name: &str) -> String {
    format!("user/{name}")
}

pub async fn load(storage: &View, name: &str) -> Result<Option<UserEntry>, Error> {
    get_json(storage, &user_key(name)).await
}

pub async fn save(storage: &View, name: &str, user: &UserEntry) -> Result<(), Error> {
    put_json(storage, &user_key(name), user).await
}
