//! Drawing the shipment table. Only the rows in the visible window are
//! built (the row order may hold 125k shipments; ratatui's `Table` walks
//! every row it is given), so frame time does not grow with the log.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row};

use super::Table;
use crate::domain::Timestamp;
use crate::read::projection::{Projection, ShipmentSummary};
use crate::read::pulse::attention::{Flags, classify};
use crate::read::pulse::levels::ServiceLevels;
use crate::read::query::Spot;
use crate::text::inert;
use crate::tui::rows::SortColumn;
use crate::tui::views::marks::marked;
use crate::tui::views::{age, fit, theme, thousands};

fn header_cell(label: &str, column: Option<SortColumn>, table: &Table) -> Cell<'static> {
    let arrow = match column {
        Some(c) if c == table.sort.column => {
            // ▲ ascending, ▼ descending; Activity's natural order is
            // newest first (descending).
            let descending = (c == SortColumn::Activity) != table.sort.reverse;
            if descending { " ▼" } else { " ▲" }
        }
        _ => "",
    };
    Cell::from(format!("{label}{arrow}"))
}

impl Table {
    /// Draws the table (`focused`: the keys are the table's) and records
    /// the page height, the scroll offset and the rows' area.
    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        projection: &Projection,
        focused: bool,
        now: DateTime<Utc>,
        levels: &ServiceLevels,
    ) {
        draw(frame, area, self, projection, focused, (now, levels));
    }
}

fn draw(
    frame: &mut Frame,
    area: Rect,
    table: &Table,
    projection: &Projection,
    focused: bool,
    (now, levels): (DateTime<Utc>, &ServiceLevels),
) {
    let block = Block::bordered()
        .title(Span::styled(
            theme::pane_title(focused, &title(table, projection)),
            theme::title(),
        ))
        .border_type(theme::border_type(focused))
        .border_style(theme::focused_border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let wide = inner.width >= 90;
    let body_height = inner.height.saturating_sub(1) as usize;
    table.page.set(body_height.max(1));
    let offset = scroll_to_cursor(table, body_height);
    table.hits.borrow_mut().table_body = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    };

    if table.rows.is_empty() {
        frame.render_widget(
            Paragraph::new(empty_text(projection)).style(theme::dim()),
            inner,
        );
        return;
    }

    let shipments = projection.shipments();
    let window = table.rows.window(offset, body_height);
    let (headers, widths) = columns(table, wide);
    let route_width = route_width(inner.width, &widths);
    let rows: Vec<Row> = window
        .iter()
        .enumerate()
        .filter_map(|(i, &p)| {
            let s = shipments.get(p as usize)?;
            let shape = Shape {
                selected: offset + i == table.cursor,
                wide,
                route_width,
                flags: classify(s, levels, Timestamp::from_instant_millis(now)),
            };
            Some(row(table, s, shape, now))
        })
        .collect();
    let widget = ratatui::widgets::Table::new(rows, widths)
        .header(Row::new(headers).style(theme::column_header()))
        .column_spacing(1);
    frame.render_widget(widget, inner);
}

/// Counts, sort, and the state and text filters when set (with a `_`
/// cursor while the filter is being typed).
fn title(table: &Table, projection: &Projection) -> String {
    let position = if table.rows.is_empty() {
        String::new()
    } else {
        format!(
            "· row {} of {} ",
            thousands(table.cursor as u64 + 1),
            thousands(table.rows.len() as u64)
        )
    };
    let mut title = format!(
        " Shipments {} of {} {position}· sort {}{} ",
        thousands(table.rows.len() as u64),
        thousands(projection.total_shipments() as u64),
        table.sort.column.label(),
        if table.sort.reverse {
            " (reversed)"
        } else {
            ""
        },
    );
    if !table.marks.is_empty() {
        title.push_str(&format!(
            "· {} marked ",
            thousands(table.marks.len() as u64)
        ));
    }
    if table.filter.unfinished {
        title.push_str("· unfinished only ");
    }
    if let Some(state) = table.filter.state {
        title.push_str(&format!("· state {state} "));
    }
    let typing = table.typing;
    if !table.filter.text.is_empty() || typing {
        title.push_str(&format!(
            "· / {}{} ",
            inert(&table.filter.text, 40),
            if typing { "_" } else { "" }
        ));
    }
    title
}

/// The first row shown: moved just enough to keep the cursor on screen
/// (centred when it jumped far, after a re-sort, a filter or a jump), never
/// past the last full page, and remembered for the next frame.
fn scroll_to_cursor(table: &Table, body_height: usize) -> usize {
    let mut offset = table.offset.get();
    let far = table.cursor + body_height < offset || table.cursor >= offset + 2 * body_height;
    if far && body_height > 0 {
        offset = table.cursor.saturating_sub(body_height / 2);
    } else if table.cursor < offset {
        offset = table.cursor;
    } else if body_height > 0 && table.cursor >= offset + body_height {
        offset = table.cursor + 1 - body_height;
    }
    offset = offset.min(table.rows.len().saturating_sub(body_height));
    table.offset.set(offset);
    offset
}

/// What an empty table says: how to get a first shipment, or how to clear
/// a filter that hides them all.
fn empty_text(projection: &Projection) -> &'static str {
    if projection.total_shipments() == 0 {
        "No shipments yet. Press n to create one (as SENDER), or run `control-tower demo`."
    } else {
        "No shipment matches the filter. Esc clears it."
    }
}

