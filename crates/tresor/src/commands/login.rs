//! `tresor login [TOKEN]` and `tresor login -method=M [-path=P] k=v...`: checks a token
//! with `auth/token/lookup-self`, or logs in through an auth method, and keeps the token
//! in the token helper file (`~/.vault-token`, mode 0600), as the Vault CLI does.

use super::context::{finish, local, remote, ClientArgs, Ctx, FieldArg, Run};
use super::render::{self, wrap};
use super::secret::{Auth, Secret};
use super::{data_args, fail};
use clap::Args;
use serde_json::Value;
use std::io::Write;
use std::process::ExitCode;
use tresor_crypto::SecretString;

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub field: FieldArg,
    /// The auth method: `token` (default), `userpass`, `approle`, or any method whose
    /// login takes its settings as `k=v` pairs.
    #[arg(long, default_value = "token")]
    pub method: String,
    /// Where the method is mounted (default: its type).
    #[arg(long)]
    pub path: Option<String>,
    /// Do not keep the token in the token helper file.
    #[arg(long = "no-store", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_store: Option<bool>,
    /// Do not print the token information.
    #[arg(long = "no-print", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_print: Option<bool>,
    /// Print only the token, and do not keep it.
    #[arg(long = "token-only", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub token_only: Option<bool>,
    /// The token (prompted for without echo when absent; `-` reads it from stdin), then
    /// `k=v` settings (`lookup=false` skips the check).
    #[arg(allow_hyphen_values = true)]
    pub args: Vec<String>,
}

pub async fn run(a: LoginArgs) -> ExitCode {
    finish(login(a).await)
}

async fn login(mut a: LoginArgs) -> Run {
    let token_only = a.token_only.unwrap_or(false);
    let no_store = token_only || a.no_store.unwrap_or(false);
    if token_only {
        a.field.field = Some("token".to_owned());
    }
    if no_store && a.no_print.unwrap_or(false) {
        return Err(local("-no-store and -no-print cannot be used together"));
    }
    let method = a.method.trim().trim_matches('/').to_owned();
    if method == "token" {
        if let Some(first) = a.args.first_mut().filter(|f| !f.contains('=')) {
            *first = format!("token={first}");
        }
    }
    let config = data_args::parse_strings(&a.args, &mut std::io::stdin())
        .map_err(|e| local(&format!("Error parsing configuration: {e}")))?;
    let ctx = a.client.connect()?;
    let secret = if method == "token" {
        authenticate(&ctx, config).await?
    } else {
        let mount = a
            .path
            .as_deref()
            .unwrap_or(&method)
            .trim_matches('/')
            .to_owned();
        method_login(&ctx, &method, &mount, config).await?
    };
    if !no_store {
        store(&secret)?;
        warn_env_token();
    } else if !token_only {
        eprintln!(
            "{}\n",
            wrap(
                "The token was not stored in token helper. Set the VAULT_TOKEN environment \
                 variable or pass the token below with each request to tresor.",
                0
            )
        );
    }
    if a.no_print.unwrap_or(false) {
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(name) = &a.field.field {
        return Ok(render::secret_field(ctx.format, &secret, name));
    }
    ctx.info(&format!(
        "{}\n",
        wrap(
            "Success! You are now authenticated. The token information displayed below is \
             already stored in the token helper. You do NOT need to run \"tresor login\" \
             again. Future requests will automatically use this token.",
            0
        )
    ));
    Ok(render::secret(ctx.format, &secret))
}

/// The token method: the token from the arguments or a prompt, checked with
/// `lookup-self` unless `lookup=false`.
async fn authenticate(ctx: &Ctx, config: Vec<(String, String)>) -> Result<Secret, ExitCode> {
    let mut lookup = true;
    let mut token = None;
    for (k, v) in config {
        match k.as_str() {
            "lookup" => {
                lookup = parse_bool(&v).ok_or_else(|| {
                    remote(&format!(
                        "Error authenticating: Failed to parse \"lookup\" as boolean: {v}"
                    ))
                })?;
            }
            "token" => token = Some(SecretString::from(v.trim())),
            _ => {}
        }
    }
    let token = match token {
        Some(t) => t,
        None => prompt()?,
    };
    if token.is_empty() {
        return Err(remote(
            "Error authenticating: a token must be passed to auth, please view the help for \
             more information",
        ));
    }
    if !lookup {
        let auth = Auth {
            client_token: token,
            ..Auth::default()
        };
        return Ok(secret_with(auth));
    }
    let client = ctx.client.with_token(Some(token));
    let answer = match client.get("auth/token/lookup-self").await {
        Ok(Some(v)) => Secret::from_value(v).map_err(|e| local(&e))?,
        Ok(None) => {
            return Err(remote(
                "Error authenticating: empty response from lookup-self",
            ))
        }
        Err(e) => return Err(fail("Error authenticating: error looking up token", &e)),
    };
    Ok(secret_with(auth_from_lookup(answer.data())))
}

/// A login through an auth method: `userpass` (and `ldap`) take `username` and a
/// password (prompted for without echo when absent) at `login/<username>`; other methods
/// send every `k=v` to `login`.
async fn method_login(
    ctx: &Ctx,
    method: &str,
    mount: &str,
    config: Vec<(String, String)>,
) -> Result<Secret, ExitCode> {
    let mut body = serde_json::Map::new();
    for (k, v) in config {
        body.insert(k, Value::String(v));
    }
    let path = if matches!(method, "userpass" | "ldap") {
        let username = body
            .remove("username")
            .and_then(|u| u.as_str().map(str::to_owned))
            .filter(|u| !u.is_empty())
            .ok_or_else(|| local("Error authenticating: 'username' must be specified"))?;
        if !body.contains_key("password") {
            let password = rpassword::prompt_password("Password (will be hidden): ")
                .map_err(|e| local(&format!("Error reading the password: {e}")))?;
            body.insert("password".into(), Value::String(password));
        }
        format!("auth/{mount}/login/{username}")
    } else {
        format!("auth/{mount}/login")
    };
    let client = ctx.client.with_token(None);
    let answer = match client.put(&path, &Value::Object(body)).await {
        Ok(Some(v)) => Secret::from_value(v).map_err(|e| local(&e))?,
        Ok(None) => {
            return Err(remote(
                "Error authenticating: empty response from the server",
            ))
        }
        Err(e) => return Err(fail("Error authenticating", &e)),
    };
    if answer.auth.is_none() {
        return Err(remote("Error authenticating: the answer carries no token"));
    }
    Ok(answer)
}

fn secret_with(auth: Auth) -> Secret {
    Secret {
        auth: Some(auth),
        ..Secret::default()
    }
}

/// An `auth` block made from a `lookup-self` answer, as the Vault CLI's token method
/// makes it.
fn auth_from_lookup(data: &serde_json::Map<String, Value>) -> Auth {
    let strings = |key: &str| -> Option<Vec<String>> {
        data.get(key)?.as_array().map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
    };
    let text = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or_default();
    let token_policies = strings("policies");
    let identity_policies = strings("identity_policies");
    let policies = match (&token_policies, &identity_policies) {
        (None, None) => None,
        (t, i) => Some(t.iter().chain(i.iter()).flatten().cloned().collect()),
    };
    let metadata = ["metadata", "meta"]
        .iter()
        .find_map(|k| data.get(*k).and_then(Value::as_object))
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        });
    Auth {
        client_token: SecretString::from(text("id")),
        accessor: text("accessor").to_owned(),
        policies,
        token_policies,
        identity_policies,
        metadata,
        lease_duration: data.get("ttl").and_then(Value::as_i64).unwrap_or(0),
        renewable: data
            .get("renewable")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        ..Auth::default()
    }
}

