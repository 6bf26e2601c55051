//! Exec mode: the agent runs one child process with secrets in its environment
//! (`env_template`s), restarts it when they change, and ends with it.

use crate::config::{Exec, RestartOn};
use crate::templates::Environment;
use std::process::ExitStatus;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// How long a child has to stop after the stop signal before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("starting {program:?}: {error}")]
    Spawn {
        program: String,
        error: std::io::Error,
    },
    #[error("waiting for the child: {0}")]
    Wait(std::io::Error),
    #[error("unknown signal {0:?}")]
    Signal(String),
    #[error("the environment channel closed before the first render")]
    NoEnvironment,
}

fn signal(name: &str) -> Result<rustix::process::Signal, ExecError> {
    use rustix::process::Signal as S;
    Ok(
        match name
            .trim()
            .trim_start_matches("SIG")
            .to_ascii_uppercase()
            .as_str()
        {
            "TERM" => S::TERM,
            "INT" => S::INT,
            "HUP" => S::HUP,
            "QUIT" => S::QUIT,
            "KILL" => S::KILL,
            "USR1" => S::USR1,
            "USR2" => S::USR2,
            _ => return Err(ExecError::Signal(name.to_owned())),
        },
    )
}

fn spawn(exec: &Exec, env: &Environment) -> Result<Child, ExecError> {
    let (program, args) = exec
        .command
        .split_first()
        .ok_or_else(|| ExecError::Signal(String::new()))?;
    Command::new(program)
        .args(args)
        .envs(env)
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| ExecError::Spawn {
            program: program.clone(),
            error,
        })
}

/// Sends `sig` to the child, waits for it up to the grace period, then kills it.
pub async fn stop(
    child: &mut Child,
    sig: rustix::process::Signal,
) -> Result<ExitStatus, ExecError> {
    if let Some(pid) = child
        .id()
        .and_then(|p| rustix::process::Pid::from_raw(p as i32))
    {
        let _ = rustix::process::kill_process(pid, sig);
    }
    match tokio::time::timeout(STOP_GRACE, child.wait()).await {
        Ok(status) => status.map_err(ExecError::Wait),
        Err(_) => {
            let _ = child.start_kill();
            child.wait().await.map_err(ExecError::Wait)
        }
    }
}

/// Runs the child from the first complete environment on; restarts it when the
/// environment changes (`restart_on_secret_changes = "always"`). Returns the child's exit
/// status when it ends by itself, or after stopping it (with SIGTERM) once `shutdown`
/// turns true.
pub async fn supervise(
    exec: Exec,
    mut environment: watch::Receiver<Option<Environment>>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<ExitStatus, ExecError> {
    let stop_signal = signal(&exec.restart_stop_signal)?;
    let mut env = loop {
        if let Some(env) = environment.borrow_and_update().clone() {
            break env;
        }
        environment
            .changed()
            .await
            .map_err(|_| ExecError::NoEnvironment)?;
    };
    let mut child = spawn(&exec, &env)?;
    tracing::info!(command = ?exec.command.first(), "started the child process");
    loop {
        tokio::select! {
            status = child.wait() => return status.map_err(ExecError::Wait),
            _ = async { shutdown.wait_for(|s| *s).await.map(|_| ()) } => {
                return stop(&mut child, rustix::process::Signal::TERM).await;
            }
            changed = environment.changed() => {
                if changed.is_err() {
                    // The runner ended: let the child run to its end.
                    return child.wait().await.map_err(ExecError::Wait);
                }
                let Some(new_env) = environment.borrow_and_update().clone() else { continue };
                if new_env == env || exec.restart_on_secret_changes == RestartOn::Never {
                    continue;
                }
                env = new_env;
                tracing::info!("secrets changed: restarting the child process");
                stop(&mut child, stop_signal).await?;
                child = spawn(&exec, &env)?;
            }
        }
    }
}
