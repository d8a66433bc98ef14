//! The history pane: every event of the selected shipment with seq, time,
//! type, actor, operator, what its payload added or changed, and the dwell
//! time since the event before. Payload text is shown inert. Owns the
//! events read back for the selected shipment and their scroll.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use serde_json::{Map, Value};

use super::{Action, Focus, Handled};
use crate::domain::details;
use crate::domain::{Event, ShipmentId};
use crate::read::index::LogIndex;
use crate::read::projection::ShipmentSummary;
use crate::text::inert;
use crate::tui::keymap::Command;
use crate::tui::views::{dwell, theme};

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

/// The selected shipment's events, read back from the file.
#[derive(Debug, Clone)]
pub struct HistoryView {
    pub id: ShipmentId,
    pub event_count: u32,
    pub events: std::result::Result<Vec<Event>, String>,
}

/// The history pane: what it shows and how far it is scrolled.
#[derive(Debug, Clone, Default)]
pub struct History {
    view: Option<HistoryView>,
    scroll: usize,
}

impl History {
    /// Reads the selected shipment's history when it changed
    /// (`selected`: its ID and event count).
    /// `selected`: the shipment as the table shows it (in time travel, as
    /// it was: its history then ends at that moment).
    pub fn sync(&mut self, index: &LogIndex, selected: Option<&ShipmentSummary>) {
        let Some(summary) = selected else {
            self.view = None;
            return;
        };
        let (id, count) = (summary.id, summary.event_count);
        if self
            .view
            .as_ref()
            .is_some_and(|h| h.id == id && h.event_count == count)
        {
            return;
        }
        if self.view.as_ref().is_none_or(|h| h.id != id) {
            self.scroll = 0;
        }
        let events = index.history_of(summary).map_err(|e| e.to_string());
        self.view = Some(HistoryView {
            id,
            event_count: count,
            events,
        });
    }

    /// Forgets what was read (the log was read again from the start).
    pub fn clear(&mut self) {
        self.view = None;
    }

    /// The keys it takes when focused: scrolling (`page` rows at a time,
    /// the table's page) and Esc, which hands the keys back to the table.
    pub fn command(&mut self, command: Command, page: usize) -> Handled {
        let page = page.max(1) as isize;
        match command {
            Command::Up => self.scroll_by(-1),
            Command::Down => self.scroll_by(1),
            Command::PageUp => self.scroll_by(-page),
            Command::PageDown => self.scroll_by(page),
            Command::Top => self.scroll = 0,
            Command::Bottom => self.scroll = usize::MAX / 2,
            Command::Escape => return Handled::Yes(Some(Action::Focus(Focus::Table))),
            _ => return Handled::No,
        }
        Handled::Yes(None)
    }

    fn scroll_by(&mut self, delta: isize) {
        self.scroll = self.scroll.saturating_add_signed(delta);
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, focused: bool) {
        draw(frame, area, self, focused);
    }
}

fn draw(frame: &mut Frame, area: Rect, history: &History, focused: bool) {
    let title = match &history.view {
        Some(h) => format!(" History {} · {} events ", h.id, h.event_count),
        None => " History ".to_string(),
    };
    let block = Block::bordered()
        .title(Span::styled(title, theme::title()))
        .border_style(theme::focused_border(focused));
    let lines = match &history.view {
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
    let scroll = history.scroll.min(max_scroll) as u16;
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn focused_history_takes_scrolling_and_esc_only() {
        let mut history = History::default();
        assert!(matches!(
            history.command(Command::PageDown, 10),
            Handled::Yes(None)
        ));
        assert_eq!(history.scroll, 10);
        assert!(matches!(
            history.command(Command::Escape, 10),
            Handled::Yes(Some(Action::Focus(Focus::Table)))
        ));
        assert!(matches!(
            history.command(Command::NextSort, 10),
            Handled::No
        ));
    }
}
