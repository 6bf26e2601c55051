//! `kv`: version 1 (one value per path) or version 2 (versioned, with metadata), chosen by
//! the mount's `version` option. Tuning a v1 mount to `version=2` upgrades it in place.

pub(crate) mod v1;
mod v2;

use std::sync::Arc;
use tresor_sdk::{Error, LogicalBackend, MountContext};

pub fn factory(ctx: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    match ctx.info.options.get("version").map(String::as_str) {
        None | Some("") | Some("1") => Ok(Arc::new(v1::KvV1::new(ctx))),
        Some("2") => Ok(Arc::new(v2::KvV2::new(ctx))),
        Some(other) => Err(Error::bad_request(format!(
            "unsupported kv version {other:?}"
        ))),
    }
}
