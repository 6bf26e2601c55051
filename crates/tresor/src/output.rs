//! Printing results as the Vault CLI does: aligned tables, JSON as Go's encoder writes
//! it, YAML as the Vault CLI's YAML library writes it, and values as Go's `%v` shows them.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    #[value(alias = "yml")]
    Yaml,
}

impl Format {
    /// `TRESOR_FORMAT`, then `VAULT_FORMAT` (the Vault CLI's variable); table when unset.
    pub fn from_env() -> Result<Format, String> {
        match tresor_api::env("FORMAT") {
            None => Ok(Format::Table),
            Some(v) => <Format as clap::ValueEnum>::from_str(v.trim(), true)
                .map_err(|_| format!("Invalid output format: {v}")),
        }
    }
}

/// A two-column table with a `Key`/`Value` header, columns aligned.
pub fn table(rows: &[(&str, String)]) -> String {
    let width = rows
        .iter()
        .map(|(k, _)| k.len())
        .chain([3])
        .max()
        .unwrap_or(3)
        + 4;
    let mut out = format!("{:<width$}Value\n{:<width$}-----\n", "Key", "---");
    for (k, v) in rows {
        out.push_str(&format!("{k:<width$}{v}\n"));
    }
    out
}

/// Rows as the Vault CLI's column printer lays them out: cells trimmed, an empty cell
/// shown as `n/a`, columns four spaces apart, the last cell of a row unpadded.
pub fn columns(rows: &[Vec<String>]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| match c.trim() {
                    "" => "n/a".to_owned(),
                    t => t.to_owned(),
                })
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = Vec::new();
    for row in &cells {
        for (i, cell) in row.iter().enumerate() {
            let w = cell.chars().count();
            match widths.get_mut(i) {
                Some(max) => *max = (*max).max(w),
                None => widths.push(w),
            }
        }
    }
    let mut out = String::new();
    for row in &cells {
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                out.push_str(cell);
            } else {
                let pad = widths.get(i).copied().unwrap_or(0) - cell.chars().count();
                out.push_str(cell);
                out.push_str(&" ".repeat(pad + 4));
            }
        }
        out.push('\n');
    }
    out
}

/// A table with a header row underlined with dashes (Vault's `tableOutput`).
pub fn header_table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut all = vec![
        header.iter().map(|h| (*h).to_owned()).collect(),
        header.iter().map(|h| "-".repeat(h.len())).collect(),
    ];
    all.extend(rows);
    columns(&all)
}

/// Indented JSON as Go's `json.MarshalIndent` writes it (`<`, `>`, `&` escaped).
pub fn json<T: Serialize + ?Sized>(value: &T) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The JSON or YAML text of `value`; `None` for the table format.
pub fn structured<T: Serialize + ?Sized>(format: Format, value: &T) -> Option<String> {
    match format {
        Format::Table => None,
        Format::Json => Some(json(value)),
        Format::Yaml => Some(yaml(&serde_json::to_value(value).unwrap_or(Value::Null))),
    }
}

/// A value as Go's `fmt` prints it with `%v`: `<nil>`, `[a b]`, `map[k:v]`.
pub fn go_value(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(go_value).collect();
            format!("[{}]", inner.join(" "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}:{}", go_value(v)))
                .collect();
            format!("map[{}]", inner.join(" "))
        }
    }
}

/// A list of strings as Go's `%q` prints it: `["a" "b"]`.
pub fn go_quoted_list(items: &[String]) -> String {
    let inner: Vec<String> = items
        .iter()
        .map(|s| serde_json::to_string(s).unwrap_or_default())
        .collect();
    format!("[{}]", inner.join(" "))
}

/// YAML text of a JSON value, keys sorted, without a trailing newline.
pub fn yaml(value: &Value) -> String {
    let mut out = String::new();
    yaml_node(value, 0, &mut out);
    out.trim_end().to_owned()
}

fn yaml_node(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| yaml_key_order(a.0, b.0));
            for (k, v) in entries {
                out.push_str(&format!("{pad}{}:", yaml_scalar(k, indent)));
                yaml_child(v, indent + 2, indent, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                let mut inner = String::new();
                yaml_node(item, indent + 2, &mut inner);
                let body = inner.get(indent + 2..).unwrap_or_default();
                if matches!(item, Value::Object(m) if !m.is_empty())
                    || matches!(item, Value::Array(a) if !a.is_empty())
                {
                    out.push_str(&format!("{pad}- {body}"));
                } else {
                    out.push_str(&format!("{pad}- {}\n", yaml_leaf(item, indent + 2)));
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&yaml_leaf(other, indent));
            out.push('\n');
        }
    }
}

