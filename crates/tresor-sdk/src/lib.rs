//! The contract between tresor's core and its backends.
//!
//! One [`Request`] and one [`Response`] type flow through every layer; backends never
//! see HTTP. Errors are typed ([`Error`]) and turned into status codes in one place, by
//! the HTTP layer.
#![forbid(unsafe_code)]

pub mod clock;
pub mod duration;
mod error;
pub mod fields;
pub mod framework;
mod lease;
mod logical;
mod login;
mod request;
mod response;
pub mod stored;
pub mod tls;
pub mod token_params;

pub use clock::{parse_rfc3339, rfc3339, Clock, ManualClock, SystemClock};
pub use error::{Error, ErrorKind};
pub use lease::{LeaseRequest, SecretLease};
pub use logical::{
    BackendRequest, Factory, LogicalBackend, LoginRecord, MountContext, MountInfo, NoSystemView,
    SystemView,
};
pub use login::{Login, RenewTerms};
pub use request::{Operation, Request};
pub use response::{Auth, Response, WrapInfo};
pub use serde_json::{Map, Value};
pub use tresor_storage as storage;

/// A JSON object: request data and response data.
pub type Data = Map<String, Value>;
