//! `users/<name>` (create, read, update, delete), `users/<name>/password`,
//! `users/<name>/policies` and `LIST users`. Names are lower-cased; reads never show a
//! password or its hash.

use super::model::{self, UserEntry};
use super::password::{self, StoredHash};
use super::{Userpass, LEGACY};
use crate::names::path_name;
use tresor_sdk::fields::string_list_field;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Operation, Response, Value};
use tresor_storage::Backend;

pub async fn read(up: &Userpass, name: &str) -> Result<Response, Error> {
    let name = path_name(name)?;
    let user = model::load(&up.storage, &name)
        .await?
        .ok_or(Error::NotFound)?;
    let mut data = Data::new();
    user.token.to_data(&mut data);
    Ok(Response::data(data))
}

pub async fn delete(up: &Userpass, name: &str) -> Result<Response, Error> {
    let name = path_name(name)?;
    let _writes = up.writes.lock().await;
    up.storage.delete(&model::user_key(&name)).await?;
    Ok(Response::empty())
}

pub async fn list(up: &Userpass, rest: &str) -> Result<Response, Error> {
    if !rest.is_empty() {
        return Err(Error::UnsupportedPath);
    }
    let keys = up.storage.list("user/").await?;
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    let mut data = Data::new();
    data.insert("keys".into(), Value::from(keys));
    Ok(Response::data(data))
}

/// The new hash a write asks for: exactly one of `password` and `password_hash`, when
/// `required`; `None` when neither is given and none is required.
async fn new_hash(fields: &Fields, required: bool) -> Result<Option<StoredHash>, Error> {
    let password = fields.str("password").filter(|p| !p.is_empty());
    let imported = fields.str("password_hash").filter(|p| !p.is_empty());
    match (password, imported) {
        (Some(_), Some(_)) => Err(Error::bad_request(
            "only one of password or password_hash may be provided",
        )),
        (None, None) if required => Err(Error::bad_request(
            "must provide either password or password_hash",
        )),
        (None, None) => Ok(None),
        (Some(p), None) => Ok(Some(password::hash(p.into()).await?)),
        (None, Some(h)) => password::import_bcrypt(h).map(Some),
    }
}

pub async fn write(
    up: &Userpass,
    name: &str,
    op: Operation,
    fields: &Fields,
    data: &Data,
) -> Result<Response, Error> {
    let name = path_name(name)?;
    let hash = new_hash(fields, op == Operation::Create).await?;
    let _writes = up.writes.lock().await;
    let existing = model::load(&up.storage, &name).await?;
    if existing.is_none() && hash.is_none() {
        return Err(Error::bad_request(
            "must provide either password or password_hash",
        ));
    }
    let mut user = existing.unwrap_or_default();
    user.token.parse_update_with(data, LEGACY)?;
    if hash.is_some() {
        user.password_hash = hash;
    }
    model::save(&up.storage, &name, &user).await?;
    Ok(Response::empty())
}

async fn existing(up: &Userpass, name: &str) -> Result<UserEntry, Error> {
    model::load(&up.storage, name)
        .await?
        .ok_or_else(|| Error::bad_request("username does not exist"))
}

pub async fn set_password(up: &Userpass, name: &str, fields: &Fields) -> Result<Response, Error> {
    let name = path_name(name)?;
    existing(up, &name).await?;
    let hash = new_hash(fields, true).await?;
    let _writes = up.writes.lock().await;
    let mut user = existing(up, &name).await?;
    user.password_hash = hash;
    model::save(&up.storage, &name, &user).await?;
    Ok(Response::empty())
}

/// Vault's `policyutil.ParsePolicies`: trimmed, lower-cased, sorted, deduplicated.
fn parse_policies(data: &Data, key: &str) -> Result<Option<Vec<String>>, Error> {
    Ok(string_list_field(data, key)?.map(|list| {
        let mut out: Vec<String> = list
            .iter()
            .map(|p| p.trim().to_lowercase())
            .filter(|p| !p.is_empty())
            .collect();
        if out.iter().any(|p| p == "root") {
            return vec!["root".to_owned()];
        }
        out.sort();
        out.dedup();
        out
    }))
}

