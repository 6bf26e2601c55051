//! Which token a proxied request is sent with (`api_proxy { use_auto_auth_token }`).

use super::reply::Refusal;
use tresor_crypto::SecretString;

#[derive(Debug, Clone, Copy, Default)]
pub struct TokenRule {
    /// Requests without a token get the auto-auth token.
    pub use_auto_auth_token: bool,
    /// `"force"`: every request gets the auto-auth token.
    pub force: bool,
}

/// Vault Agent's rule: with `force` the auto-auth token always; with
/// `use_auto_auth_token` the request's own token if it has one, else the auto-auth token;
/// otherwise the request's token (or none). An empty header counts as no token. When the
/// auto-auth token is needed but not there yet, the request is refused (503).
pub fn choose(
    rule: TokenRule,
    from_request: Option<&str>,
    auto_auth: Option<&SecretString>,
) -> Result<Option<SecretString>, Refusal> {
    let from_request = from_request.filter(|t| !t.is_empty());
    let wants_auto = rule.force || (rule.use_auto_auth_token && from_request.is_none());
    if !wants_auto {
        return Ok(from_request.map(SecretString::from));
    }
    match auto_auth.filter(|t| !t.is_empty()) {
        Some(t) => Ok(Some(t.clone())),
        None => Err(Refusal::NoAutoAuthToken),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The token sent ("" for none), or `None` for a refusal.
    fn pick(rule: TokenRule, req: Option<&str>, auto: Option<&str>) -> Option<String> {
        let auto = auto.map(SecretString::from);
        choose(rule, req, auto.as_ref())
            .ok()
            .map(|t| t.map(|t| t.expose().to_owned()).unwrap_or_default())
    }

    #[test]
    fn the_three_settings() {
        let off = TokenRule::default();
        let on = TokenRule {
            use_auto_auth_token: true,
            force: false,
        };
        let force = TokenRule {
            use_auto_auth_token: true,
            force: true,
        };
        assert_eq!(pick(off, Some("app"), Some("auto")), Some("app".into()));
        assert_eq!(pick(off, None, Some("auto")), Some(String::new()));
        assert_eq!(pick(on, Some("app"), Some("auto")), Some("app".into()));
        assert_eq!(pick(on, None, Some("auto")), Some("auto".into()));
        assert_eq!(pick(on, Some(""), Some("auto")), Some("auto".into()));
        assert_eq!(pick(force, Some("app"), Some("auto")), Some("auto".into()));
        // Needed but not there yet: refused.
        assert_eq!(pick(on, None, None), None);
        assert_eq!(pick(force, Some("app"), Some("")), None);
        // Not needed: no refusal.
        assert_eq!(pick(on, Some("app"), None), Some("app".into()));
    }
}
