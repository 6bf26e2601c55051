//! `bound_service_account_namespace_selector`: a label selector for the namespaces that
//! may log in, beyond those `bound_service_account_namespaces` lists. It is given as JSON
//! (`{"matchLabels": {"stage": "prod"}}`); as in Vault, `matchExpressions` are refused.
//! YAML selectors, which Vault also reads, are refused with a 400 (write them as JSON).
//!
//! At login the namespace is read from the API (`GET /api/v1/namespaces/<name>`) with
//! the reviewer token, and its labels must hold every `matchLabels` pair.

use super::api::{Api, Bearer};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use std::collections::BTreeMap;

/// The labels a selector requires, or `None` when it is not one we evaluate.
pub fn parse(selector: &str) -> Option<BTreeMap<String, String>> {
    let parsed: LabelSelector = serde_json::from_str(selector).ok()?;
    if parsed.match_expressions.is_some() {
        return None;
    }
    Some(parsed.match_labels.unwrap_or_default())
}

/// A namespace name as Kubernetes allows it (an RFC 1123 label), so it can go into a URL.
fn valid_namespace(ns: &str) -> bool {
    let b = ns.as_bytes();
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
    (1..=63).contains(&b.len())
        && b.iter().all(inner)
        && b.first().is_some_and(|c| *c != b'-')
        && b.last().is_some_and(|c| *c != b'-')
}

/// Whether `namespace` carries every label of `required`; the error says why it could
/// not be told (never a token or an answer body).
pub async fn matches(
    api: &Api,
    namespace: &str,
    required: &BTreeMap<String, String>,
) -> Result<bool, String> {
    if !valid_namespace(namespace) {
        return Ok(false);
    }
    if api.bearer_source == Bearer::LoginJwt {
        return Err(
            "namespace lookup failed: TokenReviewer JWT needs to be configured to use namespace selectors".to_owned(),
        );
    }
    let answer = api
        .get(&format!("/api/v1/namespaces/{namespace}"))
        .await
        .map_err(|e| format!("namespace lookup failed: {e}"))?;
    if answer.status != 200 {
        return Err(format!("failed to get namespace (code {})", answer.status));
    }
    let ns: Namespace = serde_json::from_slice(&answer.body)
        .map_err(|_| "namespace lookup failed: the answer is not a Namespace".to_owned())?;
    let labels = ns.metadata.labels.unwrap_or_default();
    Ok(required.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        let want = BTreeMap::from([("stage".to_owned(), "prod".to_owned())]);
        assert_eq!(parse(r#"{"matchLabels":{"stage":"prod"}}"#), Some(want));
        assert_eq!(parse("{}"), Some(BTreeMap::new()));
        for bad in [
            "",
            "matchLabels:\n  stage: prod\n",
            r#"{"matchExpressions":[{"key":"a","operator":"Exists"}]}"#,
            r#"{"matchLabels":{"a":1}}"#,
            "[]",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn namespace_names() {
        for ok in ["default", "kube-system", "a", "a1-b2"] {
            assert!(valid_namespace(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "A", "a/b", "a.b", "..", &"a".repeat(64)] {
            assert!(!valid_namespace(bad), "{bad}");
        }
    }
}
