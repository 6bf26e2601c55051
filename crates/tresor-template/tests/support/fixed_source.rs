//! The fixed source the no-panic property tests and the fuzz target render with
//! (`fuzz/fuzz_targets/template_render.rs` includes this file by path).

use serde_json::json;
use tresor_template::{Dependency, Fetched, Source};

/// Appears only in the source's data: an error showing it leaks a secret.
pub const MARKER: &str = "s3cr3t-m4rk3r";

/// Answers every kind of dependency, pending and failed ones included.
pub struct Fixed;

impl Source for Fixed {
    fn fetch(&mut self, dep: &Dependency) -> Fetched {
        match dep {
            Dependency::Secret { path, .. } if path == "pending" => Fetched::Pending,
            Dependency::Secret { path, params } if path == "fail" && params.is_empty() => {
                Fetched::Failed("permission denied".into())
            }
            Dependency::Secret { .. } => Fetched::Ready(json!({
                "request_id": "r", "lease_duration": 60, "renewable": true,
                "data": {"data": {"password": MARKER, "n": 5, "list": [MARKER, 1, null],
                         "nested": {"k": MARKER, "z": {}}}, "metadata": {"version": 1}},
                "warnings": ["w"], "auth": {"client_token": MARKER, "policies": ["p"]},
                "wrap_info": null
            })),
            Dependency::Secrets { .. } => Fetched::Ready(json!({"data": {"keys": ["b", "a/"]}})),
            Dependency::PkiCert { .. } => Fetched::Ready(
                json!({"cert": MARKER, "key": MARKER, "ca": "", "ca_chain": [MARKER]}),
            ),
            Dependency::File { .. } => Fetched::Ready(json!(MARKER)),
        }
    }

    fn env(&self, name: &str) -> Option<String> {
        (name == "HOME").then(|| MARKER.to_string())
    }

    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::UNIX_EPOCH
    }
}
