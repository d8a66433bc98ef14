//! Every colour the dashboard draws with, as one `Theme` value (dark,
//! light, or none for `NO_COLOR`), and the state names' short forms.
//! Colour is never the only signal: every badge carries the state's name,
//! the selected row is reversed, the focused pane has a thick border and a
//! `▶` in its title, and the changed row carries `*`.
//!
//! The colours are xterm-256 palette entries 16-255, whose RGB values are
//! fixed (unlike the first 16, which each terminal picks), so the contrast
//! test below computes from what the terminal really shows. The theme is
//! chosen once at start-up and installed for the drawing thread: every
//! component reaches it through the style functions here rather than
//! through every draw signature.

use std::cell::Cell;

use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::BorderType;

use crate::domain::EventType;

pub use crate::cli::settings::ThemeChoice;

/// A foreground on a background, as palette indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub fg: u8,
    pub bg: u8,
}

/// The colours one theme draws with. `color: false` is `NO_COLOR`:
/// every style is plain text plus modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub name: &'static str,
    pub color: bool,
    /// The background the palette was chosen for (contrast is measured on it
    /// and on `background_alt`).
    pub background: u8,
    pub background_alt: u8,
    /// Text colours on the terminal's background.
    pub accent: u8,
    pub dim: u8,
    pub warn: u8,
    pub added: u8,
    pub error: u8,
    pub changed: u8,
    pub column_header: u8,
    /// Badges: text on a coloured block.
    pub ok: Pair,
    pub caution: Pair,
    pub bad: Pair,
    pub key: Pair,
    pub key_off: Pair,
    pub role: Pair,
    /// Each state's colour, in `EventType::ALL` order: the badge's
    /// background (under `badge_fg`) and the strip's text colour.
    pub states: [u8; 11],
    pub badge_fg: u8,
}

impl Theme {
    /// Bright colours for a dark background.
    pub const DARK: Theme = Theme {
        name: "dark",
        color: true,
        background: 16,
        background_alt: 235,
        accent: 81,
        dim: 247,
        warn: 221,
        added: 114,
        error: 210,
        changed: 229,
        column_header: 250,
        ok: Pair { fg: 16, bg: 114 },
        caution: Pair { fg: 16, bg: 221 },
        bad: Pair { fg: 231, bg: 160 },
        key: Pair { fg: 16, bg: 250 },
        key_off: Pair { fg: 231, bg: 240 },
        role: Pair { fg: 16, bg: 81 },
        states: [75, 80, 80, 177, 221, 221, 221, 114, 210, 203, 246],
        badge_fg: 16,
    };

    /// Dark colours for a white background.
    pub const LIGHT: Theme = Theme {
        name: "light",
        color: true,
        background: 231,
        background_alt: 255,
        accent: 25,
        dim: 241,
        warn: 94,
        added: 22,
        error: 124,
        changed: 90,
        column_header: 238,
        ok: Pair { fg: 231, bg: 22 },
        caution: Pair { fg: 231, bg: 94 },
        bad: Pair { fg: 231, bg: 124 },
        key: Pair { fg: 231, bg: 238 },
        key_off: Pair { fg: 16, bg: 250 },
        role: Pair { fg: 231, bg: 25 },
        states: [25, 23, 23, 90, 94, 94, 94, 22, 124, 88, 241],
        badge_fg: 231,
    };

    /// `NO_COLOR`: the dark theme's shape, drawn without colour.
    pub const MONO: Theme = Theme {
        name: "none",
        color: false,
        ..Theme::DARK
    };

    /// The theme for a choice, `NO_COLOR` (set and non-empty: no colour at
    /// all) and `COLORFGBG` (`fg;bg`, as rxvt and others set it).
    pub fn resolve(choice: ThemeChoice, no_color: Option<&str>, colorfgbg: Option<&str>) -> Theme {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return Theme::MONO;
        }
        match choice {
            ThemeChoice::Dark => Theme::DARK,
            ThemeChoice::Light => Theme::LIGHT,
            ThemeChoice::Auto => {
                let bg = colorfgbg.and_then(|v| v.rsplit(';').next()).map(str::trim);
                match bg {
                    Some("7" | "15") => Theme::LIGHT,
                    _ => Theme::DARK,
                }
            }
        }
    }

    /// Every text colour and the background it is drawn on, named: what
    /// the contrast test checks.
    pub fn pairs(&self) -> Vec<(String, Pair)> {
        let mut out = Vec::new();
        for bg in [self.background, self.background_alt] {
            let texts = [
                ("accent", self.accent),
                ("dim", self.dim),
                ("warn", self.warn),
                ("added", self.added),
                ("error", self.error),
                ("changed", self.changed),
                ("column header", self.column_header),
            ];
            for (name, fg) in texts {
                out.push((format!("{name} on {bg}"), Pair { fg, bg }));
            }
            for (state, &fg) in EventType::ALL.iter().zip(&self.states) {
                out.push((format!("{state} text on {bg}"), Pair { fg, bg }));
            }
        }
        let badges = [
            ("ok", self.ok),
            ("caution", self.caution),
            ("bad", self.bad),
            ("key", self.key),
            ("key off", self.key_off),
            ("role", self.role),
        ];
        for (name, pair) in badges {
            out.push((format!("{name} badge"), pair));
        }
        for (state, &bg) in EventType::ALL.iter().zip(&self.states) {
            let pair = Pair {
                fg: self.badge_fg,
                bg,
            };
            out.push((format!("{state} badge"), pair));
        }
        out
    }
}

