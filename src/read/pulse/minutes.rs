//! `Minutes`: where each minute of the log begins: for every minute that
//! holds an event, how many events (and how many per actor) came before
//! it. Events per minute over the last hour and throughput by actor over
//! it are differences of these marks, so the pulse view reads ~60 marks
//! instead of the log. Lines are in time order (a writer never stamps a
//! line earlier than the one before; an older tool's line that is earlier
//! counts in the minute already open). The marks after N events are a
//! prefix of the live ones, so time travel cuts the live list instead of
//! keeping them in its checkpoints (`Projection::minutes_from`).

use crate::domain::{Actor, Timestamp};

const ACTORS: usize = Actor::ALL.len();

/// The first event of a minute.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MinuteMark {
    /// Minutes since the Unix epoch.
    pub minute: i64,
    /// Events before this minute's first one.
    pub events_before: u64,
    /// Events per actor (in `Actor::ALL` order) before it.
    pub actors_before: [u64; ACTORS],
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Minutes {
    marks: Vec<MinuteMark>,
}

/// Events in the hour ending at a moment: per minute (oldest first, the
/// moment's own minute last) and per actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastHour {
    pub per_minute: [u64; 60],
    pub per_actor: [u64; ACTORS],
}

pub fn minute_of(t: Timestamp) -> i64 {
    t.instant().timestamp_millis().div_euclid(60_000)
}

impl Minutes {
    /// An event at `t` comes after `events_before` events with these
    /// per-actor counts.
    pub fn note(&mut self, t: Timestamp, events_before: u64, actors_before: &[u64; ACTORS]) {
        let minute = minute_of(t);
        if self.marks.last().is_some_and(|m| m.minute >= minute) {
            return;
        }
        self.marks.push(MinuteMark {
            minute,
            events_before,
            actors_before: *actors_before,
        });
    }

    /// Event number `events_before + 1` was taken back.
    pub fn undo(&mut self, events_before: u64) {
        if self
            .marks
            .last()
            .is_some_and(|m| m.events_before >= events_before)
        {
            self.marks.pop();
        }
    }

    /// The marks of the first `events` events of `live` (a prefix).
    pub fn prefix_of(live: &Minutes, events: u64) -> Minutes {
        let n = live.marks.partition_point(|m| m.events_before < events);
        Minutes {
            marks: live.marks[..n].to_vec(),
        }
    }

    pub fn marks(&self) -> &[MinuteMark] {
        &self.marks
    }

    /// Whether these could be the marks of `total` events (a snapshot
    /// read from disk is checked before use): minutes increasing, counts
    /// before them growing and within `total`.
    pub fn is_well_formed(&self, total: u64) -> bool {
        let ordered = self
            .marks
            .windows(2)
            .all(|w| w[0].minute < w[1].minute && w[0].events_before <= w[1].events_before);
        ordered
            && self
                .marks
                .last()
                .is_none_or(|m| m.events_before < total.max(1))
    }

    /// The hour up to `now`, after `total` events with `actors` per actor.
    pub fn last_hour(&self, now: Timestamp, total: u64, actors: &[u64; ACTORS]) -> LastHour {
        let end = minute_of(now);
        let start = end - 59;
        let mut per_minute = [0u64; 60];
        let mut per_actor = [0u64; ACTORS];
        // Marks from the window's first minute on (the list is sorted).
        let from = self.marks.partition_point(|m| m.minute < start);
        let marks = &self.marks[from..];
        for (k, mark) in marks.iter().enumerate() {
            if mark.minute > end {
                break;
            }
            let next = marks
                .get(k + 1)
                .filter(|m| m.minute <= end)
                .map_or(total, |m| m.events_before);
            let slot = usize::try_from(mark.minute - start).ok();
            if let Some(slot) = slot.and_then(|i| per_minute.get_mut(i)) {
                *slot = next.saturating_sub(mark.events_before);
            }
        }
        if let Some(first) = marks.first().filter(|m| m.minute <= end) {
            // Counts at the end of the window: `actors` unless marks lie
            // beyond `now` (a moment before the latest event).
            let after = marks.iter().find(|m| m.minute > end);
            let at_end = after.map_or(actors, |m| &m.actors_before);
            for (i, slot) in per_actor.iter_mut().enumerate() {
                *slot = at_end[i].saturating_sub(first.actors_before[i]);
            }
        }
        LastHour {
            per_minute,
            per_actor,
        }
    }
}
