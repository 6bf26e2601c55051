//! Password policies: written and checked through `sys/policies/password`, generated on
//! demand, and offered to engines through the system view.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::Arc;
use tresor_core::mounts::{Registry, Table};
use tresor_core::password_policies::PasswordPolicy;
use tresor_core::CoreConfig;
use tresor_sdk::{
    BackendRequest, Data, Error, ErrorKind, LogicalBackend, MountContext, Operation, Response,
    SystemView,
};
use tresor_testkit::TestCore;

const POLICY: &str = r#"
length = 12
rule "charset" {
  charset = "abc"
  min-chars = 2
}
rule "charset" {
  charset = "789"
  min-chars = 2
}
"#;

/// Answers `gen/<policy>` with a password from the system view.
#[derive(Debug)]
struct Gen(Arc<dyn SystemView>);

#[async_trait]
impl LogicalBackend for Gen {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        let name = req.path.strip_prefix("gen/").unwrap_or("");
        let pw = self.0.generate_password(name).await?;
        let mut d = Data::new();
        d.insert("password".into(), pw.expose().into());
        Ok(Response::data(d))
    }
}

fn gen(ctx: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(Gen(ctx.system)))
}

#[tokio::test]
async fn policies_are_stored_checked_and_generate_for_engines() {
    let mut registry = Registry::default();
    registry.register(Table::Secrets, "gen", gen);
    let t = TestCore::with_config(CoreConfig {
        registry,
        ..CoreConfig::default()
    })
    .await;
    t.root_call(
        Operation::Update,
        "sys/policies/password/short",
        json!({"policy": POLICY}),
    )
    .await
    .unwrap();
    let read = t
        .root_call(Operation::Read, "sys/policies/password/short", Value::Null)
        .await
        .unwrap();
    assert_eq!(read.data.unwrap()["policy"], POLICY);
    let parsed = PasswordPolicy::parse(POLICY).unwrap();
    let generated = t
        .root_call(
            Operation::Read,
            "sys/policies/password/short/generate",
            Value::Null,
        )
        .await
        .unwrap();
    let pw = generated.data.unwrap()["password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(parsed.accepts(&pw), "{pw}");

    t.root_call(Operation::Update, "sys/mounts/gen", json!({"type": "gen"}))
        .await
        .unwrap();
    let from_engine = t
        .root_call(Operation::Read, "gen/gen/short", Value::Null)
        .await
        .unwrap();
    assert!(parsed.accepts(from_engine.data.unwrap()["password"].as_str().unwrap()));
    let default = t.root_call(Operation::Read, "gen/gen/", Value::Null).await;
    let d = default.unwrap().data.unwrap();
    assert!(PasswordPolicy::default_policy().accepts(d["password"].as_str().unwrap()));
    let missing = t
        .root_call(Operation::Read, "gen/gen/nope", Value::Null)
        .await;
    assert_eq!(missing.unwrap_err().kind(), ErrorKind::BadRequest);

    let list = t
        .root_call(Operation::List, "sys/policies/password", Value::Null)
        .await
        .unwrap();
    assert_eq!(list.data.unwrap()["keys"], json!(["short"]));
    let err = t
        .root_call(
            Operation::Update,
            "sys/policies/password/bad",
            json!({"policy": "length = 2\nrule \"charset\" { charset = \"a\" }"}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "passwords must be between 4 and 100 characters"
    );
    t.root_call(
        Operation::Delete,
        "sys/policies/password/short",
        Value::Null,
    )
    .await
    .unwrap();
    let gone = t
        .root_call(
            Operation::Read,
            "sys/policies/password/short/generate",
            Value::Null,
        )
        .await
        .unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
}
