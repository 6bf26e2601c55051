//! Statement templates for MySQL and MariaDB.
//!
//! A role's statements use Vault's placeholders `{{name}}`, `{{username}}`, `{{password}}`
//! and `{{expiration}}`. A small lexer finds where each placeholder sits (inside a `'...'`
//! or `"..."` string, a `` `...` `` identifier, a comment, or bare SQL) and fills it with the
//! value escaped for exactly that place, so no value can end the literal it is in. The same
//! lexer splits a template into statements on the `;` that are outside quotes and comments.

use tresor_crypto::SecretString;
use tresor_sdk::Error;

/// The values a template is filled with; `None` leaves nothing to put in (an error if used).
pub(crate) struct Values<'a> {
    pub name: &'a str,
    pub password: Option<&'a str>,
    pub expiration: Option<&'a str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Name,
    Password,
    Expiration,
}

/// Where in the SQL text a placeholder sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    Bare,
    SingleQuoted,
    DoubleQuoted,
    Backticked,
    Comment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokenKind {
    Text,
    Placeholder(Key, Context),
    Separator,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    start: usize,
    end: usize,
    kind: TokenKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Normal,
    Single,
    Double,
    Backtick,
    LineComment,
    BlockComment,
}

const PLACEHOLDERS: [(&[u8], Key); 4] = [
    (b"{{name}}", Key::Name),
    (b"{{username}}", Key::Name),
    (b"{{password}}", Key::Password),
    (b"{{expiration}}", Key::Expiration),
];

fn placeholder_at(rest: &[u8]) -> Option<(Key, usize)> {
    PLACEHOLDERS
        .iter()
        .find(|(text, _)| rest.starts_with(text))
        .map(|(text, key)| (*key, text.len()))
}

fn context(state: State) -> Context {
    match state {
        State::Normal => Context::Bare,
        State::Single => Context::SingleQuoted,
        State::Double => Context::DoubleQuoted,
        State::Backtick => Context::Backticked,
        State::LineComment | State::BlockComment => Context::Comment,
    }
}

/// MySQL starts a `--` comment only when whitespace or a control character follows.
fn starts_dash_comment(rest: &[u8]) -> bool {
    match rest {
        [b'-', b'-'] => true,
        [b'-', b'-', next, ..] => next.is_ascii_whitespace() || next.is_ascii_control(),
        _ => false,
    }
}

/// What the byte at the head of `rest` does in `state`: the next state and how many bytes it
/// takes (a backslash escape or a doubled quote takes two).
fn step(state: State, rest: &[u8]) -> (State, usize) {
    let first = rest.first().copied().unwrap_or(0);
    let second = rest.get(1).copied();
    match state {
        State::Normal => match first {
            b'\'' => (State::Single, 1),
            b'"' => (State::Double, 1),
            b'`' => (State::Backtick, 1),
            b'#' => (State::LineComment, 1),
            b'-' if starts_dash_comment(rest) => (State::LineComment, 2),
            b'/' if second == Some(b'*') => (State::BlockComment, 2),
            _ => (State::Normal, 1),
        },
        State::Single | State::Double => {
            let quote = if state == State::Single { b'\'' } else { b'"' };
            match first {
                b'\\' if second.is_some() => (state, 2),
                q if q == quote && second == Some(quote) => (state, 2),
                q if q == quote => (State::Normal, 1),
                _ => (state, 1),
            }
        }
        State::Backtick => match first {
            b'`' if second == Some(b'`') => (state, 2),
            b'`' => (State::Normal, 1),
            _ => (state, 1),
        },
        State::LineComment => match first {
            b'\n' => (State::Normal, 1),
            _ => (state, 1),
        },
        State::BlockComment => match first {
            b'*' if second == Some(b'/') => (State::Normal, 2),
            _ => (state, 1),
        },
    }
}

/// Splits a template into text, placeholders and top-level `;` separators. Every token
/// boundary is at an ASCII byte, so slicing the template there is always valid.
fn lex(template: &str) -> Vec<Token> {
    let bytes = template.as_bytes();
    let mut tokens = Vec::new();
    let mut state = State::Normal;
    let mut text_start = 0;
    let mut i = 0;
    let push_text = |tokens: &mut Vec<Token>, start: usize, end: usize| {
        if end > start {
            tokens.push(Token {
                start,
                end,
                kind: TokenKind::Text,
            });
        }
    };
    while let Some(rest) = bytes.get(i..).filter(|rest| !rest.is_empty()) {
        if let Some((key, len)) = placeholder_at(rest) {
            push_text(&mut tokens, text_start, i);
            let kind = TokenKind::Placeholder(key, context(state));
            tokens.push(Token {
                start: i,
                end: i + len,
                kind,
            });
            i += len;
            text_start = i;
            continue;
        }
        if state == State::Normal && rest.first() == Some(&b';') {
            push_text(&mut tokens, text_start, i);
            tokens.push(Token {
                start: i,
                end: i + 1,
                kind: TokenKind::Separator,
            });
            i += 1;
            text_start = i;
            continue;
        }
        let (next, len) = step(state, rest);
        state = next;
        i += len;
    }
    push_text(&mut tokens, text_start, bytes.len().min(i));
    tokens
}

