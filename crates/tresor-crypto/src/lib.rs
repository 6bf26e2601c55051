//! Cryptographic building blocks of tresor.
//!
//! Everything here is small and pure: secret containers that zeroize and never print,
//! Shamir secret sharing over GF(256), the AES-256-GCM keyring with key terms and the
//! checked codec of sealed entries, HMAC/SHA-256 and randomness. All primitives come
//! from aws-lc-rs; only Shamir's field arithmetic is ours, written branch-free.
#![forbid(unsafe_code)]

pub mod codec;
pub mod digest;
pub mod keyring;
pub mod random;
pub mod secret;
pub mod shamir;

pub use keyring::{Keyring, KeyringError, TermKey};
pub use secret::{SecretBytes, SecretString};
