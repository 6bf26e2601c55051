//! `role/<name>/secret-id` (generate; `LIST`: the accessors) and
//! `role/<name>/custom-secret-id`.

use super::keys::MAX_HMAC_INPUT;
use super::model::{self, AccessorEntry, RoleEntry, SecretIdEntry};
use super::path_role::cidr_blocks;
use super::AppRole;
use crate::names::{path_name, random_uuid};
use std::collections::BTreeMap;
use std::time::Duration;
use tresor_sdk::framework::Fields;
use tresor_sdk::stored::{encode, get_json};
use tresor_sdk::token_params::Cidr;
use tresor_sdk::{rfc3339, BackendRequest, Data, Error, Response, Value};
use tresor_storage::{Backend, Op};

/// Vault's check that a secret ID's CIDR blocks lie within the role's.
fn check_subset(role_blocks: &[String], secret_blocks: &[String]) -> Result<(), Error> {
    if role_blocks.is_empty() || secret_blocks.is_empty() {
        return Ok(());
    }
    let outer: Vec<Cidr> = role_blocks
        .iter()
        .filter_map(|b| Cidr::parse_addr(b).ok())
        .collect();
    let covered = secret_blocks
        .iter()
        .all(|b| Cidr::parse_block(b).is_ok_and(|inner| outer.iter().any(|o| o.covers(&inner))));
    if covered {
        return Ok(());
    }
    Err(Error::bad_request(format!(
        "failed to verify subset relationship between CIDR blocks on the role {role_blocks:?} and CIDR blocks on the secret ID {secret_blocks:?}"
    )))
}

/// Vault's `ParseArbitraryKeyValues`: a JSON object of strings, or `k1=v1,k2=v2`.
fn parse_metadata(input: Option<&str>) -> Result<BTreeMap<String, String>, Error> {
    let input = input.unwrap_or("").trim();
    if input.is_empty() {
        return Ok(BTreeMap::new());
    }
    if let Ok(map) = serde_json::from_str::<BTreeMap<String, String>>(input) {
        return Ok(map);
    }
    let invalid = || {
        Error::bad_request(
            "failed to parse metadata: failed to parse the input: invalid <key,value> format",
        )
    };
    input
        .split(',')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
            _ => Err(invalid()),
        })
        .collect()
}

/// The uses and lifetime a new secret ID gets: the request's, within the role's limits.
fn uses_and_ttl(role: &RoleEntry, fields: &Fields) -> Result<(u64, u64), Error> {
    let limit = role.secret_id_num_uses;
    let uses = match fields.int("num_uses") {
        None => limit,
        Some(n) => {
            let n =
                u64::try_from(n).map_err(|_| Error::bad_request("num_uses cannot be negative"))?;
            if limit > 0 && (n == 0 || n > limit) {
                return Err(Error::bad_request(
                    "num_uses cannot be higher than the role's secret_id_num_uses",
                ));
            }
            n
        }
    };
    let role_ttl = role.secret_id_ttl;
    let ttl = match fields.duration("ttl").map(|d| d.as_secs()) {
        None => role_ttl,
        Some(t) if role_ttl > 0 && (t == 0 || t > role_ttl) => {
            return Err(Error::bad_request(
                "ttl cannot be longer than the role's secret_id_ttl",
            ))
        }
        Some(t) => t,
    };
    Ok((uses, ttl))
}

pub(super) fn role_missing(name: &str) -> Error {
    Error::bad_request(format!("role {name:?} does not exist"))
}

