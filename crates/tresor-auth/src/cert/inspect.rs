//! What the method reads out of a certificate: names, SANs, key identifiers, serial,
//! validity and extensions, taken once from the DER with `x509-parser` (checked parsing,
//! trailing bytes refused).

use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::AttributeTypeAndValue;

/// A parsed certificate, owning what the checks and the login metadata need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub der: Vec<u8>,
    /// The raw DER of the subject and issuer names, for chaining.
    pub subject: Vec<u8>,
    pub issuer: Vec<u8>,
    /// Decimal, as Vault shows serials (and keys its CRL entries).
    pub serial: String,
    /// The last CN of the subject (empty without one).
    pub common_name: String,
    pub organizational_units: Vec<String>,
    pub dns_names: Vec<String>,
    pub emails: Vec<String>,
    pub uris: Vec<String>,
    pub subject_key_id: Vec<u8>,
    pub authority_key_id: Vec<u8>,
    pub is_ca: bool,
    /// `None` without an extended key usage extension; else whether it allows client
    /// authentication (or any usage).
    pub client_auth: Option<bool>,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// Every extension: dotted OID and the raw extension value.
    pub extensions: Vec<(String, Vec<u8>)>,
}

/// Why a certificate could not be read; never echoes its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable;

fn attr_text(attr: &AttributeTypeAndValue<'_>) -> String {
    if let Ok(s) = attr.as_str() {
        return s.to_owned();
    }
    let raw = attr.as_slice();
    // A BMPString is UTF-16BE; anything else is taken as (lossy) UTF-8.
    if attr.attr_value().tag() == x509_parser::der_parser::asn1_rs::Tag::BmpString {
        let units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|p| {
                u16::from_be_bytes([
                    p.first().copied().unwrap_or(0),
                    p.get(1).copied().unwrap_or(0),
                ])
            })
            .collect();
        return String::from_utf16_lossy(&units);
    }
    String::from_utf8_lossy(raw).into_owned()
}

/// Parses one DER certificate.
pub fn inspect(der: &[u8]) -> Result<CertInfo, Unreadable> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|_| Unreadable)?;
    if !rest.is_empty() {
        return Err(Unreadable);
    }
    let subject = cert.subject();
    let mut info = CertInfo {
        der: der.to_vec(),
        subject: subject.as_raw().to_vec(),
        issuer: cert.issuer().as_raw().to_vec(),
        serial: cert.tbs_certificate.serial.to_string(),
        common_name: subject
            .iter_common_name()
            .last()
            .map(attr_text)
            .unwrap_or_default(),
        organizational_units: subject.iter_organizational_unit().map(attr_text).collect(),
        dns_names: Vec::new(),
        emails: Vec::new(),
        uris: Vec::new(),
        subject_key_id: Vec::new(),
        authority_key_id: Vec::new(),
        is_ca: cert.is_ca(),
        client_auth: None,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        extensions: Vec::new(),
    };
    // Duplicated or malformed well-known extensions make the certificate unreadable.
    cert.basic_constraints().map_err(|_| Unreadable)?;
    if let Some(eku) = cert.extended_key_usage().map_err(|_| Unreadable)? {
        info.client_auth = Some(eku.value.client_auth || eku.value.any);
    }
    if let Some(san) = cert.subject_alternative_name().map_err(|_| Unreadable)? {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(n) => info.dns_names.push((*n).to_owned()),
                GeneralName::RFC822Name(n) => info.emails.push((*n).to_owned()),
                GeneralName::URI(n) => info.uris.push((*n).to_owned()),
                _ => {}
            }
        }
    }
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => info.subject_key_id = id.0.to_vec(),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                if let Some(id) = &aki.key_identifier {
                    info.authority_key_id = id.0.to_vec();
                }
            }
            _ => {}
        }
        info.extensions
            .push((ext.oid.to_id_string(), ext.value.to_vec()));
    }
    Ok(info)
}

/// Key identifiers as Vault shows them: lower-case hex pairs joined by `:`.
pub fn hex_colons(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The text of an extension value holding one ASN.1 string (UTF8String, PrintableString,
/// IA5String, NumericString, T61String, GeneralString, BMPString); empty when it holds
/// anything else, as Vault reads it.
pub fn extension_text(value: &[u8]) -> String {
    let Some((tag, content)) = single_tlv(value) else {
        return String::new();
    };
    match tag {
        0x0c | 0x12 | 0x13 | 0x14 | 0x16 | 0x1b => std::str::from_utf8(content)
            .map(str::to_owned)
            .unwrap_or_default(),
        0x1e if content.len() % 2 == 0 => {
            let units: Vec<u16> = content
                .chunks_exact(2)
                .map(|p| {
                    u16::from_be_bytes([
                        p.first().copied().unwrap_or(0),
                        p.get(1).copied().unwrap_or(0),
                    ])
                })
                .collect();
            String::from_utf16(&units).unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// The tag and content of the DER element at the start of `bytes` (single-byte tags,
/// definite lengths up to four bytes).
fn single_tlv(bytes: &[u8]) -> Option<(u8, &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (len_bytes, rest) = (rest.get(..n)?, rest.get(n..)?);
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, rest)
    };
    Some((tag, rest.get(..len)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_strings() {
        assert_eq!(
            extension_text(&[0x0c, 5, b'h', b'e', b'l', b'l', b'o']),
            "hello"
        );
        assert_eq!(extension_text(&[0x16, 2, b'a', b'b', 0xff]), "ab");
        assert_eq!(extension_text(&[0x1e, 4, 0, b'h', 0, b'i']), "hi");
        let mut long = vec![0x13, 0x81, 200];
        long.extend(std::iter::repeat_n(b'x', 200));
        assert_eq!(extension_text(&long).len(), 200);
        for bad in [
            &[][..],
            &[0x0c],
            &[0x0c, 9, b'a'],
            &[0x02, 1, 1],
            &[0x0c, 0x85, 1, 1, 1, 1, 1],
            &[0x0c, 0x80],
        ] {
            assert_eq!(extension_text(bad), "", "{bad:?}");
        }
    }

    #[test]
    fn hex_pairs() {
        assert_eq!(hex_colons(&[0x77, 0x08, 0xe7]), "77:08:e7");
        assert_eq!(hex_colons(&[]), "");
    }

    #[test]
    fn garbage_is_unreadable() {
        assert_eq!(inspect(b"not a certificate"), Err(Unreadable));
        assert_eq!(inspect(&[]), Err(Unreadable));
    }
}
