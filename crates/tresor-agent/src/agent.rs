//! The whole agent: auto-auth, sinks, the template runner, exec mode and the API proxy,
//! each a task; the first to end decides how the agent ends.

use crate::auth::{self, AuthOutcome, Authenticator};
use crate::config::{AgentConfig, MethodKind, TemplateText};
use crate::exec;
use crate::templates::{Job, Runner, Target};
use std::path::PathBuf;
use tokio::sync::watch;
use tresor_api::{Client, Settings};
use tresor_template::{Delims, RenderOptions, Template};

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("{0}")]
    Setup(String),
    #[error("template {name}: {error}")]
    Template { name: String, error: String },
    #[error(transparent)]
    Api(#[from] tresor_api::ApiError),
    #[error("auto-auth failed: {0}")]
    Auth(#[from] auth::AuthError),
    #[error(transparent)]
    Run(#[from] crate::templates::RunError),
    #[error(transparent)]
    Exec(#[from] exec::ExecError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The server settings: the environment (`VAULT_ADDR`...), then the `vault` block.
pub fn server_settings(cfg: &AgentConfig) -> Settings {
    let mut s = Settings::server_from_env();
    let v = &cfg.vault;
    if let Some(a) = &v.address {
        s.address.clone_from(a);
    }
    if v.ca_cert.is_some() {
        s.ca_cert.clone_from(&v.ca_cert);
    }
    if v.client_cert.is_some() {
        s.client_cert.clone_from(&v.client_cert);
        s.client_key.clone_from(&v.client_key);
    }
    s.skip_verify |= v.tls_skip_verify;
    s
}

fn template_jobs(cfg: &AgentConfig) -> Result<Vec<Job>, AgentError> {
    let mut jobs = Vec::new();
    for spec in &cfg.templates {
        let name = spec.destination.display().to_string();
        let text = match &spec.text {
            TemplateText::Inline(t) => t.clone(),
            TemplateText::File(p) => {
                std::fs::read_to_string(p).map_err(|e| AgentError::Template {
                    name: name.clone(),
                    error: format!("reading {}: {e}", p.display()),
                })?
            }
        };
        let delims = Delims::new(&spec.left_delimiter, &spec.right_delimiter);
        let template =
            Template::parse(&name, &text, &delims).map_err(|e| AgentError::Template {
                name: name.clone(),
                error: e.to_string(),
            })?;
        let options = RenderOptions {
            error_on_missing_key: spec.error_on_missing_key,
            ..RenderOptions::default()
        };
        jobs.push(Job::new(
            name,
            template,
            options,
            Target::File(Box::new(spec.clone())),
        ));
    }
    for env in &cfg.env_templates {
        let delims = Delims::new(&env.left_delimiter, &env.right_delimiter);
        let template = Template::parse(&env.name, &env.contents, &delims).map_err(|e| {
            AgentError::Template {
                name: env.name.clone(),
                error: e.to_string(),
            }
        })?;
        let options = RenderOptions {
            error_on_missing_key: env.error_on_missing_key,
            ..RenderOptions::default()
        };
        jobs.push(Job::new(
            env.name.clone(),
            template,
            options,
            Target::Env(env.name.clone()),
        ));
    }
    Ok(jobs)
}

/// The client auto-auth logs in with: the server's own, or one presenting the `cert`
/// method's client certificate when it names one (building a client loads the trusted
/// roots: done once when nothing differs).
fn login_client(
    cfg: &AgentConfig,
    settings: &Settings,
    server: &Client,
) -> Result<Client, AgentError> {
    let Some(MethodKind::Cert {
        client_cert,
        client_key,
        ca_cert,
        ..
    }) = cfg.auto_auth.as_ref().map(|a| &a.method.kind)
    else {
        return Ok(server.clone());
    };
    if client_cert.is_none() && ca_cert.is_none() {
        return Ok(server.clone());
    }
    let mut s = settings.clone();
    if client_cert.is_some() {
        s.client_cert.clone_from(client_cert);
        s.client_key.clone_from(client_key);
    }
    if ca_cert.is_some() {
        s.ca_cert.clone_from(ca_cert);
    }
    Ok(Client::new(s)?)
}

struct PidFile(Option<PathBuf>);

impl Drop for PidFile {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Runs the agent until it is done (`exit_after_auth`), fails, its exec child ends, or
/// `shutdown` turns true. Answers the process's exit code.
pub async fn run(cfg: AgentConfig, mut shutdown: watch::Receiver<bool>) -> Result<i32, AgentError> {
    let settings = server_settings(&cfg);
    let server = Client::new(settings.clone())?;
    let jobs = template_jobs(&cfg)?;
    let Some(auto_auth) = cfg.auto_auth.clone() else {
        if !jobs.is_empty() {
            return Err(AgentError::Setup(
                "templates need an auto_auth block".into(),
            ));
        }
        return Err(AgentError::Setup(
            "nothing to do: no auto_auth block".into(),
        ));
    };
    let _pid = match &cfg.pid_file {
        Some(p) => {
            std::fs::write(p, format!("{}\n", std::process::id()))?;
            PidFile(Some(p.clone()))
        }
        None => PidFile(None),
    };
    let (token_tx, token_rx) = watch::channel(None);
    let authenticator = Authenticator::new(
        auto_auth.method.clone(),
        login_client(&cfg, &settings, &server)?,
    );
    let once = cfg.exit_after_auth;
    let mut auth_task = tokio::spawn(auth::run(
        authenticator,
        auto_auth.sinks.clone(),
        server.clone(),
        token_tx,
        once,
    ));

    let (env_tx, env_rx) = watch::channel(None);
    let has_jobs = !jobs.is_empty();
    let runner = Runner {
        server: server.clone(),
        token: token_rx.clone(),
        jobs,
        config: cfg.template_config.clone(),
        retries: cfg.vault.num_retries,
        environment: cfg.exec.as_ref().map(|_| env_tx),
    };

    if once {
        match (&mut auth_task).await {
            Ok(AuthOutcome::Done) => {}
            Ok(AuthOutcome::Failed(e)) => return Err(e.into()),
            Err(e) => return Err(AgentError::Setup(e.to_string())),
        }
        if has_jobs {
            runner.run(true).await?;
        }
        tracing::info!("exit_after_auth: done");
        return Ok(0);
    }

    let mut runner_task = tokio::spawn(runner.run(false));
    let mut exec_task = match cfg.exec.clone() {
        Some(e) => tokio::spawn(exec::supervise(e, env_rx, shutdown.clone())),
        None => tokio::spawn(async { std::future::pending().await }),
    };
    let proxy_future = crate::proxy_task(&cfg, &settings, token_rx.clone());
    tokio::pin!(proxy_future);
    let code = tokio::select! {
        auth = &mut auth_task => match auth {
            Ok(AuthOutcome::Failed(e)) => return Err(e.into()),
            Ok(AuthOutcome::Done) => 0,
            Err(e) => return Err(AgentError::Setup(e.to_string())),
        },
        run = &mut runner_task, if has_jobs => match run {
            Ok(Ok(())) => 0,
            Ok(Err(e)) => return Err(e.into()),
            Err(e) => return Err(AgentError::Setup(e.to_string())),
        },
        status = &mut exec_task => match status {
            Ok(Ok(status)) => status.code().unwrap_or(1),
            Ok(Err(e)) => return Err(e.into()),
            Err(e) => return Err(AgentError::Setup(e.to_string())),
        },
        proxy = &mut proxy_future => match proxy {
            Ok(never) => match never {},
            Err(e) => return Err(e),
        },
        _ = async { shutdown.wait_for(|s| *s).await.map(|_| ()) } => {
            tracing::info!("shutting down");
            if cfg.revoke_on_exit {
                revoke(&server, &token_rx).await;
            }
            if cfg.exec.is_some() {
                // The supervisor stops the child on the same signal; wait for it.
                if let Ok(Ok(status)) = exec_task.await {
                    tracing::info!(status = %status, "the child process stopped");
                }
            }
            0
        },
    };
    Ok(code)
}

/// Revokes the current auto-auth token (best effort: the agent is stopping).
async fn revoke(server: &Client, token: &watch::Receiver<Option<tresor_crypto::SecretString>>) {
    let Some(current) = token.borrow().clone() else {
        return;
    };
    let client = server.with_token(Some(current));
    match client
        .put("auth/token/revoke-self", &serde_json::json!({}))
        .await
    {
        Ok(_) => tracing::info!("revoked the auto-auth token"),
        Err(e) => tracing::warn!(error = %e, "could not revoke the auto-auth token"),
    }
}
