//! consul-template's string and collection helpers. Arguments arrive type-checked
//! (see the parameter lists in the function table).

use crate::value::{Map, Value, MAX_STRING};

fn s(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

/// consul-template's `in`: membership in a list (same kind, integers and floats apart)
/// or substring of a string (both plain strings).
fn member(list: &Value, v: &Value) -> bool {
    let same = |item: &Value| match (item, v) {
        (Value::Int(a) | Value::Int64(a), Value::Int(b) | Value::Int64(b)) => a == b,
        (Value::Float(a), Value::Float(b)) => a == b,
        (Value::Str(a), Value::Str(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => a == b,
        _ => false,
    };
    match list {
        Value::List(items) => items.iter().any(same),
        Value::Strings(items) => items.iter().any(|i| same(&Value::Str(i.clone()))),
        Value::Str(hay) => matches!(v, Value::Str(needle) if hay.contains(needle.as_str())),
        Value::Number(hay) => matches!(v, Value::Number(needle) if hay.contains(needle.as_str())),
        _ => false,
    }
}

/// `contains v l`: whether `l` holds `v` (so `l | contains v` reads naturally).
pub(super) fn contains(args: &[Value]) -> Result<Value, String> {
    let (v, l) = (args.first(), args.get(1));
    Ok(Value::Bool(match (v, l) {
        (Some(v), Some(l)) => member(l, v),
        _ => false,
    }))
}

/// `in l v`
pub(super) fn in_(args: &[Value]) -> Result<Value, String> {
    let (l, v) = (args.first(), args.get(1));
    Ok(Value::Bool(match (l, v) {
        (Some(l), Some(v)) => member(l, v),
        _ => false,
    }))
}

fn needles(args: &[Value]) -> Vec<Value> {
    match args.first() {
        Some(Value::List(items)) => items.clone(),
        _ => Vec::new(),
    }
}

/// The four `contains*` variants, as consul-template builds them: the loop stops at the
/// first needle whose membership differs from `invert`, returning `!ret_true`.
fn contains_some(args: &[Value], ret_true: bool, invert: bool) -> Result<Value, String> {
    let l = args.get(1).unwrap_or(&Value::Missing);
    for v in needles(args) {
        if member(l, &v) != invert {
            return Ok(Value::Bool(!ret_true));
        }
    }
    Ok(Value::Bool(ret_true))
}

pub(super) fn contains_all(args: &[Value]) -> Result<Value, String> {
    contains_some(args, true, true)
}

pub(super) fn contains_any(args: &[Value]) -> Result<Value, String> {
    contains_some(args, false, false)
}

pub(super) fn contains_none(args: &[Value]) -> Result<Value, String> {
    contains_some(args, true, false)
}

pub(super) fn contains_not_all(args: &[Value]) -> Result<Value, String> {
    contains_some(args, false, true)
}

/// Go's `strings.Split` (an empty separator splits into characters).
fn go_split(text: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        text.chars().map(String::from).collect()
    } else {
        text.split(sep).map(str::to_string).collect()
    }
}

/// Refuses a split whose pieces would take too much memory.
fn check_pieces(text: &str, sep: &str) -> Result<(), String> {
    let pieces = if sep.is_empty() {
        text.chars().count()
    } else {
        text.matches(sep).count() + 1
    };
    if pieces.saturating_mul(24).saturating_add(text.len()) > MAX_STRING {
        return Err("result too large".into());
    }
    Ok(())
}

/// `split sep s`: trims `s` first; an empty string gives an empty list.
pub(super) fn split(args: &[Value]) -> Result<Value, String> {
    let text = s(args, 1).trim();
    if text.is_empty() {
        return Ok(Value::Strings(Vec::new()));
    }
    check_pieces(text, s(args, 0))?;
    Ok(Value::Strings(go_split(text, s(args, 0))))
}

/// `splitToMap sep1 sep2 s`: pairs without `sep2` are skipped.
pub(super) fn split_to_map(args: &[Value]) -> Result<Value, String> {
    let text = s(args, 2).trim();
    let mut m = Map::new();
    if !text.is_empty() {
        check_pieces(text, s(args, 0))?;
        for part in go_split(text, s(args, 0)) {
            if let Some((k, v)) = part
                .split_once(s(args, 1))
                .filter(|_| !s(args, 1).is_empty())
            {
                m.insert(k.to_string(), Value::Str(v.to_string()));
            }
        }
    }
    Ok(Value::Map(m))
}

pub(super) fn join(args: &[Value]) -> Result<Value, String> {
    let items: &[String] = match args.get(1) {
        Some(Value::Strings(items)) => items,
        _ => &[],
    };
    let sep = s(args, 0);
    let total: usize =
        items.iter().map(String::len).sum::<usize>() + sep.len().saturating_mul(items.len());
    if total > MAX_STRING {
        return Err("result too large".into());
    }
    Ok(Value::Str(items.join(sep)))
}

/// `replaceAll from to s`
pub(super) fn replace_all(args: &[Value]) -> Result<Value, String> {
    let (from, to, text) = (s(args, 0), s(args, 1), s(args, 2));
    let hits = if from.is_empty() {
        text.chars().count() + 1
    } else {
        text.matches(from).count()
    };
    if text.len() + hits.saturating_mul(to.len()) > MAX_STRING {
        return Err("result too large".into());
    }
    Ok(Value::Str(text.replace(from, to)))
}

fn compile(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|_| "invalid regular expression".to_string())
}

/// `regexReplaceAll re replacement s` (`$1`, `${name}` expand as in Go).
pub(super) fn regex_replace_all(args: &[Value]) -> Result<Value, String> {
    let re = compile(s(args, 0))?;
    let (replacement, text) = (s(args, 1), s(args, 2));
    let hits = re.find_iter(text).count() + 1;
    if text.len() + hits.saturating_mul(replacement.len()) > MAX_STRING {
        return Err("result too large".into());
    }
    Ok(Value::Str(re.replace_all(text, replacement).into_owned()))
}

pub(super) fn regex_match(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Bool(compile(s(args, 0))?.is_match(s(args, 1))))
}

