//! `role/<name>/secret-id/{lookup,destroy}` (by secret ID) and
//! `role/<name>/secret-id-accessor/{lookup,destroy}` (by accessor).
//!
//! An accessor names a secret ID of one role only: used under another role it finds
//! nothing there, and changes nothing.

use super::keys::secret_key;
use super::model::{self, AccessorEntry, RoleEntry, SecretIdEntry};
use super::path_secret_id::role_missing;
use super::AppRole;
use crate::names::path_name;
use tresor_sdk::framework::Fields;
use tresor_sdk::stored::get_json;
use tresor_sdk::{Data, Error, Response};
use tresor_storage::{Backend, Op};

/// The role named in the path; a missing role is a 400, as Vault answers (with a 500).
async fn role(ar: &AppRole, name: &str) -> Result<RoleEntry, Error> {
    model::load_role(&ar.storage, name)
        .await?
        .ok_or_else(|| role_missing(name))
}

fn required<'f>(fields: &'f Fields, key: &str) -> Result<&'f str, Error> {
    fields
        .str(key)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::bad_request(format!("missing {key}")))
}

/// The deletes that remove every secret ID of `role` and their accessors.
pub async fn flush_ops(ar: &AppRole, role: &RoleEntry) -> Result<Vec<Op>, Error> {
    let prefix = role.secret_prefix()?;
    let mut ops = Vec::new();
    for hmac in ar.storage.list(&prefix).await? {
        let key = format!("{prefix}{hmac}");
        if let Some(e) = get_json::<SecretIdEntry>(&ar.storage, &key).await? {
            ops.push(Op::Delete {
                key: ar.accessor_key(&e.secret_id_accessor).await?,
            });
        }
        ops.push(Op::Delete { key });
    }
    Ok(ops)
}

/// Removes one secret ID and its accessor together.
pub async fn remove(ar: &AppRole, key: String, entry: &SecretIdEntry) -> Result<(), Error> {
    let accessor = ar.accessor_key(&entry.secret_id_accessor).await?;
    ar.storage
        .batch(vec![Op::Delete { key }, Op::Delete { key: accessor }])
        .await?;
    Ok(())
}

pub async fn lookup(ar: &AppRole, name: &str, fields: &Fields) -> Result<Response, Error> {
    let name = path_name(name)?;
    let secret_id = required(fields, "secret_id")?;
    let _role = ar.lock_role(&name).await?;
    let role = role(ar, &name).await?;
    let (_, key) = role.locate(secret_id)?;
    let Some(entry) = get_json::<SecretIdEntry>(&ar.storage, &key).await? else {
        return Ok(Response::empty());
    };
    let accessor = ar.accessor_key(&entry.secret_id_accessor).await?;
    if ar.storage.get(&accessor).await?.is_none() {
        // A secret ID without its accessor is revoked at once.
        ar.storage.delete(&key).await?;
        return Err(Error::bad_request("invalid secret id"));
    }
    Ok(Response::data(entry.to_data()))
}

pub async fn destroy(ar: &AppRole, name: &str, fields: &Fields) -> Result<Response, Error> {
    let name = path_name(name)?;
    let secret_id = required(fields, "secret_id")?;
    let _role = ar.lock_role(&name).await?;
    let role = role(ar, &name).await?;
    let (_, key) = role.locate(secret_id)?;
    if let Some(entry) = get_json::<SecretIdEntry>(&ar.storage, &key).await? {
        remove(ar, key, &entry).await?;
    }
    Ok(Response::empty())
}

enum ByAccessor {
    Found {
        key: String,
        entry: Box<SecretIdEntry>,
    },
    /// No such accessor, or one whose secret ID is gone.
    Missing,
    /// The accessor names a secret ID of another role.
    OtherRole,
}

async fn by_accessor(ar: &AppRole, role: &RoleEntry, accessor: &str) -> Result<ByAccessor, Error> {
    let index = ar.accessor_key(accessor).await?;
    let Some(acc) = get_json::<AccessorEntry>(&ar.storage, &index).await? else {
        return Ok(ByAccessor::Missing);
    };
    let role_hmac = role.role_name_hmac()?;
    if !tresor_crypto::secret::ct_eq(acc.role_name_hmac.as_bytes(), role_hmac.as_bytes()) {
        return Ok(ByAccessor::OtherRole);
    }
    let key = secret_key(&role_hmac, &acc.secret_id_hmac);
    Ok(match get_json::<SecretIdEntry>(&ar.storage, &key).await? {
        Some(entry) if entry.secret_id_accessor == accessor => ByAccessor::Found {
            key,
            entry: Box::new(entry),
        },
        Some(_) => ByAccessor::OtherRole,
        None => ByAccessor::Missing,
    })
}

fn not_found_message(accessor: &str) -> String {
    let shown: String = accessor.chars().take(128).collect();
    format!("failed to find accessor entry for secret_id_accessor: {shown:?}")
}

pub async fn accessor_lookup(ar: &AppRole, name: &str, fields: &Fields) -> Result<Response, Error> {
    let name = path_name(name)?;
    let accessor = required(fields, "secret_id_accessor")?;
    let _role = ar.lock_role(&name).await?;
    let role = role(ar, &name).await?;
    match by_accessor(ar, &role, accessor).await? {
        ByAccessor::Found { entry, .. } => Ok(Response::data(entry.to_data())),
        // Vault's 404 with the message in the data; another role's accessor looks the
        // same as an unknown one.
        ByAccessor::Missing | ByAccessor::OtherRole => {
            let mut data = Data::new();
            data.insert("error".into(), not_found_message(accessor).into());
            Ok(Response {
                status: Some(404),
                ..Response::data(data)
            })
        }
    }
}

