//! `lookup/entity` and `lookup/group`: find one object by exactly one criterion. A miss
//! answers nothing (204), as Vault does.

use super::{entity, group};
use crate::backend::IdentityBackend;
use crate::input::text;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Error, Response};

enum Query<'f> {
    Id(&'f str),
    Name(&'f str),
    AliasId(&'f str),
    Alias { name: &'f str, accessor: &'f str },
}

fn query(fields: &Fields) -> Result<Query<'_>, Error> {
    let id = text(fields, "id");
    let name = text(fields, "name");
    let alias_id = text(fields, "alias_id");
    let alias_name = text(fields, "alias_name");
    let accessor = text(fields, "alias_mount_accessor");
    let by_alias = alias_name.is_some() || accessor.is_some();
    let given = [id.is_some(), name.is_some(), alias_id.is_some(), by_alias];
    match given.iter().filter(|g| **g).count() {
        0 => return Err(Error::bad_request("query parameter not supplied")),
        1 => {}
        _ => {
            return Err(Error::bad_request(
                "query parameter conflict; please supply distinct set of query parameters",
            ))
        }
    }
    Ok(match (id, name, alias_id, alias_name, accessor) {
        (Some(id), ..) => Query::Id(id),
        (_, Some(name), ..) => Query::Name(name),
        (_, _, Some(alias_id), ..) => Query::AliasId(alias_id),
        (_, _, _, Some(name), Some(accessor)) => Query::Alias { name, accessor },
        _ => {
            return Err(Error::bad_request(
                "both 'alias_name' and 'alias_mount_accessor' needs to be set",
            ))
        }
    })
}

pub fn entity(be: &IdentityBackend, fields: &Fields) -> Result<Response, Error> {
    let found = match query(fields)? {
        Query::Id(id) => be.store.entity(id),
        Query::Name(name) => be.store.entity_by_name(name),
        Query::AliasId(id) => be.store.entity_by_alias_id(id),
        Query::Alias { name, accessor } => be.store.entity_by_alias(accessor, name),
    };
    entity::found(be, found)
}

/// An alias query finds the external group holding that group alias.
pub fn group(be: &IdentityBackend, fields: &Fields) -> Result<Response, Error> {
    let found = match query(fields)? {
        Query::Id(id) => be.store.group(id),
        Query::Name(name) => be.store.group_by_name(name),
        Query::AliasId(id) => be.store.group_by_alias_id(id),
        Query::Alias { name, accessor } => be.store.group_by_alias(accessor, name),
    };
    Ok(group::shown(be, found).unwrap_or_default())
}
