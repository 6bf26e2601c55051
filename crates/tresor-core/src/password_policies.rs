//! Password policies (`sys/policies/password/<name>`), stored behind the barrier under
//! `sys/password_policy/`, and the system view through which engines generate passwords
//! from them.

mod policy;

pub use policy::PasswordPolicy;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tresor_crypto::SecretString;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::{Error, SystemView};
use tresor_storage::{Backend, View};

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    policy: String,
}

#[derive(Debug, Clone)]
pub struct PasswordPolicies {
    view: View,
}

/// Names are single path segments.
fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.contains('/') || name.contains("..") {
        return Err(Error::bad_request("missing policy name"));
    }
    Ok(())
}

impl PasswordPolicies {
    pub fn new(storage: Arc<dyn Backend>) -> Self {
        Self {
            view: View::new(storage, "sys/password_policy/"),
        }
    }

    /// Stores a policy after checking it can produce passwords; `text` may be base64.
    pub async fn put(&self, name: &str, text: &str) -> Result<(), Error> {
        check_name(name)?;
        if text.is_empty() {
            return Err(Error::bad_request("missing policy"));
        }
        use base64::Engine;
        let text = base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_else(|| text.to_owned());
        PasswordPolicy::parse(&text)?;
        put_json(&self.view, name, &Stored { policy: text }).await
    }

    /// The policy's text as written; `None` when it does not exist.
    pub async fn get(&self, name: &str) -> Result<Option<String>, Error> {
        check_name(name)?;
        Ok(get_json::<Stored>(&self.view, name)
            .await?
            .map(|s| s.policy))
    }

    pub async fn delete(&self, name: &str) -> Result<(), Error> {
        check_name(name)?;
        Ok(self.view.delete(name).await?)
    }

    pub async fn list(&self) -> Result<Vec<String>, Error> {
        Ok(self.view.list("").await?)
    }

    /// A password from the named policy; the empty name is the default policy.
    pub async fn generate(&self, name: &str) -> Result<SecretString, Error> {
        if name.is_empty() {
            return PasswordPolicy::default_policy().generate();
        }
        let text = self.get(name).await?.ok_or_else(|| {
            Error::bad_request(format!("password policy {name:?} does not exist"))
        })?;
        PasswordPolicy::parse(&text)
            .map_err(|_| Error::internal("stored password policy configuration failed to parse"))?
            .generate()
    }
}

#[async_trait]
impl SystemView for PasswordPolicies {
    async fn generate_password(&self, policy: &str) -> Result<SecretString, Error> {
        self.generate(policy).await
    }
}
