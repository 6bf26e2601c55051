//! Helpers shared by engines that store free-form JSON maps under request paths.

use tresor_sdk::{Data, Error, Response, Value};

/// A `LIST` answer: `{"keys": [...]}`, or 404 when there is nothing, as Vault answers.
pub fn keys_response(keys: Vec<String>) -> Result<Response, Error> {
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    let mut data = Data::new();
    data.insert("keys".into(), Value::from(keys));
    Ok(Response::data(data))
}

/// Refuses an empty path segment where a key is needed.
pub fn require_key(path: &str) -> Result<&str, Error> {
    if path.is_empty() || path.ends_with('/') {
        return Err(Error::bad_request("missing path: a key name is required"));
    }
    Ok(path)
}
