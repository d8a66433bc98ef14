//! The state strip: a count per current state, each with the key that
//! filters to it, flowed onto as many lines as the width needs. The click
//! areas are recorded so a mouse click filters too.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use super::thousands;
use crate::domain::EventType;
use crate::tui::app::App;
use crate::tui::keymap::STATE_KEYS;

/// One strip entry: its text, its state (`None` = all) and its column.
pub struct Entry {
    pub text: String,
    pub state: Option<EventType>,
    pub x: u16,
}

/// Entries flowed onto lines that fit `width`.
pub fn layout(app: &App, width: u16) -> Vec<Vec<Entry>> {
    let projection = app.projection();
    let mut entries = vec![(
        format!(" all {} ", thousands(projection.total_shipments() as u64)),
        None,
    )];
    let label = if width >= 120 {
        theme::short_state
    } else {
        theme::code_state
    };
    for (i, &state) in EventType::ALL.iter().enumerate() {
        let key = STATE_KEYS.get(i).copied().unwrap_or(' ');
        entries.push((
            format!(
                " {key} {} {} ",
                label(state),
                thousands(projection.state_count(state))
            ),
            Some(state),
        ));
    }
    let mut lines: Vec<Vec<Entry>> = vec![Vec::new()];
    let mut x = 0u16;
    for (text, state) in entries {
        let w = text.chars().count() as u16 + 1;
        if x > 0 && x + w > width {
            lines.push(Vec::new());
            x = 0;
        }
        if let Some(line) = lines.last_mut() {
            line.push(Entry { text, state, x });
        }
        x = x.saturating_add(w);
    }
    lines
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, lines: &[Vec<Entry>]) {
    let mut hits = Vec::new();
    let mut out = Vec::new();
    for (row, entries) in lines.iter().enumerate() {
        let mut spans = Vec::new();
        for entry in entries {
            let active = app.table().filter().state == entry.state;
            let style = match entry.state {
                Some(state) if active => theme::state_badge(state).add_modifier(Modifier::BOLD),
                Some(state) => theme::state_text(state),
                None if active => Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
                None => Style::new(),
            };
            // Active is also marked in text, not only by colour.
            let text = if active {
                format!("[{}]", entry.text.trim())
            } else {
                entry.text.clone()
            };
            let width = text.chars().count() as u16;
            spans.push(Span::styled(text, style));
            spans.push(Span::raw(" "));
            hits.push((
                Rect {
                    x: area.x + entry.x,
                    y: area.y + row as u16,
                    width,
                    height: 1,
                },
                entry.state,
            ));
        }
        out.push(Line::from(spans));
    }
    app.table().set_strip_hits(hits);
    frame.render_widget(Paragraph::new(out), area);
}
