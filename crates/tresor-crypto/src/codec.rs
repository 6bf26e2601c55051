//! Checked byte readers and the layout of a sealed entry.
//!
//! A sealed entry is `term (u32, big endian) | version (u8) | nonce (12) | ciphertext | tag (16)`.
//! Every parse is checked: a short or malformed input is an error, never a panic.

pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 5;
pub const NONCE_LEN: usize = 12;
pub const TAG_LEN: usize = 16;
/// The shortest valid sealed entry: header, nonce and tag around an empty plaintext.
pub const MIN_SEALED_LEN: usize = HEADER_LEN + NONCE_LEN + TAG_LEN;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodecError {
    #[error("the stored entry is truncated")]
    Truncated,
    #[error("the stored entry has unknown version {0}")]
    UnknownVersion(u8),
    #[error("the stored entry has {0} trailing bytes")]
    TrailingBytes(usize),
    #[error("the stored entry holds an invalid value")]
    Invalid,
}

/// A sealed entry split into its parts, borrowing the stored bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct SealedParts<'a> {
    pub term: u32,
    pub header: &'a [u8],
    pub nonce: [u8; NONCE_LEN],
    /// Ciphertext followed by the tag.
    pub sealed: &'a [u8],
}

pub fn parse_sealed(bytes: &[u8]) -> Result<SealedParts<'_>, CodecError> {
    if bytes.len() < MIN_SEALED_LEN {
        return Err(CodecError::Truncated);
    }
    let mut r = Reader::new(bytes);
    let term = r.u32()?;
    let version = r.u8()?;
    if version != VERSION {
        return Err(CodecError::UnknownVersion(version));
    }
    let header = bytes.get(..HEADER_LEN).ok_or(CodecError::Truncated)?;
    let nonce = r.array::<NONCE_LEN>()?;
    Ok(SealedParts {
        term,
        header,
        nonce,
        sealed: r.rest(),
    })
}

pub fn header(term: u32) -> [u8; HEADER_LEN] {
    let t = term.to_be_bytes();
    [t[0], t[1], t[2], t[3], VERSION]
}

/// A cursor over untrusted bytes whose every read is bounds-checked.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.bytes.len() {
            return Err(CodecError::Truncated);
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub fn i64(&mut self) -> Result<i64, CodecError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.bytes)
    }

    /// Errors unless every byte was read.
    pub fn finish(self) -> Result<(), CodecError> {
        match self.bytes.len() {
            0 => Ok(()),
            n => Err(CodecError::TrailingBytes(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_short_prefix_is_truncated() {
        let mut entry = header(7).to_vec();
        entry.extend_from_slice(&[0u8; NONCE_LEN + TAG_LEN]);
        assert!(parse_sealed(&entry).is_ok());
        for n in 0..entry.len() {
            assert_eq!(parse_sealed(&entry[..n]), Err(CodecError::Truncated));
        }
    }

    #[test]
    fn unknown_version_is_refused() {
        let mut entry = header(1).to_vec();
        entry[4] = 9;
        entry.extend_from_slice(&[0u8; NONCE_LEN + TAG_LEN]);
        assert_eq!(parse_sealed(&entry), Err(CodecError::UnknownVersion(9)));
    }

    #[test]
    fn reader_checks_bounds() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u8().unwrap(), 1);
        assert_eq!(r.u32(), Err(CodecError::Truncated));
        assert_eq!(r.take(2).unwrap(), &[2, 3]);
        r.finish().unwrap();
        assert_eq!(
            Reader::new(&[1]).finish(),
            Err(CodecError::TrailingBytes(1))
        );
    }
}
