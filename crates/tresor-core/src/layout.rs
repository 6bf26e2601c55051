//! Where the core keeps its own entries in physical storage.

/// The seal configuration, in plaintext: it is needed before unsealing.
pub const SEAL_CONFIG: &str = "core/seal-config";
/// The root key, sealed by the unseal key that the Shamir shares rebuild.
pub const ROOT_KEY: &str = "core/root-key";
/// The barrier keyring, sealed by the root key.
pub const KEYRING: &str = "core/keyring";
/// Behind the barrier: cluster name and id.
pub const CLUSTER_INFO: &str = "core/cluster/local/info";
/// Behind the barrier: the token store's prefix.
pub const TOKEN_PREFIX: &str = "sys/token/";
/// Behind the barrier: the identity store's prefix.
pub const IDENTITY_PREFIX: &str = "sys/identity/";
