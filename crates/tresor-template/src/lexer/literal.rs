//! Literal syntax inside actions: Go number shapes and string escape sequences.

/// The longest prefix of `s` that looks like a Go number (sign, base prefix, digits with
/// underscores, fraction, exponent, imaginary suffix).
pub(super) fn scan_number(s: &str) -> &str {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let mut digits: &[u8] = b"0123456789_";
    let mut exp: &[u8] = b"eE";
    if b.get(i) == Some(&b'0') {
        match b.get(i + 1) {
            Some(b'x' | b'X') => {
                i += 2;
                digits = b"0123456789abcdefABCDEF_";
                exp = b"pP";
            }
            Some(b'o' | b'O') => {
                i += 2;
                digits = b"01234567_";
            }
            Some(b'b' | b'B') => {
                i += 2;
                digits = b"01_";
            }
            _ => {}
        }
    }
    let run = |i: &mut usize, set: &[u8]| {
        while b.get(*i).is_some_and(|c| set.contains(c)) {
            *i += 1;
        }
    };
    run(&mut i, digits);
    if b.get(i) == Some(&b'.') {
        i += 1;
        run(&mut i, digits);
    }
    if b.get(i).is_some_and(|c| exp.contains(c)) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        run(&mut i, b"0123456789_");
    }
    if b.get(i) == Some(&b'i') {
        i += 1;
    }
    let sign_only = i == 1 && matches!(b.first(), Some(b'+' | b'-'));
    if sign_only {
        return "";
    }
    s.get(..i).unwrap_or("")
}

/// Decodes Go escape sequences in the body of a quoted string or character constant.
pub(crate) fn unescape(body: &str, quote: char) -> Result<String, String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            return Err("invalid syntax".into());
        };
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            q if q == quote => out.push(q),
            'x' => out.push(hex_escape(&mut chars, 2)?),
            'u' => out.push(hex_escape(&mut chars, 4)?),
            'U' => out.push(hex_escape(&mut chars, 8)?),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    let d = chars.next().and_then(|c| c.to_digit(8));
                    v = v * 8 + d.ok_or("invalid syntax")?;
                }
                if v > 255 {
                    return Err("invalid syntax".into());
                }
                out.push(char::from_u32(v).ok_or("invalid syntax")?);
            }
            _ => return Err("invalid syntax".into()),
        }
    }
    Ok(out)
}

fn hex_escape(chars: &mut std::str::Chars<'_>, n: usize) -> Result<char, String> {
    let mut v: u32 = 0;
    for _ in 0..n {
        let d = chars.next().and_then(|c| c.to_digit(16));
        v = v * 16 + d.ok_or("invalid syntax")?;
    }
    // \xNN is a byte; as a byte above 0x7f it would not be valid UTF-8 on its own.
    if n == 2 && v > 0x7f {
        return Err("invalid syntax: byte escapes above \\x7f are not supported".into());
    }
    char::from_u32(v).ok_or_else(|| "invalid syntax".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_handles_go_escapes() {
        assert_eq!(
            unescape(r#"a\tb\x41\u00e9\101\"\\"#, '"').ok().as_deref(),
            Some("a\tbAéA\"\\")
        );
        assert!(unescape(r"\'", '"').is_err());
    }

    #[test]
    fn number_shapes() {
        assert_eq!(scan_number("0x1Fp-2 x"), "0x1Fp-2");
        assert_eq!(scan_number("1_000.5e+3i)"), "1_000.5e+3i");
        assert_eq!(scan_number("-.5"), "-.5");
        assert_eq!(scan_number("+x"), "");
    }
}
