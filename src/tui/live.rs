//! Live updates: what others (and this dashboard) appended reaches the
//! projection, the table and the integrity badge; a log changed other than
//! by an append is read and verified again in the background (`jobs`).
//! `f` freezes the table: nothing is applied meanwhile, only counted.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::Instant;

use super::app::{App, Badge};
use crate::read::index::Refresh;
use crate::read::snapshot::Encoded;

/// Live updates frozen (`f`): the index is not refreshed meanwhile.
#[derive(Debug, Clone, Default)]
pub struct Freeze {
    pub(super) frozen: bool,
    /// Events appended while frozen.
    pub(super) arrived: u64,
    counted_to: u64,
}

impl App {
    /// The table holds still (`f`).
    pub fn frozen(&self) -> bool {
        self.freeze.frozen
    }

    /// Events appended since the table was frozen.
    pub fn arrived_while_frozen(&self) -> u64 {
        self.freeze.arrived
    }

    /// Applies whatever was appended since the last refresh (or, frozen,
    /// only counts it). Errors go to the status line.
    pub fn refresh(&mut self) {
        if self.freeze.frozen {
            self.count_frozen();
            return;
        }
        match self.tower.index_mut().refresh_appends() {
            Ok(refresh) => self.apply_refresh(refresh),
            Err(e) => self.error(format!("cannot read the log: {e}")),
        }
        // Every `snapshot::EVERY_EVENTS` events the snapshot moves on (a
        // reader that may not write it goes on without).
        if let Ok(Some(encoded)) = self.tower.index_mut().snapshot_if_due(false) {
            self.write_snapshot_in_background(encoded);
        }
    }

    /// Writes `encoded` on a thread of its own: tens of MB, synced, while
    /// the dashboard goes on.
    fn write_snapshot_in_background(&mut self, encoded: Encoded) {
        self.finish_snapshot_write();
        self.jobs.snapshot_write = Some(std::thread::spawn(move || {
            let _ = encoded.write();
        }));
    }

    /// Waits for the snapshot being written, if one is (before exiting:
    /// a write cut short would leave its temporary file behind).
    pub fn finish_snapshot_write(&mut self) {
        if let Some(writing) = self.jobs.snapshot_write.take() {
            let _ = writing.join();
        }
    }

    /// Why the database is out of reach, while it is (the header shows
    /// RECONNECTING); `None` on the file store.
    pub fn reconnecting(&self) -> Option<&str> {
        self.reconnecting.as_deref()
    }

    pub fn apply_refresh(&mut self, mut refresh: Refresh) {
        self.note_reconnecting(refresh.reconnecting.take(), refresh.new_lines);
        if let Some(reason) = refresh.reloaded {
            // Everything read so far is void: read it all again, and
            // verify it, on a worker thread; the table stays as it was
            // (and refuses writes) until the fresh reading replaces it.
            self.status.set_banner(format!(
                "LOG RELOADED FROM THE START, verifying it again: {reason} (Esc: dismiss)"
            ));
            self.table.clear_highlights();
            self.leave_travel(Some("time travel ended: the log was read again".into()));
            self.start_verify(Some(reason));
            return;
        }
        if let Some(reason) = refresh.modified
            && self.verifying().is_none()
        {
            self.start_verify(None);
            self.info(format!("{reason}: verifying the whole log again…"));
        }
        if refresh.new_lines == 0 {
            return;
        }
        self.search_touched(&refresh.touched);
        // In time travel the table shows the past: only the latest
        // reachable moment grows.
        if self.travel.is_some() {
            self.travel_catch_up();
        } else {
            self.table
                .apply_touched(self.tower.index().projection(), &refresh.touched);
        }
        // Verifying is O(shipments): on a big log do it at most once a
        // second (the tick), so a busy log never delays its own rows.
        let big = self.tower.index().projection().total_shipments() > 20_000;
        if big && self.integrity.verified_at.elapsed() < std::time::Duration::from_secs(1) {
            self.integrity.stale = true;
        } else {
            self.recompute_integrity();
        }
    }

    /// The store went out of reach, is still out of reach (a new reason
    /// replaces the old one on the status line unless something else was
    /// said since), or is back (`why` is `None`).
    fn note_reconnecting(&mut self, why: Option<String>, read: u64) {
        let said = |why: &str| {
            let why = why.trim_end_matches("; reconnecting");
            format!("RECONNECTING (appends fail until it is back): {why}")
        };
        match (why, self.reconnecting.take()) {
            (Some(why), None) => {
                self.error(said(&why));
                self.reconnecting = Some(why);
            }
            (Some(why), Some(before)) => {
                if self.status().is_some_and(|s| s.text == said(&before)) {
                    self.error(said(&why));
                }
                self.reconnecting = Some(why);
            }
            (None, Some(_)) => {
                let store = self.tower.index().location().describe();
                self.info(format!(
                    "reconnected to {store}: caught up ({read} new event(s) read)"
                ));
            }
            (None, None) => {}
        }
    }

    /// Recomputes the badge if a refresh left it stale.
    pub fn settle_integrity(&mut self) {
        if self.integrity.stale {
            self.recompute_integrity();
        }
    }

    /// The badge and the audit view's findings: computed after a refresh,
    /// never per frame.
    pub(super) fn recompute_integrity(&mut self) {
        let integrity = &mut self.integrity;
        integrity.stale = false;
        integrity.verified_at = Instant::now();
        // Opened from a snapshot and not verified yet: a report of the
        // lines after it would say nothing of the log (the badge says
        // `verifying` until the background check is adopted).
        if self.tower.index().unverified().is_none() {
            integrity.verify = self.tower.index().verify_report();
        }
        integrity.badge = match self.jobs.verifying.as_ref() {
            Some(v) => Badge::Verifying(v.percent),
            None => Badge::of(&integrity.verify),
        };
    }

    /// Counts whole lines appended past what the index has read.
    fn count_frozen(&mut self) {
        let Some(paths) = self.tower.index().location().paths() else {
            return;
        };
        let Ok(file) = File::open(&paths.events) else {
            return;
        };
        let Ok(len) = file.metadata().map(|m| m.len()) else {
            return;
        };
        let freeze = &mut self.freeze;
        let mut pos = freeze.counted_to.max(self.tower.index().progress().0);
        let mut buf = vec![0u8; 64 * 1024];
        while pos < len {
            let want = buf.len().min((len - pos) as usize);
            match file.read_at(&mut buf[..want], pos) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    freeze.arrived += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
                    pos += n as u64;
                }
            }
        }
        freeze.counted_to = pos;
    }

    pub fn toggle_freeze(&mut self) {
        if self.freeze.frozen {
            self.freeze.frozen = false;
            let arrived = std::mem::take(&mut self.freeze.arrived);
            self.refresh();
            self.info(format!(
                "live again: {arrived} event(s) arrived while frozen"
            ));
        } else {
            self.freeze.frozen = true;
            self.freeze.arrived = 0;
            self.freeze.counted_to = self.tower.index().progress().0;
            self.info("frozen: the table holds still; f to resume");
        }
    }

    /// Drops highlights that have had their moment; true if any did.
    pub fn expire_highlights(&mut self, now: Instant) -> bool {
        let status = self.status.expire(now);
        self.table.expire_highlights(now) || status
    }
}
