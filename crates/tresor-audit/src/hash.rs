//! The per-device HMAC that replaces every secret-bearing string in an entry.

use crate::AuditError;
use serde_json::Value;
use tresor_crypto::digest::HmacKey;

/// Prefix Vault puts before every hashed value.
pub const HMAC_PREFIX: &str = "hmac-sha256:";

/// An audit device's own HMAC-SHA256 key (32 random bytes, never leaves the process).
#[derive(Debug)]
pub struct Hasher {
    key: HmacKey,
}

impl Hasher {
    /// A fresh key from the system RNG.
    pub fn generate() -> Result<Self, AuditError> {
        let key = tresor_crypto::random::secret_bytes(32).map_err(|_| AuditError::Random)?;
        Ok(Self::from_key(key.expose()))
    }

    /// A hasher with a known key (persisted salts, tests).
    pub fn from_key(key: &[u8]) -> Self {
        Self {
            key: HmacKey::new(key),
        }
    }

    /// `hmac-sha256:<hex>` of `s`.
    pub fn hash(&self, s: &str) -> String {
        let tag = self.key.sign(s.as_bytes());
        let mut out = String::with_capacity(HMAC_PREFIX.len() + 64);
        out.push_str(HMAC_PREFIX);
        for b in tag {
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
        }
        out
    }

    /// Hash every string inside `value`, recursively through maps and arrays; numbers,
    /// booleans and null are kept (as Vault does).
    pub fn hash_value(&self, value: &mut Value) {
        match value {
            Value::String(s) => *s = self.hash(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.hash_value(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.hash_value(v)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// `sys/audit-hash/<path>`: the same function the device applies to entries.
pub fn audit_hash(hasher: &Hasher, input: &str) -> String {
    hasher.hash(input)
}

fn hex_digit(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hash_is_prefixed_hex_hmac() {
        let h = Hasher::from_key(b"Jefe");
        assert_eq!(
            h.hash("what do ya want for nothing?"),
            "hmac-sha256:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(audit_hash(&h, "x"), h.hash("x"));
    }

    #[test]
    fn generated_keys_differ() {
        let a = Hasher::generate().unwrap();
        let b = Hasher::generate().unwrap();
        assert_ne!(a.hash("same"), b.hash("same"));
    }

    #[test]
    fn recursive_hashing_keeps_numbers_and_bools() {
        let h = Hasher::from_key(b"k");
        let mut v = json!({"s": "a", "n": 3, "b": true, "z": null,
            "nested": {"list": ["b", 1, {"deep": "c"}]}});
        h.hash_value(&mut v);
        let want = json!({"s": h.hash("a"), "n": 3, "b": true, "z": null,
            "nested": {"list": [h.hash("b"), 1, {"deep": h.hash("c")}]}});
        assert_eq!(v, want);
    }
}
