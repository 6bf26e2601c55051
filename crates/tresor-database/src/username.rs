//! Usernames from a connection's `username_template`: the part of Go's template language
//! that Vault's username templates use. Actions `{{ ... }}` hold pipelines of commands
//! joined by `|`; operands are `.DisplayName`, `.RoleName`, string and integer literals,
//! parenthesised pipelines and the functions below. Anything else (`if`, `range`,
//! variables) is refused when the template is written, never at credential time.

use base64::Engine as _;
use tresor_sdk::Error;

/// The values a template sees, and the moment it is rendered.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub display_name: &'a str,
    pub role_name: &'a str,
    pub unix: i64,
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    Int(i64),
}

impl Val {
    fn text(&self) -> String {
        match self {
            Val::Str(s) => s.clone(),
            Val::Int(i) => i.to_string(),
        }
    }
}

fn bad(msg: impl std::fmt::Display) -> Error {
    Error::bad_request(format!("invalid username template: {msg}"))
}

/// Renders `template`; an error is a 400 that says what the template got wrong.
pub fn render(template: &str, inputs: &Inputs<'_>) -> Result<String, Error> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let (text, after) = rest.split_at(start);
        let mut action = after.get(2..).unwrap_or("");
        let mut text = text.to_owned();
        if let Some(trimmed) = action.strip_prefix('-') {
            text.truncate(text.trim_end().len());
            action = trimmed;
        }
        out.push_str(&text);
        let end = action.find("}}").ok_or_else(|| bad("unclosed action"))?;
        let (mut body, tail) = action.split_at(end);
        rest = tail.get(2..).unwrap_or("");
        if let Some(b) = body.strip_suffix('-') {
            body = b;
            rest = rest.trim_start();
        }
        let tokens = lex(body)?;
        let mut p = Parser {
            tokens: &tokens,
            pos: 0,
            inputs,
        };
        let v = p.pipeline()?;
        if p.pos != tokens.len() {
            return Err(bad("unexpected token in action"));
        }
        out.push_str(&v.text());
    }
    out.push_str(rest);
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Field(String),
    Ident(String),
    Str(String),
    Int(i64),
    Pipe,
    Open,
    Close,
}

fn lex(s: &str) -> Result<Vec<Tok>, Error> {
    let chars: Vec<char> = s.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let word = |c: char| c.is_alphanumeric() || c == '_';
    while let Some(&c) = chars.get(i) {
        match c {
            c if c.is_whitespace() => i += 1,
            '|' => {
                toks.push(Tok::Pipe);
                i += 1;
            }
            '(' => {
                toks.push(Tok::Open);
                i += 1;
            }
            ')' => {
                toks.push(Tok::Close);
                i += 1;
            }
            '"' | '`' => {
                let (lit, next) = string_literal(&chars, i)?;
                toks.push(Tok::Str(lit));
                i = next;
            }
            '.' => {
                let start = i + 1;
                i = start;
                while chars.get(i).is_some_and(|&c| word(c)) {
                    i += 1;
                }
                toks.push(Tok::Field(
                    chars.get(start..i).unwrap_or(&[]).iter().collect(),
                ));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
                    i += 1;
                }
                let n: String = chars.get(start..i).unwrap_or(&[]).iter().collect();
                toks.push(Tok::Int(n.parse().map_err(|_| bad("bad number"))?));
            }
            c if word(c) => {
                let start = i;
                while chars.get(i).is_some_and(|&c| word(c)) {
                    i += 1;
                }
                toks.push(Tok::Ident(
                    chars.get(start..i).unwrap_or(&[]).iter().collect(),
                ));
            }
            _ => return Err(bad(format!("unexpected character {c:?}"))),
        }
    }
    Ok(toks)
}

/// A `"..."` literal with Go's common escapes, or a raw `` `...` `` literal.
fn string_literal(chars: &[char], start: usize) -> Result<(String, usize), Error> {
    let quote = chars.get(start).copied().unwrap_or('"');
    let mut out = String::new();
    let mut i = start + 1;
    loop {
        let c = *chars.get(i).ok_or_else(|| bad("unterminated string"))?;
        i += 1;
        match c {
            c if c == quote => return Ok((out, i)),
            '\\' if quote == '"' => {
                let e = *chars.get(i).ok_or_else(|| bad("unterminated string"))?;
                i += 1;
                out.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    '\\' | '"' => e,
                    _ => return Err(bad("unsupported escape in string")),
                });
            }
            c => out.push(c),
        }
    }
}

