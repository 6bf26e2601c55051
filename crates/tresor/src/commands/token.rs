//! `tresor token create|lookup|renew|revoke|capabilities` (`auth/token/...`).

use super::context::{local, with_ctx, ClientArgs, Ctx, FieldArg, Run};
use super::duration::{self, Duration};
use super::{data_args, render, rw};
use crate::output::Format;
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
use std::process::ExitCode;
use tresor_api::Call;

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub cmd: TokenCommand,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token (a child of the current one, unless -orphan).
    Create(CreateArgs),
    /// Show a token's properties (the current token when none is given).
    Lookup(TargetArgs),
    /// Extend a token's lease (the current token when none is given).
    Renew(RenewArgs),
    /// Revoke a token and its children (-mode=orphan keeps the children).
    Revoke(RevokeArgs),
    /// The capabilities a token has on a path: `[TOKEN] PATH`.
    Capabilities(CapabilitiesArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub field: FieldArg,
    /// The token's value (requires sudo).
    #[arg(long)]
    pub id: Option<String>,
    #[arg(long = "display-name", default_value = "")]
    pub display_name: String,
    #[arg(long, value_parser = duration::parse_flag)]
    pub ttl: Option<Duration>,
    #[arg(long = "explicit-max-ttl", value_parser = duration::parse_flag)]
    pub explicit_max_ttl: Option<Duration>,
    #[arg(long, value_parser = duration::parse_flag)]
    pub period: Option<Duration>,
    /// Whether the token may be renewed (`-renewable=false` to forbid).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub renewable: Option<bool>,
    /// A token without a parent (requires root or sudo).
    #[arg(long)]
    pub orphan: bool,
    /// Leave out the `default` policy.
    #[arg(long = "no-default-policy")]
    pub no_default_policy: bool,
    /// How many times the token may be used (0: unlimited).
    #[arg(long = "use-limit", default_value_t = 0)]
    pub use_limit: i64,
    /// Create the token against this role (`auth/token/create/<role>`).
    #[arg(long)]
    pub role: Option<String>,
    /// `service` or `batch`.
    #[arg(long = "type", default_value = "service")]
    pub token_type: String,
    /// Metadata `k=v`; may be repeated.
    #[arg(long, value_name = "K=V", value_parser = data_args::pair)]
    pub metadata: Vec<(String, String)>,
    /// A policy of the token; may be repeated.
    #[arg(long = "policy", value_name = "NAME")]
    pub policies: Vec<String>,
    #[arg(long = "entity-alias", default_value = "")]
    pub entity_alias: String,
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    #[command(flatten)]
    pub field: FieldArg,
    /// The argument is a token accessor, not a token.
    #[arg(long)]
    pub accessor: bool,
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct RenewArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The lease to ask for, from now (`30m`, `2h`).
    #[arg(long, short = 'i', value_parser = duration::parse_flag)]
    pub increment: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The argument is a token accessor, not a token.
    #[arg(long)]
    pub accessor: bool,
    /// Revoke the token the command runs with.
    #[arg(long = "self")]
    pub self_: bool,
    /// `orphan` (keep the children) or `path` (revoke every token made under a path).
    #[arg(long)]
    pub mode: Option<String>,
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct CapabilitiesArgs {
    /// `[TOKEN] PATH`.
    #[arg(num_args = 1..=2, required = true)]
    pub args: Vec<String>,
}

pub async fn run(a: TokenArgs) -> ExitCode {
    with_ctx(&a.client, |ctx| dispatch(ctx, a.cmd)).await
}

async fn dispatch(ctx: Ctx, cmd: TokenCommand) -> Run {
    let ctx = &ctx;
    match cmd {
        TokenCommand::Create(a) => create(ctx, a).await,
        TokenCommand::Lookup(a) => lookup(ctx, a).await,
        TokenCommand::Renew(a) => renew(ctx, a).await,
        TokenCommand::Revoke(a) => revoke(ctx, a).await,
        TokenCommand::Capabilities(a) => capabilities(ctx, a).await,
    }
}

async fn create(ctx: &Ctx, a: CreateArgs) -> Run {
    let mut body = Map::new();
    let mut set = |k: &str, v: Value| {
        body.insert(k.to_owned(), v);
    };
    if let Some(id) = a.id.filter(|i| !i.is_empty()) {
        set("id", id.into());
    }
    if !a.policies.is_empty() {
        set("policies", json!(a.policies));
    }
    if let Some(meta) = data_args::pairs_object(&a.metadata) {
        set("meta", meta);
    }
    for (key, d) in [
        ("ttl", a.ttl),
        ("explicit_max_ttl", a.explicit_max_ttl),
        ("period", a.period),
    ] {
        if let Some(d) = d.filter(|d| d.0 != 0) {
            set(key, d.go_string().into());
        }
    }
    if a.orphan {
        set("no_parent", true.into());
    }
    if a.no_default_policy {
        set("no_default_policy", true.into());
    }
    set("display_name", a.display_name.into());
    set("num_uses", a.use_limit.into());
    // batch tokens are never renewable
    let renewable = a.renewable.unwrap_or(true) && a.token_type != "batch";
    set("renewable", renewable.into());
    set("type", a.token_type.into());
    set("entity_alias", a.entity_alias.into());
    let path = match &a.role {
        Some(role) => format!("auth/token/create/{role}"),
        None => "auth/token/create".to_owned(),
    };
    let body = Value::Object(body);
    let secret = ctx
        .secret("Error creating token", Call::new("POST", &path).body(&body))
        .await?
        .unwrap_or_default();
    Ok(rw::show(ctx, &secret, &a.field))
}

async fn lookup(ctx: &Ctx, a: TargetArgs) -> Run {
    let token = a.token.as_deref().map(str::trim).unwrap_or("");
    if a.accessor && token.is_empty() {
        return Err(local(
            "Not enough arguments with -accessor (expected 1, got 0)",
        ));
    }
    let (method, path, body) = match (token, a.accessor) {
        ("", _) => ("GET", "auth/token/lookup-self", None),
        (t, true) => (
            "POST",
            "auth/token/lookup-accessor",
            Some(json!({ "accessor": t })),
        ),
        (t, false) => ("POST", "auth/token/lookup", Some(json!({ "token": t }))),
    };
    let mut call = Call::new(method, path);
    if let Some(b) = &body {
        call = call.body(b);
    }
    let secret = ctx
        .secret("Error looking up token", call)
        .await?
        .unwrap_or_default();
    Ok(rw::show(ctx, &secret, &a.field))
}

async fn renew(ctx: &Ctx, a: RenewArgs) -> Run {
    let token = a.target.token.as_deref().map(str::trim).unwrap_or("");
    let increment = a.increment.map_or(0, |d| d.0 / 1_000_000_000).max(0);
    let (path, body) = match (token, a.target.accessor) {
        ("", _) => ("auth/token/renew-self", json!({ "increment": increment })),
        (t, true) => (
            "auth/token/renew-accessor",
            json!({ "accessor": t, "increment": increment }),
        ),
        (t, false) => (
            "auth/token/renew",
            json!({ "token": t, "increment": increment }),
        ),
    };
    let secret = ctx
        .secret("Error renewing token", Call::new("PUT", path).body(&body))
        .await?
        .unwrap_or_default();
    Ok(rw::show(ctx, &secret, &a.target.field))
}

async fn revoke(ctx: &Ctx, a: RevokeArgs) -> Run {
    let token = a.token.as_deref().map(str::trim).unwrap_or("").to_owned();
    let mode = a.mode.as_deref().unwrap_or("");
    let problem = match (a.self_, a.accessor, mode, a.token.is_some()) {
        (_, _, m, _) if !matches!(m, "" | "orphan" | "path") => Some(format!("Invalid mode: {m}")),
        (true, _, _, true) => Some("Too many arguments with -self (expected 0, got 1)".into()),
        (false, _, _, false) => Some("Not enough arguments (expected 1 or -self, got 0)".into()),
        (true, true, _, _) => Some("Cannot use -self with -accessor!".into()),
        (true, _, m, _) if !m.is_empty() => Some("Cannot use -self with -mode!".into()),
        (_, true, m, _) if !m.is_empty() => Some(format!("Cannot use -accessor with -mode={m}!")),
        _ => None,
    };
    if let Some(p) = problem {
        return Err(local(&p));
    }
    let (path, body) = match (a.self_, a.accessor, mode) {
        (true, _, _) => ("auth/token/revoke-self".to_owned(), json!({})),
        (_, true, _) => (
            "auth/token/revoke-accessor".to_owned(),
            json!({ "accessor": token }),
        ),
        (_, _, "orphan") => (
            "auth/token/revoke-orphan".to_owned(),
            json!({ "token": token }),
        ),
        (_, _, "path") => (format!("sys/leases/revoke-prefix/{token}"), json!({})),
        _ => ("auth/token/revoke".to_owned(), json!({ "token": token })),
    };
    ctx.call("Error revoking token", Call::new("PUT", &path).body(&body))
        .await?;
    println!("Success! Revoked token (if it existed)");
    Ok(ExitCode::SUCCESS)
}

async fn capabilities(ctx: &Ctx, a: CapabilitiesArgs) -> Run {
    let (token, path) = match a.args.as_slice() {
        [path] => (None, path.clone()),
        [token, path] => (Some(token.clone()), path.clone()),
        _ => return Err(local("Not enough arguments (expected 1-2, got 0)")),
    };
    let (endpoint, body) = match &token {
        None => ("sys/capabilities-self", json!({ "path": path })),
        Some(t) => ("sys/capabilities", json!({ "token": t, "path": path })),
    };
    let answer = ctx
        .call(
            "Error listing capabilities",
            Call::new("POST", endpoint).body(&body),
        )
        .await?;
    let data = answer.as_ref().and_then(|a| a.get("data"));
    let pick = |key: &str| {
        data.and_then(|d| d.get(key))
            .and_then(Value::as_array)
            .filter(|l| !l.is_empty())
    };
    let Some(caps) = pick(&path).or_else(|| pick("capabilities")) else {
        return Err(local("No capabilities found"));
    };
    let mut caps: Vec<String> = caps
        .iter()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    if ctx.format != Format::Table {
        return Ok(render::data(ctx.format, &caps));
    }
    caps.sort();
    println!("{}", caps.join(", "));
    Ok(ExitCode::SUCCESS)
}
