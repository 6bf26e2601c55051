use super::*;
use crate::ldap::ber::{header, Writer};
use crate::ldap::filter;

/// Builds a server message the way a server would.
fn server(id: i64, f: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::default();
    w.nest(SEQUENCE, |w| {
        w.int(INTEGER, id);
        f(w);
    });
    w.into_bytes()
}

fn result_body(w: &mut Writer, code: i64, diag: &str) {
    w.int(ENUMERATED, code);
    w.octets(OCTETS, b"");
    w.octets(OCTETS, diag.as_bytes());
}

fn sample_entry(id: i64) -> Vec<u8> {
    server(id, |w| {
        w.nest(SEARCH_ENTRY, |w| {
            w.octets(OCTETS, b"cn=devs,ou=groups,dc=example,dc=org");
            w.nest(SEQUENCE, |w| {
                w.nest(SEQUENCE, |w| {
                    w.octets(OCTETS, b"cn");
                    w.nest(SET, |w| {
                        w.octets(OCTETS, b"devs");
                        w.octets(OCTETS, b"developers");
                    });
                });
            });
        })
    })
}

#[test]
fn a_bind_response_from_the_wire() {
    // A minimal-length encoding, as OpenLDAP sends it.
    let bytes = [
        0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
    ];
    let m = decode(&bytes).unwrap();
    assert_eq!(m.id, 1);
    assert_eq!(
        m.op,
        Op::Bind(LdapResult {
            code: 0,
            diagnostic: String::new()
        })
    );
    let bad = server(2, |w| w.nest(BIND_RESPONSE, |w| result_body(w, 49, "nope")));
    let Op::Bind(r) = decode(&bad).unwrap().op else {
        panic!()
    };
    assert_eq!((r.code, r.diagnostic.as_str()), (49, "nope"));
}

#[test]
fn entries_done_and_controls() {
    let m = decode(&sample_entry(3)).unwrap();
    let Op::Entry(e) = m.op else { panic!() };
    assert_eq!(e.dn, "cn=devs,ou=groups,dc=example,dc=org");
    let cns: Vec<&[u8]> = e.values("CN").collect();
    assert_eq!(cns, [&b"devs"[..], b"developers"]);
    let done = server(3, |w| {
        w.nest(SEARCH_DONE, |w| result_body(w, 0, ""));
        w.nest(CONTROLS, |w| {
            w.nest(SEQUENCE, |w| {
                w.octets(OCTETS, PAGED_RESULTS_OID.as_bytes());
                let mut v = Writer::default();
                v.nest(SEQUENCE, |v| {
                    v.int(INTEGER, 0);
                    v.octets(OCTETS, b"cookie");
                });
                w.octets(OCTETS, &v.into_bytes());
            })
        });
    });
    let m = decode(&done).unwrap();
    assert!(matches!(m.op, Op::Done(LdapResult { code: 0, .. })));
    assert_eq!(paged_cookie(&m.controls).unwrap(), b"cookie");
    assert!(paged_cookie(&[]).unwrap().is_empty());
}

#[test]
fn requests_are_well_formed() {
    let bind = bind_request(7, "cn=admin,dc=x", b"s3cret");
    let mut r = Reader::new(bind.expose());
    let mut msg = Reader::new(r.expect(SEQUENCE).unwrap());
    assert!(r.is_empty());
    assert_eq!(ber::int(msg.expect(INTEGER).unwrap()).unwrap(), 7);
    let mut op = Reader::new(msg.expect(BIND_REQUEST).unwrap());
    assert_eq!(ber::int(op.expect(INTEGER).unwrap()).unwrap(), 3);
    assert_eq!(op.expect(OCTETS).unwrap(), b"cn=admin,dc=x");
    assert_eq!(op.expect(0x80).unwrap(), b"s3cret");
    assert_eq!(format!("{bind:?}"), "[redacted]");

    let f = filter::parse("(&(objectClass=person)(uid=a\\2a))").unwrap();
    let s = Search {
        base: "dc=x",
        scope: Scope::Subtree,
        deref: Deref::Never,
        size_limit: 2,
        filter: &f,
        attributes: &["uid"],
    };
    let bytes = search_request(9, &s, Some((10, b"")));
    let (tag, len, head) = header(&bytes).unwrap().unwrap();
    assert_eq!((tag, head + len), (SEQUENCE, bytes.len()));
    assert_eq!(
        unbind_request(4),
        [0x30, 0x84, 0, 0, 0, 5, 0x02, 0x01, 0x04, 0x42, 0x00]
    );
    assert!(start_tls_request(1)
        .windows(START_TLS_OID.len())
        .any(|w| w == START_TLS_OID.as_bytes()));
}

#[test]
fn unexpected_shapes_are_errors() {
    let trailing = [sample_entry(1), vec![0x05, 0x00]].concat();
    assert!(decode(&trailing).is_err());
    let unknown_op = server(1, |w| w.octets(0x50, b""));
    assert!(decode(&unknown_op).is_err());
    let short_result = server(1, |w| w.nest(BIND_RESPONSE, |w| w.int(ENUMERATED, 0)));
    assert!(decode(&short_result).is_err());
}

/// xorshift64*: a deterministic stream of test bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The decoder answers every input with a message or an error, never a panic: random
/// bytes, and valid messages with flipped bits, changed bytes and truncations.
#[test]
fn decoding_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = decode(&bytes);
        let _ = paged_cookie(&[Control {
            oid: PAGED_RESULTS_OID.into(),
            value: Some(bytes),
        }]);
    }
    let seeds = [
        sample_entry(5),
        server(2, |w| w.nest(BIND_RESPONSE, |w| result_body(w, 49, "x"))),
        server(3, |w| {
            w.nest(EXTENDED_RESPONSE, |w| {
                result_body(w, 0, "");
                w.octets(0x8a, START_TLS_OID.as_bytes());
            })
        }),
    ];
    for seed in &seeds {
        for _ in 0..20_000 {
            let mut m = seed.clone();
            for _ in 0..=rng.below(3) {
                let at = rng.below(m.len());
                match rng.below(3) {
                    0 => m[at] ^= 1 << rng.below(8),
                    1 => m[at] = rng.next() as u8,
                    _ => m.truncate(at),
                }
                if m.is_empty() {
                    break;
                }
            }
            let _ = decode(&m);
        }
    }
}
