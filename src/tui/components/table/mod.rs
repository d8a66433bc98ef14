//! The shipment table: which shipments it shows and in what order (the
//! filter, with its `/` typing, and the sort), the cursor and the
//! selected shipment, the rows just changed (highlighted a moment), and
//! what the last frame recorded for the next key or click (scroll offset,
//! page height, the areas a click can hit). Drawing is in `draw.rs`.

mod draw;
mod marks;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};

use super::Action;
use crate::domain::{EventType, ShipmentId, Timestamp};
use crate::read::projection::Projection;
use crate::read::query::SearchIndex;
use crate::text::inert;
use crate::tui::keymap::{Command, STATE_KEYS};
use crate::tui::rows::{RowFilter, RowOrder, RowTest, SortSpec};
use crate::tui::views::theme;

/// How long a row that just changed stays highlighted.
pub const HIGHLIGHT_FOR: Duration = Duration::from_secs(3);

/// Screen areas the last frame drew, for mouse clicks.
#[derive(Debug, Clone, Default)]
pub struct HitAreas {
    /// The state strip's entries (`None`: all states).
    pub strip: Vec<(Rect, Option<EventType>)>,
    /// The table body (rows only).
    pub table_body: Rect,
}

#[derive(Debug, Clone)]
pub struct Table {
    rows: RowOrder,
    filter: RowFilter,
    sort: SortSpec,
    selected: Option<ShipmentId>,
    cursor: usize,
    /// The filter is being typed (`/`).
    typing: bool,
    /// Shipments changed lately, and when: highlighted for a moment.
    recent: HashMap<ShipmentId, Instant>,
    /// First row on screen and rows per page, kept by `draw`.
    offset: Cell<usize>,
    page: Cell<usize>,
    hits: RefCell<HitAreas>,
    /// Every shipment's searchable record, once built (`None` until the
    /// first query needs it; built on a worker, see `tui::search`).
    search: Option<SearchIndex>,
    /// The moment `age` and `idle` count to (`None`: the clock).
    now: Option<Timestamp>,
    /// The shipment just acted on: kept in view (even when the filter no
    /// longer matches it) and selected, until the cursor moves.
    acted: Option<ShipmentId>,
    /// Rows marked for a batch action, with the seq and state each showed
    /// when it was marked (what its append expects).
    marks: BTreeMap<ShipmentId, (u32, EventType)>,
}

impl Default for Table {
    fn default() -> Self {
        Table {
            rows: RowOrder::default(),
            filter: RowFilter::default(),
            sort: SortSpec::default(),
            selected: None,
            cursor: 0,
            typing: false,
            recent: HashMap::new(),
            offset: Cell::new(0),
            page: Cell::new(10),
            hits: RefCell::new(HitAreas::default()),
            search: None,
            now: None,
            acted: None,
            marks: BTreeMap::new(),
        }
    }
}

impl Table {
    pub fn rows(&self) -> &RowOrder {
        &self.rows
    }

    pub fn filter(&self) -> &RowFilter {
        &self.filter
    }

    pub fn sort(&self) -> SortSpec {
        self.sort
    }

