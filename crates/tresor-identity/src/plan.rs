//! Pure planning of writes: each function reads the index and answers the [`Change`]
//! to write (nothing, when the request changes nothing) and what to tell the caller.
//! The store writes the change to storage, then applies it to the index.
//!
//! [`Change`]: crate::index::Change

pub mod alias;
pub mod entity;
pub mod group;
pub mod group_alias;

use tresor_sdk::Error;

fn bad(msg: impl Into<String>) -> Error {
    Error::bad_request(msg)
}
