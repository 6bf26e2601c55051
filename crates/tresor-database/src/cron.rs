//! `rotation_schedule`: standard five-field cron expressions (minute, hour, day of
//! month, month, day of week), in UTC, as Vault reads them. Fields take `*`, numbers,
//! ranges `a-b`, steps `*/n` and `a-b/n`, and comma lists; day of week 0-7 (0 and 7 are
//! Sunday). As in cron, when both day fields are restricted a day matching either runs.

use time::{Date, Duration, OffsetDateTime, Time};
use tresor_sdk::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    minutes: Vec<u8>,
    hours: Vec<u8>,
    days: Vec<u8>,
    months: Vec<u8>,
    weekdays: Vec<u8>,
    days_restricted: bool,
    weekdays_restricted: bool,
}

fn bad(expr: &str) -> Error {
    Error::bad_request(format!(
        "could not parse rotation_schedule {expr:?}: expected five cron fields"
    ))
}

fn field(text: &str, min: u8, max: u8, expr: &str) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u8>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| bad(expr))?,
            ),
            None => (part, 1),
        };
        let (lo, hi) = match range {
            "*" => (min, max),
            r => match r.split_once('-') {
                Some((a, b)) => (
                    a.parse().map_err(|_| bad(expr))?,
                    b.parse().map_err(|_| bad(expr))?,
                ),
                None => {
                    let v: u8 = r.parse().map_err(|_| bad(expr))?;
                    (v, if part.contains('/') { max } else { v })
                }
            },
        };
        if lo < min || hi > max || lo > hi {
            return Err(bad(expr));
        }
        out.extend((lo..=hi).step_by(usize::from(step)));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

impl Schedule {
    pub fn parse(expr: &str) -> Result<Self, Error> {
        let parts: Vec<&str> = expr.split_whitespace().collect();
        let [mi, h, d, mo, w] = parts.as_slice() else {
            return Err(bad(expr));
        };
        let mut weekdays = field(w, 0, 7, expr)?;
        if weekdays.contains(&7) {
            weekdays.push(0);
        }
        Ok(Self {
            minutes: field(mi, 0, 59, expr)?,
            hours: field(h, 0, 23, expr)?,
            days: field(d, 1, 31, expr)?,
            months: field(mo, 1, 12, expr)?,
            weekdays,
            days_restricted: *d != "*",
            weekdays_restricted: *w != "*",
        })
    }

    fn day_matches(&self, date: Date) -> bool {
        if !self.months.contains(&u8::from(date.month())) {
            return false;
        }
        let dom = self.days.contains(&date.day());
        let dow = self
            .weekdays
            .contains(&date.weekday().number_days_from_sunday());
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => dom || dow,
            (true, false) => dom,
            (false, true) => dow,
            (false, false) => true,
        }
    }

    /// The first scheduled minute strictly after `unix`, within five years.
    pub fn next_after(&self, unix: i64) -> Option<i64> {
        let start = OffsetDateTime::from_unix_timestamp(unix).ok()?;
        let mut date = start.date();
        for _ in 0..(366 * 5) {
            if self.day_matches(date) {
                for &h in &self.hours {
                    for &m in &self.minutes {
                        let t = Time::from_hms(h, m, 0).ok()?;
                        let at = date.with_time(t).assume_utc().unix_timestamp();
                        if at > unix {
                            return Some(at);
                        }
                    }
                }
            }
            date = date.checked_add(Duration::days(1))?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2027-01-15 08:00:00 UTC, a Friday.
    const T: i64 = 1_800_000_000;

    #[test]
    fn next_times() {
        let hourly = Schedule::parse("0 * * * *").unwrap();
        assert_eq!(hourly.next_after(T), Some(T + 3600));
        let every5 = Schedule::parse("*/5 * * * *").unwrap();
        assert_eq!(every5.next_after(T), Some(T + 300));
        let sunday = Schedule::parse("30 2 * * 0").unwrap();
        // Sunday 2027-01-17 02:30 UTC.
        assert_eq!(sunday.next_after(T), Some(T + 42 * 3600 + 1800));
        let first = Schedule::parse("0 0 1 * *").unwrap();
        assert_eq!(first.next_after(T), Some(1_801_440_000));
    }

    #[test]
    fn refuses_bad_expressions() {
        for bad in [
            "",
            "* * * *",
            "60 * * * *",
            "* 24 * * *",
            "*/0 * * * *",
            "a * * * *",
            "5-1 * * * *",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }
}
