//! `toTOML`: writes a value as consul-template's `toTOML` does (the BurntSushi/toml
//! encoder, then trimmed). A map or struct (`with secret` gives one) becomes a document: at
//! each level the plain keys first, then the tables and arrays of tables, map keys in byte
//! order and struct fields in declaration order; nested tables indented two spaces a
//! level; nil values left out; floats always with a decimal point; numbers from Vault
//! (`json.Number`) as integers when they are. Anything else is written as a TOML value.
//! Checked against `bao agent` by the golden tests.

use crate::format::float::{format_float, FloatFmt};
use crate::value::Value;
use std::fmt::Write;

const INDENT: &str = "  ";
const NIL_IN_ARRAY: &str = "toml: cannot encode array with nil element";
/// What Go says when `toTOML` is called with nil (a panic inside reflection).
pub(crate) const NIL_VALUE: &str = "reflect: call of reflect.Value.Type on zero Value";

/// The TOML text of `v`.
pub(crate) fn to_toml(v: &Value) -> Result<String, String> {
    let mut enc = Encoder::default();
    match v {
        Value::Nil | Value::Missing => return Err(format!("toml: {NIL_VALUE}")),
        _ if entries(v).is_some() => enc.table_body(&mut Vec::new(), v)?,
        Value::NilOf(_) => {}
        _ => enc.element(v)?,
    }
    Ok(enc.out.trim().to_owned())
}

/// The keys and values of a map (in byte order) or a struct (in declaration order).
fn entries(v: &Value) -> Option<Entries<'_>> {
    match v {
        Value::Map(m) => Some(m.iter().map(|(k, v)| (k.as_str(), v)).collect()),
        Value::Struct(s) => Some(s.named_fields().collect()),
        _ => None,
    }
}

/// A map's or struct's entries, by key.
type Entries<'a> = Vec<(&'a str, &'a Value)>;

/// The entries of a map or struct: those written as `key = value` first, then the tables;
/// and how many are of the first kind.
fn split(v: &Value) -> Result<(Entries<'_>, usize), String> {
    let (mut plain, mut tables) = (Vec::new(), Vec::new());
    for (k, v) in entries(v).unwrap_or_default() {
        if is_table(v)? {
            tables.push((k, v));
        } else {
            plain.push((k, v));
        }
    }
    let n_plain = plain.len();
    plain.extend(tables);
    Ok((plain, n_plain))
}

#[derive(Default)]
struct Encoder {
    out: String,
}

/// How a value is written: as `key = value`, or under a `[table]` / `[[array]]` header.
fn is_table(v: &Value) -> Result<bool, String> {
    Ok(match v {
        Value::Map(_) | Value::Struct(_) => true,
        Value::List(items) => table_array(items)?,
        _ => false,
    })
}

/// An array is an array of tables when it is not empty and all its elements are maps;
/// a nil element anywhere is an error (the encoder looks through nested arrays too).
fn table_array(items: &[Value]) -> Result<bool, String> {
    let mut all_maps = !items.is_empty();
    for item in items {
        match item {
            Value::Nil | Value::Missing | Value::NilOf(_) => return Err(NIL_IN_ARRAY.into()),
            Value::Map(_) | Value::Struct(_) => {}
            Value::List(inner) => {
                table_array(inner)?;
                all_maps = false;
            }
            _ => all_maps = false,
        }
    }
    Ok(all_maps)
}

fn is_nil(v: &Value) -> bool {
    matches!(v, Value::Nil | Value::Missing | Value::NilOf(_))
}

impl Encoder {
    /// Writes the entries of `map`, whose header (if any) is written; `path` is its key.
    fn table_body(&mut self, path: &mut Vec<String>, table: &Value) -> Result<(), String> {
        for (k, v) in split(table)?.0 {
            if is_nil(v) {
                continue;
            }
            path.push(k.to_owned());
            let written = self.entry(path, v);
            path.pop();
            written?;
        }
        Ok(())
    }

    fn entry(&mut self, path: &mut Vec<String>, v: &Value) -> Result<(), String> {
        let indent = INDENT.repeat(path.len() - 1);
        match v {
            Value::Map(_) | Value::Struct(_) => {
                if path.len() == 1 {
                    self.newline();
                }
                let _ = write!(self.out, "{indent}[{}]", dotted(path));
                self.newline();
                self.table_body(path, v)
            }
            Value::List(items) if table_array(items)? => {
                for item in items {
                    self.newline();
                    let _ = write!(self.out, "{indent}[[{}]]", dotted(path));
                    self.newline();
                    self.table_body(path, item)?;
                }
                Ok(())
            }
            _ => {
                let key = quote_key(path.last().map(String::as_str).unwrap_or(""));
                let _ = write!(self.out, "{indent}{key} = ");
                self.element(v)?;
                self.newline();
                Ok(())
            }
        }
    }

