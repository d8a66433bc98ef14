//! `App`: everything the dashboard knows and every way it changes. No
//! drawing here (that is `views`) and no terminal I/O (that is
//! `event_loop`). Writes go through the store in `actions.rs`; this file
//! keeps the projection, the visible row order, the selection, the modes.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use ratatui::layout::Rect;

use super::form::NewShipmentForm;
use super::jobs::Jobs;
use super::keymap::{Context, STATE_KEYS};
use super::rows::{RowFilter, RowOrder, SortSpec};
use crate::domain::{Actor, Event, EventType, ShipmentId};
use crate::error::Result;
use crate::log::files::LogPaths;
use crate::read::Log;
use crate::read::index::{LogIndex, Refresh};
use crate::read::projection::ShipmentSummary;
use crate::read::verify::VerifyReport;
use crate::store::policy::Policy;

/// How long a row that just changed stays highlighted.
pub const HIGHLIGHT_FOR: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Table,
    History,
}

/// A hold, override or cancel waiting for its reason and its `y`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonPrompt {
    pub event: EventType,
    pub id: ShipmentId,
    /// The seq the operator saw when they pressed the key.
    pub seq: u32,
    pub state: EventType,
    pub reason: String,
    pub confirming: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    Filter,
    Jump(String),
    Reason(ReasonPrompt),
    Form(NewShipmentForm),
    Help { scroll: usize },
    Audit { cursor: usize },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// The integrity verdict shown in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Badge {
    Valid,
    Warnings(usize),
    Corrupted(usize),
    /// The whole log is being read and verified again (percent done).
    Verifying(u8),
    /// The last attempt to verify it again failed.
    Unverified,
}

impl Badge {
    fn of(report: &VerifyReport) -> Badge {
        if !report.valid {
            Badge::Corrupted(report.errors.len())
        } else if !report.warnings.is_empty() {
            Badge::Warnings(report.warnings.len())
        } else {
            Badge::Valid
        }
    }
}

/// The selected shipment's events, read back from the file.
#[derive(Debug, Clone)]
pub struct HistoryView {
    pub id: ShipmentId,
    pub event_count: u32,
    pub events: std::result::Result<Vec<Event>, String>,
}

/// Screen areas the last frame drew, for mouse clicks.
#[derive(Debug, Clone, Default)]
pub struct HitAreas {
    pub strip: Vec<(Rect, Option<EventType>)>,
    /// The table body (rows only) and the first row it shows.
    pub table_body: Rect,
}

pub struct AppOptions {
    pub paths: LogPaths,
    pub operator: String,
    pub role: Option<Actor>,
}

pub struct App {
    /// The store, deciding on this dashboard's projection: the one model
    /// of the log that the views read and the appends are checked against.
    pub(super) log: Log,
    /// Why this dashboard cannot write, when it cannot.
    pub read_only: Option<String>,
    pub operator: String,
    pub policy: Option<Policy>,
    /// Roles this operator may take (every role without a policy).
    pub roles: Vec<Actor>,
    pub role_index: usize,
    pub rows: RowOrder,
    pub filter: RowFilter,
    pub sort: SortSpec,
    pub selected: Option<ShipmentId>,
    pub cursor: usize,
    pub focus: Focus,
    pub mode: Mode,
    /// Live updates frozen: the index is not refreshed meanwhile.
    pub frozen: bool,
    /// Events appended while frozen.
    pub arrived_while_frozen: u64,
    freeze_counted_to: u64,
    pub verify: VerifyReport,
    integrity_stale: bool,
    verified_at: Instant,
    pub badge: Badge,
    pub status: Option<Status>,
    /// Loud, until Esc: the log was replaced or shrank.
    pub banner: Option<String>,
    pub recent: HashMap<ShipmentId, Instant>,
    pub history: Option<HistoryView>,
    pub history_scroll: usize,
    pub watcher_fallback: Option<String>,
    /// A demo's simulator is appending in the background.
    pub demo: bool,
    /// How long an append waits for the writers' lock (`--lock-timeout`;
    /// `None`: the store's default).
    pub lock_timeout: Option<std::time::Duration>,
    pub quit: bool,
    /// First table row on screen and rows per page, kept by the table view.
    pub offset: Cell<usize>,
    pub page: Cell<usize>,
    pub hits: RefCell<HitAreas>,
    /// Background work: re-verification and the append in flight.
    pub(super) jobs: Jobs,
}

