//! Search filters: the string form (RFC 4515) parsed into the tree the protocol sends,
//! and the escaping of values put into a filter.
//!
//! Values from a login (the username, a DN) only ever enter a filter through
//! [`escape`], so `*`, `(`, `)`, `\` and NUL in them are data, never syntax.

use super::ber::Writer;
use std::fmt;

/// How deep `&`, `|` and `!` may nest.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Equal(String, Vec<u8>),
    Substrings {
        attr: String,
        initial: Option<Vec<u8>>,
        any: Vec<Vec<u8>>,
        last: Option<Vec<u8>>,
    },
    GreaterOrEqual(String, Vec<u8>),
    LessOrEqual(String, Vec<u8>),
    Present(String),
    Approx(String, Vec<u8>),
    Extensible {
        rule: Option<String>,
        attr: Option<String>,
        value: Vec<u8>,
        dn: bool,
    },
}

/// Why a filter string does not parse; `at` is a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub at: usize,
    pub why: &'static str,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid filter at offset {}: {}", self.at, self.why)
    }
}

/// RFC 4515 escaping of a value: `*`, `(`, `)`, `\`, NUL and every non-ASCII byte
/// become `\xx`.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if matches!(b, b'*' | b'(' | b')' | b'\\' | 0) || b >= 0x80 {
            out.push_str(&format!("\\{b:02x}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

/// Parses a whole filter such as `(&(objectClass=group)(member=cn=a\2cdc=b))`.
pub fn parse(s: &str) -> Result<Filter, FilterError> {
    let mut p = Parser {
        s: s.trim().as_bytes(),
        pos: 0,
    };
    let f = p.filter(0)?;
    if p.pos != p.s.len() {
        return Err(p.err("unexpected characters after the filter"));
    }
    Ok(f)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, why: &'static str) -> FilterError {
        FilterError { at: self.pos, why }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> Result<(), FilterError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else if b == b'(' {
            Err(self.err("expected '('"))
        } else {
            Err(self.err("expected ')'"))
        }
    }

    fn filter(&mut self, depth: usize) -> Result<Filter, FilterError> {
        if depth > MAX_DEPTH {
            return Err(self.err("filter nested too deeply"));
        }
        self.eat(b'(')?;
        let f = match self.peek() {
            Some(b'&') => {
                self.pos += 1;
                Filter::And(self.list(depth)?)
            }
            Some(b'|') => {
                self.pos += 1;
                Filter::Or(self.list(depth)?)
            }
            Some(b'!') => {
                self.pos += 1;
                Filter::Not(Box::new(self.filter(depth + 1)?))
            }
            _ => self.item()?,
        };
        self.eat(b')')?;
        Ok(f)
    }

    fn list(&mut self, depth: usize) -> Result<Vec<Filter>, FilterError> {
        let mut out = Vec::new();
        while self.peek() == Some(b'(') {
            out.push(self.filter(depth + 1)?);
        }
        if out.is_empty() {
            return Err(self.err("empty filter list"));
        }
        Ok(out)
    }

    /// Up to (not including) the operator: `attr`, or `attr:dn:rule` for extensible.
    fn description(&mut self) -> &str {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if matches!(b, b'=' | b'~' | b'>' | b'<' | b'(' | b')') {
                break;
            }
            if b == b':' && self.s.get(self.pos + 1) == Some(&b'=') {
                break;
            }
            self.pos += 1;
        }
        std::str::from_utf8(self.s.get(start..self.pos).unwrap_or_default()).unwrap_or("")
    }

    fn item(&mut self) -> Result<Filter, FilterError> {
        let desc = self.description().to_owned();
        let op: &[u8] = match self.peek() {
            Some(b'=') => b"=",
            Some(b'~') => b"~=",
            Some(b'>') => b">=",
            Some(b'<') => b"<=",
            Some(b':') => b":=",
            _ => return Err(self.err("expected a comparison")),
        };
        if self.s.get(self.pos..self.pos + op.len()) != Some(op) {
            return Err(self.err("expected a comparison"));
        }
        self.pos += op.len();
        if op == b":=" {
            return self.extensible(&desc);
        }
        if !valid_attr(&desc) {
            return Err(self.err("invalid attribute description"));
        }
        let parts = self.value_parts()?;
        let single = |p: Vec<Vec<u8>>, e: FilterError| match <[Vec<u8>; 1]>::try_from(p) {
            Ok([v]) => Ok(v),
            Err(_) => Err(e),
        };
        let wild = self.err("wildcards are only allowed with '='");
        Ok(match op {
            b"~=" => Filter::Approx(desc, single(parts, wild)?),
            b">=" => Filter::GreaterOrEqual(desc, single(parts, wild)?),
            b"<=" => Filter::LessOrEqual(desc, single(parts, wild)?),
            _ if parts.len() == 1 => Filter::Equal(desc, single(parts, wild)?),
            _ if parts.len() == 2 && parts.iter().all(Vec::is_empty) => Filter::Present(desc),
            _ => substrings(desc, parts).ok_or_else(|| self.err("empty substring filter"))?,
        })
    }

    fn extensible(&mut self, desc: &str) -> Result<Filter, FilterError> {
        let mut parts = desc.split(':');
        let attr = parts.next().filter(|a| !a.is_empty()).map(str::to_owned);
        let mut dn = false;
        let mut rule = None;
        for p in parts {
            match p {
                _ if p.eq_ignore_ascii_case("dn") && !dn && rule.is_none() => dn = true,
                _ if rule.is_none() && valid_attr(p) => rule = Some(p.to_owned()),
                _ => return Err(self.err("invalid extensible match")),
            }
        }
        if attr.is_none() && rule.is_none() || attr.as_deref().is_some_and(|a| !valid_attr(a)) {
            return Err(self.err("invalid extensible match"));
        }
        let value = match <[Vec<u8>; 1]>::try_from(self.value_parts()?) {
            Ok([v]) => v,
            Err(_) => return Err(self.err("wildcards are only allowed with '='")),
        };
        Ok(Filter::Extensible {
            rule,
            attr,
            value,
            dn,
        })
    }

    /// The value up to ')', unescaped, split at each unescaped `*`.
    fn value_parts(&mut self) -> Result<Vec<Vec<u8>>, FilterError> {
        let mut parts = vec![Vec::new()];
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated filter")),
                Some(b')') => return Ok(parts),
                Some(b'(') => return Err(self.err("unescaped '(' in a value")),
                Some(b'*') => parts.push(Vec::new()),
                Some(b'\\') => {
                    let hex = self.s.get(self.pos + 1..self.pos + 3);
                    let byte = hex
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                        .ok_or_else(|| self.err("bad escape in a value"))?;
                    if let Some(last) = parts.last_mut() {
                        last.push(byte);
                    }
                    self.pos += 2;
                }
                Some(b) => {
                    if let Some(last) = parts.last_mut() {
                        last.push(b);
                    }
                }
            }
            self.pos += 1;
        }
    }
}

