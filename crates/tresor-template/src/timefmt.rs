//! Go's reference-time layouts ("2006-01-02T15:04:05Z07:00") applied to a UTC time,
//! for consul-template's `timestamp`.

use time::OffsetDateTime;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Go's `time.RFC3339`.
pub(crate) const RFC3339: &str = "2006-01-02T15:04:05Z07:00";

/// The layout tokens, longest first where one is a prefix of another.
const TOKENS: &[&str] = &[
    "January",
    "Jan",
    "Monday",
    "Mon",
    "MST",
    "2006",
    "002",
    "01",
    "02",
    "03",
    "04",
    "05",
    "06",
    "15",
    "__2",
    "_2",
    "1",
    "2",
    "3",
    "4",
    "5",
    "PM",
    "pm",
    "-07:00:00",
    "-070000",
    "-07:00",
    "-0700",
    "-07",
    "Z07:00:00",
    "Z070000",
    "Z07:00",
    "Z0700",
    "Z07",
];

/// Formats `t` (taken in UTC) with a Go layout.
pub(crate) fn format(t: OffsetDateTime, layout: &str) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let mut out = String::new();
    let mut rest = layout;
    while !rest.is_empty() {
        if let Some((frac, len)) = fraction(rest) {
            let sep = if rest.starts_with(',') { ',' } else { '.' };
            out.push_str(&fraction_text(t.nanosecond(), frac, sep));
            rest = rest.get(len..).unwrap_or("");
            continue;
        }
        // "_2006" is a literal underscore before the year.
        if rest.starts_with("_2006") {
            out.push('_');
            rest = rest.get(1..).unwrap_or("");
            continue;
        }
        match TOKENS.iter().find(|tok| rest.starts_with(**tok)) {
            Some(tok) => {
                out.push_str(&token(t, tok));
                rest = rest.get(tok.len()..).unwrap_or("");
            }
            None => {
                let mut chars = rest.chars();
                if let Some(c) = chars.next() {
                    out.push(c);
                }
                rest = chars.as_str();
            }
        }
    }
    out
}

/// `.000` / `.999` (or with a comma): fixed or trimmed fractional seconds. Returns the
/// digit kind and count, and the token length.
fn fraction(s: &str) -> Option<((u8, usize), usize)> {
    let b = s.as_bytes();
    let sep = *b.first()?;
    if sep != b'.' && sep != b',' {
        return None;
    }
    let digit = *b.get(1).filter(|d| **d == b'0' || **d == b'9')?;
    let run = b.iter().skip(1).take_while(|c| **c == digit).count();
    if b.get(1 + run).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some(((digit, run), 1 + run))
}

fn fraction_text(nanos: u32, (digit, n): (u8, usize), sep: char) -> String {
    let all = format!("{nanos:09}");
    let shown = all.get(..n.min(9)).unwrap_or("");
    if digit == b'0' {
        format!("{sep}{shown}{}", "0".repeat(n.saturating_sub(9)))
    } else {
        let trimmed = shown.trim_end_matches('0');
        if trimmed.is_empty() {
            String::new()
        } else {
            format!("{sep}{trimmed}")
        }
    }
}

fn token(t: OffsetDateTime, tok: &str) -> String {
    let month = usize::from(u8::from(t.month()));
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let name = |list: &[&str], i: usize| list.get(i).copied().unwrap_or("").to_string();
    match tok {
        "January" => name(&MONTHS, month - 1),
        "Jan" => name(&MONTHS, month - 1).chars().take(3).collect(),
        "Monday" => name(&DAYS, usize::from(t.weekday().number_days_from_monday())),
        "Mon" => name(&DAYS, usize::from(t.weekday().number_days_from_monday()))
            .chars()
            .take(3)
            .collect(),
        "MST" => "UTC".into(),
        "2006" => format!("{:04}", t.year()),
        "06" => format!("{:02}", t.year().rem_euclid(100)),
        "01" => format!("{month:02}"),
        "1" => month.to_string(),
        "02" => format!("{:02}", t.day()),
        "2" => t.day().to_string(),
        "_2" => format!("{:>2}", t.day()),
        "002" => format!("{:03}", t.ordinal()),
        "__2" => format!("{:>3}", t.ordinal()),
        "15" => format!("{:02}", t.hour()),
        "03" => format!("{hour12:02}"),
        "3" => hour12.to_string(),
        "04" => format!("{:02}", t.minute()),
        "4" => t.minute().to_string(),
        "05" => format!("{:02}", t.second()),
        "5" => t.second().to_string(),
        "PM" => if t.hour() >= 12 { "PM" } else { "AM" }.into(),
        "pm" => if t.hour() >= 12 { "pm" } else { "am" }.into(),
        z if z.starts_with('Z') => "Z".into(),
        "-07:00:00" => "+00:00:00".into(),
        "-070000" => "+000000".into(),
        "-07:00" => "+00:00".into(),
        "-0700" => "+0000".into(),
        "-07" => "+00".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn common_layouts() {
        let t = datetime!(2024-03-05 14:07:09.120 UTC);
        assert_eq!(format(t, RFC3339), "2024-03-05T14:07:09Z");
        assert_eq!(format(t, "2006-01-02"), "2024-03-05");
        assert_eq!(
            format(t, "Mon Jan _2 15:04:05 MST 2006"),
            "Tue Mar  5 14:07:09 UTC 2024"
        );
        assert_eq!(
            format(t, "3:04PM .000 .999 -07:00"),
            "2:07PM .120 .12 +00:00"
        );
        assert_eq!(format(t, "January 2, 06 (002)"), "March 5, 24 (065)");
        assert_eq!(
            format(t, "2006-01-02T15:04:05.999999999Z07:00"),
            "2024-03-05T14:07:09.12Z"
        );
    }
}
