use std::path::PathBuf;
use tresor_crypto::SecretString;

/// Where the server is and how to reach it.
#[derive(Debug, Clone)]
pub struct Settings {
    pub address: String,
    pub token: Option<SecretString>,
    pub ca_cert: Option<PathBuf>,
    pub skip_verify: bool,
    /// A client certificate and its key (PEM files) for TLS client authentication
    /// (`VAULT_CLIENT_CERT`, `VAULT_CLIENT_KEY`): the `cert` auth method's login.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

/// `TRESOR_<name>` first, then `VAULT_<name>`; empty values count as unset.
pub fn env(name: &str) -> Option<String> {
    [format!("TRESOR_{name}"), format!("VAULT_{name}")]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "t" | "true" | "yes"
    )
}

/// The token helper file the Vault CLI uses: `~/.vault-token`.
pub fn token_file() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".vault-token"))
}

impl Settings {
    pub fn from_env() -> Self {
        let token = env("TOKEN").map(SecretString::from).or_else(|| {
            let raw = std::fs::read_to_string(token_file()?).ok()?;
            let t = raw.trim();
            (!t.is_empty()).then(|| SecretString::from(t))
        });
        Self {
            token,
            ..Self::server_from_env()
        }
    }

    /// The server's address and TLS settings from the environment, without a token (the
    /// agent brings its own; neither `VAULT_TOKEN` nor the token file is read).
    pub fn server_from_env() -> Self {
        Self {
            address: env("ADDR").unwrap_or_else(|| "https://127.0.0.1:8200".to_owned()),
            token: None,
            ca_cert: env("CACERT").map(PathBuf::from),
            skip_verify: env("SKIP_VERIFY").is_some_and(|v| truthy(&v)),
            client_cert: env("CLIENT_CERT").map(PathBuf::from),
            client_key: env("CLIENT_KEY").map(PathBuf::from),
        }
    }
}
