//! Durations in policies (`min_wrapping_ttl`, `max_wrapping_ttl`), read the way Vault's
//! `ParseDurationSecond` reads them: a number of seconds (number or numeric string),
//! `<n>d` for days, or a Go duration such as `1h30m`, `1.5s`, `300ms`. An empty string is
//! zero, meaning "not set". Unlike Vault, negative durations are refused.

use serde_json::Value;
use std::time::Duration;

/// Go's limit: durations are an `i64` of nanoseconds.
const MAX_NANOS: u128 = i64::MAX as u128;
const SECOND: u128 = 1_000_000_000;

/// The duration `v` denotes, or `None` when it is not one.
pub(crate) fn parse(v: &Value) -> Option<Duration> {
    match v {
        Value::String(s) => parse_str(s),
        Value::Number(n) => {
            let secs = match n.as_u64() {
                Some(u) => u128::from(u),
                // Go converts a float to a Duration by truncation.
                None => {
                    let f = n.as_f64()?;
                    if !(0.0..=(i64::MAX as f64)).contains(&f) {
                        return None;
                    }
                    f.trunc() as u128
                }
            };
            nanos(secs.checked_mul(SECOND)?)
        }
        _ => None,
    }
}

fn parse_str(s: &str) -> Option<Duration> {
    if s.is_empty() {
        return Some(Duration::ZERO);
    }
    if let Some(secs) = integer(s) {
        return nanos(secs.checked_mul(SECOND)?);
    }
    if let Some(days) = s.strip_suffix('d').and_then(integer) {
        return nanos(days.checked_mul(86_400 * SECOND)?);
    }
    go_duration(s)
}

/// A non-negative decimal integer with an optional `+` sign (as `strconv.ParseInt`).
fn integer(s: &str) -> Option<u128> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok().map(u128::from)
}

/// Go's `time.ParseDuration`, without negative values.
fn go_duration(s: &str) -> Option<Duration> {
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after) = rest.split_at_checked(int_len)?;
        let (frac_part, after) = match after.strip_prefix('.') {
            Some(f) => {
                let n = f.bytes().take_while(u8::is_ascii_digit).count();
                f.split_at_checked(n)?
            }
            None => ("", after),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let unit_len = after
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after.len(), |(i, _)| i);
        let (unit, after) = after.split_at_checked(unit_len)?;
        let scale = unit_nanos(unit)?;
        total = total.checked_add(element(int_part, frac_part, scale)?)?;
        if total > MAX_NANOS {
            return None;
        }
        rest = after;
    }
    nanos(total)
}

/// `int.frac` units of `scale` nanoseconds, truncated to whole nanoseconds.
fn element(int_part: &str, frac_part: &str, scale: u128) -> Option<u128> {
    let whole: u128 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let mut value = whole.checked_mul(scale)?;
    // Digits past the 18th cannot change a result in whole nanoseconds of an i64.
    let mut divisor: u128 = 1;
    let mut frac: u128 = 0;
    for d in frac_part.bytes().take(18) {
        frac = frac * 10 + u128::from(d - b'0');
        divisor *= 10;
    }
    value = value.checked_add(frac.checked_mul(scale)? / divisor)?;
    Some(value)
}

fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => SECOND,
        "m" => 60 * SECOND,
        "h" => 3_600 * SECOND,
        _ => return None,
    })
}

fn nanos(n: u128) -> Option<Duration> {
    if n > MAX_NANOS {
        return None;
    }
    let secs = u64::try_from(n / SECOND).ok()?;
    let sub = u32::try_from(n % SECOND).ok()?;
    Some(Duration::new(secs, sub))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(v: Value) -> Option<Duration> {
        parse(&v)
    }

    #[test]
    fn vault_forms() {
        assert_eq!(d(json!(300)), Some(Duration::from_secs(300)));
        assert_eq!(d(json!(2.9)), Some(Duration::from_secs(2)));
        assert_eq!(d(json!("300")), Some(Duration::from_secs(300)));
        assert_eq!(d(json!("300s")), Some(Duration::from_secs(300)));
        assert_eq!(d(json!("1h")), Some(Duration::from_secs(3600)));
        assert_eq!(d(json!("1h30m")), Some(Duration::from_secs(5400)));
        assert_eq!(d(json!("1.5s")), Some(Duration::from_millis(1500)));
        assert_eq!(d(json!(".5m")), Some(Duration::from_secs(30)));
        assert_eq!(d(json!("250ms")), Some(Duration::from_millis(250)));
        assert_eq!(d(json!("3\u{b5}s")), Some(Duration::from_micros(3)));
        assert_eq!(d(json!("2d")), Some(Duration::from_secs(172_800)));
        assert_eq!(d(json!("0")), Some(Duration::ZERO));
        assert_eq!(d(json!("")), Some(Duration::ZERO));
    }

    #[test]
    fn rejects_garbage_negative_and_overflow() {
        for bad in [
            json!("-1s"),
            json!(-5),
            json!("1x"),
            json!("s"),
            json!("."),
            json!("1.s5"),
            json!("1.5"),
            json!("1 s"),
            json!("9999999999999999999999h"),
            json!("3000000h"),
            json!(true),
            json!(null),
            json!(["1s"]),
            json!(1e300),
        ] {
            assert_eq!(d(bad.clone()), None, "{bad}");
        }
        assert!(d(json!("2562047h")).is_some());
    }
}
