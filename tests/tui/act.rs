//! Acting fast without acting blind, through `App`: the row acted on stays
//! selected and in view under a state filter, a quick repeat of an action
//! key on another shipment is ignored, batch actions on marked rows (each
//! append expecting the seq shown when marked) end in a summary, the
//! new-shipment form's role offer, draft, picker and inline errors, the
//! status line's expiry, `q` closing views, the sort arrow and the row
//! position in the title. Snapshots of the new screens.

use std::time::{Duration, Instant};

use control_tower::domain::{Actor, EventType, ShipmentId};
use control_tower::store::{AppendRequest, EventStore, JsonlStore};
use control_tower::tui::App;
use control_tower::tui::app::Mode;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Map;

use crate::screens::{Fixture, Step, created, press, type_text};

/// Four CREATED shipments (SHP-1 oldest … SHP-4 newest) and one approved.
fn four_created() -> Fixture {
    use Actor::*;
    use EventType::*;
    let route = |a, b| created(a, b, 3.0, "EXPRESS");
    Fixture::with_steps(&[
        Step(
            1,
            Created,
            Sender,
            0,
            route("Pune, Maharashtra", "Goa, Goa"),
            "asha",
        ),
        Step(
            2,
            Created,
            Sender,
            1,
            route("Surat, Gujarat", "Agra, UP"),
            "asha",
        ),
        Step(
            3,
            Created,
            Sender,
            2,
            route("Kochi, Kerala", "Ooty, TN"),
            "asha",
        ),
        Step(
            4,
            Created,
            Sender,
            3,
            route("Delhi, Delhi", "Patna, Bihar"),
            "asha",
        ),
        Step(
            5,
            Created,
            Sender,
            4,
            route("Leh, Ladakh", "Simla, HP"),
            "asha",
        ),
        Step(
            5,
            ManagerApproved,
            SenderManager,
            5,
            serde_json::json!({}),
            "ravi",
        ),
    ])
}

fn shp(n: u64) -> ShipmentId {
    ShipmentId::new(n).unwrap()
}

fn state_of(app: &App, n: u64) -> EventType {
    app.index().summary(shp(n)).unwrap().state
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// A key pressed at `at`, and its background work to the end.
fn press_at(app: &mut App, c: char, at: Instant) {
    app.handle_key_at(&key(c), at);
    app.wait_for_jobs();
}

#[test]
fn the_row_acted_on_stays_selected_under_a_state_filter() {
    let fx = four_created();
    let mut app = fx.app("ravi", Some(Actor::SenderManager));
    press(&mut app, KeyCode::Char('1'));
    assert_eq!(app.selected(), Some(shp(4)), "newest CREATED first");
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(state_of(&app, 4), EventType::ManagerApproved);
    // No longer CREATED, yet still the selection and still in view.
    assert_eq!(app.selected(), Some(shp(4)));
    assert_eq!(app.table().acted(), Some(shp(4)));
    let screen = fx.render(&app, 120, 30);
    assert!(screen.contains("◆   SHP-0000000004"), "{screen}");
    insta::assert_snapshot!("just_acted_row", screen);
    // The reported case: a second `a` does not approve the next row.
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(state_of(&app, 3), EventType::Created, "SHP-3 untouched");
    let status = app.status().cloned().unwrap();
    assert!(status.text.contains("SHP-0000000004"), "{status:?}");
    // Moving the cursor lets the filter drop the row.
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.table().acted(), None);
    let position = app.index().projection().position(shp(4)).unwrap();
    assert_eq!(app.table().rows().row_of(position), None);
    assert_eq!(app.table().rows().len(), 3);
}

#[test]
fn a_quick_repeat_on_another_shipment_is_ignored() {
    let fx = four_created();
    let mut app = fx.app("ravi", Some(Actor::SenderManager));
    let t = Instant::now();
    press(&mut app, KeyCode::Char('g'));
    let first = app.selected().unwrap();
    press_at(&mut app, 'a', t);
    press_at(&mut app, 'j', t + Duration::from_millis(50));
    let second = app.selected().unwrap();
    assert_ne!(first, second);
    let before = app.index().summary(second).unwrap().event_count;
    press_at(&mut app, 'a', t + Duration::from_millis(100));
    assert_eq!(app.index().summary(second).unwrap().event_count, before);
    let status = app.status().cloned().unwrap();
    assert!(status.text.contains("second press ignored"), "{status:?}");
    assert!(status.text.contains(&second.to_string()), "{status:?}");
    // Later, having looked: it acts.
    press_at(&mut app, 'a', t + Duration::from_millis(900));
    assert_eq!(app.index().summary(second).unwrap().event_count, before + 1);
}

