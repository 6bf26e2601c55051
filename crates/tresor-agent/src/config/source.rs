//! Configuration text (Vault Agent's HCL or JSON) into one JSON shape: blocks become
//! objects keyed by their labels, and every block kind holds a list, so two `template`
//! blocks (or two `listener "tcp"` blocks) stay two. The typed reader peels the labels.

use super::ConfigError;
use serde_json::{Map, Value};

/// Parses `text` from `file`: JSON when it starts with `{`, HCL otherwise (HCL2 as
/// hcl-rs reads it; HCL1 one-line blocks are rewritten first when HCL2 refuses them).
pub fn parse(file: &str, text: &str) -> Result<Value, ConfigError> {
    let syntax = |detail: String| ConfigError::Syntax {
        file: file.to_owned(),
        detail,
    };
    if text.trim_start().starts_with('{') {
        let value: Value = serde_json::from_str(text).map_err(|e| syntax(e.to_string()))?;
        return match value {
            Value::Object(_) => Ok(value),
            _ => Err(syntax("the top level must be an object".into())),
        };
    }
    let body = match hcl::parse(text) {
        Ok(body) => body,
        Err(first) => {
            let rewritten = tresor_hcl::to_hcl2(text).map_err(|_| syntax(first.to_string()))?;
            hcl::parse(&rewritten.text).map_err(|_| syntax(first.to_string()))?
        }
    };
    body_value(&body).map_err(syntax)
}

fn body_value(body: &hcl::Body) -> Result<Value, String> {
    let mut out = Map::new();
    for attr in body.attributes() {
        out.insert(attr.key().to_owned(), expr_value(attr.expr())?);
    }
    for block in body.blocks() {
        let mut value = body_value(block.body())?;
        for label in block.labels().iter().rev() {
            value = Value::Object(Map::from_iter([(
                label.as_str().to_owned(),
                Value::Array(vec![value]),
            )]));
        }
        let slot = out
            .entry(block.identifier().to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        match slot {
            Value::Array(items) => items.push(value),
            _ => {
                return Err(format!(
                    "{:?} is both an attribute and a block",
                    block.identifier()
                ))
            }
        }
    }
    Ok(Value::Object(out))
}

fn expr_value(expr: &hcl::Expression) -> Result<Value, String> {
    use hcl::Expression as E;
    Ok(match expr {
        E::Null => Value::Null,
        E::Bool(b) => Value::Bool(*b),
        E::Number(n) => serde_json::to_value(n).map_err(|e| e.to_string())?,
        E::String(s) => Value::String(s.clone()),
        E::TemplateExpr(t) => Value::String(t.to_string()),
        E::Array(items) => Value::Array(items.iter().map(expr_value).collect::<Result<_, _>>()?),
        E::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    hcl::ObjectKey::Identifier(i) => i.as_str().to_owned(),
                    hcl::ObjectKey::Expression(E::String(s)) => s.clone(),
                    other => return Err(format!("unsupported object key {other}")),
                };
                out.insert(key, expr_value(v)?);
            }
            Value::Object(out)
        }
        other => return Err(format!("unsupported expression {other}")),
    })
}
