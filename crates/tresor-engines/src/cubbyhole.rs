//! `cubbyhole`: private storage for each token, reachable only with that token and
//! destroyed with it. Entries live under the token's salted hash.

use crate::listing::{keys_response, require_key};
use async_trait::async_trait;
use std::sync::Arc;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::{BackendRequest, Data, Error, LogicalBackend, MountContext, Operation, Response};
use tresor_storage::{Backend, View};

#[derive(Debug)]
pub struct Cubbyhole {
    storage: View,
}

pub fn factory(ctx: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(Cubbyhole {
        storage: ctx.storage,
    }))
}

impl Cubbyhole {
    fn view_for(&self, req: &BackendRequest<'_>) -> Result<View, Error> {
        let token = req.token_hash.ok_or(Error::PermissionDenied)?;
        Ok(self.storage.sub(&format!("{token}/")))
    }
}

#[async_trait]
impl LogicalBackend for Cubbyhole {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        let view = self.view_for(req)?;
        match req.operation {
            Operation::Read | Operation::Head => {
                let data: Data = get_json(&view, require_key(req.path)?)
                    .await?
                    .ok_or(Error::NotFound)?;
                Ok(Response::data(data))
            }
            Operation::Create | Operation::Update => {
                if req.data.is_empty() {
                    return Err(Error::bad_request("missing data fields"));
                }
                put_json(&view, require_key(req.path)?, req.data).await?;
                Ok(Response::empty())
            }
            Operation::Delete => {
                view.delete(require_key(req.path)?).await?;
                Ok(Response::empty())
            }
            Operation::List => keys_response(view.list(req.path).await?),
            Operation::Patch => Err(Error::UnsupportedOperation),
        }
    }

    async fn exists(&self, req: &BackendRequest<'_>) -> Result<Option<bool>, Error> {
        let view = self.view_for(req)?;
        Ok(Some(view.get(req.path).await?.is_some()))
    }
}
