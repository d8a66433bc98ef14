//! The new-shipment form: its state, its keys, its drawing, and
//! field-by-field validation. The rules are the core's
//! (`domain::payload`), applied to one field at a time so the operator
//! learns what is wrong where they typed it, while typing. The delivery
//! type is a picker (Left/Right or Space), not text. When it opens under
//! a role other than SENDER it first offers to switch (`y`), or says the
//! policy does not allow it. Esc hides it and keeps the draft until a
//! shipment is created (`n` shows it again). Drawn: four fields, the
//! focused one marked, each field's error beside it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use serde_json::{Map, Value};

use super::Action;
use crate::domain::payload::{self, DELIVERY_TYPES};
use crate::domain::{Actor, EventType};
use crate::store::AppendRequest;
use crate::text::inert;
use crate::tui::keymap::Command;
use crate::tui::views::{centered, theme};

pub const LABELS: [&str; 4] = ["Source", "Destination", "Weight (kg)", "Delivery type"];
pub const HINTS: [&str; 4] = [
    "city, state (e.g. Mumbai, Maharashtra)",
    "city, state (e.g. Delhi, Delhi)",
    "more than 0, at most 100000",
    "Left/Right or Space to pick",
];
const MAX_INPUT_CHARS: usize = 240;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewShipmentForm {
    pub fields: [String; 4],
    pub errors: [Option<String>; 4],
    pub focus: usize,
}

impl NewShipmentForm {
    pub fn new() -> Self {
        NewShipmentForm {
            fields: [
                String::new(),
                String::new(),
                String::new(),
                "STANDARD".to_string(),
            ],
            ..Self::default()
        }
    }

    /// A character typed: into a text field (checked at once), or on the
    /// delivery-type picker Space picks the next type.
    pub fn insert(&mut self, c: char) {
        if self.focus == 3 {
            if c == ' ' {
                self.cycle_delivery(true);
            } else {
                self.errors[3] = Some("pick with Left/Right or Space; no typing here".into());
            }
            return;
        }
        let field = &mut self.fields[self.focus];
        if field.chars().count() < MAX_INPUT_CHARS {
            field.push(c);
        }
        self.check_focused();
    }

    pub fn backspace(&mut self) {
        if self.focus == 3 {
            return;
        }
        self.fields[self.focus].pop();
        self.check_focused();
    }

    pub fn is_last(&self) -> bool {
        self.focus == LABELS.len() - 1
    }

    pub fn next_field(&mut self) {
        self.focus = (self.focus + 1).min(LABELS.len() - 1);
    }

    pub fn prev_field(&mut self) {
        self.focus = self.focus.saturating_sub(1);
    }

    /// Left/Right on the delivery type steps through the allowed values.
    pub fn cycle_delivery(&mut self, forward: bool) {
        if self.focus != 3 {
            return;
        }
        let current = self.fields[3].trim().to_ascii_uppercase();
        let n = DELIVERY_TYPES.len();
        let next = match DELIVERY_TYPES.iter().position(|&t| t == current) {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None => 0,
        };
        self.fields[3] = DELIVERY_TYPES[next].to_string();
        self.errors[3] = None;
    }

    /// Enter on a field: on to the next one only if this one is valid.
    pub fn next_if_valid(&mut self) {
        if self.check_focused() {
            self.next_field();
        }
    }

    /// Checks the focused field, recording (and returning) its error.
    pub fn check_focused(&mut self) -> bool {
        let i = self.focus;
        self.errors[i] = check_field(i, &self.fields[i]).err();
        self.errors[i].is_none()
    }

    /// Checks every field; on failure focuses the first bad one.
    pub fn payload(&mut self) -> Option<Map<String, Value>> {
        for i in 0..LABELS.len() {
            self.errors[i] = check_field(i, &self.fields[i]).err();
        }
        if let Some(bad) = self.errors.iter().position(Option::is_some) {
            self.focus = bad;
            return None;
        }
        let weight = parse_weight(&self.fields[2]).ok()?;
        Some(payload::created_payload(
            &self.fields[0],
            &self.fields[1],
            weight,
            &self.fields[3],
            Map::new(),
        ))
    }
}

/// What the form offers when it opens under a role other than SENDER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    /// `y` switches to SENDER.
    Switch(Actor),
    /// The policy does not give this operator SENDER (why).
    Denied(String),
}

