//! One `path` block, validated: its pattern and the permissions it grants, plus how two
//! blocks for the same pattern merge (within a policy or across policies, as Vault does).

use crate::capability::{legacy_policy, Capabilities, Capability};
use crate::document::RawPath;
use crate::duration;
use crate::error::{short, PolicyError};
use crate::pattern::Pattern;
use crate::template::{Template, TemplateContext};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// Parameter name (lower-cased) -> allowed or denied values; an empty list means "any".
pub(crate) type ParamMap = BTreeMap<String, Vec<Value>>;

/// Path keys of Vault or OpenBao that tresor does not implement. They are refused, not
/// ignored: ignoring `control_group`, `mfa_methods`, `expiration` or `pagination_limit`
/// would grant more than the policy's author meant.
const UNSUPPORTED: &[&str] = &[
    "control_group",
    "expiration",
    "list_scan_response_keys_filter_path",
    "mfa_methods",
    "pagination_limit",
];

/// What a rule grants at its pattern. Zero wrapping TTLs mean "not set", as in Vault.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Permissions {
    pub(crate) caps: Capabilities,
    pub(crate) min_wrapping_ttl: Duration,
    pub(crate) max_wrapping_ttl: Duration,
    pub(crate) allowed: ParamMap,
    pub(crate) denied: ParamMap,
    pub(crate) required: Vec<String>,
}

impl Permissions {
    /// Folds `other` (a later block with the same pattern) into `self`, as Vault does: a
    /// deny on either side leaves only the deny; otherwise capabilities unite, the smaller
    /// non-zero wrapping TTL wins for both bounds, parameter value lists are concatenated
    /// (an empty list, meaning "any value", absorbs the other), required parameters unite.
    pub(crate) fn merge(&mut self, other: &Permissions) {
        if self.caps.is_deny() {
            return;
        }
        if other.caps.is_deny() {
            self.caps = other.caps;
            self.allowed.clear();
            self.denied.clear();
            return;
        }
        self.caps = self.caps.union(other.caps);
        self.max_wrapping_ttl = smaller_set(self.max_wrapping_ttl, other.max_wrapping_ttl);
        self.min_wrapping_ttl = smaller_set(self.min_wrapping_ttl, other.min_wrapping_ttl);
        merge_params(&mut self.allowed, &other.allowed);
        merge_params(&mut self.denied, &other.denied);
        for name in &other.required {
            if !self.required.contains(name) {
                self.required.push(name.clone());
            }
        }
    }
}

fn smaller_set(current: Duration, new: Duration) -> Duration {
    if !new.is_zero() && (current.is_zero() || new < current) {
        new
    } else {
        current
    }
}

pub(crate) fn merge_params(into: &mut ParamMap, from: &ParamMap) {
    for (name, values) in from {
        match into.get_mut(name) {
            Some(existing) if existing.is_empty() => {}
            Some(existing) if values.is_empty() => existing.clear(),
            Some(existing) => existing.extend(values.iter().cloned()),
            None => {
                into.insert(name.clone(), values.clone());
            }
        }
    }
}

/// A validated `path` block.
#[derive(Debug, Clone, PartialEq)]
pub struct PathRule {
    pub(crate) target: Target,
    pub(crate) perms: Permissions,
}

/// What a rule applies to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    /// A pattern the ACL can index.
    Glob(Pattern),
    /// A pattern still holding identity templates: it matches nothing until rendered.
    Template(Template),
}

impl PathRule {
    /// The pattern, without a leading `/`; a prefix pattern keeps its trailing `*`. A
    /// templated rule that was not rendered shows its templates as written.
    pub fn pattern(&self) -> &str {
        match &self.target {
            Target::Glob(pattern) => pattern.text(),
            Target::Template(template) => template.source(),
        }
    }

    /// Whether the pattern holds identity templates (then the rule grants nothing until
    /// its policy is rendered, see [`crate::Policy::render`]).
    pub fn is_templated(&self) -> bool {
        matches!(self.target, Target::Template(_))
    }

    /// The pattern the ACL indexes, `None` for a templated rule.
    pub(crate) fn glob(&self) -> Option<&Pattern> {
        match &self.target {
            Target::Glob(pattern) => Some(pattern),
            Target::Template(_) => None,
        }
    }

    /// This rule for `ctx`: unchanged when it is not templated, `None` when a template
    /// does not resolve to a safe value.
    pub(crate) fn render(&self, ctx: &TemplateContext) -> Option<PathRule> {
        let target = match &self.target {
            Target::Glob(_) => self.target.clone(),
            Target::Template(template) => Target::Glob(template.render(ctx)?),
        };
        Some(PathRule {
            target,
            perms: self.perms.clone(),
        })
    }

