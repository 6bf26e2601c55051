//! Durations as Vault writes them: whole seconds (`300`, `"300"`) or Go duration strings
//! (`"1h30m"`, `"768h"`, `"10s"`, `"1.5h"`).

use std::time::Duration;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid duration {0:?}")]
pub struct DurationError(pub String);

pub fn parse(input: &str) -> Result<Duration, DurationError> {
    let s = input.trim();
    let err = || DurationError(input.chars().take(64).collect());
    if s.is_empty() {
        return Err(err());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0f64;
    let mut rest = s;
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        let (num, tail) = rest.split_at(num_len);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let value: f64 = num.parse().map_err(|_| err())?;
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return Err(err()),
        };
        total += value * scale;
        rest = tail;
    }
    if !total.is_finite() || total < 0.0 || total > u64::MAX as f64 / 2.0 {
        return Err(err());
    }
    Ok(Duration::from_secs_f64(total))
}

/// Go's `time.Duration` formatting for whole seconds, as Vault prints TTLs (`768h0m0s`).
pub fn format_go(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return "0s".to_owned();
    }
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vault_forms() {
        assert_eq!(parse("300").unwrap(), Duration::from_secs(300));
        assert_eq!(parse("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("768h").unwrap(), Duration::from_secs(768 * 3600));
        assert_eq!(parse("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("2d").unwrap(), Duration::from_secs(172800));
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
        for bad in ["", "h", "10x", "-5s", "1e400h", "10 s", "s10"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_go(Duration::from_secs(768 * 3600)), "768h0m0s");
        assert_eq!(format_go(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_go(Duration::from_secs(5)), "5s");
        assert_eq!(format_go(Duration::ZERO), "0s");
    }
}
