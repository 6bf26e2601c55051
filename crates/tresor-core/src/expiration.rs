//! The expiration manager: every lease (a secret with a TTL, a service token) is stored
//! under `sys/expire/` behind the barrier and kept in one deadline-ordered queue; one task
//! sleeps until the earliest deadline and revokes what is due (no timer per lease, no
//! polling). Storage is the source of truth: the queue is rebuilt from it in the
//! background after unseal, so a million leases do not hold unseal up.
//!
//! Layout: `id/<lease id>` the entry (lease ids are paths, so `LIST` works by prefix);
//! `token/<owner sid>/<sha256 of lease id>` the lease id, to revoke a token's leases.

mod entry;
mod operations;
mod queue;
mod task;

pub use entry::{token_lease_id, LeaseEntry, Leased};
pub(crate) use task::spawn;

use entry::Deadline;
use queue::Queue;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;
use tresor_sdk::stored::{encode, get_json};
use tresor_sdk::Error;
use tresor_storage::{Backend, Op, View};

/// Leases revoked per pass of the task, so one pass never holds the state for long.
const BATCH: usize = 256;
/// Leases read per page when the queue is rebuilt after unseal.
const RESTORE_PAGE: usize = 2048;

#[derive(Debug)]
pub struct Expiration {
    view: View,
    queue: Mutex<Queue>,
    wake: Arc<Notify>,
    restored: AtomicBool,
    /// Failed revocations so far, by lease: each retry waits twice as long.
    failures: Mutex<std::collections::HashMap<String, u32>>,
}

/// The first retry of a failed revocation, and the longest wait between retries.
const RETRY_FIRST_SECS: i64 = 30;
const RETRY_MAX_SECS: i64 = 3600;

fn owner_key(owner: &str, id: &str) -> String {
    format!(
        "token/{owner}/{}",
        hex::encode(tresor_crypto::digest::sha256(id.as_bytes()))
    )
}