/// The form and its draft (kept while hidden, until a shipment is
/// created), and the role offer while it waits for an answer.
#[derive(Debug, Clone, Default)]
pub struct Form {
    form: Option<NewShipmentForm>,
    shown: bool,
    offer: Option<Offer>,
}

impl Form {
    /// `role`: acting now; `sender`: whether this operator may act as
    /// SENDER (or why not). Shows the draft if there is one.
    pub fn open(&mut self, role: Option<Actor>, sender: Result<(), String>) {
        if self.form.is_none() {
            self.form = Some(NewShipmentForm::new());
        }
        self.shown = true;
        self.offer = match (role, sender) {
            (Some(Actor::Sender), _) => None,
            (Some(role), Ok(())) => Some(Offer::Switch(role)),
            (None, Ok(())) => Some(Offer::Switch(Actor::Sender)),
            (_, Err(why)) => Some(Offer::Denied(why)),
        };
    }

    pub fn is_open(&self) -> bool {
        self.shown && self.form.is_some()
    }

    /// The role offer waiting for its answer, if any.
    pub fn offer(&self) -> Option<&Offer> {
        self.offer.as_ref().filter(|_| self.is_open())
    }

    /// The offer was answered (switched, or declined): the form itself.
    pub fn offer_done(&mut self, keep_open: bool) {
        self.offer = None;
        self.shown = keep_open;
    }

    /// The open form, to fill it in directly (tests).
    pub fn get_mut(&mut self) -> Option<&mut NewShipmentForm> {
        self.form.as_mut()
    }

    /// A character typed. `q` where no text is being typed (an empty
    /// field, the picker) closes the form like Esc, the rule of every view;
    /// elsewhere it is a letter.
    pub fn type_char(&mut self, c: char) -> Option<Action> {
        let form = self.form.as_mut()?;
        if c == 'q' && (form.focus == 3 || form.fields[form.focus].is_empty()) {
            return self.command(Command::Escape, None);
        }
        form.insert(c);
        None
    }

    /// `role`: the role acting now; only a SENDER creates.
    pub fn command(&mut self, command: Command, role: Option<Actor>) -> Option<Action> {
        let form = self.form.as_mut()?;
        match command {
            Command::Escape => {
                self.shown = false;
                return Some(Action::Info(
                    "no shipment created; the draft is kept (n reopens it)".into(),
                ));
            }
            Command::Backspace => form.backspace(),
            Command::NextField => {
                form.check_focused();
                form.next_field();
            }
            Command::PrevField => form.prev_field(),
            Command::CycleLeft => form.cycle_delivery(false),
            Command::CycleRight => form.cycle_delivery(true),
            Command::Submit if !form.is_last() => form.next_if_valid(),
            Command::Submit => {
                if role != Some(Actor::Sender) {
                    let role = role.map_or("read-only", |r| r.as_str());
                    return Some(Action::Error(format!(
                        "new shipments are created by SENDER; you are acting as {role} (press r to change role)"
                    )));
                }
                if let Some(payload) = form.payload() {
                    self.form = None;
                    self.shown = false;
                    return Some(Action::Append(AppendRequest::create(payload)));
                }
            }
            _ => {}
        }
        None
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, role: Option<Actor>) {
        if let Some(form) = self.form.as_ref().filter(|_| self.shown) {
            draw(frame, body, role, form, self.offer.as_ref());
        }
    }
}

/// The first line: the role offer, or who creates.
fn role_line(role: Option<Actor>, offer: Option<&Offer>) -> Line<'static> {
    let acting = role.map_or("read-only", |r| r.as_str());
    match offer {
        Some(Offer::Switch(_)) => Line::from(vec![
            Span::styled(
                format!("Shipments are created as SENDER; you act as {acting}. Switch to SENDER? "),
                theme::error(),
            ),
            Span::styled(" y ", theme::key()),
            Span::raw(" yes · Esc no"),
        ]),
        Some(Offer::Denied(why)) => Line::styled(
            format!("Cannot create shipments: {} (Esc closes)", inert(why, 120)),
            theme::error(),
        ),
        None if role == Some(Actor::Sender) => Line::styled("Created as SENDER.", theme::dim()),
        None => Line::styled(
            format!(
                "Shipments are created as SENDER; you are acting as {acting} (r: change role)."
            ),
            theme::error(),
        ),
    }
}

