use crate::jwt::testkit::provider::Provider;
use crate::jwt::testkit::{jwks, jwt_mount, TestKey};
use crate::testkit::messages;
use serde_json::{json, Value};
use tresor_sdk::{ErrorKind, Operation::*};

#[tokio::test]
async fn writes_check_the_key_source() {
    let h = jwt_mount().await;
    let key = TestKey::ec("k");
    for (body, msg) in [
        (json!({}), "exactly one of 'jwt_validation_pubkeys', 'jwks_url' or 'oidc_discovery_url' must be set"),
        (json!({"jwks_url": "http://127.0.0.1:1/jwks", "jwt_validation_pubkeys": [key.pem()]}), "exactly one of"),
        (json!({"jwt_validation_pubkeys": "garbage"}), "error parsing public key: data does not contain any valid public keys"),
        (json!({"jwt_validation_pubkeys": [key.pem()], "oidc_client_id": "x"}), "both 'oidc_client_id' and 'oidc_client_secret' must be set for OIDC"),
        (json!({"jwt_validation_pubkeys": [key.pem()], "oidc_client_id": "x", "oidc_client_secret": "y"}), "'oidc_discovery_url' must be set for OIDC"),
        (json!({"oidc_discovery_url": "http://127.0.0.1:1/.well-known/openid-configuration"}), "'oidc_discovery_url' contains '.well-known' component"),
        (json!({"jwks_url": "http://127.0.0.1:1/jwks"}), "error checking jwks URL: fetching keys: connection failed"),
        (json!({"oidc_discovery_url": "http://127.0.0.1:1"}), "error checking oidc discovery URL: connection failed"),
        (json!({"jwt_validation_pubkeys": [key.pem()], "jwt_supported_algs": "RS256,ES512"}), "invalid jwt_supported_algs: unsupported signing algorithm \"ES512\""),
        (json!({"jwt_validation_pubkeys": [key.pem()], "oidc_response_mode": "form_post"}), "response_mode 'form_post' is not supported"),
        (json!({"jwt_validation_pubkeys": [key.pem()], "oidc_response_types": "id_token"}), "response type 'id_token' is not supported"),
        (json!({"jwt_validation_pubkeys": [key.pem()], "provider_config": {"provider": "azure"}}), "invalid provider_config"),
    ] {
        let e = h.call(Update, "config", body.clone()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{body}");
        assert!(e.to_string().starts_with(msg), "{body}: {e}");
    }
    assert_eq!(
        h.call(Read, "config", Value::Null)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    // skip_jwks_validation stores a config whose keys cannot be loaded now, with a warning.
    let resp = h
        .call(
            Update,
            "config",
            json!({"jwks_url": "http://127.0.0.1:1/jwks", "skip_jwks_validation": true}),
        )
        .await
        .unwrap();
    assert_eq!(resp.warnings.len(), 1);
    assert!(resp.warnings[0].starts_with("error checking jwks URL"));
}

#[tokio::test]
async fn reads_show_vaults_shape_without_the_secret() {
    let key = TestKey::rsa("k1");
    let provider = Provider::start(true, jwks(&[&key])).await;
    let h = jwt_mount().await;
    let body = json!({"oidc_discovery_url": provider.url, "oidc_discovery_ca_pem": provider.ca_pem,
        "oidc_client_id": "tresor-client", "oidc_client_secret": "client-secret-canary",
        "default_role": "Web", "jwt_supported_algs": ["RS256", "ES256"], "bound_issuer": "x", "junk": 1});
    let resp = h.call(Update, "config", body).await.unwrap();
    assert_eq!(
        resp.warnings,
        ["Endpoint ignored these unrecognized parameters: [junk]"]
    );
    assert_eq!(
        (
            provider.hits("/.well-known/openid-configuration"),
            provider.hits("/jwks")
        ),
        (1, 1)
    );
    let d = h.data(Read, "config", Value::Null).await;
    let mut keys: Vec<&str> = d.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "bound_issuer",
            "default_role",
            "jwks_ca_pem",
            "jwks_url",
            "jwt_supported_algs",
            "jwt_validation_pubkeys",
            "namespace_in_state",
            "oidc_client_id",
            "oidc_discovery_ca_pem",
            "oidc_discovery_url",
            "oidc_response_mode",
            "oidc_response_types",
            "override_allowed_server_names",
            "provider_config",
            "status"
        ]
    );
    assert_eq!(
        (d["default_role"].clone(), d["status"].clone()),
        (json!("web"), json!("valid"))
    );
    assert_eq!(
        (
            d["jwt_supported_algs"].clone(),
            d["jwt_validation_pubkeys"].clone()
        ),
        (json!(["RS256", "ES256"]), json!([]))
    );
    assert_eq!(
        (
            d["namespace_in_state"].clone(),
            d["oidc_response_types"].clone()
        ),
        (json!(true), json!([]))
    );
    let shown = format!("{d:?}{:?}", h.backend);
    assert!(
        !shown.contains("client-secret-canary"),
        "the client secret never shows"
    );
    // A write replaces the whole configuration.
    h.call(
        Update,
        "config",
        json!({"jwt_validation_pubkeys": [key.pem()]}),
    )
    .await
    .unwrap();
    let d = h.data(Read, "config", Value::Null).await;
    assert_eq!(
        (d["oidc_discovery_url"].clone(), d["default_role"].clone()),
        (json!(""), json!(""))
    );
    assert_eq!(d["jwt_validation_pubkeys"], json!([key.pem()]));
}

#[tokio::test]
async fn discovery_must_name_its_own_issuer() {
    let provider = Provider::start(false, jwks(&[&TestKey::ec("k")])).await;
    provider.state().issuer = Some("https://elsewhere.example".into());
    let h = jwt_mount().await;
    let e = h
        .call(
            Update,
            "config",
            json!({"oidc_discovery_url": provider.url}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        messages(&e),
        [format!(
            "error checking oidc discovery URL: issuer did not match the returned issuer, expected {:?} got \"https://elsewhere.example\"",
            provider.url
        )]
    );
    provider.state().issuer = None;
    h.call(
        Update,
        "config",
        json!({"oidc_discovery_url": provider.url}),
    )
    .await
    .unwrap();
    // A CA bundle that is not PEM is refused.
    let e = h
        .call(
            Update,
            "config",
            json!({"oidc_discovery_url": provider.url, "oidc_discovery_ca_pem": "junk"}),
        )
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("could not parse CA PEM value successfully"),
        "{e}"
    );
}
