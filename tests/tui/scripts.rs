//! Every script and every terminal: place names in Hindi, Kannada, Tamil,
//! Bengali and Urdu (right to left) drawn whole; every view at 80x24,
//! 120x40 and 220x60 with no state name and no count cut; no colour at
//! all under NO_COLOR (the selected row reversed across its width, the
//! focused pane marked by its border); the light theme; times in a named
//! zone.

use std::fs;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use control_tower::domain::line::{
    GENESIS_HASH, NewLine, encode_counter_line, hash_hex, hash_line,
};
use control_tower::domain::{Actor, EventType, ShipmentId, Timestamp, Zone};
use control_tower::store::LogPaths;
use control_tower::tui::views::{self, theme};
use control_tower::tui::{App, AppOptions};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};
use serde_json::{Map, Value, json};

fn t0() -> DateTime<Utc> {
    "2026-01-21T12:00:00Z".parse().unwrap()
}

fn now() -> DateTime<Utc> {
    t0() + Duration::hours(30)
}

/// Place names in five scripts (with a ZWJ and a ZWNJ, which terminals
/// draw differently), a weight that must not round, and every step up to
/// RECEIVER_ACKNOWLEDGED, the longest state name.
fn steps() -> Vec<(u64, EventType, Actor, Value)> {
    use Actor::*;
    use EventType::*;
    let created = |src: &str, dst: &str, kg: f64| json!({"source": src, "destination": dst, "weight_kg": kg, "delivery_type": "EXPRESS"});
    vec![
        (
            1,
            Created,
            Sender,
            created("मुंबई, महाराष्ट्र", "दिल्ली", 99999.99),
        ),
        (2, Created, Sender, created("ಬೆಂಗಳೂರು, ಕರ್ನಾಟಕ", "ಮೈಸೂರು", 12.5)),
        (3, Created, Sender, created("சென்னை, தமிழ்நாடு", "மதுரை", 7.0)),
        (
            4,
            Created,
            Sender,
            created("কলকাতা, পশ্চিমবঙ্গ", "শিলিগুড়ি", 3.25),
        ),
        (
            5,
            Created,
            Sender,
            created("لاہور، پنجاب", "حیدرآباد، سندھ", 40.0),
        ),
        (
            6,
            Created,
            Sender,
            created("क्\u{200d}ष नगर", "र\u{200c}्या", 1.0),
        ),
        (1, ManagerApproved, SenderManager, json!({})),
        (1, SupervisorApproved, SenderSupervisor, json!({})),
        (1, InTransit, System, json!({})),
        (1, ReceiverAcknowledged, Receiver, json!({})),
        (2, ManagerApproved, SenderManager, json!({})),
        (
            3,
            HoldForReview,
            SenderManager,
            json!({"reason": "कागज़ात अधूरे"}),
        ),
        (4, Cancelled, Sender, json!({"reason": "গ্রাহক বাতিল করেছেন"})),
    ]
}

fn write_log(dir: &Path) {
    let mut out = Vec::new();
    let mut counter = String::new();
    let mut last = GENESIS_HASH;
    let mut seqs = std::collections::HashMap::new();
    for (i, (n, event, actor, payload)) in steps().into_iter().enumerate() {
        let ts = Timestamp::from_instant_millis(t0() + Duration::minutes(i as i64 * 7));
        let seq = seqs.entry(n).and_modify(|s| *s += 1).or_insert(1u32);
        if *seq == 1 {
            counter.push_str(&encode_counter_line(n, &ts));
        }
        let payload: Map<String, Value> = payload.as_object().cloned().unwrap();
        let line = NewLine {
            shipment_id: ShipmentId::new(n).unwrap(),
            event_seq: *seq,
            event_type: event,
            timestamp: ts,
            actor,
            payload: &payload,
            operator: "asha",
            prev_hash: hash_hex(&last),
        }
        .encode();
        last = hash_line(&line);
        out.extend_from_slice(&line);
        out.push(b'\n');
    }
    fs::write(dir.join("shipments.jsonl"), out).unwrap();
    fs::write(dir.join("shipment_counter.jsonl"), counter).unwrap();
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::Builder::new().prefix("ctXXXX").tempdir().unwrap();
        write_log(dir.path());
        Fixture { dir }
    }

    fn app(&self) -> App {
        let mut app = App::new(AppOptions {
            paths: LogPaths::new(self.dir.path()),
            operator: "alice".into(),
            role: Some(Actor::SenderManager),
        });
        while app.load_step(4096).unwrap() {}
        app.finish_load();
        app
    }

    fn render(&self, app: &App, width: u16, height: u16) -> String {
        let screen = views::render_to_string(app, width, height, now());
        screen.replace(&self.dir.path().display().to_string(), "/tmp/ctXXXXXX")
    }
}

fn press(app: &mut App, code: KeyCode) {
    app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    app.wait_for_jobs();
}

#[test]
fn indian_scripts_and_urdu_wide() {
    theme::install(theme::Theme::DARK);
    let fx = Fixture::new();
    let app = fx.app();
    insta::assert_snapshot!(fx.render(&app, 160, 45));
}

#[test]
fn indian_scripts_and_urdu_small_screen_history() {
    theme::install(theme::Theme::DARK);
    let fx = Fixture::new();
    let mut app = fx.app();
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(fx.render(&app, 80, 24));
}

/// Every state and count the data holds, each as the audit view lists it.
fn expected_counts(app: &App) -> Vec<(String, u64)> {
    let projection = app.index().projection();
    let mut out: Vec<(String, u64)> = EventType::ALL
        .iter()
        .map(|&e| (e.as_str().to_string(), projection.state_count(e)))
        .collect();
    out.extend(
        Actor::ALL
            .iter()
            .map(|&a| (a.as_str().to_string(), projection.actor_count(a))),
    );
    out
}

