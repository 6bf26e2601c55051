//! The public entry points: parse a template once, render it against a source as often
//! as the agent needs.

use std::fmt;

use crate::deps::Deps;
use crate::error::{Location, ParseError, RenderError, RenderErrorKind};
use crate::exec::{EvalError, Exec};
use crate::parser::{self, Parsed};
use crate::source::{Dependency, Source};
use crate::value::Value;

/// Action delimiters. Empty strings mean the defaults `{{` and `}}`, as in Go (and in
/// Vault Agent's `left_delimiter` / `right_delimiter`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delims {
    pub left: String,
    pub right: String,
}

impl Default for Delims {
    fn default() -> Self {
        Delims::new("", "")
    }
}

impl Delims {
    pub fn new(left: &str, right: &str) -> Delims {
        let pick = |s: &str, default: &str| {
            if s.is_empty() {
                default.to_string()
            } else {
                s.to_string()
            }
        };
        Delims {
            left: pick(left, "{{"),
            right: pick(right, "}}"),
        }
    }
}

/// How to render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderOptions {
    /// consul-template's `error_on_missing_key` (Go's `missingkey=error`): a missing
    /// map key is an error instead of `<no value>`.
    pub error_on_missing_key: bool,
    /// Rendering fails once the output would exceed this many bytes.
    pub max_output_bytes: usize,
    /// Rendering fails after this many evaluation steps (nodes, commands, iterations).
    pub max_steps: u64,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            error_on_missing_key: false,
            max_output_bytes: 16 << 20,
            max_steps: 10_000_000,
        }
    }
}

/// The result of one render.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The rendered text. Only meaningful when `complete`: while dependencies are
    /// pending it is built from empty values.
    pub output: String,
    /// Every dependency the render used, deduplicated, in first-use order.
    pub dependencies: Vec<Dependency>,
    /// The dependencies that were pending, in first-use order.
    pub pending: Vec<Dependency>,
    /// Whether every dependency was ready (the output may be written).
    pub complete: bool,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendered")
            .field(
                "output",
                &format_args!("[{} bytes redacted]", self.output.len()),
            )
            .field("dependencies", &self.dependencies)
            .field("pending", &self.pending)
            .field("complete", &self.complete)
            .finish()
    }
}

/// A parsed template.
#[derive(Clone, Debug)]
pub struct Template {
    name: String,
    text: String,
    parsed: Parsed,
}

impl Template {
    /// Parses `text`. `name` appears in error messages (Vault Agent uses the template's
    /// source path; consul-template's own is empty).
    pub fn parse(name: &str, text: &str, delims: &Delims) -> Result<Template, ParseError> {
        match parser::parse(text, &delims.left, &delims.right) {
            Ok(parsed) => Ok(Template {
                name: name.to_string(),
                text: text.to_string(),
                parsed,
            }),
            Err(e) => Err(ParseError {
                name: name.to_string(),
                location: Location::of(text, e.pos),
                message: e.message,
            }),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renders against `src`. Data comes only through the template functions, so `.`
    /// starts out as no value, as in consul-template.
    ///
    /// While dependencies are pending, evaluation errors are not reported: they may come
    /// from the empty stand-ins, and the next render (with the data) will show them.
    /// A failed fetch and the limits are always errors.
    pub fn render(
        &self,
        src: &mut dyn Source,
        opts: &RenderOptions,
    ) -> Result<Rendered, RenderError> {
        let mut exec = Exec::new(
            &self.name,
            &self.text,
            &self.parsed.defines,
            opts,
            Deps::new(src),
        );
        let result = exec.run(&self.parsed.root, Value::Missing);
        let (output, deps) = exec.into_parts();
        let has_pending = deps.has_pending();
        let (dependencies, pending) = deps.finish();
        match result {
            Ok(()) => Ok(Rendered {
                output,
                dependencies,
                complete: pending.is_empty(),
                pending,
            }),
            Err(e) if has_pending && matches!(e.kind, RenderErrorKind::Eval(_)) => Ok(Rendered {
                output,
                dependencies,
                pending,
                complete: false,
            }),
            Err(e) => Err(self.render_error(e)),
        }
    }

    fn render_error(&self, e: EvalError) -> RenderError {
        let context: String = self
            .text
            .get(e.span.start..e.span.end)
            .unwrap_or("")
            .trim()
            .chars()
            .take(80)
            .collect();
        RenderError {
            name: self.name.clone(),
            executing: e.executing,
            location: Location::of(&self.text, e.span.start),
            context,
            kind: e.kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::TestSource;

    #[test]
    fn templates_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Template>();
        assert_send_sync::<Rendered>();
        assert_send_sync::<RenderError>();
    }

    #[test]
    fn empty_delimiters_mean_the_defaults() {
        assert_eq!(Delims::new("", ">>"), Delims::new("{{", ">>"));
        assert_eq!(Delims::default().right, "}}");
    }

    #[test]
    fn rendered_debug_hides_the_output() {
        let t = Template::parse(
            "t",
            "{{with secret \"app\"}}{{.Data.data.user}}{{end}}",
            &Delims::default(),
        );
        let r = t
            .map_err(|e| e.to_string())
            .and_then(|t| {
                t.render(&mut TestSource, &RenderOptions::default())
                    .map_err(|e| e.to_string())
            })
            .unwrap();
        assert_eq!(r.output, "admin");
        assert!(!format!("{r:?}").contains("admin"));
        assert_eq!(r.dependencies.len(), 1);
        assert!(r.complete);
    }

    #[test]
    fn errors_carry_name_and_position() {
        let err = Template::parse("conf.tmpl", "a\n  {{ end }}", &Delims::default()).unwrap_err();
        assert_eq!(err.location, Location { line: 2, col: 5 });
        assert_eq!(
            err.to_string(),
            "template: conf.tmpl:2:5: unexpected {{end}}"
        );
        let t =
            Template::parse("conf.tmpl", "x\n{{ secret \"gone\" }}", &Delims::default()).unwrap();
        let err = t
            .render(&mut TestSource, &RenderOptions::default())
            .unwrap_err();
        assert_eq!(err.location, Location { line: 2, col: 3 });
        assert!(err.dependency().is_some());
    }
}
