//! The reason prompt of a hold, override or cancel: the reason typed, then
//! a `y` to append it. The event, the shipment and the seq the operator
//! saw come from the action bar; the append, with the role acting at the
//! `y`, goes back to the `App` as an `Action`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use serde_json::{Map, Value};

use super::Action;
use crate::domain::{Actor, EventType, ShipmentId};
use crate::store::AppendRequest;
use crate::text::inert;
use crate::tui::keymap::{Command, Context};
use crate::tui::views::{centered, theme};

/// Longest reason accepted, in characters.
const MAX_REASON_CHARS: usize = 500;

/// A reason being typed, then confirmed with `y`: what the prompt of one
/// shipment and the batch prompt (`batch.rs`) share.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReasonDraft {
    pub text: String,
    /// The reason is given; the `y` is awaited.
    pub confirming: bool,
}

/// What a key did to a draft.
pub enum DraftKey {
    /// Typing: nothing to do, or an error to show.
    Handled(Option<Action>),
    /// The `y`: append now.
    Confirmed,
    /// Not a key of the draft's.
    Other,
}

impl ReasonDraft {
    /// The keys' context: typing the reason, or the `y`.
    pub fn context(&self) -> Context {
        if self.confirming {
            Context::Confirm
        } else {
            Context::TextInput
        }
    }

    pub fn type_char(&mut self, c: char) {
        if !self.confirming && self.text.chars().count() < MAX_REASON_CHARS {
            self.text.push(c);
        }
    }

    /// Backspace and Enter while typing; the `y` once confirming.
    pub fn key(&mut self, command: Command) -> DraftKey {
        match command {
            Command::Backspace if !self.confirming => {
                self.text.pop();
                DraftKey::Handled(None)
            }
            Command::Submit if !self.confirming => {
                if self.reason().is_empty() {
                    return DraftKey::Handled(Some(Action::Error(
                        "a reason is required (Esc to give up)".into(),
                    )));
                }
                self.confirming = true;
                DraftKey::Handled(None)
            }
            Command::Confirm if self.confirming => DraftKey::Confirmed,
            _ => DraftKey::Other,
        }
    }

    /// The reason as it goes into the payload.
    pub fn reason(&self) -> &str {
        self.text.trim()
    }
}

/// A hold, override or cancel waiting for its reason and its `y`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonPrompt {
    pub event: EventType,
    pub id: ShipmentId,
    /// The seq the operator saw when they pressed the key.
    pub seq: u32,
    pub state: EventType,
    pub draft: ReasonDraft,
}

impl ReasonPrompt {
    pub fn new(event: EventType, id: ShipmentId, seq: u32, state: EventType) -> ReasonPrompt {
        ReasonPrompt {
            event,
            id,
            seq,
            state,
            draft: ReasonDraft::default(),
        }
    }
}

/// The prompt, while open.
#[derive(Debug, Clone, Default)]
pub struct Reason {
    prompt: Option<ReasonPrompt>,
}

impl Reason {
    pub fn open(&mut self, prompt: ReasonPrompt) {
        self.prompt = Some(prompt);
    }

    pub fn is_open(&self) -> bool {
        self.prompt.is_some()
    }

    /// The keys' context: typing the reason, or the `y`.
    pub fn context(&self) -> Option<Context> {
        Some(self.prompt.as_ref()?.draft.context())
    }

    pub fn type_char(&mut self, c: char) {
        if let Some(p) = self.prompt.as_mut() {
            p.draft.type_char(c);
        }
    }

    /// `acting`: the role that would append now, or why none may.
    pub fn command(&mut self, command: Command, acting: Result<Actor, String>) -> Option<Action> {
        let prompt = self.prompt.as_mut()?;
        if command == Command::Escape {
            let event = prompt.event;
            self.prompt = None;
            return Some(Action::Info(format!("{event} not appended")));
        }
        match prompt.draft.key(command) {
            DraftKey::Handled(action) => action,
            DraftKey::Other => None,
            DraftKey::Confirmed => {
                let prompt = self.prompt.take()?;
                let role = match acting {
                    Ok(role) => role,
                    Err(why) => return Some(Action::Error(why)),
                };
                let mut payload = Map::new();
                payload.insert("reason".into(), Value::from(prompt.draft.reason()));
                let request = AppendRequest::advance(prompt.id, prompt.event, role, payload)
                    .expecting_seq(prompt.seq);
                Some(Action::Append(request))
            }
        }
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect) {
        if let Some(prompt) = &self.prompt {
            draw_prompt(frame, body, prompt);
        }
    }
}

fn draw_prompt(frame: &mut Frame, body: Rect, prompt: &ReasonPrompt) {
    let area = centered(body, 72, 8);
    frame.render_widget(Clear, area);
    let title = format!(" {} {} ", prompt.event, prompt.id);
    let mut lines = vec![Line::from(format!(
        "{} is {} (seq {}).",
        prompt.id, prompt.state, prompt.seq
    ))];
    if prompt.draft.confirming {
        lines.push(Line::from(format!(
            "Reason: {}",
            inert(&prompt.draft.text, 200)
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
                format!("{}_", inert(&prompt.draft.text, 200)),
                theme::warn(),
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
                .border_style(theme::warn()),
        ),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt() -> Reason {
        let mut reason = Reason::default();
        let id = ShipmentId::parse_lenient("7").unwrap();
        reason.open(ReasonPrompt::new(
            EventType::HoldForReview,
            id,
            2,
            EventType::ManagerApproved,
        ));
        reason
    }

    #[test]
    fn a_reason_then_y_asks_for_one_append() {
        let mut reason = prompt();
        assert!(matches!(
            reason.command(Command::Submit, Ok(Actor::Warehouse)),
            Some(Action::Error(_))
        ));
        assert_eq!(reason.context(), Some(Context::TextInput));
        "damaged crate".chars().for_each(|c| reason.type_char(c));
        assert!(
            reason
                .command(Command::Submit, Ok(Actor::Warehouse))
                .is_none()
        );
        assert_eq!(reason.context(), Some(Context::Confirm));
        let action = reason.command(Command::Confirm, Ok(Actor::Warehouse));
        assert!(matches!(action, Some(Action::Append(_))));
        assert!(!reason.is_open());
    }

    #[test]
    fn y_without_a_role_appends_nothing() {
        let mut reason = prompt();
        reason.type_char('x');
        reason.command(Command::Submit, Ok(Actor::Warehouse));
        let action = reason.command(Command::Confirm, Err("read-only".into()));
        assert!(matches!(action, Some(Action::Error(why)) if why == "read-only"));
        assert!(!reason.is_open());
    }
}
