//! The dashboard's `/` speaks the search language: the table of known
//! answers (`support::search_cases`, also run through `list --where` and
//! the library in tests/fast/search.rs) typed key by key into the filter;
//! a malformed query says what is wrong and keeps the last good rows; what
//! matched is marked in the table and the history pane.

use std::collections::BTreeSet;

use control_tower::domain::Timestamp;
use control_tower::store::LogPaths;
use control_tower::tui::views;
use control_tower::tui::{App, AppOptions};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Modifier;

use crate::support::*;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("ct")
            .tempdir_in("/tmp")
            .unwrap();
        write_search_log(dir.path());
        Fixture { dir }
    }

    fn app(&self) -> App {
        let mut app = App::new(AppOptions {
            paths: LogPaths::new(self.dir.path()),
            operator: "asha".into(),
            role: None,
        });
        while app.load_step(4096).unwrap() {}
        app.finish_load();
        app.set_search_now(Timestamp::parse(SEARCH_NOW));
        app
    }

    fn mask(&self, screen: String) -> String {
        let dir = self.dir.path().display().to_string();
        let masked = format!("/tmp/ct{}", "X".repeat(dir.len() - "/tmp/ct".len()));
        screen.replace(&dir, &masked)
    }
}

fn press(app: &mut App, code: KeyCode) {
    app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    app.wait_for_jobs();
}

/// Clears the filter, then types `/`, the query key by key, and Enter.
fn search(app: &mut App, query: &str) {
    press(app, KeyCode::Esc);
    press(app, KeyCode::Char('/'));
    for c in query.chars() {
        press(app, KeyCode::Char(c));
    }
}

/// The IDs of the rows the table shows.
fn shown(app: &App) -> BTreeSet<String> {
    let shipments = app.index().projection().shipments();
    (0..app.table().rows().len())
        .filter_map(|row| app.table().rows().get(row))
        .map(|p| shipments[p].id.to_string())
        .collect()
}

fn now() -> chrono::DateTime<chrono::Utc> {
    Timestamp::parse(SEARCH_NOW).unwrap().instant()
}

#[test]
fn slash_finds_exactly_the_known_answers() {
    let fx = Fixture::new();
    let mut app = fx.app();
    for (q, numbers) in SEARCH_CASES {
        search(&mut app, q);
        press(&mut app, KeyCode::Enter);
        let expected: BTreeSet<String> = search_ids(numbers).into_iter().collect();
        assert_eq!(shown(&app), expected, "/{q}");
    }
}

#[test]
fn a_malformed_query_says_why_and_keeps_the_last_good_rows() {
    let fx = Fixture::new();
    let mut app = fx.app();
    let good: BTreeSet<String> = search_ids(&[1, 3, 5]).into_iter().collect();
    for (typed, says) in [
        ("mumbai weight>abc", "\"abc\" is not a number"),
        ("mumbai created<yesterday", "is not a time"),
        ("mumbai \"weight", "never closed"),
        ("mumbai -", "lone -"),
    ] {
        search(&mut app, typed);
        let screen = views::render_to_string(&app, 160, 45, now());
        assert!(screen.contains(says), "{typed}: {screen}");
        assert_eq!(shown(&app), good, "{typed}: the rows of `mumbai` stay");
        assert!(screen.contains("Shipments 3 of 5"), "{screen}");
    }
}

/// The screen as text, then the marked (underlined) cells as `^` under
/// each line that has any.
fn render_marked(fx: &Fixture, app: &App, width: u16, height: u16) -> String {
    let buffer = views::render_to_buffer(app, width, height, now()).unwrap();
    let mut out = String::new();
    for y in 0..height {
        let (mut text, mut marks) = (String::new(), String::new());
        for x in 0..width {
            let cell = &buffer[(x, y)];
            text.push_str(cell.symbol());
            let underlined = cell.modifier.contains(Modifier::UNDERLINED);
            marks.push(if underlined { '^' } else { ' ' });
        }
        out.push_str(text.trim_end());
        out.push('\n');
        if marks.contains('^') {
            out.push_str(marks.trim_end());
            out.push('\n');
        }
    }
    fx.mask(out)
}

#[test]
fn matches_are_marked_in_the_table_and_the_history() {
    let fx = Fixture::new();
    let mut app = fx.app();
    search(&mut app, "trk-59 mumbai");
    let screen = render_marked(&fx, &app, 160, 45);
    // The route's Mumbai on both rows, the vehicle in the history pane.
    assert!(screen.contains("TRK-5917"), "{screen}");
    assert!(screen.contains("/ trk-59 mumbai_"), "{screen}");
    insta::assert_snapshot!(screen);
}

/// Lines that arrive after the records were built are searched too: a new
/// shipment's payload, and a new event of one already shown.
#[test]
fn what_arrives_is_searched_without_rebuilding() {
    use control_tower::domain::{Actor, EventType, ShipmentId};
    use control_tower::store::{AppendRequest, EventStore, JsonlStore};
    use serde_json::{Map, json};

    let fx = Fixture::new();
    let mut app = fx.app();
    search(&mut app, "vehicle:trk-77");
    assert!(shown(&app).is_empty());
    let mut other = JsonlStore::open(&LogPaths::new(fx.dir.path()), "bob").unwrap();
    let payload = json!({"source": "Goa", "destination": "Pune", "weight_kg": 2.0,
        "delivery_type": "EXPRESS", "vehicle": "TRK-7700"});
    other
        .append_request(&AppendRequest::create(
            payload.as_object().cloned().unwrap(),
        ))
        .unwrap();
    // Shipment 2 is on hold: approved again, then on its way in TRK-7711.
    let two = ShipmentId::new(2).unwrap();
    for (event, actor, payload) in [
        (EventType::ManagerApproved, Actor::SenderManager, json!({})),
        (
            EventType::SupervisorApproved,
            Actor::SenderSupervisor,
            json!({}),
        ),
        (
            EventType::InTransit,
            Actor::Carrier,
            json!({"vehicle": "TRK-7711"}),
        ),
    ] {
        let payload: Map<_, _> = payload.as_object().cloned().unwrap();
        other
            .append_request(&AppendRequest::advance(two, event, actor, payload))
            .unwrap();
    }
    app.refresh();
    let expected: BTreeSet<String> = search_ids(&[2, 6]).into_iter().collect();
    assert_eq!(shown(&app), expected);
}
