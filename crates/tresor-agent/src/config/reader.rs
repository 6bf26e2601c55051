//! Strict reading of one block of the JSON shape `source` makes: every key must be
//! taken, or [`Block::finish`] names the first one nobody took.

use super::ConfigError;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

/// A block's body, the keys read so far, and its name for errors (`auto_auth.method
/// "approle"`).
pub struct Block<'a> {
    pub file: &'a str,
    pub name: String,
    map: &'a Map<String, Value>,
    used: RefCell<BTreeSet<&'a str>>,
}

/// A block of kind `kind` found in another: its labels (outermost first) and body.
pub struct Found<'a> {
    pub labels: Vec<String>,
    pub body: Block<'a>,
}

impl<'a> Block<'a> {
    pub fn new(file: &'a str, name: String, map: &'a Map<String, Value>) -> Self {
        Self {
            file,
            name,
            map,
            used: RefCell::new(BTreeSet::new()),
        }
    }

    fn child_name(&self, kind: &str) -> String {
        match self.name.is_empty() {
            true => kind.to_owned(),
            false => format!("{}.{kind}", self.name),
        }
    }

    fn err_value(&self, key: &str, expected: &'static str) -> ConfigError {
        ConfigError::Value {
            file: self.file.to_owned(),
            block: self.name.clone(),
            key: key.to_owned(),
            expected,
        }
    }

    pub fn shape(&self, detail: impl Into<String>) -> ConfigError {
        ConfigError::Shape {
            file: self.file.to_owned(),
            block: self.name.clone(),
            detail: detail.into(),
        }
    }

    fn take(&self, key: &str) -> Option<&'a Value> {
        let (k, v) = self.map.get_key_value(key)?;
        self.used.borrow_mut().insert(k.as_str());
        Some(v)
    }

    /// A string (numbers and booleans are taken as their text, as HCL1 does).
    pub fn string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.take(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(self.err_value(key, "a string")),
        }
    }

    pub fn path(&self, key: &str) -> Result<Option<PathBuf>, ConfigError> {
        Ok(self
            .string(key)?
            .filter(|s| !s.is_empty())
            .map(PathBuf::from))
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        match self.take(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "t" => Ok(Some(true)),
                "false" | "0" | "f" | "" => Ok(Some(false)),
                _ => Err(self.err_value(key, "a boolean")),
            },
            Some(_) => Err(self.err_value(key, "a boolean")),
        }
    }

    pub fn integer(&self, key: &str) -> Result<Option<i64>, ConfigError> {
        match self.take(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.err_value(key, "an integer")),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| self.err_value(key, "an integer")),
            Some(_) => Err(self.err_value(key, "an integer")),
        }
    }

    /// A duration: a number of seconds or Go's notation ("5m", "1h30m").
    pub fn duration(&self, key: &str) -> Result<Option<Duration>, ConfigError> {
        const EXPECTED: &str = "a duration such as \"5m\"";
        match self.take(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(|s| Some(Duration::from_secs(s)))
                .ok_or_else(|| self.err_value(key, EXPECTED)),
            Some(Value::String(s)) => tresor_sdk::duration::parse(s)
                .map(Some)
                .map_err(|_| self.err_value(key, EXPECTED)),
            Some(_) => Err(self.err_value(key, EXPECTED)),
        }
    }

    /// A file mode: an octal string ("0640") or a number written in octal digits.
    pub fn mode(&self, key: &str) -> Result<Option<u32>, ConfigError> {
        const EXPECTED: &str = "a file mode such as \"0640\"";
        let text = match self.take(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => return Err(self.err_value(key, EXPECTED)),
        };
        let digits = text.trim_start_matches("0o");
        u32::from_str_radix(digits, 8)
            .ok()
            .filter(|m| *m <= 0o7777)
            .map(Some)
            .ok_or_else(|| self.err_value(key, EXPECTED))
    }

    /// A list of strings; a single string is a list of one.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
        match self.take(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(self.err_value(key, "a list of strings")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(self.err_value(key, "a list of strings")),
        }
    }

    /// The blocks of kind `kind` with `labels` labels each (a block written `kind = {}`
    /// counts as one).
    pub fn blocks(&self, kind: &str, labels: usize) -> Result<Vec<Found<'a>>, ConfigError> {
        let Some(value) = self.take(kind) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        self.peel(kind, value, labels, &mut Vec::new(), &mut out)?;
        Ok(out)
    }

    fn peel(
        &self,
        kind: &str,
        value: &'a Value,
        left: usize,
        labels: &mut Vec<String>,
        out: &mut Vec<Found<'a>>,
    ) -> Result<(), ConfigError> {
        match value {
            Value::Array(items) => {
                for item in items {
                    self.peel(kind, item, left, labels, out)?;
                }
                Ok(())
            }
            Value::Object(map) if left == 0 => {
                let mut name = self.child_name(kind);
                for l in labels.iter() {
                    name.push_str(&format!(" {l:?}"));
                }
                out.push(Found {
                    labels: labels.clone(),
                    body: Block::new(self.file, name, map),
                });
                Ok(())
            }
            Value::Object(map) => {
                for (label, inner) in map {
                    labels.push(label.clone());
                    self.peel(kind, inner, left - 1, labels, out)?;
                    labels.pop();
                }
                Ok(())
            }
            _ => Err(self.err_value(kind, "a block")),
        }
    }

    /// Blocks named by one label or by a `type` key inside (`method "approle" {}` and
    /// `method { type = "approle" }`, Vault takes both); answers (type, body).
    pub fn typed_blocks(&self, kind: &str) -> Result<Vec<(String, Block<'a>)>, ConfigError> {
        let Some(value) = self.take(kind) else {
            return Ok(Vec::new());
        };
        let items: Vec<&'a Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let mut out = Vec::new();
        for item in items {
            match item {
                Value::Object(map) if map.get("type").is_some_and(Value::is_string) => {
                    let found = Found {
                        labels: Vec::new(),
                        body: Block::new(self.file, self.child_name(kind), map),
                    };
                    let kind = found.body.string("type")?.unwrap_or_default();
                    out.push((kind, found.body));
                }
                other => {
                    let mut found = Vec::new();
                    self.peel(kind, other, 1, &mut Vec::new(), &mut found)?;
                    for f in found {
                        let label = f.labels.into_iter().next().unwrap_or_default();
                        out.push((label, f.body));
                    }
                }
            }
        }
        Ok(out)
    }

    /// At most one block of kind `kind`, without labels.
    pub fn block(&self, kind: &str) -> Result<Option<Block<'a>>, ConfigError> {
        let mut found = self.blocks(kind, 0)?;
        if found.len() > 1 {
            return Err(self.shape(format!("more than one {kind:?} block")));
        }
        Ok(found.pop().map(|f| f.body))
    }

    /// The first key nobody read, as an error.
    pub fn finish(self) -> Result<(), ConfigError> {
        let used = self.used.borrow();
        match self.map.keys().find(|k| !used.contains(k.as_str())) {
            None => Ok(()),
            Some(key) => Err(ConfigError::UnknownKey {
                file: self.file.to_owned(),
                block: self.name.clone(),
                key: key.clone(),
            }),
        }
    }
}
