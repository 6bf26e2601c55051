//! Random identifiers and generated names.

use tresor_sdk::Error;

fn random<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    tresor_crypto::random::fill(&mut bytes).map_err(|e| Error::internal(e.to_string()))?;
    Ok(bytes)
}

/// A random UUID (version 4): entity, alias and group IDs.
pub fn new_uuid() -> Result<String, Error> {
    Ok(uuid::Builder::from_random_bytes(random::<16>()?)
        .into_uuid()
        .to_string())
}

/// A generated name, `<prefix>_<8 hex digits>` (`entity_1a2b3c4d`), as Vault names
/// entities and groups created without one.
pub fn generated_name(prefix: &str) -> Result<String, Error> {
    Ok(format!("{prefix}_{}", hex::encode(random::<4>()?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_random() {
        let (a, b) = (new_uuid().unwrap(), new_uuid().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        let name = generated_name("entity").unwrap();
        let suffix = name.strip_prefix("entity_").unwrap();
        assert_eq!(suffix.len(), 8);
        assert!(suffix.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
