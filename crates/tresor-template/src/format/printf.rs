//! `fmt.Sprintf`: verbs, flags, width, precision, argument indexes, and Go's in-band
//! error notes (`%!d(string=x)`, `%!d(MISSING)`, `%!(EXTRA ...)`, `%!(BADWIDTH)`).

use super::value::{format_arg, Spec};
use crate::value::Value;

/// Go refuses widths and precisions beyond a million.
const TOO_LARGE: usize = 1_000_000;

pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut p = Printf {
        fmt: format.as_bytes(),
        args,
        out: String::new(),
        arg_num: 0,
        reordered: false,
        good_arg_num: true,
    };
    p.run(format);
    p.out
}

struct Printf<'a> {
    fmt: &'a [u8],
    args: &'a [Value],
    out: String,
    arg_num: usize,
    reordered: bool,
    good_arg_num: bool,
}

/// Digits at `i`: the number (None if absent or too large) and the index after them.
fn parse_num(s: &[u8], mut i: usize) -> (Option<usize>, usize) {
    let start = i;
    let mut n: usize = 0;
    while let Some(c) = s.get(i).filter(|c| c.is_ascii_digit()) {
        if n > TOO_LARGE {
            return (None, s.len());
        }
        n = n * 10 + usize::from(c - b'0');
        i += 1;
    }
    ((i > start).then_some(n), i)
}

