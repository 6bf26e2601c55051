//! Formatting one value for one verb, as Go's `fmt` does (`printArg` / `printValue`).

use super::float::{format_float_case, FloatFmt};
use super::quote::{can_backquote, quote, quote_rune};
use crate::value::{NilKind, Value};

/// A parsed directive: verb, flags, width and precision.
#[derive(Clone, Debug, Default)]
pub(crate) struct Spec {
    pub verb: char,
    pub minus: bool,
    pub plus: bool,
    pub sharp: bool,
    pub space: bool,
    pub zero: bool,
    /// `%+v`: struct field names.
    pub plus_v: bool,
    /// `%#v`: Go syntax (printed like `%v` here).
    pub sharp_v: bool,
    pub width: Option<usize>,
    pub prec: Option<usize>,
}

impl Spec {
    pub(crate) fn v() -> Spec {
        Spec {
            verb: 'v',
            ..Spec::default()
        }
    }

    fn pad_with(&self, out: &mut String, s: &str, zero_ok: bool) {
        let len = s.chars().count();
        let fill = self.width.unwrap_or(0).saturating_sub(len);
        if fill == 0 {
            out.push_str(s);
        } else if self.minus {
            out.push_str(s);
            out.extend(std::iter::repeat_n(' ', fill));
        } else {
            let c = if self.zero && zero_ok { '0' } else { ' ' };
            out.extend(std::iter::repeat_n(c, fill));
            out.push_str(s);
        }
    }

    fn pad(&self, out: &mut String, s: &str) {
        self.pad_with(out, s, true);
    }
}

/// Formats `v` for `spec`; `depth` is 0 for an argument, more inside composites.
pub(crate) fn format_arg(out: &mut String, v: &Value, spec: &Spec, depth: usize) {
    if depth == 0 && spec.verb == 'T' {
        let name = if v.is_nothing() {
            "<nil>"
        } else {
            v.type_name()
        };
        spec.pad(out, name);
        return;
    }
    match v {
        Value::Missing | Value::Nil => {
            if depth > 0 {
                out.push_str("<nil>");
            } else if spec.verb == 'v' {
                spec.pad(out, "<nil>");
            } else {
                bad_verb(out, v, spec);
            }
        }
        Value::Bool(b) => match spec.verb {
            't' | 'v' => spec.pad(out, if *b { "true" } else { "false" }),
            _ => bad_verb(out, v, spec),
        },
        Value::Int(i) | Value::Int64(i) => format_int(out, v, *i, spec),
        Value::Float(f) => format_float_verb(out, v, *f, spec),
        Value::Str(s) | Value::Number(s) => format_str(out, v, s, spec),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_arg(out, item, spec, depth + 1);
            }
            out.push(']');
        }
        Value::Strings(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_str(out, &Value::Str(String::new()), item, spec);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, val)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_str(out, &Value::Str(String::new()), k, spec);
                out.push(':');
                format_arg(out, val, spec, depth + 1);
            }
            out.push(']');
        }
        Value::NilOf(NilKind::Map) => out.push_str("map[]"),
        Value::NilOf(NilKind::List | NilKind::Strings) => out.push_str("[]"),
        Value::NilOf(NilKind::Ptr(_)) => match spec.verb {
            'v' => spec.pad(out, "<nil>"),
            'b' | 'o' | 'd' | 'x' | 'X' => spec.pad(out, "0"),
            _ => bad_verb(out, v, spec),
        },
        Value::Struct(s) => {
            // Go prints a pointer to a struct as &{...} at the top level (and an
            // address when nested; an address means nothing here, so &{...} again).
            if s.kind.is_pointer() {
                out.push('&');
            }
            out.push('{');
            for (i, (name, field)) in s.named_fields().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                if spec.plus_v || spec.sharp_v {
                    out.push_str(name);
                    out.push(':');
                }
                format_arg(out, field, spec, depth + 1);
            }
            out.push('}');
        }
    }
}

/// `%!verb(type=value)`.
fn bad_verb(out: &mut String, v: &Value, spec: &Spec) {
    out.push_str("%!");
    out.push(spec.verb);
    out.push('(');
    if v.is_nothing() {
        out.push_str("<nil>");
    } else {
        out.push_str(v.type_name());
        out.push('=');
        let inner = Spec {
            verb: 'v',
            ..spec.clone()
        };
        format_arg(out, v, &inner, 0);
    }
    out.push(')');
}

