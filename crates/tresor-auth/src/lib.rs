//! Auth methods, one module each: `userpass` (names and passwords), `approle` (role IDs
//! and secret IDs for machines), `kubernetes` (service accounts), `jwt` (JWTs and OIDC),
//! `cert` (TLS client certificates) and `ldap` (a directory, through our own LDAPv3
//! client). Each exposes a factory that the binary
//! registers by type name; methods see only the SDK and answer a successful login with a
//! [`tresor_sdk::Login`], which the core turns into a token.
#![forbid(unsafe_code)]

pub mod approle;
pub mod cert;
pub mod jwt;
pub mod kubernetes;
pub mod ldap;
mod names;
mod renew;
#[cfg(test)]
mod testkit;
pub mod userpass;

pub use approle::factory as approle_factory;
pub use cert::factory as cert_factory;
pub use jwt::factory as jwt_factory;
pub use kubernetes::factory as kubernetes_factory;
pub use ldap::factory as ldap_factory;
pub use userpass::factory as userpass_factory;
