//! The history pane: every event of the selected shipment with seq, time,
//! type, actor, operator, what its payload added or changed, and the dwell
//! time since the event before. Payload text is shown inert. Owns the
//! events read back for the selected shipment and their scroll.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use serde_json::{Map, Value};

use super::{Action, Focus, Handled};
use crate::domain::details;
use crate::domain::{Event, ShipmentId, Zone};
use crate::read::index::LogIndex;
use crate::read::projection::ShipmentSummary;
use crate::read::query::{Query, Spot};
use crate::text::inert;
use crate::tui::keymap::Command;
use crate::tui::views::marks::marked;
use crate::tui::views::{dwell, fit, theme};

const VALUE_CHARS: usize = 80;

fn show_value(value: &Value) -> String {
    match value {
        Value::String(s) => fit::for_terminal(&inert(s, VALUE_CHARS)),
        other => inert(&other.to_string(), VALUE_CHARS),
    }
}

/// How the pane writes times: in `zone`, named, and with UTC beside them
/// when `utc_too` (the `z` key).
#[derive(Debug, Clone, Copy)]
pub struct Clock<'a> {
    pub zone: &'a Zone,
    pub utc_too: bool,
}

impl Clock<'_> {
    fn show(&self, t: chrono::DateTime<chrono::Utc>) -> String {
        let local = self.zone.date_time(t);
        if self.utc_too && !self.zone.is_utc() {
            format!("{local} ({})", Zone::utc().time(t))
        } else {
            local
        }
    }
}

/// The lines for one shipment's events, with what `query` matched marked.
pub fn history_lines(events: &[Event], query: &Query, clock: Clock<'_>) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut merged: Map<String, Value> = Map::new();
    let mut previous: Option<&Event> = None;
    for event in events {
        let gap = previous
            .map(|p| dwell((event.timestamp.instant() - p.timestamp.instant()).num_seconds()))
            .unwrap_or_default();
        let badge = theme::state_badge(event.event_type);
        let mut head = vec![
            Span::styled(format!("#{:<3}", event.event_seq), theme::title()),
            Span::styled(" ", badge),
        ];
        let kind = event.event_type.as_str().to_string();
        head.extend(marked(query, &Spot::Event, kind, badge));
        head.push(Span::styled(" ", badge));
        head.push(Span::styled(format!(" {gap}"), theme::warn()));
        lines.push(Line::from(head));
        let time = clock.show(event.timestamp.instant());
        let mut who = vec![Span::styled(format!("     {time} "), theme::dim())];
        who.extend(marked(
            query,
            &Spot::Actor,
            event.actor.as_str().to_string(),
            Style::new(),
        ));
        if let Some(operator) = event.operator.as_deref() {
            who.push(Span::raw(" ("));
            who.extend(marked(
                query,
                &Spot::Operator,
                inert(operator, 64),
                Style::new(),
            ));
            who.push(Span::raw(")"));
        }
        lines.push(Line::from(who));
        for (key, value) in &event.payload {
            lines.push(payload_line(query, &merged, key, value));
        }
        details::merge(&mut merged, &event.payload);
        previous = Some(event);
    }
    lines
}

/// One payload key: added (`+`), changed (`~`) or unchanged (`=`), its
/// key and new value marked where the query matched them.
fn payload_line(
    query: &Query,
    merged: &Map<String, Value>,
    key: &str,
    value: &Value,
) -> Line<'static> {
    let key_text = inert(key, 40);
    let (sign, style, old) = match merged.get(key) {
        None => ("+", theme::added(), None),
        Some(old) if old != value => ("~", theme::warn(), Some(old)),
        Some(_) => {
            return Line::from(Span::styled(
                format!("     = {key_text} (unchanged)"),
                theme::dim(),
            ));
        }
    };
    let mut spans = vec![Span::styled(format!("     {sign} "), style)];
    spans.extend(marked(query, &Spot::Key, key_text, style));
    spans.push(Span::styled(": ", style));
    if let Some(old) = old {
        spans.push(Span::styled(format!("{} → ", show_value(old)), style));
    }
    spans.extend(marked(query, &Spot::Payload(key), show_value(value), style));
    Line::from(spans)
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
    /// UTC shown beside the local times (`z`).
    utc_too: bool,
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

    /// `z`: UTC beside the local times, or not.
    pub fn toggle_utc(&mut self) -> bool {
        self.utc_too = !self.utc_too;
        self.utc_too
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

    /// Draws the pane; `query` marks what the search matched; times are
    /// in `zone`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, focused: bool, query: &Query, zone: &Zone) {
        let clock = Clock {
            zone,
            utc_too: self.utc_too,
        };
        draw(frame, area, self, focused, query, clock);
    }
}

fn draw(
    frame: &mut Frame,
    area: Rect,
    history: &History,
    focused: bool,
    query: &Query,
    clock: Clock<'_>,
) {
    let title = match &history.view {
        Some(h) => format!(" History {} · {} events ", h.id, h.event_count),
        None => " History ".to_string(),
    };
    let block = Block::bordered()
        .title(Span::styled(
            theme::pane_title(focused, &title),
            theme::title(),
        ))
        .border_type(theme::border_type(focused))
        .border_style(theme::focused_border(focused));
    let lines = match &history.view {
        None => vec![Line::styled(
            "Select a shipment to see its timeline.",
            theme::dim(),
        )],
        Some(h) => match &h.events {
            Ok(events) => history_lines(events, query, clock),
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
