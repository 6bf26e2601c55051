//! Public keys that verify token signatures: parsed from PEM (`jwt_validation_pubkeys`)
//! or from a JSON Web Key Set. A key verifies only the algorithms of its own family: an
//! RSA key never checks an ES256 signature, and no key ever checks an HMAC.

use super::alg::{Alg, Family};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::DecodingKey;
use serde_json::Value;
use x509_parser::oid_registry::{OID_EC_P256, OID_NIST_EC_P384, OID_SIG_ED25519};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

#[derive(Clone)]
enum Material {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// An uncompressed point (`04 || x || y`).
    Ec {
        family: Family,
        point: Vec<u8>,
    },
    Ed25519(Vec<u8>),
}

/// One verification key, with the `kid` and `alg` its JWK named (if any).
#[derive(Clone)]
pub struct VerifyingKey {
    pub kid: Option<String>,
    alg: Option<String>,
    material: Material,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("family", &self.family())
            .finish()
    }
}

impl VerifyingKey {
    pub fn family(&self) -> Family {
        match &self.material {
            Material::Rsa { .. } => Family::Rsa,
            Material::Ec { family, .. } => *family,
            Material::Ed25519(_) => Family::Ed25519,
        }
    }

    /// Whether `signature` (base64url) signs `input` under `alg` with this key; false
    /// for an algorithm of another family or other than the JWK's own `alg`.
    pub fn verifies(&self, alg: Alg, input: &[u8], signature: &str) -> bool {
        if alg.family() != self.family() {
            return false;
        }
        if self
            .alg
            .as_deref()
            .is_some_and(|a| Alg::from_name(a) != Some(alg))
        {
            return false;
        }
        let key = match &self.material {
            Material::Rsa { n, e } => DecodingKey::from_rsa_raw_components(n, e),
            Material::Ec { point, .. } => DecodingKey::from_ec_der(point),
            Material::Ed25519(x) => DecodingKey::from_ed_der(x),
        };
        jsonwebtoken::crypto::verify(signature, input, &key, alg.library()).unwrap_or(false)
    }
}

/// Parses one PEM public key or certificate (RSA, EC P-256/P-384 or Ed25519).
pub fn from_pem(pem: &str) -> Result<VerifyingKey, String> {
    let invalid = || "data does not contain any valid public keys".to_owned();
    let (_, block) =
        x509_parser::pem::parse_x509_pem(pem.trim().as_bytes()).map_err(|_| invalid())?;
    let material = match block.label.as_str() {
        "PUBLIC KEY" => {
            let (_, spki) =
                SubjectPublicKeyInfo::from_der(&block.contents).map_err(|_| invalid())?;
            from_spki(&spki)
        }
        "CERTIFICATE" => {
            let (_, cert) = X509Certificate::from_der(&block.contents).map_err(|_| invalid())?;
            from_spki(cert.public_key())
        }
        _ => None,
    }
    .ok_or_else(invalid)?;
    Ok(VerifyingKey {
        kid: None,
        alg: None,
        material,
    })
}

fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Option<Material> {
    if spki.algorithm.algorithm == OID_SIG_ED25519 {
        return Some(Material::Ed25519(spki.subject_public_key.data.to_vec()));
    }
    match spki.parsed().ok()? {
        PublicKey::RSA(rsa) => Some(Material::Rsa {
            n: strip_zeros(rsa.modulus).to_vec(),
            e: strip_zeros(rsa.exponent).to_vec(),
        }),
        PublicKey::EC(point) => {
            let curve = spki.algorithm.parameters.as_ref()?.as_oid().ok()?;
            let family = if curve == OID_EC_P256 {
                Family::P256
            } else if curve == OID_NIST_EC_P384 {
                Family::P384
            } else {
                return None;
            };
            Some(Material::Ec {
                family,
                point: point.data().to_vec(),
            })
        }
        _ => None,
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(start..).unwrap_or_default()
}

/// The keys of a JWKS document that can verify signatures. Keys for encryption, of
/// unknown types or curves, or malformed, are skipped; a document that is not a key set
/// is an error.
pub fn from_jwks(doc: &Value) -> Result<Vec<VerifyingKey>, String> {
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| "failed to decode keys".to_owned())?;
    Ok(keys.iter().filter_map(from_jwk).collect())
}

