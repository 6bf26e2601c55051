//! `role/<name>` (create, read, update, delete) and `LIST role`. Names are lower-cased.

use super::model::{self, Role, ALIAS_SA_NAME, ALIAS_SA_UID};
use super::{selector, Kubernetes, LEGACY};
use crate::names::path_name;
use tresor_sdk::duration::format_go;
use tresor_sdk::framework::Fields;
use tresor_sdk::{BackendRequest, Data, Error, Response, Value};
use tresor_storage::Backend;

pub async fn read(k: &Kubernetes, name: &str) -> Result<Response, Error> {
    let role = model::load_role(&k.storage, &path_name(name)?)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Response::data(role.to_data()))
}

pub async fn delete(k: &Kubernetes, name: &str) -> Result<Response, Error> {
    let name = path_name(name)?;
    let _roles = k.roles.lock().await;
    k.storage.delete(&model::role_key(&name)).await?;
    Ok(Response::empty())
}

pub async fn list(k: &Kubernetes) -> Result<Response, Error> {
    let keys = k.storage.list("role/").await?;
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    let mut data = Data::new();
    data.insert("keys".into(), Value::from(keys));
    Ok(Response::data(data))
}

/// A list field, trimmed, without empty entries.
fn cleaned(list: &[String]) -> Vec<String> {
    list.iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn mixes_star(list: &[String]) -> bool {
    list.len() > 1 && list.iter().any(|s| s == "*")
}

pub async fn write(
    k: &Kubernetes,
    req: &BackendRequest<'_>,
    name: &str,
    fields: &Fields,
) -> Result<Response, Error> {
    let name = path_name(name)?;
    let _roles = k.roles.lock().await;
    let mut role = model::load_role(&k.storage, &name)
        .await?
        .unwrap_or_default();
    let mut resp = Response::empty();
    token_fields(&mut role, req, fields, &mut resp)?;
    bindings(&mut role, fields)?;
    if let Some(aud) = fields.str("audience") {
        role.audience = aud.to_owned();
    }
    if role.audience.trim().is_empty() {
        resp.warnings.push(format!("Role {name} does not have an audience configured. While audiences are not required, consider specifying one if your use case would benefit from additional JWT claim verification."));
    }
    match fields.str("alias_name_source") {
        Some("") | None if role.alias_name_source.is_empty() => {
            role.alias_name_source = ALIAS_SA_UID.to_owned();
        }
        Some(source) => role.alias_name_source = source.to_owned(),
        None => {}
    }
    if ![ALIAS_SA_UID, ALIAS_SA_NAME].contains(&role.alias_name_source.as_str()) {
        return Err(Error::bad_request(format!(
            "invalid alias_name_source, must be one of: {ALIAS_SA_UID}, {ALIAS_SA_NAME}"
        )));
    }
    model::save_role(&k.storage, &name, &role).await?;
    Ok(resp)
}

/// The token parameters (with the legacy names, `num_uses` among them) and their bounds.
fn token_fields(
    role: &mut Role,
    req: &BackendRequest<'_>,
    fields: &Fields,
    resp: &mut Response,
) -> Result<(), Error> {
    role.token.parse_update_with(req.data, LEGACY)?;
    let legacy_uses = fields.int("num_uses");
    if let Some(n) = legacy_uses {
        let n = u64::try_from(n).map_err(|_| Error::bad_request("num_uses cannot be negative"))?;
        if req.data.contains_key("token_num_uses") {
            role.legacy_num_uses = role.token.num_uses;
        } else {
            role.token.num_uses = n;
            role.legacy_num_uses = n;
        }
    } else if req.data.contains_key("token_num_uses") {
        role.legacy_num_uses = 0;
    }
    let max = req.mount.max_lease_ttl;
    if role.token.period > max.as_secs() {
        return Err(Error::bad_request(format!(
            "token period of '{:?}' is greater than the backend's maximum lease TTL of '{:?}'",
            format_go(std::time::Duration::from_secs(role.token.period)),
            format_go(max)
        )));
    }
    if role.token.max_ttl > max.as_secs() {
        resp.warnings.push("max_ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated".to_owned());
    }
    Ok(())
}

/// The service-account name and namespace bindings, checked as Vault checks them.
fn bindings(role: &mut Role, fields: &Fields) -> Result<(), Error> {
    if let Some(names) = fields.list("bound_service_account_names") {
        role.bound_service_account_names = cleaned(names);
    }
    if role.bound_service_account_names.is_empty() {
        return Err(Error::bad_request(
            "\"bound_service_account_names\" can not be empty",
        ));
    }
    if mixes_star(&role.bound_service_account_names) {
        return Err(Error::bad_request("can not mix \"*\" with values"));
    }
    if let Some(namespaces) = fields.list("bound_service_account_namespaces") {
        role.bound_service_account_namespaces = cleaned(namespaces);
    }
    role.bound_service_account_namespace_selector = fields
        .str("bound_service_account_namespace_selector")
        .unwrap_or("")
        .trim()
        .to_owned();
    let selector = &role.bound_service_account_namespace_selector;
    if role.bound_service_account_namespaces.is_empty() && selector.is_empty() {
        return Err(Error::bad_request("\"bound_service_account_namespaces\" can not be empty if \"bound_service_account_namespace_selector\" is not set"));
    }
    if !selector.is_empty() && selector::parse(selector).is_none() {
        return Err(Error::bad_request(
            "invalid \"bound_service_account_namespace_selector\" configured (give a JSON object with matchLabels only)",
        ));
    }
    if mixes_star(&role.bound_service_account_namespaces) {
        return Err(Error::bad_request("can not mix \"*\" with values"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::kubernetes::test_cluster::mount;
    use serde_json::json;
    use tresor_sdk::{ErrorKind, Operation::*, Value};

    #[tokio::test]
    async fn crud_in_vaults_shape() {
        let (h, _dir) = mount().await;
        let body = json!({"bound_service_account_names": "web, api-*",
            "bound_service_account_namespaces": ["default", "team-*"],
            "token_policies": "a,b", "token_ttl": "1h", "audience": "vault"});
        let resp = h.call(Update, "role/Web", body).await.unwrap();
        assert!(resp.warnings.is_empty(), "{:?}", resp.warnings);
        let d = h.data(Read, "role/web", Value::Null).await;
        assert_eq!(d["bound_service_account_names"], json!(["web", "api-*"]));
        assert_eq!(
            d["bound_service_account_namespaces"],
            json!(["default", "team-*"])
        );
        assert_eq!(d["bound_service_account_namespace_selector"], "");
        assert_eq!(d["audience"], "vault");
        assert_eq!(d["alias_name_source"], "serviceaccount_uid");
        assert_eq!(
            (d["token_policies"].clone(), d["token_ttl"].clone()),
            (json!(["a", "b"]), json!(3600))
        );
        assert!(!d.contains_key("policies") && !d.contains_key("num_uses"));
        // An update keeps what it does not set; the selector is always rewritten.
        let resp = h
            .call(
                Update,
                "role/web",
                json!({"alias_name_source": "serviceaccount_name", "audience": "",
                    "num_uses": 3, "junk": 1}),
            )
            .await
            .unwrap();
        assert_eq!(resp.warnings.len(), 2, "{:?}", resp.warnings);
        assert!(resp.warnings[0].contains("does not have an audience configured"));
        assert!(resp.warnings[1].contains("[junk]"));
        let d = h.data(Read, "role/web", Value::Null).await;
        assert_eq!(d["alias_name_source"], "serviceaccount_name");
        assert_eq!(
            (d["num_uses"].clone(), d["token_num_uses"].clone()),
            (json!(3), json!(3))
        );
        assert!(!d.contains_key("audience"));
        assert_eq!(d["bound_service_account_names"], json!(["web", "api-*"]));
        h.call(
            Update,
            "role/other",
            json!({"bound_service_account_names": "*",
            "bound_service_account_namespace_selector": "{\"matchLabels\":{\"a\":\"b\"}}"}),
        )
        .await
        .unwrap();
        let d = h.data(Read, "role/other", Value::Null).await;
        assert_eq!(d["bound_service_account_namespaces"], Value::Null);
        assert_eq!(
            h.data(List, "role", Value::Null).await["keys"],
            json!(["other", "web"])
        );
        assert_eq!(
            h.data(List, "role/", Value::Null).await["keys"],
            json!(["other", "web"])
        );
        h.call(Delete, "role/web", Value::Null).await.unwrap();
        h.call(Delete, "role/other", Value::Null).await.unwrap();
        let e = h.call(Read, "role/web", Value::Null).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = h.call(List, "role", Value::Null).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn writes_check_their_input() {
        let (h, _dir) = mount().await;
        let ns = json!("default");
        for (body, msg) in [
            (json!({"bound_service_account_namespaces": ns}), "\"bound_service_account_names\" can not be empty"),
            (json!({"bound_service_account_names": "", "bound_service_account_namespaces": ns}), "can not be empty"),
            (json!({"bound_service_account_names": "*,web", "bound_service_account_namespaces": ns}), "can not mix \"*\" with values"),
            (json!({"bound_service_account_names": "web"}), "\"bound_service_account_namespaces\" can not be empty if \"bound_service_account_namespace_selector\" is not set"),
            (json!({"bound_service_account_names": "web", "bound_service_account_namespaces": "*,a"}), "can not mix"),
            (json!({"bound_service_account_names": "web", "bound_service_account_namespace_selector": "matchLabels:\n  a: b"}), "invalid \"bound_service_account_namespace_selector\" configured"),
            (json!({"bound_service_account_names": "web", "bound_service_account_namespace_selector": "{\"matchExpressions\":[]}"}), "invalid \"bound_service_account_namespace_selector\""),
            (json!({"bound_service_account_names": "web", "bound_service_account_namespaces": ns, "alias_name_source": "pod"}), "invalid alias_name_source, must be one of: serviceaccount_uid, serviceaccount_name"),
            (json!({"bound_service_account_names": "web", "bound_service_account_namespaces": ns, "token_period": "800h"}), "greater than the backend's maximum lease TTL"),
            (json!({"bound_service_account_names": "web", "bound_service_account_namespaces": ns, "token_ttl": 10, "token_max_ttl": 5}), "cannot be greater than"),
            (json!({"bound_service_account_names": "web", "bound_service_account_namespaces": ns, "num_uses": -1}), "cannot be negative"),
        ] {
            let e = h.call(Update, "role/r", body.clone()).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadRequest, "{body}");
            assert!(e.to_string().contains(msg), "{body}: {e}");
        }
        assert_eq!(
            h.call(Read, "role/r", Value::Null)
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound,
            "nothing was stored"
        );
        let e = h.call(Update, "role/-x", json!({})).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }
}
