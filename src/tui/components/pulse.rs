//! The pulse view (`p`): the tower's figures at the moment shown (live,
//! or the moment of time travel) on one screen: events per minute over
//! the last hour (`Sparkline`), the state counts (`BarChart`), lead time
//! from CREATED to DELIVERED per delivery type (`Chart`, and a table with
//! p50/p90/max), dwell per state (which step is slow) and throughput by
//! actor (`BarChart`). The figures are `read::pulse`'s, the same as
//! `audit --json` reports; computed on opening, then at most once a
//! second (a busy log would otherwise recompute them every frame).

use std::cell::RefCell;
use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Block, Chart, Clear, Dataset, GraphType, Row, Sparkline, Table,
};

use super::Action;
use crate::domain::{Actor, EventType, Timestamp};
use crate::read::projection::Projection;
use crate::read::pulse::levels::{ServiceLevels, duration_text};
use crate::read::pulse::{PulseFigures, figures};
use crate::tui::keymap::Command;
use crate::tui::views::{theme, thousands};

/// How stale the figures may get while the view is open.
const REFRESH: Duration = Duration::from_secs(1);

/// Whether the view is open, and the figures last computed: for which
/// events and moment, and when.
#[derive(Debug, Default)]
pub struct Pulse {
    open: bool,
    cache: RefCell<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    key: (u64, Timestamp),
    at: Instant,
    cost: Duration,
    figures: PulseFigures,
}

/// Figures slower than this to compute are redone at most every `REFRESH`.
const SLOW: Duration = Duration::from_millis(2);

impl Pulse {
    pub fn open(&mut self) {
        self.open = true;
        self.cache.replace(None);
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Esc, `q` or `p` close it.
    pub fn command(&mut self, command: Command) -> Option<Action> {
        if command == Command::Escape {
            self.open = false;
            self.cache.replace(None);
        }
        None
    }

    /// The figures of `projection` at `now` (`travelling`: a past moment,
    /// computed at once; live, at most once a `REFRESH`). A copy: a few
    /// dozen numbers.
    fn figures(
        &self,
        projection: &Projection,
        levels: &ServiceLevels,
        now: Timestamp,
        travelling: bool,
    ) -> PulseFigures {
        let key = (projection.total_events(), now);
        let mut cache = self.cache.borrow_mut();
        if let Some(c) = cache.as_ref() {
            let same = c.key.0 == key.0
                && (travelling && c.key.1 == key.1 || !travelling && c.at.elapsed() < REFRESH);
            let throttled = !travelling && c.cost > SLOW && c.at.elapsed() < REFRESH;
            if same || throttled {
                return c.figures.clone();
            }
        }
        let started = Instant::now();
        let made = figures(projection, levels, now);
        *cache = Some(Cached {
            key,
            at: Instant::now(),
            cost: started.elapsed(),
            figures: made.clone(),
        });
        made
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, shown: Shown<'_>) {
        if !self.open {
            return;
        }
        let figures = self.figures(shown.projection, shown.levels, shown.now, shown.past);
        draw(frame, area, &figures, shown.past);
    }
}

/// What the pulse is drawn of.
pub struct Shown<'a> {
    pub projection: &'a Projection,
    pub levels: &'a ServiceLevels,
    /// The clock, or the moment viewed in time travel (`past`).
    pub now: Timestamp,
    pub past: bool,
}

fn block(title: String) -> Block<'static> {
    Block::bordered().title(Span::styled(title, theme::title()))
}

