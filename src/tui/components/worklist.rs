//! The two work lists: the attention list (`!`: every unfinished
//! shipment that is late, stuck or on hold, most overdue first, with why)
//! and my queue (`m`: the shipments whose next standard step is the
//! current role's, oldest waiting first, with how long each has waited).
//! The list is where operators act: `a`/`h`/`o`/`x` act on its selected
//! shipment (the App selects it in the table and hands the key to the
//! action bar), and after `a` the cursor moves to the next entry, so an
//! operator's job is `m`, then `a` down the list; Enter selects the
//! shipment in the table and closes the list. The entries are rebuilt
//! when drawn, from the projection shown (at most twice a second on a
//! busy log), and the cursor stays on its shipment: what a key acts on is
//! what the last frame showed.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table};

use super::Action;
use crate::domain::{Actor, EventType, ShipmentId, Timestamp};
use crate::read::projection::Projection;
use crate::read::pulse::attention::{attention_list, queue, with_reasons};
use crate::read::pulse::levels::{ServiceLevels, duration_text};
use crate::tui::keymap::Command;
use crate::tui::views::{theme, thousands};

/// How often a busy log rebuilds the open list.
const REBUILD: Duration = Duration::from_millis(500);
/// A build slower than this is throttled.
const SLOW: Duration = Duration::from_millis(2);
/// Hold reasons are read back (one line each) for this many entries.
const REASONS_FOR: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Attention,
    Queue,
}

/// One entry as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: ShipmentId,
    pub state: EventType,
    /// Why it is listed, or what waits and for how long.
    pub text: String,
}

/// What the entries were last built of, when, and how long it took.
#[derive(Debug, Clone, Copy)]
struct Built {
    events: u64,
    role: Option<Actor>,
    now: Timestamp,
    at: Instant,
    cost: Duration,
}

fn millis(t: Timestamp) -> i64 {
    t.instant().timestamp_millis()
}

#[derive(Debug, Default)]
pub struct Worklist {
    kind: Option<ListKind>,
    entries: RefCell<Vec<Entry>>,
    built: Cell<Option<Built>>,
    cursor: Cell<usize>,
    /// The shipment under the cursor: kept when the list is rebuilt.
    selected: Cell<Option<ShipmentId>>,
    offset: Cell<usize>,
    page: Cell<usize>,
}

/// What a list is built of.
pub struct Source<'a> {
    pub projection: &'a Projection,
    pub levels: &'a ServiceLevels,
    pub role: Option<Actor>,
    /// The clock, or the moment time travel shows (`past`).
    pub now: Timestamp,
    pub past: bool,
    /// A held shipment's reason (its last event's), read back.
    pub reason_of: &'a dyn Fn(ShipmentId) -> Option<String>,
}

impl Worklist {
    pub fn open(&mut self, kind: ListKind) {
        self.kind = Some(kind);
        self.built.set(None);
        self.cursor.set(0);
        self.selected.set(None);
        self.offset.set(0);
    }

    pub fn kind(&self) -> Option<ListKind> {
        self.kind
    }

    pub fn is_open(&self) -> bool {
        self.kind.is_some()
    }

    pub fn close(&mut self) {
        self.kind = None;
        self.entries.borrow_mut().clear();
    }

    /// The shipment under the cursor.
    pub fn selected(&self) -> Option<ShipmentId> {
        self.selected.get()
    }

    /// The entries as last built (tests read them).
    pub fn entries(&self) -> Vec<Entry> {
        self.entries.borrow().clone()
    }

    /// After `a` on the selected entry: the cursor goes to the next one
    /// (the acted one leaves the list when its event lands).
    pub fn advance(&mut self) {
        self.move_by(1);
    }

    fn move_by(&mut self, delta: isize) {
        let entries = self.entries.borrow();
        if entries.is_empty() {
            return;
        }
        let row = self
            .cursor
            .get()
            .saturating_add_signed(delta)
            .min(entries.len() - 1);
        self.cursor.set(row);
        self.selected.set(entries.get(row).map(|e| e.id));
    }

    /// The list's own keys: moves, Enter (select in the table and close),
    /// Esc (close). The action keys are the App's (`App::act_on_list`).
    pub fn command(&mut self, command: Command) -> Option<Action> {
        let page = self.page.get().max(1) as isize;
        match command {
            Command::Up => self.move_by(-1),
            Command::Down => self.move_by(1),
            Command::PageUp => self.move_by(-page),
            Command::PageDown => self.move_by(page),
            Command::Submit => {
                let id = self.selected.get();
                self.close();
                return id.map(Action::JumpTo);
            }
            Command::Escape => self.close(),
            Command::Attention => self.switch(ListKind::Attention),
            Command::MyQueue => self.switch(ListKind::Queue),
            _ => {}
        }
        None
    }

    /// `!` / `m` inside a list: the other list, or closes the same one.
    fn switch(&mut self, kind: ListKind) {
        if self.kind == Some(kind) {
            self.close();
        } else {
            self.open(kind);
        }
    }

