//! The template runner: renders every template from what the agent has fetched, fetches
//! what the templates ask for, writes files atomically (or hands environment values to
//! the exec supervisor), and keeps secrets fresh: leases renewed at the renewal
//! threshold, static secrets read again every `static_secret_render_interval`, local files
//! (`file "path"`) every 2 seconds.
//!
//! One task runs the loop; fetches and renewals run beside it and report back, so a
//! slow or failing dependency never stalls the other templates.

mod fetch;
mod job;
mod store;

pub use job::{Job, Target};

use crate::backoff::Backoff;
use crate::config::TemplateConfig;
use fetch::{Answer, FetchError, Mounts};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use store::{Due, State, Store};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tresor_api::Client;
use tresor_crypto::SecretString;
use tresor_template::Dependency;

/// Why the runner stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("template {template}: {error} (giving up after {attempts} attempts)")]
    RetriesExhausted {
        template: String,
        error: String,
        attempts: u32,
    },
    #[error("the auto-auth token channel closed")]
    NoToken,
}

/// The environment values of `env_template`s, once all of them rendered.
pub type Environment = BTreeMap<String, String>;

pub struct Runner {
    pub server: Client,
    pub token: watch::Receiver<Option<SecretString>>,
    pub jobs: Vec<Job>,
    pub config: TemplateConfig,
    /// Attempts before a failing dependency counts as failed for good.
    pub retries: u32,
    /// Where complete environments go (exec mode).
    pub environment: Option<watch::Sender<Option<Environment>>>,
}

struct Done {
    dep: Dependency,
    outcome: Outcome,
}

enum Outcome {
    Fetched(Result<Answer, FetchError>),
    /// A lease was extended to this many seconds (`full`: as much as was asked).
    Renewed {
        secs: u64,
        full: bool,
    },
}

impl Runner {
    /// Runs until every template rendered once (`once`), or for ever.
    pub async fn run(mut self, once: bool) -> Result<(), RunError> {
        let mut client = self.wait_token().await?;
        let mounts = Arc::new(Mounts::default());
        let mut store = Store::default();
        let mut tasks: JoinSet<Done> = JoinSet::new();
        let mut last_env: Option<Environment> = None;
        // Once auto-auth is over (exit_after_auth), the last token stays in use.
        let mut token_open = true;
        loop {
            let mut wanted = Vec::new();
            for job in self.jobs.iter_mut().filter(|j| j.dirty) {
                wanted.extend(job.render(&store));
            }
            for dep in wanted {
                if store.entries.contains_key(&dep) {
                    continue;
                }
                store
                    .entries
                    .insert(dep.clone(), State::Fetching { failures: 0 });
                spawn_fetch(&mut tasks, &client, &mounts, dep);
            }
            self.publish_environment(&mut last_env);
            if once && self.jobs.iter().all(|j| j.rendered) {
                return Ok(());
            }
            self.check_failures(&store, once)?;
            let next = store.next_due();
            tokio::select! {
                Some(done) = tasks.join_next() => {
                    if let Ok(done) = done {
                        self.apply(&mut store, done);
                    }
                }
                () = sleep_until(next) => {
                    for (dep, due) in store.take_due(Instant::now()) {
                        match due {
                            Due::Fetch => spawn_fetch(&mut tasks, &client, &mounts, dep),
                            Due::Renew { lease_id, increment } => {
                                spawn_renew(&mut tasks, &client, &mounts, dep, lease_id, increment);
                            }
                        }
                    }
                }
                changed = self.token.changed(), if token_open => {
                    if changed.is_err() {
                        token_open = false;
                        continue;
                    }
                    if let Some(token) = self.token.borrow_and_update().clone() {
                        client = self.server.with_token(Some(token));
                        store.expire_all(Instant::now());
                    }
                }
            }
        }
    }

    async fn wait_token(&mut self) -> Result<Client, RunError> {
        loop {
            if let Some(token) = self.token.borrow_and_update().clone() {
                return Ok(self.server.with_token(Some(token)));
            }
            self.token.changed().await.map_err(|_| RunError::NoToken)?;
        }
    }

