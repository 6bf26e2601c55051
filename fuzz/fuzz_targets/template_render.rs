//! Templates are operator input the agent renders with secrets: whatever the text,
//! parsing and rendering must return (no panic, no stack overflow, bounded work), two
//! renders must agree, and no error message may show a secret value from the source.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use tresor_template::{Delims, Dependency, Fetched, RenderOptions, Source, Template};

/// Appears only in the source's data.
const MARKER: &str = "s3cr3t-m4rk3r";

struct Fixed;

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
            Dependency::PkiCert { .. } => {
                Fetched::Ready(json!({"cert": MARKER, "key": MARKER, "ca": "", "ca_chain": [MARKER]}))
            }
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

fuzz_target!(|data: &[u8]| {
    // The first byte picks the delimiters and the missing-key mode.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let delims = match mode % 3 {
        0 => Delims::default(),
        1 => Delims::new("[[", "]]"),
        _ => Delims::new("<%", "%>"),
    };
    let opts = RenderOptions {
        error_on_missing_key: mode & 0x80 != 0,
        max_output_bytes: 1 << 20,
        max_steps: 50_000,
    };
    let template = match Template::parse("fuzz", text, &delims) {
        Ok(t) => t,
        Err(e) => {
            assert!(e.to_string().len() < 4_000);
            return;
        }
    };
    let first = template.render(&mut Fixed, &opts);
    let second = template.render(&mut Fixed, &opts);
    match (first, second) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => {
            let message = a.to_string();
            assert_eq!(message, b.to_string());
            if !text.contains(MARKER) {
                assert!(!message.contains(MARKER), "an error shows a secret: {message}");
            }
        }
        _ => panic!("two renders of one template disagree"),
    }
});