pub async fn accessor_destroy(
    ar: &AppRole,
    name: &str,
    fields: &Fields,
) -> Result<Response, Error> {
    let name = path_name(name)?;
    let accessor = required(fields, "secret_id_accessor")?;
    let _role = ar.lock_role(&name).await?;
    let role = role(ar, &name).await?;
    match by_accessor(ar, &role, accessor).await? {
        ByAccessor::Found { key, entry } => {
            remove(ar, key, &entry).await?;
            Ok(Response::empty())
        }
        ByAccessor::Missing => Err(Error::bad_request(not_found_message(accessor))),
        ByAccessor::OtherRole => Err(Error::Forbidden("invalid secret id accessor".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::{approle, s};
    use serde_json::json;
    use tresor_sdk::{ErrorKind, Operation::*, Value};

    #[tokio::test]
    async fn lookup_and_destroy_by_secret_id() {
        let h = approle().await;
        let (role_id, secret, accessor) = h.role_with_secret("web", json!({})).await;
        let d = h
            .data(
                Update,
                "role/web/secret-id/lookup",
                json!({"secret_id": secret}),
            )
            .await;
        let mut keys: Vec<&str> = d.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "cidr_list",
                "creation_time",
                "expiration_time",
                "last_updated_time",
                "metadata",
                "secret_id_accessor",
                "secret_id_num_uses",
                "secret_id_ttl",
                "token_bound_cidrs"
            ]
        );
        assert_eq!(
            (s(&d["secret_id_accessor"]), d["expiration_time"].clone()),
            (accessor, json!("0001-01-01T00:00:00Z"))
        );
        assert_eq!(d["creation_time"], "2027-01-15T08:00:00Z");
        let none = h
            .call(
                Update,
                "role/web/secret-id/lookup",
                json!({"secret_id": "nope"}),
            )
            .await
            .unwrap();
        assert!(none.is_empty());
        let e = h
            .call(Update, "role/web/secret-id/lookup", json!({}))
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "missing secret_id");
        h.call(
            Delete,
            "role/web/secret-id/destroy",
            json!({"secret_id": secret}),
        )
        .await
        .unwrap();
        h.call(
            Update,
            "role/web/secret-id/destroy",
            json!({"secret_id": secret}),
        )
        .await
        .unwrap();
        assert!(h.approle_login(&role_id, &secret).await.is_err());
        let stored = h.dump_storage().await;
        assert!(
            !stored.contains("secret_id/") && !stored.contains("accessor/"),
            "{stored}"
        );
        let e = h
            .call(
                Update,
                "role/ghost/secret-id/destroy",
                json!({"secret_id": "x"}),
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.to_string()),
            (
                ErrorKind::BadRequest,
                "role \"ghost\" does not exist".into()
            )
        );
    }

    #[tokio::test]
    async fn accessor_lookup_and_destroy() {
        let h = approle().await;
        let (role_id, secret, accessor) = h.role_with_secret("web", json!({})).await;
        let d = h
            .data(
                Update,
                "role/web/secret-id-accessor/lookup",
                json!({"secret_id_accessor": accessor}),
            )
            .await;
        assert_eq!(s(&d["secret_id_accessor"]), accessor);
        let missing = h
            .call(
                Update,
                "role/web/secret-id-accessor/lookup",
                json!({"secret_id_accessor": "nope"}),
            )
            .await
            .unwrap();
        assert_eq!(missing.status, Some(404));
        assert_eq!(
            missing.data.unwrap()["error"],
            "failed to find accessor entry for secret_id_accessor: \"nope\""
        );
        let e = h
            .call(
                Update,
                "role/web/secret-id-accessor/destroy",
                json!({"secret_id_accessor": "nope"}),
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadRequest);
        h.call(
            Update,
            "role/web/secret-id-accessor/destroy",
            json!({"secret_id_accessor": accessor}),
        )
        .await
        .unwrap();
        assert!(h.approle_login(&role_id, &secret).await.is_err());
    }

    /// SECURITY row 9 (CVE-2023-24999): an accessor used under another role finds nothing
    /// there, is refused with a 4xx, and changes nothing.
    #[tokio::test]
    async fn another_roles_accessor_is_refused_without_side_effects() {
        let h = approle().await;
        h.role_with_secret("a", json!({})).await;
        let (b_role_id, b_secret, b_accessor) = h.role_with_secret("b", json!({})).await;
        let before = h.dump_storage().await;
        let body = json!({"secret_id_accessor": b_accessor});
        for op in [Update, Delete] {
            let e = h
                .call(op, "role/a/secret-id-accessor/destroy", body.clone())
                .await
                .unwrap_err();
            assert_eq!(
                (e.kind(), e.to_string()),
                (
                    ErrorKind::PermissionDenied,
                    "invalid secret id accessor".into()
                )
            );
        }
        let looked = h
            .call(Update, "role/a/secret-id-accessor/lookup", body.clone())
            .await
            .unwrap();
        assert_eq!(looked.status, Some(404));
        // Nor does a secret ID of b mean anything under a.
        let other = json!({"secret_id": b_secret});
        assert!(h
            .call(Update, "role/a/secret-id/lookup", other.clone())
            .await
            .unwrap()
            .is_empty());
        h.call(Update, "role/a/secret-id/destroy", other)
            .await
            .unwrap();
        assert_eq!(h.dump_storage().await, before, "no side effects");
        assert!(h
            .approle_login(&b_role_id, &b_secret)
            .await
            .unwrap()
            .login
            .is_some());
        let listed = h.data(List, "role/a/secret-id", Value::Null).await;
        assert!(!listed["keys"]
            .as_array()
            .unwrap()
            .contains(&json!(b_accessor)));
    }
}