fn format_str(out: &mut String, v: &Value, s: &str, spec: &Spec) {
    let truncated: String = match spec.prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    };
    match spec.verb {
        'v' | 's' => spec.pad(out, &truncated),
        'q' => {
            let q = if spec.sharp && can_backquote(&truncated) {
                format!("`{truncated}`")
            } else {
                quote(&truncated, spec.plus)
            };
            spec.pad(out, &q);
        }
        'x' | 'X' => {
            let bytes = match spec.prec {
                Some(p) => s.as_bytes().get(..p.min(s.len())).unwrap_or_default(),
                None => s.as_bytes(),
            };
            spec.pad(out, &hex_bytes(bytes, spec));
        }
        _ => {
            let shown = if let Value::Number(_) = v {
                v.clone()
            } else {
                Value::Str(s.to_string())
            };
            bad_verb(out, &shown, spec);
        }
    }
}

fn hex_bytes(bytes: &[u8], spec: &Spec) -> String {
    let upper = spec.verb == 'X';
    let mut h = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if spec.space && i > 0 {
            h.push(' ');
        }
        if spec.sharp && (spec.space || i == 0) {
            h.push_str(if upper { "0X" } else { "0x" });
        }
        if upper {
            h.push_str(&format!("{b:02X}"));
        } else {
            h.push_str(&format!("{b:02x}"));
        }
    }
    h
}

fn format_int(out: &mut String, v: &Value, i: i64, spec: &Spec) {
    let (radix, upper) = match spec.verb {
        'd' | 'v' => (10, false),
        'b' => (2, false),
        'o' | 'O' => (8, false),
        'x' => (16, false),
        'X' => (16, true),
        'c' => {
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}');
            spec.pad(out, &c.to_string());
            return;
        }
        'q' => {
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}');
            spec.pad(out, &quote_rune(c, spec.plus));
            return;
        }
        'U' => {
            let mut s = format!("U+{:04X}", i);
            if spec.sharp {
                if let Some(c) = u32::try_from(i).ok().and_then(char::from_u32) {
                    s.push_str(&format!(" '{c}'"));
                }
            }
            spec.pad(out, &s);
            return;
        }
        _ => return bad_verb(out, v, spec),
    };
    let magnitude = i.unsigned_abs();
    let mut digits = if spec.prec == Some(0) && magnitude == 0 {
        String::new()
    } else {
        match radix {
            2 => format!("{magnitude:b}"),
            8 => format!("{magnitude:o}"),
            16 if upper => format!("{magnitude:X}"),
            16 => format!("{magnitude:x}"),
            _ => magnitude.to_string(),
        }
    };
    let negative = i < 0;
    let sign_len = usize::from(negative || spec.plus || spec.space);
    let mut min_digits = spec.prec.unwrap_or(0);
    if spec.prec.is_none() && spec.zero && !spec.minus {
        min_digits = spec.width.unwrap_or(0).saturating_sub(sign_len);
    }
    if digits.len() < min_digits {
        digits = format!("{}{digits}", "0".repeat(min_digits - digits.len()));
    }
    let prefix = match (radix, spec.sharp, spec.verb) {
        (_, _, 'O') => "0o",
        (16, true, _) if upper => "0X",
        (16, true, _) => "0x",
        (2, true, _) => "0b",
        (8, true, _) if !digits.starts_with('0') => "0",
        _ => "",
    };
    let sign = if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    spec.pad_with(out, &format!("{sign}{prefix}{digits}"), false);
}

