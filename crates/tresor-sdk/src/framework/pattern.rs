//! Path patterns: `data/{path*}`, `roles/{name}`, `metadata/{path?*}`, `config`.

/// Named captures of a matched pattern.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Captures(Vec<(&'static str, String)>);

impl Captures {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

enum Part {
    Literal(&'static str),
    One(&'static str),
    Rest { name: &'static str, optional: bool },
}

fn part(segment: &'static str) -> Part {
    let Some(inner) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
        return Part::Literal(segment);
    };
    if let Some(name) = inner.strip_suffix("?*") {
        Part::Rest {
            name,
            optional: true,
        }
    } else if let Some(name) = inner.strip_suffix('*') {
        Part::Rest {
            name,
            optional: false,
        }
    } else {
        Part::One(inner)
    }
}

/// Matches `path` against `pattern`; captures on success.
pub fn matches(pattern: &'static str, path: &str) -> Option<Captures> {
    let mut captures = Vec::new();
    let mut rest = path;
    let mut parts = pattern.split('/').peekable();
    while let Some(segment) = parts.next() {
        let last = parts.peek().is_none();
        match part(segment) {
            Part::Rest { name, optional } => {
                if rest.is_empty() && !optional {
                    return None;
                }
                captures.push((name, rest.to_owned()));
                return Some(Captures(captures));
            }
            literal_or_one => {
                let (head, tail) = match rest.split_once('/') {
                    Some((h, t)) => (h, Some(t)),
                    None => (rest, None),
                };
                match literal_or_one {
                    Part::Literal(l) if l == head => {}
                    Part::One(name) if !head.is_empty() => captures.push((name, head.to_owned())),
                    _ => return None,
                }
                match (last, tail) {
                    (true, None) => return Some(Captures(captures)),
                    (true, Some(_)) => return None,
                    (false, Some(t)) => rest = t,
                    // The pattern goes on; only an optional rest may match nothing.
                    (false, None) => {
                        return match parts.next().map(part) {
                            Some(Part::Rest {
                                name,
                                optional: true,
                            }) if parts.peek().is_none() => {
                                captures.push((name, String::new()));
                                Some(Captures(captures))
                            }
                            _ => None,
                        };
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(pattern: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
        matches(pattern, path).map(|c| c.0)
    }

    #[test]
    fn literal_patterns() {
        assert_eq!(cap("config", "config"), Some(vec![]));
        assert_eq!(cap("config", "config/"), None);
        assert_eq!(cap("config", "configs"), None);
        assert_eq!(cap("a/b", "a/b"), Some(vec![]));
        assert_eq!(cap("a/b", "a"), None);
    }

    #[test]
    fn captures() {
        assert_eq!(
            cap("roles/{name}", "roles/web"),
            Some(vec![("name", "web".into())])
        );
        assert_eq!(cap("roles/{name}", "roles/"), None);
        assert_eq!(cap("roles/{name}", "roles/a/b"), None);
        assert_eq!(
            cap("data/{path*}", "data/a/b/c"),
            Some(vec![("path", "a/b/c".into())])
        );
        assert_eq!(cap("data/{path*}", "data/"), None);
        assert_eq!(cap("data/{path*}", "data"), None);
        assert_eq!(
            cap("metadata/{path?*}", "metadata/"),
            Some(vec![("path", "".into())])
        );
        assert_eq!(
            cap("metadata/{path?*}", "metadata"),
            Some(vec![("path", "".into())])
        );
        assert_eq!(
            cap("metadata/{path?*}", "metadata/x/"),
            Some(vec![("path", "x/".into())])
        );
        assert_eq!(cap("{path?*}", ""), Some(vec![("path", "".into())]));
        assert_eq!(cap("{path*}", "a/b"), Some(vec![("path", "a/b".into())]));
        assert_eq!(
            cap("role/{role}/secret-id/{id}", "role/r1/secret-id/abc"),
            Some(vec![("role", "r1".into()), ("id", "abc".into())])
        );
    }
}
