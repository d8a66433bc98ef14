//! `Timestamp`: an instant in UTC that remembers how many fraction digits it
//! was written with, so logs written by other tools (microseconds) read back
//! and print exactly as written, while this project writes milliseconds.
//! Every value lies in the years 0000 to 9999 (UTC), so it always prints as
//! RFC 3339 that parses back to the same instant, leap seconds included.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Datelike, SubsecRound, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy)]
pub struct Timestamp {
    instant: DateTime<Utc>,
    fraction_digits: u8,
}

impl Timestamp {
    /// Now, truncated to milliseconds: the precision this project writes.
    pub fn now_millis() -> Self {
        Self::from_instant_millis(Utc::now())
    }

    pub fn from_instant_millis(instant: DateTime<Utc>) -> Self {
        Timestamp {
            instant: instant.trunc_subsecs(3),
            fraction_digits: 3,
        }
    }

    pub fn instant(&self) -> DateTime<Utc> {
        self.instant
    }

    /// Seconds and nanoseconds since the Unix epoch, and the fraction
    /// digits it was written with: a compact form (`from_parts` takes it
    /// back, refusing what no line could hold).
    pub fn to_parts(&self) -> (i64, u32, u8) {
        (
            self.instant.timestamp(),
            self.instant.timestamp_subsec_nanos(),
            self.fraction_digits,
        )
    }

    pub fn from_parts(secs: i64, nanos: u32, fraction_digits: u8) -> Option<Self> {
        let instant = DateTime::<Utc>::from_timestamp(secs, nanos)?;
        (fraction_digits <= 9)
            .then(|| Self::in_range(instant, fraction_digits))
            .flatten()
    }

    /// The stamp a writer puts on a new line: `now`, unless the clock
    /// stepped back behind `previous`; then the earliest millisecond instant
    /// not before `previous` (a leap second `23:59:60.xxx` included). `None`
    /// when that instant is past the year 9999, which no reader accepts.
    pub fn next_written(previous: Option<Timestamp>, now: DateTime<Utc>) -> Option<Self> {
        let now = Self::in_range(now.trunc_subsecs(3), 3)?;
        match previous {
            Some(prev) if now < prev => prev.ceil_millis(),
            _ => Some(now),
        }
    }

    /// The earliest millisecond instant at or after this one.
    fn ceil_millis(&self) -> Option<Self> {
        const MILLI: u32 = 1_000_000;
        const SECOND: u32 = 1_000_000_000;
        let nanos = self.instant.timestamp_subsec_nanos(); // >= 1e9 in a leap second
        if nanos.is_multiple_of(MILLI) {
            return Self::in_range(self.instant, 3);
        }
        let up = (nanos / MILLI + 1) * MILLI;
        let whole_second = self.instant.with_nanosecond(0)?;
        let instant = if up.is_multiple_of(SECOND) {
            // Past the last millisecond of this second (or of the leap second
            // after it): the next second starts.
            whole_second + chrono::Duration::seconds(1)
        } else {
            whole_second.with_nanosecond(up)?
        };
        Self::in_range(instant, 3)
    }

    fn in_range(instant: DateTime<Utc>, fraction_digits: u8) -> Option<Self> {
        (0..=9999).contains(&instant.year()).then_some(Timestamp {
            instant,
            fraction_digits,
        })
    }

    /// Parses any RFC 3339 timestamp whose instant lies in the years 0000 to
    /// 9999 UTC; the instant is kept in UTC.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(fast) = Self::parse_utc_z(text) {
            return Some(fast);
        }
        let instant = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
        let fraction_digits = text
            .find('.')
            .map(|dot| {
                text[dot + 1..]
                    .bytes()
                    .take_while(u8::is_ascii_digit)
                    .count()
                    .min(9)
            })
            .unwrap_or(0) as u8;
        Self::in_range(instant, fraction_digits)
    }
}

