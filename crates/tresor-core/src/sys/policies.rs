//! `sys/policy`, `sys/policies/acl` and the `sys/capabilities*` endpoints.

use crate::core::{Core, Unsealed};
use crate::pipeline::Caller;
use serde_json::{json, Value};
use tresor_crypto::SecretString;
use tresor_sdk::fields::{string_field, string_list_field, u64_field};
use tresor_sdk::{rfc3339, Data, Error, Operation, Request, Response};

/// `GET`/`LIST sys/policy` (legacy: also at the top level) and `LIST sys/policies/acl`.
pub fn list(state: &Unsealed, legacy: bool) -> Response {
    let names = state.policies.names();
    let mut data = Data::new();
    data.insert("keys".into(), json!(names));
    if legacy {
        data.insert("policies".into(), json!(names));
    }
    Response {
        data_at_top_level: legacy,
        ..Response::data(data)
    }
}

/// One named policy: read, write or delete. `legacy` is the `sys/policy/<name>` form,
/// which names the text `rules`; `sys/policies/acl/<name>` names it `policy`.
pub async fn named(
    core: &Core,
    state: &Unsealed,
    name: &str,
    req: &Request,
    legacy: bool,
) -> Result<Response, Error> {
    let text_key = if legacy { "rules" } else { "policy" };
    match req.operation {
        Operation::Read => {
            let p = state.policies.get(name).ok_or(Error::NotFound)?;
            let mut data = Data::new();
            data.insert("name".into(), p.name.into());
            data.insert(text_key.into(), p.raw.into());
            data.insert("version".into(), p.version.into());
            data.insert("modified".into(), p.modified.into());
            data.insert("cas_required".into(), false.into());
            data.insert("allow_wildcards_in_identity_templates".into(), false.into());
            data.insert("allow_slashes_in_identity_templates".into(), false.into());
            Ok(Response {
                data_at_top_level: legacy,
                ..Response::data(data)
            })
        }
        Operation::Update | Operation::Create => {
            let mut warnings = Vec::new();
            let raw = match string_field(&req.data, "policy")? {
                Some(p) => p,
                None => match string_field(&req.data, "rules")? {
                    Some(r) => {
                        warnings
                            .push("'rules' is deprecated, please use 'policy' instead".to_owned());
                        r
                    }
                    None => {
                        return Err(Error::bad_request(
                            "'policy' parameter not supplied or empty",
                        ))
                    }
                },
            };
            let raw = decode_policy_text(raw)?;
            let cas = u64_field(&req.data, "cas")?;
            state
                .policies
                .put(name, &raw, cas, rfc3339(core.config.clock.now()))
                .await?;
            Ok(Response {
                warnings,
                ..Response::empty()
            })
        }
        Operation::Delete => {
            state.policies.delete(name).await?;
            Ok(Response::empty())
        }
        _ => Err(Error::UnsupportedOperation),
    }
}

/// Vault also takes the policy text base64-encoded.
fn decode_policy_text(raw: String) -> Result<String, Error> {
    use base64::Engine;
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Error::bad_request(
            "'policy' parameter not supplied or empty",
        ));
    }
    if !trimmed.contains(['{', '"', ' ', '\n']) {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(trimmed) {
            if let Ok(text) = String::from_utf8(bytes) {
                return Ok(text);
            }
        }
    }
    Ok(raw)
}

fn paths(data: &Data) -> Result<Vec<String>, Error> {
    let mut paths = string_list_field(data, "paths")?.unwrap_or_default();
    if let Some(p) = string_field(data, "path")?.filter(|p| !p.is_empty()) {
        paths.push(p);
    }
    if paths.is_empty() {
        return Err(Error::bad_request("missing paths"));
    }
    Ok(paths
        .into_iter()
        .map(|p| p.trim_start_matches('/').to_owned())
        .collect())
}

/// `sys/capabilities`, `sys/capabilities-self`, `sys/capabilities-accessor`.
pub async fn capabilities(
    core: &Core,
    state: &Unsealed,
    caller: &Caller,
    req: &Request,
    of: CapabilitiesOf,
) -> Result<Response, Error> {
    let now = core.now();
    let policies = match of {
        CapabilitiesOf::Caller => caller.entry.clone(),
        CapabilitiesOf::Token => {
            let token = SecretString::from(string_field(&req.data, "token")?.unwrap_or_default());
            let (_, entry) = state
                .tokens
                .lookup(&token, now)
                .await?
                .ok_or_else(|| Error::bad_request("invalid token"))?;
            entry
        }
        CapabilitiesOf::Accessor => {
            let accessor = string_field(&req.data, "accessor")?.unwrap_or_default();
            let (_, entry) = state
                .tokens
                .by_accessor(&accessor, now)
                .await?
                .ok_or_else(|| Error::bad_request("invalid accessor"))?;
            entry
        }
    };
    let acl = state.acl_of(&policies);
    let paths = paths(&req.data)?;
    let mut data = Data::new();
    for path in &paths {
        data.insert(path.clone(), json!(acl.capabilities(path)));
    }
    // The single-`path` form also answers `capabilities` (kept for old clients).
    if let Some(single) = string_field(&req.data, "path")?.filter(|p| !p.is_empty()) {
        let caps = data
            .get(single.trim_start_matches('/'))
            .cloned()
            .unwrap_or(Value::Null);
        data.insert("capabilities".into(), caps);
    }
    Ok(Response {
        data_at_top_level: true,
        ..Response::data(data)
    })
}

pub enum CapabilitiesOf {
    Caller,
    Token,
    Accessor,
}

/// `sys/internal/ui/resultant-acl`: the caller's merged rules, exact paths and globs
/// apart, as UIs read them.
pub fn resultant_acl(state: &Unsealed, caller: &Caller) -> Response {
    let mut data = Data::new();
    if caller.acl.is_root() {
        data.insert("root".into(), true.into());
        return Response::data(data);
    }
    let mut exact = Data::new();
    let mut glob = Data::new();
    let (names, ctx) = state.policy_names_and_context(&caller.entry);
    for (pattern, caps) in state.policies.merged_rules(&names, &ctx) {
        let names: Vec<&str> = caps.iter().map(|c| c.as_str()).collect();
        let entry = json!({ "capabilities": names });
        match pattern.strip_suffix('*') {
            Some(prefix) => glob.insert(prefix.to_owned(), entry),
            None => exact.insert(pattern, entry),
        };
    }
    data.insert("exact_paths".into(), Value::Object(exact));
    data.insert("glob_paths".into(), Value::Object(glob));
    data.insert("root".into(), false.into());
    Response::data(data)
}