impl Expiration {
    pub fn new(storage: Arc<dyn Backend>) -> Self {
        Self {
            view: View::new(storage, "sys/expire/"),
            queue: Mutex::new(Queue::default()),
            wake: Arc::new(Notify::new()),
            restored: AtomicBool::new(false),
            failures: Mutex::new(std::collections::HashMap::new()),
        }
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn schedule(&self, id: &str, at: i64) {
        if self.queue().schedule(id, at) {
            self.wake.notify_one();
        }
    }

    /// Schedules many leases under one lock.
    fn schedule_all<'a>(&self, deadlines: impl IntoIterator<Item = (&'a str, i64)>) {
        let mut queue = self.queue();
        let mut earliest = false;
        for (id, at) in deadlines {
            earliest |= queue.schedule(id, at);
        }
        drop(queue);
        if earliest {
            self.wake.notify_one();
        }
    }

    /// Stores a lease (new or renewed) and schedules its expiry.
    pub async fn put(&self, entry: &LeaseEntry) -> Result<(), Error> {
        self.put_all(std::slice::from_ref(entry)).await
    }

    /// Stores leases in one atomic batch and schedules their expiries.
    pub async fn put_all(&self, entries: &[LeaseEntry]) -> Result<(), Error> {
        let mut ops = Vec::with_capacity(entries.len() * 2);
        for entry in entries {
            ops.push(Op::Put {
                key: format!("id/{}", entry.id),
                value: encode(entry)?,
            });
            if let Some(owner) = &entry.owner {
                ops.push(Op::Put {
                    key: owner_key(owner, &entry.id),
                    value: entry.id.clone().into_bytes(),
                });
            }
        }
        self.view.batch(ops).await?;
        self.schedule_all(entries.iter().map(|e| (e.id.as_str(), e.expire_time)));
        Ok(())
    }

    pub async fn get(&self, id: &str) -> Result<Option<LeaseEntry>, Error> {
        if !valid_id(id) {
            return Ok(None);
        }
        get_json(&self.view, &format!("id/{id}")).await
    }

    /// Forgets a lease (its secret is revoked, or forced away).
    pub async fn remove(&self, entry: &LeaseEntry) -> Result<(), Error> {
        let mut ops = vec![Op::Delete {
            key: format!("id/{}", entry.id),
        }];
        if let Some(owner) = &entry.owner {
            ops.push(Op::Delete {
                key: owner_key(owner, &entry.id),
            });
        }
        self.view.batch(ops).await?;
        self.queue().cancel(&entry.id);
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&entry.id);
        Ok(())
    }

    /// Schedules a lease again at `at` (it was renewed since it was queued).
    pub fn retry_at(&self, id: &str, at: i64) {
        self.schedule(id, at);
    }

    /// Counts a failed revocation and schedules the next try with exponential backoff
    /// (30 s, 60 s, ... at most an hour); returns the delay in seconds. The lease stays
    /// stored and listed in `sys/leases` meanwhile.
    pub fn failed(&self, id: &str, now: i64) -> i64 {
        let attempts = {
            let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
            let n = failures.entry(id.to_owned()).or_insert(0);
            *n = n.saturating_add(1);
            *n
        };
        let delay = RETRY_FIRST_SECS
            .saturating_mul(1i64 << attempts.saturating_sub(1).min(20))
            .min(RETRY_MAX_SECS);
        self.schedule(id, now.saturating_add(delay));
        delay
    }

    /// One level of lease ids under `prefix` (a folder ends with `/`).
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        Ok(self.view.list(&format!("id/{prefix}")).await?)
    }

    /// Every lease id under `prefix`, depth first.
    pub async fn walk(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        let mut folders = vec![prefix.to_owned()];
        while let Some(folder) = folders.pop() {
            for key in self.list(&folder).await? {
                let full = format!("{folder}{key}");
                if key.ends_with('/') {
                    folders.push(full);
                } else {
                    out.push(full);
                }
            }
        }
        Ok(out)
    }

    /// The ids of the leases a token owns.
    pub async fn owned_by(&self, owner: &str) -> Result<Vec<String>, Error> {
        let mut ids = Vec::new();
        for key in self.view.list(&format!("token/{owner}/")).await? {
            if let Some(raw) = self.view.get(&format!("token/{owner}/{key}")).await? {
                ids.push(String::from_utf8_lossy(&raw).into_owned());
            }
        }
        Ok(ids)
    }

    /// Owners in the token index (for tidy).
    pub async fn owners(&self) -> Result<Vec<String>, Error> {
        Ok(self
            .view
            .list("token/")
            .await?
            .into_iter()
            .map(|o| o.trim_end_matches('/').to_owned())
            .collect())
    }

    /// Drops one owner index entry.
    pub async fn forget_owner_entry(&self, owner: &str, id: &str) -> Result<(), Error> {
        Ok(self.view.delete(&owner_key(owner, id)).await?)
    }

    /// Rebuilds the queue from storage; returns how many leases were scheduled.
    ///
    /// Entries are read in pages of a range read (one storage query per page, not one
    /// per lease), and only their id and expiry are decoded. An entry that does not
    /// decode is logged and skipped: one bad entry must not stop every other lease
    /// from expiring.
    pub async fn restore(&self) -> Result<usize, Error> {
        let mut count = 0;
        let mut after = String::new();
        loop {
            let page = self.view.scan("id/", &after, RESTORE_PAGE).await?;
            let Some((last, _)) = page.last() else {
                break;
            };
            after.clone_from(last);
            let mut deadlines = Vec::with_capacity(page.len());
            for (key, raw) in &page {
                match serde_json::from_slice::<Deadline>(raw) {
                    Ok(d) if valid_id(&d.id) => deadlines.push((d.id, d.expire_time)),
                    _ => tracing::error!(key = %key, "a stored lease does not decode; skipped"),
                }
            }
            count += deadlines.len();
            self.schedule_all(deadlines.iter().map(|(id, at)| (id.as_str(), *at)));
        }
        self.restored.store(true, Ordering::Release);
        Ok(count)
    }

    pub fn is_restored(&self) -> bool {
        self.restored.load(Ordering::Acquire)
    }

    /// Leases due at `now`, at most one batch, taken out of the queue.
    pub fn take_due(&self, now: i64) -> Vec<Arc<str>> {
        self.queue().take_due(now, BATCH)
    }

    pub fn next_deadline(&self) -> Option<i64> {
        self.queue().next_deadline()
    }

    pub fn scheduled(&self) -> usize {
        self.queue().len()
    }

    /// Wakes the task (a new earliest deadline, or the core seals).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

impl crate::Core {
    /// Stores many leases in one storage transaction and schedules them. For benchmarks
    /// and tests that need a large lease table quickly (`examples/unseal_leases.rs`);
    /// requests register their leases through the pipeline instead.
    pub async fn store_leases(&self, entries: &[LeaseEntry]) -> Result<(), Error> {
        self.state()?.expiration.put_all(entries).await
    }
}

/// A lease id is a relative storage path: no empty, `.` or `..` segments.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('/')
        && id
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}
