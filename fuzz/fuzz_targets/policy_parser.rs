//! Policy documents are operator input read by a server: whatever the text, parsing must
//! fail cleanly with a short error, and a policy that parses must compile and answer any
//! request without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use std::time::Duration;
use tresor_policy::{Acl, AclRequest, Operation, Policy};

const OPS: [Operation; 8] = [
    Operation::Read,
    Operation::Create,
    Operation::Update,
    Operation::Patch,
    Operation::Delete,
    Operation::List,
    Operation::Scan,
    Operation::Help,
];

const PATHS: &[&str] = &[
    "",
    "/",
    "secret",
    "secret/",
    "secret/foo",
    "secret/foo/bar",
    "secret/+/x/",
    "a/b/c/d/e/f/",
    "//a//b//",
    "sys/seal",
];

fn body() -> Map<String, Value> {
    match json!({"a": "b", "Key": 1, "list": [1, "x"], "obj": {"k": null}, "flag": false}) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn probe(acl: &Acl, path: &str, data: &Map<String, Value>) {
    for op in OPS {
        for wrap in [None, Some(Duration::from_secs(60))] {
            let mut req = AclRequest::new(path, op).with_data(data);
            req.wrap_ttl = wrap;
            let d = acl.allowed(&req);
            assert!(!d.root);
            assert_eq!(d.allowed, d.denial.is_none());
            if op == Operation::Help {
                assert!(d.allowed);
            }
            if d.capabilities.is_deny() {
                assert!(!d.allowed && !d.sudo);
            }
        }
    }
    let caps = acl.capabilities(path);
    assert!(!caps.is_empty());
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let policy = match Policy::parse("fuzz", text) {
        Ok(p) => p,
        Err(e) => {
            // Errors quote at most a short token, never the document.
            assert!(e.to_string().len() < 512, "{}", e.to_string().len());
            return;
        }
    };
    assert!(Policy::parse(" ROOT ", text).is_err());
    let acl = Acl::new(std::slice::from_ref(&policy));
    let data = body();
    for path in PATHS {
        probe(&acl, path, &data);
    }
    // The policy's own patterns, as written and as folders, hit its rules.
    for rule in policy.rules().iter().take(16) {
        let p = rule.pattern().trim_end_matches('*');
        probe(&acl, p, &data);
        probe(&acl, &format!("{p}/x/"), &data);
    }
    // Compiling the same policy twice (every pattern merged with itself) still works.
    let twice = Acl::new(&[policy.clone(), policy]);
    probe(&twice, "secret/foo", &data);
});
