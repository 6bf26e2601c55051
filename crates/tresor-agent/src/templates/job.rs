//! One template (a file or an environment value): its parsed text, what it depends on,
//! and what it last produced.

use super::store::{State, Store};
use crate::atomic_file;
use crate::config::TemplateSpec;
use std::time::Duration;
use tresor_template::{Dependency, Fetched, RenderOptions, Source, Template};

/// Where a template's output goes.
#[derive(Debug, Clone)]
pub enum Target {
    File(Box<TemplateSpec>),
    /// An environment variable of the exec child.
    Env(String),
}

pub struct Job {
    /// For logs and errors: the destination or the variable's name.
    pub name: String,
    pub template: Template,
    pub options: RenderOptions,
    pub target: Target,
    /// What the last render asked for.
    pub deps: Vec<Dependency>,
    /// Render again at the next turn of the loop.
    pub dirty: bool,
    /// Its output was written (or handed over) at least once.
    pub rendered: bool,
    /// The last complete output.
    pub output: Option<String>,
}

/// The store as a template sees it; notes what is not fetched yet.
struct View<'a> {
    store: &'a Store,
    wanted: Vec<Dependency>,
}

impl Source for View<'_> {
    fn fetch(&mut self, dep: &Dependency) -> Fetched {
        match self.store.entries.get(dep) {
            Some(State::Ready { fetched, .. }) => Fetched::Ready(fetched.value.clone()),
            Some(State::Failed { error, .. }) => Fetched::Failed(error.clone()),
            Some(State::Fetching { .. }) => Fetched::Pending,
            None => {
                self.wanted.push(dep.clone());
                Fetched::Pending
            }
        }
    }

    fn env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
    }
}

impl Job {
    pub fn new(name: String, template: Template, options: RenderOptions, target: Target) -> Self {
        Self {
            name,
            template,
            options,
            target,
            deps: Vec::new(),
            dirty: true,
            rendered: false,
            output: None,
        }
    }

    pub fn uses(&self, dep: &Dependency) -> bool {
        self.deps.contains(dep)
    }

    /// Renders from the store; when complete and changed, writes the file (and runs its
    /// command). Answers the dependencies nobody fetched yet.
    pub fn render(&mut self, store: &Store) -> Vec<Dependency> {
        self.dirty = false;
        let mut view = View {
            store,
            wanted: Vec::new(),
        };
        let rendered = match self.template.render(&mut view, &self.options) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(template = %self.name, error = %e, "rendering failed");
                return view.wanted;
            }
        };
        self.deps = rendered.dependencies;
        if !rendered.complete {
            return view.wanted;
        }
        if self.output.as_deref() == Some(rendered.output.as_str()) && self.rendered {
            return view.wanted;
        }
        match &self.target {
            // The first render finds the file as an earlier run left it (an init container,
            // a restart): the same content is not written again and its command not run.
            Target::File(spec)
                if self.output.is_none()
                    && atomic_file::holds(&spec.destination, rendered.output.as_bytes()) =>
            {
                tracing::info!(template = %self.name, "the file already holds this content");
                if let Err(e) = atomic_file::set_mode(&spec.destination, spec.perms) {
                    tracing::error!(template = %self.name, error = %e, "setting the file's mode failed");
                }
            }
            Target::File(spec) => {
                if spec.backup {
                    if let Err(e) = atomic_file::backup(&spec.destination) {
                        tracing::warn!(template = %self.name, error = %e, "keeping a backup of the file failed");
                    }
                }
                if let Err(e) = atomic_file::write(
                    &spec.destination,
                    rendered.output.as_bytes(),
                    spec.perms,
                    spec.create_dest_dirs,
                ) {
                    tracing::error!(template = %self.name, error = %e, "writing the rendered file failed");
                    self.dirty = true;
                    return view.wanted;
                }
                tracing::info!(template = %self.name, "rendered");
                if !spec.command.is_empty() {
                    run_command(&self.name, &spec.command, spec.command_timeout);
                }
            }
            Target::Env(_) => {}
        }
        self.output = Some(rendered.output);
        self.rendered = true;
        view.wanted
    }
}

/// Runs a template's command in the background; its failure is logged.
fn run_command(name: &str, argv: &[String], timeout: Duration) {
    let Some((program, args)) = argv.split_first() else {
        return;
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).kill_on_drop(true);
    let name = name.to_owned();
    tokio::spawn(async move {
        let status = match cmd.spawn() {
            Ok(mut child) => tokio::time::timeout(timeout, child.wait()).await,
            Err(e) => {
                tracing::error!(template = %name, error = %e, "could not run the template's command");
                return;
            }
        };
        match status {
            Ok(Ok(s)) if s.success() => {}
            Ok(Ok(s)) => {
                tracing::error!(template = %name, status = %s, "the template's command failed")
            }
            Ok(Err(e)) => {
                tracing::error!(template = %name, error = %e, "the template's command failed")
            }
            Err(_) => tracing::error!(template = %name, "the template's command timed out"),
        }
    });
}
