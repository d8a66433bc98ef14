//! `App`: what the dashboard's parts share, and the routing between them.
//! It holds the log (the store and its projection), who is acting
//! (`access`), the background work (`jobs`), the integrity verdict, the
//! freeze, and the components (`components/`), each owning its own state,
//! drawing and keys. A key goes to the component that has it (`input.rs`);
//! what the component asks for comes back as an `Action`, applied in one
//! place (`App::apply`), where `Action::Append` is the only write. No
//! drawing here (that is `views` and the components) and no terminal I/O
//! (that is `event_loop`). Live updates are in `live.rs`.

use std::time::Instant;

use super::access::Access;
use super::components::{
    ActionBar, Audit, Batch, Form, Help, History, Jump, Reason, Status, StatusLine, Table,
};
use super::jobs::Jobs;
use super::keymap::{Command, Context};
use super::live::Freeze;
use super::tower::Tower;
use crate::domain::{Actor, ShipmentId};
use crate::error::Result;
use crate::log::files::LogPaths;
use crate::read::index::LogIndex;
use crate::read::projection::ShipmentSummary;
use crate::read::resume::Opened;
use crate::read::verify::VerifyReport;

pub use super::components::Focus;
use super::components::form::NewShipmentForm;

/// Which part has the keys (derived from which component is open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter,
    Jump,
    Reason,
    Form,
    Help,
    Audit,
    /// A batch action's question, or its summary.
    Batch,
    Pulse,
    /// The attention list or my queue.
    List,
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
    pub(super) fn of(report: &VerifyReport) -> Badge {
        if !report.valid {
            Badge::Corrupted(report.errors.len())
        } else if !report.warnings.is_empty() {
            Badge::Warnings(report.warnings.len())
        } else {
            Badge::Valid
        }
    }
}

/// The verifier's report and the badge made of it, computed after a
/// refresh, never per frame.
pub(super) struct Integrity {
    pub(super) verify: VerifyReport,
    /// A refresh skipped the recomputation (big log, busy second).
    pub(super) stale: bool,
    pub(super) verified_at: Instant,
    pub(super) badge: Badge,
}

pub struct AppOptions {
    pub paths: LogPaths,
    pub operator: String,
    pub role: Option<Actor>,
}

pub struct App {
    /// The store and this dashboard's projection: the one model of the
    /// log that the views read and the appends are checked against.
    pub(super) tower: Tower,
    /// Time travel (`t`): the past projection the views show meanwhile.
    pub(super) travel: Option<crate::read::travel::Travel>,
    pub(super) access: Access,
    pub(super) integrity: Integrity,
    pub(super) freeze: Freeze,
    /// Background work: re-verification and the append in flight.
    pub(super) jobs: Jobs,
    /// Table or history, in the normal view.
    pub(super) focus: Focus,
    pub(super) table: Table,
    /// The search records' build (`tui::search`).
    pub(super) searching: super::search::Searching,
    pub(super) history: History,
    pub(super) action_bar: ActionBar,
    pub(super) reason: Reason,
    pub(super) batch: Batch,
    /// The last action key, the shipment it was for, and when: a repeat
    /// within `REPEAT_GUARD` on another shipment is ignored (`acting.rs`).
    pub(super) last_press: Option<(Command, ShipmentId, Instant)>,
    /// When the key being handled was pressed.
    pub(super) key_at: Instant,
    pub(super) form: Form,
    pub(super) jump: Jump,
    pub(super) audit: Audit,
    pub(super) help: Help,
    pub(super) pulse: super::components::Pulse,
    pub(super) worklist: super::components::Worklist,
    /// Service levels (`tower.toml`) and the header's late/stuck counts.
    pub(super) watch: super::attention::Watch,
    pub(super) status: StatusLine,
    /// Why the log watcher fell back to polling, if it did.
    pub(super) watcher_fallback: Option<String>,
    /// The database is out of reach (why): the header says RECONNECTING
    /// until a poll succeeds again. Always `None` on the file store.
    pub(super) reconnecting: Option<String>,
    /// A demo's simulator is appending in the background.
    pub demo: bool,
    /// How long an append waits for the writers' lock (`--lock-timeout`;
    /// `None`: the store's default).
    pub lock_timeout: Option<std::time::Duration>,
    /// The zone times are shown in (`--tz`, `--utc`, `TZ`); UTC until set.
    pub zone: crate::domain::Zone,
    /// Ctrl-L: the event loop clears the terminal before the next frame.
    pub repaint: bool,
    pub(super) quit: bool,
}

impl App {
    /// A dashboard on the file log in `options.paths`, before the log is
    /// read (`load_step`).
    pub fn new(options: AppOptions) -> App {
        let AppOptions {
            paths,
            operator,
            role,
        } = options;
        let who = crate::store::Who {
            operator: operator.clone(),
            named: None,
        };
        // From the projection snapshot when one matches the log.
        let location = crate::store::Location::File(paths.clone());
        let index = LogIndex::prepare(&location).map_or_else(|_| LogIndex::new(&paths), |(i, _)| i);
        let tower = Tower::File(Box::new(crate::read::Log::open_or_read_only(
            &paths,
            &who.operator,
            index,
        )));
        let mut app = App::on(tower, operator, role);
        app.load_levels(&paths.dir);
        app
    }

