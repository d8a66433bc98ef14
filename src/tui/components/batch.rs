//! A batch action on the marked rows: the one question (`approve 23
//! shipments as SENDER_MANAGER? y/n`, after a reason for a hold, override
//! or cancel), then the summary of what happened to each shipment
//! (landed, conflicted, refused) in a list that Esc or q closes. Each
//! shipment's append expects the seq it showed when it was marked, so a
//! shipment another process moved meanwhile is a conflict, never a step
//! taken on a state nobody looked at. What this role may not do at all is
//! refused here, without an append; the rest goes to the `App` as one
//! `Action::AppendBatch` (the one write path).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use serde_json::{Map, Value};

use super::Action;
use super::reason::{DraftKey, ReasonDraft};
use crate::domain::{Actor, EventType, ShipmentId};
use crate::error::{Error, Result};
use crate::store::{AppendRequest, Appended};
use crate::text::inert;
use crate::tui::actions::{check_action, primary_option};
use crate::tui::keymap::{Command, Context};
use crate::tui::views::{centered, theme, thousands};

/// One marked shipment as the operator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    pub id: ShipmentId,
    /// The seq it showed when marked: what its append expects.
    pub seq: u32,
    /// Its state then (what `a` means for it).
    pub state: EventType,
}

/// The question, before the `y`.
#[derive(Debug, Clone)]
pub struct BatchPrompt {
    /// `None`: `a`, each shipment's next standard step.
    event: Option<EventType>,
    role: Actor,
    items: Vec<Marked>,
    draft: ReasonDraft,
}

/// What happened to one shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Landed,
    Conflicted,
    Refused,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Landed => "landed",
            Outcome::Conflicted => "conflicted",
            Outcome::Refused => "refused",
        }
    }
}

/// One shipment's line in the summary: what happened and why.
pub type SummaryRow = (ShipmentId, Outcome, String);

/// The summary list.
#[derive(Debug, Clone)]
pub struct Summary {
    pub verb: String,
    pub rows: Vec<SummaryRow>,
    scroll: usize,
}

impl Summary {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.rows.iter().filter(|r| r.1 == outcome).count()
    }

    /// `approve: 21 landed, 1 conflicted, 1 refused`.
    pub fn line(&self) -> String {
        format!(
            "{} {} shipments: {} landed, {} conflicted, {} refused",
            self.verb,
            thousands(self.rows.len() as u64),
            thousands(self.count(Outcome::Landed) as u64),
            thousands(self.count(Outcome::Conflicted) as u64),
            thousands(self.count(Outcome::Refused) as u64),
        )
    }
}

/// The batch prompt or its summary, while open; and, between the `y` and
/// the store's answer, the refusals decided before appending.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    prompt: Option<BatchPrompt>,
    summary: Option<Summary>,
    pending: Option<(String, Vec<SummaryRow>)>,
}

/// What the event does, as a verb for the question.
fn verb(event: EventType) -> &'static str {
    match event {
        EventType::ManagerApproved | EventType::SupervisorApproved => "approve",
        EventType::HoldForReview => "hold",
        EventType::OverrideApplied => "override",
        EventType::Cancelled => "cancel",
        _ => "advance",
    }
}

impl BatchPrompt {
    /// What this role would append to `m`, or why it may not.
    fn event_for(&self, m: &Marked) -> std::result::Result<EventType, String> {
        match self.event {
            None => primary_option(self.role, m.state),
            Some(event) => check_action(self.role, m.state, event),
        }
    }

    fn verb(&self) -> &'static str {
        let mut verbs = self.items.iter().filter_map(|m| self.event_for(m).ok());
        match (self.event, verbs.next()) {
            (Some(event), _) => verb(event),
            (None, Some(first)) if verbs.all(|e| verb(e) == verb(first)) => verb(first),
            (None, _) => "advance",
        }
    }

    fn question(&self) -> String {
        format!(
            "{} {} shipments as {}? y/n",
            self.verb(),
            thousands(self.items.len() as u64),
            self.role
        )
    }
}

impl Batch {
    /// `a`/`h`/`o`/`x` on marked rows: `event` `None` is `a`.
    pub fn open(&mut self, event: Option<EventType>, role: Actor, items: Vec<Marked>) {
        self.prompt = Some(BatchPrompt {
            event,
            role,
            items,
            draft: ReasonDraft {
                text: String::new(),
                // `a` needs no reason: straight to the question.
                confirming: event.is_none(),
            },
        });
    }

    pub fn is_open(&self) -> bool {
        self.prompt.is_some() || self.summary.is_some()
    }

    pub fn context(&self) -> Option<Context> {
        match (&self.prompt, &self.summary) {
            (Some(p), _) => Some(p.draft.context()),
            (None, Some(_)) => Some(Context::Summary),
            (None, None) => None,
        }
    }

    pub fn type_char(&mut self, c: char) {
        if let Some(p) = self.prompt.as_mut() {
            p.draft.type_char(c);
        }
    }

    /// The question as drawn (tests read it too).
    pub fn question(&self) -> Option<String> {
        self.prompt.as_ref().map(BatchPrompt::question)
    }

    pub fn summary(&self) -> Option<&Summary> {
        self.summary.as_ref()
    }

