//! The one task that expires leases: it rebuilds the queue from storage, then sleeps
//! until the earliest deadline (or until woken by an earlier one) and revokes what is due.
//! It holds the unsealed state only while it works, and ends when the core seals.

use crate::core::Unsealed;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tresor_sdk::{Clock, ErrorKind};

/// The longest sleep: a wall clock that jumps is noticed within this.
const MAX_PAUSE_SECS: i64 = 60;

pub(crate) fn spawn(state: &Arc<Unsealed>, clock: Arc<dyn Clock>) {
    let weak = Arc::downgrade(state);
    let wake = state.expiration.wake.clone();
    tokio::spawn(async move {
        if let Some(state) = weak.upgrade() {
            let started = std::time::Instant::now();
            match state.expiration.restore().await {
                Ok(n) => tracing::info!(
                    leases = n,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "leases restored"
                ),
                Err(e) if e.kind() == ErrorKind::Sealed => return,
                Err(e) => tracing::error!(error = %e, "restoring leases failed"),
            }
        }
        while let Some(pause) = pass(&weak, clock.as_ref()).await {
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = wake.notified() => {}
            }
        }
    });
}

/// One pass: revokes what is due and says how long to sleep; `None` once sealed.
async fn pass(weak: &Weak<Unsealed>, clock: &dyn Clock) -> Option<Duration> {
    let state = weak.upgrade()?;
    if let Err(e) = state.expire_due(clock.unix()).await {
        if e.kind() == ErrorKind::Sealed {
            return None;
        }
        tracing::warn!(error = %e, "expiring leases failed");
    }
    let pause = state
        .expiration
        .next_deadline()
        .map_or(MAX_PAUSE_SECS, |at| at.saturating_sub(clock.unix()))
        .clamp(1, MAX_PAUSE_SECS);
    Some(Duration::from_secs(u64::try_from(pause).unwrap_or(1)))
}
