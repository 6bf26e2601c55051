//! Names in paths, random identifiers, and the warning for parameters an endpoint
//! ignores.

use tresor_sdk::framework::Fields;
use tresor_sdk::Error;

/// The `token_` fields every user or role takes (read by [`TokenParams`]).
///
/// [`TokenParams`]: tresor_sdk::token_params::TokenParams
const TOKEN_FIELDS: &[&str] = &[
    "token_bound_cidrs",
    "token_explicit_max_ttl",
    "token_max_ttl",
    "token_no_default_policy",
    "token_num_uses",
    "token_period",
    "token_policies",
    "token_strictly_bind_ip",
    "token_ttl",
    "token_type",
];

/// Vault's `GenericNameRegex`: word characters, with `-` and `.` allowed inside.
pub fn valid_name(name: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = name.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            word(first) && word(last) && bytes.iter().all(|&b| word(b) || b == b'-' || b == b'.')
        }
        _ => false,
    }
}

/// A name from the path, lower-cased; a name Vault's pattern would not match is a path
/// no route serves (404).
pub fn path_name(raw: &str) -> Result<String, Error> {
    if valid_name(raw) {
        Ok(raw.to_lowercase())
    } else {
        Err(Error::UnsupportedPath)
    }
}

/// A random UUID (version 4) from the system CSPRNG: role IDs, secret IDs, accessors.
pub fn random_uuid() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    tresor_crypto::random::fill(&mut bytes).map_err(|e| Error::internal(e.to_string()))?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string())
}

/// Vault's warning for the parameters a write ignored: those neither the path declares
/// nor the token parameters (with the legacy names in `legacy`) read.
pub fn ignored_warning(fields: &Fields, legacy: &[&str]) -> Option<String> {
    let ignored: Vec<&str> = fields
        .ignored
        .iter()
        .map(String::as_str)
        .filter(|k| !TOKEN_FIELDS.contains(k) && !legacy.contains(k))
        .collect();
    (!ignored.is_empty()).then(|| {
        format!(
            "Endpoint ignored these unrecognized parameters: [{}]",
            ignored.join(" ")
        )
    })
}

/// Whether two policy lists grant the same, as Vault compares them on renewal: order,
/// case, repeats and the `default` policy do not count.
pub fn same_policies(a: &[String], b: &[String]) -> bool {
    let set = |l: &[String]| {
        l.iter()
            .map(|p| p.trim().to_lowercase())
            .filter(|p| !p.is_empty() && p != "default")
            .collect::<std::collections::BTreeSet<_>>()
    };
    set(a) == set(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_vaults_pattern() {
        for ok in ["a", "alice", "a.b-c_d", "Web01", "_x_"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "-ab", "ab-", ".a", "a b", "a/b", "é", "a..b "] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert_eq!(path_name("Alice").unwrap(), "alice");
        assert_eq!(
            path_name("a b").unwrap_err().kind(),
            tresor_sdk::ErrorKind::NotFound
        );
    }

    #[test]
    fn uuids_are_random_v4() {
        let (a, b) = (random_uuid().unwrap(), random_uuid().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
    }
}
