//! `login`: a role ID (and, when the role binds one, a secret ID) for a token.
//!
//! Every check runs before the secret ID is used; only then does its use count go down
//! (or the secret ID go, at its last use), under the role's lock.

use super::keys::MAX_HMAC_INPUT;
use super::model::{self, RoleEntry, RoleIdEntry, SecretIdEntry};
use super::path_secret_id_manage::remove;
use super::AppRole;
use tresor_sdk::framework::Fields;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::token_params::{client_in, parse_client_addr, Cidr};
use tresor_sdk::{rfc3339, Error, Response};
use tresor_storage::Backend;

const INVALID: &str = "invalid role or secret ID";

fn invalid() -> Error {
    Error::bad_request(INVALID)
}

/// A secret ID that passed its checks: where it is and what it allows.
struct Presented {
    key: String,
    entry: SecretIdEntry,
}

pub async fn login(
    ar: &AppRole,
    fields: &Fields,
    client_addr: Option<&str>,
) -> Result<Response, Error> {
    let role_id = fields.str("role_id").unwrap_or("").trim();
    if role_id.is_empty() {
        return Err(Error::bad_request("missing role_id"));
    }
    let index = ar.role_id_key(role_id).await?;
    let Some(RoleIdEntry { name }) = get_json(&ar.storage, &index).await? else {
        return Err(invalid());
    };
    let _role = ar.lock_role(&name).await?;
    let role = model::load_role(&ar.storage, &name)
        .await?
        .filter(|r| tresor_crypto::secret::ct_eq(r.role_id.as_bytes(), role_id.as_bytes()))
        .ok_or_else(invalid)?;
    let presented = match role.bind_secret_id {
        true => Some(secret_id(ar, &role, fields).await?),
        false => None,
    };
    check_cidrs(&role, presented.as_ref(), client_addr)?;
    let mut metadata = match &presented {
        Some(p) => p.entry.metadata.clone(),
        None => Default::default(),
    };
    if let Some(p) = presented {
        consume(ar, p).await?;
    }
    metadata.insert("role_name".to_owned(), role.name.clone());
    let mut login = role.token.login("", &role.role_id, metadata);
    login.alias_metadata =
        std::collections::BTreeMap::from([("role_name".to_owned(), role.name.clone())]);
    Ok(Response {
        login: Some(login),
        ..Response::default()
    })
}

/// The secret ID the request presents, if it is one of the role's, still live.
async fn secret_id(ar: &AppRole, role: &RoleEntry, fields: &Fields) -> Result<Presented, Error> {
    let secret_id = fields.str("secret_id").unwrap_or("").trim();
    if secret_id.is_empty() {
        return Err(Error::bad_request("missing secret_id"));
    }
    if secret_id.len() > MAX_HMAC_INPUT {
        return Err(invalid());
    }
    let (_, key) = role.locate(secret_id)?;
    let entry: SecretIdEntry = get_json(&ar.storage, &key).await?.ok_or_else(invalid)?;
    let accessor = ar.accessor_key(&entry.secret_id_accessor).await?;
    if ar.storage.get(&accessor).await?.is_none() {
        ar.storage.delete(&key).await?;
        return Err(invalid());
    }
    if entry.expired(ar.now()) {
        remove(ar, key, &entry).await?;
        return Err(invalid());
    }
    Ok(Presented { key, entry })
}

