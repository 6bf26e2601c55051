//! Logins with real certificates: chains, pinned leaves, constraints, CRLs, `name`.

use super::test_pki::*;
use super::verify::{INVALID, NO_CERT, NO_CHAIN};
use crate::testkit::{messages, Harness};
use rcgen::ExtendedKeyUsagePurpose;
use serde_json::json;
use std::time::Duration;
use tresor_sdk::{Error, ErrorKind, Login, Operation::*, Value};

fn refused(r: Result<tresor_sdk::Response, Error>) -> (ErrorKind, String) {
    let e = r.expect_err("the login must be refused");
    (e.kind(), messages(&e).join("; "))
}

fn ok(r: Result<tresor_sdk::Response, Error>) -> Login {
    r.expect("the login must succeed").login.expect("a login")
}

fn bad(msg: &str) -> (ErrorKind, String) {
    (ErrorKind::BadRequest, msg.to_owned())
}

#[tokio::test]
async fn ca_issued_leaf_logs_in_with_vaults_metadata() {
    let h = mount().await;
    let ca = root("Test CA");
    trust(
        &h,
        "web",
        &ca.pem(),
        json!({"token_policies": "A,b", "token_ttl": "1h"}),
    )
    .await;
    let leaf = sign(&rich_params(4660), &ca, None);
    let l = ok(login(&h, one(&leaf), None).await);
    assert_eq!(l.policies, ["a", "b"]);
    assert_eq!(l.ttl, Duration::from_secs(3600));
    assert_eq!(
        (l.display_name.as_str(), l.alias_name.as_str()),
        ("web", "web.example.com")
    );
    let md = &l.metadata;
    assert_eq!(md["cert_name"], "web");
    assert_eq!(md["common_name"], "web.example.com");
    assert_eq!(md["serial_number"], "4660");
    let hex_pairs = |s: &str| {
        s.split(':')
            .all(|p| p.len() == 2 && u8::from_str_radix(p, 16).is_ok())
    };
    assert!(hex_pairs(&md["subject_key_id"]) && md["subject_key_id"].len() > 20);
    assert!(hex_pairs(&md["authority_key_id"]) && md["authority_key_id"] != md["subject_key_id"]);
    assert_eq!(md.len(), 5);
    assert!(
        l.alias_metadata.is_empty(),
        "only with enable_identity_alias_metadata"
    );

    h.call(
        Update,
        "config",
        json!({"enable_identity_alias_metadata": true}),
    )
    .await
    .unwrap();
    let l = ok(login(&h, one(&leaf), None).await);
    assert_eq!(l.alias_metadata, l.metadata);
}

#[tokio::test]
async fn chains_through_intermediates_are_verified() {
    let h = mount().await;
    let ca = root("Root CA");
    let int = intermediate("Issuing CA", 9001, &ca);
    trust(&h, "root", &ca.pem(), json!({})).await;
    let leaf = sign(&leaf_params("svc", 7), &int, None);
    let int_der = int.der().to_vec();
    let l = ok(login(&h, &[leaf.der.clone(), int_der.clone()], None).await);
    assert_eq!(l.metadata["cert_name"], "root");
    assert_eq!(
        refused(login(&h, one(&leaf), None).await),
        bad(INVALID),
        "the intermediate is missing"
    );
    // Trusting the intermediate itself: the leaf alone is enough.
    trust(&h, "issuing", &int.pem(), json!({})).await;
    let l = ok(login(&h, one(&leaf), Some("issuing")).await);
    assert_eq!(l.metadata["cert_name"], "issuing");
}

