//! Identity templates in path patterns (`secret/{{identity.entity.id}}/*`): parsed when
//! the policy is, substituted from the requesting token's identity before the ACL is
//! compiled.
//!
//! Vault's rules, kept here:
//! - the pattern is split on `{{`; the text before the first one may not hold `}}`, and
//!   every later piece must hold exactly one `}}` (else "unbalanced");
//! - the text between the braces is trimmed of whitespace, then names one of the keys of
//!   [`Field`]; a group or alias selector stops at the first `.`, a metadata key is all
//!   the rest (dots included);
//! - a template that cannot be resolved (no entity, no groups, unknown alias or group,
//!   missing metadata key, empty id or name) drops its rule;
//! - a value holding `*`, `+` or `/` drops its rule (Vault's default blocked
//!   substitutions).
//!
//! Stricter than Vault, on purpose: a key Vault would accept but can never resolve in a
//! path (a bare metadata map, the entity's group lists, `time.*`) or does not know is a
//! parse error rather than a rule that silently never applies; an empty value, `{`, `}`,
//! `.` and `..` also drop the rule, so a substitution never yields anything but one
//! literal, non-empty path segment (or part of one).

use crate::error::{short, PolicyError};
use crate::pattern::Pattern;
use std::collections::BTreeMap;

/// The identity a templated policy is rendered for. Empty (the default) resolves nothing:
/// every templated rule is dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateContext {
    /// The token's entity, if it has one.
    pub entity: Option<TemplateEntity>,
    /// The groups the entity belongs to, directly or through other groups.
    pub groups: Vec<TemplateGroup>,
}

/// An entity, as `{{identity.entity.*}}` sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateEntity {
    /// `{{identity.entity.id}}`.
    pub id: String,
    /// `{{identity.entity.name}}`.
    pub name: String,
    /// `{{identity.entity.metadata.<key>}}`.
    pub metadata: BTreeMap<String, String>,
    /// The entity's aliases keyed by their auth mount's accessor:
    /// `{{identity.entity.aliases.<accessor>.*}}`.
    pub aliases: BTreeMap<String, TemplateAlias>,
}

/// An entity alias, as `{{identity.entity.aliases.<accessor>.*}}` sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateAlias {
    /// `.id`.
    pub id: String,
    /// `.name`.
    pub name: String,
    /// `.metadata.<key>`.
    pub metadata: BTreeMap<String, String>,
    /// `.custom_metadata.<key>`.
    pub custom_metadata: BTreeMap<String, String>,
}

/// A group, as `{{identity.groups.ids.<id>.*}}` and `{{identity.groups.names.<name>.*}}`
/// see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateGroup {
    /// `.id`.
    pub id: String,
    /// `.name`.
    pub name: String,
    /// `.metadata.<key>`.
    pub metadata: BTreeMap<String, String>,
}

/// A pattern holding at least one template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Template {
    /// The pattern as written, minus one leading `/`.
    source: Box<str>,
    /// Literal text and fields, alternating; starts and ends with a literal.
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(Box<str>),
    Field(Field),
}