/// True when `screen` shows `name` followed (after spaces) by `count`
/// whole: not followed by another digit.
fn shows_count(screen: &str, name: &str, count: u64) -> bool {
    let count = count.to_string();
    screen.match_indices(name).any(|(at, _)| {
        let rest = screen[at + name.len()..].trim_start_matches(' ');
        rest.starts_with(&count) && !rest[count.len()..].starts_with(|c: char| c.is_ascii_digit())
    })
}

#[test]
fn no_state_name_and_no_count_is_cut_at_any_size() {
    theme::install(theme::Theme::DARK);
    let fx = Fixture::new();
    for (w, h) in [(80, 24), (120, 40), (220, 60)] {
        let mut app = fx.app();
        // The table: every current state in full, the weight exact.
        let table = fx.render(&app, w, h);
        for state in [
            "RECEIVER_ACKNOWLEDGED",
            "MANAGER_APPROVED",
            "HOLD_FOR_REVIEW",
        ] {
            assert!(
                table.contains(state),
                "{w}x{h} table lost {state}:\n{table}"
            );
        }
        if w >= 120 {
            assert!(table.contains("99999.99"), "{w}x{h}:\n{table}");
        }
        assert!(table.contains("? help"), "{w}x{h} lost ? help:\n{table}");
        // The audit view, scrolled through: every name with its count.
        press(&mut app, KeyCode::Char('A'));
        let mut seen = String::new();
        for _ in 0..8 {
            seen.push_str(&fx.render(&app, w, h));
            press(&mut app, KeyCode::PageDown);
        }
        for (name, count) in expected_counts(&app) {
            assert!(
                shows_count(&seen, &name, count),
                "{w}x{h} audit: {name} {count} not whole:\n{seen}"
            );
        }
        press(&mut app, KeyCode::Esc);
        // Help, scrolled through: its legend names every state in full.
        press(&mut app, KeyCode::Char('?'));
        let mut seen = String::new();
        for _ in 0..16 {
            seen.push_str(&fx.render(&app, w, h));
            press(&mut app, KeyCode::PageDown);
        }
        for state in EventType::ALL {
            assert!(seen.contains(state.as_str()), "{w}x{h} help: {state}");
        }
        assert!(seen.contains("Ctrl-L"), "{w}x{h} help:\n{seen}");
    }
}

#[test]
fn no_color_means_no_colour_and_a_reversed_selected_row() {
    theme::install(theme::Theme::MONO);
    let fx = Fixture::new();
    let app = fx.app();
    let buffer = views::render_to_buffer(&app, 160, 45, now()).unwrap();
    for cell in buffer.content() {
        assert_eq!(cell.fg, Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, Color::Reset, "{cell:?}");
    }
    // The selected row (marked `>`) is reversed from border to border.
    let area = buffer.area;
    let row = (0..area.height)
        .find(|&y| buffer[(1, y)].symbol() == ">")
        .expect("a selected row");
    let right = (2..area.width)
        .find(|&x| buffer[(x, row)].symbol() == "┃")
        .expect("the focused table's thick right border");
    // Cells hidden behind a two-column glyph are covered by it.
    let mut x = 1;
    while x < right {
        let cell = &buffer[(x, row)];
        assert!(
            cell.modifier.contains(Modifier::REVERSED),
            "column {x} of the selected row is not reversed"
        );
        x += unicode_width::UnicodeWidthStr::width(cell.symbol()).max(1) as u16;
    }
    let screen = fx.render(&app, 160, 45);
    assert!(screen.contains("┏▶ Shipments"), "{screen}");
    insta::assert_snapshot!(screen);
    theme::install(theme::Theme::DARK);
}

#[test]
fn light_theme_colours_the_header_readably() {
    theme::install(theme::Theme::LIGHT);
    let fx = Fixture::new();
    let app = fx.app();
    let buffer = views::render_to_buffer(&app, 120, 40, now()).unwrap();
    let accent = Color::Indexed(theme::Theme::LIGHT.accent);
    assert_eq!(
        buffer[(2, 0)].fg,
        accent,
        "CONTROL TOWER in the light accent"
    );
    let ratio = theme::contrast(theme::Pair {
        fg: theme::Theme::LIGHT.accent,
        bg: 231,
    })
    .unwrap();
    assert!(ratio >= 4.5, "{ratio}");
    // No light-on-white leftovers from the dark palette anywhere.
    for cell in buffer.content() {
        if let (Color::Indexed(fg), Color::Reset) = (cell.fg, cell.bg) {
            let ratio = theme::contrast(theme::Pair { fg, bg: 231 }).unwrap();
            assert!(ratio >= 4.5, "{cell:?} on white: {ratio:.2}");
        }
    }
    insta::assert_snapshot!(fx.render(&app, 120, 40));
    theme::install(theme::Theme::DARK);
}

#[test]
fn history_times_are_in_the_zone_named_with_utc_on_z() {
    theme::install(theme::Theme::DARK);
    let fx = Fixture::new();
    let mut app = fx.app();
    app.zone = Zone::named("Asia/Kolkata").unwrap();
    press(&mut app, KeyCode::Char('g'));
    let screen = fx.render(&app, 160, 45);
    assert!(screen.contains(" IST "), "{screen}");
    assert!(!screen.contains(" UTC)"), "{screen}");
    press(&mut app, KeyCode::Char('z'));
    let screen = fx.render(&app, 160, 45);
    assert!(screen.contains(" IST ("), "{screen}");
    assert!(screen.contains(" UTC)"), "{screen}");
}
