//! Compact JWS parsing and signature checks. Nothing in a token is trusted before its
//! signature is verified; only the header's `alg` and `kid` are read first, to pick keys.

use super::alg::Alg;
use super::keys::VerifyingKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

/// A token split into its parts, its header decoded. `Debug` shows the header only.
pub struct Jws<'a> {
    /// The header's `alg` as written (may name an algorithm we never accept).
    pub alg_name: String,
    pub kid: Option<String>,
    signing_input: &'a str,
    payload: &'a str,
    signature: &'a str,
}

impl std::fmt::Debug for Jws<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jws")
            .field("alg", &self.alg_name)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Claims of a token whose signature was verified.
pub type Claims = Map<String, Value>;

fn malformed(what: &str) -> String {
    format!("malformed jwt: {what}")
}

impl<'a> Jws<'a> {
    pub fn parse(token: &'a str) -> Result<Self, String> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("compact JWS format must have three parts"));
        };
        let raw = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| malformed("illegal base64 data in the header"))?;
        let header: Map<String, Value> = serde_json::from_slice(&raw)
            .map_err(|_| malformed("the header is not a JSON object"))?;
        if header.contains_key("crit") {
            return Err(malformed("unsupported critical header"));
        }
        let alg_name = header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let kid = header.get("kid").and_then(Value::as_str).map(str::to_owned);
        let (signing_input, _) = token
            .rsplit_once('.')
            .ok_or_else(|| malformed("truncated"))?;
        Ok(Self {
            alg_name,
            kid,
            signing_input,
            payload,
            signature,
        })
    }

    /// The algorithm, when it is one we verify (never `none` or HMAC).
    pub fn alg(&self) -> Option<Alg> {
        Alg::from_name(&self.alg_name)
    }

    /// The keys this token may be checked with: those with its `kid` when it names one,
    /// else all of them.
    pub fn candidates<'k>(&self, keys: &'k [VerifyingKey]) -> Vec<&'k VerifyingKey> {
        keys.iter()
            .filter(|k| self.kid.is_none() || k.kid == self.kid)
            .collect()
    }

    /// The claims, if one of `keys` verifies the signature.
    pub fn verify(&self, keys: &[&VerifyingKey]) -> Option<Claims> {
        let alg = self.alg()?;
        if self.signature.is_empty() {
            return None;
        }
        let input = self.signing_input.as_bytes();
        keys.iter()
            .any(|k| k.verifies(alg, input, self.signature))
            .then(|| self.claims())
            .flatten()
    }

    fn claims(&self) -> Option<Claims> {
        let raw = URL_SAFE_NO_PAD.decode(self.payload).ok()?;
        serde_json::from_slice(&raw).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_refuses_malformed_tokens() {
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k1"}"#);
        let token = format!("{h}.e30.c2ln");
        let jws = Jws::parse(&token).unwrap();
        assert_eq!(
            (jws.alg(), jws.kid.as_deref()),
            (Some(Alg::Rs256), Some("k1"))
        );
        assert_eq!(jws.signing_input, format!("{h}.e30"));
        for bad in ["a.b", "a.b.c.d", "!!.e30.c2ln", "e30.", ""] {
            assert!(Jws::parse(bad).is_err(), "{bad}");
        }
        let crit = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","crit":["b64"]}"#);
        assert!(Jws::parse(&format!("{crit}.e30.c2ln")).is_err());
        let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
        let token = format!("{none}.e30.");
        let jws = Jws::parse(&token).unwrap();
        assert_eq!(jws.alg(), None);
        assert!(jws.verify(&[]).is_none());
    }
}