impl Printf<'_> {
    fn run(&mut self, format: &str) {
        let end = self.fmt.len();
        let mut i = 0;
        while i < end {
            let lasti = i;
            while i < end && self.fmt.get(i) != Some(&b'%') {
                i += 1;
            }
            self.out.push_str(format.get(lasti..i).unwrap_or(""));
            if i >= end {
                break;
            }
            i += 1;
            i = self.directive(format, i);
        }
        if !self.reordered && self.arg_num < self.args.len() {
            self.extra();
        }
    }

    /// One directive after its `%`; returns the index after it.
    fn directive(&mut self, format: &str, mut i: usize) -> usize {
        let end = self.fmt.len();
        let mut spec = Spec::default();
        while let Some(&c) = self.fmt.get(i) {
            match c {
                b'#' => spec.sharp = true,
                b'0' => spec.zero = !spec.minus,
                b'+' => spec.plus = true,
                b'-' => {
                    spec.minus = true;
                    spec.zero = false;
                }
                b' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }
        self.good_arg_num = true;
        let mut after_index;
        (i, after_index) = self.arg_number(i);
        if self.fmt.get(i) == Some(&b'*') {
            i += 1;
            match self.int_arg() {
                Some(w) => {
                    spec.width = Some(w.unsigned_abs() as usize);
                    if w < 0 {
                        spec.minus = true;
                        spec.zero = false;
                    }
                }
                None => self.out.push_str("%!(BADWIDTH)"),
            }
            after_index = false;
        } else {
            let (w, ni) = parse_num(self.fmt, i);
            spec.width = w;
            i = ni;
            if after_index && w.is_some() {
                self.good_arg_num = false;
            }
        }
        if i + 1 < end && self.fmt.get(i) == Some(&b'.') {
            i += 1;
            if after_index {
                self.good_arg_num = false;
            }
            (i, after_index) = self.arg_number(i);
            if self.fmt.get(i) == Some(&b'*') {
                i += 1;
                match self.int_arg() {
                    Some(p) if p >= 0 => spec.prec = Some(p.unsigned_abs() as usize),
                    Some(_) => spec.prec = None,
                    None => self.out.push_str("%!(BADPREC)"),
                }
                after_index = false;
            } else {
                let (p, ni) = parse_num(self.fmt, i);
                spec.prec = Some(p.unwrap_or(0));
                i = ni;
            }
        }
        if !after_index {
            (i, _) = self.arg_number(i);
        }
        let Some(verb) = format.get(i..).and_then(|r| r.chars().next()) else {
            self.out.push_str("%!(NOVERB)");
            return end;
        };
        i += verb.len_utf8();
        spec.verb = verb;
        if verb == '%' {
            self.out.push('%');
        } else if !self.good_arg_num {
            self.out.push_str(&format!("%!{verb}(BADINDEX)"));
        } else if let Some(arg) = self.args.get(self.arg_num) {
            if verb == 'v' {
                spec.sharp_v = spec.sharp;
                spec.sharp = false;
                spec.plus_v = spec.plus;
                spec.plus = false;
            }
            format_arg(&mut self.out, arg, &spec, 0);
            self.arg_num += 1;
        } else {
            self.out.push_str(&format!("%!{verb}(MISSING)"));
        }
        i
    }

    /// An explicit argument index `[n]` at `i`: returns the new index and whether one
    /// was present.
    fn arg_number(&mut self, i: usize) -> (usize, bool) {
        if self.fmt.get(i) != Some(&b'[') {
            return (i, false);
        }
        self.reordered = true;
        let close = self
            .fmt
            .get(i..)
            .and_then(|r| r.iter().position(|&c| c == b']'));
        let Some(close) = close.filter(|&c| c >= 2) else {
            self.good_arg_num = false;
            return (i + close.map_or(1, |c| c + 1), false);
        };
        let (n, ni) = parse_num(self.fmt, i + 1);
        match n {
            Some(n) if ni == i + close && n >= 1 && n <= self.args.len() => {
                self.arg_num = n - 1;
                (i + close + 1, true)
            }
            _ => {
                self.good_arg_num = false;
                (i + close + 1, ni == i + close)
            }
        }
    }

    /// The next argument as a width or precision.
    fn int_arg(&mut self) -> Option<i64> {
        let arg = self.args.get(self.arg_num)?;
        self.arg_num += 1;
        arg.as_int()
            .filter(|n| n.unsigned_abs() <= TOO_LARGE as u64)
    }

    fn extra(&mut self) {
        self.out.push_str("%!(EXTRA ");
        let spec = Spec {
            verb: 'v',
            ..Spec::default()
        };
        for (i, arg) in self.args.iter().skip(self.arg_num).enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            if arg.is_nothing() {
                self.out.push_str("<nil>");
            } else {
                self.out.push_str(arg.type_name());
                self.out.push('=');
                format_arg(&mut self.out, arg, &spec, 0);
            }
        }
        self.out.push(')');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::str(v)
    }

    #[test]
    fn verbs_and_mismatches_like_go() {
        let args = [
            s("x"),
            Value::Int(3),
            Value::Nil,
            s("a\"b"),
            s("hi"),
            Value::Float(3.14259),
            Value::Bool(true),
            Value::Int(42),
            Value::Int(-42),
        ];
        assert_eq!(
            sprintf("%d|%s|%v|%q|%x|%5.2f|%t|%%|%-5d|%05d", &args),
            "%!d(string=x)|%!s(int=3)|<nil>|\"a\\\"b\"|6869| 3.14|true|%|42   |-0042"
        );
    }

    #[test]
    fn missing_extra_and_noverb() {
        assert_eq!(sprintf("%d %d", &[Value::Int(1)]), "1 %!d(MISSING)");
        assert_eq!(
            sprintf("%d", &[Value::Int(1), s("a")]),
            "1%!(EXTRA string=a)"
        );
        assert_eq!(sprintf("50%", &[]), "50%!(NOVERB)");
        assert_eq!(
            sprintf("%!", &[]),
            "%!!(NOVERB)".replace("(NOVERB)", "(MISSING)")
        );
    }

    #[test]
    fn widths_precision_and_indexes() {
        assert_eq!(sprintf("%*d", &[Value::Int(4), Value::Int(7)]), "   7");
        assert_eq!(sprintf("%-*d|", &[Value::Int(3), Value::Int(7)]), "7  |");
        assert_eq!(sprintf("%.2s", &[s("héllo")]), "hé");
        assert_eq!(
            sprintf("%[2]d %[1]d", &[Value::Int(1), Value::Int(2)]),
            "2 1"
        );
        assert_eq!(sprintf("%[3]d", &[Value::Int(1)]), "%!d(BADINDEX)");
        assert_eq!(sprintf("%.*f", &[Value::Int(1), Value::Float(2.25)]), "2.2");
        assert_eq!(
            sprintf("%99999999d", &[Value::Int(1)]),
            "%!(NOVERB)%!(EXTRA int=1)"
        );
        assert_eq!(sprintf("%*d", &[s("x"), Value::Int(1)]), "%!(BADWIDTH)1");
    }
}
