//! What an auth method answers for a successful login: the token to make. The core turns
//! it into a token (policies, TTLs bounded by the mount) and the answer's `auth` block.

use std::collections::BTreeMap;
use std::time::Duration;

/// A request for a token, made by an auth method on a successful login.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Login {
    pub policies: Vec<String>,
    pub metadata: BTreeMap<String, String>,
    /// Shown as `<mount>-<display_name>` in lookups.
    pub display_name: String,
    /// Zero values mean "the mount's default" (or no limit).
    pub ttl: Duration,
    pub max_ttl: Duration,
    pub period: Duration,
    pub explicit_max_ttl: Duration,
    pub num_uses: u64,
    /// `service`, `batch`, or empty for the mount's default.
    pub token_type: String,
    pub renewable: bool,
    pub no_default_policy: bool,
    /// The user's name within the method: the identity alias the token's entity has.
    pub alias_name: String,
    /// Metadata of that alias (AppRole: `role_name`; userpass: none), as Vault.
    pub alias_metadata: BTreeMap<String, String>,
    /// Client addresses the token may be used from (empty: any).
    pub bound_cidrs: Vec<crate::token_params::Cidr>,
}
