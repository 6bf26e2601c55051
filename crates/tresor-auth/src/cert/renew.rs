//! Token renewal for cert logins, as Vault's `pathLoginRenew`: the entry must still
//! exist with the same policies and, unless `config.disable_binding`, the renewal's TLS
//! connection must present the login's certificate (CVE-2026-39388), which must still
//! verify against that entry (chain, constraints, CRLs). The token is then renewed
//! under the entry's current token parameters.
//!
//! "The login's certificate" is the leaf's full DER, kept in the token's internal data.
//! Tokens issued before that was kept are judged from their metadata: the presented leaf
//! must have the recorded serial, authority key ID, subject key ID and common name.

use super::inspect::{hex_colons, CertInfo};
use super::model;
use super::path_login::{verify_credentials, LOGIN_CERTIFICATE};
use super::verify;
use super::CertAuth;
use crate::names::{same_policies, valid_name};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use tresor_crypto::secret::ct_eq;
use tresor_sdk::{BackendRequest, Error, LoginRecord, RenewTerms};

const NOT_SAME: &str =
    "client identity during renewal not matching client identity used during login";

/// Whether `leaf` is the certificate the login recorded.
fn same_certificate(leaf: &CertInfo, login: &LoginRecord<'_>) -> bool {
    if let Some(kept) = login.internal_data.get(LOGIN_CERTIFICATE) {
        return B64.decode(kept).is_ok_and(|der| ct_eq(&der, &leaf.der));
    }
    let metadata = login.metadata;
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
) -> Result<Option<RenewTerms>, Error> {
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
    let terms = Some(entry.token.renew_terms());
    if config.disable_binding {
        return Ok(terms);
    }
    let presented = verify::presented(req.peer_certificates)?;
    verify_credentials(ca, &presented, Some(name)).await?;
    if !same_certificate(&presented.leaf, login) {
        return Err(Error::Forbidden(NOT_SAME.to_owned()));
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use crate::cert::test_pki::*;
    use crate::testkit::{messages, Harness};
    use base64::Engine;
    use serde_json::json;
    use std::collections::BTreeMap;
    use std::time::Duration;
    use tresor_sdk::{
        BackendRequest, Error, ErrorKind, LoginRecord, Operation::*, RenewTerms, Value,
    };

    struct Token {
        metadata: BTreeMap<String, String>,
        policies: Vec<String>,
        internal_data: BTreeMap<String, String>,
    }

    /// Logs in with `leaf`; keeps what the core keeps with the token.
    async fn login_token(h: &Harness, leaf: &Leaf) -> Token {
        let l = login(h, one(leaf), None).await.unwrap().login.unwrap();
        let mut policies = l.policies.clone();
        policies.push("default".to_owned());
        Token {
            metadata: l.metadata,
            policies,
            internal_data: l.internal_data,
        }
    }

    /// The core's renewal call, over a connection presenting `chain`.
    async fn renew(h: &Harness, t: &Token, chain: &[Vec<u8>]) -> Result<Option<RenewTerms>, Error> {
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
            internal_data: &t.internal_data,
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
        assert_eq!(
            t.internal_data.get(super::LOGIN_CERTIFICATE),
            Some(&super::B64.encode(&mine.der)),
            "the token keeps the leaf's DER"
        );
        renew(&h, &t, one(&mine)).await.unwrap();
        // A token kept from before the DER was (metadata only) is judged the same way.
        let legacy = Token {
            internal_data: BTreeMap::new(),
            ..login_token(&h, &mine).await
        };
        renew(&h, &legacy, one(&mine)).await.unwrap();

        // Another valid certificate of the same entry, same name; then one re-issued for
        // the same key under a new serial.
        let other = sign(&leaf_params("svc", 2), &ca, None);
        let reissued = sign(&leaf_params("svc", 3), &ca, Some(same_key(&mine.key)));
        for token in [&t, &legacy] {
            for chain in [[other.der.clone()], [reissued.der.clone()]] {
                assert!(login(&h, &chain, None).await.is_ok(), "valid for login");
                let e = renew(&h, token, &chain).await.unwrap_err();
                assert_eq!(e.kind(), ErrorKind::PermissionDenied);
                assert_eq!(messages(&e), [super::NOT_SAME]);
            }
            // Same serial and name from another key: its key IDs differ.
            let twin = sign(&leaf_params("svc", 1), &ca, None);
            assert_eq!(
                renew(&h, token, &[twin.der]).await.unwrap_err().kind(),
                ErrorKind::PermissionDenied
            );
        }
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

    #[tokio::test]
    async fn renewal_answers_the_entrys_terms_of_today() {
        let h = mount().await;
        let ca = root("Test CA");
        let params = json!({"token_policies": "dev", "token_ttl": "1h", "token_max_ttl": "2h"});
        trust(&h, "web", &ca.pem(), params).await;
        let leaf = sign(&leaf_params("svc", 6), &ca, None);
        let t = login_token(&h, &leaf).await;
        let edited = json!({"token_policies": "dev", "token_ttl": "10m", "token_period": "5m"});
        trust(&h, "web", &ca.pem(), edited).await;
        let terms = renew(&h, &t, one(&leaf)).await.unwrap();
        assert_eq!(
            terms,
            Some(RenewTerms {
                ttl: Duration::from_secs(600),
                max_ttl: Duration::from_secs(7200), // kept: the update did not name it
                period: Duration::from_secs(300),
            })
        );
    }
}
