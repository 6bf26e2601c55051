//! What the agent knows of each dependency, shared by all templates (two templates
//! asking for the same dynamic secret get the same credentials), and when each is due
//! to be renewed or fetched again.

use super::fetch::Answer;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;
use tresor_template::Dependency;

#[derive(Debug, Clone)]
pub enum State {
    /// Asked for; a fetch is running (after `failures` failed ones in a row).
    Fetching { failures: u32 },
    /// Known; refreshed at `due` (`in_flight` while that refresh runs: the value stays
    /// in use meanwhile).
    Ready {
        fetched: Answer,
        due: Instant,
        in_flight: bool,
    },
    /// The last fetch failed `failures` times in a row; tried again at `due`.
    Failed {
        error: String,
        failures: u32,
        due: Instant,
    },
}

#[derive(Debug, Default)]
pub struct Store {
    pub entries: HashMap<Dependency, State>,
}

/// What to do with a dependency whose time has come.
#[derive(Debug, Clone)]
pub enum Due {
    /// Extend its lease.
    Renew { lease_id: String, increment: u64 },
    /// Fetch it again.
    Fetch,
}

impl Store {
    pub fn value(&self, dep: &Dependency) -> Option<&Value> {
        match self.entries.get(dep) {
            Some(State::Ready { fetched, .. }) => Some(&fetched.value),
            _ => None,
        }
    }

    /// The earliest moment something is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.entries
            .values()
            .filter_map(|s| match s {
                State::Ready {
                    due,
                    in_flight: false,
                    ..
                }
                | State::Failed { due, .. } => Some(*due),
                _ => None,
            })
            .min()
    }

    /// The dependencies due at `now`, each marked as being refreshed.
    pub fn take_due(&mut self, now: Instant) -> Vec<(Dependency, Due)> {
        let mut out = Vec::new();
        for (dep, state) in self.entries.iter_mut() {
            match state {
                State::Ready {
                    fetched,
                    due,
                    in_flight,
                } if *due <= now && !*in_flight => {
                    *in_flight = true;
                    let action = match (&fetched.lease_id, fetched.renewable) {
                        (Some(id), true) => Due::Renew {
                            lease_id: id.clone(),
                            increment: fetched.lease_secs,
                        },
                        _ => Due::Fetch,
                    };
                    out.push((dep.clone(), action));
                }
                State::Failed { due, failures, .. } if *due <= now => {
                    *state = State::Fetching {
                        failures: *failures,
                    };
                    out.push((dep.clone(), Due::Fetch));
                }
                _ => {}
            }
        }
        out
    }

    /// A renewal extended the lease to `secs`: due again at `threshold` of it; when it
    /// was capped below what was asked, the next time fetches anew.
    pub fn renewed(
        &mut self,
        dep: &Dependency,
        secs: u64,
        full: bool,
        threshold: f64,
        now: Instant,
    ) {
        if let Some(State::Ready {
            fetched,
            due,
            in_flight,
        }) = self.entries.get_mut(dep)
        {
            fetched.lease_secs = secs;
            fetched.renewable = full;
            *due = now
                + Duration::from_secs(secs)
                    .mul_f64(threshold)
                    .max(Duration::from_secs(1));
            *in_flight = false;
        }
    }

    /// Marks everything for fetching again (a new token: leases of the old one go with it).
    pub fn expire_all(&mut self, now: Instant) {
        for state in self.entries.values_mut() {
            match state {
                State::Ready {
                    fetched,
                    due,
                    in_flight: false,
                } => {
                    fetched.renewable = false;
                    *due = now;
                }
                State::Failed { due, .. } => *due = now,
                _ => {}
            }
        }
    }
}

/// How often a file that a template reads (`file "path"`) is read again; a change renders
/// the template again (as Vault Agent, which polls such files every 2 seconds).
const FILE_POLL: Duration = Duration::from_secs(2);

/// When a freshly fetched value is due again: a local file after [`FILE_POLL`], leased
/// values and certificates at `threshold` of their lifetime, the others after
/// `static_interval`.
pub fn due_after(
    dep: &Dependency,
    fetched: &Answer,
    threshold: f64,
    static_interval: Duration,
) -> Duration {
    let expires = match dep {
        Dependency::File { .. } => return FILE_POLL,
        Dependency::PkiCert { .. } => true,
        _ => fetched.lease_id.is_some(),
    };
    if !expires || fetched.lease_secs == 0 {
        return static_interval;
    }
    Duration::from_secs(fetched.lease_secs)
        .mul_f64(threshold)
        .max(Duration::from_secs(1))
}
