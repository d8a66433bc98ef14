//! `EventMap`: which shipment's which line each event of the log is, so
//! time travel can find event N's line in the live projection (whose
//! shipments keep their positions and whose line lists only grow) without
//! keeping a copy of every span. Built once from the shipments' spans
//! sorted by offset (log order), and extended the same way as the live
//! projection grows.

use crate::log::lines::LineSpan;
use crate::read::projection::Projection;

#[derive(Debug, Default)]
pub struct EventMap {
    /// Event number - 1 → (position in `Projection::shipments()`, index in
    /// that shipment's `lines`).
    events: Vec<(u32, u32)>,
    /// Per shipment position: how many of its lines are mapped.
    known: Vec<u32>,
}

impl EventMap {
    /// Events mapped: the latest moment time travel can reach.
    pub fn len(&self) -> u64 {
        self.events.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Maps the events `live` took in since the last call.
    pub fn extend(&mut self, live: &Projection) {
        let have = self.len();
        if live.total_events() <= have {
            return;
        }
        let shipments = live.shipments();
        self.known.resize(shipments.len(), 0);
        let mut new: Vec<(u64, u32, u32)> = Vec::new();
        for (pos, s) in shipments.iter().enumerate() {
            if s.last_event_no <= have {
                continue;
            }
            let from = self.known[pos] as usize;
            for (k, span) in s.lines.iter().enumerate().skip(from) {
                new.push((span.offset, pos as u32, k as u32));
            }
            self.known[pos] = s.lines.len() as u32;
        }
        // Offsets (a file's bytes, a database's positions) grow in log order.
        new.sort_unstable_by_key(|&(offset, _, _)| offset);
        self.events
            .extend(new.into_iter().map(|(_, pos, k)| (pos, k)));
    }

    /// Shipment position and line index of event `n` (1-based).
    pub fn get(&self, n: u64) -> Option<(usize, usize)> {
        let &(pos, k) = self.events.get(usize::try_from(n.checked_sub(1)?).ok()?)?;
        Some((pos as usize, k as usize))
    }

    /// Where event `n` (1-based) is.
    pub fn span(&self, live: &Projection, n: u64) -> Option<LineSpan> {
        let (pos, k) = self.get(n)?;
        live.shipments().get(pos)?.lines.get(k).copied()
    }

    /// The event number of the line at `offset` (a binary search: event
    /// offsets grow with their numbers).
    pub fn number_at(&self, live: &Projection, offset: u64) -> u64 {
        let below = self.events.partition_point(|&(pos, k)| {
            live.shipments()
                .get(pos as usize)
                .and_then(|s| s.lines.get(k as usize))
                .is_some_and(|span| span.offset < offset)
        });
        below as u64 + 1
    }
}
