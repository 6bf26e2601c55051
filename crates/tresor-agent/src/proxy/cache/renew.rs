//! Renewing cached leases and tokens: one task, woken at the nearest deadline of the
//! store's queue (or when an entry is added); each renewal runs as its own subtask.

use super::lease_cache::LeaseCache;
use super::store::{RenewJob, Renewal, Renewing};
use crate::proxy::upstream::Upstream;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How long the renewer sleeps when nothing is queued (an addition wakes it sooner).
const IDLE: Duration = Duration::from_secs(3600);

/// The renewal loop; dropping it stops the renewals under way.
pub async fn renewer(cache: Arc<LeaseCache>) -> Infallible {
    let mut running = JoinSet::new();
    loop {
        for job in cache.due(Instant::now()) {
            let cache = cache.clone();
            running.spawn(async move {
                let renewal = renew(&cache.upstream, &job).await;
                cache.renewed(job.id, renewal, Instant::now());
            });
        }
        let next = cache
            .next_deadline()
            .unwrap_or_else(|| Instant::now() + IDLE);
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = cache.changed() => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
}

impl LeaseCache {
    /// Makes the renewals due at `now`, one after the other, with `now` as their time
    /// (for tests: a clock moved forward instead of sleeping).
    #[cfg(test)]
    pub async fn renew_due(&self, now: Instant) {
        for job in self.due(now) {
            let renewal = renew(&self.upstream, &job).await;
            self.renewed(job.id, renewal, now);
        }
    }
}

/// One renewal: `sys/leases/renew` with the lease's token, or `auth/token/renew-self`
/// with the token itself, asking for the first duration again.
pub async fn renew(upstream: &Upstream, job: &RenewJob) -> Renewal {
    let increment = job.increment.as_secs();
    let ns = job.namespace.as_deref();
    let answer = match &job.what {
        Renewing::Lease { lease_id, token } => {
            let body = json!({ "lease_id": lease_id, "increment": increment });
            upstream
                .put_json("sys/leases/renew", token, ns, &body)
                .await
        }
        Renewing::Token { token } => {
            let body = json!({ "increment": increment });
            upstream
                .put_json("auth/token/renew-self", token, ns, &body)
                .await
                .and_then(|v| v.get("auth").cloned())
        }
    };
    let Some(answer) = answer else {
        tracing::debug!("a cached lease could not be renewed; it is evicted");
        return Renewal::Failed;
    };
    match answer.get("lease_duration").and_then(Value::as_u64) {
        Some(secs) => Renewal::Renewed {
            duration: Duration::from_secs(secs),
            renewable: answer.get("renewable").and_then(Value::as_bool) == Some(true),
        },
        None => Renewal::Failed,
    }
}
