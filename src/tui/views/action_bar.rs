//! The role action bar: who is acting, and for the selected shipment what
//! this role may do now (with its key) or why not (wrong role, wrong
//! state, terminal). Read-only dashboards say why they are read-only.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::theme;
use crate::domain::{Actor, lifecycle};
use crate::text::inert;
use crate::tui::actions::action_options;
use crate::tui::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let role_span = match app.role() {
        Some(role) if app.read_only.is_none() => Span::styled(
            format!(" ROLE {role} "),
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        ),
        _ => Span::styled(
            " read-only ",
            Style::new()
                .fg(Color::White)
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD),
        ),
    };
    let mut spans = vec![role_span];
    if app.roles.len() > 1 {
        spans.push(Span::styled(" r/R role ", theme::dim()));
    }
    match (app.role(), app.selected_summary()) {
        _ if app.read_only.is_some() => {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(
                inert(&app.read_only_reason(), 200),
                theme::error(),
            ));
        }
        (None, _) => {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(
                inert(&app.read_only_reason(), 200),
                theme::dim(),
            ));
        }
        (Some(_), None) => spans.push(Span::styled(" no shipment selected ", theme::dim())),
        (Some(role), Some(s)) => {
            spans.push(Span::raw(format!(" {} ", s.id)));
            spans.push(Span::styled(
                format!("{} seq {} ", s.state, s.seq),
                theme::dim(),
            ));
            spans.push(Span::raw("│"));
            let options = if lifecycle::is_terminal(s.state) {
                spans.push(Span::styled(
                    format!(" {} is terminal: no action may follow ", s.state),
                    theme::dim(),
                ));
                Vec::new()
            } else {
                action_options(role, s.state)
            };
            for option in options {
                spans.push(Span::raw(" "));
                match option.available {
                    Ok(event) => {
                        spans.push(Span::styled(format!(" {} ", option.key), theme::key()));
                        let text = if option.key == 'a' {
                            format!(" {event} ")
                        } else {
                            format!(" {} ", option.label)
                        };
                        spans.push(Span::styled(text, Style::new().fg(Color::Green)));
                    }
                    Err(why) => {
                        // Narrow screens get the kind of refusal; pressing
                        // the key puts the whole reason in the status line.
                        let why = if area.width < 120 {
                            why.split(':').next().unwrap_or_default().to_string()
                        } else {
                            why
                        };
                        spans.push(Span::styled(format!(" {} ", option.key), theme::dim()));
                        spans.push(Span::styled(
                            format!(" {}: {why} ", option.label),
                            theme::dim(),
                        ));
                    }
                }
            }
        }
    }
    if app.read_only.is_none() && app.role().is_some() {
        spans.push(Span::raw(" "));
        let create_ok = app.role() == Some(Actor::Sender);
        spans.push(Span::styled(
            " n ",
            if create_ok {
                theme::key()
            } else {
                theme::dim()
            },
        ));
        spans.push(Span::styled(
            if create_ok {
                " new "
            } else {
                " new (as SENDER only) "
            },
            if create_ok {
                Style::new().fg(Color::Green)
            } else {
                theme::dim()
            },
        ));
    }
    spans.push(Span::styled("  ? help", theme::dim()));
    frame.render_widget(
        Paragraph::new(Line::from(spans)).wrap(Wrap { trim: true }),
        area,
    );
}
