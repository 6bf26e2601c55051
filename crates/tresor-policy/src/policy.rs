//! A named policy: its normalised name and its validated path rules.

use crate::document;
use crate::error::PolicyError;
use crate::rule::PathRule;
use crate::template::TemplateContext;

/// The name of the built-in policy that grants everything; never parsed or stored.
pub const ROOT_POLICY: &str = "root";

/// A policy name as Vault stores and compares it: trimmed and lower-cased.
pub fn normalize_name(name: &str) -> String {
    name.trim().to_lowercase()
}

/// `name` normalised, or an error when it is empty or names the root policy. Use it
/// wherever a policy name enters the server (policy writes, token and identity policy
/// lists), so `" root"` or `"ROOT"` can never stand for root.
pub fn check_name(name: &str) -> Result<String, PolicyError> {
    let name = normalize_name(name);
    if name.is_empty() {
        Err(PolicyError::EmptyName)
    } else if name == ROOT_POLICY {
        Err(PolicyError::ReservedName)
    } else {
        Ok(name)
    }
}

/// A parsed ACL policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    name: String,
    rules: Vec<PathRule>,
}

impl Policy {
    /// Parses policy `text` (HCL1/HCL2, or JSON when it starts with `{`) under `name`,
    /// which is normalised and may not be `root`.
    pub fn parse(name: &str, text: &str) -> Result<Policy, PolicyError> {
        let name = check_name(name)?;
        let rules = document::read(text)?
            .into_iter()
            .map(PathRule::from_raw)
            .collect::<Result<_, _>>()?;
        Ok(Policy { name, rules })
    }

    /// The normalised name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The path rules, in document order (rules for one pattern are merged by the ACL).
    pub fn rules(&self) -> &[PathRule] {
        &self.rules
    }

    /// Whether any path pattern holds identity templates; such a policy must be
    /// [rendered](Policy::render) for each token before its templated rules grant anything.
    pub fn is_templated(&self) -> bool {
        self.rules.iter().any(PathRule::is_templated)
    }

    /// This policy for the identity `ctx`: every template substituted, and each rule
    /// whose templates do not resolve to a safe value (see [`TemplateContext`]) dropped,
    /// as Vault drops it. The result is not templated; a policy that is not templated
    /// comes back unchanged.
    pub fn render(&self, ctx: &TemplateContext) -> Policy {
        if !self.is_templated() {
            return self.clone();
        }
        Policy {
            name: self.name.clone(),
            rules: self.rules.iter().filter_map(|r| r.render(ctx)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_and_root_is_refused() {
        assert_eq!(normalize_name("  Dev-Team \n"), "dev-team");
        assert_eq!(check_name(" ReadOnly ").unwrap(), "readonly");
        for root in ["root", " root", "ROOT", "Root\t"] {
            assert_eq!(check_name(root), Err(PolicyError::ReservedName));
            assert_eq!(
                Policy::parse(root, "").unwrap_err(),
                PolicyError::ReservedName
            );
        }
        assert_eq!(check_name("  "), Err(PolicyError::EmptyName));
    }

    #[test]
    fn empty_policy_is_valid_and_grants_nothing() {
        let p = Policy::parse("Empty", "# nothing\n").unwrap();
        assert_eq!(p.name(), "empty");
        assert!(p.rules().is_empty());
        assert!(Policy::parse("e", "{}").unwrap().rules().is_empty());
    }
}
