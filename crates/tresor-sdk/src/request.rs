use crate::Data;
use std::fmt;
use tresor_crypto::SecretString;

/// What a request asks for, decoded from the HTTP method (and `?list=true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Read,
    /// A write to a path that does not exist yet (decided by the backend's existence check).
    Create,
    Update,
    Patch,
    Delete,
    List,
    /// HEAD: a read whose body is dropped.
    Head,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Patch => "patch",
            Operation::Delete => "delete",
            Operation::List => "list",
            Operation::Head => "head",
        }
    }

    pub fn is_read(self) -> bool {
        matches!(self, Operation::Read | Operation::Head)
    }

    pub fn is_write(self) -> bool {
        matches!(self, Operation::Create | Operation::Update)
    }
}

/// One request, as every layer after HTTP decoding sees it.
#[derive(Clone)]
pub struct Request {
    pub id: String,
    pub operation: Operation,
    /// Canonical path relative to `/v1/`, without a leading slash.
    pub path: String,
    /// The JSON body of a write, or the query parameters of a read.
    pub data: Data,
    pub token: Option<SecretString>,
    pub client_addr: Option<String>,
    /// `X-Vault-Wrap-TTL`: answer with a wrapping token instead of the response.
    pub wrap_ttl: Option<std::time::Duration>,
    /// The client certificate chain the TLS connection presented (DER, leaf first),
    /// unverified: the `cert` auth method checks it against its own trust.
    pub peer_certificates: std::sync::Arc<Vec<Vec<u8>>>,
}

impl fmt::Debug for Request {
    /// Data values may be secrets: only their keys are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("id", &self.id)
            .field("operation", &self.operation)
            .field("path", &self.path)
            .field("data_keys", &self.data.keys().collect::<Vec<_>>())
            .field("token", &self.token)
            .field("client_addr", &self.client_addr)
            .field("wrap_ttl", &self.wrap_ttl)
            .field("peer_certificates", &self.peer_certificates.len())
            .finish()
    }
}

impl Request {
    pub fn new(operation: Operation, path: impl Into<String>) -> Self {
        Self {
            id: String::new(),
            operation,
            path: path.into(),
            data: Data::new(),
            token: None,
            client_addr: None,
            wrap_ttl: None,
            peer_certificates: std::sync::Arc::default(),
        }
    }

    pub fn with_data(mut self, data: Data) -> Self {
        self.data = data;
        self
    }

    pub fn with_token(mut self, token: impl Into<SecretString>) -> Self {
        self.token = Some(token.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_values_and_no_token() {
        let mut data = Data::new();
        data.insert("password".into(), "canary-secret".into());
        let req = Request::new(Operation::Update, "auth/x/login")
            .with_data(data)
            .with_token("canary-token");
        let shown = format!("{req:?}");
        assert!(shown.contains("password") && shown.contains("auth/x/login"));
        assert!(!shown.contains("canary"), "{shown}");
    }
}