fn shown_addr(client_addr: Option<&str>) -> String {
    client_addr
        .and_then(parse_client_addr)
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

fn parse_all(blocks: &[String]) -> Vec<Cidr> {
    blocks
        .iter()
        .filter_map(|b| Cidr::parse_addr(b).ok())
        .collect()
}

/// The secret ID's and the role's source-address bounds (400, as Vault), then the token
/// bounds (403: tokens cannot carry them yet, so the login itself is refused).
fn check_cidrs(
    role: &RoleEntry,
    presented: Option<&Presented>,
    client_addr: Option<&str>,
) -> Result<(), Error> {
    let addr = shown_addr(client_addr);
    if let Some(p) = presented {
        let blocks = &p.entry.cidr_list;
        if !blocks.is_empty() && !client_in(&parse_all(blocks), client_addr) {
            return Err(Error::bad_request(format!(
                "source address {addr:?} unauthorized through CIDR restrictions on the secret ID"
            )));
        }
    }
    let blocks = &role.secret_id_bound_cidrs;
    if !blocks.is_empty() && !client_in(&parse_all(blocks), client_addr) {
        return Err(Error::bad_request(format!(
            "source address {addr:?} unauthorized by CIDR restrictions on the role"
        )));
    }
    let token_blocks = match presented {
        Some(p) if !p.entry.token_bound_cidrs.is_empty() => parse_all(&p.entry.token_bound_cidrs),
        _ => role.token.bound_cidrs.clone(),
    };
    if !token_blocks.is_empty() && !client_in(&token_blocks, client_addr) {
        return Err(Error::PermissionDenied);
    }
    Ok(())
}

/// One use of the secret ID: the count goes down, or the secret ID goes at its last.
async fn consume(ar: &AppRole, p: Presented) -> Result<(), Error> {
    let Presented { key, mut entry } = p;
    match entry.secret_id_num_uses {
        0 => Ok(()),
        1 => remove(ar, key, &entry).await,
        n => {
            entry.secret_id_num_uses = n - 1;
            entry.last_updated_time = rfc3339(ar.now());
            put_json(&ar.storage, &key, &entry).await
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::{approle, messages, s};
    use serde_json::json;
    use std::sync::Arc;
    use std::time::Duration;
    use tresor_sdk::{ErrorKind, Operation::*};

    #[tokio::test]
    async fn login_answers_the_token_to_make() {
        let h = approle().await;
        let body = json!({"token_policies": "A,b", "token_ttl": "20m", "token_type": "batch"});
        h.call(Update, "role/web", body).await.unwrap();
        let rid = s(&h.data(Read, "role/web/role-id", json!(null)).await["role_id"]);
        let sid = h
            .data(
                Update,
                "role/web/secret-id",
                json!({"metadata": "env=prod"}),
            )
            .await;
        let resp = h
            .approle_login(&format!(" {rid} "), &s(&sid["secret_id"]))
            .await
            .unwrap();
        let l = resp.login.unwrap();
        assert_eq!(
            (l.policies.clone(), l.ttl, l.token_type.as_str()),
            (
                vec!["a".to_owned(), "b".to_owned()],
                Duration::from_secs(1200),
                "batch"
            )
        );
        assert_eq!(l.metadata.get("role_name").map(String::as_str), Some("web"));
        assert_eq!(l.metadata.get("env").map(String::as_str), Some("prod"));
        assert_eq!(
            (l.alias_name.as_str(), l.display_name.as_str()),
            (rid.as_str(), "")
        );
    }

    #[tokio::test]
    async fn failures_do_not_tell_which_part_was_wrong() {
        let h = approle().await;
        let (rid, sid, _) = h.role_with_secret("web", json!({})).await;
        let (other_rid, other_sid, _) = h.role_with_secret("other", json!({})).await;
        let mut answers = Vec::new();
        for (r, s) in [
            (rid.as_str(), "wrong"),
            ("nope", sid.as_str()),
            (rid.as_str(), other_sid.as_str()),
            (other_rid.as_str(), sid.as_str()),
        ] {
            let e = h.approle_login(r, s).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadRequest);
            answers.push(messages(&e));
        }
        assert!(
            answers.iter().all(|a| a == &["invalid role or secret ID"]),
            "{answers:?}"
        );
        let e = h.approle_login(&rid, "").await.unwrap_err();
        assert_eq!(e.to_string(), "missing secret_id");
        let e = h.approle_login("", &sid).await.unwrap_err();
        assert_eq!(e.to_string(), "missing role_id");
    }

    #[tokio::test]
    async fn num_uses_run_out() {
        let h = approle().await;
        let (rid, sid, _) = h
            .role_with_secret("web", json!({"secret_id_num_uses": 2}))
            .await;
        h.approle_login(&rid, &sid).await.unwrap();
        let left = h
            .data(
                Update,
                "role/web/secret-id/lookup",
                json!({"secret_id": sid}),
            )
            .await;
        assert_eq!(left["secret_id_num_uses"], 1);
        h.approle_login(&rid, &sid).await.unwrap();
        let e = h.approle_login(&rid, &sid).await.unwrap_err();
        assert_eq!(e.to_string(), "invalid role or secret ID");
        let stored = h.dump_storage().await;
        assert!(!stored.contains("secret_id/") && !stored.contains("accessor/"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_logins_use_a_secret_id_exactly_num_uses_times() {
        let h = Arc::new(approle().await);
        let (rid, sid, _) = h
            .role_with_secret("web", json!({"secret_id_num_uses": 5}))
            .await;
        let tasks: Vec<_> = (0..24)
            .map(|_| {
                let (h, rid, sid) = (h.clone(), rid.clone(), sid.clone());
                tokio::spawn(async move { h.approle_login(&rid, &sid).await.is_ok() })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.unwrap());
        }
        assert_eq!(ok, 5);
    }

    #[tokio::test]
    async fn secret_ids_expire_on_the_injected_clock() {
        let h = approle().await;
        let (rid, sid, _) = h
            .role_with_secret("web", json!({"secret_id_ttl": 60}))
            .await;
        h.clock.advance(Duration::from_secs(59));
        h.approle_login(&rid, &sid).await.unwrap();
        h.clock.advance(Duration::from_secs(1));
        let e = h.approle_login(&rid, &sid).await.unwrap_err();
        assert_eq!(e.to_string(), "invalid role or secret ID");
        assert!(
            !h.dump_storage().await.contains("secret_id/"),
            "the expired secret ID is gone"
        );
        // A TTL past the mount's maximum is cut to it.
        h.call(Update, "role/long", json!({"secret_id_ttl": "10000h"}))
            .await
            .unwrap();
        let d = h.data(Update, "role/long/secret-id", json!({})).await;
        assert_eq!(d["secret_id_ttl"], 768 * 3600);
    }

    #[tokio::test]
    async fn source_address_bounds() {
        let h = approle().await;
        let (rid, sid, _) = h
            .role_with_secret(
                "web",
                json!({"secret_id_bound_cidrs": "10.0.0.0/8", "secret_id_num_uses": 3}),
            )
            .await;
        let body = json!({"role_id": rid, "secret_id": sid});
        let e = h
            .call_from(Update, "login", body.clone(), Some("127.0.0.1"))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "source address \"127.0.0.1\" unauthorized by CIDR restrictions on the role"
        );
        assert!(h
            .call_from(Update, "login", body.clone(), None)
            .await
            .is_err());
        let left = h
            .data(
                Update,
                "role/web/secret-id/lookup",
                json!({"secret_id": sid}),
            )
            .await;
        assert_eq!(
            left["secret_id_num_uses"], 3,
            "a refused login uses nothing"
        );
        h.call_from(Update, "login", body.clone(), Some("10.1.2.3"))
            .await
            .unwrap();
        // The secret ID's own blocks.
        let d = h
            .data(
                Update,
                "role/web/secret-id",
                json!({"cidr_list": "10.1.0.0/16"}),
            )
            .await;
        let body = json!({"role_id": rid, "secret_id": d["secret_id"]});
        let e = h
            .call_from(Update, "login", body.clone(), Some("10.2.0.1"))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "source address \"10.2.0.1\" unauthorized through CIDR restrictions on the secret ID"
        );
        h.call_from(Update, "login", body, Some("10.1.0.1"))
            .await
            .unwrap();
        // Token bounds: refused with 403 (a token cannot carry them yet).
        let t = h
            .data(
                Update,
                "role/web/secret-id",
                json!({"token_bound_cidrs": "10.3.0.0/16"}),
            )
            .await;
        let e = h
            .call_from(
                Update,
                "login",
                json!({"role_id": rid, "secret_id": t["secret_id"]}),
                Some("10.1.0.1"),
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    }

    #[tokio::test]
    async fn role_without_bound_secret_id() {
        let h = approle().await;
        h.call(Update, "role/open", json!({"bind_secret_id": false, "secret_id_bound_cidrs": "127.0.0.1/32", "role_id": "open-id"})).await.unwrap();
        let l = h
            .call(Update, "login", json!({"role_id": "open-id"}))
            .await
            .unwrap()
            .login
            .unwrap();
        assert_eq!(
            l.metadata.get("role_name").map(String::as_str),
            Some("open")
        );
        assert!(h
            .call_from(
                Update,
                "login",
                json!({"role_id": "open-id"}),
                Some("127.0.0.2")
            )
            .await
            .is_err());
    }
}
