//! What a template depends on, and the trait through which rendering asks for it.
//!
//! Rendering never does I/O. As in consul-template, it is a pure function of a
//! [`Source`] that answers from what has already been fetched: a dependency not fetched
//! yet is [`Fetched::Pending`], rendering goes on with an empty value (so later
//! dependencies are found too), and the result says it is incomplete. The agent fetches
//! what is pending and renders again; it writes the file only once a render is complete.

use std::fmt;

/// Something a template reads through the agent. `Eq + Hash` so the agent can key its
/// cache on it. Parameters are sorted by key, each key once (the last one given wins),
/// as consul-template keeps them in a map.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Dependency {
    /// `secret "path"` reads (GET); `secret "path" "k=v" ...` writes (PUT) the
    /// parameters. Ready value: the Vault HTTP response body (`request_id`, `lease_id`,
    /// `lease_duration`, `renewable`, `data`, `warnings`, `auth`, `wrap_info`).
    /// For KV v2 mounts consul-template inserts `data/` into a path that lacks it; that
    /// is the fetcher's job, and the path here is as the template wrote it.
    Secret {
        path: String,
        params: Vec<(String, String)>,
    },
    /// `secrets "path"`: a LIST. Ready value: the response body (keys in
    /// `data.keys`) or a plain JSON array of key strings. Templates see them sorted.
    /// (For KV v2, consul-template lists `metadata/`; the fetcher's job again.)
    Secrets { path: String },
    /// `pkiCert "path" "k=v" ...`: a certificate issued by a PKI write. Ready value: a
    /// JSON object with the PEM strings `cert`, `key`, `ca` and the array `ca_chain`
    /// (consul-template splits the issued PEM blocks into these; missing keys are
    /// empty). Templates see `.Cert`, `.Key`, `.CA`, `.CAChain` (also under `.Data`).
    PkiCert {
        path: String,
        params: Vec<(String, String)>,
    },
    /// `file "path"`: a local file. Ready value: its contents as a JSON string.
    File { path: String },
}

impl Dependency {
    /// The path the dependency names.
    pub fn path(&self) -> &str {
        match self {
            Dependency::Secret { path, .. }
            | Dependency::Secrets { path }
            | Dependency::PkiCert { path, .. }
            | Dependency::File { path } => path,
        }
    }

    /// Whether fetching it writes (a secret with parameters, a PKI issue).
    pub fn is_write(&self) -> bool {
        match self {
            Dependency::Secret { params, .. } => !params.is_empty(),
            Dependency::PkiCert { .. } => true,
            _ => false,
        }
    }

    fn params(&self) -> &[(String, String)] {
        match self {
            Dependency::Secret { params, .. } | Dependency::PkiCert { params, .. } => params,
            _ => &[],
        }
    }
}

/// Names the function and path, and only the keys of parameters: their values may be
/// secret (a write's payload).
impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let func = match self {
            Dependency::Secret { .. } => "secret",
            Dependency::Secrets { .. } => "secrets",
            Dependency::PkiCert { .. } => "pkiCert",
            Dependency::File { .. } => "file",
        };
        write!(f, "{func} {:?}", self.path())?;
        for (k, _) in self.params() {
            write!(f, " \"{k}=...\"")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dependency({self})")
    }
}

/// What the source knows about a dependency.
#[derive(Clone, PartialEq)]
pub enum Fetched {
    /// Fetched; the value's shape depends on the kind (see [`Dependency`]).
    Ready(serde_json::Value),
    /// Not fetched yet.
    Pending,
    /// The fetch failed. The reason appears in the render error, so it must not hold
    /// secret values.
    Failed(String),
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fetched::Ready(_) => f.write_str("Ready([redacted])"),
            Fetched::Pending => f.write_str("Pending"),
            Fetched::Failed(reason) => write!(f, "Failed({reason:?})"),
        }
    }
}

/// Where a render gets its data. Implementations answer from memory; they may record
/// what was asked for, but must not block on the network.
pub trait Source {
    /// The data for a dependency. Called at most once per dependency per render.
    fn fetch(&mut self, dep: &Dependency) -> Fetched;
    /// An environment variable (`env`, `mustEnv`, `envOrDefault`).
    fn env(&self, name: &str) -> Option<String>;
    /// The current time (`timestamp`).
    fn now(&self) -> time::OffsetDateTime;
}

/// Parses consul-template's `"k=v"` arguments: blank ones are skipped, keys and values
/// are trimmed, the last value of a key wins, and the result is sorted by key.
pub(crate) fn parse_params(args: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut params: Vec<(String, String)> = Vec::new();
    for arg in args {
        if arg.is_empty() {
            continue;
        }
        let Some((k, v)) = arg.split_once('=') else {
            return Err("parameter is not a k=v pair".into());
        };
        let (k, v) = (k.trim().to_string(), v.trim().to_string());
        match params.iter_mut().find(|(key, _)| *key == k) {
            Some(entry) => entry.1 = v,
            None => params.push((k, v)),
        }
    }
    params.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_normalised() {
        let args: Vec<String> = ["b = 2", "", "a=1", "b=3=x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            parse_params(&args),
            Ok(vec![("a".into(), "1".into()), ("b".into(), "3=x".into())])
        );
        assert!(parse_params(&["novalue".to_string()]).is_err());
    }

    #[test]
    fn display_hides_parameter_values() {
        let d = Dependency::Secret {
            path: "transit/encrypt/k".into(),
            params: vec![("plaintext".into(), "c2VjcmV0".into())],
        };
        assert_eq!(
            d.to_string(),
            "secret \"transit/encrypt/k\" \"plaintext=...\""
        );
        assert!(!format!("{d:?}").contains("c2VjcmV0"));
        assert!(d.is_write());
    }
}