pub async fn generate(
    ar: &AppRole,
    req: &BackendRequest<'_>,
    name: &str,
    fields: &Fields,
    custom: Option<&str>,
) -> Result<Response, Error> {
    let name = path_name(name)?;
    let secret_id = match custom {
        None => random_uuid()?,
        Some("") => return Err(Error::bad_request("missing secret_id")),
        Some(s) if s.len() > MAX_HMAC_INPUT => {
            return Err(Error::bad_request(format!(
                "secret_id is longer than maximum of {MAX_HMAC_INPUT} bytes"
            )))
        }
        Some(s) => s.to_owned(),
    };
    let _role = ar.lock_role(&name).await?;
    let role = model::load_role(&ar.storage, &name)
        .await?
        .ok_or(Error::UnsupportedPath)?;
    if !role.bind_secret_id {
        return Err(Error::bad_request("bind_secret_id is not set on the role"));
    }
    let empty = Vec::new();
    let cidr_list = cidr_blocks(fields.list("cidr_list").unwrap_or(&empty), "CIDR blocks")?;
    check_subset(&role.secret_id_bound_cidrs, &cidr_list)?;
    let token_cidrs = fields.list("token_bound_cidrs").unwrap_or(&empty);
    let token_cidrs = cidr_blocks(token_cidrs, "token CIDR blocks")?;
    let role_token_cidrs: Vec<String> =
        role.token.bound_cidrs.iter().map(Cidr::to_string).collect();
    check_subset(&role_token_cidrs, &token_cidrs)?;
    let (uses, ttl) = uses_and_ttl(&role, fields)?;
    let metadata = parse_metadata(fields.str("metadata"))?;
    // A lifetime past the mount's maximum is cut to it; 0 never expires.
    let effective = ttl.min(req.mount.max_lease_ttl.as_secs());
    let now = ar.now();
    let entry = SecretIdEntry {
        secret_id_accessor: random_uuid()?,
        secret_id_num_uses: uses,
        secret_id_ttl: ttl,
        creation_time: rfc3339(now),
        expiration_time: if effective == 0 {
            String::new()
        } else {
            rfc3339(now + Duration::from_secs(effective))
        },
        last_updated_time: rfc3339(now),
        metadata,
        cidr_list,
        token_bound_cidrs: token_cidrs,
    };
    let (secret_hmac, key) = role.locate(&secret_id)?;
    if ar.storage.get(&key).await?.is_some() {
        return Err(Error::bad_request(
            "failed to store secret_id: SecretID is already registered",
        ));
    }
    let accessor = AccessorEntry {
        secret_id_hmac: secret_hmac,
        role_name_hmac: role.role_name_hmac()?,
    };
    ar.storage
        .batch(vec![
            Op::Put {
                key,
                value: encode(&entry)?,
            },
            Op::Put {
                key: ar.accessor_key(&entry.secret_id_accessor).await?,
                value: encode(&accessor)?,
            },
        ])
        .await?;
    let mut data = Data::new();
    data.insert("secret_id".into(), secret_id.into());
    data.insert("secret_id_accessor".into(), entry.secret_id_accessor.into());
    data.insert("secret_id_num_uses".into(), uses.into());
    data.insert("secret_id_ttl".into(), effective.into());
    Ok(Response::data(data))
}

