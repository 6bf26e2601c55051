//! Go's builtin functions (apart from `and`, `or` and the comparisons).

use crate::format::print::{sprint, sprintln};
use crate::format::printf::sprintf;
use crate::format::quote::is_print;
use crate::value::{NilKind, Value};

pub(super) fn not(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Bool(!args.first().is_some_and(Value::is_true)))
}

pub(super) fn len(args: &[Value]) -> Result<Value, String> {
    let n = match args.first().unwrap_or(&Value::Missing) {
        Value::Str(s) | Value::Number(s) => s.len(),
        Value::List(l) => l.len(),
        Value::Strings(l) => l.len(),
        Value::Map(m) => m.len(),
        Value::NilOf(NilKind::Map | NilKind::List | NilKind::Strings) => 0,
        Value::NilOf(NilKind::Ptr(_)) => return Err("len of nil pointer".into()),
        Value::Missing | Value::Nil => return Err("len of untyped nil".into()),
        other => return Err(format!("len of type {}", other.type_name())),
    };
    Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// An index argument as Go's `indexArg` accepts it: an integer within `cap`.
fn index_arg(v: &Value, cap: usize) -> Result<usize, String> {
    let i = match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Missing | Value::Nil => return Err("cannot index slice/array with nil".into()),
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ))
        }
    };
    match usize::try_from(i) {
        Ok(u) if u <= cap => Ok(u),
        _ => Err(format!("index out of range: {i}")),
    }
}

pub(super) fn index(args: &[Value]) -> Result<Value, String> {
    let (first, indexes) = args.split_first().ok_or("missing argument")?;
    let mut item = first.clone();
    for ix in indexes {
        if item.is_nothing() {
            return Err("index of untyped nil".into());
        }
        item = match item {
            Value::List(l) => {
                let i = index_arg(ix, l.len())?;
                l.into_iter()
                    .nth(i)
                    .ok_or_else(|| format!("index out of range: {i}"))?
            }
            Value::Strings(l) => {
                let i = index_arg(ix, l.len())?;
                Value::Str(
                    l.into_iter()
                        .nth(i)
                        .ok_or_else(|| format!("index out of range: {i}"))?,
                )
            }
            Value::Str(s) | Value::Number(s) => {
                let i = index_arg(ix, s.len())?;
                let b = s
                    .as_bytes()
                    .get(i)
                    .ok_or_else(|| format!("index out of range: {i}"))?;
                Value::Int(i64::from(*b))
            }
            Value::NilOf(NilKind::List | NilKind::Strings) => {
                let i = index_arg(ix, 0)?;
                return Err(format!("index out of range: {i}"));
            }
            Value::Map(_) | Value::NilOf(NilKind::Map) => {
                let key = match ix {
                    Value::Str(k) => k.as_str(),
                    Value::Missing | Value::Nil => {
                        return Err("value is nil; should be of type string".into())
                    }
                    other => {
                        return Err(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        ))
                    }
                };
                item.as_map()
                    .and_then(|m| m.get(key))
                    .cloned()
                    .unwrap_or(Value::Nil)
            }
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

pub(super) fn slice(args: &[Value]) -> Result<Value, String> {
    let (item, idx) = args.split_first().ok_or("missing argument")?;
    if idx.len() > 3 {
        return Err(format!("too many slice indexes: {}", idx.len()));
    }
    let len = match item {
        Value::Str(s) | Value::Number(s) => {
            if idx.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::List(l) => l.len(),
        Value::Strings(l) => l.len(),
        Value::NilOf(NilKind::List | NilKind::Strings) => 0,
        Value::Missing | Value::Nil => return Err("slice of untyped nil".into()),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut bounds = [0, len, len];
    for (slot, ix) in bounds.iter_mut().zip(idx) {
        *slot = index_arg(ix, len)?;
    }
    let [lo, hi, _] = bounds;
    if lo > hi {
        return Err(format!("invalid slice index: {lo} > {hi}"));
    }
    if idx.len() == 3 && hi > bounds[2] {
        return Err(format!("invalid slice index: {hi} > {}", bounds[2]));
    }
    Ok(match item {
        Value::Str(s) | Value::Number(s) => {
            let part = s.as_bytes().get(lo..hi).unwrap_or_default();
            Value::Str(String::from_utf8_lossy(part).into_owned())
        }
        Value::List(l) => Value::List(l.get(lo..hi).unwrap_or_default().to_vec()),
        Value::Strings(l) => Value::Strings(l.get(lo..hi).unwrap_or_default().to_vec()),
        other => other.clone(),
    })
}

pub(super) fn print(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Str(sprint(args)))
}

pub(super) fn println(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Str(sprintln(args)))
}

pub(super) fn printf(args: &[Value]) -> Result<Value, String> {
    let (format, rest) = args.split_first().ok_or("missing format")?;
    Ok(Value::Str(sprintf(format.as_str().unwrap_or(""), rest)))
}

/// Go's `evalArgs`: one plain string as is, anything else through `fmt.Sprint`.
fn joined(args: &[Value]) -> String {
    match args {
        [Value::Str(s)] => s.clone(),
        _ => sprint(args),
    }
}

pub(super) fn html(args: &[Value]) -> Result<Value, String> {
    let s = joined(args);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{fffd}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    Ok(Value::Str(out))
}

pub(super) fn js(args: &[Value]) -> Result<Value, String> {
    let s = joined(args);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if c.is_ascii() || is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    Ok(Value::Str(out))
}

pub(super) fn urlquery(args: &[Value]) -> Result<Value, String> {
    let s = joined(args);
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    Ok(Value::Str(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::str(v)
    }

    #[test]
    fn escapers_match_go() {
        assert_eq!(
            html(&[s("<a href=\"x\">&'</a>")]),
            Ok(s("&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;"))
        );
        assert_eq!(
            js(&[s("a'b\"c<>&=\\ \n é")]),
            Ok(s("a\\'b\\\"c\\u003C\\u003E\\u0026\\u003D\\\\ \\u000A é"))
        );
        assert_eq!(urlquery(&[s("a b&c=d/é~")]), Ok(s("a+b%26c%3Dd%2F%C3%A9~")));
        assert_eq!(html(&[Value::Int(1), Value::Int(2)]), Ok(s("1 2")));
    }

    #[test]
    fn len_index_slice() {
        assert_eq!(len(&[s("héllo")]), Ok(Value::Int(6)));
        assert_eq!(index(&[s("abc"), Value::Int(1)]), Ok(Value::Int(98)));
        let list = Value::Strings(vec!["a".into(), "b".into(), "c".into()]);
        assert_eq!(index(&[list.clone(), Value::Int(1)]), Ok(s("b")));
        assert_eq!(
            index(&[list.clone(), Value::Int(3)]),
            Err("index out of range: 3".into())
        );
        assert_eq!(
            slice(&[list, Value::Int(1)]),
            Ok(Value::Strings(vec!["b".into(), "c".into()]))
        );
        assert_eq!(
            slice(&[s("abcdef"), Value::Int(1), Value::Int(3)]),
            Ok(s("bc"))
        );
        assert!(slice(&[s("abc"), Value::Int(2), Value::Int(1)]).is_err());
        let mut m = crate::value::Map::new();
        m.insert("k".into(), Value::Int(1));
        assert_eq!(index(&[Value::Map(m.clone()), s("k")]), Ok(Value::Int(1)));
        assert_eq!(index(&[Value::Map(m), s("x")]), Ok(Value::Nil));
        assert_eq!(len(&[Value::Missing]), Err("len of untyped nil".into()));
    }
}
