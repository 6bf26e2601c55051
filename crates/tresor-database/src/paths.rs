//! The engine's request handlers, one route family per module.

pub mod config;
pub mod creds;
pub mod fields;
pub mod roles;
pub mod rotate;
pub mod static_roles;