impl Timestamp {
    /// The common case, `YYYY-MM-DDTHH:MM:SS[.fff…]Z`, without chrono's
    /// general parser: every line of every load goes through here.
    fn parse_utc_z(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || *b.last()? != b'Z'
        {
            return None;
        }
        let num = |range: std::ops::Range<usize>| -> Option<u32> {
            b.get(range)?.iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let fraction = &b[19..b.len() - 1];
        let (nanos, fraction_digits) = match fraction.split_first() {
            None => (0, 0),
            Some((b'.', digits)) if (1..=9).contains(&digits.len()) => {
                let value = digits.iter().try_fold(0u32, |acc, &c| {
                    c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
                })?;
                (
                    value * 10u32.pow(9 - digits.len() as u32),
                    digits.len() as u8,
                )
            }
            _ => return None,
        };
        let date = chrono::NaiveDate::from_ymd_opt(year as i32, month, day)?;
        let time = chrono::NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
        Some(Timestamp {
            instant: date.and_time(time).and_utc(),
            fraction_digits,
        })
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.instant == other.instant
    }
}
impl Eq for Timestamp {}
impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.instant.cmp(&other.instant)
    }
}

impl fmt::Display for Timestamp {
    /// Formatted by hand: every written line formats one, and chrono's
    /// strftime machinery is slow for so fixed a shape.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (date, time) = (self.instant.date_naive(), self.instant.time());
        // chrono keeps a leap second as second 59 with a fraction of 1 s or more.
        let (second, nanos) = match self.instant.timestamp_subsec_nanos() {
            n if n >= 1_000_000_000 => (60, n - 1_000_000_000),
            n => (time.second(), n),
        };
        let year = date.year();
        if !(0..=9999).contains(&year) {
            write!(f, "{}", self.instant.format("%Y-%m-%dT%H:%M:%S"))?;
        } else {
            let mut buf = *b"0000-00-00T00:00:00";
            let mut put = |at: usize, width: usize, mut value: u32| {
                for i in (0..width).rev() {
                    buf[at + i] = b'0' + (value % 10) as u8;
                    value /= 10;
                }
            };
            put(0, 4, year as u32);
            put(5, 2, date.month());
            put(8, 2, date.day());
            put(11, 2, time.hour());
            put(14, 2, time.minute());
            put(17, 2, second);
            f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)?;
        }
        if self.fraction_digits > 0 {
            let digits = u32::from(self.fraction_digits);
            let fraction = nanos / 10u32.pow(9 - digits);
            write!(f, ".{:0width$}", fraction, width = digits as usize)?;
        }
        f.write_str("Z")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Timestamp::parse(&s).ok_or_else(|| serde::de::Error::custom("not an RFC 3339 timestamp"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_precision_it_was_written_with() {
        for text in [
            "2026-11-29T10:33:44.508181Z",
            "2026-01-21T12:00:00.000Z",
            "2026-01-21T12:00:00Z",
        ] {
            assert_eq!(Timestamp::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        let t = Timestamp::parse("2026-01-21T17:30:00.250+05:30").unwrap();
        assert_eq!(t.to_string(), "2026-01-21T12:00:00.250Z");
    }

    #[test]
    fn now_is_written_with_milliseconds() {
        let text = Timestamp::now_millis().to_string();
        assert_eq!(text.len(), "2026-01-21T12:00:00.000Z".len(), "{text}");
    }

    #[test]
    fn rejects_non_rfc3339() {
        assert!(Timestamp::parse("yesterday").is_none());
        assert!(Timestamp::parse("2026-13-01T00:00:00Z").is_none());
    }

    fn written(prev: &str, now: &str) -> Option<String> {
        let now = Timestamp::parse(now).unwrap().instant();
        Timestamp::next_written(Some(Timestamp::parse(prev).unwrap()), now).map(|t| t.to_string())
    }

    #[test]
    fn leap_seconds_print_as_written_and_clamp_forward() {
        let leap = Timestamp::parse("2016-12-31T23:59:60.000Z").unwrap();
        assert_eq!(leap.to_string(), "2016-12-31T23:59:60.000Z");
        assert!(leap > Timestamp::parse("2016-12-31T23:59:59.999Z").unwrap());
        let now = "2016-01-01T00:00:00.000Z";
        assert_eq!(
            written("2016-12-31T23:59:60.000Z", now).as_deref(),
            Some("2016-12-31T23:59:60.000Z")
        );
        assert_eq!(
            written("2016-12-31T23:59:60.1234Z", now).as_deref(),
            Some("2016-12-31T23:59:60.124Z")
        );
        assert_eq!(
            written("2016-12-31T23:59:60.9995Z", now).as_deref(),
            Some("2017-01-01T00:00:00.000Z")
        );
        assert_eq!(
            written("2016-12-31T23:59:59.9995Z", now).as_deref(),
            Some("2017-01-01T00:00:00.000Z")
        );
    }

    #[test]
    fn nothing_past_the_year_9999_is_read_or_written() {
        let now = "2026-01-01T00:00:00.000Z";
        assert_eq!(written("9999-12-31T23:59:59.9995Z", now), None);
        assert_eq!(
            written("9999-12-31T23:59:59.999Z", now).as_deref(),
            Some("9999-12-31T23:59:59.999Z")
        );
        assert!(Timestamp::parse("9999-12-31T23:00:00-05:00").is_none());
        assert!(Timestamp::parse("0000-01-01T00:00:00+01:00").is_none());
        assert!(Timestamp::parse("+10000-01-01T00:00:00.000Z").is_none());
        assert!(Timestamp::parse("9999-12-31T23:59:59.999999999Z").is_some());
    }

    fn accepted_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let year = prop_oneof![
            Just(0u32),
            Just(1),
            Just(2016),
            Just(9998),
            Just(9999),
            0u32..=9999
        ];
        let zone = prop_oneof![
            Just("Z".to_string()),
            Just("+00:00".to_string()),
            (0u32..24, 0u32..60, any::<bool>())
                .prop_map(|(h, m, neg)| format!("{}{h:02}:{m:02}", if neg { '-' } else { '+' })),
        ];
        let second = prop_oneof![0u32..60, Just(59), Just(60)];
        let hour = prop_oneof![0u32..24, Just(23)];
        let minute = prop_oneof![0u32..60, Just(59)];
        let month_day = prop_oneof![(1u32..=12, 1u32..=28), Just((12, 31)), Just((1, 1))];
        let fraction = (0usize..=9, any::<u64>()).prop_map(|(digits, v)| {
            if digits == 0 {
                String::new()
            } else {
                let v = v % 10u64.pow(digits as u32);
                let v = if v.is_multiple_of(3) {
                    10u64.pow(digits as u32) - 1
                } else {
                    v
                };
                format!(".{v:0digits$}")
            }
        });
        (year, month_day, hour, minute, second, fraction, zone).prop_map(
            |(y, (mo, d), h, mi, s, frac, zone)| {
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{zone}")
            },
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        #[test]
        fn what_is_read_prints_back_and_the_next_stamp_is_writable(
            prev in accepted_text(),
            now in accepted_text(),
        ) {
            let Some(prev) = Timestamp::parse(&prev) else { return Ok(()) };
            let text = prev.to_string();
            proptest::prop_assert_eq!(Timestamp::parse(&text), Some(prev), "{}", text);
            let Some(now) = Timestamp::parse(&now) else { return Ok(()) };
            let last_writable = Timestamp::parse("9999-12-31T23:59:60.999Z").unwrap();
            match Timestamp::next_written(Some(prev), now.instant()) {
                None => proptest::prop_assert!(prev > Timestamp::parse("9999-12-31T23:59:59.999Z").unwrap()),
                Some(next) => {
                    let written = next.to_string();
                    proptest::prop_assert!(next >= prev, "{} < {}", written, text);
                    proptest::prop_assert!(next <= last_writable.max(now), "{}", written);
                    proptest::prop_assert_eq!(written.len(), 24, "{}", written);
                    let back = Timestamp::parse(&written);
                    proptest::prop_assert_eq!(back, Some(next));
                    proptest::prop_assert_eq!(back.map(|b| b.to_string()), Some(written));
                }
            }
        }
    }
}
