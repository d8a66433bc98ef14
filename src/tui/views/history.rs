//! The history pane: every event of the selected shipment with seq, time,
//! type, actor, operator, what its payload added or changed, and the dwell
//! time since the event before. Payload text is shown inert.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use serde_json::{Map, Value};

use super::{dwell, theme};
use crate::domain::Event;
use crate::domain::details;
use crate::text::inert;
use crate::tui::app::{App, Focus};

const VALUE_CHARS: usize = 80;

fn show_value(value: &Value) -> String {
    match value {
        Value::String(s) => inert(s, VALUE_CHARS),
        other => inert(&other.to_string(), VALUE_CHARS),
    }
}

/// The lines for one shipment's events.
pub fn history_lines(events: &[Event]) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut merged: Map<String, Value> = Map::new();
    let mut previous: Option<&Event> = None;
    for event in events {
        let gap = previous
            .map(|p| dwell((event.timestamp.instant() - p.timestamp.instant()).num_seconds()))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("#{:<3}", event.event_seq), theme::title()),
            Span::styled(
                format!(" {} ", event.event_type.as_str()),
                theme::state_badge(event.event_type),
            ),
            Span::styled(format!(" {gap}"), Style::new().fg(Color::Yellow)),
        ]));
        let operator = event
            .operator
            .as_deref()
            .map(|o| format!(" ({})", inert(o, 64)))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "     {} ",
                    event.timestamp.instant().format("%Y-%m-%d %H:%M:%S")
                ),
                theme::dim(),
            ),
            Span::raw(format!("{}{operator}", event.actor.as_str())),
        ]));
        for (key, value) in &event.payload {
            let key_text = inert(key, 40);
            let line = match merged.get(key) {
                None => Span::styled(
                    format!("     + {key_text}: {}", show_value(value)),
                    Style::new().fg(Color::Green),
                ),
                Some(old) if old != value => Span::styled(
                    format!(
                        "     ~ {key_text}: {} → {}",
                        show_value(old),
                        show_value(value)
                    ),
                    Style::new().fg(Color::Yellow),
                ),
                Some(_) => Span::styled(format!("     = {key_text} (unchanged)"), theme::dim()),
            };
            lines.push(Line::from(line));
        }
        details::merge(&mut merged, &event.payload);
        previous = Some(event);
    }
    lines
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let focused = app.focus == Focus::History;
    let title = match &app.history {
        Some(h) => format!(" History {} · {} events ", h.id, h.event_count),
        None => " History ".to_string(),
    };
    let block = Block::bordered()
        .title(Span::styled(title, theme::title()))
        .border_style(theme::focused_border(focused));
    let lines = match &app.history {
        None => vec![Line::styled(
            "Select a shipment to see its timeline.",
            theme::dim(),
        )],
        Some(h) => match &h.events {
            Ok(events) => history_lines(events),
            Err(e) => vec![Line::styled(
                format!("cannot read the history: {}", inert(e, 300)),
                theme::error(),
            )],
        },
    };
    let inner_height = area.height.saturating_sub(2) as usize;
    let max_scroll = lines.len().saturating_sub(inner_height);
    let scroll = app.history_scroll.min(max_scroll) as u16;
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}
