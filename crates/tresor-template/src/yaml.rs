//! `toYAML`: a small block-style emitter that writes what gopkg.in/yaml.v2's `Marshal`
//! writes for JSON-like values (consul-template's `toYAML`): its key order, quoting
//! rules, literal blocks for multi-line strings and line folding at 80 columns.

mod resolve;
mod scalar;

use std::cmp::Ordering;

use crate::format::float::{format_float, FloatFmt};
use crate::value::{NilKind, Value};
use scalar::write_string;

const BEST_WIDTH: usize = 80;

pub(crate) fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Map(m) if !m.is_empty() => {
            let mut entries: Vec<(&str, &Value)> = m.iter().map(|(k, v)| (k.as_str(), v)).collect();
            entries.sort_by(|a, b| key_order(a.0, b.0));
            write_map(&mut out, &entries, 0, false);
        }
        Value::Struct(s) => {
            let entries = struct_entries(s);
            let refs: Vec<(&str, &Value)> = entries.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            write_map(&mut out, &refs, 0, false);
        }
        Value::List(_) | Value::Strings(_) if !is_empty_collection(v) => {
            write_seq(&mut out, &list_items(v), 0, false);
        }
        // libyaml indents a root scalar (block lines, folds) by its best indent.
        _ => write_item(&mut out, v, 2),
    }
    out.push('\n');
    out
}

fn struct_entries(s: &crate::value::GoStruct) -> Vec<(String, &Value)> {
    s.named_fields()
        .map(|(k, v)| (k.to_lowercase(), v))
        .collect()
}

fn list_items(v: &Value) -> Vec<Value> {
    match v {
        Value::List(items) => items.clone(),
        Value::Strings(items) => items.iter().map(|s| Value::Str(s.clone())).collect(),
        _ => Vec::new(),
    }
}

fn is_empty_collection(v: &Value) -> bool {
    match v {
        Value::List(l) => l.is_empty(),
        Value::Strings(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::NilOf(NilKind::Map | NilKind::List | NilKind::Strings) => true,
        _ => false,
    }
}

fn start_line(out: &mut String, indent: usize) {
    if !out.is_empty() {
        out.push('\n');
    }
    out.extend(std::iter::repeat_n(' ', indent));
}

fn column(out: &str) -> usize {
    match out.rfind('\n') {
        Some(i) => out.len() - i - 1,
        None => out.len(),
    }
}

fn write_map(out: &mut String, entries: &[(&str, &Value)], indent: usize, first_inline: bool) {
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 || !first_inline {
            start_line(out, indent);
        }
        write_string(out, k, indent, true);
        out.push(':');
        write_value_after_key(out, v, indent);
    }
}

fn write_value_after_key(out: &mut String, v: &Value, key_indent: usize) {
    match v {
        Value::Map(m) if !m.is_empty() => {
            let mut entries: Vec<(&str, &Value)> = m.iter().map(|(k, v)| (k.as_str(), v)).collect();
            entries.sort_by(|a, b| key_order(a.0, b.0));
            write_map(out, &entries, key_indent + 2, false);
        }
        Value::Struct(s) => {
            let entries = struct_entries(s);
            let refs: Vec<(&str, &Value)> = entries.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            write_map(out, &refs, key_indent + 2, false);
        }
        Value::List(_) | Value::Strings(_) if !is_empty_collection(v) => {
            write_seq(out, &list_items(v), key_indent, false);
        }
        _ => {
            out.push(' ');
            write_item(out, v, key_indent + 2);
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize, first_inline: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !first_inline {
            start_line(out, indent);
        }
        out.push_str("- ");
        match item {
            Value::Map(m) if !m.is_empty() => {
                let mut entries: Vec<(&str, &Value)> =
                    m.iter().map(|(k, v)| (k.as_str(), v)).collect();
                entries.sort_by(|a, b| key_order(a.0, b.0));
                write_map(out, &entries, indent + 2, true);
            }
            Value::Struct(s) => {
                let entries = struct_entries(s);
                let refs: Vec<(&str, &Value)> =
                    entries.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                write_map(out, &refs, indent + 2, true);
            }
            Value::List(_) | Value::Strings(_) if !is_empty_collection(item) => {
                write_seq(out, &list_items(item), indent + 2, true);
            }
            _ => write_item(out, item, indent + 2),
        }
    }
}

/// A scalar or an empty collection, at the current position; `indent` is where
/// continuation lines and block scalar lines go.
fn write_item(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Missing | Value::Nil | Value::NilOf(NilKind::Ptr(_)) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&yaml_float(*f)),
        Value::Number(n) => {
            if let Ok(i) = n.parse::<i64>() {
                out.push_str(&i.to_string());
            } else if let Ok(f) = n.parse::<f64>() {
                out.push_str(&yaml_float(f));
            } else {
                write_string(out, n, indent, false);
            }
        }
        Value::Str(s) => write_string(out, s, indent, false),
        Value::Map(_) | Value::NilOf(NilKind::Map) => out.push_str("{}"),
        Value::List(_) | Value::Strings(_) | Value::NilOf(NilKind::List | NilKind::Strings) => {
            out.push_str("[]")
        }
        Value::Struct(s) => {
            let entries = struct_entries(s);
            let refs: Vec<(&str, &Value)> = entries.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            write_map(out, &refs, indent, true);
        }
    }
}

fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { ".inf" } else { "-.inf" }.into()
    } else {
        format_float(f, FloatFmt::Shortest)
    }
}

/// yaml.v2's key order: letters by code point, non-letters before letters, and runs
/// of digits compared as numbers.
pub(crate) fn key_order(a: &str, b: &str) -> Ordering {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    for i in 0..ar.len().min(br.len()) {
        let (Some(&ac), Some(&bc)) = (ar.get(i), br.get(i)) else {
            break;
        };
        if ac == bc {
            continue;
        }
        let (al, bl) = (ac.is_alphabetic(), bc.is_alphabetic());
        if al && bl {
            return ac.cmp(&bc);
        }
        if al || bl {
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let mut an: i128 = 0;
        let mut bn: i128 = 0;
        if ac == '0' || bc == '0' {
            let mut j = i;
            while j > 0 {
                j -= 1;
                match ar.get(j) {
                    Some(c) if c.is_ascii_digit() => {
                        if *c != '0' {
                            an = 1;
                            bn = 1;
                            break;
                        }
                    }
                    _ => break,
                }
            }
        }
        let digits = |r: &[char], n: &mut i128| {
            let mut k = i;
            while let Some(d) = r.get(k).and_then(|c| c.to_digit(10)) {
                *n = n.saturating_mul(10).saturating_add(i128::from(d));
                k += 1;
            }
            k
        };
        let ai = digits(&ar, &mut an);
        let bi = digits(&br, &mut bn);
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ac.cmp(&bc);
    }
    ar.len().cmp(&br.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{from_json, Numbers};

    fn y(json: &str) -> String {
        let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        to_yaml(&from_json(&v, Numbers::Float)).trim().to_string()
    }

    #[test]
    fn quoting_matches_yaml_v2() {
        assert_eq!(y(r#"{"a":"a: b"}"#), "a: 'a: b'");
        assert_eq!(y(r#"{"a":"-x"}"#), "a: -x");
        assert_eq!(y(r#"{"a":"- x"}"#), "a: '- x'");
        assert_eq!(y(r#"{"a":"x #y"}"#), "a: 'x #y'");
        assert_eq!(y(r#"{"a":"it's"}"#), "a: it's");
        assert_eq!(y(r#"{"a":"@x"}"#), "a: '@x'");
        assert_eq!(y(r#"{"a":"a\tb"}"#), "a: \"a\\tb\"");
        assert_eq!(y(r#"{"a":"a\u0001b"}"#), "a: \"a\\x01b\"");
        assert_eq!(
            y(r#"{"n":"yes","e":"","d":"2001-01-01","h":"0x1F","f":"1e3"}"#),
            "d: \"2001-01-01\"\ne: \"\"\nf: \"1e3\"\nh: \"0x1F\"\n\"n\": \"yes\""
        );
        assert_eq!(
            y(r#"{"a":"1:20","b":"2001-13-01","c":"~"}"#),
            "a: \"1:20\"\nb: 2001-13-01\nc: \"~\""
        );
    }

    #[test]
    fn structure() {
        assert_eq!(
            y(r#"{"lm":[{"a":1,"b":[1,2]},[3,4]],"e":[],"m":{}}"#),
            "e: []\nlm:\n- a: 1\n  b:\n  - 1\n  - 2\n- - 3\n  - 4\nm: {}"
        );
        assert_eq!(y("[1,[2,3],{}]"), "- 1\n- - 2\n  - 3\n- {}");
        assert_eq!(y(r#""plain""#), "plain");
        assert_eq!(
            y(r#"{"f":1000000,"g":1.5e-7,"z":null}"#),
            "f: 1e+06\ng: 1.5e-07\nz: null"
        );
    }

    #[test]
    fn literal_blocks_and_folding() {
        assert_eq!(y(r#"{"a":"l1\nl2"}"#), "a: |-\n  l1\n  l2");
        assert_eq!(y(r#"{"a":"l1\nl2\n"}"#), "a: |\n  l1\n  l2");
        assert_eq!(y(r#"{"a":"l1\n\nl2"}"#), "a: |-\n  l1\n\n  l2");
        let long = "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr ssss";
        assert_eq!(
            y(&format!(r#"{{"long":"{long}"}}"#)),
            "long: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp\n  qqqq rrrr ssss"
        );
    }

    #[test]
    fn key_order_is_natural() {
        let mut keys = vec!["b", "a10", "a2", "Z", "_x", "1"];
        keys.sort_by(|a, b| key_order(a, b));
        assert_eq!(keys, vec!["_x", "1", "Z", "a2", "a10", "b"]);
    }
}
