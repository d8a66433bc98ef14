//! The audit view: the integrity verdict, every error and warning with its
//! line (Enter jumps to the shipment), the distributions by state, event
//! type and actor, and the head hash an auditor can write down. Owns its
//! cursor on the findings.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::Action;
use crate::domain::{Actor, EventType, Zone};
use crate::read::projection::Projection;
use crate::read::verify::{Severity, VerifyReport};
use crate::text::inert;
use crate::tui::app::Badge;
use crate::tui::keymap::Command;
use crate::tui::views::{badge_text, theme, thousands};

/// The cursor on the findings and the view's scroll, while it is open.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    cursor: Option<usize>,
    scroll: std::cell::Cell<usize>,
}

/// How many findings are listed at once (the cursor's neighbourhood).
const FINDINGS_SHOWN: usize = 8;

impl Audit {
    pub fn open(&mut self) {
        self.cursor = Some(0);
        self.scroll.set(0);
    }

    pub fn is_open(&self) -> bool {
        self.cursor.is_some()
    }

    /// Up/Down move among the findings (or scroll when there are none),
    /// PgUp/PgDn scroll the view, Enter goes to the finding's shipment,
    /// any other key closes the view.
    pub fn command(&mut self, command: Command, report: &VerifyReport) -> Option<Action> {
        let cursor = self.cursor?;
        let findings = report.errors.len() + report.warnings.len();
        let scroll = self.scroll.get();
        match command {
            Command::Up if findings == 0 => self.scroll.set(scroll.saturating_sub(1)),
            Command::Down if findings == 0 => self.scroll.set(scroll + 1),
            Command::Up => self.cursor = Some(cursor.saturating_sub(1)),
            Command::Down => self.cursor = Some((cursor + 1).min(findings.saturating_sub(1))),
            Command::PageUp => self.scroll.set(scroll.saturating_sub(10)),
            Command::PageDown => self.scroll.set(scroll + 10),
            Command::Top => self.scroll.set(0),
            Command::Submit => {
                let finding = report.errors.iter().chain(&report.warnings).nth(cursor);
                return match finding.map(|f| (f.shipment_id, f.line)) {
                    Some((Some(id), _)) => {
                        self.cursor = None;
                        Some(Action::JumpTo(id))
                    }
                    Some((None, line)) => Some(Action::Error(match line {
                        Some(l) => format!("line {l} names no shipment (see the line in the log)"),
                        None => "this finding names no shipment".to_string(),
                    })),
                    None => None,
                };
            }
            _ => self.cursor = None,
        }
        None
    }

    /// Draws the view; times in `zone`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, data: AuditData<'_>) {
        if let Some(cursor) = self.cursor {
            draw(frame, area, &data, cursor, &self.scroll);
        }
    }
}

/// What the audit view shows.
pub struct AuditData<'a> {
    pub projection: &'a Projection,
    pub report: &'a VerifyReport,
    pub badge: &'a Badge,
    pub zone: &'a Zone,
}

/// The whole view is one scrolled text (summary, findings, counts), so
/// nothing is cut at any size: what does not fit is scrolled to.
fn draw(
    frame: &mut Frame,
    area: Rect,
    data: &AuditData<'_>,
    cursor: usize,
    scroll: &std::cell::Cell<usize>,
) {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .title(Span::styled(
            " Audit (Enter: go to shipment · PgUp/PgDn: scroll · Esc: back) ",
            theme::title(),
        ))
        .border_style(theme::focused_border(true));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut lines = summary(data);
    lines.push(Line::from(""));
    lines.extend(findings(data.report, cursor));
    lines.push(Line::from(""));
    lines.extend(distributions(data.projection, inner.width));
    let width = usize::from(inner.width.max(1));
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let max = rows.saturating_sub(usize::from(inner.height));
    let at = scroll.get().min(max);
    scroll.set(at);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((at as u16, 0)),
        inner,
    );
}

