//! A password policy: its HCL (`length = 20` and `rule "charset" { charset = "..."
//! min-chars = 1 }` blocks, HCL1 accepted), validated when written, and the generator.

use hcl::{Expression, Structure};
use tresor_crypto::{random, SecretString};
use tresor_sdk::Error;

/// Vault's bounds on a policy's length.
pub const MIN_LENGTH: usize = 4;
pub const MAX_LENGTH: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharsetRule {
    pub charset: Vec<char>,
    pub min_chars: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub length: usize,
    pub rules: Vec<CharsetRule>,
    /// Every rule's characters, sorted and deduplicated: what filler is drawn from.
    charset: Vec<char>,
}

fn invalid(detail: impl std::fmt::Display) -> Error {
    Error::bad_request(format!("invalid password policy: {detail}"))
}

fn number(expr: &Expression, key: &str) -> Result<usize, Error> {
    match expr {
        Expression::Number(n) => n
            .as_u64()
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| invalid(format!("{key} must be a whole number"))),
        Expression::String(s) => s
            .trim()
            .parse()
            .map_err(|_| invalid(format!("{key} must be a whole number"))),
        _ => Err(invalid(format!("{key} must be a whole number"))),
    }
}

fn rule(body: &hcl::Body) -> Result<CharsetRule, Error> {
    let mut charset = None;
    let mut min_chars = 0;
    for item in body.iter() {
        let Structure::Attribute(attr) = item else {
            return Err(invalid("a charset rule holds only attributes"));
        };
        match attr.key.as_str() {
            "charset" => match &attr.expr {
                Expression::String(s) => charset = Some(s.clone()),
                _ => return Err(invalid("charset must be a string")),
            },
            "min-chars" | "min_chars" => min_chars = number(&attr.expr, "min-chars")?,
            other => return Err(invalid(format!("unknown key {other:?} in a charset rule"))),
        }
    }
    let mut chars: Vec<char> = charset
        .ok_or_else(|| invalid("a charset rule needs a charset"))?
        .chars()
        .collect();
    chars.sort_unstable();
    chars.dedup();
    if chars.is_empty() {
        return Err(invalid("no charset specified"));
    }
    if chars.iter().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("non-printable character in charset"));
    }
    Ok(CharsetRule {
        charset: chars,
        min_chars,
    })
}

impl PasswordPolicy {
    /// Parses and checks a policy as `sys/policies/password/<name>` receives it.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let rewritten = tresor_hcl::to_hcl2(text)
            .map_err(|e| invalid(format!("line {}: {}", e.line, e.detail)))?;
        let body: hcl::Body = hcl::parse(&rewritten.text).map_err(|e| invalid(e.to_string()))?;
        let mut length = None;
        let mut rules = Vec::new();
        for item in body.iter() {
            match item {
                Structure::Attribute(attr) if attr.key.as_str() == "length" => {
                    length = Some(number(&attr.expr, "length")?);
                }
                Structure::Attribute(attr) => {
                    return Err(invalid(format!("unknown key {:?}", attr.key.as_str())));
                }
                Structure::Block(block) => {
                    let kind = block.labels.first().map(|l| l.as_str());
                    if block.identifier.as_str() != "rule" || kind != Some("charset") {
                        return Err(invalid("only rule \"charset\" blocks are supported"));
                    }
                    rules.push(rule(&block.body)?);
                }
            }
        }
        let length = length.ok_or_else(|| invalid("length must be > 0"))?;
        if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
            return Err(Error::bad_request(format!(
                "passwords must be between {MIN_LENGTH} and {MAX_LENGTH} characters"
            )));
        }
        if rules.is_empty() {
            return Err(invalid("no charset specified"));
        }
        let needed: usize = rules.iter().map(|r| r.min_chars).sum();
        if needed > length {
            return Err(invalid(format!(
                "specified rules require at least {needed} characters but {length} is specified"
            )));
        }
        let mut charset: Vec<char> = rules.iter().flat_map(|r| r.charset.clone()).collect();
        charset.sort_unstable();
        charset.dedup();
        Ok(Self {
            length,
            rules,
            charset,
        })
    }

    /// Vault's default: 20 characters with at least one lowercase letter, uppercase
    /// letter, digit and `-`.
    pub fn default_policy() -> Self {
        let rule = |s: &str| CharsetRule {
            charset: s.chars().collect(),
            min_chars: 1,
        };
        let rules = vec![
            rule("abcdefghijklmnopqrstuvwxyz"),
            rule("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            rule("0123456789"),
            rule("-"),
        ];
        let mut charset: Vec<char> = rules.iter().flat_map(|r| r.charset.clone()).collect();
        charset.sort_unstable();
        Self {
            length: 20,
            rules,
            charset,
        }
    }

    /// A password meeting every rule: each rule's minimum drawn from its own charset, the
    /// rest from all of them, then shuffled; every draw uniform from the system RNG.
    pub fn generate(&self) -> Result<SecretString, Error> {
        let mut out: Vec<char> = Vec::with_capacity(self.length);
        for rule in &self.rules {
            for _ in 0..rule.min_chars {
                out.push(pick(&rule.charset)?);
            }
        }
        while out.len() < self.length {
            out.push(pick(&self.charset)?);
        }
        for i in (1..out.len()).rev() {
            out.swap(i, uniform(i + 1)?);
        }
        Ok(SecretString::new(out.into_iter().collect()))
    }

    /// Whether `password` meets every rule (for tests and checks).
    pub fn accepts(&self, password: &str) -> bool {
        password.chars().count() == self.length
            && password
                .chars()
                .all(|c| self.charset.binary_search(&c).is_ok())
            && self.rules.iter().all(|r| {
                password
                    .chars()
                    .filter(|c| r.charset.binary_search(c).is_ok())
                    .count()
                    >= r.min_chars
            })
    }
}

