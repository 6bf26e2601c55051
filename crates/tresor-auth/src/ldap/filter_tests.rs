use super::*;
use crate::ldap::ber::Reader;

fn eq(a: &str, v: &[u8]) -> Filter {
    Filter::Equal(a.into(), v.to_vec())
}

#[test]
fn filters_parse() {
    assert_eq!(parse("(uid=alice)").unwrap(), eq("uid", b"alice"));
    assert_eq!(
        parse("(|(memberUid=bob)(member=uid=bob\\2cdc=x)(!(cn=*)))").unwrap(),
        Filter::Or(vec![
            eq("memberUid", b"bob"),
            eq("member", b"uid=bob,dc=x"),
            Filter::Not(Box::new(Filter::Present("cn".into()))),
        ])
    );
    assert_eq!(
        parse("(cn=a*b*c)").unwrap(),
        Filter::Substrings {
            attr: "cn".into(),
            initial: Some(b"a".to_vec()),
            any: vec![b"b".to_vec()],
            last: Some(b"c".to_vec()),
        }
    );
    assert_eq!(
        parse("(&(objectClass=group)(member:1.2.840.113556.1.4.1941:=cn=x))").unwrap(),
        Filter::And(vec![
            eq("objectClass", b"group"),
            Filter::Extensible {
                rule: Some("1.2.840.113556.1.4.1941".into()),
                attr: Some("member".into()),
                value: b"cn=x".to_vec(),
                dn: false,
            },
        ])
    );
    assert!(matches!(
        parse("(:dn:2.4.6:=x)").unwrap(),
        Filter::Extensible {
            dn: true,
            attr: None,
            ..
        }
    ));
    assert!(matches!(
        parse("(age>=3)").unwrap(),
        Filter::GreaterOrEqual(..)
    ));
    assert!(matches!(
        parse("(age<=3)").unwrap(),
        Filter::LessOrEqual(..)
    ));
    assert!(matches!(parse("(cn~=x)").unwrap(), Filter::Approx(..)));
    assert_eq!(parse(" (cn=) ").unwrap(), eq("cn", b""));
}

#[test]
fn malformed_filters_are_refused() {
    let deep = format!("{}(cn=x){}", "(!".repeat(40), ")".repeat(40));
    for bad in [
        "",
        "cn=x",
        "(cn=x",
        "(cn=x))",
        "(&)",
        "(cn=a(b)",
        "(cn=\\zz)",
        "(cn=\\4)",
        "(=x)",
        "(c n=x)",
        "(cn>=a*)",
        "(cn=**)",
        "(:=x)",
        "(cn:a:b:=x)",
        "(cn)",
        &deep,
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn escaping_keeps_values_data() {
    assert_eq!(escape("a*b(c)d\\e\0f"), "a\\2ab\\28c\\29d\\5ce\\00f");
    assert_eq!(escape("caf\u{e9}"), "caf\\c3\\a9");
    for evil in [
        "*",
        "*)(uid=*",
        "alice)(|(uid=*",
        "x\\",
        "\0",
        ")",
        "caf\u{e9}*",
    ] {
        let f = parse(&format!("(uid={})", escape(evil))).unwrap();
        assert_eq!(f, eq("uid", evil.as_bytes()), "{evil:?}");
        let g = parse(&format!("(&(a=1)(uid={}))", escape(evil))).unwrap();
        assert!(matches!(g, Filter::And(ref l) if l.len() == 2), "{evil:?}");
    }
}

#[test]
fn encoding_uses_the_rfc_tags() {
    let mut w = Writer::default();
    parse("(&(cn=a*)(objectClass=*))").unwrap().encode(&mut w);
    let bytes = w.into_bytes();
    let mut r = Reader::new(&bytes);
    let mut and = Reader::new(r.expect(0xa0).unwrap());
    let mut sub = Reader::new(and.expect(0xa4).unwrap());
    assert_eq!(sub.expect(0x04).unwrap(), b"cn");
    assert_eq!(
        Reader::new(sub.expect(0x30).unwrap()).expect(0x80).unwrap(),
        b"a"
    );
    assert_eq!(and.expect(0x87).unwrap(), b"objectClass");
    assert!(and.is_empty() && r.is_empty());
}
