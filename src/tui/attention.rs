//! What needs attention, on the dashboard's side: the service levels
//! (`tower.toml`, scaled down for the demo), the header's late and stuck
//! counts (at most once a second: they scan every shipment), the moment
//! the figures are of (the clock, or the moment time travel shows), and
//! the work lists' action keys, which act on the list's selection.

use std::cell::RefCell;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::app::App;
use super::components::worklist::{ListKind, Source};
use super::keymap::Command;
use crate::domain::{ShipmentId, Timestamp};
use crate::read::pulse::attention::{Counts, counts};
use crate::read::pulse::levels::ServiceLevels;

/// The demo's service levels: an hour is a second (SAME_DAY 12 s,
/// EXPRESS 48 s, STANDARD 120 s, stuck after 6 s). At the demo's 5
/// events/s over 12 shipments in flight a shipment moves about every
/// 2.4 s and is delivered in 15–40 s, so SAME_DAY ones run late and the
/// odd one sits long enough to be stuck while you watch.
pub const DEMO_SCALE: i64 = 3600;

/// How long the header's counts may be reused on a live tower when
/// counting is slow (over `SLOW`).
const COUNTS_FOR: Duration = Duration::from_secs(1);
const SLOW: Duration = Duration::from_millis(2);

/// Two moments within a second: late and stuck move by no more.
fn close(a: Timestamp, b: Timestamp) -> bool {
    (a.instant() - b.instant()).num_milliseconds().abs() < 1000
}

#[derive(Debug, Default)]
pub struct Watch {
    levels: ServiceLevels,
    counts: RefCell<Option<CountsAt>>,
}

/// The header's counts, and what they were counted of, when, how fast.
#[derive(Debug, Clone, Copy)]
struct CountsAt {
    events: u64,
    at: Timestamp,
    when: Instant,
    cost: Duration,
    counts: Counts,
}

impl App {
    /// The service levels of the data directory `dir`; a malformed
    /// `tower.toml` is said on the status line and the defaults apply.
    pub(super) fn load_levels(&mut self, dir: &Path) {
        match ServiceLevels::load(dir) {
            Ok(levels) => self.watch.levels = levels,
            Err(e) => self.error(format!("default service levels in use: {e}")),
        }
    }

    /// The demo's service levels: an hour becomes a second (`DEMO_SCALE`).
    pub fn scale_levels_for_demo(&mut self) {
        let levels = std::mem::take(&mut self.watch.levels);
        self.watch.levels = levels.scaled_down(DEMO_SCALE);
    }

    pub fn levels(&self) -> &ServiceLevels {
        &self.watch.levels
    }

    /// The moment the figures are of: the clock, or in time travel the
    /// moment shown.
    pub fn moment_now(&self, clock: DateTime<Utc>) -> Timestamp {
        match (self.travelling(), self.projection().last_event_time()) {
            (Some(_), Some(at)) => at,
            _ => Timestamp::from_instant_millis(clock),
        }
    }

    /// How many shipments are late, stuck and on hold at the moment shown.
    pub fn attention_counts(&self, clock: DateTime<Utc>) -> Counts {
        let projection = self.projection();
        let now = self.moment_now(clock);
        let past = self.travelling().is_some();
        let key = projection.total_events();
        let mut cached = self.watch.counts.borrow_mut();
        if let Some(c) = *cached {
            let same = c.events == key && (c.at == now || !past && close(c.at, now));
            // A slow count (125k shipments) is redone at most once a second.
            let throttled = !past && c.cost > SLOW && c.when.elapsed() < COUNTS_FOR;
            if same || throttled {
                return c.counts;
            }
        }
        let started = Instant::now();
        let made = counts(projection, &self.watch.levels, now);
        *cached = Some(CountsAt {
            events: key,
            at: now,
            when: Instant::now(),
            cost: started.elapsed(),
            counts: made,
        });
        made
    }

    /// `!` or `m`: opens that list (closing the other).
    pub(super) fn open_list(&mut self, kind: ListKind) {
        if kind == ListKind::Queue && self.role().is_none() {
            self.error("my queue needs a role: this operator may only read");
        }
        self.worklist.open(kind);
    }

    /// `a`/`h`/`o`/`x` in a list: on the list's selected shipment, which
    /// the table selects first (so the action bar and the status line
    /// name it); after `a` the list's cursor moves to the next entry.
    pub(super) fn act_on_list(&mut self, command: Command) {
        let Some(id) = self.worklist.selected() else {
            return self.error("the list is empty: nothing to act on");
        };
        self.jump_to(id);
        if self.table.selected() != Some(id) {
            return;
        }
        let acting = self.acting_role();
        let action = self
            .action_bar
            .command(command, acting, self.selected_summary());
        let appends = matches!(action, Some(super::components::Action::Append(_)));
        if command == Command::Primary && appends {
            self.worklist.advance();
        }
        self.apply(action);
    }

    /// What the open list is built of, at `clock`; `reason_of` reads a
    /// held shipment's reason back from the log.
    pub fn with_list_source<T>(&self, clock: DateTime<Utc>, f: impl FnOnce(&Source<'_>) -> T) -> T {
        let projection = self.projection();
        let index = self.index();
        let reason_of = |id: ShipmentId| hold_reason(index, projection, id);
        let source = Source {
            projection,
            levels: &self.watch.levels,
            role: self.role(),
            now: self.moment_now(clock),
            past: self.travelling().is_some(),
            reason_of: &reason_of,
        };
        f(&source)
    }
}

/// The reason of the hold `id` is in (its last event's `reason`).
fn hold_reason(
    index: &crate::read::index::LogIndex,
    projection: &crate::read::projection::Projection,
    id: ShipmentId,
) -> Option<String> {
    let summary = projection.get(id)?;
    let last = summary.last;
    let bytes = index.read_lines(&[last]).ok()?.pop()?;
    let record = crate::domain::line::parse_line(&bytes).ok()?;
    let event = record.to_event();
    let reason = event.payload.get("reason")?.as_str()?;
    Some(crate::text::inert(reason, 80))
}
