//! The functions that read through the source: `secret`, `secrets`, `pkiCert`, `file`,
//! the environment and the clock. While a dependency is pending they return what
//! consul-template returns then (nil, an empty list, an empty string).

use crate::deps::Deps;
use crate::json::strings_or_nil;
use crate::secret::{list_keys, pem_value, secret_value};
use crate::source::{parse_params, Dependency};
use crate::timefmt;
use crate::value::{NilKind, Value};

use super::FuncError;

fn strings(args: &[Value]) -> Vec<String> {
    args.iter()
        .map(|a| a.as_str().unwrap_or("").to_string())
        .collect()
}

type Params = Vec<(String, String)>;

/// Path and `k=v` parameters, or `None` when called without arguments.
fn path_and_params(args: &[Value]) -> Result<Option<(String, Params)>, FuncError> {
    let all = strings(args);
    let Some((path, rest)) = all.split_first() else {
        return Ok(None);
    };
    if path.is_empty() {
        return Err("empty path".into());
    }
    let params = parse_params(rest)?;
    Ok(Some((path.clone(), params)))
}

fn secret_json(v: &serde_json::Value) -> Result<Value, String> {
    Ok(secret_value(v))
}

/// `secret "path"` reads; `secret "path" "k=v" ...` writes.
pub(super) fn secret(deps: &mut Deps<'_>, args: &[Value]) -> Result<Value, FuncError> {
    let Some((path, params)) = path_and_params(args)? else {
        return Ok(Value::Nil);
    };
    let dep = Dependency::Secret { path, params };
    Ok(deps.get(dep, secret_json)?.unwrap_or(Value::Nil))
}

fn keys_json(v: &serde_json::Value) -> Result<Value, String> {
    list_keys(v).map(strings_or_nil)
}

/// `secrets "path"`: the keys under a path (a LIST), sorted.
pub(super) fn secrets(deps: &mut Deps<'_>, args: &[Value]) -> Result<Value, FuncError> {
    let path = strings(args).into_iter().next().unwrap_or_default();
    if path.is_empty() {
        return Ok(Value::NilOf(NilKind::Strings));
    }
    let dep = Dependency::Secrets { path };
    Ok(deps
        .get(dep, keys_json)?
        .unwrap_or(Value::NilOf(NilKind::Strings)))
}

fn pem_json(v: &serde_json::Value) -> Result<Value, String> {
    if v.is_object() {
        Ok(pem_value(v))
    } else {
        Err("unexpected value: expected an object with cert, key, ca, ca_chain".into())
    }
}

/// `pkiCert "path" "k=v" ...`
pub(super) fn pki_cert(deps: &mut Deps<'_>, args: &[Value]) -> Result<Value, FuncError> {
    let Some((path, params)) = path_and_params(args)? else {
        return Ok(Value::Nil);
    };
    let dep = Dependency::PkiCert { path, params };
    Ok(deps.get(dep, pem_json)?.unwrap_or(Value::Nil))
}

fn file_json(v: &serde_json::Value) -> Result<Value, String> {
    match v {
        serde_json::Value::String(s) => Ok(Value::Str(s.clone())),
        serde_json::Value::Null => Ok(Value::str("")),
        _ => Err("unexpected value: expected the file contents as a string".into()),
    }
}

/// `file "path"`: the contents of a local file.
pub(super) fn file(deps: &mut Deps<'_>, args: &[Value]) -> Result<Value, FuncError> {
    let path = strings(args).into_iter().next().unwrap_or_default();
    let path = path.trim();
    if path.is_empty() {
        return Ok(Value::str(""));
    }
    let dep = Dependency::File {
        path: path.to_string(),
    };
    Ok(deps.get(dep, file_json)?.unwrap_or(Value::str("")))
}

fn env_value(deps: &Deps<'_>, args: &[Value]) -> String {
    let name = args.first().and_then(Value::as_str).unwrap_or("");
    deps.env(name).unwrap_or_default()
}

pub(super) fn env(deps: &mut Deps<'_>, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::Str(env_value(deps, args)))
}

pub(super) fn must_env(deps: &mut Deps<'_>, args: &[Value]) -> Result<Value, FuncError> {
    let v = env_value(deps, args);
    if v.is_empty() {
        // The name is in the error's context when written in the template; computed,
        // it could come from a secret.
        return Err("required environment variable is empty or not set".into());
    }
    Ok(Value::Str(v))
}

pub(super) fn env_or_default(deps: &mut Deps<'_>, args: &[Value]) -> Result<Value, FuncError> {
    let v = env_value(deps, args);
    if v.is_empty() {
        let default = args.get(1).and_then(Value::as_str).unwrap_or("");
        return Ok(Value::str(default));
    }
    Ok(Value::Str(v))
}

/// `timestamp` (RFC 3339), `timestamp "unix"` or `timestamp LAYOUT`, in UTC.
pub(super) fn timestamp(deps: &mut Deps<'_>, args: &[Value]) -> Result<Value, FuncError> {
    let now = deps.now();
    let layout = match args {
        [] => timefmt::RFC3339,
        [layout] => layout.as_str().unwrap_or(""),
        _ => {
            return Err(format!(
                "timestamp: wrong number of arguments, expected 0 or 1, but got {}",
                args.len()
            )
            .into())
        }
    };
    if layout == "unix" {
        return Ok(Value::Str(now.unix_timestamp().to_string()));
    }
    Ok(Value::Str(timefmt::format(now, layout)))
}

#[cfg(test)]
mod tests {
    use crate::test_support::render;

    #[test]
    fn environment_and_clock() {
        assert_eq!(
            render(
                "{{env \"SET\"}}|{{env \"NO\"}}|{{envOrDefault \"NO\" \"d\"}}|{{mustEnv \"SET\"}}"
            )
            .as_deref(),
            Ok("yes||d|yes")
        );
        assert!(render("{{mustEnv \"NO\"}}").is_err());
        assert_eq!(
            render("{{timestamp}} {{timestamp \"unix\"}} {{timestamp \"2006\"}}").as_deref(),
            Ok("1970-01-01T00:00:00Z 0 1970")
        );
        assert!(render("{{timestamp \"a\" \"b\"}}").is_err());
    }

    #[test]
    fn calls_without_a_path() {
        assert_eq!(
            render("{{secret}}|{{secrets \"\"}}|{{file \"\"}}|{{pkiCert}}").as_deref(),
            Ok("<no value>|[]||<no value>")
        );
        let err = render("{{secret \"app\" \"novalue\"}}").unwrap_err();
        assert!(err.contains("not a k=v pair"), "{err}");
    }

    #[test]
    fn failed_fetches_name_the_dependency() {
        let err = render("{{secret \"gone\"}}").unwrap_err();
        assert!(err.ends_with("secret \"gone\": not found"), "{err}");
    }
}
