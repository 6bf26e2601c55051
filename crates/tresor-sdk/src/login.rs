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
    /// What the method keeps with the token for its own use at renewal (the role's name,
    /// the client certificate): stored with the token, never shown to any client.
    pub internal_data: BTreeMap<String, String>,
    /// Names of the identity group aliases the login carries (a JWT's groups claim, a
    /// directory's groups): the entity joins the external groups with those aliases on
    /// the login's mount and leaves the others there.
    pub group_aliases: Vec<String>,
}

/// A token's terms as the method sets them at renewal (Vault copies the role's or the
/// user's `token_ttl`, `token_max_ttl` and `token_period`). Zero: unset (the mount's
/// default TTL, the mount's maximum, not periodic).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenewTerms {
    pub ttl: Duration,
    pub max_ttl: Duration,
    pub period: Duration,
}