#[tokio::test]
async fn untrusted_expired_forged_and_wrong_usage_leaves_are_refused() {
    let h = mount().await;
    let ca = root("Test CA");
    trust(&h, "web", &ca.pem(), json!({})).await;

    let stranger = root("Other CA");
    let untrusted = sign(&leaf_params("svc", 1), &stranger, None);
    assert_eq!(
        refused(login(&h, &[untrusted.der], None).await),
        bad(INVALID)
    );

    // Same issuer name as the trusted CA, but another key signed it.
    let impostor = root("Test CA");
    let forged = sign(&leaf_params("svc", 2), &impostor, None);
    let (kind, msg) = refused(login(&h, &[forged.der], None).await);
    assert_eq!(kind, ErrorKind::BadRequest);
    assert!(
        msg.starts_with("failed to verify client's certificate") || msg == INVALID,
        "{msg}"
    );

    let mut old = leaf_params("svc", 3);
    old.not_before = rcgen::date_time_ymd(2020, 1, 1);
    old.not_after = rcgen::date_time_ymd(2020, 2, 1);
    let expired = sign(&old, &ca, None);
    let (kind, msg) = refused(login(&h, &[expired.der], None).await);
    assert_eq!(kind, ErrorKind::BadRequest);
    assert!(msg.contains("expired"), "{msg}");

    let mut server = leaf_params("svc", 4);
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_only = sign(&server, &ca, None);
    let (_, msg) = refused(login(&h, &[server_only.der], None).await);
    assert!(
        msg.starts_with("failed to verify client's certificate"),
        "{msg}"
    );

    // No EKU at all is allowed, as in Vault.
    let mut plain = leaf_params("svc", 5);
    plain.extended_key_usages.clear();
    assert!(login(&h, &[sign(&plain, &ca, None).der], None)
        .await
        .is_ok());

    // A leaf (not a CA) cannot issue: a chain through it fails, though every signature
    // is good.
    let leaf_as_ca = sign(&leaf_params("svc-leaf", 6), &ca, None);
    assert!(login(&h, one(&leaf_as_ca), None).await.is_ok());
    let leaf_issuer = rcgen::Issuer::new(leaf_params("svc-leaf", 6), same_key(&leaf_as_ca.key));
    let below = sign(&leaf_params("below", 8), &leaf_issuer, None);
    assert!(login(&h, &[below.der, leaf_as_ca.der], None).await.is_err());
}

#[tokio::test]
async fn missing_or_unreadable_certificates() {
    let h = mount().await;
    trust(&h, "web", &root("Test CA").pem(), json!({})).await;
    assert_eq!(refused(login(&h, &[], None).await), bad(NO_CERT));
    let (kind, msg) = refused(login(&h, &[b"garbage".to_vec()], None).await);
    assert_eq!(
        (kind, msg.as_str()),
        (
            ErrorKind::BadRequest,
            "failed to parse the client certificate chain"
        )
    );
    let empty = mount().await;
    let leaf = self_signed(&leaf_params("x", 1), None);
    assert_eq!(
        refused(login(&empty, &[leaf.der], None).await),
        bad(INVALID)
    );
}

/// SECURITY row 3 (CVE-2024-2048, CVE-2025-6037): a pinned non-CA certificate matches
/// its own DER only.
#[tokio::test]
async fn pinned_leaf_matches_its_full_der_only() {
    let h = mount().await;
    let pinned = self_signed(&leaf_params("pinned", 10), None);
    trust(&h, "pin", &pinned.pem, json!({"token_policies": "p"})).await;
    let l = ok(login(&h, one(&pinned), None).await);
    assert_eq!(
        (l.metadata["cert_name"].as_str(), l.alias_name.as_str()),
        ("pin", "pinned")
    );

    // Same subject, issuer and serial, another key.
    let same_name = self_signed(&leaf_params("pinned", 10), None);
    assert_ne!(same_name.der, pinned.der);
    assert_eq!(
        refused(login(&h, &[same_name.der], None).await),
        bad(INVALID)
    );

    // Same key, another CN (tampered name).
    let key = same_key(&pinned.key);
    let renamed = self_signed(&leaf_params("admin", 10), Some(key));
    assert_eq!(refused(login(&h, &[renamed.der], None).await), bad(INVALID));

    // Same key and name, re-signed (other validity): different DER, refused.
    let key = same_key(&pinned.key);
    let mut p = leaf_params("pinned", 10);
    p.not_after = rcgen::date_time_ymd(4000, 1, 1);
    let resigned = self_signed(&p, Some(key));
    assert_eq!(
        refused(login(&h, &[resigned.der], None).await),
        bad(INVALID)
    );

    // A pinned leaf is no trust anchor: what its key signs is not trusted.
    let pin_issuer = rcgen::Issuer::new(leaf_params("pinned", 10), same_key(&pinned.key));
    let child = sign(&leaf_params("child", 11), &pin_issuer, None);
    assert_eq!(
        refused(login(&h, &[child.der, pinned.der.clone()], None).await),
        bad(INVALID)
    );

    // Byte-level tampering of the pinned DER (the CN; the signature) is refused though
    // nothing else about the certificate changes.
    let at = pinned.der.windows(6).position(|w| w == b"pinned").unwrap();
    let mut tampered_cn = pinned.der.clone();
    tampered_cn[at + 5] = b'X';
    let mut tampered_sig = pinned.der.clone();
    *tampered_sig.last_mut().unwrap() ^= 1;
    for tampered in [tampered_cn, tampered_sig] {
        assert_eq!(refused(login(&h, &[tampered], None).await), bad(INVALID));
    }

    // A pinned leaf must be within its validity period too.
    let mut old = leaf_params("old-pin", 12);
    old.not_after = rcgen::date_time_ymd(2020, 1, 1);
    let expired = self_signed(&old, None);
    trust(&h, "old", &expired.pem, json!({})).await;
    let (kind, msg) = refused(login(&h, one(&expired), None).await);
    assert_eq!(kind, ErrorKind::BadRequest);
    assert!(msg.contains("expired"), "{msg}");

    // Constraints still apply to a pinned leaf.
    trust(
        &h,
        "pin",
        &pinned.pem,
        json!({"allowed_common_names": "other"}),
    )
    .await;
    assert_eq!(refused(login(&h, &[pinned.der], None).await), bad(INVALID));
}

