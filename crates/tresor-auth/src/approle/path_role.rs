//! `role/<name>` (create, read, update, delete), `LIST role` and `role/<name>/role-id`.

use super::keys::{random_hex, MAX_HMAC_INPUT};
use super::model::{self, RoleEntry, RoleIdEntry};
use super::{AppRole, LEGACY};
use crate::names::{path_name, random_uuid};
use tresor_sdk::duration::format_go;
use tresor_sdk::framework::Fields;
use tresor_sdk::stored::{encode, get_json};
use tresor_sdk::token_params::Cidr;
use tresor_sdk::{BackendRequest, Data, Error, Response, Value};
use tresor_storage::{Backend, Op};

fn role_name(raw: &str) -> Result<String, Error> {
    if raw.len() > MAX_HMAC_INPUT {
        return Err(Error::bad_request(format!(
            "role_name is longer than maximum of {MAX_HMAC_INPUT} bytes"
        )));
    }
    path_name(raw)
}

pub async fn read(ar: &AppRole, name: &str) -> Result<Response, Error> {
    let role = model::load_role(&ar.storage, &role_name(name)?)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Response::data(role.to_data()))
}

pub async fn list(ar: &AppRole) -> Result<Response, Error> {
    let keys = ar.storage.list("role/").await?;
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    let mut data = Data::new();
    data.insert("keys".into(), Value::from(keys));
    Ok(Response::data(data))
}

/// CIDR blocks with their prefixes, as Vault validates them for secret IDs.
pub fn cidr_blocks(list: &[String], what: &str) -> Result<Vec<String>, Error> {
    let list: Vec<String> = list
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    for block in &list {
        Cidr::parse_block(block)
            .map_err(|e| Error::bad_request(format!("failed to validate {what}: {e}")))?;
    }
    Ok(list)
}

/// AppRole's handling of the meaningless `default-service` and `default-batch`.
fn token_type_compat(data: &Data, resp: &mut Response) -> Data {
    let mut data = data.clone();
    let (to, warning) = match data.get("token_type").and_then(Value::as_str) {
        Some("default-service") => (
            "service",
            "default-service has no useful meaning; adjusting to service",
        ),
        Some("default-batch") => (
            "batch",
            "default-batch has no useful meaning; adjusting to batch",
        ),
        _ => return data,
    };
    data.insert("token_type".into(), to.into());
    resp.warnings.push(warning.to_owned());
    data
}

fn new_role(name: &str) -> Result<RoleEntry, Error> {
    Ok(RoleEntry {
        name: name.to_owned(),
        role_id: random_uuid()?,
        hmac_key: random_hex(32)?,
        bind_secret_id: true,
        ..RoleEntry::default()
    })
}

pub async fn write(
    ar: &AppRole,
    req: &BackendRequest<'_>,
    name: &str,
    fields: &Fields,
) -> Result<Response, Error> {
    let name = role_name(name)?;
    let _roles = ar.roles.lock().await;
    let _role = ar.lock_role(&name).await?;
    let existing = model::load_role(&ar.storage, &name).await?;
    let create = existing.is_none();
    if fields.is_set("local_secret_ids") && !create {
        return Err(Error::bad_request(
            "local_secret_ids can only be modified during role creation",
        ));
    }
    let previous_role_id = existing.as_ref().map(|r| r.role_id.clone());
    let mut role = match existing {
        Some(r) => r,
        None => new_role(&name)?,
    };
    let mut resp = Response::empty();
    let data = token_type_compat(req.data, &mut resp);
    role.token.parse_update_with(&data, LEGACY)?;
    apply_fields(&mut role, fields)?;
    let max = req.mount.max_lease_ttl;
    if role.token.legacy.period > max.as_secs() {
        return Err(Error::bad_request(format!(
            "period of {:?} is greater than the backend's maximum lease TTL of {:?}",
            format_go(std::time::Duration::from_secs(role.token.legacy.period)),
            format_go(max)
        )));
    }
    if role.token.max_ttl > max.as_secs() {
        resp.warnings.push("token_max_ttl is greater than the backend mount's maximum TTL value; issued tokens' max TTL value will be truncated".to_owned());
    }
    if !role.has_constraint() {
        return Err(Error::bad_request(
            "at least one constraint should be enabled on the role",
        ));
    }
    save(ar, &role, previous_role_id.as_deref()).await?;
    Ok(resp)
}

