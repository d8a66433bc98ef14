//! The new-shipment form: four fields, the focused one marked, each field's
//! error under it, and a warning when the current role is not SENDER.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{centered, theme};
use crate::domain::Actor;
use crate::text::inert;
use crate::tui::app::App;
use crate::tui::form::{HINTS, LABELS, NewShipmentForm};

pub fn draw(frame: &mut Frame, body: Rect, app: &App, form: &NewShipmentForm) {
    let area = centered(body, 76, 16);
    frame.render_widget(Clear, area);
    let mut lines = Vec::new();
    if app.role() != Some(Actor::Sender) {
        let role = app.role().map_or("read-only", |r| r.as_str());
        lines.push(Line::styled(
            format!("Shipments are created as SENDER; you are acting as {role} (r: change role)."),
            theme::error(),
        ));
    } else {
        lines.push(Line::styled("Created as SENDER.", theme::dim()));
    }
    for (i, label) in LABELS.iter().enumerate() {
        let focused = i == form.focus;
        let marker = if focused { "▶ " } else { "  " };
        let value = inert(&form.fields[i], 60);
        let value_style = if focused {
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        lines.push(Line::from(vec![
            Span::raw(marker),
            Span::styled(format!("{label:<14}"), theme::title()),
            Span::styled(
                format!("{value}{}", if focused { "_" } else { "" }),
                value_style,
            ),
        ]));
        match &form.errors[i] {
            Some(err) => lines.push(Line::styled(
                format!("    ✗ {}", inert(err, 90)),
                theme::error(),
            )),
            None => lines.push(Line::styled(format!("    {}", HINTS[i]), theme::dim())),
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Enter: check field / create on the last · Tab/Up/Down: move · Esc: close",
        theme::dim(),
    ));
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Span::styled(" New shipment ", theme::title()))
                .border_style(Style::new().fg(Color::Cyan)),
        ),
        area,
    );
}