#[tokio::test]
async fn constraints_on_names_sans_ous_and_extensions() {
    let h = mount().await;
    let ca = root("Test CA");
    let leaf = sign(&rich_params(42), &ca, None);
    for (field, good, bad_value) in [
        ("allowed_common_names", "web.*", "api.*"),
        ("allowed_names", "*@example.com", "nobody"),
        ("allowed_dns_sans", "*.example.com", "*.example.org"),
        ("allowed_email_sans", "ops@*", "dev@*"),
        (
            "allowed_uri_sans",
            "spiffe://example.com/*",
            "spiffe://other/*",
        ),
        ("allowed_organizational_units", "eng", "sales"),
        ("required_extensions", "1.2.3.4:hel*", "1.2.3.4:bye"),
        ("required_extensions", "1.2.3.4:*", "1.2.3.9:*"),
    ] {
        trust(&h, "web", &ca.pem(), json!({ field: bad_value })).await;
        assert_eq!(
            refused(login(&h, one(&leaf), None).await),
            bad(NO_CHAIN),
            "{field}={bad_value}"
        );
        // One match of a list is enough; every required extension is needed.
        let value = match field {
            "required_extensions" => json!([good]),
            _ => json!([bad_value, good]),
        };
        trust(&h, "web", &ca.pem(), json!({ field: value })).await;
        assert!(login(&h, one(&leaf), None).await.is_ok(), "{field}={good}");
        trust(&h, "web", &ca.pem(), json!({ field: "" })).await;
    }
    trust(
        &h,
        "web",
        &ca.pem(),
        json!({"required_extensions": ["1.2.3.4:hello", "1.2.3.9:*"]}),
    )
    .await;
    assert_eq!(refused(login(&h, one(&leaf), None).await), bad(NO_CHAIN));
    trust(
        &h,
        "web",
        &ca.pem(),
        json!({"required_extensions": ["1.2.3.4:hello", "2.5.29.37:*"]}),
    )
    .await;
    assert!(login(&h, one(&leaf), None).await.is_ok());
    trust(
        &h,
        "web",
        &ca.pem(),
        json!({"required_extensions": "", "allowed_metadata_extensions": "1.2.3.4"}),
    )
    .await;
    let l = ok(login(&h, one(&leaf), None).await);
    assert_eq!(l.metadata["1-2-3-4"], "hello");
}

#[tokio::test]
async fn name_picks_the_trusted_certificate() {
    let h = mount().await;
    let (one, two) = (root("CA One"), root("CA Two"));
    trust(&h, "one", &one.pem(), json!({"token_policies": "one"})).await;
    trust(&h, "two", &two.pem(), json!({"token_policies": "two"})).await;
    let leaf = sign(&leaf_params("svc", 1), &two, None);
    let chain = [leaf.der.clone()];
    assert_eq!(ok(login(&h, &chain, None).await).policies, ["two"]);
    assert_eq!(ok(login(&h, &chain, Some("TWO")).await).policies, ["two"]);
    for wrong in ["one", "missing", "a/../b"] {
        assert_eq!(
            refused(login(&h, &chain, Some(wrong)).await),
            bad(INVALID),
            "{wrong}"
        );
    }
    // Both trust the leaf's CA: the first in name order wins unless one is named.
    trust(&h, "also", &two.pem(), json!({"token_policies": "also"})).await;
    assert_eq!(ok(login(&h, &chain, None).await).policies, ["also"]);
    assert_eq!(ok(login(&h, &chain, Some("two")).await).policies, ["two"]);
}

