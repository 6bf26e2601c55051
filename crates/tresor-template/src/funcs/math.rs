//! consul-template's arithmetic. Arguments are in pipeline order: `add b a` is `a + b`,
//! so `{{ 10 | subtract 3 }}` is 7. Integers give int64, anything with a float gives
//! float64; other types are refused (a `json.Number` from a secret included).

use crate::value::{Value, MAX_STRING};

#[derive(Clone, Copy)]
enum Num {
    I(i64),
    F(f64),
}

fn num(v: &Value, func: &str) -> Result<Num, String> {
    match v {
        Value::Int(i) | Value::Int64(i) => Ok(Num::I(*i)),
        Value::Float(f) => Ok(Num::F(*f)),
        other => Err(format!(
            "{func}: unknown type for value of type {}",
            if other.is_nothing() {
                "<nil>"
            } else {
                other.type_name()
            }
        )),
    }
}

/// `(a, b)` for a call written `func b a`.
fn operands(args: &[Value], func: &str) -> Result<(Num, Num), String> {
    let b = num(args.first().unwrap_or(&Value::Nil), func)?;
    let a = num(args.get(1).unwrap_or(&Value::Nil), func)?;
    Ok((a, b))
}

fn as_f64(n: Num) -> f64 {
    match n {
        Num::I(i) => i as f64,
        Num::F(f) => f,
    }
}

fn arith(
    args: &[Value],
    func: &str,
    int_op: fn(i64, i64) -> Result<i64, String>,
    float_op: fn(f64, f64) -> f64,
) -> Result<Value, String> {
    match operands(args, func)? {
        (Num::I(a), Num::I(b)) => int_op(a, b).map(Value::Int64),
        (a, b) => Ok(Value::Float(float_op(as_f64(a), as_f64(b)))),
    }
}

pub(super) fn add(args: &[Value]) -> Result<Value, String> {
    arith(args, "add", |a, b| Ok(a.wrapping_add(b)), |a, b| a + b)
}

pub(super) fn subtract(args: &[Value]) -> Result<Value, String> {
    arith(args, "subtract", |a, b| Ok(a.wrapping_sub(b)), |a, b| a - b)
}

pub(super) fn multiply(args: &[Value]) -> Result<Value, String> {
    arith(args, "multiply", |a, b| Ok(a.wrapping_mul(b)), |a, b| a * b)
}

const DIVIDE_BY_ZERO: &str = "runtime error: integer divide by zero";

pub(super) fn divide(args: &[Value]) -> Result<Value, String> {
    arith(
        args,
        "divide",
        |a, b| {
            if b == 0 {
                Err(DIVIDE_BY_ZERO.into())
            } else {
                Ok(a.wrapping_div(b))
            }
        },
        |a, b| a / b,
    )
}

pub(super) fn modulo(args: &[Value]) -> Result<Value, String> {
    match operands(args, "modulo")? {
        (Num::I(_), Num::I(0)) => Err(DIVIDE_BY_ZERO.into()),
        (Num::I(a), Num::I(b)) => Ok(Value::Int64(a.wrapping_rem(b))),
        _ => Err("modulo: unknown type for value of type float64".into()),
    }
}

fn pick(args: &[Value], func: &str, want_min: bool) -> Result<Value, String> {
    let (a, b) = operands(args, func)?;
    let a_first = if want_min {
        as_f64(a) < as_f64(b)
    } else {
        as_f64(a) > as_f64(b)
    };
    Ok(match if a_first { a } else { b } {
        Num::I(i) => Value::Int64(i),
        Num::F(f) => Value::Float(f),
    })
}

pub(super) fn minimum(args: &[Value]) -> Result<Value, String> {
    pick(args, "minimum", true)
}

pub(super) fn maximum(args: &[Value]) -> Result<Value, String> {
    pick(args, "maximum", false)
}

fn loop_bound(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(i) | Value::Int64(i) => Ok(*i),
        Value::Str(s) | Value::Number(s) if s.is_empty() => Ok(0),
        Value::Str(s) | Value::Number(s) => s
            .parse()
            .map_err(|_| "loop: bad argument: not an integer".into()),
        other => Err(format!("loop: bad argument type: {}", other.type_name())),
    }
}

/// `loop stop` or `loop start stop`: the integers from start up to stop.
pub(super) fn loop_(args: &[Value]) -> Result<Value, String> {
    let (start, stop) = match args {
        [stop] => (0, loop_bound(stop)?),
        [start, stop] => (loop_bound(start)?, loop_bound(stop)?),
        _ => {
            return Err(format!(
                "loop: wrong number of arguments, expected 1 or 2, but got {}",
                args.len()
            ))
        }
    };
    let count = stop.saturating_sub(start).max(0);
    if count.saturating_mul(32) > MAX_STRING as i64 {
        return Err("loop: too many iterations".into());
    }
    Ok(Value::List((start..stop).map(Value::Int64).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operand_order_is_pipeline_order() {
        assert_eq!(
            subtract(&[Value::Int(3), Value::Int(10)]),
            Ok(Value::Int64(7))
        );
        assert_eq!(
            divide(&[Value::Int(2), Value::Float(5.0)]),
            Ok(Value::Float(2.5))
        );
        assert_eq!(
            divide(&[Value::Int(0), Value::Int(5)]),
            Err(DIVIDE_BY_ZERO.into())
        );
        assert_eq!(
            modulo(&[Value::Int(3), Value::Int(10)]),
            Ok(Value::Int64(1))
        );
        assert!(add(&[Value::Int(1), Value::Number("2".into())]).is_err());
        assert_eq!(
            multiply(&[Value::Int64(i64::MAX), Value::Int(2)]),
            Ok(Value::Int64(-2))
        );
    }

    #[test]
    fn min_max_and_loop() {
        assert_eq!(
            minimum(&[Value::Int(3), Value::Float(2.5)]),
            Ok(Value::Float(2.5))
        );
        assert_eq!(
            maximum(&[Value::Int(3), Value::Int(2)]),
            Ok(Value::Int64(3))
        );
        assert_eq!(
            loop_(&[Value::Int(2), Value::str("4")]),
            Ok(Value::List(vec![Value::Int64(2), Value::Int64(3)]))
        );
        assert!(loop_(&[Value::Int64(i64::MAX)]).is_err());
    }
}