    /// Records a fetch's result; templates using a value that changed render again.
    fn apply(&mut self, store: &mut Store, done: Done) {
        let now = Instant::now();
        let result = match done.outcome {
            Outcome::Renewed { secs, full } => {
                let threshold = self.config.lease_renewal_threshold;
                store.renewed(&done.dep, secs, full, threshold, now);
                return;
            }
            Outcome::Fetched(result) => result,
        };
        let previous = store.value(&done.dep).cloned();
        let new_state = match result {
            Ok(answer) => {
                let wait = store::due_after(
                    &done.dep,
                    &answer,
                    self.config.lease_renewal_threshold,
                    self.config.static_secret_render_interval,
                );
                State::Ready {
                    fetched: answer,
                    due: now + wait,
                    in_flight: false,
                }
            }
            Err(e) => {
                let failures = match store.entries.get(&done.dep) {
                    Some(State::Failed { failures, .. } | State::Fetching { failures }) => {
                        failures + 1
                    }
                    _ => 1,
                };
                let wait =
                    Backoff::new(Duration::from_millis(250), Duration::from_secs(60)).nth(failures);
                tracing::warn!(dependency = %done.dep, error = %e, failures, "fetching a template dependency failed");
                State::Failed {
                    error: e.to_string(),
                    failures,
                    due: now + wait,
                }
            }
        };
        // A failure re-renders too: the template reports it (and keeps its last file).
        let changed = match &new_state {
            State::Ready { fetched, .. } => previous.as_ref() != Some(&fetched.value),
            _ => true,
        };
        store.entries.insert(done.dep.clone(), new_state);
        if changed {
            for job in self.jobs.iter_mut().filter(|j| j.uses(&done.dep)) {
                job.dirty = true;
            }
        }
    }

    /// With `exit_on_retry_failure` (or in `once` mode), a dependency that failed more
    /// than `retries` times ends the run.
    fn check_failures(&self, store: &Store, once: bool) -> Result<(), RunError> {
        if !(self.config.exit_on_retry_failure || once) {
            return Ok(());
        }
        for (dep, state) in &store.entries {
            if let State::Failed {
                error, failures, ..
            } = state
            {
                if *failures > self.retries {
                    let template = self
                        .jobs
                        .iter()
                        .find(|j| j.uses(dep))
                        .map(|j| j.name.clone())
                        .unwrap_or_default();
                    return Err(RunError::RetriesExhausted {
                        template,
                        error: error.clone(),
                        attempts: *failures,
                    });
                }
            }
        }
        Ok(())
    }

    fn publish_environment(&self, last: &mut Option<Environment>) {
        let Some(tx) = &self.environment else {
            return;
        };
        let mut env = Environment::new();
        for job in &self.jobs {
            if let (Target::Env(name), Some(value)) = (&job.target, &job.output) {
                env.insert(name.clone(), value.clone());
            } else if matches!(job.target, Target::Env(_)) {
                return; // not all rendered yet
            }
        }
        if last.as_ref() != Some(&env) {
            *last = Some(env.clone());
            tx.send_replace(Some(env));
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn spawn_fetch(tasks: &mut JoinSet<Done>, client: &Client, mounts: &Arc<Mounts>, dep: Dependency) {
    let (client, mounts) = (client.clone(), mounts.clone());
    tasks.spawn(async move {
        let outcome = Outcome::Fetched(fetch::fetch(&client, &mounts, &dep).await);
        Done { dep, outcome }
    });
}

/// Renews a lease; when renewal is refused the secret is fetched anew.
fn spawn_renew(
    tasks: &mut JoinSet<Done>,
    client: &Client,
    mounts: &Arc<Mounts>,
    dep: Dependency,
    lease_id: String,
    increment: u64,
) {
    let (client, mounts) = (client.clone(), mounts.clone());
    tasks.spawn(async move {
        let body = serde_json::json!({ "lease_id": lease_id, "increment": increment });
        let granted = match client.put("sys/leases/renew", &body).await {
            Ok(answer) => answer
                .as_ref()
                .and_then(|a| a.get("lease_duration"))
                .and_then(serde_json::Value::as_u64)
                .filter(|s| *s > 0),
            Err(e) => {
                tracing::info!(dependency = %dep, error = %e, "lease renewal failed; fetching anew");
                None
            }
        };
        let outcome = match granted {
            Some(secs) => Outcome::Renewed {
                secs,
                full: secs >= increment,
            },
            None => Outcome::Fetched(fetch::fetch(&client, &mounts, &dep).await),
        };
        Done { dep, outcome }
    });
}
