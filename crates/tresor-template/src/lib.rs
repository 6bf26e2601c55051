//! Go `text/template` as consul-template uses it: what Vault Agent users write in
//! `template { contents = ... }`, for `tresor agent`.
//!
//! Parse once with [`Template::parse`], then [`Template::render`] against a [`Source`]
//! that answers from data the agent has already fetched. Rendering is pure and
//! synchronous: a dependency not fetched yet makes the result incomplete, and
//! [`Rendered::pending`] says what to fetch before rendering again.
//!
//! Supported: all of Go's template syntax (custom delimiters, trim markers, comments,
//! pipelines, variables, `if`/`with`/`range` with `else`, `else if`, `else with`,
//! `break`/`continue`, ranging over integers, `define`/`template`/`block`), Go's
//! builtins (not `call`), and consul-template's Vault, environment, file, string,
//! encoding and arithmetic functions. Outputs are checked against OpenBao's agent by
//! the golden tests (`tests/golden/regenerate.py`).
//!
//! Where tresor differs from consul-template:
//! - Evaluation errors while a dependency is pending are not reported (the render is
//!   just incomplete); consul-template fails, e.g. on `(secret "x").Data` with
//!   `error_on_missing_key`, before the secret has arrived.
//! - Strings are UTF-8: `base64Decode` of binary data replaces invalid bytes.
//! - Functions that need Consul or Nomad (`key`, `service`, ...) and a few others
//!   (`plugin`, `writeToFile`, `scratch`, `parseYAML`, `sprig_*`)
//!   fail when called.
//! - `int` and `int64` are interchangeable as arguments; `%#v` prints like `%v`; a
//!   nested struct pointer prints as `&{...}`, not as an address; `%x` on floats is
//!   not supported; `WrapInfo.CreationTime` is a string.
//! - `pkiCert` values have `CAChain` (newer consul-template), which OpenBao 2.7 lacks.
//! - Work is bounded: nesting depth 200, [`RenderOptions`] steps and output size, and
//!   8 MiB for any value a function builds.
//! - Error messages never show values from the source (Go shows some, e.g. the input
//!   of `parseInt`); they name template text, types, paths and keys.
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
#[cfg(test)]
mod test_support;
mod timefmt;
mod toml;
mod value;
mod yaml;

pub use error::{Location, ParseError, RenderError, RenderErrorKind};
pub use secret::secret_value;
pub use source::{Dependency, Fetched, Source};
pub use template::{Delims, RenderOptions, Rendered, Template};
pub use value::{GoStruct, Map, NilKind, StructKind, Value};
