//! Mount changes: enable, disable, tune, remount. One lock serialises changes; each one
//! writes the table (one atomic put) and then swaps in a new router snapshot.

use super::entry::{MountConfig, MountEntry, Table};
use super::registry::{Registry, BUILTIN};
use super::router::{Mounted, Router};
use super::validate;
use arc_swap::ArcSwap;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tresor_crypto::random;
use tresor_sdk::{Clock, Error, LogicalBackend, MountContext, SystemView};
use tresor_storage::{Backend, View};

const TABLE_KEY: &str = "core/mounts";

#[derive(Debug, Clone, Default)]
pub struct EnableRequest {
    pub kind: String,
    pub description: String,
    pub config: MountConfig,
    pub options: Option<BTreeMap<String, String>>,
    pub local: bool,
    pub seal_wrap: bool,
}

/// A tune: every `None` leaves the setting as it is.
#[derive(Debug, Clone, Default)]
pub struct TuneRequest {
    pub description: Option<String>,
    pub default_lease_ttl: Option<u64>,
    pub max_lease_ttl: Option<u64>,
    pub options: Option<BTreeMap<String, String>>,
    pub listing_visibility: Option<String>,
    pub passthrough_request_headers: Option<Vec<String>>,
    pub allowed_response_headers: Option<Vec<String>>,
    pub audit_non_hmac_request_keys: Option<Vec<String>>,
    pub audit_non_hmac_response_keys: Option<Vec<String>>,
}

#[derive(Debug)]
pub struct Mounts {
    storage: Arc<dyn Backend>,
    registry: Registry,
    clock: Arc<dyn Clock>,
    system_ttls: (Duration, Duration),
    router: Arc<ArcSwap<Router>>,
    /// The backend of the `identity/` mount, made by the core.
    identity: Arc<dyn LogicalBackend>,
    /// What the core offers backends (password policies).
    system: Arc<dyn SystemView>,
    changes: Mutex<()>,
    /// Recent remounts by migration id (kept in memory; a bounded few).
    migrations: std::sync::Mutex<Vec<(String, String, String)>>,
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::internal(e.to_string())
}

fn accessor(table: Table, kind: &str) -> Result<String, Error> {
    let suffix = hex::encode(random::bytes(4).map_err(internal)?);
    Ok(match table {
        Table::Secrets => format!("{kind}_{suffix}"),
        Table::Auth => format!("auth_{kind}_{suffix}"),
    })
}

fn new_entry(table: Table, path: &str, req: EnableRequest) -> Result<MountEntry, Error> {
    Ok(MountEntry {
        table,
        path: path.to_owned(),
        accessor: accessor(table, &req.kind)?,
        kind: req.kind,
        description: req.description,
        uuid: uuid::Uuid::new_v4().to_string(),
        config: req.config,
        options: req.options,
        local: req.local,
        seal_wrap: req.seal_wrap,
    })
}

fn identity_entry() -> Result<MountEntry, Error> {
    new_entry(
        Table::Secrets,
        "identity/",
        EnableRequest {
            kind: "identity".into(),
            description: "identity store".into(),
            ..EnableRequest::default()
        },
    )
}

fn default_entries(registry: &Registry) -> Result<Vec<MountEntry>, Error> {
    let mut out = vec![
        new_entry(
            Table::Secrets,
            "sys/",
            EnableRequest {
                kind: "system".into(),
                description: "system endpoints used for control, policy and debugging".into(),
                seal_wrap: true,
                ..EnableRequest::default()
            },
        )?,
        new_entry(
            Table::Auth,
            "token/",
            EnableRequest {
                kind: "token".into(),
                description: "token based credentials".into(),
                config: MountConfig {
                    token_type: Some("default-service".into()),
                    ..MountConfig::default()
                },
                ..EnableRequest::default()
            },
        )?,
    ];
    out.push(identity_entry()?);
    if registry.has(Table::Secrets, "cubbyhole") {
        out.push(new_entry(
            Table::Secrets,
            "cubbyhole/",
            EnableRequest {
                kind: "cubbyhole".into(),
                description: "per-token private secret storage".into(),
                local: true,
                ..EnableRequest::default()
            },
        )?);
    }
    Ok(out)
}