fn apply_fields(role: &mut RoleEntry, fields: &Fields) -> Result<(), Error> {
    if let Some(id) = fields.str("role_id") {
        if id.is_empty() {
            return Err(Error::bad_request(
                "invalid role_id supplied, or failed to generate a role_id",
            ));
        }
        role.role_id = id.to_owned();
    }
    if let Some(b) = fields.bool("bind_secret_id") {
        role.bind_secret_id = b;
    }
    if let Some(l) = fields.bool("local_secret_ids") {
        role.local_secret_ids = l;
    }
    let cidrs = fields
        .list("secret_id_bound_cidrs")
        .or(fields.list("bound_cidr_list"));
    if let Some(list) = cidrs {
        role.secret_id_bound_cidrs = cidr_blocks(list, "CIDR blocks")?;
    }
    if let Some(n) = fields.int("secret_id_num_uses") {
        role.secret_id_num_uses = u64::try_from(n)
            .map_err(|_| Error::bad_request("secret_id_num_uses cannot be negative"))?;
    }
    if let Some(ttl) = fields.duration("secret_id_ttl") {
        role.secret_id_ttl = ttl.as_secs();
    }
    Ok(())
}

/// Stores the role and its role-ID index in one batch; a role ID is one role's only.
async fn save(ar: &AppRole, role: &RoleEntry, previous_role_id: Option<&str>) -> Result<(), Error> {
    let index_key = ar.role_id_key(&role.role_id).await?;
    if let Some(owner) = get_json::<RoleIdEntry>(&ar.storage, &index_key).await? {
        if owner.name != role.name {
            return Err(Error::bad_request("role_id already in use"));
        }
    }
    let mut ops = vec![Op::Put {
        key: model::role_key(&role.name),
        value: encode(role)?,
    }];
    match previous_role_id {
        Some(prev) if prev == role.role_id => {}
        prev => {
            if let Some(prev) = prev {
                ops.push(Op::Delete {
                    key: ar.role_id_key(prev).await?,
                });
            }
            ops.push(Op::Put {
                key: index_key,
                value: encode(&RoleIdEntry {
                    name: role.name.clone(),
                })?,
            });
        }
    }
    ar.storage.batch(ops).await?;
    Ok(())
}

/// Deletes the role, its role-ID index, and every secret ID and accessor it has, in one
/// batch.
pub async fn delete(ar: &AppRole, name: &str) -> Result<Response, Error> {
    let name = role_name(name)?;
    let _roles = ar.roles.lock().await;
    let _role = ar.lock_role(&name).await?;
    let Some(role) = model::load_role(&ar.storage, &name).await? else {
        return Ok(Response::empty());
    };
    let mut ops = super::path_secret_id_manage::flush_ops(ar, &role).await?;
    ops.push(Op::Delete {
        key: ar.role_id_key(&role.role_id).await?,
    });
    ops.push(Op::Delete {
        key: model::role_key(&name),
    });
    ar.storage.batch(ops).await?;
    Ok(Response::empty())
}

pub async fn read_role_id(ar: &AppRole, name: &str) -> Result<Response, Error> {
    let role = model::load_role(&ar.storage, &role_name(name)?)
        .await?
        .ok_or(Error::NotFound)?;
    let mut data = Data::new();
    data.insert("role_id".into(), role.role_id.into());
    Ok(Response::data(data))
}

pub async fn write_role_id(ar: &AppRole, name: &str, fields: &Fields) -> Result<Response, Error> {
    let name = role_name(name)?;
    let _roles = ar.roles.lock().await;
    let _role = ar.lock_role(&name).await?;
    let mut role = model::load_role(&ar.storage, &name)
        .await?
        .ok_or(Error::UnsupportedPath)?;
    let previous = role.role_id.clone();
    role.role_id = match fields.str("role_id") {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => return Err(Error::bad_request("missing role_id")),
    };
    save(ar, &role, Some(&previous)).await?;
    Ok(Response::empty())
}

#[cfg(test)]
mod tests {
    use crate::testkit::{approle, s};
    use serde_json::json;
    use tresor_sdk::{ErrorKind, Operation::*, Value};

