//! The mount tables (secret engines and auth methods), their persistence behind the
//! barrier, and the router snapshot built from them.

mod entry;
mod manager;
mod registry;
mod router;
mod validate;

pub use entry::{MountConfig, MountEntry, Table};
pub use manager::{EnableRequest, Mounts, TuneRequest};
pub use registry::Registry;
pub use router::{Mounted, Router};