impl Mounts {
    /// Loads the mount table (creating the default one on first unseal) and builds every
    /// backend. `router` is where the snapshot is published (shared with whoever must
    /// see the live table), `identity` the backend of the `identity/` mount.
    pub async fn load(
        storage: Arc<dyn Backend>,
        registry: Registry,
        clock: Arc<dyn Clock>,
        system_ttls: (Duration, Duration),
        router: Arc<ArcSwap<Router>>,
        identity: Arc<dyn LogicalBackend>,
        system: Arc<dyn SystemView>,
    ) -> Result<Self, Error> {
        let mut entries: Vec<MountEntry> = match storage.get(TABLE_KEY).await? {
            Some(raw) => serde_json::from_slice(&raw)
                .map_err(|_| Error::internal("the mount table does not decode"))?,
            None => {
                let entries = default_entries(&registry)?;
                storage
                    .put(TABLE_KEY, &serde_json::to_vec(&entries).map_err(internal)?)
                    .await?;
                entries
            }
        };
        // Tables written before the identity store existed get its mount.
        if !entries
            .iter()
            .any(|e| e.kind == "identity" && e.table == Table::Secrets)
        {
            entries.push(identity_entry()?);
            storage
                .put(TABLE_KEY, &serde_json::to_vec(&entries).map_err(internal)?)
                .await?;
        }
        let mounts = Self {
            storage,
            registry,
            clock,
            system_ttls,
            router,
            identity,
            system,
            changes: Mutex::new(()),
            migrations: std::sync::Mutex::new(Vec::new()),
        };
        let mut built = Vec::with_capacity(entries.len());
        for entry in entries {
            built.push(mounts.build(entry).await?);
        }
        mounts.router.store(Arc::new(Router::new(built)));
        Ok(mounts)
    }

    pub fn router(&self) -> Arc<Router> {
        self.router.load_full()
    }

    pub fn system_ttls(&self) -> (Duration, Duration) {
        self.system_ttls
    }

    async fn build(&self, entry: MountEntry) -> Result<Mounted, Error> {
        let route = entry.route_path();
        let info = Arc::new(entry.info(self.system_ttls.0, self.system_ttls.1));
        if entry.table == Table::Secrets && entry.kind == "identity" {
            return Ok(Mounted {
                entry,
                info,
                route,
                backend: Some(self.identity.clone()),
            });
        }
        if BUILTIN.contains(&(entry.table, entry.kind.as_str())) {
            return Ok(Mounted {
                entry,
                info,
                route,
                backend: None,
            });
        }
        let factory = self.registry.get(entry.table, &entry.kind).ok_or_else(|| {
            Error::internal(format!("no backend of type {:?} is registered", entry.kind))
        })?;
        let ctx = MountContext {
            storage: View::new(self.storage.clone(), entry.storage_prefix()),
            info: entry.info(self.system_ttls.0, self.system_ttls.1),
            clock: self.clock.clone(),
            system: self.system.clone(),
        };
        let backend = factory(ctx)?;
        backend.initialize().await?;
        Ok(Mounted {
            entry,
            info,
            route,
            backend: Some(backend),
        })
    }

    async fn commit(&self, mut mounted: Vec<Mounted>) -> Result<(), Error> {
        for m in &mut mounted {
            m.info = Arc::new(m.entry.info(self.system_ttls.0, self.system_ttls.1));
        }
        let entries: Vec<&MountEntry> = mounted.iter().map(|m| &m.entry).collect();
        self.storage
            .put(TABLE_KEY, &serde_json::to_vec(&entries).map_err(internal)?)
            .await?;
        self.router.store(Arc::new(Router::new(mounted)));
        Ok(())
    }

