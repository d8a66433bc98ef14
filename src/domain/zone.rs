//! The time zone people read times in: `TZ` (the system zone), a named
//! IANA zone (`--tz Asia/Kolkata`) or UTC (`--utc`). Only what is shown to
//! people goes through it; the log, JSON and exports stay UTC. Every time
//! it formats names its zone (`20:21:38 IST`), so a time is never read
//! five and a half hours off. Offsets come from the tz database (jiff),
//! never from hand-rolled arithmetic.

use std::fmt;

use chrono::{DateTime, Utc};
use jiff::tz::TimeZone;

/// A zone to show times in.
#[derive(Clone)]
pub struct Zone {
    tz: TimeZone,
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Zone").field(&self.name()).finish()
    }
}

impl Default for Zone {
    fn default() -> Zone {
        Zone::utc()
    }
}

impl Zone {
    pub fn utc() -> Zone {
        Zone { tz: TimeZone::UTC }
    }

    /// The zone `TZ` names, else the system's (`/etc/localtime`); UTC when
    /// neither can be read.
    pub fn system() -> Zone {
        Zone {
            tz: TimeZone::try_system().unwrap_or(TimeZone::UTC),
        }
    }

    /// An IANA zone by name (`Asia/Kolkata`, `Europe/London`, `UTC`); the
    /// error says which name was not found.
    pub fn named(name: &str) -> Result<Zone, String> {
        TimeZone::get(name.trim())
            .map(|tz| Zone { tz })
            .map_err(|e| {
                format!(
                    "unknown time zone {name:?} (an IANA name such as Asia/Kolkata or UTC): {e}"
                )
            })
    }

    /// The zone a command asked for: `--utc`, else `--tz`, else the system's.
    pub fn choose(tz: Option<&str>, utc: bool) -> Result<Zone, String> {
        match (utc, tz) {
            (true, _) => Ok(Zone::utc()),
            (false, Some(name)) => Zone::named(name),
            (false, None) => Ok(Zone::system()),
        }
    }

    /// The zone's IANA name when it has one (`Asia/Kolkata`), else `local`.
    pub fn name(&self) -> &str {
        self.tz.iana_name().unwrap_or("local")
    }

    pub fn is_utc(&self) -> bool {
        self.tz == TimeZone::UTC || matches!(self.tz.iana_name(), Some("UTC" | "Etc/UTC"))
    }

    fn format(&self, t: DateTime<Utc>, pattern: &str) -> String {
        let nanos = i128::from(t.timestamp()) * 1_000_000_000
            + i128::from(t.timestamp_subsec_nanos() % 1_000_000_000);
        match jiff::Timestamp::from_nanosecond(nanos) {
            Ok(ts) => ts
                .to_zoned_datetime(self.tz.clone())
                .strftime(pattern)
                .to_string(),
            // Outside jiff's range (years past 9999 are refused at the
            // door, so this is only ever a corrupt read): show it as UTC.
            Err(_) => t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        }
    }

    /// `20:21:38 IST`.
    pub fn time(&self, t: DateTime<Utc>) -> String {
        self.format(t, "%H:%M:%S %Z")
    }

    /// `2026-01-21 20:21:38 IST`.
    pub fn date_time(&self, t: DateTime<Utc>) -> String {
        self.format(t, "%Y-%m-%d %H:%M:%S %Z")
    }

    /// `2026-01-21 20:21:38.120 IST`: what the CLI's tables print.
    pub fn date_time_ms(&self, t: DateTime<Utc>) -> String {
        self.format(t, "%Y-%m-%d %H:%M:%S%.3f %Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 21, 14, 51, 38)
            .single()
            .unwrap_or_default()
            + chrono::Duration::milliseconds(120)
    }

    #[test]
    fn kolkata_is_five_and_a_half_hours_ahead_and_named() {
        let zone = Zone::named("Asia/Kolkata").unwrap();
        assert_eq!(zone.time(at()), "20:21:38 IST");
        assert_eq!(zone.date_time_ms(at()), "2026-01-21 20:21:38.120 IST");
        assert_eq!(zone.name(), "Asia/Kolkata");
    }

    #[test]
    fn utc_is_named_too() {
        let zone = Zone::choose(Some("Asia/Kolkata"), true).unwrap();
        assert!(zone.is_utc());
        assert_eq!(zone.date_time(at()), "2026-01-21 14:51:38 UTC");
    }

    #[test]
    fn a_bad_zone_names_itself() {
        let err = Zone::named("Mars/Olympus").unwrap_err();
        assert!(err.contains("Mars/Olympus"), "{err}");
    }
}
