//! `pem_keys`: the public keys service-account JWTs are verified against without a call
//! to the cluster. Each entry is PEM: a `PUBLIC KEY`, an `RSA PUBLIC KEY` or a
//! `CERTIFICATE` (whose key is taken), RSA or ECDSA. A token verifies when one key of its
//! algorithm's family checks its signature.

use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};
use std::str::FromStr;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

const NO_KEY: &str = "data does not contain any valid RSA or ECDSA public keys";

/// The parsed `pem_keys` of a configuration.
pub struct KeySet(Vec<(AlgorithmFamily, DecodingKey)>);

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeySet({} keys)", self.0.len())
    }
}

fn from_spki(der: &[u8]) -> Option<(AlgorithmFamily, DecodingKey)> {
    let (_, spki) = SubjectPublicKeyInfo::from_der(der).ok()?;
    let raw = spki.subject_public_key.data.as_ref();
    match spki.parsed().ok()? {
        PublicKey::RSA(_) => Some((AlgorithmFamily::Rsa, DecodingKey::from_rsa_der(raw))),
        PublicKey::EC(_) => Some((AlgorithmFamily::Ec, DecodingKey::from_ec_der(raw))),
        _ => None,
    }
}

/// The keys of one PEM entry (every block of it).
fn parse_entry(pem: &str) -> Result<Vec<(AlgorithmFamily, DecodingKey)>, String> {
    let mut keys = Vec::new();
    for block in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
        let block = block.map_err(|_| NO_KEY.to_owned())?;
        let key = match block.label.as_str() {
            "PUBLIC KEY" => from_spki(&block.contents),
            "RSA PUBLIC KEY" => x509_parser::public_key::RSAPublicKey::from_der(&block.contents)
                .ok()
                .map(|_| {
                    (
                        AlgorithmFamily::Rsa,
                        DecodingKey::from_rsa_der(&block.contents),
                    )
                }),
            "CERTIFICATE" => X509Certificate::from_der(&block.contents)
                .ok()
                .and_then(|(_, cert)| from_spki(cert.public_key().raw)),
            _ => None,
        };
        keys.push(key.ok_or_else(|| NO_KEY.to_owned())?);
    }
    if keys.is_empty() {
        return Err(NO_KEY.to_owned());
    }
    Ok(keys)
}

impl KeySet {
    /// Parses every entry; the error is Vault's message for a key that does not parse.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut keys = Vec::new();
        for entry in entries {
            keys.extend(parse_entry(entry)?);
        }
        Ok(Self(keys))
    }

    /// Whether one of the keys verifies `jwt`'s signature under `alg` (the header's).
    /// Only the signature: the claims are checked by [`super::claims`].
    pub fn verifies(&self, jwt: &str, alg: &str) -> bool {
        let Ok(alg) = Algorithm::from_str(alg) else {
            return false;
        };
        let mut validation = Validation::new(alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        self.0
            .iter()
            .filter(|(family, _)| *family == alg.family())
            .any(|(_, key)| {
                jsonwebtoken::decode::<serde_json::Value>(jwt, key, &validation).is_ok()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::test_cluster::{sign, SigningKey};
    use serde_json::json;

    #[test]
    fn keys_certificates_and_signatures() {
        let rsa = SigningKey::rsa();
        let ec = SigningKey::ec();
        let other = SigningKey::ec();
        let claims = json!({"sub": "system:serviceaccount:default:web", "exp": 1});
        let rs_token = sign(&rsa, &claims);
        let es_token = sign(&ec, &claims);
        let set = KeySet::parse(&[rsa.public_pem(), ec.certificate_pem()]).unwrap();
        assert!(set.verifies(&rs_token, "RS256"));
        assert!(set.verifies(&es_token, "ES256"));
        assert!(!set.verifies(&sign(&other, &claims), "ES256"));
        assert!(
            !set.verifies(&rs_token, "RS384"),
            "the header's algorithm only"
        );
        assert!(!set.verifies(&rs_token, "HS256"));
        let mut tampered = rs_token.clone();
        tampered.insert_str(rs_token.find('.').unwrap() + 1, "eyJ4IjoxfQ");
        assert!(!set.verifies(&tampered, "RS256"));
        let only_ec = KeySet::parse(&[ec.public_pem()]).unwrap();
        assert!(!only_ec.verifies(&rs_token, "RS256"));
        for bad in [
            "",
            "junk",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        ] {
            assert_eq!(
                KeySet::parse(&[bad.to_owned()]).unwrap_err(),
                NO_KEY,
                "{bad}"
            );
        }
    }
}
