//! Vault's audit entry: one JSON object per line, secrets replaced by the device's HMAC.

use crate::hash::Hasher;
use crate::input::{AuditAuth, AuditRequest, AuditResponse, AuditWrapInfo};
use crate::AuditError;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Per-device options that change what an entry shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatOptions {
    /// `log_raw=true`: write every value in clear (Vault's option; dangerous).
    pub log_raw: bool,
    /// `hmac_accessor=false`: write token accessors in clear.
    pub hmac_accessor: bool,
}

impl Default for FormatOptions {
    fn default() -> Self {
        Self {
            log_raw: false,
            hmac_accessor: true,
        }
    }
}

impl FormatOptions {
    /// Read `log_raw` and `hmac_accessor` from a device's options.
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<Self, AuditError> {
        let mut out = Self::default();
        if let Some(v) = options.get("log_raw") {
            out.log_raw = parse_bool("log_raw", v)?;
        }
        if let Some(v) = options.get("hmac_accessor") {
            out.hmac_accessor = parse_bool("hmac_accessor", v)?;
        }
        Ok(out)
    }
}

fn parse_bool(key: &str, v: &str) -> Result<bool, AuditError> {
    match v {
        "true" | "1" | "t" | "True" | "TRUE" => Ok(true),
        "false" | "0" | "f" | "False" | "FALSE" => Ok(false),
        _ => Err(AuditError::InvalidOption {
            key: key.to_owned(),
            reason: "expected a boolean",
        }),
    }
}

/// Formats entries for one device: its key and its options.
#[derive(Debug)]
pub struct Formatter {
    hasher: Hasher,
    options: FormatOptions,
}

impl Formatter {
    pub fn new(hasher: Hasher, options: FormatOptions) -> Self {
        Self { hasher, options }
    }

    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// The `"type":"request"` line, written before the request is handled.
    pub fn request_entry(
        &self,
        time: &str,
        auth: Option<&AuditAuth>,
        req: &AuditRequest,
        error: Option<&str>,
    ) -> Result<Vec<u8>, AuditError> {
        line(self.header(time, "request", auth, req, error))
    }

    /// The `"type":"response"` line, written after handling (and wrapping).
    pub fn response_entry(
        &self,
        time: &str,
        auth: Option<&AuditAuth>,
        req: &AuditRequest,
        resp: Option<&AuditResponse>,
        error: Option<&str>,
    ) -> Result<Vec<u8>, AuditError> {
        let mut entry = self.header(time, "response", auth, req, error);
        if let Some(resp) = resp {
            entry.insert("response".into(), Value::Object(self.response(resp)));
        }
        line(entry)
    }

    fn header(
        &self,
        time: &str,
        kind: &str,
        auth: Option<&AuditAuth>,
        req: &AuditRequest,
        error: Option<&str>,
    ) -> Map<String, Value> {
        let mut entry = Map::new();
        entry.insert("time".into(), json!(time));
        entry.insert("type".into(), json!(kind));
        let auth = auth.map(|a| self.auth(a)).unwrap_or_default();
        entry.insert("auth".into(), Value::Object(auth));
        entry.insert("request".into(), Value::Object(self.request(req)));
        if let Some(e) = error.filter(|e| !e.is_empty()) {
            entry.insert("error".into(), json!(e));
        }
        entry
    }

    fn secret(&self, s: &str) -> Value {
        if self.options.log_raw || s.is_empty() {
            json!(s)
        } else {
            json!(self.hasher.hash(s))
        }
    }

    fn accessor(&self, s: &str) -> Value {
        if self.options.hmac_accessor {
            self.secret(s)
        } else {
            json!(s)
        }
    }

    fn data(&self, mut v: Value) -> Value {
        if !self.options.log_raw {
            self.hasher.hash_value(&mut v);
        }
        v
    }

