//! The header: where the data is, how much of it, whether it is intact,
//! whether the view is live, who is acting under which policy, and loud
//! banners (log reloaded, read-only, watcher fallback).

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use super::thousands;
use crate::text::inert;
use crate::tui::app::{App, Badge};

pub fn height(app: &App) -> u16 {
    2 + u16::from(app.status.banner().is_some())
}

pub fn badge_text(badge: &Badge) -> String {
    match badge {
        Badge::Valid => "VALID".into(),
        Badge::Warnings(n) => format!("VALID with {n} warning{}", if *n == 1 { "" } else { "s" }),
        Badge::Corrupted(n) => format!("CORRUPTED: {n} error{}", if *n == 1 { "" } else { "s" }),
        Badge::Verifying(percent) => format!("verifying {percent}%"),
        Badge::Unverified => "NOT VERIFIED (Ctrl-V to retry)".into(),
    }
}

/// LIVE, PAST (time travel), PAUSED (frozen) or RECONNECTING (the
/// database is out of reach).
fn live_word(app: &App) -> Span<'static> {
    if app.travelling().is_some() {
        Span::styled(
            " PAST ",
            theme::caution_badge().add_modifier(ratatui::style::Modifier::BOLD),
        )
    } else if app.reconnecting().is_some() {
        Span::styled(" RECONNECTING ", theme::bad_badge())
    } else if app.frozen() {
        Span::styled(
            format!(" PAUSED +{} ", thousands(app.arrived_while_frozen())),
            theme::caution_badge(),
        )
    } else {
        Span::styled(" LIVE ", theme::ok_badge())
    }
}

/// `LATE 12 · STUCK 3` (and held ones), at the moment shown: the words
/// the table's SLA column uses.
/// (Held ones only where there is room: the attention list has them.)
fn attention_spans(app: &App, now: DateTime<Utc>, width: u16) -> Vec<Span<'static>> {
    let c = app.attention_counts(now);
    let style = |n: u64| if n > 0 { theme::error() } else { theme::dim() };
    let mut spans = vec![
        Span::raw("  "),
        Span::styled(format!("LATE {}", thousands(c.late)), style(c.late)),
        Span::styled(" · ", theme::dim()),
        Span::styled(format!("STUCK {}", thousands(c.stuck)), style(c.stuck)),
    ];
    if width >= 100 {
        spans.push(Span::styled(" · ", theme::dim()));
        spans.push(Span::styled(
            format!("HOLD {}", thousands(c.on_hold)),
            style(c.on_hold),
        ));
    }
    spans
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, now: DateTime<Utc>) {
    let projection = app.projection();
    let badge = app.badge();
    let badge_style = match badge {
        Badge::Valid => theme::ok_badge(),
        Badge::Warnings(_) | Badge::Verifying(_) => theme::caution_badge(),
        Badge::Corrupted(_) | Badge::Unverified => theme::bad_badge(),
    };
    let live = live_word(app);
    let dir = inert(&app.index().location().describe(), 60);
    let mut first = vec![
        Span::styled(" CONTROL TOWER ", theme::accent()),
        Span::styled(format!(" {} ", badge_text(badge)), badge_style),
        Span::raw(" "),
        live,
    ];
    // Right after LIVE: what needs attention matters more than the sizes.
    first.extend(attention_spans(app, now, area.width));
    first.extend([
        Span::raw(format!(
            "  {} events · {} shipments  ",
            thousands(projection.total_events()),
            thousands(projection.total_shipments() as u64)
        )),
        Span::styled(dir, theme::dim()),
        if app.demo {
            Span::styled("  demo: simulator running", theme::dim())
        } else {
            Span::raw("")
        },
    ]);
    let first = Line::from(first);
    let mut second = vec![
        Span::raw(format!(" operator {}", inert(app.access().operator(), 64))),
        Span::styled(" · ", theme::dim()),
        Span::raw(app.access().policy_text()),
    ];
    if let Some(reason) = app.access().read_only() {
        second.push(Span::styled(" · ", theme::dim()));
        second.push(Span::styled(inert(reason, 200), theme::error()));
    }
    second.push(Span::styled(" · ", theme::dim()));
    match &app.watcher_fallback {
        Some(why) => second.push(Span::styled(
            format!("watcher fallback: {}", inert(why, 120)),
            theme::warn(),
        )),
        None => second.push(Span::styled("watching the log", theme::dim())),
    }
    let mut lines = vec![first, Line::from(second)];
    if let Some(banner) = app.status.banner() {
        lines.push(Line::from(Span::styled(
            format!(" !! {} ", inert(banner, 300)),
            theme::bad_badge(),
        )));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
