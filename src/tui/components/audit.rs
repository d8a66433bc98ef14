//! The audit view: the integrity verdict, every error and warning with its
//! line (Enter jumps to the shipment), the distributions by state, event
//! type and actor, and the head hash an auditor can write down. Owns its
//! cursor on the findings.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::Action;
use crate::domain::{Actor, EventType};
use crate::read::projection::Projection;
use crate::read::verify::{Severity, VerifyReport};
use crate::text::inert;
use crate::tui::app::Badge;
use crate::tui::keymap::Command;
use crate::tui::views::{badge_text, theme, thousands};

/// The cursor on the findings, while the view is open.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    cursor: Option<usize>,
}

impl Audit {
    pub fn open(&mut self) {
        self.cursor = Some(0);
    }

    pub fn is_open(&self) -> bool {
        self.cursor.is_some()
    }

    /// Up/Down move, Enter goes to the finding's shipment, any other key
    /// closes the view.
    pub fn command(&mut self, command: Command, report: &VerifyReport) -> Option<Action> {
        let cursor = self.cursor?;
        let findings = report.errors.len() + report.warnings.len();
        match command {
            Command::Up => self.cursor = Some(cursor.saturating_sub(1)),
            Command::Down => self.cursor = Some((cursor + 1).min(findings.saturating_sub(1))),
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

    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        projection: &Projection,
        report: &VerifyReport,
        badge: &Badge,
    ) {
        if let Some(cursor) = self.cursor {
            draw(frame, area, projection, report, badge, cursor);
        }
    }
}

fn draw(
    frame: &mut Frame,
    area: Rect,
    projection: &Projection,
    report: &VerifyReport,
    badge: &Badge,
    cursor: usize,
) {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .title(Span::styled(
            " Audit (Enter: go to shipment · Esc: back) ",
            theme::title(),
        ))
        .border_style(theme::focused_border(true));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let time =
        |t: Option<crate::domain::Timestamp>| t.map_or_else(|| "-".to_string(), |t| t.to_string());
    let summary = vec![
        Line::from(vec![
            Span::styled("Integrity ", theme::title()),
            Span::styled(
                format!(" {} ", badge_text(badge)),
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
                report.errors.len(),
                report.warnings.len()
            )),
        ]),
        Line::from(format!(
            "Head hash {} (after {} events)",
            report.head_hash, report.total_events
        )),
        Line::from(format!(
            "First event {} · last event {}",
            time(projection.first_event_time()),
            time(projection.last_event_time())
        )),
    ];
    let [top, rest] = Layout::vertical([Constraint::Length(4), Constraint::Min(1)]).areas(inner);
    frame.render_widget(Paragraph::new(summary), top);

    let dist_height = 13.min(rest.height / 2);
    let [list_area, dist_area] =
        Layout::vertical([Constraint::Min(2), Constraint::Length(dist_height)]).areas(rest);
    draw_findings(frame, list_area, report, cursor);
    draw_distributions(frame, dist_area, projection);
}

fn draw_findings(frame: &mut Frame, area: Rect, report: &VerifyReport, cursor: usize) {
    let findings: Vec<_> = report.errors.iter().chain(&report.warnings).collect();
    let height = area.height.saturating_sub(1) as usize;
    let start = if height == 0 {
        0
    } else {
        cursor.saturating_sub(height.saturating_sub(1))
    };
    let mut lines = vec![Line::styled(
        format!("Findings ({})", findings.len()),
        theme::accent(),
    )];
    if findings.is_empty() {
        lines.push(Line::styled("  none: every line checks out", theme::dim()));
    }
    for (i, f) in findings.iter().enumerate().skip(start).take(height) {
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
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_distributions(frame: &mut Frame, area: Rect, projection: &Projection) {
    let narrow = area.width < 102;
    let name = |e: EventType| {
        if narrow {
            theme::short_state(e)
        } else {
            e.as_str()
        }
    };
    let column = |title: &str, rows: Vec<(&str, u64)>| {
        let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        let mut lines = vec![Line::styled(title.to_string(), theme::accent())];
        for (label, n) in rows {
            lines.push(Line::from(format!(" {label:<width$}{:>9}", thousands(n))));
        }
        Paragraph::new(lines)
    };
    let [a, b, c] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(area);
    let states = EventType::ALL
        .iter()
        .map(|&e| (name(e), projection.state_count(e)))
        .collect();
    let types = EventType::ALL
        .iter()
        .map(|&e| (name(e), projection.event_type_count(e)))
        .collect();
    let actors = Actor::ALL
        .iter()
        .map(|&r| (r.as_str(), projection.actor_count(r)))
        .collect();
    frame.render_widget(column("By current state", states), a);
    frame.render_widget(column("By event type", types), b);
    frame.render_widget(column("By actor", actors), c);
}
