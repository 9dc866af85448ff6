//! Dates and times as users type and read them. Pure: `now` is always passed in.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, Weekday};

use crate::core::model::{DAY, HOUR, MINUTE, Timestamp};

fn to_odt(ts: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ts).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2026-11-26`
pub fn format_date(ts: Timestamp) -> String {
    let d = to_odt(ts);
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// `2026-11-26 09:30` (UTC)
pub fn format_datetime(ts: Timestamp) -> String {
    let d = to_odt(ts);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        d.year(),
        d.month() as u8,
        d.day(),
        d.hour(),
        d.minute()
    )
}

/// A short relative age: `now`, `5m`, `3h`, `2d`, `7w`, `1y`; negative spans read `in 2d`.
pub fn format_age(span: i64) -> String {
    let (future, s) = (span < 0, span.unsigned_abs() as i64);
    let text = if s < MINUTE {
        return "now".to_string();
    } else if s < HOUR {
        format!("{}m", s / MINUTE)
    } else if s < DAY {
        format!("{}h", s / HOUR)
    } else if s < 14 * DAY {
        format!("{}d", s / DAY)
    } else if s < 365 * DAY {
        format!("{}w", s / (7 * DAY))
    } else {
        format!("{}y", s / (365 * DAY))
    };
    if future { format!("in {text}") } else { text }
}

/// Parses a calendar date or date-time found in imported data.
///
/// Accepts ISO forms (`2024-03-05`, `2024-03-05 14:30`, `2024-03-05T14:30:00Z`,
/// with optional fractional seconds and `+hh:mm` offsets) and `YYYY/MM/DD`.
/// Ambiguous day/month orders (`03/05/2024`) are not guessed: they return `None`.
pub fn parse_date(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    if t.len() < 10 || !t.is_char_boundary(10) {
        return None;
    }
    let (date_part, rest) = t.split_at(10);
    let b = date_part.as_bytes();
    if !(b[4] == b'-' || b[4] == b'/') || b[7] != b[4] {
        return None;
    }
    let num = |s: &str| s.parse::<u32>().ok();
    let year = num(&date_part[0..4])? as i32;
    let month = Month::try_from(num(&date_part[5..7])? as u8).ok()?;
    let day = num(&date_part[8..10])? as u8;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let rest = rest.trim_start_matches(['T', ' ']);
    if rest.is_empty() {
        return Some(date.midnight().assume_utc().unix_timestamp());
    }
    // Split off a zone: Z, +hh:mm, -hh:mm, +hhmm.
    let (clock, offset_secs) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0i64)
    } else if let Some(pos) = rest.rfind(['+', '-']) {
        let (c, z) = rest.split_at(pos);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let digits: String = z[1..].chars().filter(|c| *c != ':').collect();
        // Digits only: a 4-byte zone like `ᚑ0` once sliced through a character and panicked.
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let h: i64 = digits[..2].parse().ok()?;
        let m: i64 = digits[2..].parse().ok()?;
        (c, sign * (h * HOUR + m * MINUTE))
    } else {
        (rest, 0)
    };
    let clock = clock.split('.').next()?;
    let mut parts = clock.split(':');
    let h = parts.next()?.parse::<u8>().ok()?;
    let m = parts.next()?.parse::<u8>().ok()?;
    let s = match parts.next() {
        Some(s) => s.parse::<u8>().ok()?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let time = Time::from_hms(h, m, s).ok()?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp()
            - offset_secs,
    )
}

/// The furthest ahead a follow-up date may be set (ten years).
const MAX_FOLLOW_UP_DAYS: i64 = 3653;

/// Parses a follow-up as a rep types it, relative to `now` (UTC):
/// `2d`, `3h`, `1w`, `30m`, `today 15:00`, `tomorrow`, `tomorrow 9:00`, `mon`, `fri 14:30`,
/// `2026-12-01`, `2026-12-01 10:00`. A bare day without a time means 09:00.
pub fn parse_follow_up(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let t = text.trim().to_lowercase();
    if t.is_empty() {
        return Err("empty follow-up; try 2d, tomorrow 9:00, mon or 2026-12-01".into());
    }
    if let Some(ts) = parse_date(&t) {
        // A date alone means the morning of that day.
        let at = if t.len() == 10 { ts + 9 * HOUR } else { ts };
        // A typo like 0202-12-01 or 2062-12-01 would hide the lead from the queue for ever.
        if at < now - DAY {
            return Err(format!(
                "follow-up {text:?} is in the past; give a date from today on"
            ));
        }
        if at > now + MAX_FOLLOW_UP_DAYS * DAY {
            return Err(format!(
                "follow-up {text:?} is more than ten years ahead; check the year"
            ));
        }
        return Ok(at);
    }
    if let Some(span) = parse_span(&t) {
        if span > MAX_FOLLOW_UP_DAYS * DAY {
            return Err(format!(
                "follow-up {text:?} is more than ten years ahead; give a shorter span"
            ));
        }
        return Ok(now + span);
    }
    let mut words = t.split_whitespace();
    let day_word = words.next().unwrap_or_default();
    let clock = words.next();
    if words.next().is_some() {
        return Err(format!("cannot read follow-up {text:?}: too many words"));
    }
    let today = to_odt(now).date();
    let day = match day_word {
        "today" => today,
        "tomorrow" | "tmr" => today.next_day().ok_or("date out of range")?,
        w => {
            let weekday = parse_weekday(w).ok_or_else(|| {
                format!(
                    "cannot read follow-up {text:?}; try 2d, 4h, tomorrow 9:00, mon or 2026-12-01"
                )
            })?;
            let mut d = today.next_day().ok_or("date out of range")?;
            while d.weekday() != weekday {
                d = d.next_day().ok_or("date out of range")?;
            }
            d
        }
    };
    let time = match clock {
        None => Time::from_hms(9, 0, 0).expect("valid"),
        Some(c) => parse_clock(c)
            .ok_or_else(|| format!("cannot read time {c:?}; use 24h like 9:00 or 14:30"))?,
    };
    Ok(PrimitiveDateTime::new(day, time)
        .assume_utc()
        .unix_timestamp())
}

/// `2d`, `36h`, `1w`, `15m` → seconds.
pub fn parse_span(t: &str) -> Option<i64> {
    let t = t.trim();
    let unit = t.chars().last()?;
    let n: i64 = t[..t.len() - unit.len_utf8()].trim().parse().ok()?;
    if !(0..=3650).contains(&n) {
        return None;
    }
    let mult = match unit {
        'm' => MINUTE,
        'h' => HOUR,
        'd' => DAY,
        'w' => 7 * DAY,
        _ => return None,
    };
    Some(n * mult)
}

fn parse_weekday(w: &str) -> Option<Weekday> {
    const DAYS: [(&str, Weekday); 7] = [
        ("monday", Weekday::Monday),
        ("tuesday", Weekday::Tuesday),
        ("wednesday", Weekday::Wednesday),
        ("thursday", Weekday::Thursday),
        ("friday", Weekday::Friday),
        ("saturday", Weekday::Saturday),
        ("sunday", Weekday::Sunday),
    ];
    if w.len() < 3 {
        return None;
    }
    DAYS.iter()
        .find(|(name, _)| name.starts_with(w))
        .map(|(_, d)| *d)
}

fn parse_clock(c: &str) -> Option<Time> {
    let (h, m) = c.split_once(':').unwrap_or((c, "0"));
    Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Thursday 2026-11-26 12:00 UTC
    const NOW: Timestamp = 1_795_651_200 + 12 * HOUR;

    #[test]
    fn now_constant_is_a_thursday_noon() {
        assert_eq!(format_datetime(NOW), "2026-11-26 12:00");
    }

    #[test]
    fn parses_iso_dates_and_rejects_ambiguous_ones() {
        assert_eq!(parse_date("2026-11-26"), Some(NOW - 12 * HOUR));
        assert_eq!(parse_date("2026-11-26T12:00:00Z"), Some(NOW));
        assert_eq!(parse_date("2026-11-26 13:00+01:00"), Some(NOW));
        assert_eq!(parse_date("2026-11-26 12:00:00.123"), Some(NOW));
        assert_eq!(parse_date("2026/11/26"), Some(NOW - 12 * HOUR));
        assert_eq!(parse_date("11/26/2026"), None);
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("hello world"), None);
        assert_eq!(parse_date("2026-11-2é"), None);
    }

    #[test]
    fn follow_ups_read_like_a_rep_types_them() {
        assert_eq!(parse_follow_up("2d", NOW), Ok(NOW + 2 * DAY));
        // Found by fuzzing: dates in year 0 or far ahead were taken as given.
        assert!(
            parse_follow_up("0000-01-01", NOW)
                .unwrap_err()
                .contains("in the past")
        );
        assert!(
            parse_follow_up("2062-12-01", NOW)
                .unwrap_err()
                .contains("ten years")
        );
        assert!(
            parse_follow_up("522w", NOW)
                .unwrap_err()
                .contains("ten years")
        );
        assert_eq!(parse_follow_up("4h", NOW), Ok(NOW + 4 * HOUR));
        assert_eq!(parse_follow_up("tomorrow 9:00", NOW), Ok(NOW + 21 * HOUR));
        assert_eq!(parse_follow_up("tomorrow", NOW), Ok(NOW + 21 * HOUR));
        // Next Monday is 2026-11-30.
        assert_eq!(
            format_datetime(parse_follow_up("mon", NOW).unwrap()),
            "2026-11-30 09:00"
        );
        assert_eq!(
            format_datetime(parse_follow_up("Fri 14:30", NOW).unwrap()),
            "2026-11-27 14:30"
        );
        // The same weekday means next week, not today.
        assert_eq!(
            format_datetime(parse_follow_up("thu", NOW).unwrap()),
            "2026-12-03 09:00"
        );
        assert_eq!(
            format_datetime(parse_follow_up("2026-12-01", NOW).unwrap()),
            "2026-12-01 09:00"
        );
        assert!(parse_follow_up("someday", NOW).is_err());
        assert!(parse_follow_up("tomorrow 25:00", NOW).is_err());
        assert!(parse_follow_up("", NOW).is_err());
        assert!(parse_follow_up("99999d", NOW).is_err());
    }

    #[test]
    fn ages_are_short() {
        assert_eq!(format_age(30), "now");
        assert_eq!(format_age(5 * MINUTE), "5m");
        assert_eq!(format_age(3 * DAY + 5), "3d");
        assert_eq!(format_age(-2 * DAY), "in 2d");
        assert_eq!(format_age(30 * DAY), "4w");
    }
}