/// The role's statement entries as single statements, still templates. Each entry may be a
/// `;`-separated list, a JSON list of statements, or either of those base64-encoded (as
/// Vault accepts them); empty statements are dropped.
pub(crate) fn split_statements(entries: &[String]) -> Vec<String> {
    let mut statements = Vec::new();
    for entry in entries {
        for part in decode_entry(entry) {
            let tokens = lex(&part);
            let mut start = 0;
            let separators = tokens.iter().filter(|t| t.kind == TokenKind::Separator);
            let bounds = separators
                .map(|t| (t.start, t.end))
                .chain([(part.len(), part.len())]);
            for (end, next_start) in bounds {
                if let Some(statement) = part.get(start..end).map(str::trim) {
                    if !statement.is_empty() {
                        statements.push(statement.to_owned());
                    }
                }
                start = next_start;
            }
        }
    }
    statements
}

fn decode_entry(entry: &str) -> Vec<String> {
    let trimmed = entry.trim();
    if trimmed.is_empty() {
        return Vec::new();
    }
    let decoded = decode_base64(trimmed).and_then(|bytes| String::from_utf8(bytes).ok());
    let text = decoded.as_deref().unwrap_or(trimmed);
    match serde_json::from_str::<Vec<String>>(text) {
        Ok(list) => list,
        Err(_) => vec![text.to_owned()],
    }
}

/// Standard padded base64, as Go's `base64.StdEncoding` reads it (line breaks ignored).
fn decode_base64(input: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = input
        .bytes()
        .filter(|b| *b != b'\n' && *b != b'\r')
        .collect();
    if clean.is_empty() || !clean.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let chunks = clean.len() / 4;
    for (index, chunk) in clean.chunks(4).enumerate() {
        let padding = chunk.iter().rev().take_while(|b| **b == b'=').count();
        if padding > 2 || (padding > 0 && index + 1 != chunks) {
            return None;
        }
        let mut acc: u32 = 0;
        for byte in chunk.iter().take(4 - padding) {
            acc = (acc << 6) | u32::from(base64_value(*byte)?);
        }
        acc <<= 6 * padding as u32;
        let [_, a, b, c] = acc.to_be_bytes();
        out.extend_from_slice([a, b, c].get(..3 - padding)?);
    }
    Some(out)
}

fn base64_value(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Checks a user name before it goes into any statement.
pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(Error::bad_request("the username is empty"));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::bad_request(
            "the username contains a control character",
        ));
    }
    Ok(())
}

/// Fills one statement template; the result may hold the password, so it is a secret.
pub(crate) fn render(template: &str, values: &Values<'_>) -> Result<SecretString, Error> {
    let mut out = String::with_capacity(template.len() + 64);
    for token in lex(template) {
        let raw = template.get(token.start..token.end).unwrap_or_default();
        match token.kind {
            TokenKind::Text | TokenKind::Separator => out.push_str(raw),
            TokenKind::Placeholder(key, context) => {
                let (label, value) = match key {
                    Key::Name => ("{{name}}", Some(values.name)),
                    Key::Password => ("{{password}}", values.password),
                    Key::Expiration => ("{{expiration}}", values.expiration),
                };
                let value = value.ok_or_else(|| {
                    Error::bad_request(format!("{label} has no value in this statement"))
                })?;
                if value.contains('\0') {
                    return Err(Error::bad_request(format!(
                        "the value of {label} contains NUL"
                    )));
                }
                push_escaped(&mut out, value, context, label)?;
            }
        }
    }
    Ok(SecretString::new(out))
}

