//! The policy store (`sys/policy/<name>` behind the barrier) and the compiled ACLs.
//!
//! Policies are parsed when written and kept parsed in an immutable snapshot; an ACL is
//! compiled once per distinct set of policy names and cached until any policy changes, so
//! a request never parses or compiles anything.

mod builtin;

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tresor_policy::{Acl, Policy};
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::Error;
use tresor_storage::{Backend, View};

pub use builtin::{DEFAULT, RESPONSE_WRAPPING};

/// A stored policy: its text as written, with Vault's bookkeeping.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPolicy {
    pub name: String,
    pub raw: String,
    pub version: u64,
    pub modified: String,
}

#[derive(Debug, Default)]
struct Snapshot {
    stored: BTreeMap<String, StoredPolicy>,
    parsed: HashMap<String, Policy>,
}

#[derive(Debug)]
pub struct Policies {
    view: View,
    snapshot: ArcSwap<Snapshot>,
    acls: Mutex<HashMap<Vec<String>, Arc<Acl>>>,
    root: Arc<Acl>,
    changes: tokio::sync::Mutex<()>,
}

fn parse(name: &str, raw: &str) -> Result<Policy, Error> {
    Policy::parse(name, raw).map_err(|e| Error::bad_request(format!("failed to parse policy: {e}")))
}

impl Policies {
    /// Loads every policy, creating the `default` policy on first unseal.
    pub async fn load(storage: Arc<dyn Backend>, now: String) -> Result<Self, Error> {
        let view = View::new(storage, "sys/policy/");
        let mut snapshot = Snapshot::default();
        for name in view.list("").await? {
            if let Some(stored) = get_json::<StoredPolicy>(&view, &name).await? {
                let policy = parse(&stored.name, &stored.raw)?;
                snapshot.parsed.insert(name.clone(), policy);
                snapshot.stored.insert(name, stored);
            }
        }
        let policies = Self {
            view,
            snapshot: ArcSwap::from_pointee(snapshot),
            acls: Mutex::new(HashMap::new()),
            root: Arc::new(Acl::root()),
            changes: tokio::sync::Mutex::new(()),
        };
        if !policies.snapshot.load().stored.contains_key("default") {
            policies.put("default", DEFAULT, None, now).await?;
        }
        Ok(policies)
    }

    pub fn get(&self, name: &str) -> Option<StoredPolicy> {
        self.snapshot
            .load()
            .stored
            .get(&tresor_policy::normalize_name(name))
            .cloned()
    }

    pub fn exists(&self, name: &str) -> bool {
        let name = tresor_policy::normalize_name(name);
        name == "root" || self.snapshot.load().stored.contains_key(&name)
    }

