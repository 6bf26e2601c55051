//! AES-256-GCM keys with terms, and the keyring that seals barrier entries.
//!
//! Every sealed entry names the term of the key that sealed it, so entries written
//! before a rotation keep opening after it. The authenticated data binds the entry's
//! header and its storage path: an entry moved to another path, or a header changed,
//! fails to open.

use crate::codec::{self, CodecError, Reader, NONCE_LEN};
use crate::random::{self, RandomError};
use crate::secret::SecretBytes;
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

pub const KEY_LEN: usize = 32;
const KEYRING_FORMAT: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error("the entry was sealed by key term {0}, which this keyring does not hold")]
    UnknownTerm(u32),
    #[error("the entry failed authentication: it was altered or belongs elsewhere")]
    Authentication,
    #[error("a key must be {KEY_LEN} bytes")]
    KeyLength,
    #[error("the key term counter is exhausted")]
    TermOverflow,
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// One AES-256-GCM key and the term it belongs to.
pub struct TermKey {
    term: u32,
    installed_at: i64,
    material: SecretBytes,
    aead: LessSafeKey,
}

impl fmt::Debug for TermKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TermKey")
            .field("term", &self.term)
            .field("installed_at", &self.installed_at)
            .finish_non_exhaustive()
    }
}

impl TermKey {
    pub fn new(term: u32, installed_at: i64, material: SecretBytes) -> Result<Self, KeyringError> {
        if material.len() != KEY_LEN {
            return Err(KeyringError::KeyLength);
        }
        let unbound = UnboundKey::new(&AES_256_GCM, material.expose())
            .map_err(|_| KeyringError::KeyLength)?;
        Ok(Self {
            term,
            installed_at,
            material,
            aead: LessSafeKey::new(unbound),
        })
    }

    pub fn generate(term: u32, installed_at: i64) -> Result<Self, KeyringError> {
        Self::new(term, installed_at, random::secret_bytes(KEY_LEN)?)
    }

    pub fn term(&self) -> u32 {
        self.term
    }

    pub fn installed_at(&self) -> i64 {
        self.installed_at
    }

    pub fn material(&self) -> &SecretBytes {
        &self.material
    }

    /// Seals `plaintext` for storage at `path`.
    pub fn seal(&self, path: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyringError> {
        let header = codec::header(self.term);
        let mut nonce = [0u8; NONCE_LEN];
        random::fill(&mut nonce)?;
        let mut out = Vec::with_capacity(codec::MIN_SEALED_LEN + plaintext.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        let tag = self
            .aead
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(&header, path)),
                &mut body,
            )
            .map_err(|_| KeyringError::Authentication)?;
        out.extend_from_slice(&body);
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Opens an entry sealed by this key for `path`.
    pub fn open(&self, path: &str, sealed: &[u8]) -> Result<Vec<u8>, KeyringError> {
        let parts = codec::parse_sealed(sealed)?;
        if parts.term != self.term {
            return Err(KeyringError::UnknownTerm(parts.term));
        }
        self.open_parts(path, &parts)
    }

    fn open_parts(
        &self,
        path: &str,
        parts: &codec::SealedParts<'_>,
    ) -> Result<Vec<u8>, KeyringError> {
        let mut buf = parts.sealed.to_vec();
        let plain_len = self
            .aead
            .open_in_place(
                Nonce::assume_unique_for_key(parts.nonce),
                Aad::from(aad(parts.header, path)),
                &mut buf,
            )
            .map_err(|_| KeyringError::Authentication)?
            .len();
        buf.truncate(plain_len);
        Ok(buf)
    }
}

fn aad(header: &[u8], path: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(header.len() + path.len());
    v.extend_from_slice(header);
    v.extend_from_slice(path.as_bytes());
    v
}

/// What `sys/key-status` reports about the active term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStatus {
    pub term: u32,
    pub installed_at: i64,
    pub encryptions: u64,
}

/// The set of barrier keys: one active term that seals, every term able to open.
#[derive(Debug)]
pub struct Keyring {
    active: u32,
    keys: BTreeMap<u32, TermKey>,
    encryptions: AtomicU64,
}

impl Keyring {
    /// A new keyring holding one fresh key as term 1.
    pub fn generate(now: i64) -> Result<Self, KeyringError> {
        let key = TermKey::generate(1, now)?;
        Ok(Self {
            active: 1,
            keys: BTreeMap::from([(1, key)]),
            encryptions: AtomicU64::new(0),
        })
    }

    /// A new keyring with every key of this one plus a fresh active key of the next term.
    pub fn rotated(&self, now: i64) -> Result<Self, KeyringError> {
        let term = self
            .active
            .checked_add(1)
            .ok_or(KeyringError::TermOverflow)?;
        let mut keys = BTreeMap::new();
        for (t, k) in &self.keys {
            keys.insert(
                *t,
                TermKey::new(k.term, k.installed_at, k.material.clone())?,
            );
        }
        keys.insert(term, TermKey::generate(term, now)?);
        Ok(Self {
            active: term,
            keys,
            encryptions: AtomicU64::new(0),
        })
    }

    pub fn active_term(&self) -> u32 {
        self.active
    }