fn draw(frame: &mut Frame, area: Rect, f: &PulseFigures, past: bool) {
    frame.render_widget(Clear, area);
    let when = f.now.to_string().replacen('T', " ", 1);
    let outer = block(format!(
        " Pulse {} {when} · LATE {} · STUCK {} · ON HOLD {} · Esc/q closes ",
        if past { "AS OF" } else { "live at" },
        thousands(f.attention.late),
        thousands(f.attention.stuck),
        thousands(f.attention.on_hold),
    ))
    .border_style(theme::focused_border(true));
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    if inner.height < 30 {
        return draw_small(frame, inner, f);
    }
    let [spark, middle, bottom] = Layout::vertical([
        Constraint::Min(4),
        Constraint::Length(14),
        Constraint::Length(10),
    ])
    .areas(inner);
    sparkline(frame, spark, f);
    let [states, dwell] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(middle);
    state_bars(frame, states, f);
    dwell_table(frame, dwell, f);
    let [lead, chart, actors] = Layout::horizontal([
        Constraint::Percentage(38),
        Constraint::Percentage(27),
        Constraint::Percentage(35),
    ])
    .areas(bottom);
    lead_table(frame, lead, f);
    lead_chart(frame, chart, f);
    actor_bars(frame, actors, f);
}

/// Small screens (80x24): the events per minute, lead time and the most
/// active actors beside the dwell table (the state counts are the strip's).
fn draw_small(frame: &mut Frame, inner: Rect, f: &PulseFigures) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
    dwell_table(frame, left, f);
    let [spark, lead, actors] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(f.lead_time.len() as u16 + 3),
        Constraint::Fill(1),
    ])
    .areas(right);
    sparkline(frame, spark, f);
    lead_table(frame, lead, f);
    actor_bars(frame, actors, f);
}

fn sparkline(frame: &mut Frame, area: Rect, f: &PulseFigures) {
    let total: u64 = f.events_per_minute.iter().sum();
    let last = f.events_per_minute.last().copied().unwrap_or(0);
    let peak = f.events_per_minute.iter().max().copied().unwrap_or(0);
    let title = if area.width < 60 {
        format!(
            " Events/min, 1 h: {} · peak {} ",
            thousands(total),
            thousands(peak)
        )
    } else {
        format!(
            " Events per minute, last hour: {} in all · this minute {} · peak {} ",
            thousands(total),
            thousands(last),
            thousands(peak)
        )
    };
    let widget = Sparkline::default()
        .block(block(title))
        .data(&f.events_per_minute)
        .style(theme::accent());
    frame.render_widget(widget, area);
}

fn state_bars(frame: &mut Frame, area: Rect, f: &PulseFigures) {
    let bars: Vec<Bar> = EventType::ALL
        .iter()
        .map(|&e| {
            let n = f.state_counts.get(&e).copied().unwrap_or(0);
            Bar::default()
                .label(Line::from(theme::short_state(e)))
                .value(n)
                .text_value(thousands(n))
                .style(theme::state_text(e))
        })
        .collect();
    let widget = BarChart::default()
        .block(block(" Shipments by state ".into()))
        .direction(Direction::Horizontal)
        .bar_width(1)
        .bar_gap(0)
        .data(BarGroup::default().bars(&bars));
    frame.render_widget(widget, area);
}

