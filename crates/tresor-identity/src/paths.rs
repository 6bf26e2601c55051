//! The handlers of the HTTP API, one route family per file.

pub mod alias;
pub mod entity;
pub mod group;
pub mod group_alias;
pub mod lookup;
