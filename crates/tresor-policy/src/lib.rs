//! Vault-compatible ACL policies: parse HCL or JSON policy documents, compile a token's
//! policies into an [`Acl`] once, and answer requests and `sys/capabilities` from it.
//!
//! Pure and synchronous: no I/O, no clock, no global state; every input is treated as
//! untrusted and no input panics (see the `policy_parser` fuzz target).
//!
//! ```
//! use tresor_policy::{Acl, AclRequest, Operation, Policy};
//!
//! let policy = Policy::parse("kv-reader", r#"
//!     path "secret/*"       { capabilities = ["read", "list"] }
//!     path "secret/private" { capabilities = ["deny"] }
//! "#).unwrap();
//! let acl = Acl::new(&[policy]);
//! assert!(acl.allowed(&AclRequest::new("secret/app", Operation::Read)).allowed);
//! assert!(!acl.allowed(&AclRequest::new("secret/private", Operation::Read)).allowed);
//! assert_eq!(acl.capabilities("secret/app"), ["list", "read"]);
//! ```
//!
//! # Identity templates
//! A path pattern may hold identity templates, as in Vault:
//! `{{identity.entity.id}}`, `{{identity.entity.name}}`,
//! `{{identity.entity.metadata.<key>}}`,
//! `{{identity.entity.aliases.<mount accessor>.id}}` (also `.name`, `.metadata.<key>`,
//! `.custom_metadata.<key>`), `{{identity.groups.ids.<group id>.name}}` and
//! `{{identity.groups.names.<group name>.id}}` (each also `.id`, `.name`,
//! `.metadata.<key>`); spaces inside the braces are ignored. Such a policy
//! ([`Policy::is_templated`]) is [rendered](Policy::render) for each token's identity
//! before compiling its ACL; un-rendered, its templated rules grant nothing. A rule whose
//! template does not resolve, or resolves to a value that could widen the path (empty,
//! `.`, `..`, or holding `*`, `+`, `/`, `{` or `}`), is dropped.
//!
//! ```
//! use tresor_policy::{Acl, AclRequest, Operation, Policy, TemplateContext, TemplateEntity};
//!
//! let policy = Policy::parse("own", r#"
//!     path "secret/{{identity.entity.name}}/*" { capabilities = ["read"] }
//! "#).unwrap();
//! let ctx = TemplateContext {
//!     entity: Some(TemplateEntity { id: "e1".into(), name: "alice".into(), ..Default::default() }),
//!     ..Default::default()
//! };
//! let acl = Acl::new(&[policy.render(&ctx)]);
//! assert!(acl.allowed(&AclRequest::new("secret/alice/db", Operation::Read)).allowed);
//! assert!(!acl.allowed(&AclRequest::new("secret/bob/db", Operation::Read)).allowed);
//! ```
//!
//! Modules (private): `document` reads HCL/JSON into path entries (HCL1 through the `tresor-hcl` crate),
//! `rule` validates one entry and merges rules, `template` parses and renders identity
//! templates, `pattern` classifies patterns and ranks
//! them (the five priority rules), `acl` compiles and looks up (the exact / folder / LIST
//! order), `eval` and `params` decide, `prefix_trie` and `segment_trie` are the indexes.
//!
//! # Complexity
//! With `L` the request path's length: the exact probes are hash lookups, O(L) each; the
//! longest plain prefix comes from a byte trie walk, O(L · log 256); `+` patterns are
//! matched by one walk of a segment trie, O(L + nodes visited), where each trie node is
//! visited at most once per lookup. No regular expressions; no allocation per path
//! segment (the segment walk allocates a small stack only when a path can continue down
//! both a literal and a `+` branch). Compiling is O(total pattern length) plus the merge.
//! Parameter checks are O(parameters · list length).

#![forbid(unsafe_code)]

mod acl;
mod capability;
mod document;
mod duration;
mod error;
mod eval;
mod params;
mod pattern;
mod policy;
mod prefix_trie;
mod rule;
mod segment_trie;
mod template;

pub use acl::Acl;
pub use capability::{Capabilities, Capability};
pub use error::PolicyError;
pub use eval::{AclRequest, Decision, Denial, Operation};
pub use policy::{check_name, normalize_name, Policy, ROOT_POLICY};
pub use rule::PathRule;
pub use template::{TemplateAlias, TemplateContext, TemplateEntity, TemplateGroup};
