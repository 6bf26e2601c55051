//! The identity store: entities (the people and machines behind tokens), their aliases
//! (one per auth mount: the name a login carries there) and groups, which give policies
//! to member entities and to the members of their member groups. Internal groups have
//! their members set through the API; external groups get theirs from logins, through
//! their group alias (the name of a team or claim on one auth mount).
//!
//! The core opens one [`IdentityStore`] at unseal over its own storage view; everything
//! is loaded into an in-memory index, and every write goes to storage first (one atomic
//! batch), then into the index, serialised so that two concurrent logins never make two
//! entities for one alias. The same store is served over Vault's HTTP API by
//! [`IdentityBackend`], mounted at `identity/`.
//!
//! The store cannot see the mount table: the core hands the backend an [`AuthMounts`]
//! that resolves an auth mount accessor, and hands a login the [`AuthMount`] it came
//! through.
#![forbid(unsafe_code)]

mod backend;
mod external_groups;
mod ids;
mod index;
mod input;
mod login;
mod model;
mod mounts;
mod paths;
mod plan;
mod render;
mod store;
mod view;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use backend::IdentityBackend;
pub use model::{
    Alias, Entity, Group, GroupAlias, GROUP_TYPE_EXTERNAL, GROUP_TYPE_INTERNAL, NAMESPACE_ROOT,
};
pub use mounts::{AuthMount, AuthMounts};
pub use store::{EntityGroups, IdentityStore};
pub use view::{AliasView, EntityView, GroupView};
