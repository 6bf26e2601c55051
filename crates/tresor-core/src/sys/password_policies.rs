//! `sys/policies/password/<name>` (write, read, delete), `LIST sys/policies/password` and
//! `sys/policies/password/<name>/generate`.

use crate::core::Unsealed;
use tresor_sdk::fields::string_field;
use tresor_sdk::{Data, Error, Operation, Request, Response, Value};

use Operation::{Delete, List, Read, Update};

pub async fn route(state: &Unsealed, req: &Request) -> Option<Result<Response, Error>> {
    let rest = req.path.strip_prefix("sys/policies/password")?;
    let policies = &state.password_policies;
    let op = req.operation;
    if rest.is_empty() || rest == "/" {
        return Some(match op {
            List => list(state).await,
            _ => Err(Error::UnsupportedOperation),
        });
    }
    let rest = rest.strip_prefix('/')?;
    if let Some(name) = rest.strip_suffix("/generate") {
        return Some(match op {
            Read => match policies.get(name).await {
                Ok(None) => Err(Error::NotFound),
                Ok(Some(_)) => policies.generate(name).await.map(|pw| {
                    let mut d = Data::new();
                    d.insert("password".into(), pw.expose().into());
                    Response::data(d)
                }),
                Err(e) => Err(e),
            },
            _ => Err(Error::UnsupportedOperation),
        });
    }
    Some(match op {
        Update => {
            let text = match string_field(&req.data, "policy") {
                Ok(t) => t.unwrap_or_default(),
                Err(e) => return Some(Err(e)),
            };
            policies.put(rest, &text).await.map(|()| Response::empty())
        }
        Read => match policies.get(rest).await {
            Ok(Some(text)) => {
                let mut d = Data::new();
                d.insert("policy".into(), text.into());
                Ok(Response::data(d))
            }
            Ok(None) => Err(Error::NotFound),
            Err(e) => Err(e),
        },
        Delete => policies.delete(rest).await.map(|()| Response::empty()),
        _ => Err(Error::UnsupportedOperation),
    })
}

async fn list(state: &Unsealed) -> Result<Response, Error> {
    let keys = state.password_policies.list().await?;
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    let mut d = Data::new();
    d.insert(
        "keys".into(),
        Value::Array(keys.into_iter().map(Value::from).collect()),
    );
    Ok(Response::data(d))
}