fn push_escaped(out: &mut String, value: &str, context: Context, label: &str) -> Result<(), Error> {
    match context {
        Context::SingleQuoted | Context::DoubleQuoted => {
            let quote = if context == Context::SingleQuoted {
                '\''
            } else {
                '"'
            };
            for c in value.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    c if c == quote => {
                        out.push(quote);
                        out.push(quote);
                    }
                    c => out.push(c),
                }
            }
        }
        Context::Backticked => {
            for c in value.chars() {
                if c == '`' {
                    out.push('`');
                }
                out.push(c);
            }
        }
        Context::Bare | Context::Comment => {
            // Outside a quoted literal only characters that can never end a token are safe.
            if value.is_empty() || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(Error::bad_request(format!(
                    "{label} must be inside quotes ('{label}') in statements"
                )));
            }
            out.push_str(value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(name: &'a str, password: &'a str) -> Values<'a> {
        Values {
            name,
            password: Some(password),
            expiration: Some("2030-01-01 00:00:00+0000"),
        }
    }

    fn rendered(template: &str, v: &Values<'_>) -> String {
        render(template, v).unwrap().expose().to_owned()
    }

    #[test]
    fn splits_on_top_level_semicolons_only() {
        let entries = vec![
            "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';\n GRANT SELECT ON *.* TO '{{name}}'@'%';;".to_owned(),
            "  ".to_owned(),
            "SELECT ';' -- a; comment\n; SELECT `a;b`; /* x;y */ SELECT \"q\\\";\"".to_owned(),
        ];
        assert_eq!(
            split_statements(&entries),
            vec![
                "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'",
                "GRANT SELECT ON *.* TO '{{name}}'@'%'",
                "SELECT ';' -- a; comment",
                "SELECT `a;b`",
                "/* x;y */ SELECT \"q\\\";\"",
            ]
        );
    }

    #[test]
    fn accepts_json_and_base64_entries() {
        let json = r#"["CREATE USER '{{name}}'@'%'", "GRANT ALL ON db.* TO '{{name}}'@'%'"]"#;
        let b64 = "RFJPUCBVU0VSICd7e25hbWV9fSdAJyUnOyBTRUxFQ1QgMQ==";
        let out = split_statements(&[json.to_owned(), b64.to_owned()]);
        assert_eq!(
            out,
            vec![
                "CREATE USER '{{name}}'@'%'",
                "GRANT ALL ON db.* TO '{{name}}'@'%'",
                "DROP USER '{{name}}'@'%'",
                "SELECT 1",
            ]
        );
        assert_eq!(decode_base64("YQ==").unwrap(), b"a");
        assert_eq!(decode_base64("YWI=").unwrap(), b"ab");
        assert!(decode_base64("YQ=a").is_none());
        assert!(decode_base64("DROP USER").is_none());
    }

    #[test]
    fn escapes_for_the_quoting_in_place() {
        let v = values("it's\\me", "p'\"`\\;--x");
        assert_eq!(
            rendered(
                "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'",
                &v
            ),
            "CREATE USER 'it''s\\\\me'@'%' IDENTIFIED BY 'p''\"`\\\\;--x'"
        );
        assert_eq!(
            rendered("SELECT \"{{password}}\"", &v),
            "SELECT \"p'\"\"`\\\\;--x\""
        );
        assert_eq!(
            rendered("SELECT `{{password}}`", &v),
            "SELECT `p'\"``\\;--x`"
        );
        assert_eq!(
            rendered("ALTER USER '{{username}}'@'%' COMMENT '{{expiration}}'", &v),
            "ALTER USER 'it''s\\\\me'@'%' COMMENT '2030-01-01 00:00:00+0000'"
        );
    }

    #[test]
    fn escaped_output_lexes_back_to_one_literal() {
        // Whatever the value, the rendered statement has no top-level separator or comment.
        for evil in [
            "'; DROP TABLE t; --",
            "\\'; DROP TABLE t; #",
            "a\\",
            "'",
            "\\",
            "x' OR '1'='1",
        ] {
            let v = values(evil, evil);
            let out = rendered(
                "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'",
                &v,
            );
            let tokens = lex(&out);
            assert!(tokens.iter().all(|t| t.kind == TokenKind::Text), "{out}");
            assert_eq!(split_statements(std::slice::from_ref(&out)), vec![out]);
        }
    }

    #[test]
    fn bare_and_commented_placeholders_take_only_plain_values() {
        assert_eq!(
            rendered("DROP USER {{name}}", &values("v_role_1", "p")),
            "DROP USER v_role_1"
        );
        assert!(render("DROP USER {{name}}", &values("v-role", "p")).is_err());
        assert!(render("SELECT 1 -- {{password}}", &values("a", "x\nDROP")).is_err());
        assert!(render("SELECT 1 /* {{password}} */", &values("a", "x*/;")).is_err());
    }

    #[test]
    fn missing_values_and_nul_are_rejected() {
        let v = Values {
            name: "a",
            password: None,
            expiration: None,
        };
        assert!(render("SELECT '{{password}}'", &v).is_err());
        assert!(render("SELECT '{{expiration}}'", &v).is_err());
        assert!(render("SELECT '{{name}}'", &values("a\0b", "p")).is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name("").is_err());
        assert!(check_name("v-role-ABC").is_ok());
    }

    #[test]
    fn error_messages_do_not_echo_values() {
        let v = values("name", "hunter2 secret");
        let err = render("SELECT {{password}}", &v).unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }
}
