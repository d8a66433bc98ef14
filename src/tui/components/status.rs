//! The status line: the last message or error (until the next one; an
//! append that starts clears it; an append refused because the log
//! changed keeps its refusal past the re-reading it caused), the text
//! being typed for `/` and `:`, and while an append is in flight how long
//! it has waited. A message expires after `MESSAGE_FOR`; an error stays
//! until the next key press (the operator has had a chance to read it).
//! Also the loud reload banner, kept until Esc (the header
//! draws it).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::text::inert;
use crate::tui::views::theme;

/// How long an information message stays on the line.
pub const MESSAGE_FOR: std::time::Duration = std::time::Duration::from_secs(8);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// The status line's message and the banner.
#[derive(Debug, Clone, Default)]
pub struct StatusLine {
    status: Option<Status>,
    /// Loud, until Esc: the log was replaced or shrank.
    banner: Option<String>,
    /// The line says why an append was refused: the end of the
    /// re-reading it caused does not replace it.
    kept: bool,
    /// When the message was set (for its expiry).
    at: Option<std::time::Instant>,
}

impl StatusLine {
    pub fn get(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
        self.at = Some(std::time::Instant::now());
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
        });
        self.at = Some(std::time::Instant::now());
    }

    /// A message older than `MESSAGE_FOR` at `now` goes (errors stay
    /// until a key); true if the line changed.
    pub fn expire(&mut self, now: std::time::Instant) -> bool {
        let old = self
            .at
            .is_some_and(|at| now.saturating_duration_since(at) >= MESSAGE_FOR);
        if old && !self.kept && self.status.as_ref().is_some_and(|s| !s.error) {
            self.status = None;
            return true;
        }
        false
    }

    /// A key was pressed: an error has been seen, and goes (unless it is
    /// the kept refusal of an append, see `keep_until_reread`).
    pub fn key_pressed(&mut self) {
        if !self.kept && self.status.as_ref().is_some_and(|s| s.error) {
            self.status = None;
        }
    }

    /// An append starts: the line shows its progress instead.
    pub fn clear(&mut self) {
        self.status = None;
    }

    /// `keep`: the message now on the line outlives the next "read again"
    /// report (the refusal an in-place change caused).
    pub fn keep_until_reread(&mut self, keep: bool) {
        self.kept = keep;
    }

    /// A re-reading ended: true if the line keeps its message this once
    /// (its report is not shown); after that, reports take the line again.
    pub fn take_kept(&mut self) -> bool {
        std::mem::take(&mut self.kept)
    }

    pub fn banner(&self) -> Option<&str> {
        self.banner.as_deref()
    }

    pub fn set_banner(&mut self, text: String) {
        self.banner = Some(text);
    }

    /// Esc: true if there was a banner to dismiss.
    pub fn dismiss_banner(&mut self) -> bool {
        self.banner.take().is_some()
    }

    /// `typing`: the `/` or `:` prompt when one is open; `in_flight`:
    /// what an append in flight is doing.
    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        typing: Option<Line<'static>>,
        in_flight: Option<String>,
    ) {
        let line = match (typing, in_flight) {
            (Some(line), _) => line,
            (None, Some(in_flight)) => {
                let mut spans = vec![Span::styled(format!(" {in_flight}"), theme::warn())];
                if let Some(s) = &self.status {
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
            (None, None) => match &self.status {
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
}
