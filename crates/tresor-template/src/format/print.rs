//! `fmt.Sprint`, `fmt.Sprintln` and how an action prints its value.

use super::value::{format_arg, Spec};
use crate::value::{NilKind, Value};

/// Whether Go would see a string kind here (no space is put next to one by `Sprint`).
fn is_string_kind(v: &Value) -> bool {
    matches!(v, Value::Str(_) | Value::Number(_))
}

/// `fmt.Sprint`: spaces between operands when neither side is a string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    let spec = Spec::v();
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = is_string_kind(arg);
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        format_arg(&mut out, arg, &spec, 0);
        prev_string = is_string;
    }
    out
}

/// `fmt.Sprintln`: always spaces, and a newline.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    let spec = Spec::v();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        format_arg(&mut out, arg, &spec, 0);
    }
    out.push('\n');
    out
}

/// The text an action `{{...}}` writes for its value: `<no value>` for nothing, and a
/// pointer is followed before printing (so a secret prints as `{...}`, not `&{...}`).
pub(crate) fn action_text(v: &Value) -> String {
    match v {
        Value::Missing | Value::Nil => "<no value>".into(),
        Value::NilOf(NilKind::Ptr(_)) => "<nil>".into(),
        Value::Struct(s) if s.kind.is_pointer() => {
            let mut out = sprint(std::slice::from_ref(v));
            if out.starts_with('&') {
                out.remove(0);
            }
            out
        }
        _ => sprint(std::slice::from_ref(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sprint_spacing_follows_go() {
        let args = [
            Value::Int(1),
            Value::Int(2),
            Value::str("a"),
            Value::Int(3),
            Value::Nil,
            Value::Bool(true),
        ];
        assert_eq!(sprint(&args), "1 2a3 <nil> true");
        assert_eq!(sprintln(&[Value::Int(1), Value::str("a")]), "1 a\n");
        assert_eq!(sprint(&[]), "");
    }

    #[test]
    fn actions_print_nothing_as_no_value() {
        assert_eq!(action_text(&Value::Missing), "<no value>");
        assert_eq!(action_text(&Value::Float(1e21)), "1e+21");
    }
}
