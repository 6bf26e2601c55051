//! JSON in and out: serde_json values to template values (numbers as `json.Number`, as
//! the Vault client decodes them, or as float64, as `json.Unmarshal` does), and Go's
//! `json.Marshal` / `MarshalIndent` output (sorted keys, HTML characters escaped).

use crate::format::float::{format_float, FloatFmt};
use crate::value::{NilKind, Value};

/// Nesting beyond this depth is cut off (replaced by nil) when converting.
pub(crate) const MAX_JSON_DEPTH: usize = 200;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Numbers {
    /// Keep the number's text (`json.Number`), as Vault's client does.
    JsonNumber,
    /// Decode to float64, as `json.Unmarshal` into `interface{}` does.
    Float,
}

pub(crate) fn from_json(v: &serde_json::Value, numbers: Numbers) -> Value {
    convert(v, numbers, 0)
}

fn convert(v: &serde_json::Value, numbers: Numbers, depth: usize) -> Value {
    if depth > MAX_JSON_DEPTH {
        return Value::Nil;
    }
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match numbers {
            Numbers::JsonNumber => Value::Number(n.to_string()),
            Numbers::Float => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(items) => Value::List(
            items
                .iter()
                .map(|i| convert(i, numbers, depth + 1))
                .collect(),
        ),
        serde_json::Value::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), convert(v, numbers, depth + 1)))
                .collect(),
        ),
    }
}

/// How `toJSON` and friends lay out their output.
#[derive(Clone, Copy)]
pub(crate) struct JsonStyle {
    pub pretty: bool,
    pub escape_html: bool,
}

/// Go's `json.Marshal` (or `MarshalIndent(v, "", "  ")` when pretty).
pub(crate) fn to_json(v: &Value, style: JsonStyle) -> Result<String, String> {
    let mut out = String::new();
    write_value(&mut out, v, style, 0)?;
    Ok(out)
}

fn newline(out: &mut String, style: JsonStyle, level: usize) {
    if style.pretty {
        out.push('\n');
        for _ in 0..level {
            out.push_str("  ");
        }
    }
}

fn write_value(out: &mut String, v: &Value, style: JsonStyle, level: usize) -> Result<(), String> {
    match v {
        Value::Missing | Value::Nil | Value::NilOf(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(format!(
                    "json: unsupported value: {}",
                    format_float(*f, FloatFmt::Shortest)
                ));
            }
            out.push_str(&json_float(*f));
        }
        Value::Str(s) => write_string(out, s, style.escape_html),
        Value::Number(n) => {
            if n.is_empty() {
                out.push('0');
            } else if serde_json::from_str::<serde_json::Number>(n).is_ok() {
                out.push_str(n);
            } else {
                return Err("json: invalid number literal".into());
            }
        }
        Value::List(items) => {
            write_seq(out, items.iter(), items.len(), style, level)?;
        }
        Value::Strings(items) => {
            let values: Vec<Value> = items.iter().map(|s| Value::Str(s.clone())).collect();
            write_seq(out, values.iter(), values.len(), style, level)?;
        }
        Value::Map(m) => {
            let entries = m.iter().map(|(k, v)| (k.as_str(), v));
            write_object(out, entries, m.len(), style, level)?;
        }
        Value::Struct(s) => {
            let entries = s.named_fields();
            write_object(out, entries, s.fields.len(), style, level)?;
        }
    }
    Ok(())
}

fn write_seq<'a>(
    out: &mut String,
    items: impl Iterator<Item = &'a Value>,
    len: usize,
    style: JsonStyle,
    level: usize,
) -> Result<(), String> {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(out, style, level + 1);
        write_value(out, item, style, level + 1)?;
    }
    if len > 0 {
        newline(out, style, level);
    }
    out.push(']');
    Ok(())
}

fn write_object<'k, 'v>(
    out: &mut String,
    entries: impl Iterator<Item = (&'k str, &'v Value)>,
    len: usize,
    style: JsonStyle,
    level: usize,
) -> Result<(), String> {
    out.push('{');
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(out, style, level + 1);
        write_string(out, k, style.escape_html);
        out.push(':');
        if style.pretty {
            out.push(' ');
        }
        write_value(out, v, style, level + 1)?;
    }
    if len > 0 {
        newline(out, style, level);
    }
    out.push('}');
    Ok(())
}

/// Go's float encoding: shortest digits, `%f` style unless tiny or huge.
fn json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Go writes e-07 as e-7.
        let s = format_float(f, FloatFmt::ShortestExp);
        match s.find("e-0") {
            Some(i) => format!(
                "{}e-{}",
                s.get(..i).unwrap_or(""),
                s.get(i + 3..).unwrap_or("")
            ),
            None => s,
        }
    } else {
        format_float(f, FloatFmt::ShortestFixed)
    }
}

fn write_string(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if escape_html => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `[]string` values from a JSON array of strings (anything else is refused).
pub(crate) fn string_list(v: &serde_json::Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|i| i.as_str().map(str::to_string))
        .collect()
}

/// A nil slice when empty, as the Go code that builds these leaves them.
pub(crate) fn strings_or_nil(items: Vec<String>) -> Value {
    if items.is_empty() {
        Value::NilOf(NilKind::Strings)
    } else {
        Value::Strings(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPACT: JsonStyle = JsonStyle {
        pretty: false,
        escape_html: true,
    };

    fn enc(json: &str, numbers: Numbers, style: JsonStyle) -> String {
        let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        to_json(&from_json(&v, numbers), style).unwrap_or_else(|e| e)
    }

    #[test]
    fn keys_are_sorted_and_html_escaped() {
        assert_eq!(
            enc(r#"{"b":1,"a":"<&>\u2028"}"#, Numbers::JsonNumber, COMPACT),
            r#"{"a":"\u003c\u0026\u003e\u2028","b":1}"#
        );
        let raw = JsonStyle {
            pretty: false,
            escape_html: false,
        };
        assert_eq!(enc(r#"["<"]"#, Numbers::JsonNumber, raw), r#"["<"]"#);
    }

    #[test]
    fn floats_follow_go() {
        assert_eq!(
            enc(
                "[1e21,1e-7,0.000001,123456789012345678,1.5,-0.0]",
                Numbers::Float,
                COMPACT
            ),
            "[1e+21,1e-7,0.000001,123456789012345680,1.5,-0]"
        );
        assert_eq!(
            to_json(&Value::Float(f64::NAN), COMPACT),
            Err("json: unsupported value: NaN".into())
        );
    }

    #[test]
    fn control_characters() {
        assert_eq!(
            enc(r#""a\u0001\b\f\n""#, Numbers::Float, COMPACT),
            r#""a\u0001\b\f\n""#
        );
    }

    #[test]
    fn pretty_matches_marshal_indent() {
        let style = JsonStyle {
            pretty: true,
            escape_html: true,
        };
        assert_eq!(
            enc(r#"{"a":[1,{"b":[]}],"c":{}}"#, Numbers::Float, style),
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": []\n    }\n  ],\n  \"c\": {}\n}"
        );
    }

    #[test]
    fn deep_input_is_cut_off() {
        // serde_json's parser refuses this depth; build it by hand instead.
        let mut v = serde_json::Value::Null;
        for _ in 0..300 {
            v = serde_json::Value::Array(vec![v]);
        }
        let out = to_json(&from_json(&v, Numbers::Float), COMPACT).unwrap_or_default();
        assert!(out.contains("null"));
    }
}
