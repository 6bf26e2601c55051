//! Per-render bookkeeping of dependencies: which were used (deduplicated, in first-use
//! order), which are still pending, and the values already converted.

use std::collections::HashMap;

use crate::funcs::FuncError;
use crate::source::{Dependency, Fetched, Source};
use crate::value::Value;

enum Entry {
    Ready(Value),
    Pending,
}

pub(crate) struct Deps<'s> {
    src: &'s mut dyn Source,
    cache: HashMap<Dependency, Entry>,
    used: Vec<Dependency>,
    pending: Vec<Dependency>,
}

impl<'s> Deps<'s> {
    pub(crate) fn new(src: &'s mut dyn Source) -> Deps<'s> {
        Deps {
            src,
            cache: HashMap::new(),
            used: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// The value of `dep`, converted by `convert`; `None` while it is pending. A failed
    /// fetch, or data of the wrong shape, is an error naming the dependency.
    pub(crate) fn get(
        &mut self,
        dep: Dependency,
        convert: fn(&serde_json::Value) -> Result<Value, String>,
    ) -> Result<Option<Value>, FuncError> {
        if let Some(entry) = self.cache.get(&dep) {
            return Ok(match entry {
                Entry::Ready(v) => Some(v.clone()),
                Entry::Pending => None,
            });
        }
        self.used.push(dep.clone());
        match self.src.fetch(&dep) {
            Fetched::Ready(json) => match convert(&json) {
                Ok(v) => {
                    self.cache.insert(dep, Entry::Ready(v.clone()));
                    Ok(Some(v))
                }
                Err(reason) => Err(FuncError::Dependency { dep, reason }),
            },
            Fetched::Pending => {
                self.pending.push(dep.clone());
                self.cache.insert(dep, Entry::Pending);
                Ok(None)
            }
            Fetched::Failed(reason) => Err(FuncError::Dependency { dep, reason }),
        }
    }

    pub(crate) fn env(&self, name: &str) -> Option<String> {
        self.src.env(name)
    }

    pub(crate) fn now(&self) -> time::OffsetDateTime {
        self.src.now()
    }

    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Used and pending dependencies, each in first-use order.
    pub(crate) fn finish(self) -> (Vec<Dependency>, Vec<Dependency>) {
        (self.used, self.pending)
    }
}
