//! The login of each method. Credentials read from files that are removed after reading
//! (AppRole secret IDs, JWTs) are kept in memory for the next login, as Vault Agent does.

use super::files::{read_credential, remove_credential};
use super::{token_of_auth, AuthError, Token};
use crate::config::{Method, MethodKind};
use serde_json::{json, Value};
use std::sync::Mutex;
use std::time::Duration;
use tresor_api::{Call, Client};
use tresor_crypto::SecretString;

/// Logs in with one method, against one server.
#[derive(Debug)]
pub struct Authenticator {
    method: Method,
    /// No token; for `cert`, presenting the method's client certificate.
    client: Client,
    /// The last credential read from a file that is removed after reading.
    kept: Mutex<Option<SecretString>>,
}

impl Authenticator {
    pub fn new(method: Method, client: Client) -> Self {
        Self {
            method,
            client,
            kept: Mutex::new(None),
        }
    }

    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The client logins go through; renewals use it too, so that a `cert` token is
    /// renewed over a connection presenting the same certificate.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn login_path(&self) -> String {
        format!("{}/login", self.method.mount_path)
    }

    async fn post_login(&self, body: &Value) -> Result<Token, AuthError> {
        let answer = self.client.put(&self.login_path(), body).await?;
        token_of_auth(answer)
    }

    /// A credential from `path`, removed after reading when `remove`, else the one kept
    /// from an earlier read.
    fn one_shot(
        &self,
        path: &std::path::Path,
        remove: bool,
        what: &str,
    ) -> Result<SecretString, AuthError> {
        let mut kept = self
            .kept
            .lock()
            .map_err(|_| AuthError::Credentials("poisoned".into()))?;
        match read_credential(path, what)? {
            Some(value) => {
                if remove {
                    remove_credential(path, what);
                }
                let value = SecretString::from(value);
                *kept = Some(value.clone());
                Ok(value)
            }
            None => kept.clone().ok_or_else(|| {
                AuthError::Credentials(format!("the {what} file {} does not exist", path.display()))
            }),
        }
    }

    /// One login attempt.
    pub async fn login(&self) -> Result<Token, AuthError> {
        match &self.method.kind {
            MethodKind::AppRole {
                role_id_file_path,
                secret_id_file_path,
                remove_secret_id_file_after_reading,
                secret_id_response_wrapping_path,
            } => {
                let role_id = read_credential(role_id_file_path, "role ID")?.ok_or_else(|| {
                    AuthError::Credentials(format!(
                        "the role ID file {} does not exist",
                        role_id_file_path.display()
                    ))
                })?;
                let mut body = serde_json::Map::new();
                body.insert("role_id".into(), Value::String(role_id));
                if let Some(path) = secret_id_file_path {
                    let mut secret_id =
                        self.one_shot(path, *remove_secret_id_file_after_reading, "secret ID")?;
                    if let Some(creation_path) = secret_id_response_wrapping_path {
                        secret_id = self.unwrap_secret_id(&secret_id, creation_path).await?;
                    }
                    body.insert(
                        "secret_id".into(),
                        Value::String(secret_id.expose().to_owned()),
                    );
                }
                self.post_login(&Value::Object(body)).await
            }
            MethodKind::Kubernetes { role, token_path } => {
                // Re-read every time: projected tokens rotate.
                let jwt =
                    read_credential(token_path, "service account token")?.ok_or_else(|| {
                        AuthError::Credentials(format!(
                            "the service account token file {} does not exist",
                            token_path.display()
                        ))
                    })?;
                self.post_login(&json!({ "role": role, "jwt": jwt })).await
            }
            MethodKind::Jwt {
                role,
                path,
                remove_jwt_after_reading,
            } => {
                let jwt = self.one_shot(path, *remove_jwt_after_reading, "JWT")?;
                self.post_login(&json!({ "role": role, "jwt": jwt.expose() }))
                    .await
            }
            MethodKind::Cert { name, .. } => {
                let body = match name {
                    Some(n) => json!({ "name": n }),
                    None => json!({}),
                };
                self.post_login(&body).await
            }
            MethodKind::TokenFile { token_file_path } => {
                let token = read_credential(token_file_path, "token")?.ok_or_else(|| {
                    AuthError::Credentials(format!(
                        "the token file {} does not exist",
                        token_file_path.display()
                    ))
                })?;
                let token = SecretString::from(token);
                let me = self
                    .client
                    .with_token(Some(token.clone()))
                    .get("auth/token/lookup-self")
                    .await?;
                let data = me.as_ref().and_then(|m| m.get("data"));
                let field = |k: &str| data.and_then(|d| d.get(k));
                Ok(Token {
                    token,
                    ttl: Duration::from_secs(field("ttl").and_then(Value::as_u64).unwrap_or(0)),
                    renewable: field("renewable").and_then(Value::as_bool).unwrap_or(false),
                })
            }
        }
    }

    /// A wrapped secret ID: the wrapping token must have been made at `creation_path`
    /// (so a token wrapping something else is refused), then it is unwrapped.
    async fn unwrap_secret_id(
        &self,
        wrapping: &SecretString,
        creation_path: &str,
    ) -> Result<SecretString, AuthError> {
        let lookup = self
            .client
            .put(
                "sys/wrapping/lookup",
                &json!({ "token": wrapping.expose() }),
            )
            .await?;
        let made_at = lookup
            .as_ref()
            .and_then(|l| l.pointer("/data/creation_path"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        if made_at.trim_matches('/') != creation_path.trim_matches('/') {
            return Err(AuthError::Credentials(format!(
                "the wrapped secret ID was made at {made_at:?}, not at {creation_path:?}"
            )));
        }
        let unwrapped = self
            .client
            .with_token(Some(wrapping.clone()))
            .call(Call::new("PUT", "sys/wrapping/unwrap"))
            .await?;
        unwrapped
            .as_ref()
            .and_then(|u| u.pointer("/data/secret_id"))
            .and_then(Value::as_str)
            .map(SecretString::from)
            .ok_or_else(|| AuthError::Credentials("the unwrapped answer has no secret_id".into()))
    }
}