thread_local! {
    static CURRENT: Cell<Theme> = const { Cell::new(Theme::DARK) };
}

/// Makes `theme` the one this thread draws with.
pub fn install(theme: Theme) {
    CURRENT.with(|c| c.set(theme));
}

/// The theme this thread draws with (dark until one is installed).
pub fn current() -> Theme {
    CURRENT.with(Cell::get)
}

fn fg(index: u8) -> Style {
    if current().color {
        Style::new().fg(Color::Indexed(index))
    } else {
        Style::new()
    }
}

/// A coloured block; without colour, reversed so it still stands out.
fn block(pair: Pair) -> Style {
    if current().color {
        Style::new()
            .fg(Color::Indexed(pair.fg))
            .bg(Color::Indexed(pair.bg))
    } else {
        Style::new().add_modifier(Modifier::REVERSED)
    }
}

fn state_index(state: EventType) -> u8 {
    let i = EventType::ALL
        .iter()
        .position(|&s| s == state)
        .unwrap_or_default();
    current().states.get(i).copied().unwrap_or(current().dim)
}

/// A state's name written in its colour (the state strip).
pub fn state_text(state: EventType) -> Style {
    fg(state_index(state))
}

/// A state's badge: its name on its colour; plain without colour (the name
/// is the signal, and the selected row's reverse must show through).
pub fn state_badge(state: EventType) -> Style {
    if current().color {
        Style::new()
            .fg(Color::Indexed(current().badge_fg))
            .bg(Color::Indexed(state_index(state)))
    } else {
        Style::new()
    }
}

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// Titles and headings that stand out (the header's name, view titles).
pub fn accent() -> Style {
    title().patch(fg(current().accent))
}

pub fn dim() -> Style {
    fg(current().dim)
}

pub fn warn() -> Style {
    fg(current().warn)
}

/// A payload key added, an action that is available.
pub fn added() -> Style {
    fg(current().added)
}

pub fn error() -> Style {
    fg(current().error).add_modifier(Modifier::BOLD)
}

pub fn column_header() -> Style {
    title().patch(fg(current().column_header))
}

/// A key hint that works now.
pub fn key() -> Style {
    block(current().key).add_modifier(Modifier::BOLD)
}

/// VALID, LIVE.
pub fn ok_badge() -> Style {
    block(current().ok).add_modifier(Modifier::BOLD)
}

/// Warnings, PAUSED, verifying.
pub fn caution_badge() -> Style {
    block(current().caution).add_modifier(Modifier::BOLD)
}

/// CORRUPTED, RECONNECTING, the loud banner.
pub fn bad_badge() -> Style {
    block(current().bad).add_modifier(Modifier::BOLD)
}

/// The acting role.
pub fn role_badge() -> Style {
    block(current().role).add_modifier(Modifier::BOLD)
}

/// Read-only in place of a role.
pub fn read_only_badge() -> Style {
    block(current().key_off).add_modifier(Modifier::BOLD)
}

/// The selected row: reversed across its whole width, in every theme.
pub fn selected_row() -> Style {
    Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
}

/// A row that just changed (it also carries `*`).
pub fn changed_row() -> Style {
    fg(current().changed).add_modifier(Modifier::BOLD)
}

pub fn focused_border(focused: bool) -> Style {
    if focused { fg(current().accent) } else { dim() }
}

/// The focused pane's border is thick, so focus reads without colour.
pub fn border_type(focused: bool) -> BorderType {
    if focused {
        BorderType::Thick
    } else {
        BorderType::Plain
    }
}