fn from_jwk(jwk: &Value) -> Option<VerifyingKey> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    let b64 = |name: &str| field(name).and_then(|v| URL_SAFE_NO_PAD.decode(v).ok());
    if field("use").is_some_and(|u| u != "sig") {
        return None;
    }
    let material = match (field("kty")?, field("crv")) {
        ("RSA", _) => Material::Rsa {
            n: strip_zeros(&b64("n")?).to_vec(),
            e: strip_zeros(&b64("e")?).to_vec(),
        },
        ("EC", Some(crv)) => {
            let (family, len) = match crv {
                "P-256" => (Family::P256, 32),
                "P-384" => (Family::P384, 48),
                _ => return None,
            };
            let (x, y) = (b64("x")?, b64("y")?);
            if x.len() != len || y.len() != len {
                return None;
            }
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            Material::Ec { family, point }
        }
        ("OKP", Some("Ed25519")) => Material::Ed25519(b64("x")?),
        _ => return None,
    };
    Some(VerifyingKey {
        kid: field("kid").map(str::to_owned),
        alg: field("alg").map(str::to_owned),
        material,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::testkit::TestKey;
    use serde_json::json;

    #[test]
    fn jwks_keep_signing_keys_only() {
        let (rsa, ec, ed) = (TestKey::rsa("r"), TestKey::ec("e"), TestKey::ed("d"));
        let mut enc = ec.jwk();
        enc["use"] = json!("enc");
        let doc = json!({"keys": [rsa.jwk(), ec.jwk(), ed.jwk(), enc,
            {"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"}, {"kty": "oct", "k": "c2VjcmV0"},
            {"kty": "RSA", "n": "!!"}, "junk"]});
        let keys = from_jwks(&doc).unwrap();
        let kinds: Vec<(Option<&str>, Family)> = keys
            .iter()
            .map(|k| (k.kid.as_deref(), k.family()))
            .collect();
        assert_eq!(
            kinds,
            [
                (Some("r"), Family::Rsa),
                (Some("e"), Family::P256),
                (Some("d"), Family::Ed25519)
            ]
        );
        assert!(from_jwks(&json!({"nokeys": []})).is_err());
    }

    #[test]
    fn keys_verify_their_own_family_and_jwk_alg_only() {
        let rsa = TestKey::rsa("r");
        let input = b"header.payload";
        let sig = URL_SAFE_NO_PAD.encode(rsa.sign_raw(input));
        let from_jwk = from_jwks(&json!({"keys": [rsa.jwk()]})).unwrap().remove(0);
        let from_pem = super::from_pem(&rsa.pem()).unwrap();
        for key in [&from_jwk, &from_pem] {
            assert!(key.verifies(Alg::Rs256, input, &sig));
            assert!(!key.verifies(Alg::Rs256, b"header.other", &sig));
            assert!(!key.verifies(Alg::Es256, input, &sig));
        }
        // The JWK says RS256: an RS384 claim is refused before any check.
        assert!(!from_jwk.verifies(Alg::Rs384, input, &sig));
        let ec = TestKey::ec("e");
        let ec_sig = URL_SAFE_NO_PAD.encode(ec.sign_raw(input));
        let ec_key = super::from_pem(&ec.pem()).unwrap();
        assert!(ec_key.verifies(Alg::Es256, input, &ec_sig));
        assert!(!ec_key.verifies(Alg::Es384, input, &ec_sig));
        assert!(!from_pem.verifies(Alg::Es256, input, &ec_sig));
    }

    #[test]
    fn pem_certificates_and_garbage() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["idp".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        assert_eq!(super::from_pem(&cert.pem()).unwrap().family(), Family::P256);
        for bad in [
            "",
            "junk",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        ] {
            assert!(super::from_pem(bad).is_err(), "{bad}");
        }
    }
}