struct Parser<'t> {
    tokens: &'t [Tok],
    pos: usize,
    inputs: &'t Inputs<'t>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn pipeline(&mut self) -> Result<Val, Error> {
        let mut value = self.command(None)?;
        while self.peek() == Some(&Tok::Pipe) {
            self.pos += 1;
            value = self.command(Some(value))?;
        }
        Ok(value)
    }

    /// One command: a function with arguments (the piped value last), or one operand.
    fn command(&mut self, piped: Option<Val>) -> Result<Val, Error> {
        let head = self.peek().cloned().ok_or_else(|| bad("empty command"))?;
        if let Tok::Ident(name) = head {
            self.pos += 1;
            let mut args = Vec::new();
            while let Some(t) = self.peek() {
                if matches!(t, Tok::Pipe | Tok::Close) {
                    break;
                }
                args.push(self.operand()?);
            }
            args.extend(piped);
            return call(&name, args, self.inputs);
        }
        let v = self.operand()?;
        if piped.is_some() || !matches!(self.peek(), None | Some(Tok::Pipe | Tok::Close)) {
            return Err(bad("a value cannot take arguments"));
        }
        Ok(v)
    }

    fn operand(&mut self) -> Result<Val, Error> {
        let tok = self.peek().cloned().ok_or_else(|| bad("missing operand"))?;
        self.pos += 1;
        match tok {
            Tok::Field(f) => match f.as_str() {
                "DisplayName" => Ok(Val::Str(self.inputs.display_name.to_owned())),
                "RoleName" => Ok(Val::Str(self.inputs.role_name.to_owned())),
                other => Err(bad(format!("unknown field .{other}"))),
            },
            Tok::Str(s) => Ok(Val::Str(s)),
            Tok::Int(i) => Ok(Val::Int(i)),
            Tok::Ident(name) => call(&name, Vec::new(), self.inputs),
            Tok::Open => {
                let v = self.pipeline()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(bad("unclosed parenthesis"));
                }
                self.pos += 1;
                Ok(v)
            }
            Tok::Pipe | Tok::Close => Err(bad("unexpected token")),
        }
    }
}

fn int_arg(v: Option<&Val>) -> Result<i64, Error> {
    match v {
        Some(Val::Int(i)) => Ok(*i),
        _ => Err(bad("expected an integer argument")),
    }
}

fn str_arg(v: Option<&Val>) -> Result<String, Error> {
    v.map(Val::text)
        .ok_or_else(|| bad("missing string argument"))
}

