//! LDAPv3 messages (RFC 4511): the requests we send, built with [`Writer`], and the
//! responses we read, decoded with the checked [`Reader`].

use super::ber::{self, BerError, Reader, Writer};
use super::filter::Filter;
use tresor_crypto::SecretBytes;

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OCTETS: u8 = 0x04;
const ENUMERATED: u8 = 0x0a;
const BOOLEAN: u8 = 0x01;

const BIND_REQUEST: u8 = 0x60;
const BIND_RESPONSE: u8 = 0x61;
const UNBIND_REQUEST: u8 = 0x42;
const SEARCH_REQUEST: u8 = 0x63;
const SEARCH_ENTRY: u8 = 0x64;
const SEARCH_DONE: u8 = 0x65;
const SEARCH_REFERENCE: u8 = 0x73;
const EXTENDED_REQUEST: u8 = 0x77;
const EXTENDED_RESPONSE: u8 = 0x78;
const INTERMEDIATE_RESPONSE: u8 = 0x79;
const CONTROLS: u8 = 0xa0;

/// The StartTLS extended operation (RFC 4511 section 4.14).
pub const START_TLS_OID: &str = "1.3.6.1.4.1.1466.20037";
/// The simple paged results control (RFC 2696).
pub const PAGED_RESULTS_OID: &str = "1.2.840.113556.1.4.319";

/// The result code of success (RFC 4511 appendix A).
pub const SUCCESS: i64 = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Base = 0,
    Subtree = 2,
}

/// `derefAliases`: never, in searching, finding the base, always.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deref {
    #[default]
    Never = 0,
    Searching = 1,
    Finding = 2,
    Always = 3,
}

/// What a search asks for.
#[derive(Debug, Clone, Copy)]
pub struct Search<'a> {
    pub base: &'a str,
    pub scope: Scope,
    pub deref: Deref,
    pub size_limit: i32,
    pub filter: &'a Filter,
    pub attributes: &'a [&'a str],
}

fn message(id: i32, f: impl FnOnce(&mut Writer), capacity: usize) -> Writer {
    let mut w = Writer::with_capacity(capacity);
    w.nest(SEQUENCE, |w| {
        w.int(INTEGER, i64::from(id));
        f(w);
    });
    w
}

/// A simple bind. The buffer is sized once, so the password is never copied into a
/// buffer that is dropped unwiped; the bytes come back as a secret.
pub fn bind_request(id: i32, dn: &str, password: &[u8]) -> SecretBytes {
    let capacity = 64 + dn.len() + password.len();
    let w = message(
        id,
        |w| {
            w.nest(BIND_REQUEST, |w| {
                w.int(INTEGER, 3);
                w.octets(OCTETS, dn.as_bytes());
                w.octets(0x80, password);
            })
        },
        capacity,
    );
    SecretBytes::new(w.into_bytes())
}

pub fn unbind_request(id: i32) -> Vec<u8> {
    message(id, |w| w.octets(UNBIND_REQUEST, &[]), 16).into_bytes()
}

pub fn start_tls_request(id: i32) -> Vec<u8> {
    message(
        id,
        |w| {
            w.nest(EXTENDED_REQUEST, |w| {
                w.octets(0x80, START_TLS_OID.as_bytes())
            })
        },
        64,
    )
    .into_bytes()
}

/// A search, with the paged results control when `page` holds `(size, cookie)`.
pub fn search_request(id: i32, s: &Search<'_>, page: Option<(u32, &[u8])>) -> Vec<u8> {
    message(
        id,
        |w| {
            w.nest(SEARCH_REQUEST, |w| {
                w.octets(OCTETS, s.base.as_bytes());
                w.int(ENUMERATED, s.scope as i64);
                w.int(ENUMERATED, s.deref as i64);
                w.int(INTEGER, i64::from(s.size_limit.max(0)));
                w.int(INTEGER, 0);
                w.boolean(BOOLEAN, false);
                s.filter.encode(w);
                w.nest(SEQUENCE, |w| {
                    for a in s.attributes {
                        w.octets(OCTETS, a.as_bytes());
                    }
                });
            });
            if let Some((size, cookie)) = page {
                w.nest(CONTROLS, |w| {
                    w.nest(SEQUENCE, |w| {
                        w.octets(OCTETS, PAGED_RESULTS_OID.as_bytes());
                        let mut value = Writer::default();
                        value.nest(SEQUENCE, |v| {
                            v.int(INTEGER, i64::from(size));
                            v.octets(OCTETS, cookie);
                        });
                        w.octets(OCTETS, &value.into_bytes());
                    })
                });
            }
        },
        256,
    )
    .into_bytes()
}

