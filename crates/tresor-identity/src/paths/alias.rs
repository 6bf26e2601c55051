//! `entity-alias`, `entity-alias/id/<id>` and its list.

use crate::backend::IdentityBackend;
use crate::input::{metadata, text};
use crate::plan::alias::{self as plan, AliasInput, AliasWritten};
use crate::render;
use serde_json::json;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Response};

fn input(be: &IdentityBackend, fields: &Fields) -> Result<AliasInput, Error> {
    let mount =
        match text(fields, "mount_accessor") {
            None => None,
            Some(accessor) => Some(be.mounts.by_accessor(accessor).ok_or_else(|| {
                Error::bad_request(format!("invalid mount accessor {accessor:?}"))
            })?),
        };
    Ok(AliasInput {
        name: text(fields, "name").map(str::to_owned),
        canonical_id: text(fields, "canonical_id").map(str::to_owned),
        mount,
        custom_metadata: metadata(fields, "custom_metadata")?,
    })
}

/// A change answers the alias's ID and entity; a write that changes nothing answers
/// nothing.
pub async fn write(
    be: &IdentityBackend,
    path_id: Option<&str>,
    fields: &Fields,
) -> Result<Response, Error> {
    let id = path_id.or_else(|| text(fields, "id"));
    let input = input(be, fields)?;
    let written = be
        .store
        .write(|idx, now| match id {
            Some(id) => plan::update(idx, id, input, now),
            None => plan::write_by_name(idx, input, now),
        })
        .await?;
    Ok(match written {
        AliasWritten::Changed { id, canonical_id } => {
            let data = json!({"canonical_id": canonical_id, "id": id});
            Response::data(data.as_object().cloned().unwrap_or_default())
        }
        AliasWritten::Unchanged => Response::empty(),
    })
}

pub fn read(be: &IdentityBackend, id: &str) -> Result<Response, Error> {
    let entity = be.store.entity_by_alias_id(id).ok_or(Error::NotFound)?;
    let alias = entity
        .aliases
        .iter()
        .find(|a| a.id == id)
        .ok_or(Error::NotFound)?;
    match render::alias(alias, be.mounts.as_ref(), true) {
        serde_json::Value::Object(data) => Ok(Response::data(data)),
        _ => Err(Error::internal("an alias did not render as an object")),
    }
}

pub async fn delete(be: &IdentityBackend, id: &str) -> Result<Response, Error> {
    be.store
        .write(|idx, _| Ok((plan::delete(idx, id), ())))
        .await?;
    Ok(Response::empty())
}

pub fn list(be: &IdentityBackend, rest: &str) -> Result<Response, Error> {
    if !rest.is_empty() {
        return Err(Error::UnsupportedPath);
    }
    let mut info = Data::new();
    for entity in be.store.entities() {
        for alias in &entity.aliases {
            info.insert(
                alias.id.clone(),
                render::alias_info(alias, be.mounts.as_ref()),
            );
        }
    }
    if info.is_empty() {
        return Err(Error::NotFound);
    }
    let mut keys: Vec<String> = info.keys().cloned().collect();
    keys.sort();
    Ok(Response::data(render::list(keys, Some(info))))
}
