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
    // Its own process group, so that stopping it reaches what it started (`sh -c`).
    Command::new(program)
        .args(args)
        .envs(env)
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| ExecError::Spawn {
            program: program.clone(),
            error,
        })
}

/// Sends `sig` to the child's process group, waits for the child up to the grace
/// period, then kills the group (what the child left running goes with it).
pub async fn stop(
    child: &mut Child,
    sig: rustix::process::Signal,
) -> Result<ExitStatus, ExecError> {
    let group = child
        .id()
        .and_then(|p| i32::try_from(p).ok())
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = group {
        if let Err(e) = rustix::process::kill_process_group(pid, sig) {
            tracing::warn!(error = %e, "could not signal the child's process group");
        }
    }
    let status = match tokio::time::timeout(STOP_GRACE, child.wait()).await {
        Ok(status) => status.map_err(ExecError::Wait)?,
        Err(_) => {
            let _ = child.start_kill();
            child.wait().await.map_err(ExecError::Wait)?
        }
    };
    if let Some(pid) = group {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    Ok(status)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn alive(pid: i32) -> bool {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap_or_default()
                .contains(") Z ")
    }

    #[tokio::test]
    async fn stopping_reaches_what_the_child_started() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("grandchild");
        let exec = Exec {
            command: vec![
                "sh".into(),
                "-c".into(),
                format!("sleep 1000 & echo $! > {}; wait", pidfile.display()),
            ],
            restart_on_secret_changes: RestartOn::Always,
            restart_stop_signal: "SIGTERM".into(),
        };
        let mut child = spawn(&exec, &Environment::new()).unwrap();
        let mut grandchild = 0;
        for _ in 0..100 {
            if let Ok(p) = std::fs::read_to_string(&pidfile) {
                if let Ok(p) = p.trim().parse::<i32>() {
                    grandchild = p;
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(grandchild > 0 && alive(grandchild));
        stop(&mut child, signal("SIGTERM").unwrap()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !alive(grandchild),
            "the grandchild {grandchild} outlived the child"
        );
    }
}