/// Asks for the token on the terminal without echo (the prompt goes to stderr).
fn prompt() -> Result<SecretString, ExitCode> {
    use std::io::IsTerminal;
    eprint!("Token (will be hidden): ");
    let read = if std::io::stdin().is_terminal() {
        rpassword::read_password()
    } else {
        Err(std::io::Error::other("file descriptor 0 is not a terminal"))
    };
    eprintln!();
    match read {
        Ok(t) => Ok(SecretString::from(t.trim())),
        Err(e) => Err(remote(&format!(
            "Error authenticating: An error occurred attempting to ask for a token. The raw \
             error message is shown below, but usually this is because you attempted to pipe \
             a value into the command or you are executing outside of a terminal (tty). If \
             you want to pipe the value, pass \"-\" as the argument to read from stdin. The \
             raw error was: {e}"
        ))),
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Writes the token to the token helper file: a private temporary file, then renamed.
fn store(secret: &Secret) -> Result<(), ExitCode> {
    let token = secret
        .auth
        .as_ref()
        .map(|a| a.client_token.expose())
        .unwrap_or_default();
    let result = tresor_api::token_file()
        .ok_or_else(|| std::io::Error::other("HOME is not set"))
        .and_then(|path| write_private(&path, token));
    result.map_err(|e| local(&format!("Error storing token: {}", data_args::io_text(&e))))
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

fn warn_env_token() {
    if tresor_api::env("TOKEN").is_some() {
        eprintln!(
            "{}\n",
            wrap(
                "WARNING! The VAULT_TOKEN environment variable is set! The value of this \
                 variable will take precedence; if this is unwanted please unset VAULT_TOKEN \
                 or update its value accordingly.",
                0
            )
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn auth_block_from_lookup_self() {
        let data = json!({
            "id": "t", "accessor": "a", "policies": ["default", "p"],
            "identity_policies": ["i"], "ttl": 60, "renewable": true, "meta": {"k": "v"},
        });
        let auth = auth_from_lookup(data.as_object().unwrap());
        assert_eq!(auth.client_token.expose(), "t");
        assert_eq!(auth.policies.unwrap(), ["default", "p", "i"]);
        assert_eq!(auth.token_policies.unwrap(), ["default", "p"]);
        assert_eq!((auth.lease_duration, auth.renewable), (60, true));
        assert_eq!(
            auth.metadata.unwrap().get("k").map(String::as_str),
            Some("v")
        );
        let root = auth_from_lookup(
            json!({"id": "root", "policies": ["root"]})
                .as_object()
                .unwrap(),
        );
        assert_eq!(root.identity_policies, None);
        assert_eq!(root.policies.unwrap(), ["root"]);
    }

    #[test]
    fn the_token_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".vault-token");
        std::fs::write(path.with_extension("tmp"), "stale").unwrap();
        write_private(&path, "tok").unwrap();
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "tok");
    }
}