fn valid_attr(a: &str) -> bool {
    !a.is_empty()
        && a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b';' | b'_'))
}

/// `parts` split at each `*`; `None` when no part holds anything (`(cn=**)`).
fn substrings(attr: String, mut parts: Vec<Vec<u8>>) -> Option<Filter> {
    let last = parts.pop().filter(|p| !p.is_empty());
    let mut rest = parts.into_iter();
    let initial = rest.next().filter(|p| !p.is_empty());
    let any: Vec<Vec<u8>> = rest.filter(|p| !p.is_empty()).collect();
    if initial.is_none() && any.is_empty() && last.is_none() {
        return None;
    }
    Some(Filter::Substrings {
        attr,
        initial,
        any,
        last,
    })
}

impl Filter {
    pub fn encode(&self, w: &mut Writer) {
        let ava = |w: &mut Writer, tag: u8, a: &str, v: &[u8]| {
            w.nest(tag, |w| {
                w.octets(0x04, a.as_bytes());
                w.octets(0x04, v);
            })
        };
        match self {
            Filter::And(list) => w.nest(0xa0, |w| list.iter().for_each(|f| f.encode(w))),
            Filter::Or(list) => w.nest(0xa1, |w| list.iter().for_each(|f| f.encode(w))),
            Filter::Not(f) => w.nest(0xa2, |w| f.encode(w)),
            Filter::Equal(a, v) => ava(w, 0xa3, a, v),
            Filter::Substrings {
                attr,
                initial,
                any,
                last,
            } => w.nest(0xa4, |w| {
                w.octets(0x04, attr.as_bytes());
                w.nest(0x30, |w| {
                    if let Some(i) = initial {
                        w.octets(0x80, i);
                    }
                    any.iter().for_each(|a| w.octets(0x81, a));
                    if let Some(l) = last {
                        w.octets(0x82, l);
                    }
                })
            }),
            Filter::GreaterOrEqual(a, v) => ava(w, 0xa5, a, v),
            Filter::LessOrEqual(a, v) => ava(w, 0xa6, a, v),
            Filter::Present(a) => w.octets(0x87, a.as_bytes()),
            Filter::Approx(a, v) => ava(w, 0xa8, a, v),
            Filter::Extensible {
                rule,
                attr,
                value,
                dn,
            } => w.nest(0xa9, |w| {
                if let Some(r) = rule {
                    w.octets(0x81, r.as_bytes());
                }
                if let Some(a) = attr {
                    w.octets(0x82, a.as_bytes());
                }
                w.octets(0x83, value);
                if *dn {
                    w.boolean(0x84, true);
                }
            }),
        }
    }
}

#[cfg(test)]
#[path = "filter_tests.rs"]
mod tests;
