//! Vault-style statement templates turned into safe SQL.
//!
//! A template is SQL text with `{{name}}`/`{{username}}` (an identifier) and
//! `{{password}}`/`{{expiration}}` (a value) placeholders. Values cannot be bound as
//! parameters in utility statements (`CREATE ROLE ... PASSWORD`), so each placeholder is
//! substituted according to where it stands, found by a small lexer:
//! - bare: as a complete quoted identifier (`"a""b"`) or literal (`'it''s'`);
//! - inside `"..."` or `'...'` written by the template (Vault's usual
//!   `"{{name}}"` / `'{{password}}'`): the value with that quote doubled (and, in an
//!   `E'...'` string, backslashes doubled);
//! - inside a dollar-quoted body (`DO $$ ... $$`): the same rules applied to the body,
//!   and a value that would close the body is refused;
//! - inside a comment: only a value that cannot end the comment.
//!
//! The transaction runs with `standard_conforming_strings` on, so a backslash in a plain
//! literal is just a character. NUL bytes are refused everywhere. The template is split
//! into statements on the semicolons that lie outside quotes and bodies.

use std::fmt;

/// The values of one rendering; a `None` placeholder is left as written.
#[derive(Clone, Copy, Default)]
pub struct Values<'a> {
    pub name: &'a str,
    pub password: Option<&'a str>,
    pub expiration: Option<&'a str>,
}

impl fmt::Debug for Values<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Values")
            .field("name", &self.name)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// Why a template could not be rendered; never holds a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("statements and values may not contain NUL bytes")]
    Nul,
    #[error("the {0} value cannot be placed inside this dollar-quoted body")]
    ClosesBody(&'static str),
    #[error("the {0} value cannot be placed inside a comment")]
    InComment(&'static str),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    Literal,
}

#[derive(Clone, PartialEq, Eq)]
enum Inner {
    Code,
    Single { escapes: bool },
    Double,
}

#[derive(Clone, PartialEq, Eq)]
enum State {
    Code(Inner),
    Dollar { tag: String, inner: Inner },
    LineComment,
    BlockComment(u32),
}

const PLACEHOLDERS: &[(&str, &str, Kind)] = &[
    ("{{name}}", "name", Kind::Ident),
    ("{{username}}", "username", Kind::Ident),
    ("{{password}}", "password", Kind::Literal),
    ("{{expiration}}", "expiration", Kind::Literal),
];

fn value<'a>(v: &Values<'a>, label: &str) -> Option<&'a str> {
    match label {
        "name" | "username" => Some(v.name),
        "password" => v.password,
        _ => v.expiration,
    }
}

/// Renders `template` into the statements it holds, in order, none empty.
pub fn render(template: &str, values: &Values<'_>) -> Result<Vec<String>, RenderError> {
    let all = [Some(values.name), values.password, values.expiration];
    if template.contains('\0') || all.iter().flatten().any(|v| v.contains('\0')) {
        return Err(RenderError::Nul);
    }
    let mut r = Renderer {
        state: State::Code(Inner::Code),
        current: String::new(),
        statements: Vec::new(),
    };
    let mut rest = template;
    while !rest.is_empty() {
        if let Some((token, label, kind)) = PLACEHOLDERS.iter().find(|p| rest.starts_with(p.0)) {
            rest = rest.get(token.len()..).unwrap_or("");
            match value(values, label) {
                Some(v) => r.substitute(v, label, *kind)?,
                None => r.current.push_str(token),
            }
            continue;
        }
        rest = r.step(rest);
    }
    r.finish();
    Ok(r.statements)
}

struct Renderer {
    state: State,
    current: String,
    statements: Vec<String>,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A dollar-quote opener at the start of `s` (`$$` or `$tag$`), as its full delimiter.
fn dollar_tag(s: &str) -> Option<&str> {
    let body = s.strip_prefix('$')?;
    let end = body.find('$')?;
    let tag = body.get(..end)?;
    let first_ok = tag.chars().next().is_none_or(|c| !c.is_ascii_digit());
    (first_ok && tag.chars().all(is_word)).then(|| s.get(..end + 2).unwrap_or(""))
}

impl Renderer {
    fn prev_char(&self) -> Option<char> {
        self.current.chars().next_back()
    }

