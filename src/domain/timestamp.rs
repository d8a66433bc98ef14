//! `Timestamp`: an instant in UTC that remembers how many fraction digits it
//! was written with, so logs written by other tools (microseconds) read back
//! and print exactly as written, while this project writes milliseconds.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, SubsecRound, Utc};
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

    /// Parses any RFC 3339 timestamp; the instant is kept in UTC.
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
        Some(Timestamp {
            instant,
            fraction_digits,
        })
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
        use chrono::{Datelike, Timelike};
        let (date, time) = (self.instant.date_naive(), self.instant.time());
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
            put(17, 2, time.second());
            f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)?;
        }
        if self.fraction_digits > 0 {
            let digits = u32::from(self.fraction_digits);
            let fraction = self.instant.timestamp_subsec_nanos() / 10u32.pow(9 - digits);
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
}