/// Lead time per delivery type as lines through p50, p90 and max, in
/// hours, minutes or seconds (whichever reads: the demo's are seconds).
fn lead_chart(frame: &mut Frame, area: Rect, f: &PulseFigures) {
    // Through the theme: no colour at all under NO_COLOR.
    let styles = [
        theme::added(),
        theme::warn(),
        theme::accent(),
        theme::title(),
    ];
    let longest = f.lead_time.values().map(|l| l.max_ms).max().unwrap_or(0);
    let (unit, per) = match longest {
        ms if ms >= 2 * 3_600_000 => ("hours", 3_600_000.0),
        ms if ms >= 2 * 60_000 => ("minutes", 60_000.0),
        _ => ("seconds", 1000.0),
    };
    let scaled = |ms: i64| ms as f64 / per;
    let points: Vec<(String, Vec<(f64, f64)>)> = f
        .lead_time
        .iter()
        .map(|(kind, l)| {
            let p = vec![
                (50.0, scaled(l.p50_ms)),
                (90.0, scaled(l.p90_ms)),
                (100.0, scaled(l.max_ms)),
            ];
            (kind.clone(), p)
        })
        .collect();
    let top = points
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
        .fold(0.0f64, f64::max)
        .max(1.0);
    let datasets: Vec<Dataset> = points
        .iter()
        .enumerate()
        .map(|(i, (kind, p))| {
            Dataset::default()
                .name(kind.clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(styles[i % styles.len()])
                .data(p)
        })
        .collect();
    let widget = Chart::new(datasets)
        .block(block(format!(" Lead time, {unit} ")))
        .x_axis(
            Axis::default()
                .title("percentile")
                .bounds([50.0, 100.0])
                .labels(["p50", "p90", "max"]),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels(["0".to_string(), format!("{top:.1}")]),
        );
    frame.render_widget(widget, area);
}

/// Lead time per delivery type; a narrow area leaves out the count.
fn lead_table(frame: &mut Frame, area: Rect, f: &PulseFigures) {
    let narrow = area.width < 40;
    let rows: Vec<Row> = f
        .lead_time
        .iter()
        .map(|(kind, l)| {
            let mut cells = vec![crate::text::inert(kind, 9)];
            if !narrow {
                cells.push(thousands(l.delivered));
            }
            cells.extend([
                duration_text(l.p50_ms),
                duration_text(l.p90_ms),
                duration_text(l.max_ms),
                thousands(l.delivered_late),
            ]);
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![Constraint::Length(8)];
    let mut header = vec!["TYPE"];
    if !narrow {
        widths.push(Constraint::Length(7));
        header.push("DONE");
    }
    widths.extend([Constraint::Length(6); 3]);
    widths.push(Constraint::Length(5));
    header.extend(["P50", "P90", "MAX", "LATE"]);
    let widget = Table::new(rows, widths)
        .header(Row::new(header).style(theme::dim()))
        .block(block(" Lead time CREATED→DELIVERED ".into()));
    frame.render_widget(widget, area);
}

fn dwell_table(frame: &mut Frame, area: Rect, f: &PulseFigures) {
    let narrow = area.width < 46;
    // The slowest step (by p90) is marked: "which step is slow today".
    let slowest = f
        .dwell
        .iter()
        .max_by_key(|(_, d)| d.p90_ms)
        .map(|(e, _)| *e);
    let rows: Vec<Row> = f
        .dwell
        .iter()
        .map(|(state, d)| {
            let mark = if Some(*state) == slowest {
                "◀ slowest"
            } else {
                ""
            };
            // Narrow: the strip's short names, never a cut one.
            let name = if narrow {
                theme::short_state(*state).to_string()
            } else {
                state.to_string()
            };
            Row::new(vec![
                name,
                thousands(d.count),
                duration_text(d.mean_ms as i64),
                duration_text(d.p90_ms as i64),
                mark.to_string(),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(if narrow { 12 } else { 21 }),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Fill(1),
    ];
    let header = Row::new(["STATE", "STAYS", "MEAN", "P90", ""]).style(theme::dim());
    let widget = Table::new(rows, widths)
        .header(header)
        .block(block(" Dwell before the next event ".into()));
    frame.render_widget(widget, area);
}

fn actor_bars(frame: &mut Frame, area: Rect, f: &PulseFigures) {
    // The most active first: on a small screen they are the ones shown.
    let mut actors: Vec<Actor> = Actor::ALL.to_vec();
    actors.sort_by_key(|a| {
        let hour = f.throughput_last_hour.get(a).copied().unwrap_or(0);
        let total = f.throughput_total.get(a).copied().unwrap_or(0);
        std::cmp::Reverse((hour, total))
    });
    let bars: Vec<Bar> = actors
        .iter()
        .map(|a| {
            let hour = f.throughput_last_hour.get(a).copied().unwrap_or(0);
            let total = f.throughput_total.get(a).copied().unwrap_or(0);
            Bar::default()
                .label(Line::from(a.as_str()))
                .value(hour)
                .text_value(format!("{} / {}", thousands(hour), thousands(total)))
        })
        .collect();
    let widget = BarChart::default()
        .block(block(" Events by actor: last hour / all ".into()))
        .direction(Direction::Horizontal)
        .bar_width(1)
        .bar_gap(0)
        .bar_style(theme::accent())
        .data(BarGroup::default().bars(&bars));
    frame.render_widget(widget, area);
}
