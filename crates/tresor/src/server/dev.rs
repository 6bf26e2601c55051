//! `-dev`: an in-memory server, initialised with one share and unsealed at start.

use crate::cli::ServerArgs;
use crate::config::{Config, Listener, Storage};
use tresor_core::{Core, InitRequest};
use tresor_crypto::SecretString;
use tresor_sdk::{Operation, Request};

/// What dev mode prints so the user can seal, unseal and log in.
pub struct DevKeys {
    pub unseal_key_b64: String,
    pub root_token: SecretString,
}

/// The dev configuration; `-config` files given with `-dev` add their audit devices and
/// settings (storage and listeners stay the dev ones).
pub fn config(args: &ServerArgs, extra: &Config) -> Config {
    Config {
        unsafe_allow_api_audit_creation: extra.unsafe_allow_api_audit_creation,
        audit: extra.audit.clone(),
        default_lease_ttl: extra.default_lease_ttl,
        max_lease_ttl: extra.max_lease_ttl,
        log_level: extra.log_level.clone(),
        storage: Some(Storage::Inmem),
        listeners: vec![Listener {
            address: args.dev_listen_address.clone(),
            cluster_address: None,
            tls_disable: true,
            tls_cert_file: None,
            tls_key_file: None,
            tls_min_version: None,
        }],
        disable_mlock: true,
        ..Config::default()
    }
}

pub async fn initialize(core: &Core, args: &ServerArgs) -> anyhow::Result<DevKeys> {
    let result = core
        .initialize(InitRequest {
            secret_shares: 1,
            secret_threshold: 1,
            root_token_id: args.dev_root_token_id.clone().map(SecretString::from),
            dev: true,
        })
        .await?;
    let key = result
        .shares
        .first()
        .ok_or_else(|| anyhow::anyhow!("init returned no key share"))?;
    core.unseal_with_key(key).await?;
    mount_secret_kv_v2(core, &result.root_token).await?;
    write_token_helper(&result.root_token);
    use base64::Engine;
    Ok(DevKeys {
        unseal_key_b64: base64::engine::general_purpose::STANDARD.encode(key.expose()),
        root_token: result.root_token,
    })
}

/// Like Vault's dev mode, logs the CLI in by writing the token helper file (mode 0600).
fn write_token_helper(token: &SecretString) {
    let Some(path) = tresor_api::token_file() else {
        return;
    };
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let written = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut f| f.write_all(token.expose().as_bytes()));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "could not write the token helper file");
    }
}

/// Dev mode mounts `secret/` as KV version 2, as Vault's does.
async fn mount_secret_kv_v2(core: &Core, root: &SecretString) -> anyhow::Result<()> {
    let mut body = tresor_sdk::Data::new();
    body.insert("type".into(), "kv".into());
    body.insert("description".into(), "key/value secret storage".into());
    body.insert("options".into(), serde_json::json!({ "version": "2" }));
    let req = Request::new(Operation::Update, "sys/mounts/secret")
        .with_data(body)
        .with_token(root.clone());
    core.handle(req).await?;
    Ok(())
}