    pub fn selected(&self) -> Option<ShipmentId> {
        self.selected
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Rows per page on the last frame.
    pub fn page(&self) -> usize {
        self.page.get()
    }

    /// The filter is being typed.
    pub fn typing(&self) -> bool {
        self.typing
    }

    // ---- the search ---------------------------------------------------

    /// The search records, if built.
    pub fn search(&self) -> Option<&SearchIndex> {
        self.search.as_ref()
    }

    pub fn search_mut(&mut self) -> Option<&mut SearchIndex> {
        self.search.as_mut()
    }

    /// A freshly built search index (or `None`: the log was read again and
    /// the records must be built again): the query is checked against its
    /// keys and the rows filtered again.
    pub fn set_search(&mut self, projection: &Projection, search: Option<SearchIndex>) {
        self.search = search;
        let text = std::mem::take(&mut self.filter.text);
        self.filter.set_text(text, self.search.as_ref());
        self.rebuild(projection);
    }

    /// The query needs the search records and they are not built yet.
    pub fn needs_search(&self) -> bool {
        self.search.is_none() && !self.filter.query.is_empty()
    }

    /// The moment `age` and `idle` count to (time travel sets the past
    /// moment; `None` is the clock).
    pub fn set_now(&mut self, projection: &Projection, now: Option<Timestamp>) {
        self.now = now;
        self.rebuild(projection);
    }

    // ---- rows and selection -------------------------------------------

    /// Filters and sorts again. While the search records are being built
    /// a query keeps the rows it had (the last good result).
    pub fn rebuild(&mut self, projection: &Projection) {
        if self.needs_search() {
            return;
        }
        let keep = self.kept(projection);
        let test = Self::row_test(&self.filter, self.search.as_ref(), self.now, keep);
        self.rows.rebuild(projection, &test, self.sort);
        self.reselect(projection);
    }

    /// The filter as rows are tested, keeping the row just acted on.
    fn row_test<'a>(
        filter: &RowFilter,
        search: Option<&'a SearchIndex>,
        now: Option<Timestamp>,
        keep: Option<usize>,
    ) -> RowTest<'a> {
        let now = now.unwrap_or_else(Timestamp::now_millis);
        RowTest::new(filter, search, now).keeping(keep)
    }

    fn kept(&self, projection: &Projection) -> Option<usize> {
        self.acted.and_then(|id| projection.position(id))
    }

    /// New events for `touched`: their rows move (and light up).
    pub fn apply_touched(&mut self, projection: &Projection, touched: &[ShipmentId]) {
        let now = Instant::now();
        for id in touched {
            self.recent.insert(*id, now);
        }
        if self.needs_search() {
            return;
        }
        let keep = self.kept(projection);
        let test = Self::row_test(&self.filter, self.search.as_ref(), self.now, keep);
        self.rows
            .apply_touched(projection, touched, &test, self.sort);
        self.reselect(projection);
    }

    /// Time travel moved `touched` a step: their rows move to where the
    /// sort puts them then, and rows of shipments not yet created go;
    /// nothing lights up.
    pub fn travelled(&mut self, projection: &Projection, touched: &[ShipmentId]) {
        self.rows.forget_beyond(projection.total_shipments());
        if !self.needs_search() {
            let now = self.now.unwrap_or_else(Timestamp::now_millis);
            let test = RowTest::new(&self.filter, self.search.as_ref(), now);
            self.rows
                .apply_touched(projection, touched, &test, self.sort);
        }
        self.reselect(projection);
    }

    /// The moment `age` and `idle` count to, without filtering again (the
    /// caller rebuilds or moves rows next).
    pub fn keep_now(&mut self, now: Option<Timestamp>) {
        self.now = now;
    }

    /// Keeps the selected shipment selected wherever its row went; if it
    /// left the table, selects whatever is now at the cursor.
    pub fn reselect(&mut self, projection: &Projection) {
        let found = self
            .selected
            .and_then(|id| projection.position(id))
            .and_then(|p| self.rows.row_of(p));
        match found {
            Some(row) => self.cursor = row,
            None => {
                self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
                self.selected = self.id_at(projection, self.cursor);
            }
        }
    }

    fn id_at(&self, projection: &Projection, row: usize) -> Option<ShipmentId> {
        let position = self.rows.get(row)?;
        projection.shipments().get(position).map(|s| s.id)
    }

    pub fn select_row(&mut self, projection: &Projection, row: usize) {
        if self.rows.is_empty() {
            return;
        }
        self.cursor = row.min(self.rows.len() - 1);
        self.selected = self.id_at(projection, self.cursor);
        self.release_acted(projection);
    }

    fn move_by(&mut self, projection: &Projection, delta: isize) {
        self.select_row(projection, self.cursor.saturating_add_signed(delta));
    }

    /// Selects `id`, clearing the filter if it hides the shipment.
    pub fn jump_to(&mut self, projection: &Projection, id: ShipmentId) -> Option<Action> {
        let Some(position) = projection.position(id) else {
            return Some(Action::Error(format!(
                "{id} does not exist: no event in the log names it"
            )));
        };
        let mut said = None;
        self.release_acted(projection);
        if self.rows.row_of(position).is_none() {
            self.filter = RowFilter::default();
            self.rebuild(projection);
            said = Some(Action::Info(format!("filter cleared to show {id}")));
        }
        if let Some(row) = self.rows.row_of(position) {
            self.cursor = row;
            self.selected = Some(id);
        }
        said
    }

    fn set_state_filter(&mut self, projection: &Projection, key: char) {
        let Some(i) = STATE_KEYS.iter().position(|&k| k == key) else {
            return;
        };
        let state = EventType::ALL[i];
        self.acted = None;
        self.filter.state = if self.filter.state == Some(state) {
            None
        } else {
            Some(state)
        };
        self.rebuild(projection);
    }

    /// A click on the state strip toggles that state.
    pub fn click_state(&mut self, projection: &Projection, state: Option<EventType>) {
        self.filter.state = if state == self.filter.state {
            None
        } else {
            state
        };
        self.rebuild(projection);
    }

    // ---- highlights ---------------------------------------------------

    /// Drops highlights that have had their moment; true if any did.
    pub fn expire_highlights(&mut self, now: Instant) -> bool {
        let before = self.recent.len();
        self.recent
            .retain(|_, t| now.duration_since(*t) < HIGHLIGHT_FOR);
        before != self.recent.len()
    }

    pub fn clear_highlights(&mut self) {
        self.recent.clear();
    }

    // ---- keys and the mouse -------------------------------------------

    /// A key of the normal view that is the table's.
    pub fn command(
        &mut self,
        command: Command,
        key: &KeyEvent,
        projection: &Projection,
    ) -> Option<Action> {
        let page = self.page.get().max(1) as isize;
        match command {
            Command::Up => self.move_by(projection, -1),
            Command::Down => self.move_by(projection, 1),
            Command::PageUp => self.move_by(projection, -page),
            Command::PageDown => self.move_by(projection, page),
            Command::Top => self.select_row(projection, 0),
            Command::Bottom => self.select_row(projection, self.rows.len().saturating_sub(1)),
            Command::Filter => self.typing = true,
            Command::NextSort => {
                self.sort.column = self.sort.column.next();
                self.sort.reverse = false;
                self.rebuild(projection);
            }
            Command::ReverseSort => {
                self.sort.reverse = !self.sort.reverse;
                self.rebuild(projection);
            }
            Command::Unfinished => {
                self.filter.unfinished = !self.filter.unfinished;
                self.rebuild(projection);
                let said = if self.filter.unfinished {
                    "unfinished shipments only (u again: all)"
                } else {
                    "all shipments, finished ones too"
                };
                return Some(Action::Info(said.into()));
            }
            Command::StateFilter => {
                if let KeyCode::Char(c) = key.code {
                    self.set_state_filter(projection, c);
                }
            }
            Command::Escape if !self.filter.is_empty() => {
                self.filter = RowFilter::default();
                self.typing = false;
                self.rebuild(projection);
                return Some(Action::Info("filter cleared".into()));
            }
            _ => {}
        }
        None
    }

    /// A character typed into the filter.
    pub fn type_char(&mut self, projection: &Projection, c: char) {
        let mut text = self.filter.text.clone();
        text.push(c);
        self.set_query(projection, text);
    }

    /// The query typed so far: filters at once when it reads, else keeps
    /// the rows and says what is wrong (`filter_error`).
    pub fn set_query(&mut self, projection: &Projection, text: String) {
        let before = self.filter.query.clone();
        self.filter.set_text(text, self.search.as_ref());
        if self.filter.error.is_none() && self.filter.query != before || self.filter.text.is_empty()
        {
            self.rebuild(projection);
        }
    }

    /// What is wrong with the query typed, if anything.
    pub fn filter_error(&self) -> Option<&str> {
        self.filter.error.as_deref()
    }

    /// A key while the filter is typed: Enter keeps it, Esc clears it.
    pub fn filter_command(&mut self, command: Command, projection: &Projection) {
        match command {
            Command::Submit => self.typing = false,
            Command::Escape => {
                self.typing = false;
                self.set_query(projection, String::new());
            }
            Command::Backspace => {
                let mut text = self.filter.text.clone();
                text.pop();
                self.set_query(projection, text);
            }
            _ => {}
        }
    }

    /// Clicks: the state strip filters, a row selects; the wheel moves.
    pub fn mouse(&mut self, mouse: MouseEvent, projection: &Projection) {
        let at = Position::new(mouse.column, mouse.row);
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                let hits = self.hits.borrow().clone();
                if let Some((_, state)) = hits.strip.iter().find(|(r, _)| r.contains(at)) {
                    self.click_state(projection, *state);
                } else if hits.table_body.contains(at) {
                    let row = self.offset.get() + usize::from(mouse.row - hits.table_body.y);
                    if row < self.rows.len() {
                        self.select_row(projection, row);
                    }
                }
            }
            MouseEventKind::ScrollDown => self.select_row(projection, self.cursor + 3),
            MouseEventKind::ScrollUp => self.select_row(projection, self.cursor.saturating_sub(3)),
            _ => {}
        }
    }

    /// Where the state strip drew its entries, for the next click.
    pub fn set_strip_hits(&self, strip: Vec<(Rect, Option<EventType>)>) {
        self.hits.borrow_mut().strip = strip;
    }

    /// The status line while the query is typed: the query, then what is
    /// wrong with it or how far the search index got (`note`).
    pub fn prompt_line(&self, note: Option<String>) -> Option<Line<'static>> {
        if !self.typing {
            return None;
        }
        let mut spans = vec![
            Span::styled(" / ", theme::key()),
            Span::raw(format!(" {}_", inert(&self.filter.text, 120))),
        ];
        match (note, self.filter.error.is_some()) {
            (Some(note), true) => {
                spans.push(Span::styled(
                    format!("   ✗ {}", inert(&note, 160)),
                    theme::error(),
                ));
            }
            (Some(note), false) => spans.push(Span::styled(format!("   {note}"), theme::dim())),
            (None, _) => spans.push(Span::styled("   Enter keep · Esc clear", theme::dim())),
        }
        Some(Line::from(spans))
    }
}
