//! The `:` prompt: a shipment ID typed on the status line; Enter selects
//! that shipment (the table clears a filter that hides it). In time
//! travel the same prompt takes a moment (`--as-of`'s WHEN).

use ratatui::text::{Line, Span};

use super::Action;
use crate::domain::ShipmentId;
use crate::read::as_of::AsOf;
use crate::text::inert;
use crate::tui::keymap::Command;
use crate::tui::views::theme;

/// The text typed so far, while the prompt is open.
#[derive(Debug, Clone, Default)]
pub struct Jump {
    text: Option<String>,
    /// The prompt asks for a moment (time travel), not a shipment.
    moment: bool,
}

impl Jump {
    pub fn open(&mut self) {
        self.text = Some(String::new());
        self.moment = false;
    }

    /// The time-travel prompt: Enter goes to the moment typed.
    pub fn open_moment(&mut self) {
        self.text = Some(String::new());
        self.moment = true;
    }

    pub fn is_open(&self) -> bool {
        self.text.is_some()
    }

    pub fn type_char(&mut self, c: char) {
        if let Some(text) = self.text.as_mut() {
            text.push(c);
        }
    }

    pub fn command(&mut self, command: Command) -> Option<Action> {
        let text = self.text.as_mut()?;
        match command {
            Command::Submit => {
                let text = self.text.take()?;
                if self.moment {
                    return Some(match text.parse::<AsOf>() {
                        Ok(as_of) => Action::TravelTo(as_of),
                        Err(e) => Action::Error(format!(
                            "time travel: {}",
                            e.to_string().replacen("--as-of ", "", 1)
                        )),
                    });
                }
                Some(match parse_jump(&text) {
                    Some(id) => Action::JumpTo(id),
                    None => Action::Error(format!(
                        "'{}' is not a shipment ID (SHP- and 10 digits, or just the number)",
                        inert(&text, 40)
                    )),
                })
            }
            Command::Escape => {
                self.text = None;
                None
            }
            Command::Backspace => {
                text.pop();
                None
            }
            _ => None,
        }
    }

    /// The status line while the prompt is open.
    pub fn prompt_line(&self) -> Option<Line<'static>> {
        let text = self.text.as_ref()?;
        if self.moment {
            return Some(Line::from(vec![
                Span::styled(" : ", theme::key()),
                Span::raw(format!(" as of {}_", inert(text, 40))),
                Span::styled(
                    "   2026-01-21T12:05:03Z, 2026-01-21 or event:N · Enter go · Esc cancel",
                    theme::dim(),
                ),
            ]));
        }
        Some(Line::from(vec![
            Span::styled(" : ", theme::key()),
            Span::raw(format!(" jump to {}_", inert(text, 40))),
            Span::styled(
                "   SHP-0000000042 or 42 · Enter go · Esc cancel",
                theme::dim(),
            ),
        ]))
    }
}

/// `SHP-0000000042`, `shp-0000000042` or just `42` (as the command line
/// reads IDs), and here also the short `SHP-42`.
pub fn parse_jump(text: &str) -> Option<ShipmentId> {
    let text = text.trim();
    let digits = text
        .strip_prefix("SHP-")
        .or_else(|| text.strip_prefix("shp-"))
        .unwrap_or(text);
    ShipmentId::parse_lenient(text).or_else(|| ShipmentId::parse_lenient(digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jump_reads_short_and_long_ids() {
        let id = ShipmentId::parse_lenient("42").unwrap();
        for text in ["42", " SHP-42 ", "shp-0000000042", "SHP-0000000042"] {
            assert_eq!(parse_jump(text), Some(id), "{text}");
        }
        let mut jump = Jump::default();
        jump.open();
        "nope".chars().for_each(|c| jump.type_char(c));
        assert!(matches!(
            jump.command(Command::Submit),
            Some(Action::Error(_))
        ));
        assert!(!jump.is_open());
    }
}