    pub fn status(&self) -> KeyStatus {
        let installed_at = self.keys.get(&self.active).map_or(0, TermKey::installed_at);
        KeyStatus {
            term: self.active,
            installed_at,
            encryptions: self.encryptions.load(Ordering::Relaxed),
        }
    }

    pub fn seal(&self, path: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyringError> {
        let key = self
            .keys
            .get(&self.active)
            .ok_or(KeyringError::UnknownTerm(self.active))?;
        self.encryptions.fetch_add(1, Ordering::Relaxed);
        key.seal(path, plaintext)
    }

    pub fn open(&self, path: &str, sealed: &[u8]) -> Result<Vec<u8>, KeyringError> {
        let parts = codec::parse_sealed(sealed)?;
        let key = self
            .keys
            .get(&parts.term)
            .ok_or(KeyringError::UnknownTerm(parts.term))?;
        key.open_parts(path, &parts)
    }

    /// The keyring's own serialized form (key material inside: seal it before storing).
    pub fn to_bytes(&self) -> SecretBytes {
        let mut out = Vec::with_capacity(9 + self.keys.len() * (12 + 1 + KEY_LEN));
        out.push(KEYRING_FORMAT);
        out.extend_from_slice(&self.active.to_be_bytes());
        out.extend_from_slice(&(self.keys.len() as u32).to_be_bytes());
        for key in self.keys.values() {
            out.extend_from_slice(&key.term.to_be_bytes());
            out.extend_from_slice(&key.installed_at.to_be_bytes());
            out.extend_from_slice(key.material.expose());
        }
        SecretBytes::new(out)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyringError> {
        let mut r = Reader::new(bytes);
        let format = r.u8()?;
        if format != KEYRING_FORMAT {
            return Err(CodecError::UnknownVersion(format).into());
        }
        let active = r.u32()?;
        let count = r.u32()?;
        let mut keys = BTreeMap::new();
        for _ in 0..count {
            let term = r.u32()?;
            let installed_at = r.i64()?;
            let material = SecretBytes::from_slice(r.take(KEY_LEN)?);
            keys.insert(term, TermKey::new(term, installed_at, material)?);
        }
        r.finish()?;
        if !keys.contains_key(&active) {
            return Err(CodecError::Invalid.into());
        }
        Ok(Self {
            active,
            keys,
            encryptions: AtomicU64::new(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn old_terms_open_after_rotation() {
        let ring = Keyring::generate(100).unwrap();
        let old = ring.seal("a/b", b"one").unwrap();
        let ring2 = ring.rotated(200).unwrap();
        let new = ring2.seal("a/b", b"two").unwrap();
        assert_eq!(ring2.active_term(), 2);
        assert_eq!(ring2.open("a/b", &old).unwrap(), b"one");
        assert_eq!(ring2.open("a/b", &new).unwrap(), b"two");
        assert!(matches!(
            ring.open("a/b", &new),
            Err(KeyringError::UnknownTerm(2))
        ));
        assert_eq!(ring2.status().installed_at, 200);
    }

    #[test]
    fn path_is_authenticated() {
        let ring = Keyring::generate(0).unwrap();
        let sealed = ring.seal("core/keyring", b"x").unwrap();
        assert!(matches!(
            ring.open("core/other", &sealed),
            Err(KeyringError::Authentication)
        ));
    }

    #[test]
    fn serialization_round_trips_and_rejects_garbage() {
        let ring = Keyring::generate(5).unwrap().rotated(6).unwrap();
        let bytes = ring.to_bytes();
        let back = Keyring::from_bytes(bytes.expose()).unwrap();
        let sealed = ring.seal("p", b"v").unwrap();
        assert_eq!(back.open("p", &sealed).unwrap(), b"v");
        assert_eq!(back.active_term(), 2);
        for n in 0..bytes.len() {
            assert!(Keyring::from_bytes(&bytes.expose()[..n]).is_err());
        }
        let mut long = bytes.expose().to_vec();
        long.push(0);
        assert!(Keyring::from_bytes(&long).is_err());
    }

    #[test]
    fn debug_never_shows_key_material() {
        let ring = Keyring::generate(0).unwrap();
        let shown = format!("{ring:?}");
        assert!(shown.contains("term"));
        let hex: String = ring.to_bytes().expose()[17..]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!shown.contains(&hex[..16]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Every flipped bit and every truncation of a sealed entry is detected.
        #[test]
        fn tampering_is_detected(plain in proptest::collection::vec(any::<u8>(), 0..64), bit in any::<usize>(), cut in any::<usize>()) {
            let ring = Keyring::generate(0).unwrap();
            let sealed = ring.seal("logical/x", &plain).unwrap();
            let mut flipped = sealed.clone();
            let i = bit % (flipped.len() * 8);
            flipped[i / 8] ^= 1 << (i % 8);
            prop_assert!(ring.open("logical/x", &flipped).is_err());
            let truncated = &sealed[..cut % sealed.len()];
            prop_assert!(ring.open("logical/x", truncated).is_err());
            prop_assert_eq!(ring.open("logical/x", &sealed).unwrap(), plain);
        }
    }
}