impl App {
    /// A dashboard on `options.paths`, before the log is read (`load_step`).
    pub fn new(options: AppOptions) -> App {
        let AppOptions {
            paths,
            operator,
            role,
        } = options;
        let log = Log::open_or_read_only(&paths, &operator, LogIndex::new(&paths));
        let mut read_only = log.read_only().map(|e| format!("read-only: {e}"));
        let policy = match Policy::load_for(&paths) {
            Ok(p) => p,
            Err(e) => {
                read_only.get_or_insert_with(|| format!("read-only: {e}"));
                None
            }
        };
        let roles: Vec<Actor> = match &policy {
            // Only what this account may do as that operator: the core
            // refuses the rest anyway, so offering it would only mislead.
            Some(p) => p
                .roles_for(&crate::store::account::os_account(), &operator)
                .to_vec(),
            None => Actor::ALL.to_vec(),
        };
        let mut status = None;
        let role_index = match role {
            Some(r) => roles.iter().position(|&x| x == r).unwrap_or_else(|| {
                status = Some(Status {
                    text: format!("the role policy does not let {operator} act as {r}"),
                    error: true,
                });
                0
            }),
            None => roles.iter().position(|&x| x == Actor::Sender).unwrap_or(0),
        };
        let verify = log.index().verify_report();
        App {
            log,
            read_only,
            operator,
            policy,
            roles,
            role_index,
            rows: RowOrder::default(),
            filter: RowFilter::default(),
            sort: SortSpec::default(),
            selected: None,
            cursor: 0,
            focus: Focus::Table,
            mode: Mode::Normal,
            frozen: false,
            arrived_while_frozen: 0,
            freeze_counted_to: 0,
            badge: Badge::of(&verify),
            integrity_stale: false,
            verified_at: Instant::now(),
            verify,
            status,
            banner: None,
            recent: HashMap::new(),
            history: None,
            history_scroll: 0,
            watcher_fallback: None,
            demo: false,
            lock_timeout: None,
            quit: false,
            offset: Cell::new(0),
            page: Cell::new(10),
            hits: RefCell::new(HitAreas::default()),
            jobs: Jobs::default(),
        }
    }

    /// Reads up to `max_bytes` more of the log; true while more remain.
    pub fn load_step(&mut self, max_bytes: u64) -> Result<bool> {
        let refresh = self.log.state_mut().refresh_at_most(max_bytes)?;
        Ok(refresh.more)
    }

    /// After the initial load: the table, the badge, the first selection.
    pub fn finish_load(&mut self) {
        self.rebuild_rows();
        self.recompute_integrity();
        self.sync_history();
    }

    /// The projection the views read.
    pub fn index(&self) -> &LogIndex {
        self.log.index()
    }

    /// The role acting now; `None` when the operator may only read.
    pub fn role(&self) -> Option<Actor> {
        self.roles.get(self.role_index).copied()
    }

