//! Distinguished names (RFC 4514): escaping a value put into a DN we build, and
//! reading the `cn` out of a group's DN.

/// Escapes `value` for use as an attribute value in a DN: `"+,;<>\=#` anywhere (`#`
/// and `=` for Active Directory's sake), a leading or trailing space, and every byte
/// outside printable ASCII as `\xx`.
pub fn escape_value(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = String::with_capacity(value.len());
    for (i, &b) in bytes.iter().enumerate() {
        let edge_space = b == b' ' && (i == 0 || i + 1 == bytes.len());
        if edge_space
            || matches!(
                b,
                b'"' | b'+' | b',' | b';' | b'<' | b'>' | b'\\' | b'=' | b'#'
            )
        {
            out.push('\\');
            out.push(char::from(b));
        } else if !(0x20..0x7f).contains(&b) {
            out.push_str(&format!("\\{b:02x}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

/// One `type=value` of a relative DN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ava {
    pub kind: String,
    pub value: String,
}

/// Parses a DN into its RDNs (each a list of `type=value`); `None` if it is not one.
pub fn parse(dn: &str) -> Option<Vec<Vec<Ava>>> {
    let bytes = dn.as_bytes();
    let mut rdns = Vec::new();
    let mut rdn = Vec::new();
    let mut pos = 0;
    if dn.trim().is_empty() {
        return Some(rdns);
    }
    loop {
        let (kind, after) = attr_type(bytes, pos)?;
        let (value, end) = attr_value(bytes, after)?;
        rdn.push(Ava { kind, value });
        match bytes.get(end) {
            None => {
                rdns.push(rdn);
                return Some(rdns);
            }
            Some(b'+') => {}
            Some(b',' | b';') => rdns.push(std::mem::take(&mut rdn)),
            Some(_) => return None,
        }
        pos = end + 1;
    }
}

fn attr_type(bytes: &[u8], start: usize) -> Option<(String, usize)> {
    let eq = start + bytes.get(start..)?.iter().position(|&b| b == b'=')?;
    let kind = std::str::from_utf8(bytes.get(start..eq)?).ok()?.trim();
    let ok = !kind.is_empty()
        && kind
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    ok.then(|| (kind.to_owned(), eq + 1))
}

/// A value up to the next unescaped `,`, `;`, `+` or the end: `(value, end offset)`.
fn attr_value(bytes: &[u8], start: usize) -> Option<(String, usize)> {
    let mut pos = start;
    while bytes.get(pos) == Some(&b' ') {
        pos += 1;
    }
    if bytes.get(pos) == Some(&b'#') {
        return hex_value(bytes, pos + 1);
    }
    let mut out = Vec::new();
    // Trailing spaces are dropped unless escaped.
    let mut kept = 0;
    loop {
        match bytes.get(pos) {
            None | Some(b',' | b';' | b'+') => break,
            Some(b'\\') => {
                let next = *bytes.get(pos + 1)?;
                let hex = bytes
                    .get(pos + 1..pos + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        pos += 3;
                    }
                    None if b" \"#+,;<=>\\".contains(&next) => {
                        out.push(next);
                        pos += 2;
                    }
                    None => return None,
                }
                kept = out.len();
                continue;
            }
            Some(&b) => {
                out.push(b);
                if b != b' ' {
                    kept = out.len();
                }
            }
        }
        pos += 1;
    }
    out.truncate(kept);
    Some((String::from_utf8(out).ok()?, pos))
}

/// `#` followed by the hex of a BER element: its content, as text.
fn hex_value(bytes: &[u8], start: usize) -> Option<(String, usize)> {
    let end = bytes
        .get(start..)?
        .iter()
        .position(|b| matches!(b, b',' | b';' | b'+'))
        .map_or(bytes.len(), |p| start + p);
    let hex = std::str::from_utf8(bytes.get(start..end)?).ok()?.trim_end();
    let raw = hex::decode(hex).ok()?;
    let mut r = super::ber::Reader::new(&raw);
    let tlv = r.read().ok()?;
    r.is_empty().then_some(())?;
    Some((String::from_utf8(tlv.value.to_vec()).ok()?, end))
}

/// The first `cn` of a DN, or the whole string when it is not a DN or has no `cn`
/// (a group attribute may hold plain names). With `exact_case` only an upper-case
/// `CN` type counts (the pre-1.1.1 behaviour some upgraded configs ask for).
pub fn common_name(dn: &str, exact_case: bool) -> String {
    let Some(rdns) = parse(dn).filter(|r| !r.is_empty()) else {
        return dn.to_owned();
    };
    rdns.iter()
        .flatten()
        .find(|a| {
            if exact_case {
                a.kind == "CN"
            } else {
                a.kind.eq_ignore_ascii_case("cn")
            }
        })
        .map_or_else(|| dn.to_owned(), |a| a.value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        assert_eq!(escape_value("alice"), "alice");
        assert_eq!(
            escape_value(" a,b+c\"d\\e<f>g;h=i#j "),
            "\\ a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h\\=i\\#j\\ "
        );
        assert_eq!(escape_value("a\0b\u{e9}"), "a\\00b\\c3\\a9");
        assert_eq!(escape_value(""), "");
        // An escaped value reads back as itself.
        for v in [
            "x,ou=admins",
            " lead",
            "trail ",
            "#hash",
            "caf\u{e9}",
            "a\\b",
        ] {
            let dn = format!("cn={},dc=example", escape_value(v));
            let rdns = parse(&dn).unwrap();
            assert_eq!(rdns.len(), 2, "{dn}");
            assert_eq!(rdns[0][0].value, v);
        }
    }

    #[test]
    fn dns_parse() {
        let rdns = parse("CN=Dev Ops+uid=7, OU=Groups ,dc=example,dc=org").unwrap();
        assert_eq!(rdns.len(), 4);
        assert_eq!(rdns[0][1].value, "7");
        assert_eq!(rdns[1][0].value, "Groups");
        assert_eq!(parse("").unwrap().len(), 0);
        assert_eq!(parse("cn=#04024869,o=x").unwrap()[0][0].value, "Hi");
        for bad in ["admins", "cn", "=x", "cn=a\\zz", "c n=x", "cn=#zz"] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn common_names() {
        assert_eq!(common_name("cn=Admins,ou=groups,dc=x", false), "Admins");
        assert_eq!(common_name("CN=Admins,OU=groups", true), "Admins");
        assert_eq!(
            common_name("cn=admins,ou=groups", true),
            "cn=admins,ou=groups"
        );
        assert_eq!(common_name("ou=a,cn=b", false), "b");
        assert_eq!(common_name("admins", false), "admins");
        assert_eq!(common_name("ou=only", false), "ou=only");
        assert_eq!(common_name("cn=a\\,b,dc=x", false), "a,b");
    }
}