/// The YAML library's key order: letters by code point, runs of digits by value
/// (`k2` before `k10`), anything else before letters.
fn yaml_key_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (ar, br): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    for (i, (ca, cb)) in ar.iter().zip(br.iter()).enumerate() {
        if ca == cb {
            continue;
        }
        let (al, bl) = (ca.is_alphabetic(), cb.is_alphabetic());
        if al && bl {
            return ca.cmp(cb);
        }
        if al || bl {
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let number = |r: &[char]| -> (u128, usize) {
            let digits: Vec<u32> = r
                .get(i..)
                .unwrap_or_default()
                .iter()
                .map_while(|c| c.to_digit(10))
                .collect();
            let value = digits.iter().fold(0u128, |n, d| {
                n.saturating_mul(10).saturating_add(u128::from(*d))
            });
            (value, digits.len())
        };
        let ((an, alen), (bn, blen)) = (number(&ar), number(&br));
        // a leading zero after non-zero digits counts as part of the number
        let nonzero_before = |r: &[char]| {
            r.get(..i)
                .unwrap_or_default()
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .any(|c| *c != '0')
        };
        let bump = (*ca == '0' || *cb == '0') && nonzero_before(&ar);
        let (an, bn) = if bump {
            (
                an + 10u128.saturating_pow(u32::try_from(alen).unwrap_or(0)),
                bn + 10u128.saturating_pow(u32::try_from(blen).unwrap_or(0)),
            )
        } else {
            (an, bn)
        };
        return an.cmp(&bn).then(alen.cmp(&blen)).then(ca.cmp(cb));
    }
    ar.len().cmp(&br.len())
}

/// The part after `key:`: a nested block (sequences are not indented under a mapping,
/// as in the YAML library the Vault CLI uses) or a space and a scalar.
fn yaml_child(v: &Value, map_indent: usize, key_indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            yaml_node(v, map_indent, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            yaml_node(v, key_indent, out);
        }
        _ => {
            out.push(' ');
            out.push_str(&yaml_leaf(v, key_indent));
            out.push('\n');
        }
    }
}

fn yaml_leaf(v: &Value, indent: usize) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_scalar(s, indent),
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
    }
}

/// A string as a plain, single-quoted, double-quoted or literal block scalar.
fn yaml_scalar(s: &str, indent: usize) -> String {
    if s.contains('\n') && !s.chars().any(|c| c.is_control() && c != '\n') {
        return yaml_literal(s, indent);
    }
    if yaml_resolves_to_non_string(s) || s.chars().any(|c| c.is_control()) {
        return serde_json::to_string(s).unwrap_or_default();
    }
    if yaml_plain_ok(s) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn yaml_literal(s: &str, indent: usize) -> String {
    let chomp = match s.len() - s.trim_end_matches('\n').len() {
        0 => "|-",
        1 => "|",
        _ => "|+",
    };
    let pad = " ".repeat(indent + 2);
    let mut out = chomp.to_owned();
    for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

fn yaml_plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let indicator_start = "#,[]{}&*!|>'\"%@`".contains(first)
        || (matches!(first, '-' | '?' | ':') && s.chars().nth(1).is_none_or(|c| c == ' '));
    !(indicator_start
        || s.starts_with(' ')
        || s.ends_with(' ')
        || s.ends_with(':')
        || s.contains(": ")
        || s.contains(" #"))
}

/// Whether a plain scalar would be read back as something else than a string (null,
/// bool, number, timestamp): such strings are double-quoted.
fn yaml_resolves_to_non_string(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N",
        "no", "No", "NO", "off", "Off", "OFF", "true", "True", "TRUE", "false", "False", "FALSE",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", "<<",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    let plain = s.replace('_', "");
    let numeric_start = s.starts_with(|c: char| c.is_ascii_digit() || "+-.".contains(c));
    numeric_start && (yaml_int(&plain) || yaml_float(&plain) || yaml_timestamp(s)) || yaml_base60(s)
}

fn yaml_int(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let radix = |prefix: &str, ok: fn(char) -> bool| {
        body.strip_prefix(prefix)
            .is_some_and(|d| !d.is_empty() && d.chars().all(ok))
    };
    radix("0x", |c| c.is_ascii_hexdigit())
        || radix("0o", |c| ('0'..='7').contains(&c))
        || radix("0b", |c| c == '0' || c == '1')
        || (!body.is_empty() && body.chars().all(|c| c.is_ascii_digit()))
}

fn yaml_float(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (body.get(..i).unwrap_or(""), body.get(i + 1..)),
        None => (body, None),
    };
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && digits(frac),
        Some((int, frac)) => digits(int) && digits(frac),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    !mantissa.is_empty() && mantissa != "." && mantissa_ok && exponent_ok
}

