//! The signature algorithms tokens may use: asymmetric ones only. `none` and the HMAC
//! family are never accepted, whatever the configuration says, so a public key can never
//! be used as an HMAC secret (the algorithm-confusion class).

use jsonwebtoken::Algorithm;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    EdDsa,
}

/// What kind of key an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Rsa,
    P256,
    P384,
    Ed25519,
}

/// The algorithms accepted when `jwt_supported_algs` is empty (for `login`).
pub const DEFAULT_LOGIN: &[Alg] = &[
    Alg::Rs256,
    Alg::Rs384,
    Alg::Rs512,
    Alg::Es256,
    Alg::Es384,
    Alg::Ps256,
    Alg::Ps384,
    Alg::Ps512,
    Alg::EdDsa,
];

/// The algorithms accepted for OIDC ID tokens when `jwt_supported_algs` is empty.
pub const DEFAULT_OIDC: &[Alg] = &[Alg::Rs256];

impl Alg {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "RS256" => Alg::Rs256,
            "RS384" => Alg::Rs384,
            "RS512" => Alg::Rs512,
            "PS256" => Alg::Ps256,
            "PS384" => Alg::Ps384,
            "PS512" => Alg::Ps512,
            "ES256" => Alg::Es256,
            "ES384" => Alg::Es384,
            "EdDSA" => Alg::EdDsa,
            _ => return None,
        })
    }

    pub fn family(self) -> Family {
        match self {
            Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512 => {
                Family::Rsa
            }
            Alg::Es256 => Family::P256,
            Alg::Es384 => Family::P384,
            Alg::EdDsa => Family::Ed25519,
        }
    }

    pub fn library(self) -> Algorithm {
        match self {
            Alg::Rs256 => Algorithm::RS256,
            Alg::Rs384 => Algorithm::RS384,
            Alg::Rs512 => Algorithm::RS512,
            Alg::Ps256 => Algorithm::PS256,
            Alg::Ps384 => Algorithm::PS384,
            Alg::Ps512 => Algorithm::PS512,
            Alg::Es256 => Algorithm::ES256,
            Alg::Es384 => Algorithm::ES384,
            Alg::EdDsa => Algorithm::EdDSA,
        }
    }

    /// The digest behind the algorithm, by `tresor_crypto::digest::by_name`'s names (for
    /// OIDC's `at_hash` and `c_hash`).
    pub fn digest_name(self) -> &'static str {
        match self {
            Alg::Rs256 | Alg::Ps256 | Alg::Es256 => "sha2-256",
            Alg::Rs384 | Alg::Ps384 | Alg::Es384 => "sha2-384",
            Alg::Rs512 | Alg::Ps512 | Alg::EdDsa => "sha2-512",
        }
    }
}

/// Parses `jwt_supported_algs`; the first name we do not verify is the error.
pub fn parse_list(names: &[String]) -> Result<Vec<Alg>, String> {
    names
        .iter()
        .map(|n| Alg::from_name(n).ok_or_else(|| n.chars().take(32).collect()))
        .collect()
}

/// The configured algorithms, or `default` when none are configured.
pub fn allowed(names: &[String], default: &[Alg]) -> Vec<Alg> {
    let parsed: Vec<Alg> = names.iter().filter_map(|n| Alg::from_name(n)).collect();
    if names.is_empty() {
        default.to_vec()
    } else {
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_asymmetric_algorithms_exist() {
        for refused in ["none", "HS256", "HS384", "HS512", "ES512", "rs256", ""] {
            assert_eq!(Alg::from_name(refused), None, "{refused}");
        }
        assert_eq!(Alg::from_name("ES256").map(Alg::family), Some(Family::P256));
        assert_eq!(
            parse_list(&["RS256".into(), "HS256".into()]),
            Err("HS256".into())
        );
        assert_eq!(allowed(&[], DEFAULT_OIDC), vec![Alg::Rs256]);
        assert_eq!(allowed(&["ES384".into()], DEFAULT_LOGIN), vec![Alg::Es384]);
    }
}
