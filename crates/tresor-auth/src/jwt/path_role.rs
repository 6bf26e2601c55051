//! `role/<name>` (create, read, update, delete) and `LIST role`. Names are lower-cased.

use super::model::{self, Role};
use super::{role_fields, JwtAuth, LEGACY};
use crate::names::path_name;
use tresor_sdk::duration::format_go;
use tresor_sdk::fields::u64_field;
use tresor_sdk::framework::Fields;
use tresor_sdk::{BackendRequest, Data, Error, Response, Value};
use tresor_storage::Backend;

pub async fn read(b: &JwtAuth, name: &str) -> Result<Response, Error> {
    let role = model::load_role(&b.storage, &path_name(name)?)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Response::data(to_data(&role)))
}

fn opt_list(v: &Option<Vec<String>>) -> Value {
    v.clone().map_or(Value::Null, Value::from)
}

fn to_data(r: &Role) -> Data {
    let mut d = Data::new();
    d.insert("role_type".into(), r.role_type.clone().into());
    d.insert("expiration_leeway".into(), r.expiration_leeway.into());
    d.insert("not_before_leeway".into(), r.not_before_leeway.into());
    d.insert("clock_skew_leeway".into(), r.clock_skew_leeway.into());
    d.insert("bound_audiences".into(), opt_list(&r.bound_audiences));
    d.insert("bound_subject".into(), r.bound_subject.clone().into());
    d.insert(
        "bound_claims_type".into(),
        r.bound_claims_type.clone().into(),
    );
    d.insert(
        "bound_claims".into(),
        r.bound_claims.clone().map_or(Value::Null, Value::Object),
    );
    let mappings = r.claim_mappings.as_ref().map_or(Value::Null, |m| {
        Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                .collect(),
        )
    });
    d.insert("claim_mappings".into(), mappings);
    d.insert("oauth2_metadata".into(), Value::Null);
    d.insert("user_claim".into(), r.user_claim.clone().into());
    d.insert(
        "user_claim_json_pointer".into(),
        r.user_claim_json_pointer.into(),
    );
    d.insert("groups_claim".into(), r.groups_claim.clone().into());
    d.insert(
        "allowed_redirect_uris".into(),
        opt_list(&r.allowed_redirect_uris),
    );
    d.insert("callback_mode".into(), r.callback_mode.clone().into());
    d.insert("oidc_scopes".into(), opt_list(&r.oidc_scopes));
    d.insert("verbose_oidc_logging".into(), r.verbose_oidc_logging.into());
    d.insert("max_age".into(), r.max_age.into());
    d.insert("token_policies_template_claims".into(), false.into());
    d.insert(
        "oidc_disable_confirmation".into(),
        r.oidc_disable_confirmation.into(),
    );
    if r.poll_interval > 0 {
        d.insert("poll_interval".into(), r.poll_interval.into());
    }
    r.token.to_data(&mut d);
    if r.legacy_num_uses > 0 {
        d.insert("num_uses".into(), r.legacy_num_uses.into());
    }
    d
}

pub async fn list(b: &JwtAuth, rest: &str) -> Result<Response, Error> {
    if !rest.is_empty() {
        return Err(Error::UnsupportedPath);
    }
    let keys = b.storage.list("role/").await?;
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    let mut data = Data::new();
    data.insert("keys".into(), Value::from(keys));
    Ok(Response::data(data))
}

pub async fn delete(b: &JwtAuth, name: &str) -> Result<Response, Error> {
    let name = path_name(name)?;
    let _writes = b.writes.lock().await;
    b.storage.delete(&model::role_key(&name)).await?;
    Ok(Response::empty())
}

