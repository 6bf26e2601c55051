//! A small source and render helper for the unit tests.

use serde_json::json;

use crate::source::{Dependency, Fetched, Source};
use crate::template::{Delims, RenderOptions, Template};

/// `secret "app"` is a KV v2 secret; `secret "pending"` is not fetched yet; anything
/// else fails.
pub(crate) struct TestSource;

impl Source for TestSource {
    fn fetch(&mut self, dep: &Dependency) -> Fetched {
        match dep.path() {
            "app" => Fetched::Ready(json!({
                "request_id": "r1",
                "data": {"data": {"user": "admin", "n": 5}, "metadata": {"version": 3}}
            })),
            "pending" => Fetched::Pending,
            _ => Fetched::Failed("not found".into()),
        }
    }

    fn env(&self, name: &str) -> Option<String> {
        (name == "SET").then(|| "yes".to_string())
    }

    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::UNIX_EPOCH
    }
}

/// The output of a complete render, or the error's message.
pub(crate) fn render_with(text: &str, opts: &RenderOptions) -> Result<String, String> {
    let t = Template::parse("t", text, &Delims::default()).map_err(|e| e.to_string())?;
    let r = t.render(&mut TestSource, opts).map_err(|e| e.to_string())?;
    if r.complete {
        Ok(r.output)
    } else {
        Err("incomplete".into())
    }
}

pub(crate) fn render(text: &str) -> Result<String, String> {
    render_with(text, &RenderOptions::default())
}
