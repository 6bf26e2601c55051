//! The audit log: Vault's entry format with a per-device HMAC, the devices that write it
//! (file, socket, syslog) and the broker that refuses a request no device recorded.
#![forbid(unsafe_code)]

pub mod broker;
pub mod device;
pub mod error;
pub mod file;
pub mod format;
pub mod hash;
pub mod input;
pub mod socket;
pub mod syslog;

pub use broker::Broker;
pub use device::{create, Device, Options};
pub use error::AuditError;
pub use format::{FormatOptions, Formatter};
pub use hash::{audit_hash, Hasher};
pub use input::{AuditAuth, AuditRequest, AuditResponse, AuditWrapInfo};
