//! The Vault CLI's ways of showing an answer: a secret as a key/value table (lease,
//! token and data rows), a map, a list of keys, one raw field, section headers.

use super::duration::human_secs;
use super::secret::Secret;
use crate::output::{columns, go_quoted_list, go_value, structured, Format};
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Prints a whole answer (Vault's `OutputSecret`).
pub fn secret(format: Format, s: &Secret) -> ExitCode {
    if let Some(text) = structured(format, s) {
        println!("{text}");
        return ExitCode::SUCCESS;
    }
    warnings(s);
    print!("{}", secret_table(s));
    ExitCode::SUCCESS
}

/// Prints any value: a map as a key/value table, or JSON/YAML (Vault's `OutputData`).
pub fn data<T: Serialize + ?Sized>(format: Format, value: &T) -> ExitCode {
    if let Some(text) = structured(format, value) {
        println!("{text}");
        return ExitCode::SUCCESS;
    }
    if let Ok(Value::Object(map)) = serde_json::to_value(value) {
        print!("{}", map_table(&map));
    }
    ExitCode::SUCCESS
}

/// Prints the keys of a LIST answer (Vault's `OutputList`).
pub fn list(format: Format, s: &Secret, keys: &[Value]) -> ExitCode {
    if let Some(text) = structured(format, keys) {
        println!("{text}");
        return ExitCode::SUCCESS;
    }
    warnings(s);
    let mut names: Vec<String> = keys.iter().map(go_value).collect();
    if names.is_empty() {
        return ExitCode::SUCCESS;
    }
    names.sort();
    let mut rows = vec![vec!["Keys".to_owned()], vec!["----".to_owned()]];
    rows.extend(names.into_iter().map(|n| vec![n]));
    print!("{}", columns(&rows));
    ExitCode::SUCCESS
}

/// Prints one field for `-field` (Vault's `PrintRawField`): the bare value, with a
/// newline only when stdout is a terminal; JSON or YAML of the value with those formats.
pub fn field(format: Format, value: Option<Value>, name: &str, what: &str) -> ExitCode {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        eprintln!("Field \"{name}\" not present in {what}");
        return ExitCode::from(1);
    };
    let text = structured(format, &value).unwrap_or_else(|| go_value(&value));
    raw(&text);
    ExitCode::SUCCESS
}

/// A secret's field, with its warnings first in table format.
pub fn secret_field(format: Format, s: &Secret, name: &str) -> ExitCode {
    if format == Format::Table && s.field(name).is_some() {
        warnings(s);
    }
    field(format, s.field(name), name, "secret")
}

/// Prints `text` as is; a newline follows only on a terminal.
pub fn raw(text: &str) {
    let mut out = std::io::stdout();
    let newline = out.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = write!(out, "{text}{}", if newline { "\n" } else { "" });
    let _ = out.flush();
}

/// The server's warnings, on stderr.
pub fn warnings(s: &Secret) {
    let Some(list) = s.warnings.as_ref().filter(|w| !w.is_empty()) else {
        return;
    };
    eprintln!("WARNING! The following warnings were returned from the server:\n");
    for w in list {
        eprintln!("{}\n", wrap(&format!("* {w}"), 2));
    }
}

