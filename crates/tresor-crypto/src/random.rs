//! Randomness from the system CSPRNG (through aws-lc-rs).

use crate::secret::{SecretBytes, SecretString};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// The RNG failed: the process cannot safely go on producing keys.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the system random number generator failed")]
pub struct RandomError;

pub fn fill(buf: &mut [u8]) -> Result<(), RandomError> {
    SystemRandom::new().fill(buf).map_err(|_| RandomError)
}

pub fn bytes(len: usize) -> Result<Vec<u8>, RandomError> {
    let mut v = vec![0u8; len];
    fill(&mut v)?;
    Ok(v)
}

pub fn secret_bytes(len: usize) -> Result<SecretBytes, RandomError> {
    let mut v = SecretBytes::new(vec![0u8; len]);
    fill(v.expose_mut())?;
    Ok(v)
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A uniformly random base62 string of `len` characters (rejection sampling, no bias).
pub fn base62(len: usize) -> Result<SecretString, RandomError> {
    let mut out = String::with_capacity(len);
    let mut pool = [0u8; 64];
    while out.len() < len {
        fill(&mut pool)?;
        for &b in pool.iter() {
            // 248 = 4 * 62: bytes at or above it would bias the draw.
            if b < 248 {
                if let Some(&c) = BASE62.get(usize::from(b % 62)) {
                    out.push(char::from(c));
                }
                if out.len() == len {
                    break;
                }
            }
        }
    }
    crate::secret::wipe(&mut pool);
    Ok(SecretString::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_has_requested_length_and_alphabet() {
        let s = base62(40).unwrap();
        assert_eq!(s.expose().len(), 40);
        assert!(s.expose().bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(base62(40).unwrap(), s);
    }
}