pub(super) fn trim_space(args: &[Value]) -> Result<Value, String> {
    Ok(Value::str(s(args, 0).trim()))
}

/// `trim cutset s`
pub(super) fn trim(args: &[Value]) -> Result<Value, String> {
    let cutset: Vec<char> = s(args, 0).chars().collect();
    Ok(Value::str(s(args, 1).trim_matches(cutset.as_slice())))
}

pub(super) fn trim_prefix(args: &[Value]) -> Result<Value, String> {
    let (prefix, text) = (s(args, 0), s(args, 1));
    Ok(Value::str(text.strip_prefix(prefix).unwrap_or(text)))
}

pub(super) fn trim_suffix(args: &[Value]) -> Result<Value, String> {
    let (suffix, text) = (s(args, 0), s(args, 1));
    Ok(Value::str(text.strip_suffix(suffix).unwrap_or(text)))
}

/// Go maps case rune by rune; a rune without a one-rune mapping stays as it is.
fn map_case(text: &str, upper: bool) -> String {
    text.chars()
        .map(|c| {
            let mut mapped: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            match (mapped.len(), mapped.pop()) {
                (1, Some(m)) => m,
                _ => c,
            }
        })
        .collect()
}

pub(super) fn to_lower(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Str(map_case(s(args, 0), false)))
}

pub(super) fn to_upper(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Str(map_case(s(args, 0), true)))
}

/// Title case as x/text's `cases.Title(language.Und, cases.NoLower)`: the first letter
/// of each word goes up (so "1st" becomes "1St"), nothing goes down; an apostrophe or
/// dot between letters does not end a word.
pub(super) fn to_title(args: &[Value]) -> Result<Value, String> {
    let chars: Vec<char> = s(args, 0).chars().collect();
    let mut out = String::with_capacity(chars.len());
    let mut in_word = false;
    let mut cased_seen = false;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() || c == '_' {
            if !in_word {
                cased_seen = false;
            }
            if !cased_seen && c.is_alphabetic() {
                out.push_str(&map_case(&c.to_string(), true));
                cased_seen = true;
            } else {
                out.push(c);
            }
            in_word = true;
            continue;
        }
        let joins = matches!(c, '\'' | '.' | ':' | '\u{2019}')
            && in_word
            && i > 0
            && chars.get(i - 1).is_some_and(|p| p.is_alphanumeric())
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        in_word = joins;
        out.push(c);
    }
    Ok(Value::Str(out))
}

