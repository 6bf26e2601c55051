//! `eq`, `ne`, `lt`, `le`, `gt`, `ge` with Go's rules: values compare only within one
//! basic kind (bool, integer, float, string); nil compares equal only to nil.

use std::cmp::Ordering;

use crate::value::{NilKind, Value};

const BAD_COMPARISON: &str = "incompatible types for comparison";
const BAD_TYPE: &str = "invalid type for comparison";

fn incompatible(a: &Value, b: &Value) -> String {
    format!("{BAD_COMPARISON}: {} and {}", a.type_name(), b.type_name())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    Str,
    Other,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Missing | Value::Nil => Kind::Invalid,
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::Str(_) | Value::Number(_) => Kind::Str,
        _ => Kind::Other,
    }
}

fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    let (k1, k2) = (kind(a), kind(b));
    if k1 != k2 {
        if k1 != Kind::Invalid && k2 != Kind::Invalid {
            return Err(incompatible(a, b));
        }
        return Ok(false);
    }
    Ok(match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        _ if k1 == Kind::Int => a.as_int() == b.as_int(),
        _ if k1 == Kind::Str => a.as_str() == b.as_str(),
        _ if k1 == Kind::Invalid => true,
        _ => return other_equal(a, b),
    })
}

/// Maps, slices, structs and typed nils.
fn other_equal(a: &Value, b: &Value) -> Result<bool, String> {
    let uncomparable = |v: &Value| {
        matches!(
            v,
            Value::List(_)
                | Value::Strings(_)
                | Value::Map(_)
                | Value::NilOf(NilKind::Map | NilKind::List | NilKind::Strings)
        )
    };
    if uncomparable(a) || uncomparable(b) {
        return Err(format!(
            "non-comparable types {} and {}",
            a.type_name(),
            b.type_name()
        ));
    }
    if a.type_name() != b.type_name() {
        return Err(incompatible(a, b));
    }
    Ok(a == b)
}

pub(super) fn eq(args: &[Value]) -> Result<Value, String> {
    let (first, rest) = args
        .split_first()
        .ok_or("missing argument for comparison")?;
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    for other in rest {
        if equal(first, other)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn pair(args: &[Value]) -> Result<(&Value, &Value), String> {
    match args {
        [a, b] => Ok((a, b)),
        _ => Err("comparison needs two arguments".into()),
    }
}

pub(super) fn ne(args: &[Value]) -> Result<Value, String> {
    let (a, b) = pair(args)?;
    Ok(Value::Bool(!equal(a, b)?))
}

fn less(a: &Value, b: &Value) -> Result<bool, String> {
    let (k1, k2) = (kind(a), kind(b));
    for k in [k1, k2] {
        if matches!(k, Kind::Invalid | Kind::Other) {
            return Err(BAD_TYPE.into());
        }
    }
    if k1 != k2 {
        return Err(incompatible(a, b));
    }
    Ok(match k1 {
        Kind::Int => a.as_int() < b.as_int(),
        Kind::Str => a.as_str() < b.as_str(),
        Kind::Float => match (a, b) {
            (Value::Float(x), Value::Float(y)) => x.partial_cmp(y) == Some(Ordering::Less),
            _ => false,
        },
        _ => return Err(BAD_TYPE.into()),
    })
}

pub(super) fn lt(args: &[Value]) -> Result<Value, String> {
    let (a, b) = pair(args)?;
    Ok(Value::Bool(less(a, b)?))
}

pub(super) fn le(args: &[Value]) -> Result<Value, String> {
    let (a, b) = pair(args)?;
    Ok(Value::Bool(less(a, b)? || equal(a, b)?))
}

pub(super) fn gt(args: &[Value]) -> Result<Value, String> {
    let (a, b) = pair(args)?;
    Ok(Value::Bool(!(less(a, b)? || equal(a, b)?)))
}

pub(super) fn ge(args: &[Value]) -> Result<Value, String> {
    let (a, b) = pair(args)?;
    Ok(Value::Bool(!less(a, b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(r: Result<Value, String>) -> Result<bool, String> {
        r.map(|v| v.is_true())
    }

    #[test]
    fn eq_follows_go_kinds() {
        let s = |x: &str| Value::str(x);
        assert_eq!(b(eq(&[Value::Int(1), Value::Int64(1)])), Ok(true));
        assert_eq!(b(eq(&[s("a"), s("b"), s("a")])), Ok(true));
        assert_eq!(b(eq(&[Value::Number("5".into()), s("5")])), Ok(true));
        assert_eq!(b(eq(&[Value::Missing, s("x")])), Ok(false));
        assert_eq!(b(eq(&[Value::Missing, Value::Nil])), Ok(true));
        assert_eq!(
            b(eq(&[Value::Int(1), s("1")])),
            Err(format!("{BAD_COMPARISON}: int and string"))
        );
        assert!(eq(&[Value::List(vec![]), Value::List(vec![])]).is_err());
        assert!(eq(&[Value::Int(1)]).is_err());
    }

    #[test]
    fn ordering() {
        assert_eq!(b(lt(&[Value::Int(1), Value::Int(2)])), Ok(true));
        assert_eq!(b(le(&[Value::Float(2.0), Value::Float(2.0)])), Ok(true));
        assert_eq!(b(gt(&[Value::str("b"), Value::str("a")])), Ok(true));
        assert_eq!(b(ge(&[Value::Int(1), Value::Int(2)])), Ok(false));
        assert_eq!(
            b(lt(&[Value::Bool(true), Value::Bool(false)])),
            Err(BAD_TYPE.to_string())
        );
        assert_eq!(
            b(lt(&[Value::Int(1), Value::Float(2.0)])),
            Err(format!("{BAD_COMPARISON}: int and float64"))
        );
        assert_eq!(
            b(lt(&[Value::Missing, Value::Int(1)])),
            Err(BAD_TYPE.to_string())
        );
    }
}
