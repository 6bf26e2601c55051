//! Auth methods, one module each: `userpass` (names and passwords), `approle`
//! (role IDs and secret IDs for machines) and `kubernetes` (service accounts). Each exposes a factory that the binary
//! registers by type name; methods see only the SDK and answer a successful login with a
//! [`tresor_sdk::Login`], which the core turns into a token.
#![forbid(unsafe_code)]

pub mod approle;
pub mod kubernetes;
mod names;
#[cfg(test)]
mod testkit;
pub mod userpass;

pub use approle::factory as approle_factory;
pub use kubernetes::factory as kubernetes_factory;
pub use userpass::factory as userpass_factory;
