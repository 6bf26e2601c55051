//! Vault Agent's lease cache: answers that carry a renewable lease or a new token are
//! kept in memory under a hash of the request, served to identical requests while valid,
//! renewed in the background and evicted when renewal stops, when they are revoked
//! through the proxy, or on `/agent/v1/cache-clear`.

mod entry;
mod evictions;
mod flight;
mod key;
mod lease_cache;
mod renew;
mod store;

pub use entry::{CachedResponse, RequestInfo};
pub use evictions::{clear_request, revocation};
pub use key::CacheKey;
pub use lease_cache::{Hit, LeaseCache};
pub use renew::renewer;