fn format_float_verb(out: &mut String, v: &Value, f: f64, spec: &Spec) {
    let (fmt, upper) = match (spec.verb, spec.prec) {
        ('v' | 'g', None) => (FloatFmt::Shortest, false),
        ('G', None) => (FloatFmt::Shortest, true),
        ('v' | 'g', Some(p)) => (FloatFmt::General(p), false),
        ('G', Some(p)) => (FloatFmt::General(p), true),
        ('e', p) => (FloatFmt::Exp(p.unwrap_or(6)), false),
        ('E', p) => (FloatFmt::Exp(p.unwrap_or(6)), true),
        ('f' | 'F', p) => (FloatFmt::Fixed(p.unwrap_or(6)), false),
        _ => return bad_verb(out, v, spec),
    };
    let num = format_float_case(f, fmt, upper);
    let (sign, body) = match num.strip_prefix('-') {
        Some(rest) => ('-', rest.to_string()),
        None => ('+', num.trim_start_matches('+').to_string()),
    };
    if f.is_nan() || f.is_infinite() {
        let shown = if f.is_nan() && !spec.plus && !spec.space {
            body
        } else if sign == '+' && spec.space && !spec.plus {
            format!(" {body}")
        } else {
            format!("{sign}{body}")
        };
        spec.pad_with(out, &shown, false);
        return;
    }
    let sign_str = match sign {
        '-' => "-",
        _ if spec.plus => "+",
        _ if spec.space => " ",
        _ => "",
    };
    let width = spec.width.unwrap_or(0);
    let total = sign_str.len() + body.chars().count();
    if spec.zero && !spec.minus && width > total {
        out.push_str(sign_str);
        out.extend(std::iter::repeat_n('0', width - total));
        out.push_str(&body);
    } else {
        spec.pad_with(out, &format!("{sign_str}{body}"), false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: &Value, spec: Spec) -> String {
        let mut out = String::new();
        format_arg(&mut out, v, &spec, 0);
        out
    }

    fn verb(c: char) -> Spec {
        Spec {
            verb: c,
            ..Spec::default()
        }
    }

    #[test]
    fn integers() {
        assert_eq!(f(&Value::Int(255), verb('x')), "ff");
        assert_eq!(
            f(
                &Value::Int(255),
                Spec {
                    sharp: true,
                    ..verb('X')
                }
            ),
            "0XFF"
        );
        assert_eq!(f(&Value::Int(65), verb('c')), "A");
        assert_eq!(f(&Value::Int(65), verb('q')), "'A'");
        assert_eq!(f(&Value::Int(65), verb('U')), "U+0041");
        assert_eq!(
            f(
                &Value::Int(5),
                Spec {
                    plus: true,
                    width: Some(4),
                    zero: true,
                    ..verb('d')
                }
            ),
            "+005"
        );
        assert_eq!(f(&Value::Int(5), verb('s')), "%!s(int=5)");
    }

    #[test]
    fn floats() {
        assert_eq!(
            f(
                &Value::Float(-3.5),
                Spec {
                    width: Some(8),
                    zero: true,
                    prec: Some(2),
                    ..verb('f')
                }
            ),
            "-0003.50"
        );
        assert_eq!(
            f(
                &Value::Float(f64::INFINITY),
                Spec {
                    width: Some(6),
                    zero: true,
                    ..verb('f')
                }
            ),
            "  +Inf"
        );
        assert_eq!(f(&Value::Float(1e6), Spec::v()), "1e+06");
    }

    #[test]
    fn composites_apply_the_verb_to_elements() {
        let list = Value::List(vec![Value::Int(1), Value::str("a"), Value::Nil]);
        assert_eq!(f(&list, verb('d')), "[1 %!d(string=a) <nil>]");
        let mut m = crate::value::Map::new();
        m.insert("b".into(), Value::Bool(true));
        m.insert("a".into(), Value::Number("5".into()));
        assert_eq!(f(&Value::Map(m), Spec::v()), "map[a:5 b:true]");
        assert_eq!(
            f(&Value::Number("5".into()), verb('d')),
            "%!d(json.Number=5)"
        );
        assert_eq!(f(&Value::NilOf(NilKind::Strings), Spec::v()), "[]");
    }

    #[test]
    fn strings() {
        assert_eq!(
            f(
                &Value::str("ab"),
                Spec {
                    width: Some(5),
                    zero: true,
                    ..verb('s')
                }
            ),
            "000ab"
        );
        assert_eq!(
            f(
                &Value::str("ab"),
                Spec {
                    space: true,
                    ..verb('x')
                }
            ),
            "61 62"
        );
        assert_eq!(
            f(
                &Value::str("a`b"),
                Spec {
                    sharp: true,
                    ..verb('q')
                }
            ),
            "\"a`b\""
        );
        assert_eq!(f(&Value::Nil, verb('d')), "%!d(<nil>)");
        assert_eq!(f(&Value::Nil, verb('T')), "<nil>");
        assert_eq!(f(&Value::Int64(1), verb('T')), "int64");
    }
}