/// The outcome of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapResult {
    pub code: i64,
    pub diagnostic: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub values: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub dn: String,
    pub attributes: Vec<Attribute>,
}

impl Entry {
    /// The values of attribute `name` (attribute names match without regard to case).
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.attributes
            .iter()
            .filter(move |a| a.name.eq_ignore_ascii_case(name))
            .flat_map(|a| a.values.iter().map(Vec::as_slice))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Bind(LdapResult),
    Entry(Entry),
    Reference,
    Done(LdapResult),
    Extended {
        result: LdapResult,
        name: Option<String>,
    },
    Intermediate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    pub oid: String,
    pub value: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub op: Op,
    pub controls: Vec<Control>,
}

fn result(r: &mut Reader<'_>) -> Result<LdapResult, BerError> {
    let code = ber::int(r.expect(ENUMERATED)?)?;
    let _matched_dn = r.expect(OCTETS)?;
    let diagnostic = ber::text(r.expect(OCTETS)?);
    Ok(LdapResult { code, diagnostic })
}

fn entry(value: &[u8]) -> Result<Entry, BerError> {
    let mut r = Reader::new(value);
    let dn = ber::text(r.expect(OCTETS)?);
    let mut list = Reader::new(r.expect(SEQUENCE)?);
    let mut attributes = Vec::new();
    while !list.is_empty() {
        let mut a = Reader::new(list.expect(SEQUENCE)?);
        let name = ber::text(a.expect(OCTETS)?);
        let mut vals = Reader::new(a.expect(SET)?);
        let mut values = Vec::new();
        while !vals.is_empty() {
            values.push(vals.expect(OCTETS)?.to_vec());
        }
        attributes.push(Attribute { name, values });
    }
    Ok(Entry { dn, attributes })
}

fn op(tlv: ber::Tlv<'_>) -> Result<Op, BerError> {
    let mut r = Reader::new(tlv.value);
    Ok(match tlv.tag {
        BIND_RESPONSE => Op::Bind(result(&mut r)?),
        SEARCH_ENTRY => Op::Entry(entry(tlv.value)?),
        SEARCH_DONE => Op::Done(result(&mut r)?),
        SEARCH_REFERENCE => Op::Reference,
        EXTENDED_RESPONSE => {
            let result = result(&mut r)?;
            let _referral = r.optional(0xa3)?;
            let name = r.optional(0x8a)?.map(ber::text);
            Op::Extended { result, name }
        }
        INTERMEDIATE_RESPONSE => Op::Intermediate,
        _ => return Err(BerError("unexpected protocol operation")),
    })
}

fn controls(value: &[u8]) -> Result<Vec<Control>, BerError> {
    let mut r = Reader::new(value);
    let mut out = Vec::new();
    while !r.is_empty() {
        let mut c = Reader::new(r.expect(SEQUENCE)?);
        let oid = ber::text(c.expect(OCTETS)?);
        if let Some(b) = c.optional(BOOLEAN)? {
            ber::boolean(b)?;
        }
        let value = c.optional(OCTETS)?.map(<[u8]>::to_vec);
        out.push(Control { oid, value });
    }
    Ok(out)
}

/// Decodes one complete LDAPMessage.
pub fn decode(frame: &[u8]) -> Result<Message, BerError> {
    let mut outer = Reader::new(frame);
    let mut r = Reader::new(outer.expect(SEQUENCE)?);
    if !outer.is_empty() {
        return Err(BerError("trailing bytes after the message"));
    }
    let id = ber::int(r.expect(INTEGER)?)?;
    let op = op(r.read()?)?;
    let controls = match r.optional(CONTROLS)? {
        Some(v) => controls(v)?,
        None => Vec::new(),
    };
    Ok(Message { id, op, controls })
}

/// The cookie of a paged results response control (empty when the search is over).
pub fn paged_cookie(controls: &[Control]) -> Result<Vec<u8>, BerError> {
    let Some(value) = controls
        .iter()
        .find(|c| c.oid == PAGED_RESULTS_OID)
        .and_then(|c| c.value.as_deref())
    else {
        return Ok(Vec::new());
    };
    let mut r = Reader::new(Reader::new(value).expect(SEQUENCE)?);
    let _size = ber::int(r.expect(INTEGER)?)?;
    Ok(r.expect(OCTETS)?.to_vec())
}

#[cfg(test)]
#[path = "proto_tests.rs"]
mod tests;
