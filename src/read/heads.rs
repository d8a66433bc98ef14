//! Heads: checkpoints that prove a prefix. A head is `N:HASH`, the number
//! of events in the log and the SHA-256 of the Nth event's line. Because
//! every line carries the hash of the line before it, a log whose Nth event
//! still hashes to HASH, with the chain unbroken up to it, still holds
//! exactly the N events the head was taken on; whatever was appended since
//! does not matter. Kept somewhere the log's writers cannot reach (a
//! ticket, an email, another machine), a head lets an auditor prove later
//! that nobody rewrote that history.

use std::fmt;
use std::str::FromStr;

use crate::domain::line::{GENESIS_HASH, LineHash, hash_hex, parse_hash};
use crate::error::{Error, Result};
use crate::log::digest::IndexedLine;
use crate::store::{Feed, Location, Position};

/// `N:HASH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub events: u64,
    pub hash: LineHash,
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.events, hash_hex(&self.hash))
    }
}

impl FromStr for Head {
    type Err = Error;

    fn from_str(text: &str) -> Result<Head> {
        let bad = || {
            Error::Usage(format!(
                "'{}' is not a head: expected N:HASH (an event count, a colon, 64 hex digits), as `audit` prints it",
                crate::text::inert(text, 100)
            ))
        };
        let (events, hash) = text.trim().split_once(':').ok_or_else(bad)?;
        let events: u64 = events.parse().map_err(|_| bad())?;
        let hash = parse_hash(hash).ok_or_else(bad)?;
        if events == 0 && hash != GENESIS_HASH {
            return Err(bad());
        }
        Ok(Head { events, hash })
    }
}

/// What checking a head found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadCheck {
    /// The log still begins with exactly those events.
    Holds,
    /// It does not: the first line found to differ, and how.
    Differs { line: u64, why: String },
    /// The log holds fewer events than the head.
    Shorter { events: u64 },
}

/// Reads the log from its start until event `head.events` and checks it.
pub fn check(location: &Location, head: &Head) -> Result<HeadCheck> {
    if head.events == 0 {
        return Ok(HeadCheck::Holds);
    }
    let mut feed = location.subscribe(Position::START)?;
    let mut walk = Walk::default();
    loop {
        let polled = feed.poll(4 << 20, &mut |item| {
            if let Feed::Line(IndexedLine::Event(event)) = item {
                walk.event(event.line_no, event.prev_hash, event.hash, head);
            }
        })?;
        if let Some(found) = walk.found.take() {
            return Ok(found);
        }
        if polled.reset.is_some() {
            walk = Walk::default(); // the log was replaced while read: again
            continue;
        }
        if !polled.more {
            return Ok(HeadCheck::Shorter {
                events: walk.events,
            });
        }
    }
}

/// The walk along the chain up to the head's event.
#[derive(Default)]
struct Walk {
    events: u64,
    last: Option<LineHash>,
    found: Option<HeadCheck>,
}

impl Walk {
    fn event(&mut self, line: u64, prev: Option<LineHash>, hash: LineHash, head: &Head) {
        if self.found.is_some() {
            return;
        }
        self.events += 1;
        let expected = self.last.unwrap_or(GENESIS_HASH);
        if prev.is_some_and(|prev| prev != expected) {
            self.found = Some(HeadCheck::Differs {
                line,
                why: "its prev_hash is not the hash of the event line before it: a line before it was changed, removed or moved".into(),
            });
            return;
        }
        self.last = Some(hash);
        if self.events == head.events {
            self.found = Some(if hash == head.hash {
                HeadCheck::Holds
            } else {
                HeadCheck::Differs {
                    line,
                    why: format!(
                        "event {} is not the one the head recorded (its line hashes to {})",
                        head.events,
                        hash_hex(&hash)
                    ),
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_read_and_print_as_n_colon_hash() {
        let text = format!("42:{}", "ab".repeat(32));
        let head: Head = text.parse().unwrap();
        assert_eq!(head.events, 42);
        assert_eq!(head.to_string(), text);
        for bad in ["42", "x:ab", "42:abc", &format!("0:{}", "ab".repeat(32))] {
            assert!(bad.parse::<Head>().is_err(), "{bad}");
        }
        assert!(format!("0:{}", "0".repeat(64)).parse::<Head>().is_ok());
    }
}
