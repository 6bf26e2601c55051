//! tresor's core: the barrier over physical storage, the Shamir seal and its lifecycle
//! (init, unseal, seal, rotate, rekey), the token store, the `sys/` backend and the
//! request pipeline that every request goes through.
#![forbid(unsafe_code)]

mod audit;
mod authorize;
pub mod barrier;
mod core;
/// Public for benchmarks and tests that build lease tables (`examples/unseal_leases.rs`).
pub mod expiration;
mod identity;
mod init;
mod layout;
mod login;
pub mod mounts;
pub mod password_policies;
pub mod path;
mod periodic;
mod pipeline;
pub mod policies;
pub mod rekey;
mod rotate;
mod seal_config;
mod staging;
mod status;
mod sys;
mod token_api;
pub mod tokens;
mod unseal;
pub mod version;
mod wrapping;

pub use crate::audit::{AuditDeviceConfig, AuditSettings};
pub use crate::core::{Core, CoreConfig, DEFAULT_SYSTEM_TTL};
pub use init::{InitRequest, InitResult};
pub use rekey::RekeyStatus;
pub use seal_config::SealConfig;
pub use status::{HealthQuery, SealStatus};
pub use sys::UNAUTHENTICATED_PATHS;