    /// Consumes one lexical unit of template text, updating the state.
    fn step<'s>(&mut self, s: &'s str) -> &'s str {
        let mut chars = s.chars();
        let Some(c) = chars.next() else { return s };
        let two = s.get(..2).unwrap_or("");
        let (taken, next): (usize, Option<State>) = match &self.state {
            State::Code(Inner::Code) => match c {
                ';' => {
                    self.finish();
                    return chars.as_str();
                }
                '\'' => {
                    let e = matches!(self.prev_char(), Some('E' | 'e'))
                        && !self.current.chars().rev().nth(1).is_some_and(is_word);
                    (1, Some(State::Code(Inner::Single { escapes: e })))
                }
                '"' => (1, Some(State::Code(Inner::Double))),
                '-' if two == "--" => (2, Some(State::LineComment)),
                '/' if two == "/*" => (2, Some(State::BlockComment(1))),
                '$' if !self.prev_char().is_some_and(is_word) => match dollar_tag(s) {
                    Some(tag) => (
                        tag.len(),
                        Some(State::Dollar {
                            tag: tag.to_owned(),
                            inner: Inner::Code,
                        }),
                    ),
                    None => (1, None),
                },
                _ => (c.len_utf8(), None),
            },
            State::Code(inner) => match quote_step(inner, s) {
                (n, Some(inner)) => (n, Some(State::Code(inner))),
                (n, None) => (n, None),
            },
            State::Dollar { tag, inner } => {
                if s.starts_with(tag.as_str()) {
                    (tag.len(), Some(State::Code(Inner::Code)))
                } else {
                    let (n, next) = match inner {
                        Inner::Code => match c {
                            '\'' => (1, Some(Inner::Single { escapes: false })),
                            '"' => (1, Some(Inner::Double)),
                            _ => (c.len_utf8(), None),
                        },
                        quoted => quote_step(quoted, s),
                    };
                    let tag = tag.clone();
                    (n, next.map(|inner| State::Dollar { tag, inner }))
                }
            }
            State::LineComment => match c {
                '\n' => (1, Some(State::Code(Inner::Code))),
                _ => (c.len_utf8(), None),
            },
            State::BlockComment(depth) => match two {
                "*/" if *depth == 1 => (2, Some(State::Code(Inner::Code))),
                "*/" => (2, Some(State::BlockComment(depth - 1))),
                "/*" => (2, Some(State::BlockComment(depth + 1))),
                _ => (c.len_utf8(), None),
            },
        };
        self.current.push_str(s.get(..taken).unwrap_or(""));
        if let Some(state) = next {
            self.state = state;
        }
        s.get(taken..).unwrap_or("")
    }

    fn substitute(&mut self, v: &str, label: &'static str, kind: Kind) -> Result<(), RenderError> {
        let text = match &self.state {
            State::Code(inner) => quoted(inner, v, kind),
            State::Dollar { tag, inner } => {
                let text = quoted(inner, v, kind);
                if text.contains(tag.as_str()) {
                    return Err(RenderError::ClosesBody(label));
                }
                text
            }
            State::LineComment if !v.contains(['\n', '\r']) => v.to_owned(),
            State::BlockComment(_) if !v.contains("*/") && !v.contains("/*") => v.to_owned(),
            State::LineComment | State::BlockComment(_) => {
                return Err(RenderError::InComment(label))
            }
        };
        self.current.push_str(&text);
        Ok(())
    }

    fn finish(&mut self) {
        let stmt = self.current.trim();
        if !stmt.is_empty() {
            self.statements.push(stmt.to_owned());
        }
        self.current.clear();
    }
}

/// One step inside a quoted string or identifier: a doubled quote (or, in an `E''`
/// string, a backslash escape) stays inside; a lone closing quote ends it.
fn quote_step(inner: &Inner, s: &str) -> (usize, Option<Inner>) {
    let two = s.get(..2).unwrap_or("");
    let c = s.chars().next().unwrap_or(' ');
    match inner {
        Inner::Single { escapes } => match c {
            '\'' if two == "''" => (2, None),
            '\'' => (1, Some(Inner::Code)),
            '\\' if *escapes => {
                let next_len = s.chars().nth(1).map_or(0, char::len_utf8);
                (1 + next_len, None)
            }
            _ => (c.len_utf8(), None),
        },
        Inner::Double => match c {
            '"' if two == "\"\"" => (2, None),
            '"' => (1, Some(Inner::Code)),
            _ => (c.len_utf8(), None),
        },
        Inner::Code => (c.len_utf8(), None),
    }
}