/// The legacy `num_uses` (Vault's `tokenutil.UpgradeValue`): the new name wins.
fn legacy_num_uses(role: &mut Role, data: &Data) -> Result<(), Error> {
    let old = u64_field(data, "num_uses")?;
    match (data.contains_key("token_num_uses"), old) {
        (true, Some(_)) => role.legacy_num_uses = role.token.num_uses,
        (true, None) => role.legacy_num_uses = 0,
        (false, Some(n)) => {
            role.legacy_num_uses = n;
            role.token.num_uses = n;
        }
        (false, None) => {}
    }
    Ok(())
}

pub async fn write(
    b: &JwtAuth,
    req: &BackendRequest<'_>,
    name: &str,
    fields: &Fields,
) -> Result<Response, Error> {
    let name = path_name(name)?;
    let _writes = b.writes.lock().await;
    let mut role = model::load_role(&b.storage, &name)
        .await?
        .unwrap_or_default();
    role.token.parse_update_with(req.data, LEGACY)?;
    legacy_num_uses(&mut role, req.data)?;
    let max = req.mount.max_lease_ttl;
    if role.token.period > max.as_secs() {
        return Err(Error::bad_request(format!(
            "'period' of '{:?}' is greater than the backend's maximum lease TTL of '{:?}'",
            format_go(std::time::Duration::from_secs(role.token.period)),
            format_go(max)
        )));
    }
    role_fields::apply(&mut role, fields, req.data)?;
    role_fields::check(&role)?;
    let mut resp = Response::empty();
    if role.token.max_ttl > max.as_secs() {
        resp.warnings.push("token max ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated".to_owned());
    }
    if role.verbose_oidc_logging {
        resp.warnings.push("verbose_oidc_logging has been enabled for this role. This is not recommended in production since sensitive information may be present in OIDC responses.".to_owned());
    }
    model::save_role(&b.storage, &name, &role).await?;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use crate::jwt::testkit::jwt_mount;
    use crate::testkit::messages;
    use serde_json::json;
    use tresor_sdk::{ErrorKind, Operation::*, Value};

    #[tokio::test]
    async fn crud_and_vaults_read_shape() {
        let h = jwt_mount().await;
        let body = json!({"role_type": "jwt", "user_claim": "sub", "bound_audiences": "a1,a2",
            "bound_claims": {"team": ["x", "y"]}, "claim_mappings": {"email": "mail"},
            "clock_skew_leeway": "-1", "expiration_leeway": "1m", "token_policies": "dev",
            "num_uses": 3, "groups_claim": "groups", "junk": 1});
        let resp = h.call(Update, "role/Dev", body).await.unwrap();
        assert_eq!(
            resp.warnings,
            ["Endpoint ignored these unrecognized parameters: [junk]"]
        );
        let d = h.data(Read, "role/dev", Value::Null).await;
        let mut keys: Vec<&str> = d.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "allowed_redirect_uris",
                "bound_audiences",
                "bound_claims",
                "bound_claims_type",
                "bound_subject",
                "callback_mode",
                "claim_mappings",
                "clock_skew_leeway",
                "expiration_leeway",
                "groups_claim",
                "max_age",
                "not_before_leeway",
                "num_uses",
                "oauth2_metadata",
                "oidc_disable_confirmation",
                "oidc_scopes",
                "role_type",
                "token_bound_cidrs",
                "token_explicit_max_ttl",
                "token_max_ttl",
                "token_no_default_policy",
                "token_num_uses",
                "token_period",
                "token_policies",
                "token_policies_template_claims",
                "token_strictly_bind_ip",
                "token_ttl",
                "token_type",
                "user_claim",
                "user_claim_json_pointer",
                "verbose_oidc_logging"
            ]
        );
        assert_eq!(d["bound_audiences"], json!(["a1", "a2"]));
        assert_eq!(
            (
                d["clock_skew_leeway"].clone(),
                d["expiration_leeway"].clone()
            ),
            (json!(-1), json!(60))
        );
        assert_eq!(
            (
                d["not_before_leeway"].clone(),
                d["allowed_redirect_uris"].clone()
            ),
            (json!(0), Value::Null)
        );
        assert_eq!(
            (d["bound_claims_type"].clone(), d["callback_mode"].clone()),
            (json!("string"), json!("client"))
        );
        assert_eq!(
            (d["token_num_uses"].clone(), d["num_uses"].clone()),
            (json!(3), json!(3))
        );
        assert_eq!(d["claim_mappings"], json!({"email": "mail"}));
        assert_eq!(
            h.data(List, "role", Value::Null).await["keys"],
            json!(["dev"])
        );
        assert_eq!(
            h.data(List, "role/", Value::Null).await["keys"],
            json!(["dev"])
        );
        // An update keeps what it does not name (role_type must be repeated, as in Vault).
        h.call(
            Update,
            "role/dev",
            json!({"role_type": "jwt", "token_ttl": 60}),
        )
        .await
        .unwrap();
        let d = h.data(Read, "role/dev", Value::Null).await;
        assert_eq!(
            (d["token_ttl"].clone(), d["user_claim"].clone()),
            (json!(60), json!("sub"))
        );
        h.call(Delete, "role/dev", Value::Null).await.unwrap();
        let e = h.call(Read, "role/dev", Value::Null).await.unwrap_err();
        assert_eq!((e.kind(), messages(&e).len()), (ErrorKind::NotFound, 0));
        assert_eq!(
            h.call(List, "role", Value::Null).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn writes_check_their_input() {
        let h = jwt_mount().await;
        for (body, msg) in [
            (json!({"user_claim": "sub"}), "'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified."),
            (json!({"role_type": "jwt"}), "a user claim must be defined on the role"),
            (json!({"role_type": "jwt", "user_claim": "sub"}), "must have at least one bound constraint when creating/updating a role"),
            (json!({"role_type": "xx"}), "invalid 'role_type': xx"),
            (json!({"role_type": "jwt", "user_claim": "sub", "bound_subject": "s", "bound_claims_type": "bad"}), "invalid 'bound_claims_type': bad"),
            (json!({"role_type": "jwt", "user_claim": "sub", "bound_claims_type": "glob", "bound_claims": {"a": 1}}), "claim is not a string: 1"),
            (json!({"role_type": "jwt", "user_claim": "sub", "bound_subject": "s", "claim_mappings": {"a": "role"}}), "metadata key \"role\" is reserved"),
            (json!({"role_type": "jwt", "user_claim": "sub", "bound_subject": "s", "token_period": "10000h"}), "'period' of '\"10000h0m0s\"' is greater than the backend's maximum lease TTL of '\"768h0m0s\"'"),
            (json!({"role_type": "jwt", "user_claim": "sub", "bound_subject": "s", "clock_skew_leeway": "abc"}), "time: invalid duration \"abc\""),
            (json!({"role_type": "jwt", "user_claim": "sub", "bound_subject": "s", "callback_mode": "device"}), "not supported"),
        ] {
            let e = h.call(Update, "role/r", body.clone()).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadRequest, "{body}");
            assert!(e.to_string().contains(msg), "{body}: {e}");
        }
        assert!(
            h.call(Read, "role/r", Value::Null).await.is_err(),
            "nothing was stored"
        );
        let ok = json!({"user_claim": "sub", "allowed_redirect_uris": "http://localhost:8250/oidc/callback",
            "token_max_ttl": "10000h", "bound_cidrs": "10.0.0.0/8"});
        let resp = h.call(Update, "role/o", ok).await.unwrap();
        assert_eq!(resp.warnings.len(), 1, "{:?}", resp.warnings);
        let d = h.data(Read, "role/o", Value::Null).await;
        assert_eq!(
            (d["role_type"].clone(), d["bound_cidrs"].clone()),
            (json!("oidc"), json!(["10.0.0.0/8"]))
        );
        assert_eq!(
            h.call(Update, "role/a%20b", json!({}))
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
    }
}
