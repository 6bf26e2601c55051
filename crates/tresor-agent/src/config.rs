//! `tresor agent`'s configuration: Vault Agent's HCL or JSON files, unchanged. Every key
//! we do not know is an error that names the file, the block and the key; keys Vault
//! Agent has but tresor does not implement are refused the same way, never ignored.

mod auto_auth;
mod reader;
mod source;
mod templates;
mod top;

pub use auto_auth::{AutoAuth, Method, MethodKind, Sink};
pub use templates::{EnvTemplate, Exec, RestartOn, TemplateConfig, TemplateSpec, TemplateText};
pub use top::{ApiProxy, Listener, ListenerKind, Vault};

use std::path::{Path, PathBuf};

pub use tresor_hcl::config_error::ConfigError;

/// The whole agent configuration.
#[derive(Debug, Clone, Default)]
pub struct AgentConfig {
    pub vault: Vault,
    pub auto_auth: Option<AutoAuth>,
    pub templates: Vec<TemplateSpec>,
    pub template_config: TemplateConfig,
    pub env_templates: Vec<EnvTemplate>,
    pub exec: Option<Exec>,
    pub exit_after_auth: bool,
    pub pid_file: Option<PathBuf>,
    pub api_proxy: ApiProxy,
    /// A `cache {}` block was given: leased answers to proxied requests are cached.
    pub cache: bool,
    pub listeners: Vec<Listener>,
    pub log_level: Option<String>,
    /// Revoke the auto-auth token when the agent stops on a signal (the command line's
    /// `-revoke-on-exit`; Vault Agent's injector does this with a preStop hook).
    pub revoke_on_exit: bool,
}

impl AgentConfig {
    /// Reads and checks one configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            file: file.clone(),
            detail: e.to_string(),
        })?;
        Self::parse(&file, &text)
    }

    /// Checks the text of a configuration file named `file` (for errors).
    pub fn parse(file: &str, text: &str) -> Result<Self, ConfigError> {
        let value = source::parse(file, text)?;
        let serde_json::Value::Object(map) = &value else {
            return Err(ConfigError::Syntax {
                file: file.to_owned(),
                detail: "the top level must be an object".into(),
            });
        };
        top::read(reader::Block::new(file, String::new(), map))
    }
}

#[cfg(test)]
mod tests;
