//! The Shamir seal's configuration and the encoding of unseal key shares.

use base64::Engine;
use serde::{Deserialize, Serialize};
use tresor_crypto::{shamir, SecretBytes};
use tresor_sdk::Error;

/// Unseal keys and shares are at least this long (a 32-byte key gives 33-byte shares).
const MIN_KEY_LEN: usize = 16;
const MAX_KEY_LEN: usize = 33;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealConfig {
    #[serde(rename = "type")]
    pub kind: String,
    pub secret_shares: u32,
    pub secret_threshold: u32,
}

impl SealConfig {
    /// Validates share counts with the messages Vault gives.
    pub fn shamir(shares: i64, threshold: i64) -> Result<Self, Error> {
        let invalid = |m: &str| Error::bad_request(format!("invalid seal configuration: {m}"));
        if shares < 1 {
            return Err(invalid("shares must be at least one"));
        }
        if threshold < 1 {
            return Err(invalid("threshold must be at least one"));
        }
        if shares > 1 && threshold == 1 {
            return Err(invalid(
                "threshold must be greater than one for multiple shares",
            ));
        }
        if shares > 255 {
            return Err(invalid("shares must be less than 256"));
        }
        if threshold > 255 {
            return Err(invalid("threshold must be less than 256"));
        }
        if threshold > shares {
            return Err(invalid("threshold cannot be larger than shares"));
        }
        Ok(Self {
            kind: "shamir".to_owned(),
            secret_shares: shares as u32,
            secret_threshold: threshold as u32,
        })
    }

    /// Splits the unseal key into this configuration's shares (one share is the key itself).
    pub fn split(&self, unseal_key: &SecretBytes) -> Result<Vec<SecretBytes>, Error> {
        if self.secret_shares == 1 {
            return Ok(vec![unseal_key.clone()]);
        }
        shamir::split(
            unseal_key.expose(),
            self.secret_shares as usize,
            self.secret_threshold as usize,
        )
        .map_err(|e| Error::internal(format!("splitting the unseal key: {e}")))
    }

    /// Rebuilds the unseal key from exactly `secret_threshold` shares.
    pub fn combine(&self, shares: &[SecretBytes]) -> Result<SecretBytes, Error> {
        if self.secret_threshold == 1 {
            return shares
                .first()
                .cloned()
                .ok_or_else(|| Error::internal("no share given"));
        }
        let parts: Vec<&[u8]> = shares.iter().map(SecretBytes::expose).collect();
        shamir::combine(&parts)
            .map_err(|e| Error::bad_request(format!("failed to combine key shares: {e}")))
    }
}

/// Decodes a key share given as hex or base64, with Vault's messages.
pub fn decode_share(input: &str) -> Result<SecretBytes, Error> {
    let bytes = match hex::decode(input) {
        Ok(b) => b,
        Err(_) => base64::engine::general_purpose::STANDARD
            .decode(input)
            .map_err(|_| Error::bad_request("'key' must be a valid hex or base64 string"))?,
    };
    let bytes = SecretBytes::new(bytes);
    if bytes.len() < MIN_KEY_LEN {
        return Err(Error::bad_request(format!(
            "invalid key: key is shorter than minimum {MIN_KEY_LEN} bytes"
        )));
    }
    if bytes.len() > MAX_KEY_LEN {
        return Err(Error::bad_request(format!(
            "invalid key: key is longer than maximum {MAX_KEY_LEN} bytes"
        )));
    }
    Ok(bytes)
}

/// The `keys` and `keys_base64` lists of an init or rekey answer.
pub fn encode_shares(shares: &[SecretBytes]) -> (Vec<String>, Vec<String>) {
    let hex = shares.iter().map(|s| hex::encode(s.expose())).collect();
    let b64 = shares
        .iter()
        .map(|s| base64::engine::general_purpose::STANDARD.encode(s.expose()))
        .collect();
    (hex, b64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_validation_messages() {
        let msg = |s, t| SealConfig::shamir(s, t).unwrap_err().messages().join("");
        assert!(msg(0, 0).ends_with("shares must be at least one"));
        assert!(msg(2, 0).ends_with("threshold must be at least one"));
        assert!(msg(5, 1).ends_with("threshold must be greater than one for multiple shares"));
        assert!(msg(256, 3).ends_with("shares must be less than 256"));
        assert!(msg(3, 5).ends_with("threshold cannot be larger than shares"));
        assert!(SealConfig::shamir(1, 1).is_ok());
        assert!(SealConfig::shamir(255, 255).is_ok());
    }

    #[test]
    fn shares_round_trip_through_both_encodings() {
        let cfg = SealConfig::shamir(5, 3).unwrap();
        let key = tresor_crypto::random::secret_bytes(32).unwrap();
        let shares = cfg.split(&key).unwrap();
        let (hex, b64) = encode_shares(&shares);
        assert!(hex.iter().all(|h| h.len() == 66));
        let picked = vec![
            decode_share(&hex[4]).unwrap(),
            decode_share(&b64[0]).unwrap(),
            decode_share(&hex[2]).unwrap(),
        ];
        assert_eq!(cfg.combine(&picked).unwrap(), key);
    }

    #[test]
    fn share_decoding_errors() {
        let msg = |k: &str| decode_share(k).unwrap_err().messages().join("");
        assert_eq!(
            msg("not-a-key!!"),
            "'key' must be a valid hex or base64 string"
        );
        assert_eq!(
            msg("abcd"),
            "invalid key: key is shorter than minimum 16 bytes"
        );
        assert_eq!(
            msg(&"ab".repeat(34)),
            "invalid key: key is longer than maximum 33 bytes"
        );
    }
}
