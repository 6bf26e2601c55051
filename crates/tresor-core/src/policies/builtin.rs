//! The policies tresor creates itself.

/// Given to every token unless it opts out: what any token needs to manage itself, its
/// cubbyhole and response wrapping. Operators may edit it; they cannot delete it.
pub const DEFAULT: &str = r#"# The default policy: what every token may do with itself.

# Look itself up, renew and revoke itself, and ask what it may do.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
path "sys/capabilities-self" {
  capabilities = ["update"]
}
path "sys/internal/ui/resultant-acl" {
  capabilities = ["read"]
}

# Renew and look up the leases it was given.
path "sys/leases/renew" {
  capabilities = ["update"]
}
path "sys/leases/lookup" {
  capabilities = ["update"]
}
path "sys/renew" {
  capabilities = ["update"]
}

# Its private cubbyhole.
path "cubbyhole/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}

# Wrap, look up and unwrap responses.
path "sys/wrapping/wrap" {
  capabilities = ["update"]
}
path "sys/wrapping/lookup" {
  capabilities = ["update"]
}
path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}

# Hash data.
path "sys/tools/hash" {
  capabilities = ["update"]
}
path "sys/tools/hash/*" {
  capabilities = ["update"]
}
"#;

/// What a response-wrapping token may do: read its wrapped response, once.
pub const RESPONSE_WRAPPING: &str = r#"
path "cubbyhole/response" {
  capabilities = ["create", "read"]
}
path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}
path "sys/wrapping/lookup" {
  capabilities = ["update"]
}
"#;
