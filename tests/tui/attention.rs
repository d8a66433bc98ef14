//! What needs attention, drawn (TestBackend, fixed "now"): the pulse
//! view, the attention list, my queue, the header's LATE/STUCK counts and
//! the table's SLA markers, on `support::attention_log` (times known
//! against the now given); and the list's keys acting on its selection.

use chrono::{DateTime, Utc};
use control_tower::domain::{Actor, EventType};
use control_tower::tui::views;
use control_tower::tui::{App, AppOptions};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::support::*;

fn now() -> DateTime<Utc> {
    "2026-03-10T12:00:30Z".parse().unwrap()
}

struct Tower {
    env: Env,
}

impl Tower {
    fn new() -> Tower {
        let env = Env::new();
        attention_log(&env.dir, now());
        Tower { env }
    }

    fn app(&self, role: Option<Actor>) -> App {
        let mut app = App::new(AppOptions {
            paths: self.env.paths(),
            operator: "alice".into(),
            role,
        });
        while app.load_step(1 << 20).unwrap() {}
        app.finish_load();
        app
    }

    fn render(&self, app: &App, width: u16, height: u16) -> String {
        let screen = views::render_to_string(app, width, height, now());
        let dir = self.env.dir.display().to_string();
        screen.replace(&dir, &"X".repeat(dir.chars().count()))
    }
}

fn press(app: &mut App, code: KeyCode) {
    app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    app.wait_for_jobs();
}

#[test]
fn header_counts_and_table_markers() {
    let tower = Tower::new();
    let app = tower.app(None);
    let screen = tower.render(&app, 120, 40);
    assert!(screen.contains("LATE 2 · STUCK 2 · HOLD 1"), "{screen}");
    let row = |id: &str| {
        screen
            .lines()
            .find(|l| l.contains(id))
            .unwrap_or("")
            .to_string()
    };
    // The marker column's last letter: `!` late and stuck, `L` late.
    assert!(
        row("SHP-0000000001").contains("! SHP-0000000001"),
        "{screen}"
    );
    assert!(
        row("SHP-0000000002").contains("! SHP-0000000002"),
        "{screen}"
    );
    let third = row("SHP-0000000003");
    assert!(
        !third.contains("L SHP-") && !third.contains("! SHP-"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn unfinished_filter_hides_delivered_and_says_so() {
    let tower = Tower::new();
    let mut app = tower.app(None);
    press(&mut app, KeyCode::Char('u'));
    let screen = tower.render(&app, 120, 40);
    assert!(
        screen.contains("Shipments 6 of 8") && screen.contains("unfinished only"),
        "{screen}"
    );
    assert!(
        !screen.contains("SHP-0000000005"),
        "delivered hidden: {screen}"
    );
    press(&mut app, KeyCode::Char('u'));
    let screen = tower.render(&app, 120, 40);
    assert!(screen.contains("Shipments 8 of 8"), "{screen}");
}

#[test]
fn pulse_view() {
    let tower = Tower::new();
    let mut app = tower.app(None);
    press(&mut app, KeyCode::Char('p'));
    let screen = tower.render(&app, 120, 40);
    for text in [
        "Events per minute",
        "Shipments by state",
        "Lead time",
        "Dwell",
        "25h",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    insta::assert_snapshot!(screen);
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quitting(), "q closes the pulse, it does not quit");
    assert!(!tower.render(&app, 120, 40).contains("Events per minute"));
}

#[test]
fn pulse_view_small_screen() {
    let tower = Tower::new();
    let mut app = tower.app(None);
    press(&mut app, KeyCode::Char('p'));
    insta::assert_snapshot!(tower.render(&app, 80, 24));
}

#[test]
fn pulse_in_time_travel_is_of_the_moment() {
    let tower = Tower::new();
    let mut app = tower.app(None);
    press(&mut app, KeyCode::Char('t'));
    // A day back: before SHP-2, 3, 4, 7, 8 and SHP-1's transit.
    press(&mut app, KeyCode::Char('{'));
    press(&mut app, KeyCode::Char('p'));
    let screen = tower.render(&app, 120, 40);
    assert!(screen.contains("Pulse AS OF"), "{screen}");
    // Then SHP-1 had waited 21 h for its transit: stuck, not yet late.
    assert!(screen.contains("LATE 0 · STUCK 1 · ON HOLD 0"), "{screen}");
}

#[test]
fn attention_list() {
    let tower = Tower::new();
    let mut app = tower.app(None);
    press(&mut app, KeyCode::Char('!'));
    let screen = tower.render(&app, 120, 40);
    let order: Vec<usize> = ["SHP-0000000002", "SHP-0000000001", "SHP-0000000004"]
        .iter()
        .map(|id| screen.find(id).unwrap_or(usize::MAX))
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "most overdue first: {screen}"
    );
    assert!(
        screen.contains("LATE by 1h (SAME_DAY 12h) · STUCK 13h in CREATED"),
        "{screen}"
    );
    assert!(screen.contains("ON HOLD: weight check"), "{screen}");
    insta::assert_snapshot!(screen);
    // Enter selects the shipment in the table and closes the list.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.selected().map(|id| id.number()), Some(1));
    assert!(!tower.render(&app, 120, 40).contains("most overdue first"));
}

#[test]
fn my_queue_then_a_down_the_list() {
    let tower = Tower::new();
    let mut app = tower.app(Some(Actor::SenderManager));
    press(&mut app, KeyCode::Char('m'));
    let screen = tower.render(&app, 120, 40);
    assert!(
        screen.contains("waiting 13h for MANAGER_APPROVED"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
    // `a` approves the first (SHP-2, waiting longest); the cursor goes on
    // to SHP-8, and SHP-2 leaves the queue once its event is read.
    press(&mut app, KeyCode::Char('a'));
    app.refresh();
    let screen = tower.render(&app, 120, 40);
    let state = app.index().summary(shipment(2)).map(|s| s.state);
    assert_eq!(state, Some(EventType::ManagerApproved), "{screen}");
    let listed = |id: &str| {
        screen
            .lines()
            .any(|l| l.starts_with("\"│") && l.contains(id))
    };
    assert!(!listed("SHP-0000000002"), "{screen}");
    let selected = screen.lines().find(|l| l.contains('>')).unwrap_or("");
    assert!(selected.contains("SHP-0000000008"), "{screen}");
    press(&mut app, KeyCode::Char('a'));
    app.refresh();
    tower.render(&app, 120, 40);
    let state = app.index().summary(shipment(8)).map(|s| s.state);
    assert_eq!(state, Some(EventType::ManagerApproved));
}

fn shipment(n: u64) -> control_tower::domain::ShipmentId {
    control_tower::domain::ShipmentId::new(n).unwrap()
}

#[test]
fn tower_toml_sets_the_levels_and_a_bad_one_is_said_with_the_defaults_kept() {
    let tower = Tower::new();
    let toml = tower.env.dir.join("tower.toml");
    // EXPRESS 3 days: SHP-1 is no longer late.
    std::fs::write(&toml, "[delivered_within]\nEXPRESS = \"72h\"\n").unwrap();
    let screen = tower.render(&tower.app(None), 120, 40);
    assert!(screen.contains("LATE 1 · STUCK 2"), "{screen}");
    std::fs::write(&toml, "stuck_after = 6\n").unwrap();
    let screen = tower.render(&tower.app(None), 120, 40);
    assert!(screen.contains("tower.toml:1:"), "{screen}");
    assert!(screen.contains("default service levels in use"), "{screen}");
    assert!(screen.contains("LATE 2 · STUCK 2"), "{screen}");
}
