//! One token as stored, and how lookups and auth blocks show it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tresor_crypto::SecretString;
use tresor_sdk::{Auth, Data, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    #[default]
    Service,
    Batch,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Service => "service",
            TokenKind::Batch => "batch",
        }
    }
}

/// A token's record; the token itself is never part of it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct TokenEntry {
    pub accessor: String,
    /// The storage id of the parent token; `None` for orphans.
    pub parent: Option<String>,
    pub policies: Vec<String>,
    pub path: String,
    pub display_name: String,
    pub meta: Option<BTreeMap<String, String>>,
    /// Unix seconds.
    pub creation_time: i64,
    /// RFC 3339; `None` for the root token made by `sys/init`.
    pub issue_time: Option<String>,
    pub creation_ttl: u64,
    /// Unix seconds; 0 never expires.
    pub expire_at: i64,
    pub explicit_max_ttl: u64,
    pub period: u64,
    /// Uses left; 0 is unlimited.
    pub num_uses: u64,
    pub orphan: bool,
    pub renewable: bool,
    pub kind: TokenKind,
    pub role: Option<String>,
    /// Client addresses the token may be used from (empty: any).
    pub bound_cidrs: Vec<tresor_sdk::token_params::Cidr>,
    /// The identity entity behind the token (empty: none).
    pub entity_id: String,
    /// The maximum TTL the issuing login set (its role's `token_max_ttl`; 0: the
    /// mount's), which bounds renewals.
    #[serde(skip_serializing_if = "is_zero")]
    pub login_max_ttl: u64,
    /// What the issuing auth method keeps for its renewal checks; never shown.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub internal_data: BTreeMap<String, String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl TokenEntry {
    pub fn root(now: i64, accessor: String) -> Self {
        Self {
            accessor,
            policies: vec!["root".to_owned()],
            path: "auth/token/root".to_owned(),
            display_name: "root".to_owned(),
            creation_time: now,
            orphan: true,
            ..Self::default()
        }
    }

    /// The root token that `-dev` creates: made like any token of the store, as Vault does.
    pub fn dev_root(now: i64, accessor: String) -> Self {
        Self {
            path: "auth/token/create".to_owned(),
            display_name: "token".to_owned(),
            issue_time: time_of(now),
            ..Self::root(now, accessor)
        }
    }

    pub fn is_root(&self) -> bool {
        self.policies.iter().any(|p| p == "root")
    }

    pub fn is_expired(&self, now: i64) -> bool {
        self.expire_at != 0 && self.expire_at <= now
    }

    /// Seconds left; 0 for a token that never expires.
    pub fn ttl_left(&self, now: i64) -> u64 {
        if self.expire_at == 0 {
            0
        } else {
            u64::try_from(self.expire_at.saturating_sub(now)).unwrap_or(0)
        }
    }

    /// The `data` of a token lookup; `id` is shown as given (empty for accessor lookups).
    pub fn lookup_data(&self, id: &str, now: i64) -> Data {
        let mut d = Data::new();
        d.insert("accessor".into(), self.accessor.clone().into());
        d.insert("creation_time".into(), self.creation_time.into());
        d.insert("creation_ttl".into(), self.creation_ttl.into());
        d.insert("display_name".into(), self.display_name.clone().into());
        d.insert("entity_id".into(), self.entity_id.clone().into());
        let expire = if self.expire_at == 0 {
            Value::Null
        } else {
            time_of(self.expire_at).into()
        };
        d.insert("expire_time".into(), expire);
        d.insert("explicit_max_ttl".into(), self.explicit_max_ttl.into());
        d.insert("id".into(), id.into());
        if let Some(issued) = &self.issue_time {
            d.insert("issue_time".into(), issued.clone().into());
            d.insert("renewable".into(), self.renewable.into());
        }
        d.insert(
            "meta".into(),
            serde_json::to_value(&self.meta).unwrap_or(Value::Null),
        );
        d.insert("num_uses".into(), self.num_uses.into());
        d.insert("orphan".into(), self.orphan.into());
        d.insert("path".into(), self.path.clone().into());
        d.insert("policies".into(), self.policies.clone().into());
        if self.period > 0 {
            d.insert("period".into(), self.period.into());
        }
        if let Some(role) = &self.role {
            d.insert("role".into(), role.clone().into());
        }
        d.insert("ttl".into(), self.ttl_left(now).into());
        d.insert("type".into(), self.kind.as_str().into());
        d
    }

    /// The `auth` block of an answer that hands out (or renews) this token.
    pub fn auth(&self, token: SecretString, now: i64) -> Auth {
        Auth {
            client_token: token,
            accessor: self.accessor.clone(),
            policies: self.policies.clone(),
            token_policies: self.policies.clone(),
            identity_policies: Vec::new(),
            metadata: self.meta.clone().unwrap_or_default(),
            lease_duration: self.ttl_left(now),
            renewable: self.renewable,
            entity_id: self.entity_id.clone(),
            token_type: self.kind.as_str().to_owned(),
            orphan: self.orphan,
            num_uses: self.num_uses,
        }
    }
}

/// RFC 3339 of a Unix time, as lookups show times.
pub fn time_of(unix: i64) -> Option<String> {
    let t = std::time::UNIX_EPOCH
        .checked_add(std::time::Duration::from_secs(u64::try_from(unix).ok()?))?;
    Some(tresor_sdk::rfc3339(t))
}
