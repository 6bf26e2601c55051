//! The token store: service tokens stored only as salted hashes with an accessor index
//! and a parent index (for tree revocation); batch tokens sealed into the token itself;
//! token roles; and the TTL rules shared by creation and renewal.

mod batch;
mod entry;
mod roles;
mod store;
pub mod ttl;

pub use entry::{time_of as entry_time, TokenEntry, TokenKind};
pub use roles::Role;
pub use store::{new_accessor, TokenStore, BATCH_PREFIX, SERVICE_PREFIX};
