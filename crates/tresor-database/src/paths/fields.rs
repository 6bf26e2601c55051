//! Request fields that the framework's types do not cover as Vault reads them.

use tresor_sdk::framework::Fields;
use tresor_sdk::{Error, Value};

/// Vault's `TypeStringSlice` for statements: a JSON array of strings, or one string
/// kept whole (statements contain commas); empty entries are dropped.
pub fn statements(fields: &Fields, name: &str) -> Result<Option<Vec<String>>, Error> {
    let wrong = || {
        Error::bad_request(format!(
            "error converting input for field {name:?}: expected a list of strings"
        ))
    };
    let list = match fields.json(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(wrong))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(wrong()),
    };
    Ok(Some(
        list.into_iter().filter(|s| !s.trim().is_empty()).collect(),
    ))
}

/// `credential_type`: only passwords are issued.
pub fn check_credential_type(fields: &Fields) -> Result<(), Error> {
    match fields.str("credential_type") {
        None | Some("password") => Ok(()),
        Some(other) => Err(Error::bad_request(format!(
            "unsupported credential_type: {other:?}"
        ))),
    }
}

/// `credential_config`: for passwords, only `password_policy` means something.
pub fn credential_config(fields: &Fields) -> Result<Option<tresor_sdk::Data>, Error> {
    let Some(map) = fields.map("credential_config") else {
        return Ok(None);
    };
    if let Some(k) = map.keys().find(|k| k.as_str() != "password_policy") {
        return Err(Error::bad_request(format!(
            "credential_config validation failed: unknown field {k:?}"
        )));
    }
    Ok(Some(map.clone()))
}

/// The password policy a credential config names, if any.
pub fn policy_of(config: &tresor_sdk::Data) -> Option<&str> {
    config
        .get("password_policy")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}
