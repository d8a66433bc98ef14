//! The bottom line (status messages and errors, or the text being typed
//! for `/` and `:`) and the reason + `y` confirmation box for hold,
//! override and cancel.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{centered, theme};
use crate::text::inert;
use crate::tui::app::{App, Mode, ReasonPrompt};

pub fn draw_status(frame: &mut Frame, area: Rect, app: &App) {
    let line = match &app.mode {
        Mode::Filter => Line::from(vec![
            Span::styled(" / ", theme::key()),
            Span::raw(format!(" {}_", inert(&app.filter.text, 120))),
            Span::styled("   Enter keep · Esc clear", theme::dim()),
        ]),
        Mode::Jump(text) => Line::from(vec![
            Span::styled(" : ", theme::key()),
            Span::raw(format!(" jump to {}_", inert(text, 40))),
            Span::styled(
                "   SHP-0000000042 or 42 · Enter go · Esc cancel",
                theme::dim(),
            ),
        ]),
        _ if app.appending() => {
            let mut spans = vec![Span::styled(
                format!(" {}", app.in_flight_text().unwrap_or_default()),
                Style::new().fg(Color::Yellow),
            )];
            if let Some(s) = &app.status {
                spans.push(Span::styled(
                    format!("  ·  {}", inert(&s.text, 300)),
                    if s.error {
                        theme::error()
                    } else {
                        theme::dim()
                    },
                ));
            }
            Line::from(spans)
        }
        _ => match &app.status {
            Some(s) if s.error => Line::from(Span::styled(
                format!(" ✗ {}", inert(&s.text, 400)),
                theme::error(),
            )),
            Some(s) => Line::from(Span::raw(format!(" {}", inert(&s.text, 400)))),
            None => Line::from(Span::styled(" Ready.", theme::dim())),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

pub fn draw_reason(frame: &mut Frame, body: Rect, prompt: &ReasonPrompt) {
    let area = centered(body, 72, 8);
    frame.render_widget(Clear, area);
    let title = format!(" {} {} ", prompt.event, prompt.id);
    let mut lines = vec![Line::from(format!(
        "{} is {} (seq {}).",
        prompt.id, prompt.state, prompt.seq
    ))];
    if prompt.confirming {
        lines.push(Line::from(format!(
            "Reason: {}",
            inert(&prompt.reason, 200)
        )));
        lines.push(Line::from(""));
        lines.push(Line::from(vec![
            Span::styled(
                format!("Append {}? ", prompt.event),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::styled(" y ", theme::key()),
            Span::raw(" yes   any other key: no"),
        ]));
    } else {
        lines.push(Line::from(vec![
            Span::raw("Reason: "),
            Span::styled(
                format!("{}_", inert(&prompt.reason, 200)),
                Style::new().fg(Color::Yellow),
            ),
        ]));
        lines.push(Line::from(""));
        lines.push(Line::styled(
            "Enter: next (then y to confirm) · Esc: cancel",
            theme::dim(),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(Span::styled(title, theme::title()))
                .border_style(Style::new().fg(Color::Yellow)),
        ),
        area,
    );
}
