//! `Dwell`: how long shipments stayed in each state before their next
//! event ("which step is slow today"), kept incrementally by the
//! projection (`Projection::apply` adds one stay, `undo` takes it back),
//! so the pulse view never scans the log. A sum and a count per state give
//! the exact mean; a log-scale histogram (8 steps per doubling, whole
//! seconds) gives the p90 to within 1/8 (12.5 %). Part of the tally, so
//! time travel's checkpoints keep it (about 12 KB each).

use crate::domain::EventType;

/// Histogram buckets per state: 0…15 s one second each, then 8 per
/// doubling up to 2^35 s (past a thousand years).
const BUCKETS: usize = 16 + 32 * 8;
const STATES: usize = EventType::ALL.len();

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dwell {
    sum_ms: [u64; STATES],
    count: [u64; STATES],
    /// `STATES` rows of `BUCKETS` counts.
    histogram: Vec<u32>,
}

impl Dwell {
    /// Whether it has the shape every method relies on (a snapshot read
    /// from disk is checked before use).
    pub fn is_well_formed(&self) -> bool {
        self.histogram.len() == STATES * BUCKETS
    }
}

impl Default for Dwell {
    fn default() -> Self {
        Dwell {
            sum_ms: [0; STATES],
            count: [0; STATES],
            histogram: vec![0; STATES * BUCKETS],
        }
    }
}

/// One state's stays: how many, the mean and the p90 (milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DwellStat {
    pub count: u64,
    pub mean_ms: u64,
    /// The upper bound of the histogram step holding the 90th percentile.
    pub p90_ms: u64,
}

fn state_index(state: EventType) -> usize {
    EventType::ALL.iter().position(|&e| e == state).unwrap_or(0)
}

/// The bucket of a stay of `ms` milliseconds.
fn bucket(ms: u64) -> usize {
    let s = ms / 1000;
    if s < 16 {
        return s as usize;
    }
    let octave = (63 - s.leading_zeros()).min(35) as usize;
    let sub = ((s >> (octave - 3)) & 7) as usize;
    (16 + (octave - 4) * 8 + sub).min(BUCKETS - 1)
}

/// The upper bound, in milliseconds, of bucket `b`.
fn upper_ms(b: usize) -> u64 {
    if b < 16 {
        return (b as u64 + 1) * 1000;
    }
    let octave = (b - 16) / 8 + 4;
    let sub = ((b - 16) % 8) as u64;
    ((9 + sub) << (octave - 3)) * 1000
}

impl Dwell {
    /// A stay of `ms` in `state` ended (an event came).
    pub fn add(&mut self, state: EventType, ms: u64) {
        let i = state_index(state);
        self.sum_ms[i] += ms;
        self.count[i] += 1;
        self.histogram[i * BUCKETS + bucket(ms)] += 1;
    }

    /// Takes back a stay `add` counted (time travel's step back).
    pub fn remove(&mut self, state: EventType, ms: u64) {
        let i = state_index(state);
        self.sum_ms[i] = self.sum_ms[i].saturating_sub(ms);
        self.count[i] = self.count[i].saturating_sub(1);
        let slot = &mut self.histogram[i * BUCKETS + bucket(ms)];
        *slot = slot.saturating_sub(1);
    }

    /// The stays in `state` so far, if any ended.
    pub fn stat(&self, state: EventType) -> Option<DwellStat> {
        let i = state_index(state);
        let count = self.count[i];
        if count == 0 {
            return None;
        }
        let rank = (count * 9).div_ceil(10);
        let row = &self.histogram[i * BUCKETS..(i + 1) * BUCKETS];
        let mut seen = 0u64;
        let p90 = row
            .iter()
            .position(|&n| {
                seen += u64::from(n);
                seen >= rank
            })
            .unwrap_or(BUCKETS - 1);
        Some(DwellStat {
            count,
            mean_ms: self.sum_ms[i] / count,
            p90_ms: upper_ms(p90),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ordered_and_bound_their_values() {
        let mut last = 0;
        for s in [0u64, 1, 15, 16, 17, 31, 32, 100, 3600, 86_400, 1 << 34] {
            let b = bucket(s * 1000);
            assert!(b >= last, "{s}");
            assert!(upper_ms(b) > s * 1000, "{s}s under its bound");
            assert!(
                upper_ms(b) <= s * 1000 * 9 / 8 + 1000,
                "{s}s bound too loose"
            );
            last = b;
        }
    }

    #[test]
    fn add_then_remove_is_nothing() {
        let mut d = Dwell::default();
        d.add(EventType::Created, 5_000);
        d.add(EventType::Created, 7_000);
        assert_eq!(d.stat(EventType::Created).map(|s| s.mean_ms), Some(6_000));
        d.remove(EventType::Created, 7_000);
        d.remove(EventType::Created, 5_000);
        assert_eq!(d, Dwell::default());
    }
}
