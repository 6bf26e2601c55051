//! `toYAML`: a small block-style emitter that writes what gopkg.in/yaml.v2's `Marshal`
//! writes for JSON-like values (consul-template's `toYAML`): its key order, quoting
//! rules, literal blocks for multi-line strings and line folding at 80 columns.

use std::cmp::Ordering;

use crate::format::float::{format_float, FloatFmt};
use crate::value::{NilKind, Value};

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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

fn write_string(out: &mut String, s: &str, indent: usize, simple_key: bool) {
    let mut style = if s.contains('\n') {
        Style::Literal
    } else if resolves_to_non_string(s) {
        Style::Double
    } else {
        Style::Plain
    };
    let a = analyze(s);
    if style == Style::Plain && (!a.plain_allowed || (s.is_empty() && simple_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::Double;
    }
    let breaks = !simple_key;
    match style {
        Style::Plain => write_folded(out, s, indent, breaks, false),
        Style::Single => {
            out.push('\'');
            write_folded(out, &s.replace('\'', "''"), indent, breaks, true);
            out.push('\'');
        }
        Style::Double => write_double(out, s, indent, breaks),
        Style::Literal => write_literal(out, s, indent),
    }
}

/// Plain and single-quoted text, breaking lines at a single space past 80 columns.
fn write_folded(out: &mut String, s: &str, indent: usize, breaks: bool, quoted: bool) {
    let chars: Vec<char> = s.chars().collect();
    let mut prev_space = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let next_space = chars.get(i + 1) == Some(&' ');
            let inner = !quoted || (i != 0 && i + 1 != chars.len());
            if breaks && !prev_space && inner && !next_space && column(out) > BEST_WIDTH {
                start_line(out, indent);
            } else {
                out.push(' ');
            }
            prev_space = true;
        } else {
            out.push(c);
            prev_space = false;
        }
    }
}

fn write_double(out: &mut String, s: &str, indent: usize, breaks: bool) {
    out.push('"');
    let chars: Vec<char> = s.chars().collect();
    let mut prev_space = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            if breaks && !prev_space && column(out) > BEST_WIDTH && i != 0 && i + 1 != chars.len() {
                start_line(out, indent);
                if chars.get(i + 1) == Some(&' ') {
                    out.push('\\');
                }
            } else {
                out.push(' ');
            }
            prev_space = true;
            continue;
        }
        prev_space = false;
        if yaml_printable(c) && !is_break(c) && c != '"' && c != '\\' && c != '\u{feff}' {
            out.push(c);
            continue;
        }
        let esc = match c {
            '\0' => "\\0".to_string(),
            '\u{7}' => "\\a".into(),
            '\u{8}' => "\\b".into(),
            '\t' => "\\t".into(),
            '\n' => "\\n".into(),
            '\u{b}' => "\\v".into(),
            '\u{c}' => "\\f".into(),
            '\r' => "\\r".into(),
            '\u{1b}' => "\\e".into(),
            '"' => "\\\"".into(),
            '\\' => "\\\\".into(),
            '\u{85}' => "\\N".into(),
            '\u{a0}' => "\\_".into(),
            '\u{2028}' => "\\L".into(),
            '\u{2029}' => "\\P".into(),
            c if u32::from(c) <= 0xff => format!("\\x{:02X}", u32::from(c)),
            c if u32::from(c) <= 0xffff => format!("\\u{:04X}", u32::from(c)),
            c => format!("\\U{:08X}", u32::from(c)),
        };
        out.push_str(&esc);
    }
    out.push('"');
}

fn write_literal(out: &mut String, s: &str, indent: usize) {
    out.push('|');
    if s.starts_with([' ', '\n']) {
        out.push('2');
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    if trailing == 0 {
        out.push('-');
    } else if trailing > 1 || s == "\n" {
        out.push('+');
    }
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            start_line(out, indent);
            out.push_str(line);
        }
    }
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's `is_printable` (4-byte characters are not).
fn yaml_printable(c: char) -> bool {
    matches!(u32::from(c), 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD) && c != '\u{feff}'
}

