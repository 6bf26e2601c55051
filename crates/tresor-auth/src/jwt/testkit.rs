//! Test support: freshly generated signing keys (aws-lc-rs) with their JWK and PEM
//! forms, token minting (including deliberately broken tokens), and a mount harness.
//! The identity provider the tests talk to is in [`provider`].

pub mod provider;

use crate::testkit::Harness;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
    RSA_PKCS1_SHA256,
};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::UNIX_EPOCH;
use tresor_sdk::Clock;

/// A jwt mount over in-memory storage, its clock at the harness's fixed moment.
pub async fn jwt_mount() -> Harness {
    Harness::new(crate::jwt::factory, "jwt").await
}

/// The backend itself (sharing the harness's storage and clock), for checks that need
/// more than a response (the group aliases of a login).
pub fn backend_of(h: &Harness) -> crate::jwt::JwtAuth {
    let clock: Arc<dyn Clock> = h.clock.clone();
    crate::jwt::JwtAuth::new(h.storage.clone(), clock)
}

/// The harness's "now", in Unix seconds.
pub fn now(h: &Harness) -> i64 {
    let secs = h.clock.now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    i64::try_from(secs).unwrap()
}

enum Signer {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A signing key with a key ID.
pub struct TestKey {
    pub kid: String,
    signer: Signer,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl TestKey {
    pub fn rsa(kid: &str) -> Self {
        let signer = Signer::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).unwrap());
        Self {
            kid: kid.to_owned(),
            signer,
        }
    }

    pub fn ec(kid: &str) -> Self {
        let signer = Signer::Ec(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap());
        Self {
            kid: kid.to_owned(),
            signer,
        }
    }

    pub fn ed(kid: &str) -> Self {
        Self {
            kid: kid.to_owned(),
            signer: Signer::Ed(Ed25519KeyPair::generate().unwrap()),
        }
    }

    pub fn alg(&self) -> &'static str {
        match self.signer {
            Signer::Rsa(_) => "RS256",
            Signer::Ec(_) => "ES256",
            Signer::Ed(_) => "EdDSA",
        }
    }

    /// The public key as a JWK, built from its parameters.
    pub fn jwk(&self) -> Value {
        match &self.signer {
            Signer::Rsa(k) => {
                let p = k.public_key();
                json!({"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                    "n": b64(p.modulus().big_endian_without_leading_zero()),
                    "e": b64(p.exponent().big_endian_without_leading_zero())})
            }
            Signer::Ec(k) => {
                let point = k.public_key().as_ref();
                json!({"kty": "EC", "kid": self.kid, "crv": "P-256",
                    "x": b64(&point[1..33]), "y": b64(&point[33..65])})
            }
            Signer::Ed(k) => json!({"kty": "OKP", "kid": self.kid, "crv": "Ed25519",
                "x": b64(k.public_key().as_ref())}),
        }
    }

    /// The public key as a PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub fn pem(&self) -> String {
        let der = match &self.signer {
            Signer::Rsa(k) => k.public_key().as_der().unwrap().as_ref().to_vec(),
            Signer::Ec(k) => k.public_key().as_der().unwrap().as_ref().to_vec(),
            Signer::Ed(k) => k.public_key().as_der().unwrap().as_ref().to_vec(),
        };
        let body = STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }

    pub fn sign_raw(&self, input: &[u8]) -> Vec<u8> {
        match &self.signer {
            Signer::Rsa(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), input, &mut sig)
                    .unwrap();
                sig
            }
            Signer::Ec(k) => k
                .sign(&SystemRandom::new(), input)
                .unwrap()
                .as_ref()
                .to_vec(),
            Signer::Ed(k) => k.sign(input).as_ref().to_vec(),
        }
    }

    /// A token with this key's algorithm and key ID.
    pub fn token(&self, claims: Value) -> String {
        self.token_with(
            json!({"alg": self.alg(), "kid": self.kid, "typ": "JWT"}),
            claims,
        )
    }

    /// A token with the given header, signed by this key.
    pub fn token_with(&self, header: Value, claims: Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = self.sign_raw(input.as_bytes());
        format!("{input}.{}", b64(&sig))
    }
}

/// A token with an arbitrary header and signature (`alg: none`, HMAC forgeries...).
pub fn forged(header: Value, claims: Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(signature)
    )
}

/// HMAC-SHA256 of a token's signing input, for the key-as-secret forgery.
pub fn hs256(secret: &[u8], header: Value, claims: Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

/// A JWKS document of the given keys.
pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()})
}
