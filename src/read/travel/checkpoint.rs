//! `Checkpoint`: the projection as it stood after a number of events, kept
//! so that reaching a past moment replays from the nearest one instead of
//! from the start. Compact: the tower-wide counts, how many shipments
//! there were, and the summaries of only those shipments that had more
//! events later (in flight then); every other shipment's summary then is
//! its live one. `Checkpoints` is a bounded set of them. (On-disk
//! snapshots of the projection, issue 12, can keep the same parts.)

use crate::read::projection::{Projection, ShipmentSummary, Tally};

/// The projection after the first `events` events of the log.
#[derive(Debug, Clone, Default)]
pub struct Checkpoint {
    pub events: u64,
    /// Shipments then (a prefix of `Projection::shipments()`).
    pub shipments: usize,
    pub tally: Tally,
    /// (position, summary then) of the shipments whose summary then is
    /// not their live one, by position.
    pub in_flight: Vec<(u32, ShipmentSummary)>,
}

impl Checkpoint {
    /// `past` (after `past.total_events()` events) against the live
    /// projection, whose shipment at `pos` has `live_count(pos)` events.
    pub fn of(past: &Projection, live_count: impl Fn(usize) -> Option<u32>) -> Checkpoint {
        let in_flight = past
            .shipments()
            .iter()
            .enumerate()
            .filter(|(pos, s)| live_count(*pos) != Some(s.event_count))
            .map(|(pos, s)| (pos as u32, *s))
            .collect();
        Checkpoint {
            events: past.total_events(),
            shipments: past.total_shipments(),
            tally: past.tally().clone(),
            in_flight,
        }
    }

    /// The summary then of the shipment at `pos`, if it was in flight.
    pub fn in_flight(&self, pos: usize) -> Option<&ShipmentSummary> {
        let i = self
            .in_flight
            .binary_search_by_key(&(pos as u32), |(p, _)| *p)
            .ok()?;
        Some(&self.in_flight[i].1)
    }
}

/// Checkpoints every `every` events, at most `max` of them: when full, the
/// one whose loss leaves the smallest gap goes, so they stay spread over
/// the log whatever order they were taken in.
#[derive(Debug)]
pub struct Checkpoints {
    every: u64,
    max: usize,
    /// Sorted by `events`.
    kept: Vec<Checkpoint>,
}

impl Checkpoints {
    pub fn new(every: u64, max: usize) -> Checkpoints {
        Checkpoints {
            every: every.max(1),
            max: max.max(1),
            kept: Vec::new(),
        }
    }

    pub fn every(&self) -> u64 {
        self.every
    }

    /// Whether a replay that has just taken in `events` events should keep
    /// a checkpoint here.
    pub fn wants(&self, events: u64) -> bool {
        events > 0 && events.is_multiple_of(self.every) && self.find(events).is_err()
    }

    fn find(&self, events: u64) -> Result<usize, usize> {
        self.kept.binary_search_by_key(&events, |c| c.events)
    }

    pub fn keep(&mut self, checkpoint: Checkpoint) {
        let Err(slot) = self.find(checkpoint.events) else {
            return;
        };
        self.kept.insert(slot, checkpoint);
        if self.kept.len() > self.max {
            // Drop the one closest to the checkpoint before it (0 counts as one).
            let victim = (0..self.kept.len())
                .min_by_key(|&i| {
                    let before = if i == 0 { 0 } else { self.kept[i - 1].events };
                    self.kept[i].events - before
                })
                .unwrap_or(0);
            self.kept.remove(victim);
        }
    }

    /// The latest checkpoint at or before `events`, if any.
    pub fn at_or_before(&self, events: u64) -> Option<&Checkpoint> {
        let after = self.kept.partition_point(|c| c.events <= events);
        after.checked_sub(1).map(|i| &self.kept[i])
    }

    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// Summaries kept in all checkpoints (their memory, roughly).
    pub fn summaries(&self) -> usize {
        self.kept.iter().map(|c| c.in_flight.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_stay_bounded_and_spread() {
        let mut c = Checkpoints::new(10, 3);
        for n in [10, 20, 30, 40, 50] {
            assert!(c.wants(n));
            c.keep(Checkpoint {
                events: n,
                ..Checkpoint::default()
            });
        }
        assert!(!c.wants(15), "only every 10 events");
        assert_eq!(c.len(), 3);
        assert!(!c.wants(50), "already kept");
        assert_eq!(c.at_or_before(55).map(|c| c.events), Some(50));
        assert_eq!(c.at_or_before(5).map(|c| c.events), None);
    }
}
