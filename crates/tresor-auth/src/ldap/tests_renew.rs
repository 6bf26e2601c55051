//! Renewal of LDAP tokens against a real slapd.

use super::test_slapd::{self, SERVICE_DN, SERVICE_PW};
use super::tests_login::{mount, ok};
use crate::testkit::{Harness, CLIENT};
use serde_json::json;
use tresor_sdk::{BackendRequest, Data, Error, Login, LoginRecord, Operation::Update, RenewTerms};

async fn renew(h: &Harness, login: &Login) -> Result<Option<RenewTerms>, Error> {
    let data = Data::new();
    let req = BackendRequest {
        id: "renew",
        operation: Update,
        path: "login/alice",
        data: &data,
        mount: &h.mount,
        token_hash: None,
        client_addr: Some(CLIENT),
        display_name: "",
        peer_certificates: &[],
    };
    let record = LoginRecord {
        metadata: &login.metadata,
        policies: &login.policies,
        path: "login/alice",
        internal_data: &login.internal_data,
    };
    h.backend.renew_login(&req, &record).await
}

#[tokio::test]
async fn renewal_rechecks_user_and_policies() {
    let Some(slapd) = test_slapd::start() else {
        return;
    };
    let cfg = json!({"binddn": SERVICE_DN, "bindpass": SERVICE_PW, "token_policies": "base"});
    let h = mount(&slapd, cfg).await;
    h.call(Update, "groups/devs", json!({"policies": "dev"}))
        .await
        .unwrap();
    let login = ok(&h, "alice", "alice-pw").await;
    assert_eq!(login.policies, ["base", "dev"]);
    renew(&h, &login).await.unwrap();

    h.call(Update, "groups/ops", json!({"policies": "ops"}))
        .await
        .unwrap();
    let e = renew(&h, &login).await.unwrap_err();
    assert_eq!(e.to_string(), "policies have changed, not renewing");

    let mut gone = login.clone();
    gone.metadata.insert("username".into(), "nobody".into());
    let e = renew(&h, &gone).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "ldap operation failed: failed to look up the user"
    );

    // Building DNs, the directory cannot be read without the password: not checked.
    let plain = mount(&slapd, json!({})).await;
    let login = ok(&plain, "alice", "alice-pw").await;
    plain
        .call(Update, "groups/ops", json!({"policies": "ops"}))
        .await
        .unwrap();
    assert!(renew(&plain, &login).await.is_ok());
}
