//! `subkeys/<key>`: a secret's structure with every leaf value replaced by `null`.

use super::KvV2;
use serde_json::Value;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Response};

pub async fn read(kv: &KvV2, key: &str, fields: &Fields) -> Result<Response, Error> {
    let (meta, version, stored) = kv.version(key, fields).await?;
    let stored = stored.ok_or(Error::NotFound)?;
    let depth = fields.int("depth").filter(|d| *d > 0).map(|d| d as usize);
    let mut data = Data::new();
    data.insert(
        "subkeys".into(),
        structure(&Value::Object(stored.data), depth, 1),
    );
    data.insert("metadata".into(), meta.version_block(version));
    Ok(Response::data(data))
}

fn structure(value: &Value, max_depth: Option<usize>, level: usize) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let inner = match v {
                        Value::Object(_) if max_depth.is_none_or(|m| level < m) => {
                            structure(v, max_depth, level + 1)
                        }
                        _ => Value::Null,
                    };
                    (k.clone(), inner)
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::structure;
    use serde_json::json;

    #[test]
    fn leaves_become_null_and_depth_limits() {
        let v = json!({"a": 1, "b": {"c": {"d": "x"}}, "e": [1]});
        assert_eq!(
            structure(&v, None, 1),
            json!({"a": null, "b": {"c": {"d": null}}, "e": null})
        );
        assert_eq!(
            structure(&v, Some(1), 1),
            json!({"a": null, "b": null, "e": null})
        );
        assert_eq!(
            structure(&v, Some(2), 1),
            json!({"a": null, "b": {"c": null}, "e": null})
        );
    }
}