/// The accessors of the role's secret IDs.
pub async fn list(ar: &AppRole, name: &str) -> Result<Response, Error> {
    let name = path_name(name)?;
    let _role = ar.lock_role(&name).await?;
    let role = model::load_role(&ar.storage, &name)
        .await?
        .ok_or_else(|| role_missing(&name))?;
    let prefix = role.secret_prefix()?;
    let mut accessors = Vec::new();
    for hmac in ar.storage.list(&prefix).await? {
        let key = format!("{prefix}{hmac}");
        if let Some(e) = get_json::<SecretIdEntry>(&ar.storage, &key).await? {
            accessors.push(e.secret_id_accessor);
        }
    }
    if accessors.is_empty() {
        return Err(Error::NotFound);
    }
    let mut data = Data::new();
    data.insert("keys".into(), Value::from(accessors));
    Ok(Response::data(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_forms() {
        let m = parse_metadata(Some(r#"{"env":"prod"}"#)).unwrap();
        assert_eq!(m.get("env").map(String::as_str), Some("prod"));
        let m = parse_metadata(Some("a=1, b = 2")).unwrap();
        assert_eq!((m["a"].as_str(), m["b"].as_str()), ("1", "2"));
        assert!(parse_metadata(None).unwrap().is_empty());
        assert!(parse_metadata(Some("notjson")).is_err());
        assert!(parse_metadata(Some(r#"{"a":1}"#)).is_err());
    }

    #[test]
    fn subsets() {
        let role = vec!["10.0.0.0/8".to_owned(), "127.0.0.1".to_owned()];
        assert!(check_subset(&role, &["10.1.0.0/16".into(), "127.0.0.1/32".into()]).is_ok());
        assert!(check_subset(&role, &["11.0.0.0/8".into()]).is_err());
        assert!(check_subset(&role, &["10.0.0.0/7".into()]).is_err());
        assert!(check_subset(&[], &["11.0.0.0/8".into()]).is_ok());
    }
}

#[cfg(test)]
mod backend_tests {
    use crate::testkit::{approle, s};
    use serde_json::json;
    use tresor_sdk::{ErrorKind, Operation::*, Value};

    #[tokio::test]
    async fn generate_list_and_custom() {
        let h = approle().await;
        h.call(
            Update,
            "role/web",
            json!({"secret_id_ttl": "10m", "secret_id_num_uses": 2}),
        )
        .await
        .unwrap();
        let d = h
            .data(
                Update,
                "role/web/secret-id",
                json!({"metadata": "{\"env\":\"prod\"}"}),
            )
            .await;
        let mut keys: Vec<&str> = d.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "secret_id",
                "secret_id_accessor",
                "secret_id_num_uses",
                "secret_id_ttl"
            ]
        );
        assert_eq!(
            (d["secret_id_num_uses"].clone(), d["secret_id_ttl"].clone()),
            (json!(2), json!(600))
        );
        let secret = s(&d["secret_id"]);
        let listed = h.data(List, "role/web/secret-id", Value::Null).await;
        assert_eq!(listed["keys"], json!([d["secret_id_accessor"]]));
        let c = h
            .data(
                Update,
                "role/web/custom-secret-id",
                json!({"secret_id": "custom-1", "ttl": 60}),
            )
            .await;
        assert_eq!(
            (c["secret_id"].clone(), c["secret_id_ttl"].clone()),
            (json!("custom-1"), json!(60))
        );
        let e = h
            .call(
                Update,
                "role/web/custom-secret-id",
                json!({"secret_id": "custom-1"}),
            )
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "failed to store secret_id: SecretID is already registered"
        );
        let stored = h.dump_storage().await;
        assert!(
            !stored.contains(&secret) && !stored.contains("custom-1"),
            "only HMACs are stored"
        );
        let accessor = s(&d["secret_id_accessor"]);
        assert!(
            !stored.contains(&format!("accessor/{accessor}")),
            "the accessor index is salted"
        );
    }

    #[tokio::test]
    async fn limits_and_errors() {
        let h = approle().await;
        h.call(
            Update,
            "role/web",
            json!({"secret_id_ttl": "10m", "secret_id_num_uses": 2,
            "secret_id_bound_cidrs": "10.0.0.0/8"}),
        )
        .await
        .unwrap();
        h.call(
            Update,
            "role/open",
            json!({"bind_secret_id": false, "secret_id_bound_cidrs": "127.0.0.1/32"}),
        )
        .await
        .unwrap();
        for (path, body, msg) in [
            (
                "role/web/secret-id",
                json!({"num_uses": 5}),
                "num_uses cannot be higher than the role's secret_id_num_uses",
            ),
            (
                "role/web/secret-id",
                json!({"num_uses": 0}),
                "num_uses cannot be higher than the role's secret_id_num_uses",
            ),
            (
                "role/web/secret-id",
                json!({"num_uses": -1}),
                "num_uses cannot be negative",
            ),
            (
                "role/web/secret-id",
                json!({"ttl": "1h"}),
                "ttl cannot be longer than the role's secret_id_ttl",
            ),
            (
                "role/web/secret-id",
                json!({"metadata": "notjson"}),
                "failed to parse metadata",
            ),
            (
                "role/web/secret-id",
                json!({"cidr_list": "bad"}),
                "failed to validate CIDR blocks: invalid CIDR address: bad",
            ),
            (
                "role/web/secret-id",
                json!({"cidr_list": "11.0.0.0/8"}),
                "failed to verify subset relationship",
            ),
            (
                "role/web/secret-id",
                json!({"token_bound_cidrs": "bad"}),
                "failed to validate token CIDR blocks",
            ),
            ("role/web/custom-secret-id", json!({}), "missing secret_id"),
            (
                "role/open/secret-id",
                json!({}),
                "bind_secret_id is not set on the role",
            ),
        ] {
            let e = h.call(Update, path, body.clone()).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadRequest, "{body}");
            assert!(e.to_string().contains(msg), "{body}: {e}");
        }
        let e = h
            .call(Update, "role/ghost/secret-id", json!({}))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = h
            .call(List, "role/ghost/secret-id", Value::Null)
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "role \"ghost\" does not exist");
        assert_eq!(
            h.call(List, "role/web/secret-id", Value::Null)
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
        let ok = h
            .data(
                Update,
                "role/web/secret-id",
                json!({"num_uses": 1, "ttl": "1m", "cidr_list": "10.1.0.0/16"}),
            )
            .await;
        assert_eq!(
            (
                ok["secret_id_num_uses"].clone(),
                ok["secret_id_ttl"].clone()
            ),
            (json!(1), json!(60))
        );
    }
}