pub async fn set_policies(up: &Userpass, name: &str, data: &Data) -> Result<Response, Error> {
    let name = path_name(name)?;
    let new = parse_policies(data, "token_policies")?;
    let old = parse_policies(data, "policies")?;
    let _writes = up.writes.lock().await;
    let mut user = existing(up, &name).await?;
    let t = &mut user.token;
    match (new, old) {
        (Some(p), old) => {
            t.legacy.policies = if old.is_some() { p.clone() } else { Vec::new() };
            t.policies = p;
        }
        (None, Some(p)) => {
            t.legacy.policies = p.clone();
            t.policies = p;
        }
        (None, None) => {}
    }
    model::save(&up.storage, &name, &user).await?;
    Ok(Response::empty())
}

#[cfg(test)]
mod tests {
    use crate::testkit::{messages, userpass};
    use serde_json::json;
    use tresor_sdk::{ErrorKind, Operation::*, Value};

    #[tokio::test]
    async fn crud_lower_cases_names_and_never_shows_secrets() {
        let h = userpass().await;
        let body = json!({"password": "canary-pw", "token_policies": "A, b ", "token_ttl": "1h",
            "token_bound_cidrs": "127.0.0.1/32"});
        h.call(Update, "users/Alice", body).await.unwrap();
        let d = h.data(Read, "users/ALICE", Value::Null).await;
        let mut keys: Vec<&str> = d.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
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
            (d["token_policies"].clone(), d["token_ttl"].clone()),
            (json!(["A", "b"]), json!(3600))
        );
        assert_eq!(d["token_bound_cidrs"], json!(["127.0.0.1"]));
        assert_eq!(
            h.data(List, "users", Value::Null).await["keys"],
            json!(["alice"])
        );
        assert_eq!(
            h.data(List, "users/", Value::Null).await["keys"],
            json!(["alice"])
        );
        // An update without a password keeps it.
        h.call(Update, "users/alice", json!({"token_ttl": 60}))
            .await
            .unwrap();
        assert!(h
            .call(Update, "login/alice", json!({"password": "canary-pw"}))
            .await
            .is_ok());
        let stored = h.dump_storage().await;
        assert!(!stored.contains("canary-pw") && stored.contains("$argon2id$"));
        assert!(!format!("{:?}", h.backend).contains("argon2"));
        h.call(Delete, "users/alice", Value::Null).await.unwrap();
        h.call(Delete, "users/alice", Value::Null).await.unwrap();
        let e = h.call(Read, "users/alice", Value::Null).await.unwrap_err();
        assert_eq!((e.kind(), messages(&e).len()), (ErrorKind::NotFound, 0));
        assert_eq!(
            h.call(List, "users", Value::Null).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn writes_check_their_input() {
        let h = userpass().await;
        for (path, body, msg) in [
            (
                "users/bob",
                json!({}),
                "must provide either password or password_hash",
            ),
            (
                "users/bob",
                json!({"password": "a", "password_hash": "b"}),
                "only one of password or password_hash may be provided",
            ),
            (
                "users/bob",
                json!({"password_hash": "b"}),
                "password_hash is not a valid bcrypt hash",
            ),
            (
                "users/bob",
                json!({"password": "x", "token_type": "batch", "token_num_uses": 3}),
                "limited use count",
            ),
            (
                "users/bob",
                json!({"password": "x", "token_bound_cidrs": "nope"}),
                "error parsing address",
            ),
            (
                "users/bob/password",
                json!({"password": "x"}),
                "username does not exist",
            ),
            (
                "users/bob/policies",
                json!({"policies": "x"}),
                "username does not exist",
            ),
        ] {
            let e = h.call(Update, path, body).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadRequest, "{path}");
            assert!(e.to_string().contains(msg), "{path}: {e}");
        }
        assert!(
            h.call(Read, "users/bob", Value::Null).await.is_err(),
            "nothing was stored"
        );
        for bad in ["users/-x", "users/a%20b", "login/a.b."] {
            let e = h
                .call(Update, bad, json!({"password": "x"}))
                .await
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::NotFound, "{bad}");
        }
        let resp = h
            .call(
                Update,
                "users/bob",
                json!({"password": "x", "junk": 1, "ttl": 5}),
            )
            .await
            .unwrap();
        assert_eq!(
            resp.warnings,
            ["Endpoint ignored these unrecognized parameters: [junk]"]
        );
    }

    #[tokio::test]
    async fn password_and_policies_endpoints() {
        let h = userpass().await;
        h.call(Update, "users/carol", json!({"password": "old"}))
            .await
            .unwrap();
        h.call(Update, "users/carol/password", json!({"password": "new"}))
            .await
            .unwrap();
        assert!(h
            .call(Update, "login/carol", json!({"password": "old"}))
            .await
            .is_err());
        assert!(h
            .call(Update, "login/carol", json!({"password": "new"}))
            .await
            .is_ok());
        let e = h
            .call(Update, "users/carol/password", json!({}))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "must provide either password or password_hash"
        );
        h.call(
            Update,
            "users/carol/policies",
            json!({"token_policies": "B,a"}),
        )
        .await
        .unwrap();
        let d = h.data(Read, "users/carol", Value::Null).await;
        assert_eq!(d["token_policies"], json!(["a", "b"]));
        assert!(!d.contains_key("policies"));
        h.call(Update, "users/carol/policies", json!({"policies": "z"}))
            .await
            .unwrap();
        assert_eq!(
            h.data(Read, "users/carol", Value::Null).await["policies"],
            json!(["z"])
        );
    }

    #[tokio::test]
    async fn legacy_fields_show_while_set() {
        let h = userpass().await;
        h.call(
            Update,
            "users/dan",
            json!({"password": "x", "policies": "B,a", "ttl": 60,
            "max_ttl": "2m", "bound_cidrs": "10.0.0.5/8"}),
        )
        .await
        .unwrap();
        let d = h.data(Read, "users/dan", Value::Null).await;
        assert_eq!(
            (
                d["policies"].clone(),
                d["ttl"].clone(),
                d["max_ttl"].clone()
            ),
            (json!(["a", "b"]), json!(60), json!(120))
        );
        assert_eq!(d["bound_cidrs"], json!(["10.0.0.5/8"]));
        h.call(Update, "users/dan", json!({"token_policies": "x"}))
            .await
            .unwrap();
        let d = h.data(Read, "users/dan", Value::Null).await;
        assert!(!d.contains_key("policies") && d.contains_key("ttl"));
    }

    #[tokio::test]
    async fn imported_bcrypt_hash_logs_in_and_is_upgraded() {
        let h = userpass().await;
        let hash = bcrypt::hash("imported-pw", 5).unwrap();
        h.call(Update, "users/erin", json!({"password_hash": hash}))
            .await
            .unwrap();
        assert!(h.dump_storage().await.contains("$2b$05$"));
        assert!(h
            .call(Update, "login/erin", json!({"password": "bad"}))
            .await
            .is_err());
        assert!(
            h.dump_storage().await.contains("$2b$05$"),
            "no upgrade on a failed login"
        );
        h.call(Update, "login/erin", json!({"password": "imported-pw"}))
            .await
            .unwrap();
        let stored = h.dump_storage().await;
        assert!(!stored.contains("$2b$") && stored.contains("$argon2id$"));
        assert!(h
            .call(Update, "login/erin", json!({"password": "imported-pw"}))
            .await
            .is_ok());
    }
}
