//! Drawing, and nothing else: the screen's layout, which hands each area
//! to the component that draws it (`components`), the parts that own no
//! state (header, state strip, loading gauge), the theme and the number
//! and time formats. Views never write to the log; the only thing drawing
//! records is where things landed on screen (scroll offset, click areas)
//! for the next key. Time is passed in (`now`) so snapshot tests can pin
//! it.

pub mod fit;
mod header;
mod loading;
pub mod marks;
mod strip;
pub mod theme;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::app::{App, Focus};

pub use header::badge_text;
pub use loading::draw_loading;

/// How the table and history panes share the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneLayout {
    SideBySide,
    Stacked,
    /// Small screens (80x24): one pane at a time; Enter/Tab toggles.
    Single,
}

pub fn pane_layout(area: Rect) -> PaneLayout {
    if area.width >= 140 {
        PaneLayout::SideBySide
    } else if area.height >= 34 {
        PaneLayout::Stacked
    } else {
        PaneLayout::Single
    }
}

/// Draws the whole dashboard.
pub fn draw(frame: &mut Frame, app: &App, now: DateTime<Utc>) {
    let area = frame.area();
    let header_height = header::height(app);
    let strip_lines = strip::layout(app, area.width);
    let strip_height = strip_lines.len() as u16;
    let banner = app.travel_banner(area.width);
    let [
        banner_area,
        header_area,
        strip_area,
        body,
        action_area,
        status_area,
    ] = Layout::vertical([
        Constraint::Length(u16::from(banner.is_some())),
        Constraint::Length(header_height),
        Constraint::Length(strip_height),
        Constraint::Min(3),
        Constraint::Length(2),
        Constraint::Length(1),
    ])
    .areas(area);

    if let Some(banner) = banner {
        // Across the whole width, in the banner's own style.
        let style = banner.spans.first().map(|s| s.style).unwrap_or_default();
        let centred = banner.centered();
        frame.render_widget(
            ratatui::widgets::Paragraph::new(centred).style(style),
            banner_area,
        );
    }
    header::draw(frame, header_area, app, now);
    strip::draw(frame, strip_area, app, &strip_lines);
    let past = app.travelling().map(|_| super::travel::PAST_WHY);
    app.action_bar.draw(
        frame,
        action_area,
        &app.access,
        app.selected_summary(),
        past,
    );
    let typing = app
        .table
        .prompt_line(app.search_note())
        .or_else(|| app.jump.prompt_line());
    app.status
        .draw(frame, status_area, typing, app.in_flight_text());

    if app.help.is_open() {
        app.help.draw(frame, body);
    } else if app.audit.is_open() {
        // The audit is of the log as it is (its findings are the live
        // verifier's), in time travel too.
        let data = crate::tui::components::audit::AuditData {
            projection: app.index().projection(),
            report: &app.integrity.verify,
            badge: &app.integrity.badge,
            zone: &app.zone,
        };
        app.audit.draw(frame, body, data);
    } else if app.pulse.is_open() {
        let shown = crate::tui::components::pulse::Shown {
            projection: app.projection(),
            levels: app.levels(),
            now: app.moment_now(now),
            past: app.travelling().is_some(),
        };
        app.pulse.draw(frame, body, shown);
    } else if app.worklist.is_open() {
        app.with_list_source(now, |source| app.worklist.draw(frame, body, source));
    } else {
        draw_panes(frame, body, app, now);
    }
    app.form.draw(frame, body, app.role());
    app.reason.draw(frame, body);
    app.batch.draw(frame, body);
}

/// The table and history panes, as the screen's size allows.
fn draw_panes(frame: &mut Frame, body: Rect, app: &App, now: DateTime<Utc>) {
    let projection = app.projection();
    // In time travel, ages are as of the moment shown.
    let now = match (app.travelling(), projection.last_event_time()) {
        (Some(_), Some(at)) => at.instant(),
        _ => now,
    };
    let table = |frame: &mut Frame, area| {
        app.table.draw(
            frame,
            area,
            projection,
            app.focus == Focus::Table,
            now,
            app.levels(),
        )
    };
    let history = |frame: &mut Frame, area| {
        let query = &app.table.filter().query;
        app.history
            .draw(frame, area, app.focus == Focus::History, query, &app.zone)
    };
    match pane_layout(frame.area()) {
        PaneLayout::SideBySide => {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)])
                    .areas(body);
            table(frame, left);
            history(frame, right);
        }
        PaneLayout::Stacked => {
            let [top, bottom] =
                Layout::vertical([Constraint::Percentage(58), Constraint::Percentage(42)])
                    .areas(body);
            table(frame, top);
            history(frame, bottom);
        }
        PaneLayout::Single => match app.focus {
            Focus::Table => table(frame, body),
            Focus::History => history(frame, body),
        },
    }
}

/// Renders one frame of `app` into a plain-text screen (tests, benches).
pub fn render_to_string(app: &App, width: u16, height: u16, now: DateTime<Utc>) -> String {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let Ok(mut terminal) = ratatui::Terminal::new(backend);
    if terminal.draw(|f| draw(f, app, now)).is_err() {
        return String::new();
    }
    terminal.backend().to_string()
}

/// One frame drawn off screen, styles and all (tests read the marks).
pub fn render_to_buffer(
    app: &App,
    width: u16,
    height: u16,
    now: DateTime<Utc>,
) -> Option<ratatui::buffer::Buffer> {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let Ok(mut terminal) = ratatui::Terminal::new(backend);
    terminal.draw(|f| draw(f, app, now)).ok()?;
    Some(terminal.backend().buffer().clone())
}

/// `5s`, `12m`, `3h`, `4d`: compact ages for the table.
pub fn age(from: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - from).num_seconds().max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86400),
    }
}

/// `+45s`, `+3m10s`, `+2h05m`, `+4d03h`: dwell between two events.
pub fn dwell(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..60 => format!("+{secs}s"),
        60..3600 => format!("+{}m{:02}s", secs / 60, secs % 60),
        3600..86400 => format!("+{}h{:02}m", secs / 3600, (secs % 3600) / 60),
        _ => format!("+{}d{:02}h", secs / 86400, (secs % 86400) / 3600),
    }
}

pub use crate::text::thousands;

/// A rectangle of `width` x `height` centred in `area` (clamped).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(dwell(190), "+3m10s");
        assert_eq!(dwell(7500), "+2h05m");
    }
}