    /// The capabilities this block grants (only `deny` when it denies).
    pub fn capabilities(&self) -> Capabilities {
        self.perms.caps
    }

    /// Validates one raw `path` entry.
    pub(crate) fn from_raw(raw: RawPath) -> Result<PathRule, PolicyError> {
        let path = short(&raw.pattern);
        let target = match Template::parse(&raw.pattern, &path)? {
            Some(template) => Target::Template(template),
            None => Target::Glob(Pattern::parse(&raw.pattern).map_err(|reason| {
                PolicyError::InvalidGlob {
                    path: path.clone(),
                    reason,
                }
            })?),
        };
        let mut perms = Permissions::default();
        for (key, value) in raw.attrs {
            attribute(&path, &key, value, &mut perms)?;
        }
        if !perms.min_wrapping_ttl.is_zero()
            && !perms.max_wrapping_ttl.is_zero()
            && perms.max_wrapping_ttl < perms.min_wrapping_ttl
        {
            return Err(PolicyError::WrappingTtlOrder { path });
        }
        Ok(PathRule { target, perms })
    }
}

fn attribute(
    path: &str,
    key: &str,
    value: Value,
    perms: &mut Permissions,
) -> Result<(), PolicyError> {
    match key {
        // Free text for the author; `subscribe_event_types` only refines `subscribe`,
        // which grants nothing here.
        "comment" | "subscribe_event_types" => {}
        "policy" => {
            let word = string(path, key, &value)?;
            let caps = legacy_policy(word).ok_or_else(|| PolicyError::InvalidLegacyPolicy {
                path: path.to_owned(),
                value: short(word),
            })?;
            perms.caps = perms.caps.union(caps);
        }
        "capabilities" => {
            for name in strings(path, key, &value)? {
                let cap =
                    Capability::from_name(name).ok_or_else(|| PolicyError::InvalidCapability {
                        path: path.to_owned(),
                        capability: short(name),
                    })?;
                perms.caps = perms.caps.with(cap);
            }
        }
        "allowed_parameters" => perms.allowed = params(path, key, value)?,
        "denied_parameters" => perms.denied = params(path, key, value)?,
        "required_parameters" => {
            perms.required = strings(path, key, &value)?
                .into_iter()
                .map(str::to_lowercase)
                .collect();
        }
        "min_wrapping_ttl" => perms.min_wrapping_ttl = ttl(path, "min_wrapping_ttl", &value)?,
        "max_wrapping_ttl" => perms.max_wrapping_ttl = ttl(path, "max_wrapping_ttl", &value)?,
        _ if UNSUPPORTED.contains(&key) => {
            return Err(PolicyError::Unsupported {
                path: path.to_owned(),
                key: short(key),
            })
        }
        _ => {
            return Err(PolicyError::UnknownKey {
                path: path.to_owned(),
                key: short(key),
            })
        }
    }
    Ok(())
}

fn ttl(path: &str, key: &'static str, value: &Value) -> Result<Duration, PolicyError> {
    duration::parse(value).ok_or_else(|| PolicyError::InvalidDuration {
        path: path.to_owned(),
        key,
        value: match value {
            Value::String(s) => short(s),
            other => short(&other.to_string()),
        },
    })
}

fn string<'v>(path: &str, key: &str, value: &'v Value) -> Result<&'v str, PolicyError> {
    value.as_str().ok_or_else(|| shape(path, key, "a string"))
}

fn strings<'v>(path: &str, key: &str, value: &'v Value) -> Result<Vec<&'v str>, PolicyError> {
    let Value::Array(items) = value else {
        return Err(shape(path, key, "a list of strings"));
    };
    items
        .iter()
        .map(|v| {
            v.as_str()
                .ok_or_else(|| shape(path, key, "a list of strings"))
        })
        .collect()
}

/// `{"name" = [values...]}` with names lower-cased; names that collide once lower-cased
/// are merged like two policies' lists (Vault keeps an arbitrary one of them).
fn params(path: &str, key: &str, value: Value) -> Result<ParamMap, PolicyError> {
    let Value::Object(map) = value else {
        return Err(shape(path, key, "an object of lists"));
    };
    let mut out = ParamMap::new();
    for (name, values) in map {
        let Value::Array(values) = values else {
            return Err(shape(path, key, "an object of lists"));
        };
        merge_params(&mut out, &ParamMap::from([(name.to_lowercase(), values)]));
    }
    Ok(out)
}

