//! What the server prints at start-up.

use super::dev::DevKeys;
use crate::config::{Config, Listener, Storage};

pub fn print(config: &Config, storage: &Storage, dev: bool) {
    let mut rows: Vec<(String, String)> = Vec::new();
    if let Some(api) = &config.api_addr {
        rows.push(("Api Address".into(), api.clone()));
    }
    for (i, l) in config.listeners.iter().enumerate() {
        let tls = if l.tls_disable { "disabled" } else { "enabled" };
        rows.push((
            format!("Listener {}", i + 1),
            format!(
                "tcp (addr: {:?}, max_request_size: \"{}\", tls: {tls:?})",
                l.address,
                tresor_http::MAX_BODY_BYTES
            ),
        ));
    }
    rows.push((
        "Log Level".into(),
        config.log_level.clone().unwrap_or_else(|| "info".into()),
    ));
    rows.push((
        "Mlock".into(),
        if config.disable_mlock || dev {
            "disabled".into()
        } else {
            "enabled".into()
        },
    ));
    rows.push(("Storage".into(), storage.type_name().into()));
    rows.push((
        "Version".into(),
        format!("tresor {}", tresor_core::version::version()),
    ));
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 3;
    println!("==> tresor server configuration:\n");
    for (k, v) in rows {
        println!("{k:>width$}: {v}");
    }
    println!("\n==> tresor server started! Log data will stream in below:\n");
}

pub fn print_dev(listener: &Listener, keys: &DevKeys) {
    println!(
        "WARNING! dev mode is enabled! In this mode, tresor runs entirely in memory\n\
         and starts unsealed with a single unseal key. The root token is already\n\
         authenticated to the CLI, so you can immediately begin using tresor.\n\n\
         You may need to set the following environment variables:\n\n    \
         $ export VAULT_ADDR='http://{addr}'\n\n\
         The unseal key and root token are displayed below in case you want to\n\
         seal/unseal tresor or re-authenticate.\n\n\
         Unseal Key: {key}\n\
         Root Token: {token}\n\n\
         Development mode should NOT be used in production installations!\n",
        addr = listener.address,
        key = keys.unseal_key_b64,
        token = keys.root_token.expose(),
    );
}
