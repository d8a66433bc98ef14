//! The `?` help: generated from the keymap table itself, so it lists
//! exactly the keys the app dispatches. Owns its scroll; Up/Down scroll,
//! any other key closes it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use ratatui::layout::{Constraint, Layout};

use crate::tui::keymap::{Command, Context, HELP_ORDER, KEYMAP};
use crate::tui::views::theme;

/// The help view's scroll, while it is open.
#[derive(Debug, Clone, Default)]
pub struct Help {
    scroll: Option<usize>,
}

impl Help {
    pub fn open(&mut self) {
        self.scroll = Some(0);
    }

    pub fn is_open(&self) -> bool {
        self.scroll.is_some()
    }

    pub fn command(&mut self, command: Command) {
        let Some(scroll) = self.scroll else { return };
        self.scroll = match command {
            Command::Up => Some(scroll.saturating_sub(1)),
            Command::Down => Some(scroll + 1),
            Command::PageUp => Some(scroll.saturating_sub(10)),
            Command::PageDown => Some(scroll + 10),
            _ => None,
        };
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        if let Some(scroll) = self.scroll {
            draw(frame, area, scroll);
        }
    }
}

/// Help lines for the given contexts (the whole keymap when all are given).
pub fn help_lines(contexts: &[Context]) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for &context in contexts {
        lines.push(Line::styled(context.title().to_string(), theme::accent()));
        for binding in KEYMAP.iter().filter(|b| b.context == context) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<12}", binding.label), theme::title()),
                Span::raw(binding.help),
            ]));
        }
        lines.push(Line::from(""));
    }
    lines
}

fn footnote() -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        "State keys, in strip order: 1 CREATED … 9 OVERRIDE_APPLIED, 0 HOLD_FOR_REVIEW, - CANCELLED. Clicks on the strip work too.",
        theme::dim(),
    )];
    // The legend of the strip's short names (narrow and wide screens).
    lines.push(Line::styled("State names in the strip", theme::accent()));
    for &state in crate::domain::EventType::ALL.iter() {
        lines.push(Line::from(format!(
            "  {:<4}{:<13}{}",
            theme::code_state(state),
            theme::short_state(state),
            state.as_str()
        )));
    }
    lines
}

fn draw(frame: &mut Frame, area: Rect, scroll: usize) {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .title(Span::styled(
            " Help: every key (Esc closes, Up/Down/PgUp/PgDn scroll) ",
            theme::title(),
        ))
        .border_style(theme::focused_border(true));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Wide screens: two columns, so the whole keymap fits at 160x45.
    let columns: Vec<(Rect, Vec<Line>)> = if inner.width >= 120 {
        let [left, right] = Layout::horizontal([Constraint::Percentage(50); 2]).areas(inner);
        let mut right_lines = help_lines(&HELP_ORDER[2..]);
        right_lines.extend(footnote());
        vec![(left, help_lines(&HELP_ORDER[..2])), (right, right_lines)]
    } else {
        let mut lines = help_lines(&HELP_ORDER);
        lines.extend(footnote());
        vec![(inner, lines)]
    };
    for (rect, lines) in columns {
        let max = lines.len().saturating_sub(rect.height as usize);
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((scroll.min(max) as u16, 0)),
            rect,
        );
    }
}