fn summary(data: &AuditData<'_>) -> Vec<Line<'static>> {
    let (projection, report) = (data.projection, data.report);
    let time = |t: Option<crate::domain::Timestamp>| {
        t.map_or_else(|| "-".to_string(), |t| data.zone.date_time(t.instant()))
    };
    vec![
        Line::from(vec![
            Span::styled("Integrity ", theme::title()),
            Span::styled(
                format!(" {} ", badge_text(data.badge)),
                if report.valid {
                    theme::ok_badge()
                } else {
                    theme::bad_badge()
                },
            ),
            Span::raw(format!(
                "  {} events · {} shipments · {} errors · {} warnings",
                thousands(projection.total_events()),
                thousands(projection.total_shipments() as u64),
                thousands(report.errors.len() as u64),
                thousands(report.warnings.len() as u64)
            )),
        ]),
        Line::from(format!(
            "Head hash {} (after {} events)",
            report.head_hash,
            thousands(report.total_events)
        )),
        Line::from(format!(
            "First event {} · last event {}",
            time(projection.first_event_time()),
            time(projection.last_event_time())
        )),
    ]
}

/// The findings near the cursor, the selected one reversed.
fn findings(report: &VerifyReport, cursor: usize) -> Vec<Line<'static>> {
    let findings: Vec<_> = report.errors.iter().chain(&report.warnings).collect();
    let start = cursor.saturating_sub(FINDINGS_SHOWN - 1);
    let mut lines = vec![Line::styled(
        format!("Findings ({})", thousands(findings.len() as u64)),
        theme::accent(),
    )];
    if findings.is_empty() {
        lines.push(Line::styled("  none: every line checks out", theme::dim()));
    }
    for (i, f) in findings.iter().enumerate().skip(start).take(FINDINGS_SHOWN) {
        let (tag, style) = match f.severity {
            Severity::Error => ("ERROR  ", theme::error()),
            Severity::Warning => ("WARNING", theme::warn()),
        };
        let selected = i == cursor;
        let mut spans = vec![
            Span::raw(if selected { "> " } else { "  " }),
            Span::styled(tag, style),
            Span::raw(" "),
            Span::raw(inert(&f.message, 300)),
        ];
        if selected {
            spans = spans
                .into_iter()
                .map(|s| s.patch_style(Style::new().add_modifier(Modifier::REVERSED)))
                .collect();
        }
        lines.push(Line::from(spans));
    }
    if findings.len() > start + FINDINGS_SHOWN {
        let more = findings.len() - start - FINDINGS_SHOWN;
        lines.push(Line::styled(
            format!("  … {} more (Down)", thousands(more as u64)),
            theme::dim(),
        ));
    }
    lines
}

/// The counts by state, event type and actor: side by side when the
/// width allows, else one after another; names in full, counts whole.
fn distributions(projection: &Projection, width: u16) -> Vec<Line<'static>> {
    let states: Vec<(&str, u64)> = EventType::ALL
        .iter()
        .map(|&e| (e.as_str(), projection.state_count(e)))
        .collect();
    let types: Vec<(&str, u64)> = EventType::ALL
        .iter()
        .map(|&e| (e.as_str(), projection.event_type_count(e)))
        .collect();
    let actors: Vec<(&str, u64)> = Actor::ALL
        .iter()
        .map(|&r| (r.as_str(), projection.actor_count(r)))
        .collect();
    let columns = [
        ("By current state", states),
        ("By event type", types),
        ("By actor", actors),
    ];
    let texts: Vec<Vec<String>> = columns
        .iter()
        .map(|(title, rows)| {
            let label = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
            let count = rows
                .iter()
                .map(|(_, n)| thousands(*n).len())
                .max()
                .unwrap_or(1);
            let mut out = vec![(*title).to_string()];
            out.extend(
                rows.iter()
                    .map(|(l, n)| format!(" {l:<label$} {:>count$}", thousands(*n))),
            );
            out
        })
        .collect();
    let col_width = |c: &Vec<String>| c.iter().map(|l| l.chars().count()).max().unwrap_or(0) + 2;
    let total: usize = texts.iter().map(col_width).sum();
    let mut lines = Vec::new();
    if total <= usize::from(width) {
        let height = texts.iter().map(Vec::len).max().unwrap_or(0);
        for row in 0..height {
            let mut spans = Vec::new();
            for column in &texts {
                let w = col_width(column);
                let cell = column.get(row).cloned().unwrap_or_default();
                let style = if row == 0 {
                    theme::accent()
                } else {
                    Style::new()
                };
                spans.push(Span::styled(format!("{cell:<w$}"), style));
            }
            lines.push(Line::from(spans));
        }
    } else {
        for column in texts {
            for (row, text) in column.into_iter().enumerate() {
                let style = if row == 0 {
                    theme::accent()
                } else {
                    Style::new()
                };
                lines.push(Line::styled(text, style));
            }
            lines.push(Line::from(""));
        }
    }
    lines
}