/// The keys a template may name.
#[derive(Debug, Clone, PartialEq)]
enum Field {
    EntityId,
    EntityName,
    EntityMetadata(String),
    Alias {
        accessor: String,
        attr: AliasAttr,
    },
    Group {
        by: GroupBy,
        key: String,
        attr: GroupAttr,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum AliasAttr {
    Id,
    Name,
    Metadata(String),
    CustomMetadata(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum GroupBy {
    Id,
    Name,
}

#[derive(Debug, Clone, PartialEq)]
enum GroupAttr {
    Id,
    Name,
    Metadata(String),
}

/// Stands for every value at parse time; any value that survives [`checked`] gives the
/// pattern the same shape (no wildcard, no segment break, not empty).
const PLACEHOLDER: &str = "x";

impl Template {
    /// `Ok(None)` when `raw` holds no template, the template when it does, or why it is
    /// malformed. `path` names the rule in errors.
    pub(crate) fn parse(raw: &str, path: &str) -> Result<Option<Template>, PolicyError> {
        let unbalanced = || PolicyError::UnbalancedTemplate {
            path: path.to_owned(),
        };
        let mut pieces = raw.split("{{");
        let first = pieces.next().unwrap_or_default();
        if first.contains("}}") {
            return Err(unbalanced());
        }
        let mut parts = vec![Part::Literal(first.into())];
        for piece in pieces {
            let mut halves = piece.split("}}");
            let (Some(key), Some(after), None) = (halves.next(), halves.next(), halves.next())
            else {
                return Err(unbalanced());
            };
            let key = key.trim();
            let field = Field::parse(key).ok_or_else(|| PolicyError::UnknownTemplate {
                path: path.to_owned(),
                key: short(key),
            })?;
            parts.push(Part::Field(field));
            parts.push(Part::Literal(after.into()));
        }
        if parts.len() == 1 {
            return Ok(None);
        }
        let template = Template {
            source: raw.strip_prefix('/').unwrap_or(raw).into(),
            parts,
        };
        let shape = template
            .fill(|_| Some(PLACEHOLDER.to_owned()))
            .unwrap_or_default();
        Pattern::parse(&shape).map_err(|reason| PolicyError::InvalidGlob {
            path: path.to_owned(),
            reason,
        })?;
        Ok(Some(template))
    }

    /// The pattern as written.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// The pattern for `ctx`, or `None` when a field does not resolve to a safe value.
    pub(crate) fn render(&self, ctx: &TemplateContext) -> Option<Pattern> {
        let text = self.fill(|field| checked(field.resolve(ctx)?))?;
        Pattern::parse(&text).ok()
    }

    fn fill(&self, mut value: impl FnMut(&Field) -> Option<String>) -> Option<String> {
        let mut out = String::with_capacity(self.source.len());
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Field(field) => out.push_str(&value(field)?),
            }
        }
        Some(out)
    }
}

/// `value` when it can only ever stand for itself inside one path segment.
fn checked(value: &str) -> Option<String> {
    let widening = value.is_empty()
        || value == "."
        || value == ".."
        || value.contains(['*', '+', '/', '{', '}']);
    (!widening).then(|| value.to_owned())
}

impl Field {
    fn parse(key: &str) -> Option<Field> {
        if let Some(rest) = key.strip_prefix("identity.entity.") {
            return Field::entity(rest);
        }
        let rest = key.strip_prefix("identity.groups.")?;
        let (by, rest) = rest.split_once('.')?;
        let by = match by {
            "ids" => GroupBy::Id,
            "names" => GroupBy::Name,
            _ => return None,
        };
        let (key, attr) = rest.split_once('.')?;
        let attr = match attr {
            "id" => GroupAttr::Id,
            "name" => GroupAttr::Name,
            _ => GroupAttr::Metadata(attr.strip_prefix("metadata.")?.to_owned()),
        };
        Some(Field::Group {
            by,
            key: key.to_owned(),
            attr,
        })
    }

    fn entity(rest: &str) -> Option<Field> {
        match rest {
            "id" => return Some(Field::EntityId),
            "name" => return Some(Field::EntityName),
            _ => {}
        }
        if let Some(key) = rest.strip_prefix("metadata.") {
            return Some(Field::EntityMetadata(key.to_owned()));
        }
        let (accessor, attr) = rest.strip_prefix("aliases.")?.split_once('.')?;
        let attr = match attr {
            "id" => AliasAttr::Id,
            "name" => AliasAttr::Name,
            _ => match attr.split_once('.')? {
                ("metadata", key) => AliasAttr::Metadata(key.to_owned()),
                ("custom_metadata", key) => AliasAttr::CustomMetadata(key.to_owned()),
                _ => return None,
            },
        };
        Some(Field::Alias {
            accessor: accessor.to_owned(),
            attr,
        })
    }

    /// The raw value for `ctx`, before the safety check.
    fn resolve<'c>(&self, ctx: &'c TemplateContext) -> Option<&'c str> {
        match self {
            Field::EntityId => ctx.entity.as_ref().map(|e| e.id.as_str()),
            Field::EntityName => ctx.entity.as_ref().map(|e| e.name.as_str()),
            Field::EntityMetadata(key) => {
                ctx.entity.as_ref()?.metadata.get(key).map(String::as_str)
            }
            Field::Alias { accessor, attr } => {
                let alias = ctx.entity.as_ref()?.aliases.get(accessor)?;
                match attr {
                    AliasAttr::Id => Some(&alias.id),
                    AliasAttr::Name => Some(&alias.name),
                    AliasAttr::Metadata(key) => alias.metadata.get(key),
                    AliasAttr::CustomMetadata(key) => alias.custom_metadata.get(key),
                }
                .map(String::as_str)
            }
            Field::Group { by, key, attr } => {
                let group = ctx.groups.iter().find(|g| match by {
                    GroupBy::Id => g.id == *key,
                    GroupBy::Name => g.name == *key,
                })?;
                match attr {
                    GroupAttr::Id => Some(&group.id),
                    GroupAttr::Name => Some(&group.name),
                    GroupAttr::Metadata(key) => group.metadata.get(key),
                }
                .map(String::as_str)
            }
        }
    }
}

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;
