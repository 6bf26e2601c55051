//! Number literals: which Go types a literal can stand for (int, uint, float), decided as
//! Go's template parser does.

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NumberLit {
    pub text: String,
    pub int: Option<i64>,
    pub uint: Option<u64>,
    pub float: Option<f64>,
    pub is_char: bool,
}

impl NumberLit {
    pub(crate) fn from_char(c: char) -> NumberLit {
        let v = u32::from(c);
        NumberLit {
            text: format!("{c:?}"),
            int: Some(i64::from(v)),
            uint: Some(u64::from(v)),
            float: Some(f64::from(v)),
            is_char: true,
        }
    }

    /// Whether the literal, with no type to guide it, is a float64 (else an int).
    pub(crate) fn is_ideal_float(&self) -> bool {
        let hex_int = is_hex_int(&self.text);
        self.float.is_some()
            && !hex_int
            && !self.is_char
            && self.text.contains(['.', 'e', 'E', 'p', 'P'])
    }
}

fn is_hex_int(s: &str) -> bool {
    let s = s.trim_start_matches(['+', '-']);
    s.len() > 2 && (s.starts_with("0x") || s.starts_with("0X")) && !s.contains(['p', 'P'])
}

pub(crate) fn parse_number(text: &str) -> Result<NumberLit, String> {
    if text.ends_with('i') {
        return Err(format!("complex numbers are not supported: {text:?}"));
    }
    let mut lit = NumberLit {
        text: text.to_string(),
        int: None,
        uint: None,
        float: None,
        is_char: false,
    };
    if let Some((negative, magnitude)) = parse_integer(text) {
        if !negative {
            lit.uint = u64::try_from(magnitude).ok();
        }
        lit.int = if negative {
            0i128
                .checked_sub_unsigned(magnitude)
                .and_then(|v| i64::try_from(v).ok())
        } else {
            i64::try_from(magnitude).ok()
        };
        if let Some(i) = lit.int {
            lit.float = Some(i as f64);
        } else if let Some(u) = lit.uint {
            lit.float = Some(u as f64);
        }
    }
    if lit.float.is_none() {
        let f = parse_float(text).ok_or_else(|| format!("illegal number syntax: {text:?}"))?;
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {text:?}"));
        }
        lit.float = Some(f);
        if f.fract() == 0.0 && f.abs() < 9.0e18 {
            let i = f as i64;
            lit.int = Some(i);
            if i >= 0 {
                lit.uint = u64::try_from(i).ok();
            }
        }
    }
    Ok(lit)
}

/// Go's base-0 integer syntax: sign, 0x/0o/0b or a leading 0 for octal, underscores
/// only between digits or after a base prefix. Returns the sign and the magnitude.
pub(crate) fn parse_integer(text: &str) -> Option<(bool, u128)> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d, true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d, true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d, true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower.get(1..)?, true)
    } else {
        (10, lower.as_str(), false)
    };
    if !underscores_ok(digits, prefixed) {
        return None;
    }
    let mut value: u128 = 0;
    let mut any = false;
    for c in digits.chars().filter(|&c| c != '_') {
        let d = c.to_digit(radix)?;
        value = value
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(d))?;
        any = true;
    }
    any.then_some((negative, value))
}

fn underscores_ok(digits: &str, prefixed: bool) -> bool {
    if digits.starts_with('_') && !prefixed {
        return false;
    }
    !digits.ends_with('_') && !digits.contains("__")
}

/// Decimal floats (no underscores, no hex floats).
fn parse_float(text: &str) -> Option<f64> {
    let body = text.trim_start_matches(['+', '-']);
    let ok = !body.is_empty()
        && body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if !ok {
        return None;
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> NumberLit {
        parse_number(s).unwrap_or_else(|e| NumberLit {
            text: e,
            int: None,
            uint: None,
            float: None,
            is_char: false,
        })
    }

    #[test]
    fn integers_in_all_bases() {
        assert_eq!(lit("42").int, Some(42));
        assert_eq!(lit("-42").int, Some(-42));
        assert_eq!(lit("0x1F").int, Some(31));
        assert_eq!(lit("0755").int, Some(493));
        assert_eq!(lit("0b101").int, Some(5));
        assert_eq!(lit("0o17").int, Some(15));
        assert_eq!(lit("1_000").int, Some(1000));
        assert!(!lit("0x1F").is_ideal_float());
    }

    #[test]
    fn floats_and_integral_floats() {
        let f = lit("1.5e3");
        assert_eq!(f.float, Some(1500.0));
        assert_eq!(f.int, Some(1500));
        assert!(f.is_ideal_float());
        assert_eq!(lit("1.5").int, None);
        assert_eq!(lit(".5").float, Some(0.5));
    }

    #[test]
    fn unsigned_only_and_errors() {
        let u = lit("18446744073709551615");
        assert_eq!(u.uint, Some(u64::MAX));
        assert_eq!(u.int, None);
        assert!(parse_number("99999999999999999999999").is_err());
        assert!(parse_number("1__0").is_err());
        assert!(parse_number("08").is_err());
        assert!(parse_number("1i").is_err());
    }

    #[test]
    fn char_constants_are_ints() {
        let c = NumberLit::from_char('a');
        assert_eq!(c.int, Some(97));
        assert!(!c.is_ideal_float());
    }
}