    /// A dashboard on `tower`, before the log is read (`load_step`).
    pub fn on(tower: Tower, operator: String, role: Option<Actor>) -> App {
        let read_only = tower.read_only().map(|e| {
            if e.starts_with("read-only") {
                e
            } else {
                format!("read-only: {e}")
            }
        });
        let (access, refused) = Access::new(operator, role, read_only, tower.grants());
        let mut status = StatusLine::default();
        if let Some(text) = refused {
            status.error(text);
        }
        let verify = tower.index().verify_report();
        App {
            tower,
            travel: None,
            access,
            integrity: Integrity {
                badge: Badge::of(&verify),
                stale: false,
                verified_at: Instant::now(),
                verify,
            },
            freeze: Freeze::default(),
            jobs: Jobs::default(),
            focus: Focus::Table,
            table: Table::default(),
            searching: Default::default(),
            history: History::default(),
            action_bar: ActionBar,
            reason: Reason::default(),
            batch: Batch::default(),
            last_press: None,
            key_at: Instant::now(),
            form: Form::default(),
            jump: Jump::default(),
            audit: Audit::default(),
            help: Help::default(),
            pulse: Default::default(),
            worklist: Default::default(),
            watch: Default::default(),
            status,
            watcher_fallback: None,
            reconnecting: None,
            demo: false,
            lock_timeout: None,
            zone: crate::domain::Zone::utc(),
            repaint: false,
            quit: false,
        }
    }

    /// Reads up to `max_bytes` more of the log; true while more remain.
    pub fn load_step(&mut self, max_bytes: u64) -> Result<bool> {
        let refresh = self.tower.index_mut().refresh_at_most(max_bytes)?;
        Ok(refresh.more)
    }

    /// After the initial load: the table, the badge, the first selection.
    pub fn finish_load(&mut self) {
        self.rebuild_rows();
        self.start_prefix_check();
        self.recompute_integrity();
        self.sync_history();
        match self.index().opened().clone() {
            Opened::FromSnapshot(events) if self.index().unverified().is_some() => {
                self.info(format!(
                    "opened from the snapshot of {} events; verifying the whole log in the background",
                    super::views::thousands(events)
                ));
            }
            Opened::Replayed(Some(note)) => self.info(note),
            _ => {}
        }
    }

    /// The projection the views read.
    pub fn index(&self) -> &LogIndex {
        self.tower.index()
    }

    /// The role acting now; `None` when the operator may only read.
    pub fn role(&self) -> Option<Actor> {
        self.access.role()
    }

    pub fn access(&self) -> &Access {
        &self.access
    }

    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The selected shipment, if any.
    pub fn selected(&self) -> Option<ShipmentId> {
        self.table.selected()
    }

    pub fn selected_summary(&self) -> Option<&ShipmentSummary> {
        self.table
            .selected()
            .and_then(|id| self.projection().get(id))
    }

    /// The status line's message.
    pub fn status(&self) -> Option<&Status> {
        self.status.get()
    }

    pub fn focus(&self) -> Focus {
        self.focus
    }

    pub fn badge(&self) -> &Badge {
        &self.integrity.badge
    }

    /// The verifier's findings (the audit view's).
    pub fn verify_report(&self) -> &VerifyReport {
        &self.integrity.verify
    }

    /// The new-shipment form, while open (tests fill it in directly).
    pub fn form_mut(&mut self) -> Option<&mut NewShipmentForm> {
        self.form.get_mut()
    }

    /// Quit was asked for.
    pub fn quitting(&self) -> bool {
        self.quit
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.status.info(text);
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.status.error(text);
    }

    /// Which component has the keys.
    pub fn mode(&self) -> Mode {
        if self.reason.is_open() {
            Mode::Reason
        } else if self.batch.is_open() {
            Mode::Batch
        } else if self.form.is_open() {
            Mode::Form
        } else if self.help.is_open() {
            Mode::Help
        } else if self.audit.is_open() {
            Mode::Audit
        } else if self.pulse.is_open() {
            Mode::Pulse
        } else if self.worklist.is_open() {
            Mode::List
        } else if self.jump.is_open() {
            Mode::Jump
        } else if self.table.typing() {
            Mode::Filter
        } else {
            Mode::Normal
        }
    }

    /// Which bindings apply now.
    pub fn context(&self) -> Context {
        match self.mode() {
            Mode::Normal if self.travel.is_some() => Context::Travel,
            Mode::Normal => Context::Normal,
            Mode::Filter | Mode::Jump => Context::TextInput,
            Mode::Reason => self.reason.context().unwrap_or(Context::TextInput),
            Mode::Form if self.form.offer().is_some() => Context::Confirm,
            Mode::Form => Context::Form,
            Mode::Batch => self.batch.context().unwrap_or(Context::Summary),
            Mode::Help => Context::Help,
            Mode::Audit => Context::Audit,
            Mode::Pulse => Context::Pulse,
            Mode::List => Context::List,
        }
    }

    pub(super) fn rebuild_rows(&mut self) {
        self.table
            .rebuild(super::travel::shown(&self.tower, &self.travel));
    }

    /// Reads the selected shipment's history when it changed.
    pub fn sync_history(&mut self) {
        let selected = self.table.selected();
        let projection = super::travel::shown(&self.tower, &self.travel);
        let summary = selected.and_then(|id| projection.get(id));
        self.history.sync(self.tower.index(), summary);
    }
}
