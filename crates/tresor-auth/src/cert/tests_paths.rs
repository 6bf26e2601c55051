//! `certs/`, `crls/` and `config`: Vault's shapes and input checks.

use super::test_pki::*;
use crate::testkit::messages;
use rcgen::ExtendedKeyUsagePurpose;
use serde_json::json;
use tresor_sdk::{ErrorKind, Operation::*, Value};

#[tokio::test]
async fn cert_entries_read_back_as_vault_shows_them() {
    let h = mount().await;
    let ca = root("Test CA");
    let resp = h
        .call(
            Update,
            "certs/Web",
            json!({"certificate": ca.pem(), "policies": "B,a", "allowed_dns_sans": "*.example.com, x",
                   "required_extensions": ["1.2.3.4:v*"], "junk": 1}),
        )
        .await
        .unwrap();
    assert_eq!(
        resp.warnings,
        ["Endpoint ignored these unrecognized parameters: [junk]"]
    );
    let d = h.data(Read, "certs/web", Value::Null).await;
    assert_eq!(d["certificate"], json!(ca.pem()));
    assert_eq!(d["display_name"], "web");
    assert_eq!(d["allowed_dns_sans"], json!(["*.example.com", "x"]));
    assert_eq!(d["required_extensions"], json!(["1.2.3.4:v*"]));
    assert_eq!(d["allowed_names"], Value::Null);
    assert_eq!(d["ocsp_servers_override"], Value::Null);
    assert_eq!(d["ocsp_enabled"], false);
    assert_eq!(d["ocsp_ca_certificates"], "");
    assert_eq!(d["token_policies"], json!(["a", "b"]));
    assert_eq!(d["policies"], json!(["a", "b"]));
    assert_eq!(d["token_type"], "default");
    let mut keys: Vec<&String> = d.keys().collect();
    keys.sort();
    assert_eq!(keys.len(), 26, "{keys:?}");

    // An update changes only what it sets.
    h.call(
        Update,
        "certs/web",
        json!({"display_name": "shown", "lease": 30}),
    )
    .await
    .unwrap();
    let d = h.data(Read, "certs/web", Value::Null).await;
    assert_eq!(
        (d["display_name"].clone(), d["token_ttl"].clone()),
        (json!("shown"), json!(30))
    );
    assert_eq!(d["allowed_dns_sans"], json!(["*.example.com", "x"]));

    let long = h
        .call(
            Update,
            "certs/web",
            json!({"token_ttl": "800h", "token_max_ttl": "900h"}),
        )
        .await
        .unwrap();
    assert_eq!(long.warnings.len(), 2, "{:?}", long.warnings);
    assert!(long.warnings[0].starts_with("Given ttl of 2880000 seconds is greater"));

    h.call(Update, "certs/api", json!({"certificate": ca.pem()}))
        .await
        .unwrap();
    assert_eq!(
        h.data(List, "certs", Value::Null).await["keys"],
        json!(["api", "web"])
    );
    assert_eq!(
        h.data(List, "certs/", json!({"after": "api"})).await["keys"],
        json!(["web"])
    );
    assert_eq!(
        h.data(List, "certs", json!({"limit": 1})).await["keys"],
        json!(["api"])
    );
    h.call(Delete, "certs/web", Value::Null).await.unwrap();
    h.call(Delete, "certs/api", Value::Null).await.unwrap();
    let e = h.call(Read, "certs/web", Value::Null).await.unwrap_err();
    assert_eq!((e.kind(), messages(&e).len()), (ErrorKind::NotFound, 0));
    assert_eq!(
        h.call(List, "certs", Value::Null).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn cert_writes_check_their_input() {
    let h = mount().await;
    let ca = root("Test CA");
    let mut server = leaf_params("srv", 1);
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_leaf = self_signed(&server, None);
    for (body, msg) in [
        (json!({}), "failed to parse certificate"),
        (
            json!({"certificate": "garbage"}),
            "failed to parse certificate",
        ),
        (
            json!({"certificate": server_leaf.pem}),
            "nonCA certificates should have TLS client authentication",
        ),
        (
            json!({"certificate": ca.pem(), "required_extensions": "1.2.3.4"}),
            "must be formatted as \"oid:value\"",
        ),
        (
            json!({"certificate": ca.pem(), "ocsp_enabled": true}),
            "OCSP is not supported",
        ),
        (
            json!({"certificate": ca.pem(), "token_type": "batch", "token_num_uses": 2}),
            "limited use count",
        ),
        (
            json!({"certificate": ca.pem(), "token_ttl": "2h", "token_max_ttl": "1h"}),
            "cannot be greater",
        ),
    ] {
        let e = h.call(Update, "certs/bad", body.clone()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{body}");
        assert!(e.to_string().contains(msg), "{body}: {e}");
    }
    assert!(
        h.call(Read, "certs/bad", Value::Null).await.is_err(),
        "nothing was stored"
    );
    for bad in ["certs/-x", "certs/a%20b", "crls/a..b."] {
        let e = h.call(Update, bad, json!({})).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{bad}");
    }
    // A leaf without any EKU may be pinned; a CA bundle's first certificate decides.
    let no_eku = {
        let mut p = leaf_params("plain", 2);
        p.extended_key_usages.clear();
        self_signed(&p, None)
    };
    h.call(Update, "certs/plain", json!({"certificate": no_eku.pem}))
        .await
        .unwrap();
    let bundle = format!("junk\n{}{}", ca.pem(), server_leaf.pem);
    h.call(Update, "certs/bundle", json!({"certificate": bundle}))
        .await
        .unwrap();
}

#[tokio::test]
async fn crls_store_parse_and_list_serials() {
    let h = mount().await;
    let ca = root("Test CA");
    h.call(Update, "crls/Main", json!({"crl": crl(&ca, &[4660, 77])}))
        .await
        .unwrap();
    let d = h.data(Read, "crls/main", Value::Null).await;
    assert_eq!(d["serials"], json!({"4660": {}, "77": {}}));
    h.call(Update, "crls/empty", json!({"crl": crl(&ca, &[])}))
        .await
        .unwrap();
    assert!(h.data(Read, "crls/empty", Value::Null).await.is_empty());
    assert_eq!(
        h.data(List, "crls", Value::Null).await["keys"],
        json!(["empty", "main"])
    );
    for (body, msg) in [
        (json!({}), "one of 'crl' or 'url' must be provided"),
        (json!({"crl": "garbage"}), "failed to parse CRL"),
        (json!({"crl": ca.pem()}), "failed to parse CRL"),
        (json!({"url": "http://crl.example/x.crl"}), "not supported"),
    ] {
        let e = h.call(Update, "crls/bad", body.clone()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{body}");
        assert!(e.to_string().contains(msg), "{body}: {e}");
    }
    for op in [Read, Delete] {
        let e = h.call(op, "crls/nope", Value::Null).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.to_string()),
            (ErrorKind::BadRequest, "no such CRL nope".into())
        );
    }
    h.call(Delete, "crls/main", Value::Null).await.unwrap();
    assert_eq!(
        h.data(List, "crls", Value::Null).await["keys"],
        json!(["empty"])
    );
    // What is stored is the serial set, as read back by a fresh backend.
    let again = restarted(&h, true).await;
    let data = serde_json::Map::new();
    let req = tresor_sdk::BackendRequest {
        id: "t",
        operation: Read,
        path: "crls/empty",
        data: &data,
        mount: &h.mount,
        token_hash: None,
        client_addr: None,
        display_name: "",
        peer_certificates: &[],
    };
    assert!(again.handle(&req).await.is_ok());
}

#[tokio::test]
async fn config_reads_back_and_checks_the_cache_size() {
    let h = mount().await;
    let d = h.data(Read, "config", Value::Null).await;
    assert_eq!(
        Value::Object(d),
        json!({"disable_binding": false, "enable_identity_alias_metadata": false, "ocsp_cache_size": 0})
    );
    h.call(
        Update,
        "config",
        json!({"disable_binding": true, "ocsp_cache_size": 50}),
    )
    .await
    .unwrap();
    let d = h.data(Read, "config", Value::Null).await;
    assert_eq!(
        (d["disable_binding"].clone(), d["ocsp_cache_size"].clone()),
        (json!(true), json!(50))
    );
    for size in [1, 100_001] {
        let e = h
            .call(Update, "config", json!({"ocsp_cache_size": size}))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid cache size, must be >= 2 and <= 100000"
        );
    }
    assert_eq!(h.backend.login_paths(), ["login"]);
}
