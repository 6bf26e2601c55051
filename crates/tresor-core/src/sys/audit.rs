//! `sys/audit` (list), `sys/audit/<path>` (enable, disable) and `sys/audit-hash/<path>`.

use crate::core::Unsealed;
use std::collections::BTreeMap;
use tresor_sdk::fields::{bool_field, string_field};
use tresor_sdk::{Data, Error, Operation, Request, Response, Value};

use Operation::{Delete, Read, Update};

pub async fn route(state: &Unsealed, req: &Request) -> Option<Result<Response, Error>> {
    let path = req.path.as_str();
    let op = req.operation;
    if path == "sys/audit" || path == "sys/audit/" {
        return Some(match op {
            Read => Ok(Response {
                data_at_top_level: true,
                ..Response::data(state.audit.list().await)
            }),
            _ => Err(Error::UnsupportedOperation),
        });
    }
    if let Some(device) = path.strip_prefix("sys/audit/") {
        return Some(match op {
            Update => enable(state, device, &req.data).await,
            Delete => state
                .audit
                .disable(device)
                .await
                .map(|()| Response::empty()),
            _ => Err(Error::UnsupportedOperation),
        });
    }
    if let Some(device) = path.strip_prefix("sys/audit-hash/") {
        return Some(match op {
            Update => hash(state, device, &req.data),
            _ => Err(Error::UnsupportedOperation),
        });
    }
    None
}

/// Options arrive as a JSON object of strings (numbers and booleans are taken as text).
fn options(data: &Data) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    match data.get("options") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    _ => {
                        return Err(Error::bad_request(format!(
                            "audit option {k:?} must be a string"
                        )))
                    }
                };
                out.insert(k.clone(), text);
            }
        }
        Some(_) => return Err(Error::bad_request("options must be an object")),
    }
    Ok(out)
}

async fn enable(state: &Unsealed, device: &str, data: &Data) -> Result<Response, Error> {
    let kind = string_field(data, "type")?.unwrap_or_default();
    if kind.is_empty() {
        return Err(Error::bad_request("type is required"));
    }
    let description = string_field(data, "description")?.unwrap_or_default();
    let local = bool_field(data, "local")?.unwrap_or(false);
    state
        .audit
        .enable(device, &kind, &description, options(data)?, local)
        .await?;
    Ok(Response::empty())
}

fn hash(state: &Unsealed, device: &str, data: &Data) -> Result<Response, Error> {
    let input = string_field(data, "input")?.unwrap_or_default();
    if input.is_empty() {
        return Err(Error::bad_request("the \"input\" parameter is empty"));
    }
    let mut d = Data::new();
    d.insert("hash".into(), state.audit.hash(device, &input)?.into());
    Ok(Response {
        data_at_top_level: true,
        ..Response::data(d)
    })
}
