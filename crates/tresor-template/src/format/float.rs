//! Go's float formatting (`strconv.FormatFloat` for the 'e', 'f' and 'g' formats), built
//! on Rust's exactly rounded digit generation.

/// A float format: Go's verb and precision (`None` is the shortest exact form, -1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FloatFmt {
    /// 'g' with the shortest precision: what `%v` and `fmt.Print` use.
    Shortest,
    /// 'e' with the shortest precision.
    ShortestExp,
    /// 'f' with the shortest precision.
    ShortestFixed,
    Exp(usize),
    Fixed(usize),
    General(usize),
}

/// Decimal digits (no trailing zeros) and the position of the decimal point:
/// the value is `0.d1d2d3... * 10^dp`.
struct Digits {
    d: Vec<u8>,
    dp: i64,
}

impl Digits {
    /// From Rust's `{:e}` output such as `1.2345e6` or `9e-7`.
    fn from_exp_str(s: &str) -> Digits {
        let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
        let exp: i64 = exp.parse().unwrap_or(0);
        let mut d: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
        while d.last() == Some(&b'0') {
            d.pop();
        }
        if d.is_empty() {
            return Digits { d, dp: 0 };
        }
        Digits { d, dp: exp + 1 }
    }

    fn shortest(abs: f64) -> Digits {
        Digits::from_exp_str(&format!("{abs:e}"))
    }

    /// Rounded to `n` significant digits (n >= 1).
    fn significant(abs: f64, n: usize) -> Digits {
        let n = n.clamp(1, 800);
        Digits::from_exp_str(&format!("{:.*e}", n - 1, abs))
    }

    fn nd(&self) -> i64 {
        self.d.len() as i64
    }

    fn digit(&self, i: i64) -> char {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.d.get(i))
            .map_or('0', |&b| char::from(b))
    }

    /// `%e` with `prec` digits after the point.
    fn fmt_e(&self, prec: usize, upper: bool) -> String {
        let mut out = String::new();
        out.push(self.digit(0));
        if prec > 0 {
            out.push('.');
            for i in 1..=prec {
                out.push(self.digit(i as i64));
            }
        }
        out.push(if upper { 'E' } else { 'e' });
        let exp = if self.d.is_empty() { 0 } else { self.dp - 1 };
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
        out
    }

    /// `%f` with `prec` digits after the point.
    fn fmt_f(&self, prec: usize) -> String {
        let mut out = String::new();
        if self.dp > 0 {
            for i in 0..self.dp {
                out.push(self.digit(i));
            }
        } else {
            out.push('0');
        }
        if prec > 0 {
            out.push('.');
            for i in 1..=prec as i64 {
                out.push(self.digit(self.dp + i - 1));
            }
        }
        out
    }

    /// `%g`; `prec` is the requested precision, `None` for shortest.
    fn fmt_g(&self, prec: Option<usize>, upper: bool) -> String {
        let nd = self.nd();
        let shortest = prec.is_none();
        let mut prec = prec.map_or(nd, |p| p as i64);
        let mut eprec = prec;
        if eprec > nd && nd >= self.dp {
            eprec = nd;
        }
        if shortest {
            eprec = 6;
        }
        let exp = self.dp - 1;
        if exp < -4 || exp >= eprec {
            if prec > nd {
                prec = nd;
            }
            return self.fmt_e(usize::try_from(prec - 1).unwrap_or(0), upper);
        }
        if prec > self.dp {
            prec = nd;
        }
        self.fmt_f(usize::try_from(prec - self.dp).unwrap_or(0))
    }
}

/// Formats `f` like `strconv.FormatFloat(f, verb, prec, 64)` (lowercase verbs).
pub(crate) fn format_float(f: f64, fmt: FloatFmt) -> String {
    format_float_case(f, fmt, false)
}

pub(crate) fn format_float_case(f: f64, fmt: FloatFmt, upper: bool) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let abs = f.abs();
    let body = match fmt {
        FloatFmt::Shortest => Digits::shortest(abs).fmt_g(None, upper),
        FloatFmt::ShortestExp => {
            let d = Digits::shortest(abs);
            let prec = usize::try_from(d.nd() - 1).unwrap_or(0);
            d.fmt_e(prec, upper)
        }
        FloatFmt::ShortestFixed => {
            let d = Digits::shortest(abs);
            let prec = usize::try_from(d.nd() - d.dp).unwrap_or(0);
            d.fmt_f(prec)
        }
        FloatFmt::Exp(p) => Digits::significant(abs, p.saturating_add(1)).fmt_e(p, upper),
        FloatFmt::Fixed(p) => {
            // An f64 has at most 1074 fractional digits; the rest are zeros.
            let mut s = format!("{:.*}", p.min(1100), abs);
            s.extend(std::iter::repeat_n('0', p.saturating_sub(1100)));
            s
        }
        FloatFmt::General(p) => {
            let p = p.max(1);
            Digits::significant(abs, p).fmt_g(Some(p), upper)
        }
    };
    if f.is_sign_negative() {
        format!("-{body}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_g_like_go_print() {
        for (f, want) in [
            (1000000.0, "1e+06"),
            (123456.0, "123456"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5, "1.5"),
            (100.0, "100"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1.2345678901234567e19, "1.2345678901234567e+19"),
            (f64::INFINITY, "+Inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(format_float(f, FloatFmt::Shortest), want, "{f}");
        }
    }

    #[test]
    fn fixed_precision_formats() {
        assert_eq!(format_float(2.34567, FloatFmt::Fixed(2)), "2.35");
        assert_eq!(format_float(2.0005, FloatFmt::Fixed(3)), "2.001");
        assert_eq!(format_float(123456.789, FloatFmt::Exp(6)), "1.234568e+05");
        assert_eq!(format_float(0.000123, FloatFmt::Exp(3)), "1.230e-04");
        assert_eq!(format_float(0.0, FloatFmt::Exp(2)), "0.00e+00");
        assert_eq!(format_float(1.0, FloatFmt::General(3)), "1");
        assert_eq!(format_float(1234.5678, FloatFmt::General(3)), "1.23e+03");
        assert_eq!(format_float(0.5, FloatFmt::Fixed(0)), "0");
        assert_eq!(format_float_case(1e-7, FloatFmt::Shortest, true), "1E-07");
    }

    #[test]
    fn shortest_fixed_and_exp_for_json() {
        assert_eq!(
            format_float(123456789012345678.0, FloatFmt::ShortestFixed),
            "123456789012345680"
        );
        assert_eq!(format_float(0.000001, FloatFmt::ShortestFixed), "0.000001");
        assert_eq!(format_float(1e21, FloatFmt::ShortestExp), "1e+21");
        assert_eq!(format_float(1.5e-7, FloatFmt::ShortestExp), "1.5e-07");
    }
}