    pub async fn enable(&self, table: Table, path: &str, req: EnableRequest) -> Result<(), Error> {
        let path = validate::normalize(path)?;
        if table == Table::Secrets {
            validate::check_not_reserved(&path)?;
        }
        if BUILTIN.iter().any(|(_, k)| *k == req.kind) || !self.registry.has(table, &req.kind) {
            return Err(Error::bad_request(format!(
                "plugin not found in the catalog: {}",
                req.kind
            )));
        }
        let _guard = self.changes.lock().await;
        let current = self.router();
        let entries: Vec<MountEntry> = current.entries().cloned().collect();
        validate::check_free(&entries, table, &path)?;
        let mounted = self.build(new_entry(table, &path, req)?).await?;
        let mut all = current.mounts().to_vec();
        all.push(mounted);
        self.commit(all).await
    }

    pub async fn disable(&self, table: Table, path: &str) -> Result<(), Error> {
        let path = validate::normalize(path)?;
        let _guard = self.changes.lock().await;
        let current = self.router();
        let Some(target) = current
            .mounts()
            .iter()
            .find(|m| m.entry.table == table && m.entry.path == path)
        else {
            // Disabling what is not mounted succeeds, as in Vault.
            return Ok(());
        };
        if target.backend.is_none()
            || target.entry.kind == "cubbyhole"
            || target.entry.kind == "identity"
        {
            return Err(Error::bad_request(format!(
                "cannot unmount {:?}",
                target.entry.route_path()
            )));
        }
        let prefix = target.entry.storage_prefix();
        let rest: Vec<Mounted> = current
            .mounts()
            .iter()
            .filter(|m| m.entry.uuid != target.entry.uuid)
            .cloned()
            .collect();
        self.commit(rest).await?;
        delete_tree(self.storage.as_ref(), &prefix).await
    }

    /// Changes a mount's settings; returns warnings for the answer.
    pub async fn tune(
        &self,
        table: Table,
        path: &str,
        tune: TuneRequest,
    ) -> Result<Vec<String>, Error> {
        let path = validate::normalize(path)?;
        let _guard = self.changes.lock().await;
        let current = self.router();
        let mut all = current.mounts().to_vec();
        let Some(index) = all
            .iter()
            .position(|m| m.entry.table == table && m.entry.path == path)
        else {
            return Err(Error::bad_request(format!("no mount at {path:?}")));
        };
        let mut warnings = Vec::new();
        let mut entry = all
            .get(index)
            .map(|m| m.entry.clone())
            .ok_or(Error::UnsupportedPath)?;
        apply_tune(&mut entry, &tune, self.system_ttls.1)?;
        let options_changed = tune.options.is_some()
            && entry.options != all.get(index).and_then(|m| m.entry.options.clone());
        if options_changed && entry.kind == "kv" {
            warnings.push("Upgrading mount: it will be unavailable for a brief period.".to_owned());
        }
        let rebuilt = if options_changed {
            self.build(entry).await?
        } else {
            let old = all.get(index).cloned().ok_or(Error::UnsupportedPath)?;
            Mounted { entry, ..old }
        };
        if let Some(slot) = all.get_mut(index) {
            *slot = rebuilt;
        }
        self.commit(all).await?;
        Ok(warnings)
    }

    pub async fn remount(&self, table: Table, from: &str, to: &str) -> Result<(), Error> {
        let from = validate::normalize(from)?;
        let to = validate::normalize(to)?;
        if table == Table::Secrets {
            validate::check_not_reserved(&to)?;
        }
        let _guard = self.changes.lock().await;
        let current = self.router();
        let mut all = current.mounts().to_vec();
        let Some(index) = all
            .iter()
            .position(|m| m.entry.table == table && m.entry.path == from)
        else {
            return Err(Error::bad_request(format!("no mount at {from:?}")));
        };
        let others: Vec<MountEntry> = all
            .iter()
            .filter(|m| m.entry.path != from || m.entry.table != table)
            .map(|m| m.entry.clone())
            .collect();
        validate::check_free(&others, table, &to)?;
        if let Some(m) = all.get_mut(index) {
            if m.backend.is_none() || m.entry.kind == "cubbyhole" {
                return Err(Error::bad_request(format!(
                    "cannot remount {:?}",
                    m.entry.route_path()
                )));
            }
            m.entry.path = to;
            m.route = m.entry.route_path();
        }
        self.commit(all).await
    }
}