/// `indent n s`: prefixes every non-empty line with `n` spaces.
pub(super) fn indent(args: &[Value]) -> Result<Value, String> {
    let n = args.first().and_then(Value::as_int).unwrap_or(0);
    let n = usize::try_from(n).map_err(|_| "indent value must be a positive integer")?;
    let text = s(args, 1);
    let lines = text.split('\n').filter(|l| !l.is_empty()).count();
    if text.len() + lines.saturating_mul(n) > MAX_STRING {
        return Err("result too large".into());
    }
    let prefix = " ".repeat(n);
    let mut out = String::with_capacity(text.len() + lines * n);
    let mut at_line_start = true;
    for c in text.chars() {
        if at_line_start && c != '\n' {
            out.push_str(&prefix);
        }
        out.push(c);
        at_line_start = c == '\n';
    }
    Ok(Value::Str(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(v: &str) -> Value {
        Value::str(v)
    }

    #[test]
    fn membership() {
        let list = Value::List(vec![st("a"), Value::Float(3.0), Value::Number("5".into())]);
        assert_eq!(contains(&[st("a"), list.clone()]), Ok(Value::Bool(true)));
        assert_eq!(
            contains(&[Value::Int(3), list.clone()]),
            Ok(Value::Bool(false))
        );
        assert_eq!(contains(&[st("5"), list.clone()]), Ok(Value::Bool(false)));
        assert_eq!(contains(&[st("ell"), st("hello")]), Ok(Value::Bool(true)));
        let needles = Value::List(vec![st("a"), st("z")]);
        assert_eq!(
            contains_any(&[needles.clone(), list.clone()]),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            contains_all(&[needles.clone(), list.clone()]),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            contains_none(&[needles.clone(), list.clone()]),
            Ok(Value::Bool(false))
        );
        assert_eq!(contains_not_all(&[needles, list]), Ok(Value::Bool(true)));
    }

    #[test]
    fn splitting_and_joining() {
        assert_eq!(
            split(&[st(","), st(" a,b ")]),
            Ok(Value::Strings(vec!["a".into(), "b".into()]))
        );
        assert_eq!(split(&[st(","), st("  ")]), Ok(Value::Strings(vec![])));
        assert_eq!(
            join(&[st("-"), Value::Strings(vec!["a".into(), "b".into()])]),
            Ok(st("a-b"))
        );
        assert_eq!(
            replace_all(&[st("a"), st("b"), st("banana")]),
            Ok(st("bbnbnb"))
        );
        assert_eq!(replace_all(&[st(""), st("-"), st("ab")]), Ok(st("-a-b-")));
    }

    #[test]
    fn case_and_trim() {
        assert_eq!(
            to_title(&[st("hello wORLD foo-bar o'neil 1st")]),
            Ok(st("Hello WORLD Foo-Bar O'neil 1St"))
        );
        assert_eq!(to_upper(&[st("straße")]), Ok(st("STRAßE")));
        assert_eq!(trim(&[st("xy"), st("xxhixy")]), Ok(st("hi")));
        assert_eq!(trim_prefix(&[st("ab"), st("abc")]), Ok(st("c")));
        assert_eq!(trim_suffix(&[st("bc"), st("abc")]), Ok(st("a")));
    }

    #[test]
    fn indent_skips_empty_lines() {
        assert_eq!(
            indent(&[Value::Int(2), st("a\n\nb\n")]),
            Ok(st("  a\n\n  b\n"))
        );
        assert!(indent(&[Value::Int(-1), st("a")]).is_err());
        assert!(indent(&[Value::Int(1_000_000), st(&"\nx".repeat(1000))]).is_err());
    }

    #[test]
    fn regexes() {
        assert_eq!(
            regex_replace_all(&[st("(a)(b)"), st("$2$1"), st("abab")]),
            Ok(st("baba"))
        );
        assert_eq!(regex_match(&[st("^a+$"), st("aaa")]), Ok(Value::Bool(true)));
        assert!(regex_match(&[st("("), st("a")]).is_err());
    }
}
