//! Renewal of the tokens that role-based logins issue (AppRole, Kubernetes, JWT): as
//! Vault's `pathLoginRenew`, the role the login named must still exist, and the token is
//! renewed under the role's current token parameters.

use std::future::Future;
use tresor_sdk::{Error, LoginRecord, RenewTerms};

/// The role a login named, kept in the token's metadata under `key` (lower-cased, as
/// role names are stored).
fn role_name(login: &LoginRecord<'_>, key: &str) -> String {
    login
        .metadata
        .get(key)
        .map(|n| n.to_lowercase())
        .unwrap_or_default()
}

/// The refusal when that role was deleted since the login.
fn role_gone(name: &str) -> Error {
    Error::bad_request(format!("role {name:?} does not exist during renewal"))
}

/// The terms of the role the login named under `key`, as `load` finds them by name
/// (`None`: no such role), or the refusal when it is gone.
pub async fn role_terms<F, Fut>(
    login: &LoginRecord<'_>,
    key: &str,
    load: F,
) -> Result<Option<RenewTerms>, Error>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<Option<RenewTerms>, Error>>,
{
    let name = role_name(login, key);
    let terms = match crate::names::valid_name(&name) {
        true => load(name.clone()).await?,
        false => None,
    };
    terms.map(Some).ok_or_else(|| role_gone(&name))
}

#[cfg(test)]
mod tests {
    use crate::testkit::{messages, Harness};
    use serde_json::{json, Value};
    use std::collections::BTreeMap;
    use std::time::Duration;
    use tresor_sdk::{BackendRequest, Data, Error, LoginRecord, Operation, RenewTerms};

    /// The core's renewal call for a token whose login named `role` under `key`.
    async fn renew(h: &Harness, key: &str, role: &str) -> Result<Option<RenewTerms>, Error> {
        let data = Data::new();
        let req = BackendRequest {
            id: "renew",
            operation: Operation::Update,
            path: "login",
            data: &data,
            mount: &h.mount,
            token_hash: None,
            client_addr: Some(crate::testkit::CLIENT),
            display_name: "",
            peer_certificates: &[],
        };
        let metadata = BTreeMap::from([(key.to_owned(), role.to_owned())]);
        let record = LoginRecord {
            metadata: &metadata,
            policies: &[],
            path: "login",
            internal_data: &BTreeMap::new(),
        };
        h.backend.renew_login(&req, &record).await
    }

    /// A role is written with `body`, renewal answers its terms, a later edit changes
    /// them, and once it is deleted renewal is refused.
    async fn check(h: &Harness, key: &str, body: Value) {
        let edit = |ttl: &str| {
            let mut b = body.clone();
            b["token_ttl"] = json!(ttl);
            b["token_max_ttl"] = json!("2h");
            b
        };
        h.call(Operation::Update, "role/web", edit("30m"))
            .await
            .unwrap();
        let terms = |ttl| {
            Some(RenewTerms {
                ttl: Duration::from_secs(ttl),
                max_ttl: Duration::from_secs(7200),
                period: Duration::ZERO,
            })
        };
        assert_eq!(renew(h, key, "Web").await.unwrap(), terms(1800), "{key}");
        h.call(Operation::Update, "role/web", edit("10m"))
            .await
            .unwrap();
        assert_eq!(renew(h, key, "web").await.unwrap(), terms(600), "{key}");
        h.call(Operation::Delete, "role/web", Value::Null)
            .await
            .unwrap();
        let e = renew(h, key, "web").await.unwrap_err();
        assert_eq!(
            messages(&e),
            [r#"role "web" does not exist during renewal"#]
        );
        let e = renew(h, key, "").await.unwrap_err();
        assert_eq!(messages(&e), [r#"role "" does not exist during renewal"#]);
    }

    #[tokio::test]
    async fn approle_renewal_needs_the_role_and_takes_its_terms() {
        let h = crate::testkit::approle().await;
        check(&h, "role_name", json!({})).await;
    }

    #[tokio::test]
    async fn kubernetes_renewal_needs_the_role_and_takes_its_terms() {
        let h = Harness::new(crate::kubernetes::factory, "kubernetes").await;
        let role =
            json!({"bound_service_account_names": "app", "bound_service_account_namespaces": "ns"});
        check(&h, "role", role).await;
    }

    #[tokio::test]
    async fn jwt_renewal_needs_the_role_and_takes_its_terms() {
        let h = Harness::new(crate::jwt::factory, "jwt").await;
        let role = json!({"role_type": "jwt", "user_claim": "sub", "bound_audiences": "a"});
        check(&h, "role", role).await;
    }
}