/// A pane's title, with `▶` when it has the keys.
pub fn pane_title(focused: bool, title: &str) -> String {
    if focused {
        format!("▶ {}", title.trim_start())
    } else {
        title.to_string()
    }
}

/// Short names for the state strip, so all eleven fit one wide line.
pub fn short_state(state: EventType) -> &'static str {
    use EventType::*;
    match state {
        Created => "CREATED",
        ManagerApproved => "MGR_APPROVED",
        SupervisorApproved => "SUP_APPROVED",
        InTransit => "IN_TRANSIT",
        ReceiverAcknowledged => "RECEIVED",
        WarehouseIntake => "WH_INTAKE",
        OutForDelivery => "OUT_FOR_DLV",
        Delivered => "DELIVERED",
        OverrideApplied => "OVERRIDE",
        HoldForReview => "HOLD",
        Cancelled => "CANCELLED",
    }
}

/// Three-letter codes for narrow screens (80 columns).
pub fn code_state(state: EventType) -> &'static str {
    use EventType::*;
    match state {
        Created => "CRE",
        ManagerApproved => "MGR",
        SupervisorApproved => "SUP",
        InTransit => "TRN",
        ReceiverAcknowledged => "RCV",
        WarehouseIntake => "WHS",
        OutForDelivery => "OFD",
        Delivered => "DLV",
        OverrideApplied => "OVR",
        HoldForReview => "HLD",
        Cancelled => "CXL",
    }
}

/// The RGB value xterm gives a palette entry from 16 up (the 6x6x6 cube,
/// then 24 greys); the first 16 are the terminal's own choice.
pub fn rgb(index: u8) -> Option<[u8; 3]> {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match index {
        0..=15 => None,
        16..=231 => {
            let i = usize::from(index - 16);
            Some([LEVELS[i / 36], LEVELS[(i / 6) % 6], LEVELS[i % 6]])
        }
        _ => {
            let v = 8 + 10 * (index - 232);
            Some([v, v, v])
        }
    }
}

/// WCAG 2 contrast ratio between two palette entries (1 to 21).
pub fn contrast(pair: Pair) -> Option<f64> {
    let luminance = |c: [u8; 3]| {
        let lin = |v: u8| {
            let s = f64::from(v) / 255.0;
            if s <= 0.03928 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
    };
    let a = luminance(rgb(pair.fg)?);
    let b = luminance(rgb(pair.bg)?);
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    Some((hi + 0.05) / (lo + 0.05))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_colour_meets_4_5_to_1_in_each_theme() {
        for theme in [Theme::DARK, Theme::LIGHT] {
            for (name, pair) in theme.pairs() {
                let ratio = contrast(pair).unwrap_or(0.0);
                assert!(
                    ratio >= 4.5,
                    "{} theme: {name} is {ratio:.2}:1 ({pair:?})",
                    theme.name
                );
            }
        }
    }

    #[test]
    fn contrast_matches_known_values() {
        // Black on white is 21:1; a colour on itself is 1:1.
        let ratio = contrast(Pair { fg: 16, bg: 231 }).unwrap_or(0.0);
        assert!((ratio - 21.0).abs() < 0.01);
        let same = contrast(Pair { fg: 81, bg: 81 }).unwrap_or(0.0);
        assert!((same - 1.0).abs() < 0.001);
        assert_eq!(rgb(81), Some([95, 215, 255]));
        assert_eq!(rgb(244), Some([128, 128, 128]));
    }

    #[test]
    fn no_color_and_colorfgbg_pick_the_theme() {
        let pick = |c, n, f| Theme::resolve(c, n, f).name;
        assert_eq!(pick(ThemeChoice::Dark, Some("1"), None), "none");
        assert_eq!(pick(ThemeChoice::Dark, Some(""), None), "dark");
        assert_eq!(pick(ThemeChoice::Auto, None, Some("0;15")), "light");
        assert_eq!(pick(ThemeChoice::Auto, None, Some("15;0")), "dark");
        assert_eq!(pick(ThemeChoice::Auto, None, None), "dark");
        assert_eq!(pick(ThemeChoice::Light, None, Some("15;0")), "light");
    }

    #[test]
    fn without_colour_no_style_carries_a_colour() {
        install(Theme::MONO);
        let styles = [
            state_badge(EventType::Created),
            state_text(EventType::Delivered),
            accent(),
            dim(),
            warn(),
            key(),
            ok_badge(),
            bad_badge(),
            changed_row(),
            focused_border(true),
        ];
        for style in styles {
            assert_eq!(style.fg, None);
            assert_eq!(style.bg, None);
        }
        install(Theme::DARK);
    }
}
