//! The audit view: the integrity verdict, every error and warning with its
//! line (Enter jumps to the shipment), the distributions by state, event
//! type and actor, and the head hash an auditor can write down.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::header::badge_text;
use super::{theme, thousands};
use crate::domain::{Actor, EventType};
use crate::read::verify::Severity;
use crate::text::inert;
use crate::tui::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, cursor: usize) {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .title(Span::styled(
            " Audit (Enter: go to shipment · Esc: back) ",
            theme::title(),
        ))
        .border_style(theme::focused_border(true));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let projection = app.index().projection();
    let report = &app.verify;
    let time =
        |t: Option<crate::domain::Timestamp>| t.map_or_else(|| "-".to_string(), |t| t.to_string());
    let summary = vec![
        Line::from(vec![
            Span::styled("Integrity ", theme::title()),
            Span::styled(
                format!(" {} ", badge_text(&app.badge)),
                if report.valid {
                    Style::new().fg(Color::Black).bg(Color::Green)
                } else {
                    Style::new().fg(Color::White).bg(Color::Red)
                }
                .add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(
                "  {} events · {} shipments · {} errors · {} warnings",
                thousands(projection.total_events()),
                thousands(projection.total_shipments() as u64),
                report.errors.len(),
                report.warnings.len()
            )),
        ]),
        Line::from(format!(
            "Head hash {} (after {} events)",
            report.head_hash, report.total_events
        )),
        Line::from(format!(
            "First event {} · last event {}",
            time(projection.first_event_time()),
            time(projection.last_event_time())
        )),
    ];
    let [top, rest] = Layout::vertical([Constraint::Length(4), Constraint::Min(1)]).areas(inner);
    frame.render_widget(Paragraph::new(summary), top);

    let dist_height = 13.min(rest.height / 2);
    let [list_area, dist_area] =
        Layout::vertical([Constraint::Min(2), Constraint::Length(dist_height)]).areas(rest);
    draw_findings(frame, list_area, app, cursor);
    draw_distributions(frame, dist_area, app);
}

fn draw_findings(frame: &mut Frame, area: Rect, app: &App, cursor: usize) {
    let findings: Vec<_> = app
        .verify
        .errors
        .iter()
        .chain(&app.verify.warnings)
        .collect();
    let height = area.height.saturating_sub(1) as usize;
    let start = if height == 0 {
        0
    } else {
        cursor.saturating_sub(height.saturating_sub(1))
    };
    let mut lines = vec![Line::styled(
        format!("Findings ({})", findings.len()),
        theme::title().fg(Color::Cyan),
    )];
    if findings.is_empty() {
        lines.push(Line::styled("  none: every line checks out", theme::dim()));
    }
    for (i, f) in findings.iter().enumerate().skip(start).take(height) {
        let (tag, style) = match f.severity {
            Severity::Error => ("ERROR  ", theme::error()),
            Severity::Warning => ("WARNING", Style::new().fg(Color::Yellow)),
        };
        let selected = i == cursor;
        let mut spans = vec![
            Span::raw(if selected { "> " } else { "  " }),
            Span::styled(tag, style),
            Span::raw(" "),
            Span::raw(inert(&f.message, 300)),
        ];
        if selected {
            spans = spans
                .into_iter()
                .map(|s| s.patch_style(Style::new().add_modifier(Modifier::REVERSED)))
                .collect();
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_distributions(frame: &mut Frame, area: Rect, app: &App) {
    let projection = app.index().projection();
    let narrow = area.width < 102;
    let name = |e: EventType| {
        if narrow {
            theme::short_state(e)
        } else {
            e.as_str()
        }
    };
    let column = |title: &str, rows: Vec<(&str, u64)>| {
        let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        let mut lines = vec![Line::styled(
            title.to_string(),
            theme::title().fg(Color::Cyan),
        )];
        for (label, n) in rows {
            lines.push(Line::from(format!(" {label:<width$}{:>9}", thousands(n))));
        }
        Paragraph::new(lines)
    };
    let [a, b, c] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(area);
    let states = EventType::ALL
        .iter()
        .map(|&e| (name(e), projection.state_count(e)))
        .collect();
    let types = EventType::ALL
        .iter()
        .map(|&e| (name(e), projection.event_type_count(e)))
        .collect();
    let actors = Actor::ALL
        .iter()
        .map(|&r| (r.as_str(), projection.actor_count(r)))
        .collect();
    frame.render_widget(column("By current state", states), a);
    frame.render_widget(column("By event type", types), b);
    frame.render_widget(column("By actor", actors), c);
}