fn yaml_timestamp(s: &str) -> bool {
    let date = s.split(['T', 't', ' ']).next().unwrap_or("");
    let parts: Vec<&str> = date.split('-').collect();
    matches!(parts.as_slice(), [y, m, d]
        if y.len() == 4 && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len())
            && [y, m, d].iter().all(|p| p.chars().all(|c| c.is_ascii_digit())))
}

fn yaml_base60(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let mut parts = body.split(':');
    let head = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let head_ok = head.starts_with(|c: char| c.is_ascii_digit())
        && head.chars().all(|c| c.is_ascii_digit() || c == '_');
    let Some((last, middle)) = rest.split_last() else {
        return false;
    };
    let sexagesimal = |p: &str| {
        (1..=2).contains(&p.len())
            && p.chars().all(|c| c.is_ascii_digit())
            && p.parse::<u8>().is_ok_and(|n| n < 60)
    };
    let (last_int, last_frac) = last.split_once('.').unwrap_or((last, ""));
    head_ok
        && middle.iter().all(|p| sexagesimal(p))
        && sexagesimal(last_int)
        && last_frac.chars().all(|c| c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_aligns_like_vault() {
        let t = super::table(&[
            ("Sealed", "false".into()),
            ("Unseal Progress", "1/3".into()),
        ]);
        assert_eq!(t, "Key                Value\n---                -----\nSealed             false\nUnseal Progress    1/3\n");
    }

    #[test]
    fn columns_trim_and_fill_empty_cells() {
        let t = header_table(
            &["Path", "Type", "Description"],
            vec![
                vec!["a/".into(), "kv".into(), "".into()],
                vec!["cubbyhole/".into(), " x ".into(), "per-token".into()],
            ],
        );
        assert_eq!(
            t,
            "Path          Type    Description\n\
             ----          ----    -----------\n\
             a/            kv      n/a\n\
             cubbyhole/    x       per-token\n"
        );
    }

    #[test]
    fn go_formatting() {
        let v = json!({"m": {"x": [1, {"a": 1, "b": []}], "e": {}}, "n": null, "s": "x"});
        assert_eq!(
            go_value(&v),
            "map[m:map[e:map[] x:[1 map[a:1 b:[]]]] n:<nil> s:x]"
        );
        assert_eq!(
            go_quoted_list(&["a".into(), "b\"".into()]),
            r#"["a" "b\""]"#
        );
        assert_eq!(
            json(&json!({"h": "<a&b>"})),
            "{\n  \"h\": \"\\u003ca\\u0026b\\u003e\"\n}"
        );
    }

    #[test]
    fn yaml_matches_the_vault_cli() {
        let v = json!({
            "data": {"l": [[1, 2], []], "m": {"e": {}, "x": [1, {"a": 1, "b": []}]}},
            "lease_id": "", "warnings": null, "n": "tab\tx", "y": "?x",
        });
        assert_eq!(
            yaml(&v),
            "data:\n  l:\n  - - 1\n    - 2\n  - []\n  m:\n    e: {}\n    x:\n    - 1\n    - a: 1\n      b: []\n\
             lease_id: \"\"\n\"n\": \"tab\\tx\"\nwarnings: null\n\"y\": ?x"
        );
        let cases = [
            ("[x", "'[x'"),
            ("Yes", "\"Yes\""),
            ("1e3", "\"1e3\""),
            (".5", "\".5\""),
            ("+1", "\"+1\""),
            ("1_000", "\"1_000\""),
            ("2024-01-01T10:00:00Z", "\"2024-01-01T10:00:00Z\""),
            ("x:", "'x:'"),
            ("%x", "'%x'"),
            ("x,y", "x,y"),
            (".inf", "\".inf\""),
            ("0o17", "\"0o17\""),
            ("007", "\"007\""),
            ("x: y", "'x: y'"),
            ("-x", "-x"),
            (" lead", "' lead'"),
            ("it's", "it's"),
            ("1:20", "\"1:20\""),
            ("0x1F", "\"0x1F\""),
            ("a b", "a b"),
            ("'q'", "'''q'''"),
            ("trail ", "'trail '"),
            ("a #b", "'a #b'"),
            (":x", ":x"),
            ("héllo", "héllo"),
            ("1.5", "\"1.5\""),
            ("-", "'-'"),
        ];
        for (input, want) in cases {
            assert_eq!(yaml_scalar(input, 0), want, "{input:?}");
        }
        assert_eq!(
            yaml(&json!({"g": "multi\nline", "h": "a\nb\n"})),
            "g: |-\n  multi\n  line\nh: |\n  a\n  b"
        );
        let keys = json!({"k10": 1, "k2": 1, "k1": 1, "b": 1, "_x": 1, "a_b": 1, "ab": 1, "K": 1});
        assert_eq!(
            yaml(&keys),
            "_x: 1\nK: 1\na_b: 1\nab: 1\nb: 1\nk1: 1\nk2: 1\nk10: 1"
        );
    }
}
