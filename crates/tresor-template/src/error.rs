//! Parse and render errors. Both carry the template name and a position in Go's style
//! (1-based line, 0-based byte column). Messages name template text, types, paths and
//! map keys, never a value that came from a secret.

use thiserror::Error;

use crate::source::Dependency;

/// A position in the template text: 1-based line, 0-based byte column, as Go reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub col: usize,
}

impl Location {
    /// The location of byte `offset` in `src` (clamped to its length).
    pub(crate) fn of(src: &str, offset: usize) -> Location {
        let bytes = src.as_bytes();
        let before = bytes.get(..offset.min(bytes.len())).unwrap_or_default();
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let col = match before.iter().rposition(|&b| b == b'\n') {
            Some(nl) => before.len() - nl - 1,
            None => before.len(),
        };
        Location { line, col }
    }
}

/// The template text could not be parsed.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("template: {name}:{}:{}: {message}", location.line, location.col)]
pub struct ParseError {
    pub name: String,
    pub location: Location,
    pub message: String,
}

/// Rendering stopped. `context` is the template text of the term that failed (at most
/// 80 characters), never data.
#[derive(Clone, Debug, Error)]
#[error(
    "template: {name}:{}:{}: executing \"{executing}\" at <{context}>: {kind}",
    location.line,
    location.col
)]
pub struct RenderError {
    /// Name the template was parsed under.
    pub name: String,
    /// Name of the (possibly `define`d) template that was executing.
    pub executing: String,
    pub location: Location,
    pub context: String,
    pub kind: RenderErrorKind,
}

impl RenderError {
    /// The dependency whose fetch failed, when that is why rendering stopped.
    pub fn dependency(&self) -> Option<&Dependency> {
        match &self.kind {
            RenderErrorKind::Dependency { dependency, .. } => Some(dependency.as_ref()),
            _ => None,
        }
    }
}

/// Why rendering stopped.
#[derive(Clone, Debug, Error)]
pub enum RenderErrorKind {
    /// An evaluation error, worded like Go's text/template.
    #[error("{0}")]
    Eval(String),
    /// The source reported that fetching a dependency failed.
    #[error("{dependency}: {reason}")]
    Dependency {
        dependency: Box<Dependency>,
        reason: String,
    },
    #[error("output exceeds the limit of {0} bytes")]
    OutputTooLarge(usize),
    #[error("evaluation exceeds the limit of {0} steps")]
    TooManySteps(u64),
    #[error("exceeded maximum template depth ({0})")]
    TooDeep(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_lines_from_one_and_columns_from_zero() {
        let src = "ab\ncd{{x}}\n";
        assert_eq!(Location::of(src, 0), Location { line: 1, col: 0 });
        assert_eq!(Location::of(src, 5), Location { line: 2, col: 2 });
        assert_eq!(Location::of(src, 999), Location { line: 3, col: 0 });
    }

    #[test]
    fn parse_error_display_is_go_like() {
        let e = ParseError {
            name: "t".into(),
            location: Location { line: 3, col: 14 },
            message: "unexpected EOF".into(),
        };
        assert_eq!(e.to_string(), "template: t:3:14: unexpected EOF");
    }
}