fn shape(path: &str, key: &str, expected: &'static str) -> PolicyError {
    PolicyError::Shape {
        context: format!("path {path:?}: {}", short(key)),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(attrs: Value) -> Result<PathRule, PolicyError> {
        let Value::Object(map) = attrs else { panic!() };
        PathRule::from_raw(RawPath {
            pattern: "p".into(),
            attrs: map.into_iter().collect(),
        })
    }

    fn caps(r: &PathRule) -> Vec<&'static str> {
        r.capabilities().iter().map(Capability::as_str).collect()
    }

    #[test]
    fn legacy_policy_combines_with_capabilities() {
        let r = rule(json!({"policy": "read", "capabilities": ["update", "sudo"]})).unwrap();
        assert_eq!(caps(&r), ["list", "read", "sudo", "update"]);
        let r = rule(json!({"policy": "deny", "capabilities": ["read"]})).unwrap();
        assert_eq!(caps(&r), ["deny"]);
        let r = rule(json!({"capabilities": ["subscribe", "recover", "scan", "patch"]})).unwrap();
        assert_eq!(caps(&r), ["patch", "recover", "scan", "subscribe"]);
    }

    #[test]
    fn parameters_are_lower_cased_and_merged() {
        let r = rule(json!({
            "allowed_parameters": {"Foo": ["a"], "foo": ["b"], "BAR": []},
            "required_parameters": ["Baz"],
        }))
        .unwrap();
        assert_eq!(
            r.perms.allowed.get("foo"),
            Some(&vec![json!("a"), json!("b")])
        );
        assert_eq!(r.perms.allowed.get("bar"), Some(&vec![]));
        assert_eq!(r.perms.required, ["baz"]);
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(
            matches!(rule(json!({"capabilities": ["banana"]})), Err(PolicyError::InvalidCapability { capability, .. }) if capability == "banana")
        );
        assert!(matches!(
            rule(json!({"capabilities": "read"})),
            Err(PolicyError::Shape { .. })
        ));
        assert!(matches!(
            rule(json!({"policy": "banana"})),
            Err(PolicyError::InvalidLegacyPolicy { .. })
        ));
        assert!(
            matches!(rule(json!({"capabilites": []})), Err(PolicyError::UnknownKey { key, .. }) if key == "capabilites")
        );
        assert!(matches!(
            rule(json!({"mfa_methods": []})),
            Err(PolicyError::Unsupported { .. })
        ));
        assert!(matches!(
            rule(json!({"min_wrapping_ttl": "soon"})),
            Err(PolicyError::InvalidDuration {
                key: "min_wrapping_ttl",
                ..
            })
        ));
        assert!(matches!(
            rule(json!({"allowed_parameters": {"a": "b"}})),
            Err(PolicyError::Shape { .. })
        ));
        assert!(matches!(
            rule(json!({"min_wrapping_ttl": 400, "max_wrapping_ttl": "200s"})),
            Err(PolicyError::WrappingTtlOrder { .. })
        ));
        let ok = rule(json!({"min_wrapping_ttl": 300, "max_wrapping_ttl": "1h", "comment": "x"}))
            .unwrap();
        assert_eq!(ok.perms.min_wrapping_ttl, Duration::from_secs(300));
        assert_eq!(ok.perms.max_wrapping_ttl, Duration::from_secs(3600));
    }

    #[test]
    fn merge_follows_vault() {
        let mut a = rule(json!({"policy": "write", "denied_parameters": {"baz": []}, "required_parameters": ["baz"], "max_wrapping_ttl": 300, "min_wrapping_ttl": 100})).unwrap().perms;
        let b = rule(json!({"policy": "write", "denied_parameters": {"zip": [], "baz": [1]}, "required_parameters": ["zip"], "max_wrapping_ttl": 200, "min_wrapping_ttl": 50})).unwrap().perms;
        a.merge(&b);
        assert_eq!(
            a.denied,
            ParamMap::from([("baz".into(), vec![]), ("zip".into(), vec![])])
        );
        assert_eq!(a.required, ["baz", "zip"]);
        assert_eq!(a.max_wrapping_ttl, Duration::from_secs(200));
        assert_eq!(a.min_wrapping_ttl, Duration::from_secs(50));
        let deny = rule(json!({"capabilities": ["deny"]})).unwrap().perms;
        a.merge(&deny);
        assert!(a.caps.is_deny());
        assert!(a.denied.is_empty());
        a.merge(&b);
        assert!(a.caps.is_deny());
    }
}
