//! Fetching one dependency of a template from the server: a read, a write (a `secret`
//! with parameters, `pkiCert`), or a list. KV version 2 paths written without `data/`
//! get it, as consul-template does.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use tresor_api::{ApiError, Call, Client};
use tresor_template::Dependency;

/// What the server answered for a dependency, and the lease terms that decide when it
/// is fetched again. Its Debug never shows the value.
#[derive(Clone)]
pub struct Answer {
    /// What the template sees (the secret's whole answer, a list of keys...).
    pub value: Value,
    pub lease_id: Option<String>,
    pub lease_secs: u64,
    pub renewable: bool,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("value", &"[redacted]")
            .field("lease_id", &self.lease_id)
            .field("lease_secs", &self.lease_secs)
            .field("renewable", &self.renewable)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("no secret exists at {0}")]
    Missing(String),
    #[error("{0}")]
    Other(String),
}

/// The KV version 2 mounts seen so far, by mount path (`None`: not KV v2).
#[derive(Debug, Default)]
pub struct Mounts(Mutex<HashMap<String, bool>>);

impl Mounts {
    /// The mount of `path` when it is a KV version 2 mount (asked once per mount).
    async fn kv2_mount(&self, client: &Client, path: &str) -> Option<String> {
        let with_slash = format!("{}/", path.trim_matches('/'));
        let known = self.0.lock().ok().and_then(|m| {
            m.iter()
                .find(|(mount, _)| with_slash.starts_with(mount.as_str()))
                .map(|(mount, v2)| (mount.clone(), *v2))
        });
        let (mount, v2) = match known {
            Some(found) => found,
            None => {
                let answer = client
                    .get(&format!(
                        "sys/internal/ui/mounts/{}",
                        path.trim_matches('/')
                    ))
                    .await
                    .ok()
                    .flatten()?;
                let data = answer.get("data")?;
                let mount = data.get("path").and_then(Value::as_str)?.to_owned();
                let v2 = data.pointer("/options/version").and_then(Value::as_str) == Some("2");
                if let Ok(mut m) = self.0.lock() {
                    m.insert(mount.clone(), v2);
                }
                (mount, v2)
            }
        };
        v2.then_some(mount)
    }

    /// `path` with `prefix` (`data/`, `metadata/`) after its KV v2 mount when it lacks it.
    async fn shim(&self, client: &Client, path: &str, prefix: &str) -> String {
        let path = path.trim_matches('/');
        let Some(mount) = self.kv2_mount(client, path).await else {
            return path.to_owned();
        };
        let rest = format!("{path}/")
            .strip_prefix(mount.as_str())
            .map(|r| r.trim_end_matches('/').to_owned())
            .unwrap_or_default();
        if rest.starts_with("data/")
            || rest.starts_with("metadata/")
            || rest == "data"
            || rest == "metadata"
        {
            return path.to_owned();
        }
        format!("{mount}{prefix}{rest}")
            .trim_end_matches('/')
            .to_owned()
    }
}

fn params_body(params: &[(String, String)]) -> Value {
    Value::Object(
        params
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect::<Map<String, Value>>(),
    )
}

fn leased(answer: Value) -> Answer {
    let lease_id = answer
        .get("lease_id")
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty())
        .map(str::to_owned);
    Answer {
        lease_secs: answer
            .get("lease_duration")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        renewable: answer
            .get("renewable")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        lease_id,
        value: answer,
    }
}

/// Fetches `dep` with `client` (which carries the agent's token).
pub async fn fetch(
    client: &Client,
    mounts: &Mounts,
    dep: &Dependency,
) -> Result<Answer, FetchError> {
    match dep {
        Dependency::Secret { path, params } if params.is_empty() => {
            let path = mounts.shim(client, path, "data/").await;
            let answer = client
                .read(Call::new("GET", &path))
                .await?
                .ok_or_else(|| FetchError::Missing(path.clone()))?;
            Ok(leased(answer))
        }
        Dependency::Secret { path, params } => {
            let answer = client
                .put(path.trim_matches('/'), &params_body(params))
                .await?
                .ok_or_else(|| FetchError::Missing(path.clone()))?;
            Ok(leased(answer))
        }
        Dependency::Secrets { path } => {
            // Listing a KV v2 mount goes through metadata/.
            let path = mounts.shim(client, path, "metadata/").await;
            let keys = client
                .read(Call::new("LIST", &path))
                .await?
                .and_then(|a| a.pointer("/data/keys").cloned())
                .unwrap_or(Value::Array(Vec::new()));
            Ok(Answer {
                value: keys,
                lease_id: None,
                lease_secs: 0,
                renewable: false,
            })
        }
        Dependency::PkiCert { path, params } => {
            let answer = client
                .put(path.trim_matches('/'), &params_body(params))
                .await?
                .ok_or_else(|| FetchError::Missing(path.clone()))?;
            let data = answer.get("data").cloned().unwrap_or(Value::Null);
            let field = |k: &str| data.get(k).cloned().unwrap_or(Value::Null);
            let expires = data.get("expiration").and_then(Value::as_u64).unwrap_or(0);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let cert = serde_json::json!({
                "cert": field("certificate"),
                "key": field("private_key"),
                "ca": field("issuing_ca"),
                "ca_chain": field("ca_chain"),
            });
            Ok(Answer {
                value: cert,
                lease_id: None,
                lease_secs: expires.saturating_sub(now),
                renewable: false,
            })
        }
        Dependency::File { path } => {
            let text = tokio::fs::read_to_string(path)
                .await
                .map_err(|e| FetchError::Other(format!("reading {path}: {e}")))?;
            Ok(Answer {
                value: Value::String(text),
                lease_id: None,
                lease_secs: 0,
                renewable: false,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let a = Answer {
            value: serde_json::json!({"data": {"password": "hunter2"}}),
            lease_id: Some("db/creds/app/x".into()),
            lease_secs: 60,
            renewable: true,
        };
        let shown = format!("{a:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("db/creds/app/x"),
            "{shown}"
        );
    }
}