fn pick(chars: &[char]) -> Result<char, Error> {
    chars
        .get(uniform(chars.len())?)
        .copied()
        .ok_or_else(|| Error::internal("empty charset"))
}

/// A uniform index below `n` (rejection sampling: no modulo bias).
fn uniform(n: usize) -> Result<usize, Error> {
    let n = u32::try_from(n).map_err(|_| Error::internal("charset too large"))?;
    if n == 0 {
        return Err(Error::internal("empty charset"));
    }
    let zone = u32::MAX - (u32::MAX % n);
    loop {
        let mut buf = [0u8; 4];
        random::fill(&mut buf).map_err(|e| Error::internal(e.to_string()))?;
        let v = u32::from_le_bytes(buf);
        if v < zone {
            return usize::try_from(v % n).map_err(|_| Error::internal("index"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
        length = 24
        rule "charset" {
          charset = "abcdefghijklmnopqrstuvwxyz"
          min-chars = 2
        }
        rule "charset" {
          charset = "0123456789"
          min-chars = 3
        }
        rule "charset" {
          charset = "!@#"
          min-chars = 1
        }
    "#;

    #[test]
    fn generated_passwords_meet_every_rule() {
        let p = PasswordPolicy::parse(EXAMPLE).unwrap();
        for _ in 0..200 {
            let pw = p.generate().unwrap();
            assert!(p.accepts(pw.expose()), "{}", pw.expose());
        }
        let d = PasswordPolicy::default_policy();
        let pw = d.generate().unwrap();
        assert!(d.accepts(pw.expose()));
        assert_eq!(pw.expose().len(), 20);
    }

    #[test]
    fn every_character_of_the_charset_turns_up() {
        let p = PasswordPolicy::parse("length = 4\nrule \"charset\" { charset = \"ab\" }").unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..50 {
            seen.extend(p.generate().unwrap().expose().chars());
        }
        assert_eq!(seen.into_iter().collect::<String>(), "ab");
    }

    #[test]
    fn impossible_or_malformed_policies_are_refused() {
        for (text, expected) in [
            (
                "length = 3\nrule \"charset\" { charset = \"a\" }",
                "between 4 and 100",
            ),
            (
                "length = 101\nrule \"charset\" { charset = \"a\" }",
                "between 4 and 100",
            ),
            (
                "length = 4\nrule \"charset\" { charset = \"a\" min-chars = 5 }",
                "at least 5",
            ),
            ("length = 8", "no charset"),
            ("rule \"charset\" { charset = \"a\" }", "length"),
            (
                "length = 8\nrule \"charset\" { charset = \"\" }",
                "no charset",
            ),
            (
                "length = 8\nrule \"charset\" { charset = \"a b\" }",
                "non-printable",
            ),
            ("length = 8\nrule \"other\" { charset = \"a\" }", "charset"),
            ("length = 8\nfoo = 1", "unknown key"),
            ("length = {", "invalid password policy"),
        ] {
            let err = PasswordPolicy::parse(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }
}