    /// A newline, unless nothing was written yet.
    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    /// A value on the right of `=` or inside an array: inline arrays and tables.
    fn element(&mut self, v: &Value) -> Result<(), String> {
        match v {
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) | Value::Int64(i) => {
                let _ = write!(self.out, "{i}");
            }
            Value::Float(f) => self.out.push_str(&float(*f)),
            Value::Number(n) => self.out.push_str(&number(n)?),
            Value::Str(s) => quote_into(&mut self.out, s),
            Value::Strings(items) => {
                let items: Vec<Value> = items.iter().cloned().map(Value::Str).collect();
                self.array(&items)?;
            }
            Value::List(items) => self.array(items)?,
            Value::Map(_) | Value::Struct(_) => {
                // Inline: the plain keys, then the tables, comma-separated. A nil entry is
                // left out after its comma was decided, as the Go encoder does.
                let (all, n_plain) = split(v)?;
                let has_tables = n_plain < all.len();
                self.out.push('{');
                for (i, (k, v)) in all.iter().enumerate() {
                    if is_nil(v) {
                        continue;
                    }
                    let _ = write!(self.out, "{} = ", quote_key(k));
                    self.element(v)?;
                    let last_of_group = i + 1 == n_plain || i + 1 == all.len();
                    if !last_of_group || (i < n_plain && has_tables) {
                        self.out.push_str(", ");
                    }
                }
                self.out.push('}');
            }
            Value::Nil | Value::Missing | Value::NilOf(_) => return Err(NIL_IN_ARRAY.into()),
        }
        Ok(())
    }

    fn array(&mut self, items: &[Value]) -> Result<(), String> {
        self.out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.element(item)?;
        }
        self.out.push(']');
        Ok(())
    }
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)` with `.0` added to whole numbers.
fn float(f: f64) -> String {
    if f.is_nan() {
        return if f.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.into();
    }
    let mut s = format_float(f, FloatFmt::ShortestFixed);
    if !s.contains('.') {
        s.push_str(".0");
    }
    s
}

/// A `json.Number`: an integer when it parses as int64, else a float.
fn number(n: &str) -> Result<String, String> {
    if n.is_empty() {
        return Ok("0".into());
    }
    if let Ok(i) = n.parse::<i64>() {
        return Ok(i.to_string());
    }
    match n.parse::<f64>() {
        Ok(f) => Ok(float(f)),
        Err(_) => Err(format!("unable to convert {n:?} to int64 or float64")),
    }
}

fn dotted(path: &[String]) -> String {
    path.iter()
        .map(|k| quote_key(k))
        .collect::<Vec<_>>()
        .join(".")
}

/// Bare keys are ASCII letters, digits, `_` and `-`; others are quoted.
fn quote_key(k: &str) -> String {
    let bare = k
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare && !k.is_empty() {
        return k.to_owned();
    }
    let mut out = String::new();
    quote_into(&mut out, k);
    out
}

/// A TOML basic string: `\"`, `\\`, `\b \t \n \f \r`, other control characters as `\u00XX`.
fn quote_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Map;

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect::<Map>(),
        )
    }

    #[test]
    fn plain_keys_then_tables_indented() {
        let inner = map(&[("g", Value::str("h"))]);
        let c = map(&[("f", inner), ("d", Value::Bool(true))]);
        let top = map(&[
            ("c", c),
            ("b", Value::Float(2.0)),
            ("a", Value::Number("5".into())),
            ("n", Value::Nil),
        ]);
        assert_eq!(
            to_toml(&top).unwrap(),
            "a = 5\nb = 2.0\n\n[c]\n  d = true\n  [c.f]\n    g = \"h\""
        );
    }

    #[test]
    fn arrays_of_tables_inline_tables_and_nil_elements() {
        let t = Value::List(vec![map(&[("x", Value::Int(1))]), map(&[])]);
        let mixed = Value::List(vec![Value::Int(1), map(&[("a", Value::str("b"))])]);
        let top = map(&[("t", t), ("m", mixed)]);
        assert_eq!(
            to_toml(&top).unwrap(),
            "m = [1, {a = \"b\"}]\n\n[[t]]\n  x = 1\n\n[[t]]"
        );
        let bad = map(&[("l", Value::List(vec![Value::Int(1), Value::Nil]))]);
        assert_eq!(to_toml(&bad).unwrap_err(), NIL_IN_ARRAY);
    }

    #[test]
    fn a_secret_struct_keeps_its_field_order_and_leaves_out_nil_fields() {
        use crate::value::{GoStruct, NilKind, StructKind};
        let secret = Value::Struct(Box::new(GoStruct {
            kind: StructKind::Secret,
            fields: vec![
                Value::str("req"),
                Value::str(""),
                Value::Int(0),
                Value::Bool(false),
                map(&[("data", map(&[("k", Value::str("v"))]))]),
                Value::NilOf(NilKind::Strings),
                Value::NilOf(NilKind::Ptr(StructKind::SecretAuth)),
                Value::NilOf(NilKind::Ptr(StructKind::SecretWrapInfo)),
            ],
        }));
        assert_eq!(
            to_toml(&secret).unwrap(),
            "RequestID = \"req\"\nLeaseID = \"\"\nLeaseDuration = 0\nRenewable = false\n\n\
             [Data]\n  [Data.data]\n    k = \"v\""
        );
        assert_eq!(to_toml(&Value::str("x")).unwrap(), "\"x\"");
    }

    #[test]
    fn keys_and_strings_are_quoted_as_toml() {
        let top = map(&[
            ("a b", Value::str("q\"\\\u{1}\u{7f}\t")),
            ("ü", Value::str("ü")),
        ]);
        assert_eq!(
            to_toml(&top).unwrap(),
            "\"a b\" = \"q\\\"\\\\\\u0001\\u007f\\t\"\n\"ü\" = \"ü\""
        );
        assert_eq!(float(1e21), "1000000000000000000000.0");
        assert_eq!(float(-0.5), "-0.5");
        assert_eq!(number("1.5").unwrap(), "1.5");
        assert_eq!(
            number("12345678901234567890").unwrap(),
            "12345678901234567000.0"
        );
    }
}
