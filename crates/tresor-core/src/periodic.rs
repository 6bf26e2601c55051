//! Scheduled work of the mounted backends: every few seconds while unsealed, each
//! backend's `periodic` runs (rotating static credentials, rolling back abandoned
//! creations). One task; it ends when the core seals.

use crate::core::{Core, Unsealed};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tresor_sdk::Error;

/// How often the backends' periodic work runs.
pub const INTERVAL: Duration = Duration::from_secs(5);

impl Unsealed {
    /// Runs every backend's periodic work once; one backend's failure does not stop
    /// the others.
    pub(crate) async fn run_periodic(&self) {
        let router = self.mounts.router();
        for mounted in router.mounts() {
            let Some(backend) = &mounted.backend else {
                continue;
            };
            if let Err(e) = backend.periodic().await {
                tracing::warn!(mount = %mounted.route, error = %e, "periodic work failed");
            }
        }
    }
}

impl Core {
    /// Runs the backends' periodic work now (the core does it on its own every
    /// [`INTERVAL`]; tests that move an injected clock call this).
    pub async fn run_periodic(&self) -> Result<(), Error> {
        self.state()?.run_periodic().await;
        Ok(())
    }
}

pub(crate) fn spawn(state: &Arc<Unsealed>) {
    let weak: Weak<Unsealed> = Arc::downgrade(state);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(INTERVAL).await;
            let Some(state) = weak.upgrade() else {
                return;
            };
            state.run_periodic().await;
        }
    });
}
