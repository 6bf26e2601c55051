//! A checked BER reader and a small writer, for the subset LDAPv3 uses (RFC 4511
//! section 5.1): one-byte tags, definite lengths of at most four bytes.
//!
//! The reader works on a complete message and never panics: every length is checked
//! against the bytes at hand and against [`MAX_MESSAGE`] before anything is allocated.

/// The largest message (or element) we accept from a server: 16 MiB.
pub const MAX_MESSAGE: usize = 16 << 20;

/// Why bytes from the server could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BerError(pub &'static str);

/// One element: its tag and the bytes of its value.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
}

/// The header of an element: `(tag, value length, header length)`, or `None` while
/// more bytes are needed to know it.
pub fn header(buf: &[u8]) -> Result<Option<(u8, usize, usize)>, BerError> {
    let Some(&tag) = buf.first() else {
        return Ok(None);
    };
    if tag & 0x1f == 0x1f {
        return Err(BerError("multi-byte tags are not used by LDAP"));
    }
    let Some(&first) = buf.get(1) else {
        return Ok(None);
    };
    if first < 0x80 {
        return Ok(Some((tag, usize::from(first), 2)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 {
        return Err(BerError("indefinite lengths are not allowed"));
    }
    if n > 4 {
        return Err(BerError("length field too long"));
    }
    let Some(bytes) = buf.get(2..2 + n) else {
        return Ok(None);
    };
    let len = bytes
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    if len > MAX_MESSAGE {
        return Err(BerError("element too large"));
    }
    Ok(Some((tag, len, 2 + n)))
}

/// Reads the elements of a buffer one after the other.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { rest: buf }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next element.
    pub fn read(&mut self) -> Result<Tlv<'a>, BerError> {
        let truncated = BerError("truncated element");
        let (tag, len, head) = header(self.rest)?.ok_or(truncated)?;
        let end = head.checked_add(len).ok_or(truncated)?;
        let value = self.rest.get(head..end).ok_or(truncated)?;
        self.rest = self.rest.get(end..).unwrap_or_default();
        Ok(Tlv { tag, value })
    }

    /// The value of the next element, which must carry `tag`.
    pub fn expect(&mut self, tag: u8) -> Result<&'a [u8], BerError> {
        let tlv = self.read()?;
        if tlv.tag == tag {
            Ok(tlv.value)
        } else {
            Err(BerError("unexpected tag"))
        }
    }

    /// The value of the next element if it carries `tag`.
    pub fn optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>, BerError> {
        if self.peek_tag() == Some(tag) {
            self.expect(tag).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// An INTEGER or ENUMERATED value (at most 8 bytes, two's complement).
pub fn int(value: &[u8]) -> Result<i64, BerError> {
    if value.is_empty() || value.len() > 8 {
        return Err(BerError("bad integer length"));
    }
    let negative = value.first().is_some_and(|&b| b & 0x80 != 0);
    let init: i64 = if negative { -1 } else { 0 };
    Ok(value.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b)))
}

/// A BOOLEAN value.
pub fn boolean(value: &[u8]) -> Result<bool, BerError> {
    match value {
        [b] => Ok(*b != 0),
        _ => Err(BerError("bad boolean length")),
    }
}

/// An LDAPString (UTF-8); invalid sequences are replaced, never fatal.
pub fn text(value: &[u8]) -> String {
    String::from_utf8_lossy(value).into_owned()
}

/// Builds BER. Constructed elements get a four-byte long-form length, patched once
/// their content is written, so the buffer never moves what it already holds (it is
/// sized up front by the caller when it carries a password).
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn with_capacity(n: usize) -> Self {
        Self {
            buf: Vec::with_capacity(n),
        }
    }

    fn length(&mut self, len: usize) {
        if len < 0x80 {
            self.buf.push(len as u8);
        } else {
            let bytes = (len as u64).to_be_bytes();
            let skip = bytes.iter().take_while(|&&b| b == 0).count();
            let used = bytes.get(skip..).unwrap_or_default();
            self.buf.push(0x80 | used.len() as u8);
            self.buf.extend_from_slice(used);
        }
    }

    pub fn octets(&mut self, tag: u8, value: &[u8]) {
        self.buf.push(tag);
        self.length(value.len());
        self.buf.extend_from_slice(value);
    }

    pub fn int(&mut self, tag: u8, value: i64) {
        let bytes = value.to_be_bytes();
        // Drop leading bytes that only repeat the sign.
        let mut skip = 0;
        while skip < 7 {
            let (Some(&b), Some(&next)) = (bytes.get(skip), bytes.get(skip + 1)) else {
                break;
            };
            let redundant = (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0);
            if !redundant {
                break;
            }
            skip += 1;
        }
        self.octets(tag, bytes.get(skip..).unwrap_or_default());
    }

    pub fn boolean(&mut self, tag: u8, value: bool) {
        self.octets(tag, &[if value { 0xff } else { 0 }]);
    }

    /// A constructed element whose content `f` writes.
    pub fn nest(&mut self, tag: u8, f: impl FnOnce(&mut Writer)) {
        self.buf.push(tag);
        self.buf.push(0x84);
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        f(self);
        let len = self.buf.len() - at - 4;
        let len = u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes();
        if let Some(slot) = self.buf.get_mut(at..at + 4) {
            slot.copy_from_slice(&len);
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip() {
        for v in [
            0i64,
            1,
            127,
            128,
            255,
            256,
            -1,
            -128,
            -129,
            2_147_483_647,
            i64::MIN,
        ] {
            let mut w = Writer::default();
            w.int(0x02, v);
            let bytes = w.into_bytes();
            let mut r = Reader::new(&bytes);
            assert_eq!(int(r.expect(0x02).unwrap()).unwrap(), v, "{v}");
            assert!(r.is_empty());
        }
        let mut w = Writer::default();
        w.int(0x02, 128);
        assert_eq!(w.into_bytes(), [0x02, 0x02, 0x00, 0x80]);
    }

    #[test]
    fn lengths_long_and_short() {
        let big = vec![7u8; 300];
        let mut w = Writer::default();
        w.octets(0x04, &big);
        w.nest(0x30, |w| w.boolean(0x01, true));
        let bytes = w.into_bytes();
        assert_eq!(bytes.get(..4), Some(&[0x04, 0x82, 0x01, 0x2c][..]));
        let mut r = Reader::new(&bytes);
        assert_eq!(r.expect(0x04).unwrap(), &big[..]);
        let seq = r.expect(0x30).unwrap();
        assert!(boolean(Reader::new(seq).expect(0x01).unwrap()).unwrap());
    }

    #[test]
    fn malformed_input_is_refused() {
        for (bytes, why) in [
            (
                &[0x30, 0x80, 0, 0][..],
                "indefinite lengths are not allowed",
            ),
            (&[0x30, 0x85, 1, 1, 1, 1, 1][..], "length field too long"),
            (&[0x1f, 0x01, 0][..], "multi-byte tags are not used by LDAP"),
            (&[0x04, 0x05, 1, 2][..], "truncated element"),
            (
                &[0x04, 0x84, 0x7f, 0xff, 0xff, 0xff][..],
                "element too large",
            ),
            (&[0x04][..], "truncated element"),
        ] {
            assert_eq!(Reader::new(bytes).read().unwrap_err(), BerError(why));
        }
        assert!(int(&[]).is_err() && int(&[0; 9]).is_err());
        assert!(boolean(&[1, 1]).is_err());
        assert_eq!(header(&[0x30, 0x82, 0x01]).unwrap(), None, "needs more");
    }
}