#[tokio::test]
async fn token_bound_cidrs_refuse_other_sources() {
    let h = mount().await;
    let ca = root("Test CA");
    trust(
        &h,
        "web",
        &ca.pem(),
        json!({"token_bound_cidrs": "10.0.0.0/8"}),
    )
    .await;
    let leaf = sign(&leaf_params("svc", 1), &ca, None);
    let chain = [leaf.der.clone()];
    let b = h.backend.as_ref();
    let e = login_on(b, &h, &chain, json!({}), Some("127.0.0.1"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    let l = ok(login_on(b, &h, &chain, json!({}), Some("10.1.2.3")).await);
    assert_eq!(l.bound_cidrs.len(), 1);
}

async fn revoked_setup() -> (Harness, Leaf, Leaf) {
    let h = mount().await;
    let ca = root("Test CA");
    trust(&h, "web", &ca.pem(), json!({})).await;
    let (bad_leaf, good_leaf) = (
        sign(&leaf_params("revoked", 4660), &ca, None),
        sign(&leaf_params("fine", 4661), &ca, None),
    );
    h.call(Update, "crls/main", json!({"crl": crl(&ca, &[4660])}))
        .await
        .unwrap();
    (h, bad_leaf, good_leaf)
}

/// SECURITY row 5 (CVE-2022-41316): revocation holds at once and right after a restart.
#[tokio::test]
async fn revoked_leaf_is_refused_also_after_a_restart() {
    let (h, revoked, fine) = revoked_setup().await;
    assert_eq!(refused(login(&h, one(&revoked), None).await), bad(NO_CHAIN));
    assert!(login(&h, one(&fine), None).await.is_ok());
    for initialize in [false, true] {
        let again = restarted(&h, initialize).await;
        // The revoked certificate is the very first request of the new backend.
        let r = login_on(again.as_ref(), &h, one(&revoked), json!({}), None).await;
        assert_eq!(refused(r), bad(NO_CHAIN), "initialize={initialize}");
        let r = login_on(again.as_ref(), &h, one(&fine), json!({}), None).await;
        assert!(r.is_ok());
    }
    h.call(Delete, "crls/main", Value::Null).await.unwrap();
    assert!(login(&h, one(&revoked), None).await.is_ok());
    let again = restarted(&h, false).await;
    let r = login_on(again.as_ref(), &h, &[revoked.der], json!({}), None).await;
    assert!(r.is_ok(), "the deletion holds after a restart too");
}

#[tokio::test]
async fn revoked_intermediate_or_pinned_leaf_is_refused() {
    let h = mount().await;
    let ca = root("Root CA");
    let int = intermediate("Issuing CA", 9001, &ca);
    trust(&h, "root", &ca.pem(), json!({})).await;
    let leaf = sign(&leaf_params("svc", 9), &int, None);
    let chain = [leaf.der.clone(), int.der().to_vec()];
    assert!(login(&h, &chain, None).await.is_ok());
    h.call(Update, "crls/root", json!({"crl": crl(&ca, &[9001])}))
        .await
        .unwrap();
    assert_eq!(refused(login(&h, &chain, None).await), bad(NO_CHAIN));
    // The root's CRL lists the intermediate; trusting the intermediate directly does not
    // take it off the chain.
    trust(&h, "issuing", &int.pem(), json!({})).await;
    assert_eq!(
        refused(login(&h, one(&leaf), Some("issuing")).await),
        bad(NO_CHAIN)
    );
    let pinned = self_signed(&leaf_params("pinned", 77), None);
    trust(&h, "pin", &pinned.pem, json!({})).await;
    assert!(login(&h, one(&pinned), None).await.is_ok());
    h.call(Update, "crls/pins", json!({"crl": crl(&ca, &[77])}))
        .await
        .unwrap();
    assert_eq!(refused(login(&h, &[pinned.der], None).await), bad(INVALID));
}