/// Words wrapped at 78 columns, each line indented by `pad` spaces.
pub fn wrap(text: &str, pad: usize) -> String {
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split(' ') {
        let last = lines.last_mut().map(|l| l.len()).unwrap_or(0);
        if last > 0 && last + 1 + word.len() > 78 - pad {
            lines.push(String::new());
        }
        if let Some(line) = lines.last_mut() {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    let indent = " ".repeat(pad);
    lines
        .iter()
        .map(|l| format!("{indent}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The rows of Vault's secret table: lease, then token, then sorted data.
pub fn secret_table(s: &Secret) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut row = |k: &str, v: String| rows.push(vec![k.to_owned(), v]);
    if s.lease_duration > 0 {
        if s.lease_id.is_empty() {
            row("refresh_interval", human_secs(s.lease_duration));
        } else {
            row("lease_id", s.lease_id.clone());
            row("lease_duration", human_secs(s.lease_duration));
            row("lease_renewable", s.renewable.to_string());
        }
    }
    if let Some(a) = &s.auth {
        let list = |l: &Option<Vec<String>>| go_quoted_list(l.as_deref().unwrap_or_default());
        row("token", a.client_token.expose().to_owned());
        row("token_accessor", a.accessor.clone());
        row(
            "token_duration",
            match a.lease_duration {
                0 => "∞".to_owned(),
                d => human_secs(d),
            },
        );
        row("token_renewable", a.renewable.to_string());
        row("token_policies", list(&a.token_policies));
        row("identity_policies", list(&a.identity_policies));
        row("policies", list(&a.policies));
        for (k, v) in a.metadata.iter().flatten() {
            row(&format!("token_meta_{k}"), v.clone());
        }
    }
    rows.extend(data_rows(s.data()));
    if rows.is_empty() {
        return String::new();
    }
    key_value_table(rows)
}

/// A map as a `Key`/`Value` table (Vault's `OutputMap`); empty for an empty map.
pub fn map_table(map: &Map<String, Value>) -> String {
    let rows = data_rows(map);
    if rows.is_empty() {
        return String::new();
    }
    key_value_table(rows)
}

fn key_value_table(rows: Vec<Vec<String>>) -> String {
    let mut all = vec![
        vec!["Key".to_owned(), "Value".to_owned()],
        vec!["---".to_owned(), "-----".to_owned()],
    ];
    all.extend(rows);
    columns(&all)
}

fn data_rows(map: &Map<String, Value>) -> Vec<Vec<String>> {
    map.iter()
        .map(|(k, v)| {
            let shown = match v.as_i64() {
                Some(secs) if looks_like_duration(k) => human_secs(secs),
                _ => go_value(v),
            };
            vec![k.clone(), shown]
        })
        .collect()
}

/// Keys whose integer values the Vault CLI prints as durations.
fn looks_like_duration(k: &str) -> bool {
    ["period", "ttl", "duration"]
        .iter()
        .any(|w| k == *w || k.ends_with(&format!("_{w}")))
        || k == "lease_max"
        || k == "ttl_max"
}

/// `== Title ==`, as wide as `width` (Vault's `padEqualSigns`).
pub fn header(title: &str, width: usize) -> String {
    let mut signs = width.saturating_sub(title.len() + 2);
    if signs == 0 {
        signs = 4;
    }
    if !signs.is_multiple_of(2) {
        signs += 1;
    }
    let side = "=".repeat(signs / 2);
    format!("{side} {title} {side}")
}

/// A header as wide as the table of `map` (Vault's `getHeaderForMap`).
pub fn map_header(title: &str, map: &Map<String, Value>) -> String {
    let longest = map.keys().map(String::len).max().unwrap_or(0);
    header(title, longest + 4 + 5)
}

/// `= Secret Path =` and the path, then a blank line.
pub fn path_heading(title: &str, path: &str) {
    println!("{}\n{path}\n", header(title, path.len()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn headers_are_as_wide_as_vaults() {
        assert_eq!(
            header("Secret Path", "secret/data/foo".len()),
            "= Secret Path ="
        );
        assert_eq!(
            header("Metadata Path", "secret/metadata/foo".len()),
            "== Metadata Path =="
        );
        let meta = json!({"created_time": 1, "custom_metadata": 2, "version": 3});
        let Value::Object(meta) = meta else { panic!() };
        assert_eq!(map_header("Metadata", &meta), "======= Metadata =======");
        let data = json!({"a": 1});
        let Value::Object(data) = data else { panic!() };
        assert_eq!(map_header("Data", &data), "== Data ==");
        assert_eq!(header("X", 0), "== X ==");
    }

    #[test]
    fn secret_tables() {
        let s = Secret::from_value(json!({
            "lease_duration": 2_764_800,
            "data": {"b": "", "a": "1", "creation_ttl": 3600, "meta": null, "p": ["x", "y"]},
        }))
        .unwrap();
        assert_eq!(
            secret_table(&s),
            "Key                 Value\n---                 -----\nrefresh_interval    768h\n\
             a                   1\nb                   n/a\ncreation_ttl        1h\n\
             meta                <nil>\np                   [x y]\n"
        );
        let t = Secret::from_value(json!({"auth": {
            "client_token": "t", "accessor": "a", "policies": ["root"],
            "token_policies": ["root"], "metadata": {"k": "v"}}}))
        .unwrap();
        let table = secret_table(&t);
        assert!(table.contains("token_duration       ∞\n"), "{table}");
        assert!(table.contains("identity_policies    []\n"), "{table}");
        assert!(
            table.contains("policies             [\"root\"]\n"),
            "{table}"
        );
        assert!(table.contains("token_meta_k         v\n"), "{table}");
        assert_eq!(secret_table(&Secret::default()), "");
    }

    #[test]
    fn wrapping() {
        let long = format!("* {}", "word ".repeat(30));
        for line in wrap(long.trim_end(), 2).lines() {
            assert!(line.len() <= 78 && line.starts_with("  "), "{line:?}");
        }
    }
}
