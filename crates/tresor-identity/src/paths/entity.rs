//! `entity`, `entity/id/<id>`, `entity/name/<name>`, their lists, and
//! `entity/batch-delete`.

use crate::backend::IdentityBackend;
use crate::input::{ids, metadata, policies, text};
use crate::model::Entity;
use crate::plan::entity::{self as plan, EntityInput, EntityTarget, Written};
use crate::render;
use serde_json::json;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Response};

pub fn target_body(fields: &Fields) -> EntityTarget<'_> {
    EntityTarget::Body {
        id: text(fields, "id"),
    }
}

pub fn target_id(id: &str) -> EntityTarget<'_> {
    EntityTarget::Id(id)
}

pub fn target_name(name: &str) -> EntityTarget<'_> {
    EntityTarget::Name(name)
}

fn input(fields: &Fields) -> Result<EntityInput, Error> {
    Ok(EntityInput {
        name: text(fields, "name").map(str::to_owned),
        metadata: metadata(fields, "metadata")?,
        policies: policies(fields, "policies")?,
        disabled: fields.bool("disabled"),
    })
}

/// A new entity answers its ID and name; an update answers nothing.
pub async fn write(
    be: &IdentityBackend,
    target: EntityTarget<'_>,
    fields: &Fields,
) -> Result<Response, Error> {
    let input = input(fields)?;
    let written = be
        .store
        .write(|idx, now| plan::write(idx, target, input, now))
        .await?;
    Ok(match written {
        Written::Created { id, name } => {
            let data = json!({"aliases": null, "id": id, "name": name});
            Response::data(data.as_object().cloned().unwrap_or_default())
        }
        Written::Updated => Response::empty(),
    })
}

fn show(be: &IdentityBackend, entity: Option<Entity>) -> Result<Response, Error> {
    let entity = entity.ok_or(Error::NotFound)?;
    let groups = be.store.groups_of(&entity.id);
    Ok(Response::data(render::entity(
        &entity,
        &groups,
        be.mounts.as_ref(),
    )))
}

/// The read answer for an entity, or `None` (lookups answer nothing for a miss).
pub fn found(be: &IdentityBackend, entity: Option<Entity>) -> Result<Response, Error> {
    match entity {
        None => Ok(Response::empty()),
        some => show(be, some),
    }
}

pub fn read_by_id(be: &IdentityBackend, id: &str) -> Result<Response, Error> {
    show(be, be.store.entity(id))
}

pub fn read_by_name(be: &IdentityBackend, name: &str) -> Result<Response, Error> {
    show(be, be.store.entity_by_name(name))
}

async fn delete(be: &IdentityBackend, ids: &[&str]) -> Result<Response, Error> {
    be.store
        .write(|idx, _| Ok((plan::delete(idx, ids), ())))
        .await?;
    Ok(Response::empty())
}

pub async fn delete_by_id(be: &IdentityBackend, id: &str) -> Result<Response, Error> {
    delete(be, &[id]).await
}

pub async fn delete_by_name(be: &IdentityBackend, name: &str) -> Result<Response, Error> {
    match be.store.entity_by_name(name) {
        Some(e) => delete(be, &[e.id.as_str()]).await,
        None => Ok(Response::empty()),
    }
}

pub async fn batch_delete(be: &IdentityBackend, fields: &Fields) -> Result<Response, Error> {
    let list = ids(fields, "entity_ids").unwrap_or_default();
    if list.is_empty() {
        return Err(Error::bad_request("missing entity ids to delete"));
    }
    let refs: Vec<&str> = list.iter().map(String::as_str).collect();
    delete(be, &refs).await
}

fn listing(rest: &str) -> Result<(), Error> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(Error::UnsupportedPath)
    }
}

pub fn list_ids(be: &IdentityBackend, rest: &str) -> Result<Response, Error> {
    listing(rest)?;
    let entities = be.store.entities();
    if entities.is_empty() {
        return Err(Error::NotFound);
    }
    let info: Data = entities
        .iter()
        .map(|e| (e.id.clone(), render::entity_info(e, be.mounts.as_ref())))
        .collect();
    let keys = entities.into_iter().map(|e| e.id).collect();
    Ok(Response::data(render::list(keys, Some(info))))
}

pub fn list_names(be: &IdentityBackend, rest: &str) -> Result<Response, Error> {
    listing(rest)?;
    let mut keys: Vec<String> = be.store.entities().into_iter().map(|e| e.name).collect();
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    keys.sort();
    Ok(Response::data(render::list(keys, None)))
}
