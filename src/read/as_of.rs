//! `--as-of WHEN`: the tower as the log stood at a past moment. WHEN is
//! `event:N` (the state after the first N events), an RFC 3339 time, or a
//! date (its end, UTC). Event lines are in time order (a writer never
//! writes a time earlier than the line before), so "as of T" is the
//! events up to the last one at or before T.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::domain::Timestamp;
use crate::error::{Error, Result};
use crate::log::digest::IndexedEvent;
use crate::text::thousands;

/// A past moment of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// After the first N events.
    Event(u64),
    /// After the last event at or before this time.
    Time(Timestamp),
}

impl FromStr for AsOf {
    type Err = Error;

    /// A date means its end: "as of the 21st" includes all of the 21st.
    fn from_str(text: &str) -> Result<AsOf> {
        AsOf::parse(text, DayEdge::End)
    }
}

/// Which end of a day a bare date names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEdge {
    /// 00:00:00.000 UTC: where a range that starts on that day begins.
    Start,
    /// 23:59:59.999 UTC: the moment after everything of that day.
    End,
}

impl AsOf {
    /// WHEN as `--as-of` and the bounds of `export` read it; a bare date
    /// stands for `edge` of that day.
    pub fn parse(text: &str, edge: DayEdge) -> Result<AsOf> {
        let text = text.trim();
        if let Some(n) = text.strip_prefix("event:") {
            return n.parse().map(AsOf::Event).map_err(|_| bad(text));
        }
        if let Some(t) = Timestamp::parse(text) {
            return Ok(AsOf::Time(t));
        }
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad(text))?;
        let time = match edge {
            DayEdge::Start => date.and_hms_milli_opt(0, 0, 0, 0),
            DayEdge::End => date.and_hms_milli_opt(23, 59, 59, 999),
        };
        let instant = time.ok_or_else(|| bad(text))?.and_utc();
        Ok(AsOf::Time(Timestamp::from_instant_millis(instant)))
    }
}

fn bad(text: &str) -> Error {
    Error::Usage(format!(
        "'{}' is no moment: expected event:N, an RFC 3339 time (2026-01-21T12:05:03Z) or a date (2026-01-21)",
        crate::text::inert(text, 100)
    ))
}

/// Where a reading as of a moment stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Moment {
    /// Events taken in (the answer ends at this event).
    pub events: u64,
    /// Events in the whole log.
    pub total: u64,
    /// The time of the last event taken in.
    pub at: Option<Timestamp>,
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "as of event {} of {}",
            thousands(self.events),
            thousands(self.total)
        )?;
        match self.at {
            Some(at) => write!(f, ", {at}"),
            None => write!(f, " (before the first event)"),
        }
    }
}

/// Decides, event by event in log order, which are taken in.
#[derive(Debug, Clone, Copy)]
pub struct Cutoff {
    as_of: AsOf,
    moment: Moment,
    /// An event past the moment was seen: everything after is left out.
    passed: bool,
}

impl Cutoff {
    pub fn new(as_of: AsOf) -> Cutoff {
        Cutoff {
            as_of,
            moment: Moment::default(),
            passed: false,
        }
    }

    /// Whether `event` (the next in log order) is taken in.
    pub fn admits(&mut self, event: &IndexedEvent) -> bool {
        self.admits_at(event.timestamp)
    }

    /// Whether the next event in log order, written at `timestamp`, is
    /// taken in.
    pub fn admits_at(&mut self, timestamp: Timestamp) -> bool {
        self.moment.total += 1;
        if !self.passed {
            self.passed = match self.as_of {
                AsOf::Event(n) => self.moment.events >= n,
                AsOf::Time(t) => timestamp > t,
            };
        }
        if self.passed {
            return false;
        }
        self.moment.events += 1;
        self.moment.at = Some(timestamp);
        true
    }

    /// Whether an event past the moment was seen (nothing after it is
    /// taken in: a reader may stop).
    pub fn passed(&self) -> bool {
        self.passed
    }

    /// Whether a line that is no event (malformed) still counts: only
    /// before the moment.
    pub fn admits_other(&self) -> bool {
        !self.passed
    }

    pub fn moment(&self) -> Moment {
        self.moment
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_read_as_events_times_and_dates() {
        assert_eq!("event:42".parse::<AsOf>().unwrap(), AsOf::Event(42));
        let AsOf::Time(t) = "2026-01-21".parse::<AsOf>().unwrap() else {
            panic!("a date is a time");
        };
        assert_eq!(t.to_string(), "2026-01-21T23:59:59.999Z");
        assert!(matches!(
            "2026-01-21T12:05:03Z".parse::<AsOf>().unwrap(),
            AsOf::Time(_)
        ));
        for bad in ["event:x", "yesterday", "2026-13-01"] {
            assert!(bad.parse::<AsOf>().is_err(), "{bad}");
        }
        let m = Moment {
            events: 4211,
            total: 1_000_000,
            at: Timestamp::parse("2026-01-21T12:05:03.120Z"),
        };
        assert_eq!(
            m.to_string(),
            "as of event 4,211 of 1,000,000, 2026-01-21T12:05:03.120Z"
        );
    }
}
