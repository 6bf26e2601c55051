//! What can go wrong talking to a directory. Texts name hosts, result codes and the
//! server's diagnostic message; never a password or a request's bytes.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LdapError {
    /// A URL in `url` that cannot be used.
    Url(String),
    /// TCP connection failure (host and reason).
    Connect(String),
    Timeout(&'static str),
    Tls(String),
    /// The server sent something that is not LDAP as we read it.
    Protocol(&'static str),
    /// The connection was closed, or the server announced it would close it.
    Closed,
    /// An operation answered with a result code other than success.
    Result {
        op: &'static str,
        code: i64,
        diagnostic: String,
    },
    /// A search returned more entries than we hold.
    TooManyEntries,
    /// A filter built from the config does not parse.
    Filter(String),
    /// A search did not find what the login needs (Vault's wording).
    Lookup(String),
}

fn code_name(code: i64) -> &'static str {
    match code {
        1 => "Operations Error",
        2 => "Protocol Error",
        3 => "Time Limit Exceeded",
        4 => "Size Limit Exceeded",
        10 => "Referral",
        32 => "No Such Object",
        34 => "Invalid DN Syntax",
        48 => "Inappropriate Authentication",
        49 => "Invalid Credentials",
        50 => "Insufficient Access Rights",
        51 => "Busy",
        52 => "Unavailable",
        53 => "Unwilling To Perform",
        _ => "Other",
    }
}

impl fmt::Display for LdapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LdapError::Url(why) => write!(f, "invalid LDAP URL: {why}"),
            LdapError::Connect(why) => write!(f, "error connecting to host: {why}"),
            LdapError::Timeout(what) => write!(f, "timed out {what}"),
            LdapError::Tls(why) => write!(f, "TLS failure: {why}"),
            LdapError::Protocol(why) => write!(f, "LDAP protocol error: {why}"),
            LdapError::Closed => f.write_str("the LDAP connection was closed"),
            LdapError::Result {
                op,
                code,
                diagnostic,
            } => {
                write!(f, "{op}: LDAP Result Code {code} {:?}", code_name(*code))?;
                if !diagnostic.is_empty() {
                    write!(f, ": {}", diagnostic.chars().take(200).collect::<String>())?;
                }
                Ok(())
            }
            LdapError::TooManyEntries => f.write_str("the search returned too many entries"),
            LdapError::Filter(why) => write!(f, "{why}"),
            LdapError::Lookup(why) => f.write_str(why),
        }
    }
}

impl From<super::ber::BerError> for LdapError {
    fn from(e: super::ber::BerError) -> Self {
        LdapError::Protocol(e.0)
    }
}
