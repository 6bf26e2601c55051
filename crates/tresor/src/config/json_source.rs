//! JSON configuration files into [`Node`]s, with Vault's JSON layout:
//! `{"storage": {"file": {...}}, "listener": [{"tcp": {...}}], "ui": true}`.

use super::node::{Block, Node, Scalar};
use super::ConfigError;
use serde_json::Value;

/// Keys whose object value is a block keyed by its label.
const LABELLED_BLOCKS: &[&str] = &[
    "storage",
    "backend",
    "listener",
    "ha_storage",
    "seal",
    "audit",
];

pub fn parse(file: &str, text: &str) -> Result<Node, ConfigError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ConfigError::Syntax {
        file: file.to_owned(),
        detail: e.to_string(),
    })?;
    let Value::Object(top) = value else {
        return Err(ConfigError::Shape {
            file: file.to_owned(),
            block: String::new(),
            detail: "must be a JSON object".into(),
        });
    };
    object(file, "", &top, true)
}

fn object(
    file: &str,
    block: &str,
    map: &serde_json::Map<String, Value>,
    top: bool,
) -> Result<Node, ConfigError> {
    let mut out = Node::default();
    for (key, value) in map {
        if top && LABELLED_BLOCKS.contains(&key.as_str()) {
            let items: Vec<&Value> = match value {
                Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            for item in items {
                let Value::Object(labelled) = item else {
                    return Err(shape(file, key, "must be an object keyed by its type"));
                };
                for (label, inner) in labelled {
                    let Value::Object(inner) = inner else {
                        return Err(shape(file, key, "must hold an object"));
                    };
                    let name = format!("{key} \"{label}\"");
                    if key == "audit" {
                        // `"audit": {"file": {"to-disk": {...}}}`: type, then path.
                        for (path, body) in inner {
                            let Value::Object(body) = body else {
                                return Err(shape(file, key, "must hold an object per path"));
                            };
                            out.blocks.push(Block {
                                kind: key.clone(),
                                label: Some(label.clone()),
                                label2: Some(path.clone()),
                                body: object(file, &name, body, false)?,
                            });
                        }
                        continue;
                    }
                    out.blocks.push(Block {
                        kind: key.clone(),
                        label: Some(label.clone()),
                        label2: None,
                        body: object(file, &name, inner, false)?,
                    });
                }
            }
            continue;
        }
        let scalar = match value {
            Value::String(s) => Scalar::Str(s.clone()),
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => Scalar::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::Object(inner) => {
                let name = if block.is_empty() {
                    key.clone()
                } else {
                    format!("{block}.{key}")
                };
                out.blocks.push(Block {
                    kind: key.clone(),
                    label: None,
                    label2: None,
                    body: object(file, &name, inner, false)?,
                });
                continue;
            }
            _ => {
                return Err(ConfigError::Value {
                    file: file.to_owned(),
                    block: block.to_owned(),
                    key: key.clone(),
                    expected: "a string, number or boolean",
                })
            }
        };
        out.attrs.push((key.clone(), scalar));
    }
    Ok(out)
}

fn shape(file: &str, block: &str, detail: &str) -> ConfigError {
    ConfigError::Shape {
        file: file.to_owned(),
        block: block.to_owned(),
        detail: detail.to_owned(),
    }
}