    pub fn command(&mut self, command: Command) -> Option<Action> {
        if let Some(summary) = self.summary.as_mut() {
            match command {
                Command::Escape => self.summary = None,
                Command::Up => summary.scroll = summary.scroll.saturating_sub(1),
                Command::Down => {
                    summary.scroll = (summary.scroll + 1).min(summary.rows.len().saturating_sub(1))
                }
                _ => {}
            }
            return None;
        }
        let prompt = self.prompt.as_mut()?;
        if command == Command::Escape {
            let verb = prompt.verb();
            self.prompt = None;
            return Some(Action::Info(format!(
                "nothing appended ({verb} not confirmed; the marks stay)"
            )));
        }
        match prompt.draft.key(command) {
            DraftKey::Handled(action) => action,
            DraftKey::Other => None,
            DraftKey::Confirmed => {
                let prompt = self.prompt.take()?;
                Some(self.requests(prompt))
            }
        }
    }

    /// The appends of a confirmed batch, each expecting its marked seq;
    /// what this role may not do at all is refused without an append.
    fn requests(&mut self, prompt: BatchPrompt) -> Action {
        let mut refused = Vec::new();
        let mut requests = Vec::new();
        for m in &prompt.items {
            match prompt.event_for(m) {
                Ok(event) => {
                    let mut payload = Map::new();
                    if prompt.event.is_some() {
                        payload.insert("reason".into(), Value::from(prompt.draft.reason()));
                    }
                    requests.push(
                        AppendRequest::advance(m.id, event, prompt.role, payload)
                            .expecting_seq(m.seq),
                    );
                }
                Err(why) => refused.push((m.id, Outcome::Refused, why)),
            }
        }
        self.pending = Some((prompt.verb().to_string(), refused));
        Action::AppendBatch(requests)
    }

    /// The store's answers (in the order of the requests): the summary.
    pub fn finished(&mut self, requests: &[AppendRequest], results: Vec<Result<Appended>>) {
        let (verb, mut rows) = self.pending.take().unwrap_or_default();
        for (request, result) in requests.iter().zip(results) {
            let id = match request.target {
                crate::store::Target::Existing(id) => id,
                crate::store::Target::New => continue,
            };
            rows.push(match result {
                Ok(a) => (
                    id,
                    Outcome::Landed,
                    format!("{} (seq {})", a.event.event_type, a.event.event_seq),
                ),
                // Short, so the list shows what matters: the seqs and who.
                Err(Error::Conflict {
                    expected_seq,
                    current_seq,
                    state,
                    operator,
                    actor,
                    ..
                }) => (
                    id,
                    Outcome::Conflicted,
                    format!(
                        "marked at seq {expected_seq}, now seq {current_seq}: {state} by {actor}{}",
                        operator.map(|o| format!(" ({o})")).unwrap_or_default()
                    ),
                ),
                Err(e) => (id, Outcome::Refused, e.to_string()),
            });
        }
        rows.sort_by_key(|r| r.0);
        self.summary = Some(Summary {
            verb,
            rows,
            scroll: 0,
        });
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect) {
        if let Some(prompt) = &self.prompt {
            draw_prompt(frame, body, prompt);
        } else if let Some(summary) = &self.summary {
            draw_summary(frame, body, summary);
        }
    }
}

fn draw_prompt(frame: &mut Frame, body: Rect, prompt: &BatchPrompt) {
    let area = centered(body, 80, 8);
    frame.render_widget(Clear, area);
    let ids: Vec<String> = prompt
        .items
        .iter()
        .take(6)
        .map(|m| m.id.to_string())
        .collect();
    let more = prompt.items.len().saturating_sub(ids.len());
    let mut lines = vec![Line::from(format!(
        "Marked: {}{}",
        ids.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    ))];
    if prompt.event.is_some() {
        let cursor = if prompt.draft.confirming { "" } else { "_" };
        lines.push(Line::from(format!(
            "Reason (once, for all): {}{cursor}",
            inert(&prompt.draft.text, 200)
        )));
    }
    lines.push(Line::from(""));
    if prompt.draft.confirming {
        lines.push(Line::styled(
            prompt.question(),
            Style::new().add_modifier(Modifier::BOLD),
        ));
        lines.push(Line::from(vec![
            Span::styled(" y ", theme::key()),
            Span::raw(" yes   any other key: no"),
        ]));
    } else {
        lines.push(Line::styled(
            "Enter: next (then y to confirm) · Esc: cancel",
            theme::dim(),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(Span::styled(" Batch action ", theme::title()))),
        area,
    );
}

fn draw_summary(frame: &mut Frame, body: Rect, summary: &Summary) {
    let height = (summary.rows.len() as u16 + 4).min(body.height);
    let area = centered(body, 100, height);
    frame.render_widget(Clear, area);
    let mut lines = vec![Line::styled(summary.line(), theme::title())];
    for (id, outcome, text) in summary.rows.iter().skip(summary.scroll) {
        let style = match outcome {
            Outcome::Landed => Style::new(),
            _ => theme::error(),
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{:<15}", id.to_string())),
            Span::styled(format!("{:<11}", outcome.label()), style),
            Span::raw(inert(text, 200)),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Span::styled(" Batch summary ", theme::title()))
                .title_bottom(Span::styled(" Esc/q close · j/k scroll ", theme::dim())),
        ),
        area,
    );
}