struct Analysis {
    plain_allowed: bool,
    single_allowed: bool,
    block_allowed: bool,
}

/// libyaml's scalar analysis, for block context.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            plain_allowed: true,
            single_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut special, mut line_breaks) =
        (false, false, false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    let last = chars.len() - 1;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_ws = chars.get(i + 1).is_none_or(|n| *n == ' ' || *n == '\t');
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_ws => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_indicators = true,
                '#' if preceded_by_ws => block_indicators = true,
                _ => {}
            }
        }
        if !yaml_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == last;
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= i == last;
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = matches!(c, ' ' | '\t') || is_break(c);
    }
    let mut a = Analysis {
        plain_allowed: true,
        single_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.plain_allowed = false;
        a.single_allowed = false;
    }
    if space_break || special {
        a.plain_allowed = false;
        a.single_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.plain_allowed = false;
    }
    a
}

/// Whether yaml.v2 would read the plain text back as something other than a string
/// (null, bool, number, timestamp, base-60 float).
fn resolves_to_non_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF",
    ];
    if SPECIAL.contains(&s) {
        return true;
    }
    match s.as_bytes().first() {
        Some(b'.') => s.parse::<f64>().is_ok(),
        Some(b'+' | b'-' | b'0'..=b'9') => {
            is_timestamp(s)
                || {
                    let plain = s.replace('_', "");
                    is_go_int(&plain) || is_yaml_float(&plain)
                }
                || is_base60_float(s)
        }
        _ => false,
    }
}

fn is_go_int(s: &str) -> bool {
    crate::number::parse_integer(s).is_some_and(|(negative, magnitude)| {
        if negative {
            magnitude <= u128::from(i64::MIN.unsigned_abs())
        } else {
            magnitude <= u128::from(u64::MAX)
        }
    })
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let body = s.trim_start_matches(['+', '-']);
    if body.len() + 1 < s.len() {
        return false;
    }
    let (main, frac) = match body.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (body, None),
    };
    let mut parts = main.split(':');
    let head_ok = parts.next().is_some_and(|h| {
        h.starts_with(|c: char| c.is_ascii_digit())
            && h.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    });
    let rest: Vec<&str> = parts.collect();
    let rest_ok = !rest.is_empty()
        && rest.iter().all(|p| {
            let b = p.as_bytes();
            match b {
                [d] => d.is_ascii_digit(),
                [a, d] => (b'0'..=b'5').contains(a) && d.is_ascii_digit(),
                _ => false,
            }
        });
    let frac_ok = frac.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit() || b == b'_'));
    head_ok && rest_ok && frac_ok
}

/// The timestamp forms yaml.v2 recognises: `2006-1-2`, optionally with a time.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b.iter().take(4).all(u8::is_ascii_digit) || b.get(4) != Some(&b'-') {
        return false;
    }
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(i) => (s.get(..i).unwrap_or(""), s.get(i + 1..)),
        None => (s, None),
    };
    let mut it = date.split('-');
    let (Some(y), Some(m), Some(d), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return false;
    };
    let num = |p: &str, max_len: usize| -> Option<u32> {
        (!p.is_empty() && p.len() <= max_len && p.bytes().all(|c| c.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(y, 4), num(m, 2), num(d, 2)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if d == 0 || d > days {
        return false;
    }
    match time {
        None => true,
        Some(t) => is_time_of_day(t),
    }
}

fn is_time_of_day(t: &str) -> bool {
    let (clock, _zone) = match t.find(['Z', '+', '-']) {
        Some(i) => (t.get(..i).unwrap_or(""), t.get(i..)),
        None => (t, None),
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((h, f)) => (h, Some(f)),
        None => (clock, None),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|c| c.is_ascii_digit()))
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()))
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
