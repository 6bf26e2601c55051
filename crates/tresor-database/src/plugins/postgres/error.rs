//! PostgreSQL failures, turned into client errors that never quote a secret.
//!
//! A server error is answered with its primary message and SQLSTATE only: not its
//! detail, hint or statement position, and with any secret of the request (the
//! password being set, the connection's password) replaced by `[password]`. A
//! syntax error loses the text it quotes ("at or near ...").

use super::sql::RenderError;
use tresor_sdk::Error;

#[derive(Debug)]
pub enum PgError {
    Db(tokio_postgres::Error),
    Render(RenderError),
    Other(&'static str),
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        PgError::Db(e)
    }
}

impl From<RenderError> for PgError {
    fn from(e: RenderError) -> Self {
        PgError::Render(e)
    }
}

impl PgError {
    /// Whether the connection broke (worth one retry on a new connection).
    /// A server that terminated the session (SQLSTATE 57P01-57P03: an administrator or a
    /// restart ended it) counts too: nothing of the failed call was committed.
    pub fn is_connection_lost(&self) -> bool {
        match self {
            PgError::Db(e) => match e.as_db_error() {
                None => e.is_closed(),
                Some(db) => db.code().code().starts_with("57P"),
            },
            _ => false,
        }
    }

    /// A 400 saying `context: <cause>`, with `secrets` redacted.
    pub fn to_error(&self, context: &str, secrets: &[&str]) -> Error {
        let cause = match self {
            PgError::Db(e) => match e.as_db_error() {
                Some(db) => {
                    let msg = db.message();
                    let msg = match msg.find(" at or near") {
                        Some(i) => msg.get(..i).unwrap_or(msg),
                        None => msg,
                    };
                    format!("{msg} (SQLSTATE {})", db.code().code())
                }
                None => e.to_string(),
            },
            PgError::Render(e) => e.to_string(),
            PgError::Other(s) => (*s).to_owned(),
        };
        Error::bad_request(format!("{context}: {}", redact(&cause, secrets)))
    }
}

/// `text` with every non-empty secret, and its SQL-quoted form, replaced.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(&s.replace('\'', "''"), "[password]");
        out = out.replace(*s, "[password]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_plain_and_quoted_secrets() {
        assert_eq!(
            redact("bad 'it''s' and it's", &["it's", ""]),
            "bad '[password]' and [password]"
        );
    }
}