/// The delivery type as a picker: every choice, the picked one marked.
fn picker(form: &NewShipmentForm, focused: bool) -> Vec<Span<'static>> {
    let mut spans = vec![Span::raw(if focused { "◀ " } else { "  " })];
    for kind in DELIVERY_TYPES {
        if form.fields[3] == kind {
            let style = Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED);
            spans.push(Span::styled(format!("[{kind}]"), style));
        } else {
            spans.push(Span::styled(format!(" {kind} "), theme::dim()));
        }
    }
    spans.push(Span::raw(if focused { " ▶" } else { "" }));
    spans
}

fn draw(
    frame: &mut Frame,
    body: Rect,
    role: Option<Actor>,
    form: &NewShipmentForm,
    offer: Option<&Offer>,
) {
    let area = centered(body, 96, 14);
    frame.render_widget(Clear, area);
    let mut lines = vec![role_line(role, offer), Line::from("")];
    for (i, label) in LABELS.iter().enumerate() {
        let focused = i == form.focus;
        let marker = if focused { "▶ " } else { "  " };
        let mut spans = vec![
            Span::raw(marker),
            Span::styled(format!("{label:<14}"), theme::title()),
        ];
        if i == 3 {
            spans.extend(picker(form, focused));
        } else {
            let value_style = if focused {
                theme::warn().add_modifier(Modifier::BOLD)
            } else {
                Style::new()
            };
            let value = inert(&form.fields[i], 40);
            let cursor = if focused { "_" } else { "" };
            spans.push(Span::styled(format!("{value}{cursor}"), value_style));
        }
        // Beside the field: what is wrong with it, or (focused) a hint.
        match &form.errors[i] {
            Some(err) => spans.push(Span::styled(
                format!("  ✗ {}", inert(err, 70)),
                theme::error(),
            )),
            None if focused => spans.push(Span::styled(format!("  {}", HINTS[i]), theme::dim())),
            None => {}
        }
        lines.push(Line::from(spans));
        lines.push(Line::from(""));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Enter: check field / create on the last · Tab/Up/Down: move · Esc: close (draft kept)",
        theme::dim(),
    ));
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Span::styled(" New shipment ", theme::title()))
                .border_style(theme::accent()),
        ),
        area,
    );
}

fn parse_weight(text: &str) -> Result<f64, String> {
    text.trim().parse::<f64>().map_err(|_| {
        format!(
            "weight_kg must be a number of kilograms, got '{}'",
            text.trim()
        )
    })
}

/// One field against the core's payload rules.
fn check_field(index: usize, text: &str) -> Result<(), String> {
    match index {
        0 | 1 => {
            let key = if index == 0 { "source" } else { "destination" };
            let mut one = Map::new();
            one.insert(key.to_string(), Value::from(text.trim()));
            // A resubmission checks only the fields it carries: exactly
            // the one-field check we want.
            payload::validate(EventType::Created, false, &one)
        }
        2 => {
            let weight = parse_weight(text)?;
            let value = serde_json::Number::from_f64(weight)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(text.trim().to_string()));
            payload::check_weight(&value)
        }
        _ => payload::check_delivery_type(&Value::from(text.trim().to_ascii_uppercase())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_use_the_core_rules() {
        assert!(check_field(0, "  ").is_err());
        assert!(check_field(0, "Mumbai").is_ok());
        assert!(check_field(2, "abc").is_err());
        assert!(check_field(2, "0").is_err());
        assert!(check_field(2, "NaN").is_err());
        assert!(check_field(2, "100001").is_err());
        assert!(check_field(2, "12.5").is_ok());
        assert!(check_field(3, "express").is_ok());
        assert!(check_field(3, "FAST").is_err());
    }

    #[test]
    fn payload_focuses_the_first_bad_field() {
        let mut form = NewShipmentForm::new();
        form.fields[0] = "Pune".into();
        form.fields[2] = "-1".into();
        assert!(form.payload().is_none());
        assert_eq!(form.focus, 1);
        form.fields[1] = "Goa".into();
        form.fields[2] = "3".into();
        let p = form.payload().unwrap();
        assert_eq!(p["delivery_type"], "STANDARD");
    }
}
