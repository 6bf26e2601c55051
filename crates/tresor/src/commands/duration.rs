//! Durations as the Vault CLI reads them from flags and prints them: Go's syntax
//! (`1h30m`, `90s`, `1.5h`), a bare number of seconds, or `Nd` days.

const SECOND: i128 = 1_000_000_000;

/// A duration in nanoseconds, like Go's `time.Duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub i64);

impl Duration {
    pub fn from_secs(secs: i64) -> Duration {
        Duration(secs.saturating_mul(1_000_000_000))
    }

    /// Go's `Duration.String()`: `0s`, `1h0m0s`, `1m30s`, `1.5s`, `500ms`.
    pub fn go_string(self) -> String {
        if self.0 == 0 {
            return "0s".to_owned();
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        let u = i128::from(self.0).abs();
        if u < SECOND {
            let (unit, div) = match u {
                0..1_000 => ("ns", 1),
                1_000..1_000_000 => ("µs", 1_000),
                _ => ("ms", 1_000_000),
            };
            return format!("{sign}{}{unit}", fraction(u, div));
        }
        let secs = u / SECOND;
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        let mut out = sign.to_owned();
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&fraction(s * SECOND + u % SECOND, SECOND));
        out.push('s');
        out
    }
}

/// `n / div` with the remainder as decimals, trailing zeros dropped.
fn fraction(n: i128, div: i128) -> String {
    let whole = n / div;
    let rest = n % div;
    if rest == 0 {
        return whole.to_string();
    }
    let digits = div.to_string().len() - 1;
    let frac = format!("{rest:0digits$}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// A flag value as Vault's duration flags read it; `system` means -1 (the mount's default).
pub fn parse_flag(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s == "system" {
        return Ok(Duration(-1));
    }
    parse(s)
}

/// Vault's `ParseDurationSecond`: empty is zero, a bare integer is seconds, `Nd` days,
/// anything else Go's `time.ParseDuration`.
pub fn parse(s: &str) -> Result<Duration, String> {
    if s.is_empty() {
        return Ok(Duration(0));
    }
    if let Ok(secs) = s.parse::<i64>() {
        return Ok(Duration::from_secs(secs));
    }
    if let Some(days) = s.strip_suffix('d') {
        if let Ok(d) = days.parse::<i64>() {
            return Ok(Duration::from_secs(d.saturating_mul(86_400)));
        }
    }
    parse_go(s).ok_or_else(|| format!("time: invalid duration \"{s}\""))
}

fn parse_go(s: &str) -> Option<Duration> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(Duration(0));
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(num_len);
        if num.is_empty() || num == "." {
            return None;
        }
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += num.parse::<f64>().ok()? * scale;
        rest = tail;
    }
    if total > i64::MAX as f64 {
        return None;
    }
    // Truncation toward zero is what Go does with fractional nanoseconds.
    #[allow(clippy::cast_possible_truncation)]
    let nanos = total as i64;
    Some(Duration(if neg { -nanos } else { nanos }))
}

/// Vault's `humanDuration` for a number of seconds: `768h`, `1h`, `59m59s`, `0s`.
pub fn human_secs(secs: i64) -> String {
    let mut s = Duration::from_secs(secs).go_string();
    if s.ends_with("m0s") {
        s.truncate(s.len() - 2);
    }
    if let Some(i) = s.find("h0m").filter(|&i| i > 0) {
        s.replace_range(i + 1..i + 3, "");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_strings() {
        let cases = [
            (0, "0s"),
            (1, "1s"),
            (60, "1m0s"),
            (90, "1m30s"),
            (3600, "1h0m0s"),
            (3661, "1h1m1s"),
            (2_764_800, "768h0m0s"),
        ];
        for (secs, want) in cases {
            assert_eq!(Duration::from_secs(secs).go_string(), want);
        }
        assert_eq!(Duration(1_500_000_000).go_string(), "1.5s");
        assert_eq!(Duration(1_500_000).go_string(), "1.5ms");
        assert_eq!(Duration(-1).go_string(), "-1ns");
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_secs(2_764_800), "768h");
        assert_eq!(human_secs(3600), "1h");
        assert_eq!(human_secs(3599), "59m59s");
        assert_eq!(human_secs(3605), "1h5s");
        assert_eq!(human_secs(120), "2m");
        assert_eq!(human_secs(0), "0s");
    }

    #[test]
    fn parsing() {
        assert_eq!(parse("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("2d").unwrap(), Duration::from_secs(172_800));
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("").unwrap(), Duration(0));
        assert_eq!(parse_flag("system").unwrap(), Duration(-1));
        for bad in ["1x", "h", "1h-", "--1s", "."] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
