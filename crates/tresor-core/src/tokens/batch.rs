//! Batch tokens: the entry itself, sealed with the store's batch key and carried in the
//! token. Nothing is written to storage, so they cost nothing to create; they cannot be
//! renewed, have no accessor and no children, and die with their parent.

use super::entry::TokenEntry;
use base64::Engine;
use tresor_crypto::{SecretString, TermKey};
use tresor_sdk::Error;

pub const PREFIX: &str = "trb.";
const AAD_PATH: &str = "tresor/batch-token";

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

pub fn seal(key: &TermKey, entry: &TokenEntry) -> Result<SecretString, Error> {
    let json = serde_json::to_vec(entry).map_err(|e| Error::internal(e.to_string()))?;
    let sealed = key
        .seal(AAD_PATH, &json)
        .map_err(|e| Error::internal(e.to_string()))?;
    Ok(SecretString::new(format!(
        "{PREFIX}{}",
        b64().encode(sealed)
    )))
}

/// The entry inside a batch token; `None` for anything that is not a genuine one.
pub fn open(key: &TermKey, token: &str) -> Option<TokenEntry> {
    let body = token.strip_prefix(PREFIX)?;
    let sealed = b64().decode(body).ok()?;
    let json = key.open(AAD_PATH, &sealed).ok()?;
    serde_json::from_slice(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_forgery() {
        let key = TermKey::generate(0, 0).unwrap();
        let entry = TokenEntry {
            policies: vec!["p".into()],
            expire_at: 99,
            ..TokenEntry::default()
        };
        let token = seal(&key, &entry).unwrap();
        assert!(token.expose().starts_with(PREFIX));
        assert_eq!(open(&key, token.expose()), Some(entry));
        let mut forged = token.expose().to_owned();
        let last = forged.pop().unwrap();
        forged.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(open(&key, &forged), None);
        assert_eq!(
            open(&TermKey::generate(0, 0).unwrap(), token.expose()),
            None
        );
        assert_eq!(open(&key, "trb.!!!"), None);
    }
}
