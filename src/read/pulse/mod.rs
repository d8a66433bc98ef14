//! The pulse of the tower at a moment: events per minute over the last
//! hour, the state counts, lead time from CREATED to DELIVERED per
//! delivery type, dwell per state, throughput by actor, and how many
//! shipments are late, stuck or on hold (`attention`, against the
//! service levels of `levels`). Read from the projection only: what would
//! need the log is kept incrementally by it (`dwell`, `minutes`), so the
//! figures of 125k shipments take milliseconds. The dashboard's pulse
//! view (`p`) and `audit` report the same `PulseFigures`.

pub mod attention;
pub mod dwell;
pub mod levels;
pub mod minutes;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{Actor, EventType, Timestamp};
use crate::read::projection::Projection;
use attention::Counts;
use dwell::DwellStat;
use levels::ServiceLevels;

/// Lead time from CREATED to DELIVERED of one delivery type (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LeadTime {
    pub delivered: u64,
    pub p50_ms: i64,
    pub p90_ms: i64,
    pub max_ms: i64,
    /// Delivered after the type's service level.
    pub delivered_late: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PulseFigures {
    /// The moment the figures are of: the clock, or the moment viewed.
    pub now: Timestamp,
    /// The 60 minutes up to `now`, oldest first.
    pub events_per_minute: Vec<u64>,
    pub state_counts: BTreeMap<EventType, u64>,
    pub lead_time: BTreeMap<String, LeadTime>,
    /// Time spent in each state before the next event (completed stays).
    pub dwell: BTreeMap<EventType, DwellStat>,
    pub throughput_last_hour: BTreeMap<Actor, u64>,
    pub throughput_total: BTreeMap<Actor, u64>,
    #[serde(flatten)]
    pub attention: Counts,
}

/// Nearest-rank percentile `p` (0–100) of `v` (non-empty), which it
/// reorders: a selection, not a sort (125k delivered shipments).
fn percentile(v: &mut [i64], p: u64) -> i64 {
    let rank = (v.len() as u64 * p).div_ceil(100).max(1) as usize;
    *v.select_nth_unstable(rank.min(v.len()) - 1).1
}

/// Lead times of the delivered shipments, per delivery type.
pub fn lead_times(projection: &Projection, levels: &ServiceLevels) -> BTreeMap<String, LeadTime> {
    let mut by_type: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for s in projection.shipments() {
        if s.state == EventType::Delivered {
            let ms = (s.last_updated.instant() - s.created_at.instant()).num_milliseconds();
            by_type
                .entry(&s.details.delivery_type)
                .or_default()
                .push(ms.max(0));
        }
    }
    by_type
        .into_iter()
        .map(|(kind, mut v)| {
            let limit = levels.limit_ms(kind);
            let late = limit.map_or(0, |l| v.iter().filter(|&&ms| ms > l).count());
            let lead = LeadTime {
                delivered: v.len() as u64,
                max_ms: v.iter().max().copied().unwrap_or(0),
                p50_ms: percentile(&mut v, 50),
                p90_ms: percentile(&mut v, 90),
                delivered_late: late as u64,
            };
            (kind.to_string(), lead)
        })
        .collect()
}

/// The figures of `projection` at `now`.
pub fn figures(projection: &Projection, levels: &ServiceLevels, now: Timestamp) -> PulseFigures {
    let actors = projection.actor_counts();
    let hour = projection
        .minutes()
        .last_hour(now, projection.total_events(), actors);
    let by_actor = |counts: &[u64]| -> BTreeMap<Actor, u64> {
        Actor::ALL
            .iter()
            .zip(counts)
            .filter(|(_, n)| **n > 0)
            .map(|(a, n)| (*a, *n))
            .collect()
    };
    PulseFigures {
        now,
        events_per_minute: hour.per_minute.to_vec(),
        state_counts: EventType::ALL
            .iter()
            .map(|&e| (e, projection.state_count(e)))
            .filter(|&(_, n)| n > 0)
            .collect(),
        lead_time: lead_times(projection, levels),
        dwell: EventType::ALL
            .iter()
            .filter_map(|&e| projection.dwell().stat(e).map(|s| (e, s)))
            .collect(),
        throughput_last_hour: by_actor(&hour.per_actor),
        throughput_total: by_actor(actors),
        attention: attention::counts(projection, levels, now),
    }
}
