//! Shamir secret sharing over GF(256), in the share layout Vault uses: each share is the
//! secret's length in y bytes followed by one x byte.
//!
//! The field arithmetic has no tables and no secret-dependent branches, so its timing
//! does not depend on the bytes of the secret or of the shares.

use crate::random::{self, RandomError};
use crate::secret::SecretBytes;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShamirError {
    #[error("the number of shares must be at least the threshold")]
    PartsBelowThreshold,
    #[error("the number of shares cannot exceed 255")]
    TooManyParts,
    #[error("the threshold must be at least 2")]
    ThresholdTooSmall,
    #[error("the secret to split is empty")]
    EmptySecret,
    #[error("at least two shares are needed")]
    TooFewShares,
    #[error("the shares are too short or of different lengths")]
    BadShareLength,
    #[error("two shares have the same x coordinate")]
    DuplicateShare,
    #[error("a share has an x coordinate of zero")]
    ZeroCoordinate,
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1, branch-free.
fn mul(a: u8, b: u8) -> u8 {
    let mut r: u8 = 0;
    let mut i = 8;
    while i > 0 {
        i -= 1;
        let bit_mask = 0u8.wrapping_sub((b >> i) & 1);
        let reduce_mask = 0u8.wrapping_sub(r >> 7);
        r = (bit_mask & a) ^ (reduce_mask & 0x1B) ^ r.wrapping_add(r);
    }
    r
}

/// The multiplicative inverse, a^254 by a fixed chain of squarings (inv(0) = 0).
fn inv(a: u8) -> u8 {
    let mut power = a;
    let mut result = 1u8;
    for _ in 0..7 {
        power = mul(power, power);
        result = mul(result, power);
    }
    result
}

/// Evaluates the polynomial with the given coefficients (constant term first) at `x`.
fn evaluate(coefficients: &[u8], x: u8) -> u8 {
    coefficients
        .iter()
        .rev()
        .fold(0u8, |acc, &c| mul(acc, x) ^ c)
}

/// Splits `secret` into `parts` shares of which any `threshold` rebuild it.
pub fn split(
    secret: &[u8],
    parts: usize,
    threshold: usize,
) -> Result<Vec<SecretBytes>, ShamirError> {
    if parts < threshold {
        return Err(ShamirError::PartsBelowThreshold);
    }
    if parts > 255 {
        return Err(ShamirError::TooManyParts);
    }
    if threshold < 2 {
        return Err(ShamirError::ThresholdTooSmall);
    }
    if secret.is_empty() {
        return Err(ShamirError::EmptySecret);
    }
    let xs = random_coordinates(parts)?;
    let mut shares: Vec<SecretBytes> = xs
        .iter()
        .map(|&x| {
            let mut share = vec![0u8; secret.len() + 1];
            if let Some(last) = share.last_mut() {
                *last = x;
            }
            SecretBytes::new(share)
        })
        .collect();
    let mut coefficients = SecretBytes::new(vec![0u8; threshold]);
    for (index, &byte) in secret.iter().enumerate() {
        let c = coefficients.expose_mut();
        random::fill(c)?;
        if let Some(first) = c.first_mut() {
            *first = byte;
        }
        for (share, &x) in shares.iter_mut().zip(xs.iter()) {
            if let Some(y) = share.expose_mut().get_mut(index) {
                *y = evaluate(coefficients.expose(), x);
            }
        }
    }
    Ok(shares)
}

/// Rebuilds the secret from shares. Fewer shares than the threshold give a wrong value,
/// not an error: Shamir shares carry no threshold, the caller checks the result.
pub fn combine(shares: &[&[u8]]) -> Result<SecretBytes, ShamirError> {
    if shares.len() < 2 {
        return Err(ShamirError::TooFewShares);
    }
    let share_len = shares.first().map_or(0, |s| s.len());
    if share_len < 2 || shares.iter().any(|s| s.len() != share_len) {
        return Err(ShamirError::BadShareLength);
    }
    let secret_len = share_len - 1;
    let mut xs = Vec::with_capacity(shares.len());
    for share in shares {
        let x = share.last().copied().ok_or(ShamirError::BadShareLength)?;
        if x == 0 {
            return Err(ShamirError::ZeroCoordinate);
        }
        if xs.contains(&x) {
            return Err(ShamirError::DuplicateShare);
        }
        xs.push(x);
    }
    // Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); subtraction is xor.
    let basis: Vec<u8> = xs
        .iter()
        .enumerate()
        .map(|(i, &xi)| {
            xs.iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .fold(1u8, |acc, (_, &xj)| mul(acc, mul(xj, inv(xj ^ xi))))
        })
        .collect();
    let mut secret = SecretBytes::new(vec![0u8; secret_len]);
    for (index, out) in secret.expose_mut().iter_mut().enumerate() {
        *out = shares
            .iter()
            .zip(basis.iter())
            .fold(0u8, |acc, (share, &l)| {
                acc ^ mul(share.get(index).copied().unwrap_or(0), l)
            });
    }
    Ok(secret)
}

/// `parts` distinct non-zero x coordinates in random order.
fn random_coordinates(parts: usize) -> Result<Vec<u8>, RandomError> {
    let mut xs: Vec<u8> = (1..=255u8).collect();
    // Fisher-Yates with rejection sampling for an unbiased index.
    for i in (1..xs.len()).rev() {
        let bound = i as u32 + 1;
        let zone = u32::MAX - (u32::MAX % bound);
        let j = loop {
            let mut b = [0u8; 4];
            random::fill(&mut b)?;
            let v = u32::from_le_bytes(b);
            if v < zone {
                break (v % bound) as usize;
            }
        };
        xs.swap(i, j);
    }
    xs.truncate(parts);
    Ok(xs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Slow, obviously correct multiplication: shift-and-add with explicit reduction.
    fn reference_mul(a: u8, b: u8) -> u8 {
        let mut product: u16 = 0;
        for bit in 0..8 {
            if b & (1 << bit) != 0 {
                product ^= u16::from(a) << bit;
            }
        }
        for bit in (8..16).rev() {
            if product & (1 << bit) != 0 {
                product ^= 0x11B << (bit - 8);
            }
        }
        product as u8
    }

    #[test]
    fn field_multiplication_matches_reference_everywhere() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(mul(a, b), reference_mul(a, b), "{a} * {b}");
            }
        }
    }

    #[test]
    fn inverse_is_inverse() {
        assert_eq!(inv(0), 0);
        for a in 1..=255u8 {
            assert_eq!(mul(a, inv(a)), 1, "{a}");
        }
    }

    #[test]
    fn share_layout_is_y_bytes_then_x() {
        let shares = split(b"0123456789abcdef", 5, 3).unwrap();
        let mut xs: Vec<u8> = shares.iter().map(|s| *s.expose().last().unwrap()).collect();
        assert!(shares.iter().all(|s| s.len() == 17));
        xs.sort_unstable();
        xs.dedup();
        assert_eq!(xs.len(), 5);
        assert!(!xs.contains(&0));
    }

    #[test]
    fn rejects_bad_parameters() {
        assert_eq!(
            split(b"k", 2, 3).unwrap_err(),
            ShamirError::PartsBelowThreshold
        );
        assert_eq!(split(b"k", 256, 3).unwrap_err(), ShamirError::TooManyParts);
        assert_eq!(
            split(b"k", 3, 1).unwrap_err(),
            ShamirError::ThresholdTooSmall
        );
        assert_eq!(split(b"", 3, 2).unwrap_err(), ShamirError::EmptySecret);
    }

    #[test]
    fn rejects_bad_share_sets() {
        let s = split(b"secret", 3, 2).unwrap();
        let a = s[0].expose();
        assert_eq!(combine(&[a]).unwrap_err(), ShamirError::TooFewShares);
        assert_eq!(combine(&[a, a]).unwrap_err(), ShamirError::DuplicateShare);
        assert_eq!(
            combine(&[a, &a[1..]]).unwrap_err(),
            ShamirError::BadShareLength
        );
        assert_eq!(
            combine(&[&[1u8], &[2u8]]).unwrap_err(),
            ShamirError::BadShareLength
        );
        assert_eq!(
            combine(&[&[1u8, 0], &[2u8, 3]]).unwrap_err(),
            ShamirError::ZeroCoordinate
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_threshold_subset_rebuilds(
            secret in proptest::collection::vec(any::<u8>(), 1..48),
            parts in 2usize..12,
            threshold_seed in any::<usize>(),
            order in any::<u64>(),
        ) {
            let threshold = 2 + threshold_seed % (parts - 1);
            let shares = split(&secret, parts, threshold).unwrap();
            // choose a pseudo-random subset of exactly `threshold` shares
            let mut idx: Vec<usize> = (0..parts).collect();
            let mut state = order | 1;
            for i in (1..idx.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                idx.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let subset: Vec<&[u8]> = idx[..threshold].iter().map(|&i| shares[i].expose()).collect();
            prop_assert_eq!(combine(&subset).unwrap().expose().to_vec(), secret.clone());
            let all: Vec<&[u8]> = shares.iter().map(|s| s.expose()).collect();
            prop_assert_eq!(combine(&all).unwrap().expose().to_vec(), secret.clone());
        }

        #[test]
        fn fewer_than_threshold_do_not_rebuild(
            secret in proptest::collection::vec(any::<u8>(), 16..48),
            parts in 3usize..12,
            threshold_seed in any::<usize>(),
        ) {
            let threshold = 3 + threshold_seed % (parts - 2);
            let shares = split(&secret, parts, threshold).unwrap();
            let subset: Vec<&[u8]> = shares[..threshold - 1].iter().map(|s| s.expose()).collect();
            prop_assert_ne!(combine(&subset).unwrap().expose().to_vec(), secret.clone());
        }
    }
}
