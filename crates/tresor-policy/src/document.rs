//! Policy documents (HCL or JSON) -> the list of `path` entries they declare, with their
//! attributes as JSON values. Nothing is validated here beyond the document's shape.
//!
//! As in Vault, a document whose first non-blank character is `{` is JSON; anything else
//! is HCL (HCL1 accepted through [`tresor_hcl`]). Both forms declare paths the same way:
//! `path "p" { ... }` blocks, or a `path` object mapping patterns to bodies
//! (`{"path": {"p": {...}}}`), where a body may also be a list of bodies.

use crate::error::{short, PolicyError};
use hcl::{Expression, ObjectKey, Structure};
use serde_json::{Map, Number, Value};
use tresor_hcl as hcl1;

/// One `path` entry: its pattern as written and its attributes in document order.
#[derive(Debug)]
pub(crate) struct RawPath {
    pub(crate) pattern: String,
    pub(crate) attrs: Vec<(String, Value)>,
}

/// Keys a path body may hold as a nested block, which tresor does not implement.
const UNSUPPORTED_BLOCKS: &[&str] = &["control_group"];

/// The paths of `text`, read as JSON or HCL.
pub(crate) fn read(text: &str) -> Result<Vec<RawPath>, PolicyError> {
    if text.trim_start().starts_with('{') {
        json(text)
    } else {
        hcl_text(text)
    }
}

fn json(text: &str) -> Result<Vec<RawPath>, PolicyError> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let detail = msg.split(" at line ").next().unwrap_or_default();
        PolicyError::Syntax {
            line: e.line(),
            detail: short(detail),
        }
    })?;
    let Value::Object(top) = root else {
        return Err(shape("top level", "an object"));
    };
    let mut out = Vec::new();
    for (key, value) in top {
        top_level_attribute(&key, value, &mut out)?;
    }
    Ok(out)
}

fn hcl_text(text: &str) -> Result<Vec<RawPath>, PolicyError> {
    let rewritten = hcl1::to_hcl2(text).map_err(|e| PolicyError::Syntax {
        line: e.line,
        detail: e.detail,
    })?;
    let body = hcl::parse(&rewritten.text).map_err(|e| match e {
        hcl::Error::Parse(p) => PolicyError::Syntax {
            line: rewritten.original_line(p.location().line()),
            detail: short(p.message()),
        },
        other => PolicyError::Syntax {
            line: 1,
            detail: short(&other.to_string()),
        },
    })?;
    let mut out = Vec::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let value = to_json(attr.expr(), &format!("{:?}", short(attr.key())))?;
                top_level_attribute(attr.key(), value, &mut out)?;
            }
            Structure::Block(block) if block.identifier() == "path" => {
                let [label] = block.labels() else {
                    return Err(shape("path block", "exactly one quoted pattern"));
                };
                out.push(path_block(label.as_str(), block.body())?);
            }
            Structure::Block(block) => {
                return Err(PolicyError::UnknownTopLevelKey {
                    key: short(block.identifier()),
                });
            }
        }
    }
    Ok(out)
}

/// `name` (ignored: the name comes from the API) or `path` (an object of bodies).
fn top_level_attribute(key: &str, value: Value, out: &mut Vec<RawPath>) -> Result<(), PolicyError> {
    match key {
        "name" => Ok(()),
        "path" => paths(value, out),
        _ => Err(PolicyError::UnknownTopLevelKey { key: short(key) }),
    }
}

/// `{"pattern": body | [body...]}` or a list of such objects.
fn paths(value: Value, out: &mut Vec<RawPath>) -> Result<(), PolicyError> {
    match value {
        Value::Array(items) => items.into_iter().try_for_each(|v| paths(v, out)),
        Value::Object(map) => {
            for (pattern, body) in map {
                match body {
                    Value::Array(bodies) => {
                        for b in bodies {
                            out.push(raw_path(&pattern, b)?);
                        }
                    }
                    b => out.push(raw_path(&pattern, b)?),
                }
            }
            Ok(())
        }
        _ => Err(shape("path", "an object of path patterns")),
    }
}

fn raw_path(pattern: &str, body: Value) -> Result<RawPath, PolicyError> {
    let Value::Object(attrs) = body else {
        return Err(shape(&format!("path {:?}", short(pattern)), "an object"));
    };
    Ok(RawPath {
        pattern: pattern.to_owned(),
        attrs: attrs.into_iter().collect(),
    })
}

fn path_block(pattern: &str, body: &hcl::Body) -> Result<RawPath, PolicyError> {
    let mut attrs = Vec::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                // hcl-rs already refuses a key defined twice in one body.
                let key = attr.key();
                let context = format!("path {:?}: {}", short(pattern), short(key));
                attrs.push((key.to_owned(), to_json(attr.expr(), &context)?));
            }
            Structure::Block(block) => {
                let key = short(block.identifier());
                return Err(if UNSUPPORTED_BLOCKS.contains(&block.identifier()) {
                    PolicyError::Unsupported {
                        path: short(pattern),
                        key,
                    }
                } else {
                    PolicyError::UnknownKey {
                        path: short(pattern),
                        key,
                    }
                });
            }
        }
    }
    Ok(RawPath {
        pattern: pattern.to_owned(),
        attrs,
    })
}

