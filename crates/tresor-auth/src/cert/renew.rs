//! Token renewal for cert logins, as Vault's `pathLoginRenew`: the entry must still
//! exist with the same policies and, unless `config.disable_binding`, the renewal's TLS
//! connection must present the login's certificate (CVE-2026-39388), which must still
//! verify against that entry (chain, constraints, CRLs).
//!
//! "The login's certificate" is judged from what the token keeps, its metadata: the
//! presented leaf must have the recorded serial, authority key ID, subject key ID and
//! common name. Under one issuer (the chain is verified against the same entry) a serial
//! names one certificate, so another valid certificate (a re-issued one included) is
//! refused. Vault compares the full DER kept in the token's internal data; the SDK's
//! `LoginRecord` has no such data yet.

use super::inspect::{hex_colons, CertInfo};
use super::model;
use super::path_login::verify_credentials;
use super::verify;
use super::CertAuth;
use crate::names::{same_policies, valid_name};
use std::collections::BTreeMap;
use tresor_crypto::secret::ct_eq;
use tresor_sdk::{BackendRequest, Error, LoginRecord};

const NOT_SAME: &str =
    "client identity during renewal not matching client identity used during login";

/// Whether `leaf` is the certificate the login recorded in `metadata`.
fn same_certificate(leaf: &CertInfo, metadata: &BTreeMap<String, String>) -> bool {
    let recorded = |key: &str| metadata.get(key).map(String::as_bytes);
    [
        ("serial_number", leaf.serial.clone()),
        ("authority_key_id", hex_colons(&leaf.authority_key_id)),
        ("subject_key_id", hex_colons(&leaf.subject_key_id)),
        ("common_name", leaf.common_name.clone()),
    ]
    .iter()
    .all(|(key, now)| recorded(key).is_some_and(|was| ct_eq(was, now.as_bytes())))
}

pub async fn renew(
    ca: &CertAuth,
    req: &BackendRequest<'_>,
    login: &LoginRecord<'_>,
) -> Result<(), Error> {
    let config = model::load_config(&ca.storage).await?;
    let name = login.metadata.get("cert_name").map_or("", String::as_str);
    let entry = match valid_name(name) {
        true => model::load_cert(&ca.storage, &name.to_lowercase()).await?,
        false => None,
    }
    .ok_or_else(|| {
        Error::bad_request("the certificate entry of this login no longer exists; not renewing")
    })?;
    if !same_policies(&entry.token.policies, login.policies) {
        return Err(Error::bad_request("policies have changed, not renewing"));
    }
    if config.disable_binding {
        return Ok(());
    }
    let presented = verify::presented(req.peer_certificates)?;
    verify_credentials(ca, &presented, Some(name)).await?;
    if !same_certificate(&presented.leaf, login.metadata) {
        return Err(Error::Forbidden(NOT_SAME.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cert::test_pki::*;
    use crate::testkit::{messages, Harness};
    use serde_json::json;
    use std::collections::BTreeMap;
    use tresor_sdk::{BackendRequest, Error, ErrorKind, LoginRecord, Operation::*, Value};

    struct Token {
        metadata: BTreeMap<String, String>,
        policies: Vec<String>,
    }

    /// Logs in with `leaf`; keeps what the core keeps with the token.
    async fn login_token(h: &Harness, leaf: &Leaf) -> Token {
        let l = login(h, one(leaf), None).await.unwrap().login.unwrap();
        let mut policies = l.policies.clone();
        policies.push("default".to_owned());
        Token {
            metadata: l.metadata,
            policies,
        }
    }

    /// The core's renewal call, over a connection presenting `chain`.
    async fn renew(h: &Harness, t: &Token, chain: &[Vec<u8>]) -> Result<(), Error> {
        let data = tresor_sdk::Data::new();
        let req = BackendRequest {
            id: "test-renew",
            operation: Update,
            path: "login",
            data: &data,
            mount: &h.mount,
            token_hash: None,
            client_addr: Some(crate::testkit::CLIENT),
            display_name: "cert-web",
            peer_certificates: chain,
        };
        let record = LoginRecord {
            metadata: &t.metadata,
            policies: &t.policies,
            path: "login",
        };
        h.backend.renew_login(&req, &record).await
    }

    /// SECURITY row 4 (CVE-2026-39388): renewal needs the login's own certificate.
    #[tokio::test]
    async fn renewal_requires_the_same_certificate() {
        let h = mount().await;
        let ca = root("Test CA");
        trust(&h, "web", &ca.pem(), json!({"token_policies": "dev"})).await;
        let mine = sign(&leaf_params("svc", 1), &ca, None);
        let t = login_token(&h, &mine).await;
        renew(&h, &t, one(&mine)).await.unwrap();

        // Another valid certificate of the same entry, same name; then one re-issued for
        // the same key under a new serial.
        let other = sign(&leaf_params("svc", 2), &ca, None);
        let reissued = sign(&leaf_params("svc", 3), &ca, Some(same_key(&mine.key)));
        for chain in [[other.der.clone()], [reissued.der.clone()]] {
            assert!(login(&h, &chain, None).await.is_ok(), "valid for login");
            let e = renew(&h, &t, &chain).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PermissionDenied);
            assert_eq!(messages(&e), [super::NOT_SAME]);
        }
        // Same serial and name from another key: its key IDs differ.
        let twin = sign(&leaf_params("svc", 1), &ca, None);
        assert_eq!(
            renew(&h, &t, &[twin.der]).await.unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
        let e = renew(&h, &t, &[]).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.to_string()),
            (ErrorKind::BadRequest, super::super::verify::NO_CERT.into())
        );

        // With binding off, any certificate (or none) renews.
        h.call(Update, "config", json!({"disable_binding": true}))
            .await
            .unwrap();
        renew(&h, &t, one(&other)).await.unwrap();
        renew(&h, &t, &[]).await.unwrap();
    }

    #[tokio::test]
    async fn renewal_rechecks_the_entry_and_the_crls() {
        let h = mount().await;
        let ca = root("Test CA");
        trust(&h, "web", &ca.pem(), json!({"token_policies": "dev"})).await;
        let leaf = sign(&leaf_params("svc", 5), &ca, None);
        let chain = [leaf.der.clone()];
        let t = login_token(&h, &leaf).await;
        renew(&h, &t, &chain).await.unwrap();
        h.call(Update, "crls/main", json!({"crl": crl(&ca, &[5])}))
            .await
            .unwrap();
        assert!(renew(&h, &t, &chain).await.is_err(), "revoked");
        h.call(Delete, "crls/main", Value::Null).await.unwrap();
        renew(&h, &t, &chain).await.unwrap();

        trust(&h, "web", &ca.pem(), json!({"token_policies": "dev,ops"})).await;
        let e = renew(&h, &t, &chain).await.unwrap_err();
        assert_eq!(e.to_string(), "policies have changed, not renewing");
        let constrained = json!({"token_policies": "DEV", "allowed_common_names": "x"});
        trust(&h, "web", &ca.pem(), constrained).await;
        assert!(renew(&h, &t, &chain).await.is_err(), "constraints");
        h.call(Delete, "certs/web", Value::Null).await.unwrap();
        let e = renew(&h, &t, &chain).await.unwrap_err();
        assert!(e.to_string().contains("no longer exists"), "{e}");
    }
}
