//! Certificate revocation lists: parsed when written, stored under `crls/<name>` as the
//! set of revoked serials, and kept in memory as one immutable snapshot.
//!
//! The snapshot is loaded when the backend initialises and, should a login come first,
//! before that login is judged: a revoked certificate is refused right after a restart
//! (Vault's CVE-2022-41316 was a lazily loaded CRL). A snapshot that cannot be loaded
//! fails the login.

use super::pem;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::{Error, Value};
use tresor_storage::{Backend, View};

pub const CRL_PREFIX: &str = "crls/";

/// One revoked serial; Vault keeps (and shows) an empty object per serial.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CrlInfo {
    /// A distribution point (never set: fetching CRLs by URL is not supported).
    pub cdp: Option<Value>,
    /// Decimal serials.
    pub serials: BTreeMap<String, Revoked>,
}

/// Every CRL, by name.
pub type CrlSet = BTreeMap<String, CrlInfo>;

/// Whether any CRL revokes `serial` (decimal). As in Vault, a serial counts whoever
/// issued the CRL: revoking too much fails closed.
pub fn revoked(set: &CrlSet, serial: &str) -> bool {
    set.values().any(|crl| crl.serials.contains_key(serial))
}

/// A CRL as PEM (`X509 CRL`) or DER; its signature is not checked (the operator vouches
/// for it), as in Vault.
pub fn parse(text: &str) -> Result<CrlInfo, Error> {
    let failed = || Error::bad_request("failed to parse CRL");
    let der = match pem::blocks(text)
        .into_iter()
        .find(|b| b.label == "X509 CRL")
    {
        Some(block) => block.der,
        None if text.trim_start().starts_with("-----BEGIN") => return Err(failed()),
        None => text.as_bytes().to_vec(),
    };
    let (rest, crl) = x509_parser::parse_x509_crl(&der).map_err(|_| failed())?;
    if !rest.is_empty() {
        return Err(failed());
    }
    let serials = crl
        .iter_revoked_certificates()
        .map(|r| (r.serial().to_string(), Revoked {}))
        .collect();
    Ok(CrlInfo { cdp: None, serials })
}

/// The in-memory snapshot of every CRL, and the lock writers take.
#[derive(Debug, Default)]
pub struct CrlStore {
    snapshot: RwLock<Option<Arc<CrlSet>>>,
    writes: tokio::sync::Mutex<()>,
}

fn poisoned() -> Error {
    Error::internal("the CRL snapshot lock is poisoned")
}

async fn load_all(storage: &View) -> Result<CrlSet, Error> {
    let mut set = CrlSet::new();
    for name in storage.list(CRL_PREFIX).await? {
        if name.ends_with('/') {
            continue;
        }
        if let Some(info) = get_json(storage, &format!("{CRL_PREFIX}{name}")).await? {
            set.insert(name, info);
        }
    }
    Ok(set)
}

impl CrlStore {
    fn get(&self) -> Result<Option<Arc<CrlSet>>, Error> {
        Ok(self.snapshot.read().map_err(|_| poisoned())?.clone())
    }

    fn set(&self, set: CrlSet) -> Result<Arc<CrlSet>, Error> {
        let set = Arc::new(set);
        *self.snapshot.write().map_err(|_| poisoned())? = Some(set.clone());
        Ok(set)
    }

    /// Reads every CRL from storage into a new snapshot.
    pub async fn reload(&self, storage: &View) -> Result<(), Error> {
        let _writes = self.writes.lock().await;
        let set = load_all(storage).await?;
        self.set(set).map(|_| ())
    }

    /// The current snapshot, loaded first if no load has happened yet.
    pub async fn current(&self, storage: &View) -> Result<Arc<CrlSet>, Error> {
        if let Some(set) = self.get()? {
            return Ok(set);
        }
        let _writes = self.writes.lock().await;
        if let Some(set) = self.get()? {
            return Ok(set);
        }
        let set = load_all(storage).await?;
        self.set(set)
    }

    /// Stores `info` as CRL `name` and makes it part of the snapshot.
    pub async fn put(&self, storage: &View, name: &str, info: CrlInfo) -> Result<(), Error> {
        let _writes = self.writes.lock().await;
        let mut set = match self.get()? {
            Some(set) => (*set).clone(),
            None => load_all(storage).await?,
        };
        put_json(storage, &format!("{CRL_PREFIX}{name}"), &info).await?;
        set.insert(name.to_owned(), info);
        self.set(set).map(|_| ())
    }

    /// Removes CRL `name`; `false` when there is none.
    pub async fn remove(&self, storage: &View, name: &str) -> Result<bool, Error> {
        let _writes = self.writes.lock().await;
        let mut set = match self.get()? {
            Some(set) => (*set).clone(),
            None => load_all(storage).await?,
        };
        if set.remove(name).is_none() {
            self.set(set)?;
            return Ok(false);
        }
        storage.delete(&format!("{CRL_PREFIX}{name}")).await?;
        self.set(set).map(|_| ())?;
        Ok(true)
    }
}
