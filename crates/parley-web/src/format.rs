//! Numbers, times and durations as the pages write them. Every time is shown
//! in UTC and says so: a tally quoted in the news is quoted with its clock.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTHS_LONG: [&str; 12] = [
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

/// `11600` → `11,600`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    // The first group has one to three digits, every later one three.
    let lead = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        r => r,
    };
    let (head, tail) = digits.split_at(lead);
    out.push_str(head);
    for group in tail.as_bytes().chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(group).unwrap_or_default());
    }
    out
}

/// `1 vote`, `11,600 votes`.
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// The machine-readable form for `<time datetime>` and links.
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `iso` with milliseconds: the form snapshot links use.
pub fn iso_millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `16:30:05 UTC`
pub fn clock(t: DateTime<Utc>) -> String {
    format!("{:02}:{:02}:{:02} UTC", t.hour(), t.minute(), t.second())
}

/// `27 Mar 2018`
pub fn date(t: DateTime<Utc>) -> String {
    format!("{} {} {}", t.day(), MONTHS[t.month0() as usize], t.year())
}

/// `27 March 2018, 16:30 UTC`
pub fn long_datetime(t: DateTime<Utc>) -> String {
    format!("{} {} {}, {:02}:{:02} UTC", t.day(), MONTHS_LONG[t.month0() as usize], t.year(), t.hour(), t.minute())
}

/// `27 March 2018, 16:30:05 UTC`: the precision a citation needs.
pub fn long_datetime_seconds(t: DateTime<Utc>) -> String {
    format!(
        "{} {} {}, {:02}:{:02}:{:02} UTC",
        t.day(),
        MONTHS_LONG[t.month0() as usize],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A timeline's short date: `just now`, `5 min`, `3 h`, then `27 Mar 2018`.
pub fn short_ago(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    match secs {
        s if s < 60 => "just now".into(),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3600),
        _ => date(t),
    }
}

/// A length of time in words, rounded down to its largest unit: `3 days`, `1 hour`.
pub fn duration_words(secs: i64) -> String {
    let secs = secs.max(0);
    let (n, one, many) = match secs {
        s if s >= 86_400 => (s / 86_400, "day", "days"),
        s if s >= 3600 => (s / 3600, "hour", "hours"),
        s if s >= 60 => (s / 60, "minute", "minutes"),
        s => (s, "second", "seconds"),
    };
    count(n, one, many)
}

/// `3 hours left`, `less than a minute left`, or `Ended`.
pub fn time_left(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (expires_at - now).num_seconds();
    if expires_at <= now {
        "Ended".into()
    } else if secs < 60 {
        "Less than a minute left".into()
    } else {
        format!("{} left", duration_words(secs))
    }
}

/// A share as a whole percentage for reading (`45%`), with `<1%` for a
/// small non-zero share so that it does not read as nothing.
pub fn percent_text(part: i64, whole: i64) -> String {
    if whole <= 0 || part <= 0 {
        return "0%".into();
    }
    let p = part as f64 * 100.0 / whole as f64;
    if p < 1.0 { "<1%".into() } else { format!("{}%", p.round() as i64) }
}

/// A share for drawing, 0–100 with one decimal.
pub fn percent_width(part: i64, whole: i64) -> f64 {
    if whole <= 0 || part <= 0 {
        return 0.0;
    }
    ((part as f64 * 1000.0 / whole as f64).round() / 10.0).clamp(0.0, 100.0)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2018, 3, 27, h, m, s).single().unwrap_or_default()
    }

    #[test]
    fn numbers_have_separators_and_plurals() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(11_600), "11,600");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-4_095), "-4,095");
        assert_eq!(count(1, "vote", "votes"), "1 vote");
        assert_eq!(count(5_265, "vote", "votes"), "5,265 votes");
    }

    #[test]
    fn times_are_utc_and_say_so() {
        assert_eq!(clock(at(18, 0, 5)), "18:00:05 UTC");
        assert_eq!(date(at(18, 0, 5)), "27 Mar 2018");
        assert_eq!(long_datetime(at(9, 5, 0)), "27 March 2018, 09:05 UTC");
        assert_eq!(long_datetime_seconds(at(9, 5, 7)), "27 March 2018, 09:05:07 UTC");
        assert_eq!(iso(at(18, 0, 0)), "2018-03-27T18:00:00Z");
        assert_eq!(iso_millis(at(18, 0, 0)), "2018-03-27T18:00:00.000Z");
    }

    #[test]
    fn relative_times() {
        let now = at(18, 0, 0);
        assert_eq!(short_ago(at(17, 59, 30), now), "just now");
        assert_eq!(short_ago(at(17, 15, 0), now), "45 min");
        assert_eq!(short_ago(at(1, 0, 0), now), "17 h");
        assert_eq!(short_ago(at(1, 0, 0) - chrono::Duration::days(3), now), "24 Mar 2018");
        assert_eq!(time_left(at(21, 30, 0), now), "3 hours left");
        assert_eq!(time_left(at(18, 0, 30), now), "Less than a minute left");
        assert_eq!(time_left(at(18, 1, 0), now), "1 minute left");
        assert_eq!(time_left(now, now), "Ended");
        assert_eq!(duration_words(86_400 * 7), "7 days");
    }

    #[test]
    fn percentages_round_for_reading_and_keep_a_decimal_for_drawing() {
        assert_eq!(percent_text(5_265, 11_700), "45%");
        assert_eq!(percent_text(0, 0), "0%");
        assert_eq!(percent_text(1, 1_000), "<1%");
        assert_eq!(percent_width(1, 3), 33.3);
        assert_eq!(percent_width(3, 3), 100.0);
        assert_eq!(percent_width(0, 0), 0.0);
    }
}