#[test]
fn batch_approve_expects_each_marked_seq_and_summarises() {
    let fx = four_created();
    let mut app = fx.app("ravi", Some(Actor::SenderManager));
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.table().marks().len(), 2, "Space marks and moves down");
    press(&mut app, KeyCode::Char('V'));
    assert_eq!(app.table().marks().len(), 4);
    assert!(fx.render(&app, 120, 30).contains("· 4 marked"));
    // Another process moves SHP-2 after it was marked at seq 1.
    let mut other = JsonlStore::open(&fx.paths(), "bob").unwrap();
    other
        .append_request(&AppendRequest::advance(
            shp(2),
            EventType::ManagerApproved,
            Actor::SenderManager,
            Map::new(),
        ))
        .unwrap();
    app.refresh();
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(app.mode(), Mode::Batch);
    let screen = fx.render(&app, 120, 30);
    assert!(
        screen.contains("approve 4 shipments as SENDER_MANAGER? y/n"),
        "{screen}"
    );
    insta::assert_snapshot!("batch_confirm_prompt", screen);
    press(&mut app, KeyCode::Char('y'));
    for n in [1, 3, 4] {
        assert_eq!(state_of(&app, n), EventType::ManagerApproved);
        assert_eq!(app.index().summary(shp(n)).unwrap().event_count, 2);
    }
    assert_eq!(app.index().summary(shp(2)).unwrap().event_count, 2);
    let screen = fx.render(&app, 120, 30);
    assert!(
        screen.contains("approve 4 shipments: 3 landed, 1 conflicted, 0 refused"),
        "{screen}"
    );
    insta::assert_snapshot!("batch_summary", screen);
    assert!(app.table().marks().is_empty());
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.mode(), Mode::Normal);
    assert!(!app.quitting(), "q closes the summary, it does not quit");
}

#[test]
fn batch_hold_asks_for_one_reason_and_esc_clears_marks() {
    let fx = four_created();
    let mut app = fx.app("ravi", Some(Actor::SenderManager));
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Char('V'));
    press(&mut app, KeyCode::Char('h'));
    type_text(&mut app, "audit");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('y'));
    for n in 1..=4 {
        assert_eq!(state_of(&app, n), EventType::HoldForReview);
    }
    assert_eq!(
        app.batch_summary_line().unwrap(),
        "hold 4 shipments: 4 landed, 0 conflicted, 0 refused"
    );
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('V'));
    assert!(!app.table().marks().is_empty());
    press(&mut app, KeyCode::Esc);
    assert!(app.table().marks().is_empty(), "Esc clears the marks");
}

#[test]
fn the_form_offers_sender_and_keeps_a_draft() {
    let fx = four_created();
    let mut app = fx.app("ravi", Some(Actor::SenderManager));
    press(&mut app, KeyCode::Char('n'));
    let screen = fx.render(&app, 120, 30);
    assert!(screen.contains("Switch to SENDER?"), "{screen}");
    insta::assert_snapshot!("form_role_offer", screen);
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.role(), Some(Actor::Sender));
    type_text(&mut app, "Goa");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode(), Mode::Normal);
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(
        app.form_mut().unwrap().fields[0],
        "Goa",
        "the draft is kept"
    );
    // `q` in a field with text is a letter; on an empty one it closes.
    type_text(&mut app, "q");
    assert_eq!(app.form_mut().unwrap().fields[0], "Goaq");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.mode(), Mode::Normal, "q closed the form");
    assert!(!app.quitting());
}

#[test]
fn the_form_checks_while_typing_and_picks_the_delivery_type() {
    let fx = four_created();
    let mut app = fx.app("asha", Some(Actor::Sender));
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "P");
    press(&mut app, KeyCode::Backspace);
    assert!(app.form_mut().unwrap().errors[0].is_some(), "empty source");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "Goa, Goa");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "-2");
    assert!(
        app.form_mut().unwrap().errors[2].is_some(),
        "weight not positive"
    );
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right);
    type_text(&mut app, "n");
    assert_eq!(
        app.form_mut().unwrap().fields[3],
        "EXPRESS",
        "no typing on the picker"
    );
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.form_mut().unwrap().fields[3], "SAME_DAY");
    press(&mut app, KeyCode::Left);
    insta::assert_snapshot!("form_inline_errors_and_picker", fx.render(&app, 120, 30));
}

