//! The errors of reading a Vault-style configuration file (the server's, the agent's):
//! each names the file, the block and the key.

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {detail}")]
    Read { file: String, detail: String },
    #[error("{file}: syntax error: {detail}")]
    Syntax { file: String, detail: String },
    #[error("{file}: {}unknown key {key:?}", in_block(.block))]
    UnknownKey {
        file: String,
        block: String,
        key: String,
    },
    #[error("{file}: {}unknown block {kind:?}", in_block(.block))]
    UnknownBlock {
        file: String,
        block: String,
        kind: String,
    },
    #[error("{file}: {}key {key:?} must be {expected}", in_block(.block))]
    Value {
        file: String,
        block: String,
        key: String,
        expected: &'static str,
    },
    #[error("{file}: {}{detail}", in_block(.block))]
    Shape {
        file: String,
        block: String,
        detail: String,
    },
    #[error("{0}")]
    Invalid(String),
}

fn in_block(block: &str) -> String {
    if block.is_empty() {
        String::new()
    } else {
        format!("block {block}: ")
    }
}
