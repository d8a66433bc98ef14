//! Drawing the shipment table. Only the rows in the visible window are
//! built (the row order may hold 125k shipments; ratatui's `Table` walks
//! every row it is given), so frame time does not grow with the log.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
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
use crate::tui::views::{age, theme, thousands};

fn header_cell(label: &str, column: Option<SortColumn>, table: &Table) -> Cell<'static> {
    let arrow = match column {
        Some(c) if c == table.sort.column => {
            // Activity's natural order is newest first.
            if table.sort.reverse { " ▲" } else { " ▼" }
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
        .title(Span::styled(title(table, projection), theme::title()))
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
    let rows: Vec<Row> = window
        .iter()
        .enumerate()
        .filter_map(|(i, &p)| {
            let s = shipments.get(p as usize)?;
            let flags = classify(s, levels, Timestamp::from_instant_millis(now));
            Some(row(
                table,
                s,
                offset + i == table.cursor,
                wide,
                (now, flags),
            ))
        })
        .collect();
    let (headers, widths) = columns(table, wide);
    let widget = ratatui::widgets::Table::new(rows, widths)
        .header(Row::new(headers).style(theme::title().fg(Color::Gray)))
        .column_spacing(1);
    frame.render_widget(widget, inner);
}

/// Counts, sort, and the state and text filters when set (with a `_`
/// cursor while the filter is being typed).
fn title(table: &Table, projection: &Projection) -> String {
    let mut title = format!(
        " Shipments {} of {} · sort {}{} ",
        thousands(table.rows.len() as u64),
        thousands(projection.total_shipments() as u64),
        table.sort.column.label(),
        if table.sort.reverse {
            " (reversed)"
        } else {
            ""
        },
    );
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

/// The first row shown: moved just enough to keep the cursor on screen,
/// never past the last full page, and remembered for the next frame.
fn scroll_to_cursor(table: &Table, body_height: usize) -> usize {
    let mut offset = table.offset.get();
    if table.cursor < offset {
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
        Cell::from("SLA"),
        header_cell("ROUTE", Some(SortColumn::Route), table),
    ];
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(14),
        Constraint::Length(21),
        Constraint::Length(5),
        Constraint::Fill(1),
    ];
    if wide {
        headers.push(header_cell("KG", Some(SortColumn::Weight), table));
        headers.push(header_cell("TYPE", Some(SortColumn::DeliveryType), table));
        widths.push(Constraint::Length(9));
        widths.push(Constraint::Length(8));
    }
    headers.push(header_cell("AGE", Some(SortColumn::Activity), table));
    headers.push(header_cell("EV", Some(SortColumn::Events), table));
    widths.push(Constraint::Length(5));
    widths.push(Constraint::Length(4));
    (headers, widths)
}

/// Late / stuck as words (the header's legend counts them): `LATE`,
/// `STUCK`, or `L+S` for both.
fn sla_cell(flags: Flags) -> Cell<'static> {
    let text = match flags.marker() {
        "LATE+STUCK" => "L+S",
        other => other,
    };
    Cell::from(Span::styled(text, theme::error()))
}

fn row(
    table: &Table,
    s: &ShipmentSummary,
    selected: bool,
    wide: bool,
    (now, flags): (DateTime<Utc>, Flags),
) -> Row<'static> {
    let changed = table.recent.contains_key(&s.id);
    // A marker as well as a colour: selected `>`, just changed `*`.
    let marker = if selected {
        ">"
    } else if changed {
        "*"
    } else {
        " "
    };
    let query = &table.filter.query;
    let mark = |spot: Spot<'_>, text: String| marked(query, &spot, text, Style::new());
    let mut route = mark(Spot::Source, inert(&s.details.source, 60));
    route.push(Span::raw(" → "));
    route.extend(mark(Spot::Destination, inert(&s.details.destination, 60)));
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
        sla_cell(flags),
        Cell::from(Line::from(route)),
    ];
    if wide {
        let weight = s
            .details
            .weight_kg
            .map_or_else(|| "-".to_string(), |w| format!("{w:>9.1}"));
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
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    } else if changed {
        Style::new()
            .fg(Color::LightYellow)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    };
    Row::new(cells).style(style)
}
