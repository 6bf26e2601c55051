//! Time, injected so that tests control it.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> SystemTime;

    /// Whole seconds since the Unix epoch (negative before it).
    fn unix(&self) -> i64 {
        match self.now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to: tests advance it to expire leases and tokens.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<SystemTime>);

impl ManualClock {
    pub fn new(start: SystemTime) -> Self {
        Self(std::sync::Mutex::new(start))
    }

    /// A clock at a fixed, round moment (2027-01-15), the same in every test run.
    pub fn fixed() -> Self {
        Self::new(UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000))
    }

    pub fn advance(&self, by: std::time::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// RFC 3339 in UTC with nanoseconds and a `Z`, trailing zeros trimmed, as Vault prints
/// times (`2026-11-27T04:43:20.63959463Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let dt = time::OffsetDateTime::from(t);
    let base = dt
        .format(&time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .unwrap_or_default();
    let nanos = dt.nanosecond();
    if nanos == 0 {
        return format!("{base}Z");
    }
    let frac = format!("{nanos:09}");
    format!("{base}.{}Z", frac.trim_end_matches('0'))
}

/// Parses what [`rfc3339`] prints.
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(SystemTime::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_like_vault() {
        let t = UNIX_EPOCH + Duration::new(1_795_754_600, 639_594_630);
        assert_eq!(rfc3339(t), "2026-11-27T04:43:20.63959463Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_754_600)),
            "2026-11-27T04:43:20Z"
        );
    }
}
