//! The role action bar: who is acting, and for the selected shipment what
//! this role may do now (with its key) or why not (wrong role, wrong
//! state, terminal). Read-only dashboards say why they are read-only.
//! No state of its own: it draws from the role and the selection, and
//! decides what the action keys (`a`, `h`, `o`, `x`, `n`) lead to.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use serde_json::Map;

use super::{Action, ReasonPrompt};
use crate::domain::{Actor, EventType, lifecycle};
use crate::read::projection::ShipmentSummary;
use crate::store::AppendRequest;
use crate::text::inert;
use crate::tui::access::Access;
use crate::tui::actions::{ActionOption, action_options, check_action, primary_option};
use crate::tui::keymap::Command;
use crate::tui::views::theme;

/// The action bar. Stateless: what it shows follows from the role and the
/// selected shipment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ActionBar;

impl ActionBar {
    /// What an action key leads to. `acting`: the role that may append
    /// now, or why none may; `selected`: the shipment as the operator sees
    /// it (its seq goes with the append, so a shipment that moved
    /// meanwhile is a conflict, never a silent double step).
    pub fn command(
        &self,
        command: Command,
        acting: Result<Actor, String>,
        selected: Option<&ShipmentSummary>,
    ) -> Option<Action> {
        let event = match command {
            Command::Primary => None,
            Command::Hold => Some(EventType::HoldForReview),
            Command::Override => Some(EventType::OverrideApplied),
            Command::Cancel => Some(EventType::Cancelled),
            Command::NewShipment => {
                return Some(match acting {
                    Ok(_) => Action::OpenForm,
                    Err(why) => Action::Error(why),
                });
            }
            _ => return None,
        };
        let role = match acting {
            Ok(role) => role,
            Err(why) => return Some(Action::Error(why)),
        };
        let Some(s) = selected else {
            return Some(Action::Error("no shipment selected".into()));
        };
        let (id, state, seq) = (s.id, s.state, s.seq);
        Some(match event {
            // `a`: the role's next standard step, appended at once.
            None => match primary_option(role, state) {
                Ok(event) => Action::Append(
                    AppendRequest::advance(id, event, role, Map::new()).expecting_seq(seq),
                ),
                Err(why) => Action::Error(format!("{id}: {role} cannot advance it ({why})")),
            },
            // Hold, override, cancel: a reason first, then `y`.
            Some(event) => match check_action(role, state, event) {
                Ok(_) => Action::AskReason(ReasonPrompt::new(event, id, seq, state)),
                Err(why) => Action::Error(format!("{id}: {role} cannot append {event} ({why})")),
            },
        })
    }

    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        access: &Access,
        selected: Option<&ShipmentSummary>,
        past: Option<&str>,
    ) {
        let mut spans = vec![role_badge(access)];
        if let Some(why) = past {
            // Time travel: no action key does anything; say why instead.
            spans.push(Span::raw(" "));
            spans.push(Span::styled(why.to_string(), theme::error()));
            spans.push(Span::styled("  ? help", theme::dim()));
            frame.render_widget(
                Paragraph::new(Line::from(spans)).wrap(Wrap { trim: true }),
                area,
            );
            return;
        }
        if access.roles().len() > 1 {
            spans.push(Span::styled(" r/R role ", theme::dim()));
        }
        spans.extend(selection_spans(access, selected, area.width < 120));
        if access.read_only().is_none() && access.role().is_some() {
            spans.extend(new_shipment_spans(access.role() == Some(Actor::Sender)));
        }
        // `? help` has its own corner, so no action text pushes it off.
        let [left, right] = ratatui::layout::Layout::horizontal([
            ratatui::layout::Constraint::Fill(1),
            ratatui::layout::Constraint::Length(8),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(Line::from(spans)).wrap(Wrap { trim: true }),
            left,
        );
        frame.render_widget(
            Paragraph::new(Line::styled("  ? help", theme::dim())),
            right,
        );
    }
}

/// The badge at the left: the acting role, or "read-only".
fn role_badge(access: &Access) -> Span<'static> {
    match access.role() {
        Some(role) if access.read_only().is_none() => {
            Span::styled(format!(" ROLE {role} "), theme::role_badge())
        }
        _ => Span::styled(" read-only ", theme::read_only_badge()),
    }
}

/// Why nothing may be done (read-only, no role, nothing selected), or the
/// selected shipment and what the role may do to it.
fn selection_spans(
    access: &Access,
    selected: Option<&ShipmentSummary>,
    narrow: bool,
) -> Vec<Span<'static>> {
    match (access.role(), selected) {
        _ if access.read_only().is_some() => vec![
            Span::raw(" "),
            Span::styled(inert(&access.read_only_reason(), 200), theme::error()),
        ],
        (None, _) => vec![
            Span::raw(" "),
            Span::styled(inert(&access.read_only_reason(), 200), theme::dim()),
        ],
        (Some(_), None) => vec![Span::styled(" no shipment selected ", theme::dim())],
        (Some(role), Some(s)) => {
            let mut spans = vec![
                Span::raw(format!(" {} ", s.id)),
                Span::styled(format!("{} seq {} ", s.state, s.seq), theme::dim()),
                Span::raw("│"),
            ];
            if lifecycle::is_terminal(s.state) {
                spans.push(Span::styled(
                    format!(" {} is terminal: no action may follow ", s.state),
                    theme::dim(),
                ));
            } else {
                for option in action_options(role, s.state) {
                    spans.push(Span::raw(" "));
                    spans.extend(option_spans(option, narrow));
                }
            }
            spans
        }
    }
}

/// One action: its key and label in green when available, dimmed with the
/// reason when not.
fn option_spans(option: ActionOption, narrow: bool) -> [Span<'static>; 2] {
    match option.available {
        Ok(event) => {
            let text = if option.key == 'a' {
                format!(" {event} ")
            } else {
                format!(" {} ", option.label)
            };
            [
                Span::styled(format!(" {} ", option.key), theme::key()),
                Span::styled(text, theme::added()),
            ]
        }
        Err(why) => {
            // Narrow screens get the kind of refusal; pressing the key puts
            // the whole reason in the status line.
            let why = if narrow {
                why.split(':').next().unwrap_or_default().to_string()
            } else {
                why
            };
            [
                Span::styled(format!(" {} ", option.key), theme::dim()),
                Span::styled(format!(" {}: {why} ", option.label), theme::dim()),
            ]
        }
    }
}

/// The `n` key: live for a sender, dimmed with who may create otherwise.
fn new_shipment_spans(create_ok: bool) -> [Span<'static>; 3] {
    let (key_style, label, label_style) = if create_ok {
        (theme::key(), " new ", theme::added())
    } else {
        (theme::dim(), " new (as SENDER only) ", theme::dim())
    };
    [
        Span::raw(" "),
        Span::styled(" n ", key_style),
        Span::styled(label, label_style),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_role_or_no_selection_never_appends() {
        let bar = ActionBar;
        for command in [
            Command::Primary,
            Command::Hold,
            Command::Override,
            Command::Cancel,
            Command::NewShipment,
        ] {
            let action = bar.command(command, Err("read-only".into()), None);
            assert!(matches!(action, Some(Action::Error(_))), "{command:?}");
        }
        let action = bar.command(Command::Primary, Ok(Actor::Sender), None);
        assert!(matches!(action, Some(Action::Error(why)) if why == "no shipment selected"));
        let action = bar.command(Command::NewShipment, Ok(Actor::Sender), None);
        assert!(matches!(action, Some(Action::OpenForm)));
        assert!(bar.command(Command::Up, Ok(Actor::Sender), None).is_none());
    }
}
