//! The loading screen: a progress gauge while a large log is read in
//! chunks, so a million events never look like a hang.

use super::theme;
use ratatui::Frame;
use ratatui::widgets::{Block, Gauge};

use super::{centered, thousands};

pub fn draw_loading(frame: &mut Frame, dir: &str, read: u64, total: u64) {
    let area = centered(frame.area(), 70, 3);
    let ratio = if total == 0 {
        1.0
    } else {
        (read as f64 / total as f64).clamp(0.0, 1.0)
    };
    let label = format!(
        "{} / {} MB ({:.0}%)",
        thousands(read / 1_000_000),
        thousands(total / 1_000_000),
        ratio * 100.0
    );
    let gauge = Gauge::default()
        .block(Block::bordered().title(format!(" Loading {dir} ")))
        .gauge_style(theme::accent())
        .ratio(ratio)
        .label(label);
    frame.render_widget(gauge, area);
}
