//! Secret engines, one module each. Each exposes a factory that the binary registers by
//! type name; engines see only the SDK (requests, their storage view, the clock).
#![forbid(unsafe_code)]

pub mod cubbyhole;
pub mod kv;
mod listing;

pub use cubbyhole::factory as cubbyhole_factory;
pub use kv::factory as kv_factory;
