//! Go `text/template` as consul-template uses it: what Vault Agent users write in
//! `template { contents = ... }`, for `tresor agent`.
//!
//! Parse once with [`Template::parse`], then [`Template::render`] against a [`Source`]
//! that answers from data the agent has already fetched. Rendering is pure and
//! synchronous: a dependency not fetched yet makes the result incomplete, and
//! [`Rendered::pending`] says what to fetch before rendering again.
//!
//! ```
//! use tresor_template::{Delims, Dependency, Fetched, RenderOptions, Source, Template};
//!
//! struct Fixed;
//! impl Source for Fixed {
//!     fn fetch(&mut self, dep: &Dependency) -> Fetched {
//!         match dep {
//!             Dependency::Secret { path, .. } if path == "secret/data/app" => {
//!                 Fetched::Ready(serde_json::json!({"data": {"data": {"password": "pw"}}}))
//!             }
//!             _ => Fetched::Pending,
//!         }
//!     }
//!     fn env(&self, _: &str) -> Option<String> { None }
//!     fn now(&self) -> time::OffsetDateTime { time::OffsetDateTime::UNIX_EPOCH }
//! }
//!
//! let t = Template::parse(
//!     "app.tmpl",
//!     r#"{{ with secret "secret/data/app" }}{{ .Data.data.password }}{{ end }}"#,
//!     &Delims::default(),
//! )?;
//! let out = t.render(&mut Fixed, &RenderOptions::default())?;
//! assert!(out.complete);
//! assert_eq!(out.output, "pw");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod ast;
mod deps;
mod error;
mod exec;
mod format;
mod funcs;
mod json;
mod lexer;
mod number;
mod parser;
mod secret;
mod source;
mod template;
mod timefmt;
mod value;
mod yaml;

pub use error::{Location, ParseError, RenderError, RenderErrorKind};
pub use secret::secret_value;
pub use source::{Dependency, Fetched, Source};
pub use template::{Delims, RenderOptions, Rendered, Template};
pub use value::{GoStruct, Map, NilKind, StructKind, Value};
