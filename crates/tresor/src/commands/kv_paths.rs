//! Where a `kv` command's path goes: the KV version of its mount is learned from
//! `sys/internal/ui/mounts/<path>` exactly as the Vault CLI does, and version 2 paths get
//! `data/`, `metadata/`, `delete/`... inserted after the mount.

use super::context::{remote, Ctx};
use super::rw::sanitize;
use serde_json::Value;
use std::process::ExitCode;

/// A `kv` command's target, once its mount's version is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvPath {
    /// The mount path as the server gave it (`secret/`), empty when unknown.
    pub mount: String,
    /// The secret's path, including the mount.
    pub partial: String,
    pub v2: bool,
    mount_flag: bool,
}

impl KvPath {
    /// Resolves `arg` (or `-mount=M` and `arg` under it) with a preflight request.
    pub async fn resolve(ctx: &Ctx, mount: Option<&str>, arg: &str) -> Result<KvPath, ExitCode> {
        let mount_flag = mount.is_some_and(|m| !m.is_empty());
        let partial = sanitize(arg);
        let probe = match mount {
            Some(m) if mount_flag => sanitize(m),
            _ => partial.clone(),
        };
        let (mount, v2) = preflight(ctx, &probe).await?;
        Ok(KvPath::new(mount, partial, v2, mount_flag))
    }

    fn new(mount: String, partial: String, v2: bool, mount_flag: bool) -> KvPath {
        let partial = if mount_flag && v2 {
            join(&[&mount, &partial])
        } else {
            partial
        };
        KvPath {
            mount,
            partial,
            v2,
            mount_flag,
        }
    }

    /// The API path: with `api_prefix` inserted on version 2, as given on version 1.
    pub fn api(&self, api_prefix: &str) -> String {
        if self.v2 {
            add_prefix(&self.partial, &self.mount, api_prefix)
        } else if self.mount_flag {
            join(&[&self.mount, &self.partial])
        } else {
            self.partial.clone()
        }
    }

    /// Fails with `msg` (and `code`) unless the mount is KV version 2.
    pub fn require_v2(&self, msg: &str, code: u8) -> Result<(), ExitCode> {
        if self.v2 {
            return Ok(());
        }
        eprintln!("{msg}");
        Err(ExitCode::from(code))
    }
}

/// The mount path and whether it is KV version 2. A 404 means "not a KV v2 mount" (an
/// old server); any other error is reported as is, exit 2.
async fn preflight(ctx: &Ctx, path: &str) -> Result<(String, bool), ExitCode> {
    let answer = match ctx
        .client
        .get(&format!("sys/internal/ui/mounts/{path}"))
        .await
    {
        Ok(a) => a,
        Err(e) if e.status() == Some(404) => return Ok((String::new(), false)),
        Err(e) => {
            eprintln!("{e}");
            return Err(super::exit_code(&e));
        }
    };
    let Some(data) = answer.as_ref().and_then(|a| a.get("data")) else {
        return Err(remote("nil response from pre-flight request"));
    };
    let mount = data
        .get("path")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let version = data
        .get("options")
        .and_then(|o| o.get("version"))
        .and_then(Value::as_str);
    Ok((mount, version == Some("2")))
}

/// Vault's `addPrefixToKVPath`: `secret/foo` under mount `secret/` becomes
/// `secret/<prefix>/foo`.
fn add_prefix(path: &str, mount: &str, prefix: &str) -> String {
    if path == mount || path == mount.trim_end_matches('/') {
        return join(&[mount, prefix]);
    }
    let mut mount = mount.to_owned();
    let mut suffix = path.strip_prefix(mount.as_str()).unwrap_or(path).to_owned();
    // The mount path may carry a namespace the request path does not: drop leading
    // segments of the mount until it matches.
    while suffix == path {
        let Some((_, rest)) = mount.split_once('/') else {
            break;
        };
        if rest.is_empty() {
            break;
        }
        mount = rest.trim_end_matches('/').to_owned();
        suffix = suffix
            .strip_prefix(mount.as_str())
            .unwrap_or(&suffix)
            .to_owned();
    }
    join(&[&mount, prefix, &suffix])
}

/// Go's `path.Join`: the non-empty parts joined by `/`, then cleaned (`.`, `..` and
/// empty segments resolved).
pub fn join(parts: &[&str]) -> String {
    let joined = parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    if joined.is_empty() {
        return String::new();
    }
    let rooted = joined.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." if out.last().is_some_and(|l| *l != "..") => {
                out.pop();
            }
            ".." if rooted => {}
            s => out.push(s),
        }
    }
    let body = out.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_go_after_the_mount() {
        assert_eq!(
            add_prefix("secret/foo", "secret/", "data"),
            "secret/data/foo"
        );
        assert_eq!(
            add_prefix("secret/a/b", "secret/", "metadata"),
            "secret/metadata/a/b"
        );
        assert_eq!(
            add_prefix("secret", "secret/", "metadata"),
            "secret/metadata"
        );
        assert_eq!(add_prefix("secret/", "secret/", "data"), "secret/data");
        assert_eq!(add_prefix("kv/x/y", "kv/x/", "data"), "kv/x/data/y");
        // a namespace in the mount path that the request path does not carry
        assert_eq!(
            add_prefix("secret/foo", "ns1/secret/", "data"),
            "secret/data/foo"
        );
    }

    #[test]
    fn paths_with_and_without_the_mount_flag() {
        let p = KvPath::new("secret/".into(), "foo".into(), true, true);
        assert_eq!(p.partial, "secret/foo");
        assert_eq!(p.api("data"), "secret/data/foo");
        let p = KvPath::new("kv1/".into(), "foo".into(), false, true);
        assert_eq!(p.api("data"), "kv1/foo");
        let p = KvPath::new("kv1/".into(), "kv1/foo".into(), false, false);
        assert_eq!(p.api("data"), "kv1/foo");
        let p = KvPath::new("secret/".into(), "".into(), true, true);
        assert_eq!(p.api("metadata"), "secret/metadata");
    }

    #[test]
    fn go_path_join() {
        assert_eq!(join(&["a/", "b"]), "a/b");
        assert_eq!(join(&["a", "", "b/"]), "a/b");
        assert_eq!(join(&["a/b", "../c"]), "a/c");
        assert_eq!(join(&["", ""]), "");
        assert_eq!(join(&["a", ".."]), ".");
    }
}