/// The text a value becomes where it stands.
fn quoted(inner: &Inner, v: &str, kind: Kind) -> String {
    match (inner, kind) {
        (Inner::Code, Kind::Ident) => quote_ident(v),
        (Inner::Code, Kind::Literal) => quote_literal(v),
        (Inner::Double, _) => v.replace('"', "\"\""),
        (Inner::Single { escapes: false }, _) => v.replace('\'', "''"),
        (Inner::Single { escapes: true }, _) => v.replace('\\', "\\\\").replace('\'', "''"),
    }
}

/// `"name"` with embedded double quotes doubled.
pub fn quote_ident(v: &str) -> String {
    format!("\"{}\"", v.replace('"', "\"\""))
}

/// `'value'` with embedded single quotes doubled (standard conforming strings).
pub fn quote_literal(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals<'a>(name: &'a str, password: &'a str) -> Values<'a> {
        Values {
            name,
            password: Some(password),
            expiration: Some("2027-01-15 08:00:05+0000"),
        }
    }

    #[test]
    fn vault_style_templates() {
        let t = r#"CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";"#;
        let out = render(t, &vals("v-a", "pw")).unwrap();
        assert_eq!(
            out,
            vec![
                r#"CREATE ROLE "v-a" WITH LOGIN PASSWORD 'pw' VALID UNTIL '2027-01-15 08:00:05+0000'"#,
                r#"GRANT SELECT ON ALL TABLES IN SCHEMA public TO "v-a""#,
            ]
        );
    }

    #[test]
    fn bare_placeholders_are_fully_quoted() {
        let out = render(
            "ALTER ROLE {{name}} WITH PASSWORD {{password}}",
            &vals("a\"b", "it's"),
        )
        .unwrap();
        assert_eq!(out, vec![r#"ALTER ROLE "a""b" WITH PASSWORD 'it''s'"#]);
    }

    #[test]
    fn hostile_values_stay_inside_their_quotes() {
        let name = r#"x"; DROP TABLE t; --"#;
        let pw = r#"p'; DROP TABLE t; --\"#;
        let t = r#"CREATE ROLE "{{name}}" PASSWORD '{{password}}'; SELECT E'{{password}}'"#;
        let out = render(t, &vals(name, pw)).unwrap();
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(
            out[0],
            r#"CREATE ROLE "x""; DROP TABLE t; --" PASSWORD 'p''; DROP TABLE t; --\'"#
        );
        assert_eq!(out[1], r#"SELECT E'p''; DROP TABLE t; --\\'"#);
    }

    #[test]
    fn semicolons_inside_quotes_and_bodies_do_not_split() {
        let t = "DO $$ BEGIN CREATE ROLE \"{{name}}\"; EXCEPTION WHEN others THEN NULL; END $$; SELECT ';'; SELECT $t$a;b$t$";
        let out = render(t, &vals("u", "p")).unwrap();
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(out[0].starts_with("DO $$ BEGIN CREATE ROLE \"u\";"));
        let hostile = render(t, &vals("u$$; DROP TABLE t; --", "p"));
        assert_eq!(hostile, Err(RenderError::ClosesBody("name")));
    }

    #[test]
    fn comments_and_nul() {
        let t = "-- for {{name}}\nCREATE ROLE {{name}} /* {{name}} */";
        let out = render(t, &vals("u", "p")).unwrap();
        assert_eq!(out, vec!["-- for u\nCREATE ROLE \"u\" /* u */"]);
        assert_eq!(
            render(t, &vals("u\nDROP TABLE t", "p")),
            Err(RenderError::InComment("name"))
        );
        assert_eq!(render(t, &vals("u\0", "p")), Err(RenderError::Nul));
        assert_eq!(render("SELECT 1\0", &vals("u", "p")), Err(RenderError::Nul));
    }

    #[test]
    fn missing_values_are_left_as_written() {
        let v = Values {
            name: "u",
            ..Values::default()
        };
        assert_eq!(
            render("DROP ROLE {{name}} -- {{password}}", &v).unwrap(),
            vec!["DROP ROLE \"u\" -- {{password}}"]
        );
    }

    #[test]
    fn parameters_and_identifiers_with_dollars_are_code() {
        let out = render("SELECT a$b$c, $1 FROM t", &vals("u", "p")).unwrap();
        assert_eq!(out, vec!["SELECT a$b$c, $1 FROM t"]);
    }
}
