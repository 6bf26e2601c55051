//! `group`, `group/id/<id>`, `group/name/<name>` and their lists.

use crate::backend::IdentityBackend;
use crate::input::{ids, metadata, policies, text};
use crate::model::Group;
use crate::plan::group::{self as plan, GroupInput, GroupTarget, GroupWritten};
use crate::render;
use serde_json::json;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Response};

pub fn target_body(fields: &Fields) -> GroupTarget<'_> {
    GroupTarget::Body {
        id: text(fields, "id"),
    }
}

pub fn target_id(id: &str) -> GroupTarget<'_> {
    GroupTarget::Id(id)
}

pub fn target_name(name: &str) -> GroupTarget<'_> {
    GroupTarget::Name(name)
}

fn input(fields: &Fields) -> Result<GroupInput, Error> {
    Ok(GroupInput {
        name: text(fields, "name").map(str::to_owned),
        kind: fields.str("type").map(str::to_owned),
        metadata: metadata(fields, "metadata")?,
        policies: policies(fields, "policies")?,
        member_entity_ids: ids(fields, "member_entity_ids"),
        member_group_ids: ids(fields, "member_group_ids"),
    })
}

/// A new group answers its ID and name; an update answers nothing.
pub async fn write(
    be: &IdentityBackend,
    target: GroupTarget<'_>,
    fields: &Fields,
) -> Result<Response, Error> {
    let input = input(fields)?;
    let written = be
        .store
        .write(|idx, now| plan::write(idx, target, input, now))
        .await?;
    Ok(match written {
        GroupWritten::Created { id, name } => {
            let data = json!({"id": id, "name": name});
            Response::data(data.as_object().cloned().unwrap_or_default())
        }
        GroupWritten::Updated => Response::empty(),
    })
}

/// The read answer for a group; a miss is `None`.
pub fn shown(be: &IdentityBackend, group: Option<Group>) -> Option<Response> {
    let group = group?;
    let parents = be.store.parent_groups(&group.id);
    Some(Response::data(render::group(
        &group,
        &parents,
        be.mounts.as_ref(),
    )))
}

pub fn read_by_id(be: &IdentityBackend, id: &str) -> Result<Response, Error> {
    shown(be, be.store.group(id)).ok_or(Error::NotFound)
}

pub fn read_by_name(be: &IdentityBackend, name: &str) -> Result<Response, Error> {
    shown(be, be.store.group_by_name(name)).ok_or(Error::NotFound)
}

pub async fn delete_by_id(be: &IdentityBackend, id: &str) -> Result<Response, Error> {
    be.store
        .write(|idx, _| Ok((plan::delete(idx, id), ())))
        .await?;
    Ok(Response::empty())
}

pub async fn delete_by_name(be: &IdentityBackend, name: &str) -> Result<Response, Error> {
    match be.store.group_by_name(name) {
        Some(g) => delete_by_id(be, &g.id).await,
        None => Ok(Response::empty()),
    }
}

pub fn list_ids(be: &IdentityBackend, rest: &str) -> Result<Response, Error> {
    if !rest.is_empty() {
        return Err(Error::UnsupportedPath);
    }
    let groups = be.store.groups();
    if groups.is_empty() {
        return Err(Error::NotFound);
    }
    let info: Data = groups
        .iter()
        .map(|g| {
            let parents = be.store.parent_groups(&g.id).len();
            (
                g.id.clone(),
                render::group_info(g, parents, be.mounts.as_ref()),
            )
        })
        .collect();
    let keys = groups.into_iter().map(|g| g.id).collect();
    Ok(Response::data(render::list(keys, Some(info))))
}

pub fn list_names(be: &IdentityBackend, rest: &str) -> Result<Response, Error> {
    if !rest.is_empty() {
        return Err(Error::UnsupportedPath);
    }
    let mut keys: Vec<String> = be.store.groups().into_iter().map(|g| g.name).collect();
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    keys.sort();
    Ok(Response::data(render::list(keys, None)))
}
