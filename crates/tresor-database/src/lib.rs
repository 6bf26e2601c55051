//! The database secrets engine (`database/`): connections (`config/<name>`), dynamic roles
//! whose credentials are created on demand under a lease and dropped when it ends, and
//! static roles whose password is rotated on schedule. Each database kind is a
//! [`plugin::DatabasePlugin`]; the engine owns storage, leases and scheduling.
//!
//! Where tresor answers differently from Vault, on purpose:
//! - failures Vault reports as 500 with a message (a role not in `allowed_roles`, a
//!   missing connection, a database error) are 400s with the same message, as the
//!   client can act on them and a 500 would hide the message;
//! - generated usernames use the display name `token` (requests carry no token display
//!   name to backends yet);
//! - only `credential_type=password` is issued;
//! - `rotation_window` is stored and shown but does not delay a scheduled rotation.
#![forbid(unsafe_code)]

mod backend;
mod connections;
mod cron;
mod leases;
mod paths;
pub mod plugin;
pub mod plugins;
pub mod rabbitmq;
mod rotation;
mod store;
mod username;
mod wal;

#[cfg(test)]
mod tests;

pub use backend::factory;
pub use backend::factory as database_factory;
pub use rabbitmq::factory as rabbitmq_factory;