fn apply_tune(
    entry: &mut MountEntry,
    tune: &TuneRequest,
    system_max: Duration,
) -> Result<(), Error> {
    if let Some(d) = &tune.description {
        entry.description = d.clone();
    }
    if let Some(max) = tune.max_lease_ttl {
        entry.config.max_lease_ttl = max;
    }
    if let Some(default) = tune.default_lease_ttl {
        entry.config.default_lease_ttl = default;
    }
    let effective_max = if entry.config.max_lease_ttl == 0 {
        system_max.as_secs()
    } else {
        entry.config.max_lease_ttl
    };
    if entry.config.default_lease_ttl > effective_max {
        return Err(Error::bad_request(
            "default lease TTL cannot be greater than the maximum lease TTL",
        ));
    }
    if let Some(options) = &tune.options {
        let mut merged = entry.options.clone().unwrap_or_default();
        if entry.kind == "kv" {
            let old = merged.get("version").cloned().unwrap_or_else(|| "1".into());
            if let Some(new) = options.get("version") {
                if old == "2" && new == "1" {
                    return Err(Error::bad_request(
                        "cannot downgrade a KV mount from version 2 to version 1",
                    ));
                }
            }
        }
        for (k, v) in options {
            merged.insert(k.clone(), v.clone());
        }
        entry.options = Some(merged);
    }
    macro_rules! set_list {
        ($($field:ident),*) => { $( if let Some(v) = &tune.$field { entry.config.$field = v.clone(); } )* };
    }
    set_list!(
        passthrough_request_headers,
        allowed_response_headers,
        audit_non_hmac_request_keys,
        audit_non_hmac_response_keys
    );
    if let Some(v) = &tune.listing_visibility {
        entry.config.listing_visibility = (!v.is_empty()).then(|| v.clone());
    }
    Ok(())
}

impl Mounts {
    pub fn record_migration(&self, id: &str, from: &str, to: &str) {
        let mut list = self.migrations.lock().unwrap_or_else(|e| e.into_inner());
        if list.len() >= 64 {
            list.remove(0);
        }
        list.push((id.to_owned(), from.to_owned(), to.to_owned()));
    }

    pub fn migration(&self, id: &str) -> Option<(String, String)> {
        let list = self.migrations.lock().unwrap_or_else(|e| e.into_inner());
        list.iter()
            .find(|(i, _, _)| i == id)
            .map(|(_, f, t)| (f.clone(), t.clone()))
    }

    /// The cubbyhole of one token (by storage id), if a cubbyhole mount exists.
    pub fn cubbyhole_view(&self, sid: &str) -> Option<View> {
        let router = self.router();
        let entry = router.entries().find(|e| e.kind == "cubbyhole")?;
        Some(View::new(
            self.storage.clone(),
            format!("{}{sid}/", entry.storage_prefix()),
        ))
    }

    /// Deletes the cubbyhole of each token (by storage id), as revocation requires.
    pub async fn destroy_cubbyholes(&self, sids: &[String]) -> Result<(), Error> {
        let router = self.router();
        let Some(cubbyhole) = router.entries().find(|e| e.kind == "cubbyhole") else {
            return Ok(());
        };
        let prefix = cubbyhole.storage_prefix();
        for sid in sids {
            delete_tree(self.storage.as_ref(), &format!("{prefix}{sid}/")).await?;
        }
        Ok(())
    }
}

/// Deletes every entry under `prefix`, folder by folder.
async fn delete_tree(storage: &dyn Backend, prefix: &str) -> Result<(), Error> {
    let mut folders = vec![prefix.to_owned()];
    while let Some(folder) = folders.pop() {
        for child in storage.list(&folder).await? {
            let full = format!("{folder}{child}");
            if child.ends_with('/') {
                folders.push(full);
            } else {
                storage.delete(&full).await?;
            }
        }
    }
    Ok(())
}
