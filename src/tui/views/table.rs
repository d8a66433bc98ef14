//! The shipment table. Only the rows in the visible window are built (the
//! row order may hold 125k shipments; ratatui's `Table` walks every row it
//! is given), so frame time does not grow with the log.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use super::{age, theme, thousands};
use crate::read::projection::ShipmentSummary;
use crate::text::inert;
use crate::tui::app::{App, Focus, Mode};
use crate::tui::rows::SortColumn;

fn header_cell(label: &str, column: Option<SortColumn>, app: &App) -> Cell<'static> {
    let arrow = match column {
        Some(c) if c == app.sort.column => {
            // Activity's natural order is newest first.
            if app.sort.reverse { " ▲" } else { " ▼" }
        }
        _ => "",
    };
    Cell::from(format!("{label}{arrow}"))
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, now: DateTime<Utc>) {
    let block = Block::bordered()
        .title(Span::styled(title(app), theme::title()))
        .border_style(theme::focused_border(app.focus == Focus::Table));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let wide = inner.width >= 90;
    let body_height = inner.height.saturating_sub(1) as usize;
    app.page.set(body_height.max(1));
    let offset = scroll_to_cursor(app, body_height);
    app.hits.borrow_mut().table_body = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    };

    if app.rows.is_empty() {
        frame.render_widget(Paragraph::new(empty_text(app)).style(theme::dim()), inner);
        return;
    }

    let shipments = app.index().projection().shipments();
    let window = app.rows.window(offset, body_height);
    let rows: Vec<Row> = window
        .iter()
        .enumerate()
        .filter_map(|(i, &p)| {
            let s = shipments.get(p as usize)?;
            Some(row(app, s, offset + i == app.cursor, wide, now))
        })
        .collect();
    let (headers, widths) = columns(app, wide);
    let table = Table::new(rows, widths)
        .header(Row::new(headers).style(theme::title().fg(Color::Gray)))
        .column_spacing(1);
    frame.render_widget(table, inner);
}

/// Counts, sort, and the state and text filters when set (with a `_`
/// cursor while the filter is being typed).
fn title(app: &App) -> String {
    let mut title = format!(
        " Shipments {} of {} · sort {}{} ",
        thousands(app.rows.len() as u64),
        thousands(app.index().projection().total_shipments() as u64),
        app.sort.column.label(),
        if app.sort.reverse { " (reversed)" } else { "" },
    );
    if let Some(state) = app.filter.state {
        title.push_str(&format!("· state {state} "));
    }
    let typing = app.mode == Mode::Filter;
    if !app.filter.text.is_empty() || typing {
        title.push_str(&format!(
            "· filter /{}{} ",
            inert(&app.filter.text, 40),
            if typing { "_" } else { "" }
        ));
    }
    title
}

/// The first row shown: moved just enough to keep the cursor on screen,
/// never past the last full page, and remembered for the next frame.
fn scroll_to_cursor(app: &App, body_height: usize) -> usize {
    let mut offset = app.offset.get();
    if app.cursor < offset {
        offset = app.cursor;
    } else if body_height > 0 && app.cursor >= offset + body_height {
        offset = app.cursor + 1 - body_height;
    }
    offset = offset.min(app.rows.len().saturating_sub(body_height));
    app.offset.set(offset);
    offset
}

/// What an empty table says: how to get a first shipment, or how to clear
/// a filter that hides them all.
fn empty_text(app: &App) -> &'static str {
    if app.index().projection().total_shipments() == 0 {
        "No shipments yet. Press n to create one (as SENDER), or run `control-tower demo`."
    } else {
        "No shipment matches the filter. Esc clears it."
    }
}

/// Header cells and widths; weight and delivery type only on wide screens.
fn columns(app: &App, wide: bool) -> (Vec<Cell<'static>>, Vec<Constraint>) {
    let mut headers = vec![
        Cell::from(" "),
        header_cell("ID", Some(SortColumn::Id), app),
        header_cell("STATE", Some(SortColumn::State), app),
        header_cell("ROUTE", Some(SortColumn::Route), app),
    ];
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(14),
        Constraint::Length(21),
        Constraint::Fill(1),
    ];
    if wide {
        headers.push(header_cell("KG", Some(SortColumn::Weight), app));
        headers.push(header_cell("TYPE", Some(SortColumn::DeliveryType), app));
        widths.push(Constraint::Length(9));
        widths.push(Constraint::Length(8));
    }
    headers.push(header_cell("AGE", Some(SortColumn::Activity), app));
    headers.push(header_cell("EV", Some(SortColumn::Events), app));
    widths.push(Constraint::Length(5));
    widths.push(Constraint::Length(4));
    (headers, widths)
}

fn row(
    app: &App,
    s: &ShipmentSummary,
    selected: bool,
    wide: bool,
    now: DateTime<Utc>,
) -> Row<'static> {
    let changed = app.recent.contains_key(&s.id);
    // A marker as well as a colour: selected `>`, just changed `*`.
    let marker = if selected {
        ">"
    } else if changed {
        "*"
    } else {
        " "
    };
    let route = format!(
        "{} → {}",
        inert(&s.details.source, 60),
        inert(&s.details.destination, 60)
    );
    let mut cells = vec![
        Cell::from(marker),
        Cell::from(s.id.to_string()),
        Cell::from(Line::from(Span::styled(
            format!(" {} ", s.state.as_str()),
            theme::state_badge(s.state),
        ))),
        Cell::from(route),
    ];
    if wide {
        let weight = s
            .details
            .weight_kg
            .map_or_else(|| "-".to_string(), |w| format!("{w:>9.1}"));
        cells.push(Cell::from(weight));
        cells.push(Cell::from(inert(&s.details.delivery_type, 8)));
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
