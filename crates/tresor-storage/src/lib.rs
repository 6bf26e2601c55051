//! Physical storage for tresor.
//!
//! A backend stores opaque bytes under string keys with five operations: get, put,
//! delete, list (one level, folders end with `/`) and an atomic batch. The barrier
//! sits on top of this and is itself a [`Backend`], so views and the conformance suite
//! work on either side of it.
#![forbid(unsafe_code)]

mod backend;
pub mod conformance;
mod inmem;
mod view;

pub use backend::{check_key, list_children, Backend, Op, StorageError};
pub use inmem::InmemBackend;
pub use view::View;
