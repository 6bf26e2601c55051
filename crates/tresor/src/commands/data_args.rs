//! Arguments that carry data, read as the Vault CLI reads them: `k=v`, `k=@file` (the
//! file's contents), `k=-` (all of stdin), `k=\@x` (a literal `@x`), `@file.json` and `-`
//! (a JSON object from a file or stdin, merged in). A repeated key becomes a list.

use serde_json::{Map, Value};
use std::io::Read;

/// Parses `args` into a JSON object; stdin is read at most once.
pub fn parse(args: &[String], stdin: &mut dyn Read) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    let mut stdin_used = false;
    for arg in args {
        add(&mut out, arg, stdin, &mut stdin_used)
            .map_err(|e| format!("invalid key/value pair {}: {e}", quote(arg)))?;
    }
    Ok(out)
}

/// Every value as a string (the token method's `token=...` style of configuration).
pub fn parse_strings(
    args: &[String],
    stdin: &mut dyn Read,
) -> Result<Vec<(String, String)>, String> {
    Ok(parse(args, stdin)?
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, s)
        })
        .collect())
}

fn add(
    out: &mut Map<String, Value>,
    arg: &str,
    stdin: &mut dyn Read,
    stdin_used: &mut bool,
) -> Result<(), String> {
    if arg.is_empty() {
        return Ok(());
    }
    let Some((key, raw)) = arg.split_once('=') else {
        if arg == "-" {
            take_stdin(stdin_used)?;
            return merge_json(out, stdin);
        }
        if let Some(file) = arg.strip_prefix('@') {
            let mut f =
                std::fs::File::open(file).map_err(|e| format!("open {file}: {}", io_text(&e)))?;
            return merge_json(out, &mut f);
        }
        return Err("format must be key=value".to_owned());
    };
    let value = if let Some(file) = raw.strip_prefix('@') {
        std::fs::read_to_string(file)
            .map_err(|e| format!("error reading file: open {file}: {}", io_text(&e)))?
    } else if let Some(literal) = raw.strip_prefix("\\@") {
        format!("@{literal}")
    } else if raw == "-" {
        take_stdin(stdin_used)?;
        let mut s = String::new();
        stdin.read_to_string(&mut s).map_err(|e| e.to_string())?;
        s
    } else {
        raw.to_owned()
    };
    let value = Value::String(value);
    match out.get_mut(key) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => *existing = Value::Array(vec![existing.take(), value]),
        None => {
            out.insert(key.to_owned(), value);
        }
    }
    Ok(())
}

fn take_stdin(used: &mut bool) -> Result<(), String> {
    if *used {
        return Err("stdin already consumed".to_owned());
    }
    *used = true;
    Ok(())
}

fn merge_json(out: &mut Map<String, Value>, r: &mut dyn Read) -> Result<(), String> {
    let mut text = String::new();
    r.read_to_string(&mut text).map_err(|e| e.to_string())?;
    match serde_json::from_str::<Value>(&text).map_err(|e| e.to_string())? {
        Value::Object(m) => {
            out.extend(m);
            Ok(())
        }
        _ => Err("the JSON input is not an object".to_owned()),
    }
}

/// An I/O error as Go words it: `no such file or directory`, without Rust's
/// `(os error 2)`.
pub fn io_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => text.get(..i).unwrap_or(&text).to_owned(),
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A `key=value` flag value (`-metadata`, `-options`, `-custom-metadata`).
pub fn pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("missing = in KV pair: {}", quote(s)))
}

/// Pairs as a JSON object (later pairs win), or `None` when there are none.
pub fn pairs_object(pairs: &[(String, String)]) -> Option<Value> {
    (!pairs.is_empty()).then(|| {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    })
}

/// `-versions=1,2 -versions=3` as the list `["1", "2", "3"]`.
pub fn versions(flags: &[String]) -> Vec<Value> {
    flags
        .iter()
        .flat_map(|f| f.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| Value::String(v.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn pairs_files_and_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.txt");
        std::fs::write(&file, "from file").unwrap();
        let json_file = dir.path().join("d.json");
        std::fs::write(&json_file, r#"{"j": 1}"#).unwrap();
        let a = args(&[
            "a=1",
            &format!("b=@{}", file.display()),
            "c=\\@lit",
            "a=2",
            "a=3",
            &format!("@{}", json_file.display()),
            "d=-",
        ]);
        let got = parse(&a, &mut "piped".as_bytes()).unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"a": ["1", "2", "3"], "b": "from file", "c": "@lit", "j": 1, "d": "piped"})
        );
        let got = parse(
            &args(&["-", "x=y"]),
            &mut r#"{"k": {"n": true}}"#.as_bytes(),
        )
        .unwrap();
        assert_eq!(Value::Object(got), json!({"k": {"n": true}, "x": "y"}));
    }

    #[test]
    fn errors() {
        let e = parse(&args(&["novalue"]), &mut "".as_bytes()).unwrap_err();
        assert_eq!(
            e,
            "invalid key/value pair \"novalue\": format must be key=value"
        );
        assert!(parse(&args(&["-", "a=-"]), &mut "{}".as_bytes())
            .unwrap_err()
            .contains("stdin already consumed"));
        assert!(parse(&args(&["-"]), &mut "[1]".as_bytes()).is_err());
        assert!(parse(&args(&["a=@/nonexistent/x"]), &mut "".as_bytes())
            .unwrap_err()
            .contains("error reading file"));
        let e = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(io_text(&e), "entity not found");
        let e = std::fs::read("/nonexistent/x").unwrap_err();
        assert_eq!(io_text(&e), "no such file or directory");
        assert_eq!(pair("k=v=w").unwrap(), ("k".into(), "v=w".into()));
        assert!(pair("kv").is_err());
        assert_eq!(
            versions(&args(&["1, 2", "3"])),
            vec![json!("1"), json!("2"), json!("3")]
        );
    }
}