fn arity(name: &str, args: &[Val], n: usize) -> Result<(), Error> {
    if args.len() == n {
        Ok(())
    } else {
        Err(bad(format!(
            "wrong number of arguments for {name}: want {n} got {}",
            args.len()
        )))
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate_bytes(s: &str, max: usize) -> String {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("").to_owned()
}

fn sha256_hex(s: &str) -> String {
    hex::encode(tresor_crypto::digest::sha256(s.as_bytes()))
}

fn call(name: &str, args: Vec<Val>, inputs: &Inputs<'_>) -> Result<Val, Error> {
    let s = |v: String| Ok(Val::Str(v));
    match name {
        "printf" => s(printf(&args)?),
        "random" => {
            arity(name, &args, 1)?;
            let n = usize::try_from(int_arg(args.first())?).map_err(|_| bad("bad length"))?;
            if n > 1024 {
                return Err(bad("random length too large"));
            }
            let r = tresor_crypto::random::base62(n).map_err(|e| Error::internal(e.to_string()))?;
            s(r.expose().to_owned())
        }
        "truncate" | "truncate_sha256" => {
            arity(name, &args, 2)?;
            let max = int_arg(args.first())?;
            let text = str_arg(args.get(1))?;
            let hashed = name == "truncate_sha256";
            let min = if hashed { 9 } else { 1 };
            let max = usize::try_from(max)
                .ok()
                .filter(|m| *m >= min)
                .ok_or_else(|| bad(format!("max length must be >= {min}")))?;
            if text.len() <= max {
                return s(text);
            }
            if !hashed {
                return s(truncate_bytes(&text, max));
            }
            let head = truncate_bytes(&text, max - 8);
            let tail = text.get(head.len()..).unwrap_or("");
            s(format!("{head}{}", sha256_hex(tail).get(..8).unwrap_or("")))
        }
        "uppercase" | "lowercase" | "sha256" | "base64" | "hex" => {
            arity(name, &args, 1)?;
            let text = str_arg(args.first())?;
            s(match name {
                "uppercase" => text.to_uppercase(),
                "lowercase" => text.to_lowercase(),
                "sha256" => sha256_hex(&text),
                "base64" => base64::engine::general_purpose::STANDARD.encode(text),
                _ => hex::encode(text),
            })
        }
        "replace" => {
            arity(name, &args, 3)?;
            let (find, with, text) = (
                str_arg(args.first())?,
                str_arg(args.get(1))?,
                str_arg(args.get(2))?,
            );
            s(text.replace(&find, &with))
        }
        "unix_time" => {
            arity(name, &args, 0)?;
            s(inputs.unix.to_string())
        }
        "unix_time_millis" => {
            arity(name, &args, 0)?;
            s(inputs.unix.saturating_mul(1000).to_string())
        }
        "uuid" => {
            arity(name, &args, 0)?;
            s(random_uuid()?)
        }
        other => Err(bad(format!("function {other:?} not defined"))),
    }
}

/// Go's `printf` for the verbs username templates use: `%s`, `%d`, `%v` and `%%`.
fn printf(args: &[Val]) -> Result<String, Error> {
    let format = str_arg(args.first())?;
    let mut rest = args.iter().skip(1);
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'v' | 'd') => match rest.next() {
                Some(v) => out.push_str(&v.text()),
                None => out.push_str("%!(MISSING)"),
            },
            _ => return Err(bad("unsupported printf verb")),
        }
    }
    Ok(out)
}

fn random_uuid() -> Result<String, Error> {
    let mut b = [0u8; 16];
    tresor_crypto::random::fill(&mut b).map_err(|e| Error::internal(e.to_string()))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    let part = |r: std::ops::Range<usize>| h.get(r).unwrap_or("").to_owned();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const IN: Inputs<'static> = Inputs {
        display_name: "token",
        role_name: "readonly-role",
        unix: 1_800_000_000,
    };

    #[test]
    fn vaults_default_postgres_template() {
        let t = r#"{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}"#;
        let u = render(t, &IN).unwrap();
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(parts[0], "v");
        assert_eq!(parts[1], "token");
        assert_eq!(parts[2], "readonly");
        assert_eq!(parts[3].len(), 20);
        assert_eq!(parts[4], "1800000000");
        assert!(u.len() <= 63);
    }

    #[test]
    fn functions_and_trims() {
        let t =
            "a-{{- .RoleName | uppercase | replace \"-\" \"_\" -}} -b {{ \"xyz\" | truncate 2 }}";
        assert_eq!(render(t, &IN).unwrap(), "a-READONLY_ROLE-b xy");
        let t = r#"{{ .RoleName | truncate_sha256 10 }}"#;
        let out = render(t, &IN).unwrap();
        assert_eq!(out.len(), 10);
        assert!(out.starts_with("re"));
        assert_eq!(render("{{ uuid }}", &IN).unwrap().len(), 36);
        assert_eq!(render("plain", &IN).unwrap(), "plain");
        assert_eq!(render("{{ `r\\n` }}", &IN).unwrap(), "r\\n");
    }

    #[test]
    fn bad_templates_are_400() {
        for t in [
            "{{ if .RoleName }}x{{ end }}",
            "{{ .Nope }}",
            "{{ truncate 0 .RoleName }}",
            "{{ random }}",
            "{{ printf \"%q\" .RoleName }}",
            "{{ .RoleName",
            "{{ (.RoleName }}",
            "{{ timestamp \"2006\" }}",
        ] {
            let e = render(t, &IN).unwrap_err();
            assert_eq!(e.kind(), tresor_sdk::ErrorKind::BadRequest, "{t}");
        }
    }
}
