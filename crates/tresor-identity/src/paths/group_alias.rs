//! `group-alias`, `group-alias/id/<id>` and its list.

use crate::backend::IdentityBackend;
use crate::input::text;
use crate::plan::group_alias::{self as plan, GroupAliasInput, GroupAliasWritten};
use crate::render;
use serde_json::json;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Response};

fn input(be: &IdentityBackend, fields: &Fields) -> GroupAliasInput {
    let accessor = text(fields, "mount_accessor");
    GroupAliasInput {
        name: text(fields, "name").map(str::to_owned),
        mount_accessor: accessor.map(str::to_owned),
        mount: accessor.and_then(|a| be.mounts.by_accessor(a)),
        canonical_id: text(fields, "canonical_id").map(str::to_owned),
    }
}

/// A change answers the alias's ID and group; a write that changes nothing answers
/// nothing. An `id` in the body of `group-alias` makes it an update of that alias.
pub async fn write(
    be: &IdentityBackend,
    path_id: Option<&str>,
    fields: &Fields,
) -> Result<Response, Error> {
    let id = path_id.or_else(|| text(fields, "id"));
    let input = input(be, fields);
    let written = be
        .store
        .write(|idx, now| plan::write(idx, id, input, now))
        .await?;
    Ok(match written {
        GroupAliasWritten::Changed { id, canonical_id } => {
            let data = json!({"canonical_id": canonical_id, "id": id});
            Response::data(data.as_object().cloned().unwrap_or_default())
        }
        GroupAliasWritten::Unchanged => Response::empty(),
    })
}

pub fn read(be: &IdentityBackend, id: &str) -> Result<Response, Error> {
    let group = be.store.group_by_alias_id(id).ok_or(Error::NotFound)?;
    let alias = group.alias.as_ref().ok_or(Error::NotFound)?;
    Ok(Response::data(render::group_alias(
        alias,
        be.mounts.as_ref(),
    )))
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
    let info: Data = be
        .store
        .groups()
        .iter()
        .filter_map(|g| g.alias.as_ref())
        .map(|a| {
            (
                a.id.clone(),
                render::group_alias_info(a, be.mounts.as_ref()),
            )
        })
        .collect();
    if info.is_empty() {
        return Err(Error::NotFound);
    }
    let mut keys: Vec<String> = info.keys().cloned().collect();
    keys.sort();
    Ok(Response::data(render::list(keys, Some(info))))
}
