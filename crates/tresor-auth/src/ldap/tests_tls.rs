//! TLS to a real slapd: `ldaps://` and StartTLS, verified against `certificate`.

use super::path_login::BIND_FAILED;
use super::test_slapd;
use super::tests_login::{login, mount, ok, refused};
use serde_json::json;

#[tokio::test]
async fn ldaps_and_starttls_verify_the_server() {
    let Some(slapd) = test_slapd::start() else {
        return;
    };
    let good = slapd.ca_pem.clone();
    let wrong = slapd.other_ca_pem.clone();
    let ldaps = slapd.ldaps_url();
    let plain = slapd.url();
    for (url, starttls) in [(&ldaps, false), (&plain, true)] {
        for max in ["tls12", "tls13"] {
            let cfg = json!({"url": url, "starttls": starttls, "certificate": good,
                "tls_max_version": max});
            let h = mount(&slapd, cfg).await;
            assert_eq!(
                ok(&h, "bob", "bob-pw").await.display_name,
                "bob",
                "{url} {max}"
            );
        }
        let h = mount(
            &slapd,
            json!({"url": url, "starttls": starttls, "certificate": wrong}),
        )
        .await;
        assert_eq!(
            refused(login(&h, "bob", "bob-pw").await),
            [BIND_FAILED],
            "{url}"
        );
        // Without `certificate`: the system's CAs, which do not hold the test CA.
        let h = mount(&slapd, json!({"url": url, "starttls": starttls})).await;
        assert_eq!(
            refused(login(&h, "bob", "bob-pw").await),
            [BIND_FAILED],
            "{url}"
        );
        let cfg = json!({"url": url, "starttls": starttls, "certificate": wrong,
            "insecure_tls": true});
        let h = mount(&slapd, cfg).await;
        assert!(
            login(&h, "bob", "bob-pw").await.is_ok(),
            "{url} insecure_tls"
        );
    }
}

#[tokio::test]
async fn urls_are_tried_in_order() {
    let Some(slapd) = test_slapd::start() else {
        return;
    };
    // A dead server first, then one whose certificate does not verify, then slapd.
    let urls = format!("ldap://127.0.0.1:1,{},{}", slapd.ldaps_url(), slapd.url());
    let cfg = json!({"url": urls, "certificate": slapd.other_ca_pem});
    let h = mount(&slapd, cfg).await;
    assert!(login(&h, "bob", "bob-pw").await.is_ok());
}
