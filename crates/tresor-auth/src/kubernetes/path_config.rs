//! `config`: where the cluster is and how tokens are verified. A write replaces the
//! whole configuration, as in Vault (an omitted field takes its default); a read never
//! shows the reviewer JWT, only whether it is set.

use super::api::{base_url, ca_certificates};
use super::keys::KeySet;
use super::model::{self, Config};
use super::Kubernetes;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Error, Response};

pub async fn read(k: &Kubernetes) -> Result<Response, Error> {
    let config = model::load_config(&k.storage)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Response::data(config.to_data()))
}

pub async fn write(k: &Kubernetes, fields: &Fields) -> Result<Response, Error> {
    let text = |name: &str| fields.str(name).unwrap_or("").to_owned();
    let host = text("kubernetes_host");
    if host.is_empty() {
        return Err(Error::bad_request("no host provided"));
    }
    base_url(&host).map_err(Error::bad_request)?;
    let ca = text("kubernetes_ca_cert");
    if !ca.is_empty() {
        ca_certificates(ca.as_bytes()).map_err(Error::bad_request)?;
    }
    let pem_keys: Vec<String> = fields
        .list("pem_keys")
        .unwrap_or_default()
        .iter()
        .filter(|k| !k.trim().is_empty())
        .cloned()
        .collect();
    KeySet::parse(&pem_keys).map_err(Error::bad_request)?;
    if fields.bool("use_annotations_as_alias_metadata") == Some(true) {
        return Err(Error::bad_request(
            "use_annotations_as_alias_metadata is not supported",
        ));
    }
    let config = Config {
        kubernetes_host: host,
        kubernetes_ca_cert: ca,
        token_reviewer_jwt: text("token_reviewer_jwt").trim().to_owned().into(),
        pem_keys,
        issuer: text("issuer"),
        disable_iss_validation: fields.bool("disable_iss_validation").unwrap_or(true),
        disable_local_ca_jwt: fields.bool("disable_local_ca_jwt").unwrap_or(false),
    };
    model::save_config(&k.storage, &config).await?;
    Ok(Response::empty())
}

#[cfg(test)]
mod tests {
    use crate::kubernetes::test_cluster::{mount, SigningKey};
    use serde_json::json;
    use tresor_sdk::{ErrorKind, Operation::*, Value};

    #[tokio::test]
    async fn write_then_read_in_vaults_shape() {
        let (h, _dir) = mount().await;
        let e = h.call(Read, "config", Value::Null).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let key = SigningKey::ec();
        let body = json!({"kubernetes_host": "https://k8s.example:6443",
            "token_reviewer_jwt": "reviewer-canary", "pem_keys": [key.public_pem()],
            "issuer": "https://kubernetes.default.svc.cluster.local"});
        h.call(Update, "config", body).await.unwrap();
        let d = h.data(Read, "config", Value::Null).await;
        let mut keys: Vec<&str> = d.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "disable_iss_validation",
                "disable_local_ca_jwt",
                "issuer",
                "kubernetes_ca_cert",
                "kubernetes_host",
                "pem_keys",
                "token_reviewer_jwt_set",
                "use_annotations_as_alias_metadata"
            ]
        );
        assert_eq!(d["disable_iss_validation"], true, "Vault's default");
        assert_eq!(d["disable_local_ca_jwt"], false);
        assert_eq!(d["token_reviewer_jwt_set"], true);
        assert_eq!(d["pem_keys"], json!([key.public_pem()]));
        assert_eq!(d["kubernetes_ca_cert"], "");
        assert!(!serde_json::to_string(&d)
            .unwrap()
            .contains("reviewer-canary"));
        assert!(!format!("{:?}", h.backend).contains("reviewer-canary"));
        // A write replaces the whole configuration.
        h.call(Update, "config", json!({"kubernetes_host": "k8s.example"}))
            .await
            .unwrap();
        let d = h.data(Read, "config", Value::Null).await;
        assert_eq!(
            (d["token_reviewer_jwt_set"].clone(), d["pem_keys"].clone()),
            (json!(false), json!([]))
        );
    }

    #[tokio::test]
    async fn writes_check_their_input() {
        let (h, _dir) = mount().await;
        for (body, msg) in [
            (json!({}), "no host provided"),
            (
                json!({"kubernetes_host": "http://k8s.example"}),
                "must use https",
            ),
            (
                json!({"kubernetes_host": "k8s", "kubernetes_ca_cert": "junk"}),
                "The provided CA PEM data contains no valid certificates",
            ),
            (
                json!({"kubernetes_host": "k8s", "pem_keys": "junk"}),
                "data does not contain any valid RSA or ECDSA public keys",
            ),
            (
                json!({"kubernetes_host": "k8s", "use_annotations_as_alias_metadata": true}),
                "not supported",
            ),
        ] {
            let e = h.call(Update, "config", body.clone()).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadRequest, "{body}");
            assert!(e.to_string().contains(msg), "{body}: {e}");
        }
        assert!(h.call(Read, "config", Value::Null).await.is_err());
    }
}