    pub fn selected_summary(&self) -> Option<&ShipmentSummary> {
        self.selected.and_then(|id| self.log.index().summary(id))
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
        });
    }

    /// Which bindings apply now.
    pub fn context(&self) -> Context {
        match &self.mode {
            Mode::Normal => Context::Normal,
            Mode::Filter | Mode::Jump(_) => Context::TextInput,
            Mode::Reason(p) if p.confirming => Context::Confirm,
            Mode::Reason(_) => Context::TextInput,
            Mode::Form(_) => Context::Form,
            Mode::Help { .. } => Context::Help,
            Mode::Audit { .. } => Context::Audit,
        }
    }

    // ---- live updates ------------------------------------------------

    /// Applies whatever was appended since the last refresh (or, frozen,
    /// only counts it). Errors go to the status line.
    pub fn refresh(&mut self) {
        if self.frozen {
            self.count_frozen();
            return;
        }
        match self.log.state_mut().refresh_appends() {
            Ok(refresh) => self.apply_refresh(refresh),
            Err(e) => self.error(format!("cannot read the log: {e}")),
        }
    }

    pub fn apply_refresh(&mut self, refresh: Refresh) {
        if let Some(reason) = refresh.reloaded {
            // Everything read so far is void: read it all again, and
            // verify it, on a worker thread; the table stays as it was
            // (and refuses writes) until the fresh reading replaces it.
            self.banner = Some(format!(
                "LOG RELOADED FROM THE START, verifying it again: {reason} (Esc: dismiss)"
            ));
            self.recent.clear();
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
        let now = Instant::now();
        for id in &refresh.touched {
            self.recent.insert(*id, now);
        }
        self.rows.apply_touched(
            self.log.index().projection(),
            &refresh.touched,
            &self.filter,
            self.sort,
        );
        self.reselect();
        // Verifying is O(shipments): on a big log do it at most once a
        // second (the tick), so a busy log never delays its own rows.
        let big = self.log.index().projection().total_shipments() > 20_000;
        if big && self.verified_at.elapsed() < std::time::Duration::from_secs(1) {
            self.integrity_stale = true;
        } else {
            self.recompute_integrity();
        }
    }

    /// Recomputes the badge if a refresh left it stale.
    pub fn settle_integrity(&mut self) {
        if self.integrity_stale {
            self.recompute_integrity();
        }
    }

    /// The badge and the audit view's findings: computed after a refresh,
    /// never per frame.
    pub(super) fn recompute_integrity(&mut self) {
        self.integrity_stale = false;
        self.verified_at = Instant::now();
        self.verify = self.log.index().verify_report();
        self.badge = match self.jobs.verifying.as_ref() {
            Some(v) => Badge::Verifying(v.percent),
            None => Badge::of(&self.verify),
        };
    }

    /// Counts whole lines appended past what the index has read.
    fn count_frozen(&mut self) {
        let path = &self.log.index().paths().events;
        let Ok(file) = File::open(path) else { return };
        let Ok(len) = file.metadata().map(|m| m.len()) else {
            return;
        };
        let mut pos = self.freeze_counted_to.max(self.log.index().progress().0);
        let mut buf = vec![0u8; 64 * 1024];
        while pos < len {
            let want = buf.len().min((len - pos) as usize);
            match file.read_at(&mut buf[..want], pos) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    self.arrived_while_frozen +=
                        memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
                    pos += n as u64;
                }
            }
        }
        self.freeze_counted_to = pos;
    }

    pub fn toggle_freeze(&mut self) {
        if self.frozen {
            self.frozen = false;
            let arrived = self.arrived_while_frozen;
            self.arrived_while_frozen = 0;
            self.refresh();
            self.info(format!(
                "live again: {arrived} event(s) arrived while frozen"
            ));
        } else {
            self.frozen = true;
            self.arrived_while_frozen = 0;
            self.freeze_counted_to = self.log.index().progress().0;
            self.info("frozen: the table holds still; f to resume");
        }
    }

    /// Drops highlights that have had their moment; true if any did.
    pub fn expire_highlights(&mut self, now: Instant) -> bool {
        let before = self.recent.len();
        self.recent
            .retain(|_, t| now.duration_since(*t) < HIGHLIGHT_FOR);
        before != self.recent.len()
    }

    // ---- rows and selection -------------------------------------------

    pub fn rebuild_rows(&mut self) {
        self.rows
            .rebuild(self.log.index().projection(), &self.filter, self.sort);
        self.reselect();
    }

    /// Keeps the selected shipment selected wherever its row went; if it
    /// left the table, selects whatever is now at the cursor.
    pub fn reselect(&mut self) {
        let projection = self.log.index().projection();
        let found = self
            .selected
            .and_then(|id| projection.position(id))
            .and_then(|p| self.rows.row_of(p));
        match found {
            Some(row) => self.cursor = row,
            None => {
                self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
                self.selected = self.id_at(self.cursor);
            }
        }
    }

    fn id_at(&self, row: usize) -> Option<ShipmentId> {
        let position = self.rows.get(row)?;
        self.log
            .index()
            .projection()
            .shipments()
            .get(position)
            .map(|s| s.id)
    }

    pub fn select_row(&mut self, row: usize) {
        if self.rows.is_empty() {
            return;
        }
        self.cursor = row.min(self.rows.len() - 1);
        self.selected = self.id_at(self.cursor);
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        if self.focus == Focus::History {
            self.history_scroll = self.history_scroll.saturating_add_signed(delta);
            return;
        }
        self.select_row(self.cursor.saturating_add_signed(delta));
    }

    /// Selects `id`, clearing the filter if it hides the shipment.
    pub fn jump_to(&mut self, id: ShipmentId) {
        let Some(position) = self.log.index().projection().position(id) else {
            self.error(format!("{id} does not exist: no event in the log names it"));
            return;
        };
        if self.rows.row_of(position).is_none() {
            self.filter = RowFilter::default();
            self.rebuild_rows();
            self.info(format!("filter cleared to show {id}"));
        }
        if let Some(row) = self.rows.row_of(position) {
            self.cursor = row;
            self.selected = Some(id);
        }
    }

    pub(super) fn set_state_filter(&mut self, key: char) {
        let Some(i) = STATE_KEYS.iter().position(|&k| k == key) else {
            return;
        };
        let state = EventType::ALL[i];
        self.filter.state = if self.filter.state == Some(state) {
            None
        } else {
            Some(state)
        };
        self.rebuild_rows();
    }

    /// A click on the state strip toggles that state.
    pub fn click_state(&mut self, state: Option<EventType>) {
        self.filter.state = if state == self.filter.state {
            None
        } else {
            state
        };
        self.rebuild_rows();
    }

    /// Reads the selected shipment's history when it changed.
    pub fn sync_history(&mut self) {
        let Some(summary) = self.selected_summary() else {
            self.history = None;
            return;
        };
        let (id, count) = (summary.id, summary.event_count);
        if self
            .history
            .as_ref()
            .is_some_and(|h| h.id == id && h.event_count == count)
        {
            return;
        }
        if self.history.as_ref().is_none_or(|h| h.id != id) {
            self.history_scroll = 0;
        }
        let events = self.log.index().history(id).map_err(|e| e.to_string());
        self.history = Some(HistoryView {
            id,
            event_count: count,
            events,
        });
    }
}