#[test]
fn messages_expire_and_errors_wait_for_a_key() {
    let fx = four_created();
    let mut app = fx.app("ravi", Some(Actor::SenderManager));
    app.info("hello");
    assert!(!app.expire_highlights(Instant::now() + Duration::from_secs(2)));
    assert!(app.status().is_some());
    app.expire_highlights(Instant::now() + Duration::from_secs(9));
    assert!(app.status().is_none(), "a message goes after about 8 s");
    app.error("broken");
    app.expire_highlights(Instant::now() + Duration::from_secs(60));
    assert!(app.status().is_some_and(|s| s.error), "an error stays");
    press(&mut app, KeyCode::Char('j'));
    assert!(app.status().is_none(), "until the next key");
}

#[test]
fn q_closes_views_and_quits_only_the_main_screen() {
    let fx = four_created();
    let mut app = fx.app("ravi", Some(Actor::SenderManager));
    for open in ['?', 'A'] {
        press(&mut app, KeyCode::Char(open));
        assert_ne!(app.mode(), Mode::Normal);
        press(&mut app, KeyCode::Char('q'));
        assert_eq!(app.mode(), Mode::Normal, "q closed {open}");
        assert!(!app.quitting());
    }
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quitting());
}

#[test]
fn the_title_says_where_you_are_and_the_arrow_points_the_right_way() {
    let fx = four_created();
    let mut app = fx.app("ravi", Some(Actor::SenderManager));
    press(&mut app, KeyCode::Char('j'));
    let screen = fx.render(&app, 120, 30);
    assert!(screen.contains("· row 2 of 5 ·"), "{screen}");
    assert!(screen.contains("AGE ▼"), "activity: newest first\n{screen}");
    press(&mut app, KeyCode::Char('s')); // by ID, ascending
    let screen = fx.render(&app, 120, 30);
    assert!(screen.contains("ID ▲"), "{screen}");
    insta::assert_snapshot!("title_row_of_sorted_by_id", screen);
    press(&mut app, KeyCode::Char('S'));
    assert!(fx.render(&app, 120, 30).contains("ID ▼"));
}

#[test]
fn the_form_says_so_when_the_policy_gives_no_sender() {
    let fx = four_created();
    let account = control_tower::store::account::os_account();
    let policy = format!(
        "[operators]\nasha = [\"SENDER_MANAGER\"]\n[shared_accounts]\n{account:?} = [\"asha\"]\n"
    );
    std::fs::write(fx.paths().policy, policy).unwrap();
    let mut app = fx.app("asha", None);
    assert_eq!(app.role(), Some(Actor::SenderManager));
    press(&mut app, KeyCode::Char('n'));
    let screen = fx.render(&app, 120, 30);
    assert!(
        screen.contains("does not give operator 'asha' the SENDER role"),
        "{screen}"
    );
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.mode(), Mode::Normal, "nothing to switch to: closed");
    assert_eq!(app.role(), Some(Actor::SenderManager));
}

#[test]
fn after_a_re_sort_the_selection_is_scrolled_into_view() {
    use Actor::*;
    use EventType::*;
    let steps: Vec<Step> = (1..=60)
        .map(|n| {
            Step(
                n,
                Created,
                Sender,
                n as i64,
                created("Pune, MH", "Goa, Goa", 1.0, "EXPRESS"),
                "asha",
            )
        })
        .collect();
    let fx = Fixture::with_steps(&steps);
    let mut app = fx.app("ravi", Some(SenderManager));
    press(&mut app, KeyCode::Char('j'));
    let selected = app.selected().unwrap().to_string();
    assert_eq!(selected, "SHP-0000000059");
    fx.render(&app, 120, 30);
    // Reversed, SHP-59 is row 59 of 60: far below the first page.
    press(&mut app, KeyCode::Char('S'));
    let screen = fx.render(&app, 120, 30);
    assert!(screen.contains("row 59 of 60"), "{screen}");
    let selected_row = |l: &&str| l.contains("┃>") && l.contains(selected.as_str());
    assert!(screen.lines().any(|l| selected_row(&l)), "{screen}");
    // A state filter keeps it (and it stays in view).
    press(&mut app, KeyCode::Char('1'));
    let screen = fx.render(&app, 120, 30);
    let selected_row = |l: &&str| l.contains("┃>") && l.contains(selected.as_str());
    assert!(screen.lines().any(|l| selected_row(&l)), "{screen}");
}