/// A literal HCL expression as JSON. Depth is bounded by [`tresor_hcl::MAX_DEPTH`].
fn to_json(expr: &Expression, context: &str) -> Result<Value, PolicyError> {
    Ok(match expr {
        Expression::Null => Value::Null,
        Expression::Bool(b) => Value::Bool(*b),
        Expression::Number(n) => Value::Number(number(n).ok_or_else(|| literal(context))?),
        Expression::String(s) => Value::String(s.clone()),
        Expression::Array(items) => Value::Array(
            items
                .iter()
                .map(|e| to_json(e, context))
                .collect::<Result<_, _>>()?,
        ),
        Expression::Object(object) => {
            let mut map = Map::new();
            for (key, value) in object {
                let key = match key {
                    ObjectKey::Identifier(id) => id.to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.clone(),
                    _ => return Err(literal(context)),
                };
                map.insert(key, to_json(value, context)?);
            }
            Value::Object(map)
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::Operation::Unary(u) if u.operator == hcl::UnaryOperator::Neg => {
                match to_json(&u.expr, context)? {
                    Value::Number(n) => Value::Number(negate(&n).ok_or_else(|| literal(context))?),
                    _ => return Err(literal(context)),
                }
            }
            _ => return Err(literal(context)),
        },
        _ => return Err(literal(context)),
    })
}

fn number(n: &hcl::Number) -> Option<Number> {
    if let Some(u) = n.as_u64() {
        Some(Number::from(u))
    } else if let Some(i) = n.as_i64() {
        Some(Number::from(i))
    } else {
        n.as_f64().and_then(Number::from_f64)
    }
}

fn negate(n: &Number) -> Option<Number> {
    if let Some(i) = n.as_i64() {
        i.checked_neg().map(Number::from)
    } else {
        n.as_f64().and_then(|f| Number::from_f64(-f))
    }
}

fn literal(context: &str) -> PolicyError {
    shape(
        context,
        "a literal value (string, number, boolean, list or object)",
    )
}

fn shape(context: &str, expected: &'static str) -> PolicyError {
    PolicyError::Shape {
        context: context.to_owned(),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(text: &str) -> Vec<(String, Vec<(String, Value)>)> {
        read(text)
            .unwrap()
            .into_iter()
            .map(|mut p| {
                p.attrs.sort_by(|a, b| a.0.cmp(&b.0));
                (p.pattern, p.attrs)
            })
            .collect()
    }

    #[test]
    fn hcl_and_json_read_alike() {
        let hcl = attrs(
            "name = \"x\"\npath \"a/*\" { capabilities = [\"read\"], allowed_parameters = { \"k\" = [1, -2, true, null, {\"m\" = \"v\"}] } }",
        );
        let json = attrs(
            r#"{"name": "x", "path": {"a/*": {"capabilities": ["read"], "allowed_parameters": {"k": [1, -2, true, null, {"m": "v"}]}}}}"#,
        );
        assert_eq!(hcl, json);
        assert_eq!(hcl[0].1[0].1, json!({"k": [1, -2, true, null, {"m": "v"}]}));
    }

    #[test]
    fn json_lists_of_paths_and_bodies() {
        let got =
            attrs(r#"{"path": [{"a": {"policy": "read"}}, {"b": [{"policy": "deny"}, {}]}]}"#);
        let patterns: Vec<_> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(patterns, ["a", "b", "b"]);
    }

    #[test]
    fn hcl_path_attribute_form() {
        let got = attrs("path = { \"a\" = { policy = \"read\" } }");
        assert_eq!(got[0].0, "a");
    }

    #[test]
    fn shape_errors() {
        assert!(matches!(read("[]"), Err(PolicyError::Syntax { .. })));
        assert!(matches!(
            read("{\"path\": 1}"),
            Err(PolicyError::Shape { .. })
        ));
        assert!(matches!(
            read("{\"x\": 1}"),
            Err(PolicyError::UnknownTopLevelKey { .. })
        ));
        assert!(matches!(
            read("other \"a\" {}"),
            Err(PolicyError::UnknownTopLevelKey { .. })
        ));
        assert!(matches!(read("path {}"), Err(PolicyError::Shape { .. })));
        assert!(matches!(
            read("path \"a\" \"b\" {}"),
            Err(PolicyError::Shape { .. })
        ));
        assert!(matches!(
            read("path \"a\" { x = y }"),
            Err(PolicyError::Shape { .. })
        ));
        let dup = read("path \"a\" { policy = \"read\"\n policy = \"write\" }");
        assert!(
            matches!(dup, Err(PolicyError::Syntax { line: 2, .. })),
            "{dup:?}"
        );
        assert!(matches!(
            read("path \"a\" {\n control_group {\n ttl = \"1h\"\n }\n}"),
            Err(PolicyError::Unsupported { .. })
        ));
    }

    #[test]
    fn syntax_errors_carry_the_input_line_and_no_source() {
        let err =
            read("path \"a\" { policy = \"read\" }\n\npath \"b\" {\n policy = = }").unwrap_err();
        match err {
            PolicyError::Syntax { line, detail } => {
                assert_eq!(line, 4, "{detail}");
                assert!(!detail.contains("path"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        match read("{\"path\": \n {\"a\": }}").unwrap_err() {
            PolicyError::Syntax { line, detail } => {
                assert_eq!(line, 2);
                assert!(!detail.contains("line"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }
}
