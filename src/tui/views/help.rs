//! The `?` help: generated from the keymap table itself, so it lists
//! exactly the keys the app dispatches.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme;
use crate::tui::keymap::{HELP_ORDER, KEYMAP};

pub fn help_lines() -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for context in HELP_ORDER {
        lines.push(Line::styled(
            context.title().to_string(),
            theme::title().fg(Color::Cyan),
        ));
        for binding in KEYMAP.iter().filter(|b| b.context == context) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<12}", binding.label), theme::title()),
                Span::raw(binding.help),
            ]));
        }
        lines.push(Line::from(""));
    }
    lines.push(Line::styled(
        "State keys, in strip order: 1 CREATED … 9 OVERRIDE_APPLIED, 0 HOLD_FOR_REVIEW, - CANCELLED. Clicks on the strip work too.",
        theme::dim(),
    ));
    lines
}

pub fn draw(frame: &mut Frame, area: Rect, scroll: usize) {
    frame.render_widget(Clear, area);
    let lines = help_lines();
    let max = lines
        .len()
        .saturating_sub(area.height.saturating_sub(2) as usize);
    let block = Block::bordered()
        .title(Span::styled(
            " Help: every key (Esc closes) ",
            theme::title(),
        ))
        .border_style(theme::focused_border(true));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll.min(max) as u16, 0)),
        area,
    );
}