    #[tokio::test]
    async fn role_crud_like_vault() {
        let h = approle().await;
        let body =
            json!({"token_policies": "a,B", "secret_id_ttl": "10m", "secret_id_num_uses": 2});
        h.call(Update, "role/Web", body).await.unwrap();
        let d = h.data(Read, "role/web", Value::Null).await;
        let mut keys: Vec<&str> = d.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "bind_secret_id",
                "local_secret_ids",
                "secret_id_bound_cidrs",
                "secret_id_num_uses",
                "secret_id_ttl",
                "token_bound_cidrs",
                "token_explicit_max_ttl",
                "token_max_ttl",
                "token_no_default_policy",
                "token_num_uses",
                "token_period",
                "token_policies",
                "token_strictly_bind_ip",
                "token_ttl",
                "token_type"
            ]
        );
        assert_eq!(
            (
                d["bind_secret_id"].clone(),
                d["secret_id_bound_cidrs"].clone()
            ),
            (json!(true), Value::Null)
        );
        assert_eq!(
            (d["secret_id_ttl"].clone(), d["token_policies"].clone()),
            (json!(600), json!(["a", "B"]))
        );
        assert_eq!(
            h.data(List, "role", Value::Null).await["keys"],
            json!(["web"])
        );
        assert_eq!(
            h.data(List, "role/", Value::Null).await["keys"],
            json!(["web"])
        );
        let rid = s(&h.data(Read, "role/web/role-id", Value::Null).await["role_id"]);
        assert_eq!(rid.len(), 36);
        h.call(Update, "role/web/role-id", json!({"role_id": "custom-id"}))
            .await
            .unwrap();
        assert_eq!(
            h.data(Read, "role/web/role-id", Value::Null).await["role_id"],
            "custom-id"
        );
        // The old role ID no longer logs in; the new one is one role's only.
        let e = h
            .call(Update, "role/other", json!({"role_id": "custom-id"}))
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "role_id already in use");
        assert!(h.call(Read, "role/other", Value::Null).await.is_err());
        assert!(!h.dump_storage().await.contains(&rid));
    }

    #[tokio::test]
    async fn role_writes_check_their_input() {
        let h = approle().await;
        for (body, msg) in [
            (json!({"bind_secret_id": false}), "at least one constraint should be enabled on the role"),
            (json!({"secret_id_bound_cidrs": "bad"}), "failed to validate CIDR blocks: invalid CIDR address: bad"),
            (json!({"secret_id_bound_cidrs": "10.0.0.1"}), "failed to validate CIDR blocks: invalid CIDR address: 10.0.0.1"),
            (json!({"secret_id_num_uses": -1}), "secret_id_num_uses cannot be negative"),
            (json!({"role_id": ""}), "invalid role_id supplied, or failed to generate a role_id"),
            (json!({"period": "800h"}), "period of \"800h0m0s\" is greater than the backend's maximum lease TTL of \"768h0m0s\""),
            (json!({"token_type": "weird"}), "invalid 'token_type' value \"weird\""),
        ] {
            let e = h.call(Update, "role/r", body.clone()).await.unwrap_err();
            assert_eq!((e.kind(), e.to_string()), (ErrorKind::BadRequest, msg.to_owned()), "{body}");
        }
        assert!(
            h.call(List, "role", Value::Null).await.is_err(),
            "nothing was stored"
        );
        h.call(Update, "role/r", json!({"local_secret_ids": true}))
            .await
            .unwrap();
        let e = h
            .call(Update, "role/r", json!({"local_secret_ids": true}))
            .await
            .unwrap_err();
        assert!(e
            .to_string()
            .contains("only be modified during role creation"));
        let e = h
            .call(Update, "role/ghost/role-id", json!({"role_id": "x"}))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(
            h.call(Read, "role/ghost", Value::Null)
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn legacy_fields_and_warnings() {
        let h = approle().await;
        let resp = h
            .call(
                Update,
                "role/web",
                json!({"token_type": "default-service",
            "period": "1h", "policies": "Z,y", "token_max_ttl": "1000h", "junk": 1}),
            )
            .await
            .unwrap();
        assert_eq!(resp.warnings.len(), 3, "{:?}", resp.warnings);
        assert!(resp.warnings[0].contains("default-service has no useful meaning"));
        let d = h.data(Read, "role/web", Value::Null).await;
        assert_eq!(
            (d["period"].clone(), d["token_period"].clone()),
            (json!(3600), json!(3600))
        );
        assert_eq!(
            (d["policies"].clone(), d["token_type"].clone()),
            (json!(["y", "z"]), json!("service"))
        );
    }

    #[tokio::test]
    async fn delete_removes_everything_the_role_had() {
        let h = approle().await;
        let (role_id, secret_id, _) = h.role_with_secret("gone", json!({})).await;
        h.role_with_secret("kept", json!({})).await;
        h.call(Delete, "role/gone", Value::Null).await.unwrap();
        h.call(Delete, "role/gone", Value::Null).await.unwrap();
        let e = h.approle_login(&role_id, &secret_id).await.unwrap_err();
        assert_eq!(e.to_string(), "invalid role or secret ID");
        let stored = h.dump_storage().await;
        assert_eq!(stored.matches("secret_id/").count(), 1, "{stored}");
        assert_eq!(stored.matches("accessor/").count(), 1);
        assert_eq!(stored.matches("role_id/").count(), 1);
        // A new role of the same name starts with no secret IDs.
        h.call(Update, "role/gone", json!({})).await.unwrap();
        assert_eq!(
            h.call(List, "role/gone/secret-id", Value::Null)
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
    }
}