/// Header cells and widths; weight and delivery type only on wide screens.
fn columns(table: &Table, wide: bool) -> (Vec<Cell<'static>>, Vec<Constraint>) {
    let mut headers = vec![
        Cell::from(" "),
        header_cell("ID", Some(SortColumn::Id), table),
        header_cell("STATE", Some(SortColumn::State), table),
        header_cell("ROUTE", Some(SortColumn::Route), table),
    ];
    let mut widths = vec![
        // Selected/acted/changed, marked for a batch, late/stuck.
        Constraint::Length(3),
        Constraint::Length(14),
        // The longest state, RECEIVER_ACKNOWLEDGED, in full with its padding.
        Constraint::Length(STATE_WIDTH),
        Constraint::Fill(1),
    ];
    if wide {
        headers.push(header_cell("KG", Some(SortColumn::Weight), table));
        headers.push(header_cell("TYPE", Some(SortColumn::DeliveryType), table));
        widths.push(Constraint::Length(WEIGHT_WIDTH));
        widths.push(Constraint::Length(8));
    }
    headers.push(header_cell("AGE", Some(SortColumn::Activity), table));
    headers.push(header_cell("EV", Some(SortColumn::Events), table));
    widths.push(Constraint::Length(5));
    widths.push(Constraint::Length(4));
    (headers, widths)
}

/// How one row is drawn.
#[derive(Debug, Clone, Copy)]
struct Shape {
    selected: bool,
    wide: bool,
    /// The route column's width, to shorten routes in the middle.
    route_width: usize,
    /// Late and stuck, for the SLA column.
    flags: Flags,
}

const STATE_WIDTH: u16 = 23;
const WEIGHT_WIDTH: u16 = 9;

/// The columns the route gets: what the fixed columns and the spacing
/// leave of `width`.
fn route_width(width: u16, widths: &[Constraint]) -> usize {
    let fixed: u16 = widths
        .iter()
        .map(|c| match c {
            Constraint::Length(n) => *n,
            _ => 0,
        })
        .sum();
    let spacing = widths.len().saturating_sub(1) as u16;
    usize::from(width.saturating_sub(fixed + spacing))
}

/// A weight exactly as written (`99999.99`, `5.0`), never rounded up to
/// a different number; only a weight too long for its column is rounded
/// to fit, and then it says so with `~`.
pub fn weight_text(w: f64) -> String {
    let exact = if w.fract() == 0.0 && w.abs() < 1e15 {
        format!("{w:.1}")
    } else {
        format!("{w}")
    };
    let room = usize::from(WEIGHT_WIDTH);
    if exact.chars().count() <= room {
        return exact;
    }
    let whole = format!("{w:.0}").len();
    let digits = room.saturating_sub(whole + 2);
    format!("~{w:.digits$}")
}

/// Late / stuck as one letter in the marker column (the header counts
/// them in words; `?` has the legend): `L` late, `S` stuck, `!` both.
fn sla_mark(flags: Flags) -> &'static str {
    match flags.marker() {
        "LATE+STUCK" => "!",
        "LATE" => "L",
        "STUCK" => "S",
        _ => " ",
    }
}

fn row(table: &Table, s: &ShipmentSummary, shape: Shape, now: DateTime<Utc>) -> Row<'static> {
    let Shape {
        selected,
        wide,
        route_width,
        flags,
    } = shape;
    let changed = table.recent.contains_key(&s.id);
    // Markers as well as colours: just acted on `◆`, selected `>`, just
    // changed `*`; then marked for a batch `✓`.
    let marker = if table.acted == Some(s.id) {
        "◆"
    } else if selected {
        ">"
    } else if changed {
        "*"
    } else {
        " "
    };
    let batch = if table.is_marked(s.id) { "✓" } else { " " };
    let marker = Line::from(vec![
        Span::raw(format!("{marker}{batch}")),
        Span::styled(sla_mark(flags), theme::error()),
    ]);
    let query = &table.filter.query;
    let mark = |spot: Spot<'_>, text: String| marked(query, &spot, text, Style::new());
    let (source, destination) = crate::tui::views::fit::route(
        &fit::for_terminal(&inert(&s.details.source, 60)),
        &fit::for_terminal(&inert(&s.details.destination, 60)),
        route_width,
    );
    let mut route = mark(Spot::Source, source);
    route.push(Span::raw(" → "));
    route.extend(mark(Spot::Destination, destination));
    let mut state = vec![Span::styled(" ", theme::state_badge(s.state))];
    state.extend(marked(
        query,
        &Spot::State,
        s.state.as_str().to_string(),
        theme::state_badge(s.state),
    ));
    state.push(Span::styled(" ", theme::state_badge(s.state)));
    let mut cells = vec![
        Cell::from(marker),
        Cell::from(Line::from(mark(Spot::Id, s.id.to_string()))),
        Cell::from(Line::from(state)),
        Cell::from(Line::from(route)),
    ];
    if wide {
        let weight = s
            .details
            .weight_kg
            .map_or_else(|| "-".to_string(), weight_text);
        let weight = format!("{weight:>width$}", width = usize::from(WEIGHT_WIDTH));
        cells.push(Cell::from(Line::from(mark(Spot::Weight, weight))));
        let kind = inert(&s.details.delivery_type, 8);
        cells.push(Cell::from(Line::from(mark(Spot::Type, kind))));
    }
    cells.push(Cell::from(format!(
        "{:>5}",
        age(s.last_updated.instant(), now)
    )));
    cells.push(Cell::from(format!("{:>4}", s.event_count)));
    let style = if selected {
        theme::selected_row()
    } else if changed {
        theme::changed_row()
    } else {
        Style::new()
    };
    Row::new(cells).style(style)
}
