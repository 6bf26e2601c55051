//! The one error type of policy parsing. Messages name the offending key or token (cut
//! to a short length) and never quote more of the document than that.

/// Longest token, in characters, quoted back in an error message.
const MAX_TOKEN: usize = 64;

/// Why a policy document was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The policy name is empty after trimming.
    #[error("policy name must not be empty")]
    EmptyName,
    /// `root` is reserved for the built-in root policy.
    #[error("\"root\" is a reserved policy name")]
    ReservedName,
    /// The document is neither valid HCL nor valid JSON.
    #[error("failed to parse policy: syntax error on line {line}: {detail}")]
    Syntax {
        /// 1-based line in the original document.
        line: usize,
        /// A short description from the parser, without source text.
        detail: String,
    },
    /// A key that policies do not have, at the top level.
    #[error("failed to parse policy: invalid key {key:?}")]
    UnknownTopLevelKey {
        /// The key, shortened.
        key: String,
    },
    /// A key that path blocks do not have.
    #[error("failed to parse policy: path {path:?}: invalid key {key:?}")]
    UnknownKey {
        /// The path pattern, shortened.
        path: String,
        /// The key, shortened.
        key: String,
    },
    /// A Vault feature that tresor does not implement; refused rather than ignored, so a
    /// policy never grants more than its author meant.
    #[error("failed to parse policy: path {path:?}: {key:?} is not supported")]
    Unsupported {
        /// The path pattern, shortened.
        path: String,
        /// The key or construct.
        key: String,
    },
    /// A value of the wrong type or shape.
    #[error("failed to parse policy: {context}: expected {expected}")]
    Shape {
        /// Where: `path "x": capabilities`, `top level`, ...
        context: String,
        /// What was expected there.
        expected: &'static str,
    },
    /// A capability name that does not exist.
    #[error("failed to parse policy: path {path:?}: invalid capability {capability:?}")]
    InvalidCapability {
        /// The path pattern, shortened.
        path: String,
        /// The capability, shortened.
        capability: String,
    },
    /// A legacy `policy = "..."` value other than deny, read, write or sudo.
    #[error("failed to parse policy: path {path:?}: invalid policy {value:?}")]
    InvalidLegacyPolicy {
        /// The path pattern, shortened.
        path: String,
        /// The value, shortened.
        value: String,
    },
    /// A path pattern with a misplaced wildcard.
    #[error("failed to parse policy: path {path:?}: invalid use of wildcards ({reason})")]
    InvalidGlob {
        /// The path pattern, shortened.
        path: String,
        /// Which rule the pattern breaks.
        reason: &'static str,
    },
    /// A path pattern whose `{{` and `}}` do not pair up.
    #[error("failed to parse policy: path {path:?}: unbalanced templating characters")]
    UnbalancedTemplate {
        /// The path pattern, shortened.
        path: String,
    },
    /// A path pattern naming an identity template tresor cannot substitute into a path.
    #[error("failed to parse policy: path {path:?}: unknown identity template {key:?}")]
    UnknownTemplate {
        /// The path pattern, shortened.
        path: String,
        /// The text between the braces, trimmed and shortened.
        key: String,
    },
    /// A wrapping TTL that is not a duration.
    #[error("failed to parse policy: path {path:?}: invalid {key}: {value:?}")]
    InvalidDuration {
        /// The path pattern, shortened.
        path: String,
        /// `min_wrapping_ttl` or `max_wrapping_ttl`.
        key: &'static str,
        /// The value, shortened.
        value: String,
    },
    /// `max_wrapping_ttl` below `min_wrapping_ttl` in one block.
    #[error(
        "failed to parse policy: path {path:?}: max_wrapping_ttl cannot be less than min_wrapping_ttl"
    )]
    WrappingTtlOrder {
        /// The path pattern, shortened.
        path: String,
    },
}

/// `s` cut to [`MAX_TOKEN`] characters (with an ellipsis when cut), for error messages.
pub(crate) fn short(s: &str) -> String {
    match s.char_indices().nth(MAX_TOKEN) {
        Some((end, _)) => format!("{}...", s.get(..end).unwrap_or_default()),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_cuts_long_tokens_on_char_boundaries() {
        assert_eq!(short("abc"), "abc");
        let long = "é".repeat(100);
        let cut = short(&long);
        assert_eq!(cut.chars().count(), MAX_TOKEN + 3);
        assert!(cut.ends_with("..."));
    }
}