    fn auth(&self, a: &AuditAuth) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(t) = a.client_token.as_ref().filter(|t| !t.is_empty()) {
            m.insert("client_token".into(), self.secret(t.expose()));
        }
        put_str(&mut m, "accessor", &a.accessor, |s| self.accessor(s));
        put_str(&mut m, "display_name", &a.display_name, |s| json!(s));
        put_list(&mut m, "policies", &a.policies);
        put_list(&mut m, "token_policies", &a.token_policies);
        if !a.metadata.is_empty() {
            m.insert("metadata".into(), json!(a.metadata));
        }
        put_str(&mut m, "entity_id", &a.entity_id, |s| json!(s));
        put_str(&mut m, "token_type", &a.token_type, |s| json!(s));
        if a.token_ttl > 0 {
            m.insert("token_ttl".into(), json!(a.token_ttl));
        }
        put_str(&mut m, "token_issue_time", &a.token_issue_time, |s| {
            json!(s)
        });
        if a.num_uses > 0 {
            m.insert("num_uses".into(), json!(a.num_uses));
        }
        if a.renewable {
            m.insert("renewable".into(), json!(true));
        }
        if a.orphan {
            m.insert("orphan".into(), json!(true));
        }
        m
    }

    fn request(&self, r: &AuditRequest) -> Map<String, Value> {
        let mut m = Map::new();
        put_str(&mut m, "id", &r.id, |s| json!(s));
        put_str(&mut m, "operation", &r.operation, |s| json!(s));
        if let Some(t) = r.mount_type.as_deref().filter(|t| !t.is_empty()) {
            m.insert("mount_type".into(), json!(t));
        }
        put_str(&mut m, "mount_point", &r.mount_point, |s| json!(s));
        put_str(&mut m, "mount_accessor", &r.mount_accessor, |s| json!(s));
        if let Some(t) = r.client_token.as_ref().filter(|t| !t.is_empty()) {
            m.insert("client_token".into(), self.secret(t.expose()));
        }
        put_str(
            &mut m,
            "client_token_accessor",
            &r.client_token_accessor,
            |s| self.accessor(s),
        );
        m.insert("namespace".into(), json!({"id": "root"}));
        m.insert("path".into(), json!(r.path));
        if let Some(d) = r.data.as_ref().filter(|d| !d.is_empty()) {
            m.insert("data".into(), self.data(Value::Object(d.clone())));
        }
        if let Some(a) = r.remote_address.as_deref().filter(|a| !a.is_empty()) {
            m.insert("remote_address".into(), json!(a));
        }
        if let Some(port) = r.remote_port {
            m.insert("remote_port".into(), json!(port));
        }
        if let Some(ttl) = r.wrap_ttl.filter(|t| *t > 0) {
            m.insert("wrap_ttl".into(), json!(ttl));
        }
        m
    }

    fn response(&self, r: &AuditResponse) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(t) = r.mount_type.as_deref().filter(|t| !t.is_empty()) {
            m.insert("mount_type".into(), json!(t));
        }
        if let Some(a) = &r.auth {
            m.insert("auth".into(), Value::Object(self.auth(a)));
        }
        if let Some(d) = r.data.as_ref().filter(|d| !d.is_null()) {
            m.insert("data".into(), self.data(d.clone()));
        }
        if let Some(w) = &r.wrap_info {
            m.insert("wrap_info".into(), Value::Object(self.wrap_info(w)));
        }
        put_list(&mut m, "warnings", &r.warnings);
        m
    }

    fn wrap_info(&self, w: &AuditWrapInfo) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("ttl".into(), json!(w.ttl));
        m.insert("token".into(), self.secret(w.token.expose()));
        put_str(&mut m, "accessor", &w.accessor, |s| self.accessor(s));
        put_str(&mut m, "creation_time", &w.creation_time, |s| json!(s));
        put_str(&mut m, "creation_path", &w.creation_path, |s| json!(s));
        put_str(&mut m, "wrapped_accessor", &w.wrapped_accessor, |s| {
            self.accessor(s)
        });
        m
    }
}

fn put_str(m: &mut Map<String, Value>, key: &str, v: &str, f: impl FnOnce(&str) -> Value) {
    if !v.is_empty() {
        m.insert(key.to_owned(), f(v));
    }
}

fn put_list(m: &mut Map<String, Value>, key: &str, v: &[String]) {
    if !v.is_empty() {
        m.insert(key.to_owned(), json!(v));
    }
}

fn line(entry: Map<String, Value>) -> Result<Vec<u8>, AuditError> {
    let mut out = serde_json::to_vec(&Value::Object(entry)).map_err(|_| AuditError::Encode)?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