    /// Builds the entries again when what they are built of changed (the
    /// waits are redone every few seconds), keeping the cursor's
    /// shipment. On a live log where a build is slow (125k shipments),
    /// at most every `REBUILD`.
    pub fn sync(&self, source: &Source<'_>) {
        let Some(kind) = self.kind else { return };
        let events = source.projection.total_events();
        if let Some(b) = self.built.get() {
            let waits = (millis(source.now) - millis(b.now)).abs() < 5_000;
            let same = b.events == events && b.role == source.role;
            let throttled = !source.past && b.at.elapsed() < REBUILD && b.cost > SLOW;
            if same && (waits || b.now == source.now) || throttled && b.role == source.role {
                return;
            }
        }
        let started = Instant::now();
        let entries = build(kind, source);
        let selected = self.selected.get();
        let row = selected
            .and_then(|id| entries.iter().position(|e| e.id == id))
            .unwrap_or_else(|| self.cursor.get().min(entries.len().saturating_sub(1)));
        self.cursor.set(row);
        self.selected.set(entries.get(row).map(|e| e.id));
        *self.entries.borrow_mut() = entries;
        self.built.set(Some(Built {
            events,
            role: source.role,
            now: source.now,
            at: Instant::now(),
            cost: started.elapsed(),
        }));
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, source: &Source<'_>) {
        let Some(kind) = self.kind else { return };
        self.sync(source);
        draw(frame, area, self, kind, source);
    }
}

fn build(kind: ListKind, source: &Source<'_>) -> Vec<Entry> {
    let (projection, now) = (source.projection, source.now);
    match kind {
        ListKind::Attention => {
            let mut list = attention_list(projection, source.levels, now);
            with_reasons(&mut list, REASONS_FOR, source.reason_of);
            list.into_iter()
                .map(|a| Entry {
                    id: a.id,
                    state: a.state,
                    text: a
                        .why
                        .iter()
                        .map(|w| w.text())
                        .collect::<Vec<_>>()
                        .join(" · "),
                })
                .collect()
        }
        ListKind::Queue => {
            let Some(role) = source.role else {
                return Vec::new();
            };
            queue(projection, role, now)
                .into_iter()
                .map(|w| Entry {
                    id: w.id,
                    state: w.state,
                    text: format!("waiting {} for {}", duration_text(w.waited_ms), w.next),
                })
                .collect()
        }
    }
}

fn title(list: &Worklist, kind: ListKind, source: &Source<'_>, n: usize) -> String {
    let when = if source.past {
        " (as of the moment)"
    } else {
        ""
    };
    let (name, help) = match kind {
        ListKind::Attention => (
            "Attention: late, stuck, on hold · most overdue first".to_string(),
            "a/h/o/x act · Enter: table",
        ),
        ListKind::Queue => (
            format!(
                "My queue as {} · oldest first",
                source.role.map_or("(no role)", |r| r.as_str())
            ),
            "a acts, then the next · Enter: table",
        ),
    };
    let at = if n == 0 { 0 } else { list.cursor.get() + 1 };
    format!(
        " {name}{when} · {} of {} · {help} · Esc/q ",
        thousands(at as u64),
        thousands(n as u64)
    )
}

fn draw(frame: &mut Frame, area: Rect, list: &Worklist, kind: ListKind, source: &Source<'_>) {
    frame.render_widget(Clear, area);
    let entries = list.entries.borrow();
    let block = Block::bordered()
        .title(Span::styled(
            title(list, kind, source, entries.len()),
            theme::title(),
        ))
        .border_style(theme::focused_border(true));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if entries.is_empty() {
        let text = match (kind, source.role) {
            (ListKind::Queue, None) => "No role: this operator may only read (r picks a role).",
            (ListKind::Queue, Some(_)) => "Nothing waits for this role. r: another role.",
            (ListKind::Attention, _) => "Nothing is late, stuck or on hold.",
        };
        frame.render_widget(Paragraph::new(text).style(theme::dim()), inner);
        return;
    }
    let body = usize::from(inner.height.saturating_sub(1)).max(1);
    list.page.set(body);
    let cursor = list.cursor.get();
    let mut offset = list.offset.get();
    if cursor < offset {
        offset = cursor;
    } else if cursor >= offset + body {
        offset = cursor + 1 - body;
    }
    list.offset.set(offset);
    let rows: Vec<Row> = entries
        .iter()
        .enumerate()
        .skip(offset)
        .take(body)
        .map(|(i, e)| {
            let mark = if i == cursor { ">" } else { " " };
            let state = Span::styled(format!(" {} ", e.state), theme::state_badge(e.state));
            let style = if i == cursor {
                Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
            } else {
                Style::new()
            };
            Row::new(vec![
                ratatui::widgets::Cell::from(mark),
                ratatui::widgets::Cell::from(e.id.to_string()),
                ratatui::widgets::Cell::from(state),
                ratatui::widgets::Cell::from(crate::text::inert(&e.text, 200)),
            ])
            .style(style)
        })
        .collect();
    let widths = [
        Constraint::Length(1),
        Constraint::Length(14),
        Constraint::Length(23),
        Constraint::Fill(1),
    ];
    let last = match kind {
        ListKind::Attention => "WHY",
        ListKind::Queue => "WAITING",
    };
    let header = Row::new(["", "ID", "STATE", last]).style(theme::dim());
    frame.render_widget(Table::new(rows, widths).header(header), inner);
}