    /// Every policy name, `root` included, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.snapshot.load().stored.keys().cloned().collect();
        names.push("root".to_owned());
        names.sort();
        names
    }

    /// Creates or replaces a policy; `cas` must match the current version when given.
    pub async fn put(
        &self,
        name: &str,
        raw: &str,
        cas: Option<u64>,
        now: String,
    ) -> Result<(), Error> {
        let name =
            tresor_policy::check_name(name).map_err(|e| Error::bad_request(e.to_string()))?;
        let policy = parse(&name, raw)?;
        let _changes = self.changes.lock().await;
        let current = self.snapshot.load_full();
        let version = current.stored.get(&name).map_or(0, |p| p.version);
        if let Some(expected) = cas {
            if expected != version {
                return Err(Error::bad_request(
                    "check-and-set parameter did not match the current version",
                ));
            }
        }
        let stored = StoredPolicy {
            name: name.clone(),
            raw: raw.to_owned(),
            version: version + 1,
            modified: now,
        };
        put_json(&self.view, &name, &stored).await?;
        let mut next = Snapshot {
            stored: current.stored.clone(),
            parsed: current.parsed.clone(),
        };
        next.stored.insert(name.clone(), stored);
        next.parsed.insert(name, policy);
        self.swap(next);
        Ok(())
    }

    pub async fn delete(&self, name: &str) -> Result<(), Error> {
        let name = tresor_policy::normalize_name(name);
        match name.as_str() {
            "default" => return Err(Error::bad_request("cannot delete default policy")),
            "root" => return Err(Error::bad_request("cannot delete \"root\" policy")),
            _ => {}
        }
        let _changes = self.changes.lock().await;
        self.view.delete(&name).await?;
        let current = self.snapshot.load_full();
        let mut next = Snapshot {
            stored: current.stored.clone(),
            parsed: current.parsed.clone(),
        };
        next.stored.remove(&name);
        next.parsed.remove(&name);
        self.swap(next);
        Ok(())
    }

    fn swap(&self, next: Snapshot) {
        self.snapshot.store(Arc::new(next));
        self.acls.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Whether any of these policies grants something at or under `prefix` (a mount's
    /// path): Vault's test for showing a mount to a token.
    pub fn grants_under(&self, names: &[String], prefix: &str) -> bool {
        let snapshot = self.snapshot.load();
        names
            .iter()
            .filter_map(|n| snapshot.parsed.get(n))
            .flat_map(|p| p.rules())
            .any(|rule| {
                let pattern = rule.pattern().trim_end_matches('*');
                let caps = rule.capabilities();
                !caps.is_empty()
                    && !caps.is_deny()
                    && (pattern.starts_with(prefix) || prefix.starts_with(pattern))
            })
    }

    /// Every rule of these policies, merged by pattern: `(pattern, capabilities)` pairs,
    /// for `sys/internal/ui/resultant-acl`.
    /// Templated policies are rendered with `ctx` first.
    pub fn merged_rules(
        &self,
        names: &[String],
        ctx: &tresor_policy::TemplateContext,
    ) -> BTreeMap<String, tresor_policy::Capabilities> {
        let snapshot = self.snapshot.load();
        let rendered: Vec<Policy> = names
            .iter()
            .filter_map(|n| snapshot.parsed.get(n))
            .map(|p| {
                if p.is_templated() {
                    p.render(ctx)
                } else {
                    p.clone()
                }
            })
            .collect();
        let mut out: BTreeMap<String, tresor_policy::Capabilities> = BTreeMap::new();
        for rule in rendered.iter().flat_map(|p| p.rules()) {
            let caps = out
                .remove(rule.pattern())
                .unwrap_or(tresor_policy::Capabilities::EMPTY);
            out.insert(rule.pattern().to_owned(), caps.union(rule.capabilities()));
        }
        out
    }

    /// Whether any of these policies has identity templates (its ACL then depends on the
    /// token's entity and is not cached).
    pub fn any_templated(&self, names: &[String]) -> bool {
        let snapshot = self.snapshot.load();
        names
            .iter()
            .filter_map(|n| snapshot.parsed.get(n))
            .any(Policy::is_templated)
    }

    /// The ACL of these policies with their templates rendered for one entity.
    pub fn acl_rendered(&self, names: &[String], ctx: &tresor_policy::TemplateContext) -> Arc<Acl> {
        if names.iter().any(|n| n == "root") {
            return self.root.clone();
        }
        let snapshot = self.snapshot.load();
        let mut found: Vec<Policy> = names
            .iter()
            .filter_map(|n| snapshot.parsed.get(n))
            .map(|p| p.render(ctx))
            .collect();
        if names.iter().any(|n| n == RESPONSE_WRAPPING_NAME) {
            if let Ok(p) = Policy::parse(RESPONSE_WRAPPING_NAME, RESPONSE_WRAPPING) {
                found.push(p);
            }
        }
        Arc::new(Acl::new(&found))
    }

    /// The ACL of a token with these policies (names already normalised). Policies that do
    /// not exist grant nothing; `root` grants everything.
    pub fn acl(&self, names: &[String]) -> Arc<Acl> {
        if names.iter().any(|n| n == "root") {
            return self.root.clone();
        }
        let mut key = names.to_vec();
        key.sort();
        key.dedup();
        let mut cache = self.acls.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(acl) = cache.get(&key) {
            return acl.clone();
        }
        let snapshot = self.snapshot.load();
        let mut found: Vec<Policy> = key
            .iter()
            .filter_map(|n| snapshot.parsed.get(n).cloned())
            .collect();
        if key.iter().any(|n| n == RESPONSE_WRAPPING_NAME) {
            if let Ok(p) = Policy::parse(RESPONSE_WRAPPING_NAME, RESPONSE_WRAPPING) {
                found.push(p);
            }
        }
        let acl = Arc::new(Acl::new(&found));
        cache.insert(key, acl.clone());
        acl
    }
}

/// The internal policy of response-wrapping tokens; never stored, never listed.
pub const RESPONSE_WRAPPING_NAME: &str = "response-wrapping";
