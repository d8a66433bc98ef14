//! Snapshot tests of every dashboard view, drawn with ratatui's TestBackend
//! from a fixed log (fixed timestamps, a valid hash chain) and a fixed
//! "now", so nothing time-dependent moves. The data directory's random
//! part is masked.

use std::fs;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use control_tower::domain::line::{
    GENESIS_HASH, NewLine, encode_counter_line, hash_hex, hash_line,
};
use control_tower::domain::{Actor, EventType, ShipmentId, Timestamp};
use control_tower::store::{AppendRequest, EventStore, JsonlStore, LogPaths};
use control_tower::tui::app::Mode;
use control_tower::tui::views;
use control_tower::tui::{App, AppOptions};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Map, Value, json};

pub(crate) fn t0() -> DateTime<Utc> {
    "2026-01-21T12:00:00Z".parse().unwrap()
}

/// A fixed "now": ten minutes after the last fixture event.
pub(crate) fn now() -> DateTime<Utc> {
    t0() + Duration::hours(30)
}

pub(crate) struct Step(
    pub(crate) u64,
    pub(crate) EventType,
    pub(crate) Actor,
    pub(crate) i64,
    pub(crate) Value,
    pub(crate) &'static str,
);

/// Writes a chained log with fixed timestamps (minutes after t0).
pub(crate) fn write_fixture(dir: &Path, steps: &[Step], extra_lines: &[&str]) {
    let mut out = Vec::new();
    let mut counter = String::new();
    let mut last = GENESIS_HASH;
    let mut seqs = std::collections::HashMap::new();
    for Step(n, event, actor, minutes, payload, operator) in steps {
        let ts = Timestamp::from_instant_millis(t0() + Duration::minutes(*minutes));
        let seq = seqs.entry(*n).and_modify(|s| *s += 1).or_insert(1u32);
        if *seq == 1 {
            counter.push_str(&encode_counter_line(*n, &ts));
        }
        let payload: Map<String, Value> = payload.as_object().cloned().unwrap();
        let line = NewLine {
            shipment_id: ShipmentId::new(*n).unwrap(),
            event_seq: *seq,
            event_type: *event,
            timestamp: ts,
            actor: *actor,
            payload: &payload,
            operator,
            prev_hash: hash_hex(&last),
        }
        .encode();
        last = hash_line(&line);
        out.extend_from_slice(&line);
        out.push(b'\n');
    }
    for extra in extra_lines {
        out.extend_from_slice(extra.as_bytes());
        out.push(b'\n');
    }
    fs::write(dir.join("shipments.jsonl"), out).unwrap();
    fs::write(dir.join("shipment_counter.jsonl"), counter).unwrap();
}

pub(crate) fn created(src: &str, dst: &str, kg: f64, kind: &str) -> Value {
    json!({"source": src, "destination": dst, "weight_kg": kg, "delivery_type": kind})
}

fn standard_steps() -> Vec<Step> {
    use Actor::*;
    use EventType::*;
    vec![
        Step(
            1,
            Created,
            Sender,
            0,
            created("Mumbai, Maharashtra", "Delhi, Delhi", 5.0, "EXPRESS"),
            "asha",
        ),
        Step(
            2,
            Created,
            Sender,
            3,
            created(
                "Bengaluru, Karnataka",
                "Chennai, Tamil Nadu",
                12.5,
                "STANDARD",
            ),
            "asha",
        ),
        Step(1, ManagerApproved, SenderManager, 8, json!({}), "ravi"),
        Step(
            3,
            Created,
            Sender,
            10,
            created("Pune, Maharashtra", "Kochi, Kerala", 2.0, "SAME_DAY"),
            "kiran",
        ),
        Step(
            1,
            SupervisorApproved,
            SenderSupervisor,
            70,
            json!({}),
            "meera",
        ),
        Step(
            3,
            HoldForReview,
            SenderManager,
            75,
            json!({"reason": "customs papers missing"}),
            "ravi",
        ),
        Step(
            4,
            Created,
            Sender,
            80,
            created("Jaipur, Rajasthan", "Patna, Bihar", 40.0, "STANDARD"),
            "asha",
        ),
        Step(
            1,
            InTransit,
            Carrier,
            95,
            json!({"vehicle": "MH-12-AB-1234"}),
            "carrier-bot",
        ),
        Step(
            3,
            Created,
            Sender,
            120,
            json!({"weight_kg": 2.5, "note": "papers attached\u{1b}[2J\u{202e}"}),
            "kiran",
        ),
        Step(
            5,
            Created,
            Sender,
            130,
            created("Patna, Bihar", "Guwahati, Assam", 7.0, "EXPRESS"),
            "asha",
        ),
        Step(
            5,
            Cancelled,
            Sender,
            140,
            json!({"reason": "customer changed mind"}),
            "asha",
        ),
        Step(2, ManagerApproved, SenderManager, 600, json!({}), "ravi"),
        Step(4, ManagerApproved, SenderManager, 1000, json!({}), "ravi"),
        Step(
            4,
            SupervisorApproved,
            SenderSupervisor,
            1100,
            json!({}),
            "meera",
        ),
        Step(4, InTransit, System, 1200, json!({}), "system"),
        Step(4, ReceiverAcknowledged, Receiver, 1500, json!({}), "dock-7"),
        Step(4, WarehouseIntake, Warehouse, 1510, json!({"bay": 4}), "wh"),
        Step(4, OutForDelivery, Warehouse, 1600, json!({}), "wh"),
        Step(
            4,
            Delivered,
            Customer,
            1700,
            json!({"signed_by": "R. Sharma"}),
            "cust",
        ),
    ]
}

pub(crate) struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    pub(crate) fn new(extra_lines: &[&str]) -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("ct")
            .tempdir_in("/tmp")
            .unwrap();
        write_fixture(dir.path(), &standard_steps(), extra_lines);
        Fixture { dir }
    }

    /// A log of `steps` instead of the standard one.
    pub(crate) fn with_steps(steps: &[Step]) -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("ct")
            .tempdir_in("/tmp")
            .unwrap();
        write_fixture(dir.path(), steps, &[]);
        Fixture { dir }
    }

    pub(crate) fn paths(&self) -> LogPaths {
        LogPaths::new(self.dir.path())
    }

    pub(crate) fn app(&self, operator: &str, role: Option<Actor>) -> App {
        let mut app = App::new(AppOptions {
            paths: self.paths(),
            operator: operator.into(),
            role,
        });
        while app.load_step(4096).unwrap() {}
        app.finish_load();
        app
    }

    /// The screen as text, with the temp dir's random name masked.
    pub(crate) fn render(&self, app: &App, width: u16, height: u16) -> String {
        let screen = views::render_to_string(app, width, height, now());
        let dir = self.dir.path().display().to_string();
        let masked = format!(
            "/tmp/ct{}",
            "X".repeat(dir.len().saturating_sub("/tmp/ct".len()))
        );
        screen.replace(&dir, &masked)
    }
}

/// A key press, and whatever background work it started, to the end.
pub(crate) fn press(app: &mut App, code: KeyCode) {
    app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    app.wait_for_jobs();
}

/// Ctrl and a letter, and its background work, to the end.
pub(crate) fn press_ctrl(app: &mut App, c: char) {
    app.handle_key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    app.wait_for_jobs();
}

/// A key press, leaving its background work running.
pub(crate) fn press_no_wait(app: &mut App, code: KeyCode) {
    app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
}

pub(crate) fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

#[test]
fn table_wide() {
    let fx = Fixture::new(&[]);
    let app = fx.app("alice", None);
    insta::assert_snapshot!(fx.render(&app, 160, 45));
}

#[test]
fn table_small_screen() {
    let fx = Fixture::new(&[]);
    let app = fx.app("alice", None);
    insta::assert_snapshot!(fx.render(&app, 80, 24));
}

#[test]
fn history_pane_small_screen_toggle() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", None);
    type_text(&mut app, ":3");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter); // focus the history pane
    let screen = fx.render(&app, 80, 24);
    assert!(screen.contains("HOLD_FOR_REVIEW"), "{screen}");
    assert!(
        screen.contains("\\x1b[2J"),
        "escape sequences are shown inert: {screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn history_pane_wide() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", None);
    type_text(&mut app, ":4");
    press(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(fx.render(&app, 160, 45));
}

#[test]
fn action_bar_for_each_role() {
    let fx = Fixture::new(&[]);
    let mut out = String::new();
    for &role in Actor::ALL {
        for id in ["SHP-0000000002", "SHP-0000000001", "SHP-0000000004"] {
            let mut app = fx.app("alice", Some(role));
            type_text(&mut app, &format!(":{id}"));
            press(&mut app, KeyCode::Enter);
            let screen = fx.render(&app, 160, 45);
            let lines: Vec<&str> = screen.lines().collect();
            out.push_str(&format!("{role} on {id}:\n"));
            for line in &lines[lines.len() - 3..lines.len() - 1] {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn help_view() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", None);
    press(&mut app, KeyCode::Char('?'));
    let screen = fx.render(&app, 160, 45);
    // Every key of the keymap is listed (the help is generated from it),
    // some of them further down: the help scrolls.
    let mut seen = screen.clone();
    for _ in 0..6 {
        press(&mut app, KeyCode::PageDown);
        seen.push_str(&fx.render(&app, 160, 45));
    }
    for binding in control_tower::tui::keymap::KEYMAP {
        assert!(seen.contains(binding.help), "{} missing", binding.help);
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn audit_view_with_a_garbage_line() {
    let fx = Fixture::new(&["this is not json"]);
    let mut app = fx.app("alice", None);
    press(&mut app, KeyCode::Char('A'));
    let screen = fx.render(&app, 160, 45);
    assert!(screen.contains("CORRUPTED"), "{screen}");
    assert!(screen.contains("line 20"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn audit_enter_jumps_to_the_shipment() {
    // A transition the table does not allow, written by another tool.
    let fx = Fixture::new(&[]);
    let bad = r#"{"shipment_id":"SHP-0000000005","event_seq":3,"event_type":"DELIVERED","timestamp":"2026-01-23T00:00:00.000Z","actor":"CUSTOMER","payload":{}}"#;
    let mut log = fs::read_to_string(fx.paths().events).unwrap();
    log.push_str(bad);
    log.push('\n');
    fs::write(fx.paths().events, log).unwrap();
    let mut app = fx.app("alice", None);
    press(&mut app, KeyCode::Char('A'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode(), Mode::Normal);
    assert_eq!(app.selected(), Some("SHP-0000000005".parse().unwrap()));
}

#[test]
fn audit_view_small_screen() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", None);
    press(&mut app, KeyCode::Char('A'));
    insta::assert_snapshot!(fx.render(&app, 80, 24));
}

#[test]
fn new_shipment_form_with_field_errors() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", None);
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "Surat, Gujarat");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter); // blank destination: refused, stays
    type_text(&mut app, "Indore, Madhya Pradesh");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "-3");
    press(&mut app, KeyCode::Enter); // bad weight: refused, stays
    insta::assert_snapshot!(fx.render(&app, 160, 45));
}

#[test]
fn new_shipment_form_creates_as_sender() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", None);
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "Surat, Gujarat");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "Indore, Madhya Pradesh");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "3.5");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right); // STANDARD -> EXPRESS
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode(), Mode::Normal, "{:?}", app.status());
    let id: ShipmentId = "SHP-0000000006".parse().unwrap();
    assert_eq!(app.selected(), Some(id));
    let s = app.index().summary(id).unwrap();
    assert_eq!(
        (
            &*s.details.source,
            s.details.weight_kg,
            &*s.details.delivery_type
        ),
        ("Surat, Gujarat", Some(3.5), "EXPRESS")
    );
}

#[test]
fn form_under_another_role_still_refuses_on_submit_if_the_offer_was_skipped() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", Some(Actor::Warehouse));
    press(&mut app, KeyCode::Char('n'));
    let screen = fx.render(&app, 160, 45);
    assert!(
        screen.contains("created as SENDER; you act as WAREHOUSE. Switch to SENDER?"),
        "{screen}"
    );
    // Declined: the form closes; `r` away from SENDER is not offered again
    // until `n`, so switch back and forth to reach a submit as WAREHOUSE.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode(), Mode::Normal);
    press(&mut app, KeyCode::Char('n'));
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.role(), Some(Actor::Sender));
    for field in ["Goa, Goa", "Pune, Maharashtra", "1"] {
        let Some(form) = app.form_mut() else {
            panic!("form closed")
        };
        form.fields[form.focus] = field.into();
        press(&mut app, KeyCode::Enter);
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.index().projection().total_shipments(), 6);
}

#[test]
fn wrong_role_error_in_status_line() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", Some(Actor::Warehouse));
    type_text(&mut app, ":2");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('a'));
    let status = app.status().cloned().unwrap();
    assert!(
        status.error && status.text.contains("wrong role"),
        "{status:?}"
    );
    insta::assert_snapshot!(fx.render(&app, 160, 45));
}

#[test]
fn reason_prompt_and_confirmation() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", Some(Actor::SenderManager));
    type_text(&mut app, ":2");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('h'));
    type_text(&mut app, "damaged box");
    let typing = fx.render(&app, 100, 30);
    press(&mut app, KeyCode::Enter);
    let confirming = fx.render(&app, 100, 30);
    insta::assert_snapshot!(format!("{typing}\n{confirming}"));
    press(&mut app, KeyCode::Char('y'));
    let s = app
        .index()
        .summary("SHP-0000000002".parse().unwrap())
        .unwrap();
    assert_eq!((s.state, s.seq), (EventType::HoldForReview, 3));
    let history = app.index().history(s.id).unwrap();
    assert_eq!(history[2].payload["reason"], "damaged box");
    assert_eq!(history[2].operator.as_deref(), Some("alice"));
}

#[test]
fn any_key_but_y_declines() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", Some(Actor::Sender));
    type_text(&mut app, ":2");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('x'));
    type_text(&mut app, "no longer needed");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quitting() && app.mode() == Mode::Normal);
    assert_eq!(app.index().projection().total_events(), 19);
}

#[test]
fn conflict_shows_in_status_line_and_appends_nothing() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", Some(Actor::SenderManager));
    type_text(&mut app, ":2");
    press(&mut app, KeyCode::Enter);
    // Someone else approves first; this dashboard has not refreshed yet.
    let mut other = JsonlStore::open(&fx.paths(), "bob").unwrap();
    let id: ShipmentId = "SHP-0000000002".parse().unwrap();
    other
        .append_request(
            &AppendRequest::advance(
                id,
                EventType::HoldForReview,
                Actor::SenderSupervisor,
                json!({"reason": "papers"}).as_object().cloned().unwrap(),
            )
            .expecting_seq(2),
        )
        .unwrap();
    press(&mut app, KeyCode::Char('h'));
    type_text(&mut app, "late");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('y'));
    let status = app.status().cloned().unwrap();
    assert!(status.error, "{status:?}");
    assert!(
        status
            .text
            .contains("SHP-0000000002 moved to HOLD_FOR_REVIEW by SENDER_SUPERVISOR (bob)"),
        "{}",
        status.text
    );
    assert!(status.text.contains("nothing appended"));
    app.refresh();
    assert_eq!(app.index().summary(id).unwrap().seq, 3);
}

#[test]
fn read_only_operator_under_policy() {
    let fx = Fixture::new(&[]);
    let policy = "[operators]\nmeera = []\nasha = [\"SENDER_MANAGER\", \"WAREHOUSE\"]\n";
    // Without a shared account, this OS account may not act as asha at all:
    // the dashboard offers her no role (the core would refuse each write).
    fs::write(fx.paths().policy, policy).unwrap();
    assert!(fx.app("asha", None).access().roles().is_empty());
    let account = control_tower::store::account::os_account();
    fs::write(
        fx.paths().policy,
        format!("{policy}[shared_accounts]\n{account:?} = [\"meera\", \"asha\"]\n"),
    )
    .unwrap();
    let mut app = fx.app("meera", None);
    let screen = fx.render(&app, 160, 45);
    assert!(screen.contains("policy.toml: meera read-only"), "{screen}");
    press(&mut app, KeyCode::Char('a'));
    assert!(app.status().unwrap().text.contains("read-only"));
    insta::assert_snapshot!(screen);

    let mut asha = fx.app("asha", Some(Actor::Sender));
    assert_eq!(
        asha.access().roles(),
        [Actor::SenderManager, Actor::Warehouse]
    );
    assert!(
        asha.status().unwrap().error,
        "--role outside the policy is refused"
    );
    press(&mut asha, KeyCode::Char('r'));
    assert_eq!(asha.role(), Some(Actor::Warehouse));
    press(&mut asha, KeyCode::Char('r'));
    assert_eq!(asha.role(), Some(Actor::SenderManager));
}

#[test]
fn filter_state_keys_and_sort() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", None);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "patna");
    assert_eq!(app.table().rows().len(), 2);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('-')); // CANCELLED
    assert_eq!(app.table().rows().len(), 1);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.table().rows().len(), 5);
    press(&mut app, KeyCode::Char('1')); // CREATED
    assert_eq!(app.table().rows().len(), 1);
    press(&mut app, KeyCode::Char('1'));
    assert_eq!(app.table().rows().len(), 5);
    press(&mut app, KeyCode::Char('s')); // by id
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.selected(), Some("SHP-0000000001".parse().unwrap()));
    press(&mut app, KeyCode::Char('S'));
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.selected(), Some("SHP-0000000005".parse().unwrap()));
    insta::assert_snapshot!(fx.render(&app, 160, 45));
}

#[test]
fn selection_follows_the_shipment_and_changed_rows_are_marked() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", None);
    type_text(&mut app, ":2");
    press(&mut app, KeyCode::Enter);
    let id: ShipmentId = "SHP-0000000002".parse().unwrap();
    let mut other = JsonlStore::open(&fx.paths(), "bob").unwrap();
    let one: ShipmentId = "SHP-0000000001".parse().unwrap();
    other
        .append_request(&AppendRequest::advance(
            one,
            EventType::ReceiverAcknowledged,
            Actor::Receiver,
            Map::new(),
        ))
        .unwrap();
    app.refresh();
    assert_eq!(app.selected(), Some(id), "selection stays on its shipment");
    assert_eq!(
        app.table().rows().get(0),
        app.index().projection().position(one),
        "moved to the top"
    );
    let screen = fx.render(&app, 160, 45);
    assert!(screen.contains("┃*   SHP-0000000001"), "{screen}");
}

#[test]
fn freeze_counts_what_arrives() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", None);
    press(&mut app, KeyCode::Char('f'));
    let mut other = JsonlStore::open(&fx.paths(), "bob").unwrap();
    for _ in 0..3 {
        other
            .append_request(&AppendRequest::create(
                created("A", "B", 1.0, "EXPRESS")
                    .as_object()
                    .cloned()
                    .unwrap(),
            ))
            .unwrap();
    }
    app.refresh();
    assert_eq!(app.arrived_while_frozen(), 3);
    assert_eq!(app.index().projection().total_shipments(), 5);
    assert!(fx.render(&app, 160, 45).contains("PAUSED +3"));
    press(&mut app, KeyCode::Char('f'));
    assert_eq!(app.index().projection().total_shipments(), 8);
}

#[test]
fn reloaded_log_shows_a_banner() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", None);
    let log = fs::read_to_string(fx.paths().events).unwrap();
    let first: String = log.lines().take(3).map(|l| format!("{l}\n")).collect();
    fs::write(fx.paths().events, first).unwrap();
    app.refresh();
    let screen = fx.render(&app, 160, 45);
    assert!(screen.contains("LOG RELOADED"), "{screen}");
}

#[test]
fn loading_gauge() {
    let backend = ratatui::backend::TestBackend::new(80, 10);
    let mut terminal = ratatui::Terminal::new(backend).unwrap();
    terminal
        .draw(|f| views::draw_loading(f, "data/big", 120_000_000, 240_000_000))
        .unwrap();
    insta::assert_snapshot!(terminal.backend().to_string());
}

/// Changes one byte of the log in place (same inode, same size), the way
/// an editor or `dd conv=notrunc` would.
fn edit_in_place(path: &Path, from: &str, to: &str) {
    assert_eq!(from.len(), to.len());
    let log = fs::read_to_string(path).unwrap();
    let at = log.find(from).unwrap() as u64;
    let file = fs::OpenOptions::new().write(true).open(path).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&file, to.as_bytes(), at).unwrap();
}

#[test]
fn in_place_edit_is_read_again_and_verified_in_the_background() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", None);
    assert!(fx.render(&app, 160, 45).contains(" VALID "));
    // 7 kg -> 9 kg on SHP-0000000005's creation: the chain breaks there.
    edit_in_place(&fx.paths().events, "\"weight_kg\":7.0", "\"weight_kg\":9.0");
    app.refresh();
    let during = fx.render(&app, 160, 45);
    assert!(during.contains("verifying 0%"), "{during}");
    assert!(during.contains("rewritten in place"), "{during}");
    // No write goes out on the state that was read before the edit.
    press_no_wait(&mut app, KeyCode::Char('a'));
    let refused = app.status().cloned().unwrap();
    assert!(
        refused.error && refused.text.contains("being read again"),
        "{refused:?}"
    );

    app.wait_for_jobs();
    let after = fx.render(&app, 160, 45);
    assert!(after.contains("CORRUPTED: 1 error"), "{after}");
    assert!(
        after.contains("verified again: CORRUPTED: 1 error"),
        "{after}"
    );
    let id: ShipmentId = "SHP-0000000005".parse().unwrap();
    assert_eq!(
        app.index().summary(id).unwrap().details.weight_kg,
        Some(9.0)
    );
    press(&mut app, KeyCode::Char('A'));
    let audit = fx.render(&app, 160, 45);
    assert!(audit.contains("chain"), "{audit}");
    insta::assert_snapshot!(format!("{during}\n{after}"));
}

#[test]
fn another_log_copied_over_the_open_one_is_not_mixed_in() {
    // `cp other/shipments.jsonl W/`: same inode, the file grew.
    let fx = Fixture::new(&[]);
    let other = Fixture::new(&[]);
    let mut steps = standard_steps();
    steps.truncate(3);
    // A long reason makes the other log bigger than the open one.
    let reason = "other tower ".repeat(800);
    steps.push(Step(
        1,
        EventType::Cancelled,
        Actor::Sender,
        9,
        json!({ "reason": reason }),
        "zed",
    ));
    write_fixture(other.dir.path(), &steps, &[]);
    let mut app = fx.app("alice", None);
    let bytes = fs::read(other.paths().events).unwrap();
    assert!(bytes.len() as u64 > fs::metadata(fx.paths().events).unwrap().len());
    let file = fs::OpenOptions::new()
        .write(true)
        .open(fx.paths().events)
        .unwrap();
    std::os::unix::fs::FileExt::write_all_at(&file, &bytes, 0).unwrap();
    app.refresh();
    app.wait_for_jobs();
    let screen = fx.render(&app, 160, 45);
    assert!(screen.contains("LOG RELOADED FROM THE START"), "{screen}");
    assert!(screen.contains("rewritten in place"), "{screen}");
    let one: ShipmentId = "SHP-0000000001".parse().unwrap();
    assert_eq!(
        app.index().summary(one).unwrap().state,
        EventType::Cancelled,
        "only the new file's events, none of the old one's"
    );
    assert_eq!(app.index().projection().total_shipments(), 2);
    assert!(
        app.verify_report().valid,
        "the copied log is a valid one: {screen}"
    );
    assert!(screen.contains("verified again: VALID"), "{screen}");
}

#[test]
fn v_reverifies_on_demand_and_is_in_help() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", None);
    // An edit the tailer cannot see: same size, and the mtime put back.
    let path = fx.paths().events;
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    edit_in_place(&path, "Mumbai", "Mombai");
    let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_modified(mtime).unwrap();
    press_ctrl(&mut app, 'v');
    let screen = fx.render(&app, 160, 45);
    assert!(screen.contains("CORRUPTED: 1 error"), "{screen}");
    assert!(
        screen.contains("verified the whole log again: CORRUPTED"),
        "{screen}"
    );
    press(&mut app, KeyCode::Char('?'));
    let help = fx.render(&app, 160, 45);
    assert!(
        help.contains("Ctrl-V      read and verify the whole log again"),
        "{help}"
    );
}

/// Holds the writers' lock (`DIR/.lock`) like another process would.
fn hold_writers_lock(paths: &LogPaths) -> fs::File {
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(paths.dir.join(".lock"))
        .unwrap();
    fs2::FileExt::lock_exclusive(&lock).unwrap();
    lock
}

#[test]
fn an_append_waiting_for_the_lock_never_freezes_and_esc_cancels_it() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", Some(Actor::SenderSupervisor));
    type_text(&mut app, ":2");
    press(&mut app, KeyCode::Enter);
    let holder = hold_writers_lock(&fx.paths());
    press_no_wait(&mut app, KeyCode::Char('a'));
    assert!(app.appending());
    // One append at a time; no blind queueing.
    press_no_wait(&mut app, KeyCode::Char('a'));
    let refused = app.status().cloned().unwrap();
    assert!(
        refused.error && refused.text == "an append is already in progress",
        "{refused:?}"
    );
    press_no_wait(&mut app, KeyCode::Char('h'));
    assert_eq!(app.mode(), Mode::Normal, "no reason prompt meanwhile");
    // Keys still move.
    press_no_wait(&mut app, KeyCode::Char('g'));
    press_no_wait(&mut app, KeyCode::Down);
    assert_eq!(app.table().cursor(), 1);
    let screen = fx.render(&app, 160, 45);
    assert!(
        screen.contains("appending…") || screen.contains("waiting for the log lock ("),
        "{screen}"
    );
    press_no_wait(&mut app, KeyCode::Esc);
    app.wait_for_jobs();
    let status = app.status().cloned().unwrap();
    assert!(status.text.contains("cancelled"), "{status:?}");
    assert!(!app.appending());
    assert_eq!(
        fs::read_to_string(fx.paths().events)
            .unwrap()
            .lines()
            .count(),
        19
    );
    // With the lock free again the same key appends.
    drop(holder);
    type_text(&mut app, ":2");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('a'));
    let status = app.status().cloned().unwrap();
    assert!(
        status.text.starts_with("appended SUPERVISOR_APPROVED"),
        "{status:?}"
    );
}

#[test]
fn quitting_while_an_append_waits_appends_nothing() {
    let fx = Fixture::new(&[]);
    let mut app = fx.app("alice", Some(Actor::SenderSupervisor));
    type_text(&mut app, ":2");
    press(&mut app, KeyCode::Enter);
    let _holder = hold_writers_lock(&fx.paths());
    press_no_wait(&mut app, KeyCode::Char('a'));
    press_no_wait(&mut app, KeyCode::Char('q'));
    assert!(app.quitting());
    app.shutdown();
    assert_eq!(
        fs::read_to_string(fx.paths().events)
            .unwrap()
            .lines()
            .count(),
        19
    );
}

#[test]
fn a_log_changed_under_the_writer_is_a_conflict_in_the_status_line() {
    let fx = Fixture::new(&[]);
    let other = Fixture::new(&[]);
    let mut steps = standard_steps();
    steps.truncate(2);
    steps.push(Step(
        2,
        EventType::Cancelled,
        Actor::Sender,
        9,
        json!({ "reason": "x".repeat(9000) }),
        "zed",
    ));
    write_fixture(other.dir.path(), &steps, &[]);
    let mut app = fx.app("alice", Some(Actor::SenderSupervisor));
    type_text(&mut app, ":2");
    press(&mut app, KeyCode::Enter);
    // `cp` over the open log (same inode, it grew); no refresh yet.
    let bytes = fs::read(other.paths().events).unwrap();
    let file = fs::OpenOptions::new()
        .write(true)
        .open(fx.paths().events)
        .unwrap();
    std::os::unix::fs::FileExt::write_all_at(&file, &bytes, 0).unwrap();
    press(&mut app, KeyCode::Char('a'));
    let screen = fx.render(&app, 160, 45);
    let status = app.status().cloned().unwrap();
    assert!(status.error, "{status:?}");
    assert!(
        status.text.contains("changed under this writer"),
        "{status:?}"
    );
    assert!(screen.contains("LOG RELOADED FROM THE START"), "{screen}");
    let log = fs::read_to_string(fx.paths().events).unwrap();
    assert_eq!(log.lines().count(), 3, "nothing appended");
    assert_eq!(
        app.index()
            .summary("SHP-0000000002".parse().unwrap())
            .unwrap()
            .state,
        EventType::Cancelled
    );
}

/// Time travel (`t`): the fixture's shipment 4 three events back.
fn travelled_three_back(fx: &Fixture) -> App {
    let mut app = fx.app("alice", None);
    type_text(&mut app, ":4");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('t'));
    for _ in 0..3 {
        press(&mut app, KeyCode::Left);
    }
    app
}

#[test]
fn time_travel_wide() {
    let fx = Fixture::new(&[]);
    let mut app = travelled_three_back(&fx);
    press(&mut app, KeyCode::Char('a'));
    let screen = fx.render(&app, 120, 40);
    assert!(
        screen.contains("AS OF 2026-01-22 13:00:00.000Z · event 16 of 19"),
        "{screen}"
    );
    assert!(
        screen.contains("16 events · 5 shipments"),
        "header: {screen}"
    );
    assert!(screen.contains("RECEIVER_ACKNOWLEDGE"), "{screen}");
    assert!(
        !screen.contains("DELIVERED  "),
        "not yet delivered: {screen}"
    );
    assert!(screen.contains("5 events"), "history ends then: {screen}");
    assert!(
        screen.contains("nothing can be appended in the past"),
        "{screen}"
    );
    assert_eq!(
        app.index().projection().total_events(),
        19,
        "nothing appended"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn time_travel_small_screen() {
    let fx = Fixture::new(&[]);
    let app = travelled_three_back(&fx);
    let screen = fx.render(&app, 80, 24);
    assert!(screen.contains("event 16 of 19"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn time_travel_keys_hours_days_moments_and_back_to_live() {
    let fx = Fixture::new(&[]);
    let mut app = travelled_three_back(&fx);
    let at = |app: &App| app.travelling().map(|t| t.at());
    // 13:00 on the 22nd; an hour back is 12:00: the last event then is
    // the one at 08:00 (event 15).
    press(&mut app, KeyCode::Char('['));
    assert_eq!(at(&app), Some(15));
    // A day back from 08:00 on the 22nd is before the first event (12:00
    // on the 21st); a day forward from there is 12:00 on the 22nd.
    press(&mut app, KeyCode::Char('{'));
    assert_eq!(at(&app), Some(0));
    press(&mut app, KeyCode::Char('}'));
    assert_eq!(at(&app), Some(15));
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(at(&app), Some(15 + 1), "a step forward always moves on");
    type_text(&mut app, ":event:2");
    press(&mut app, KeyCode::Enter);
    assert_eq!(at(&app), Some(2));
    type_text(&mut app, ":yesterday");
    press(&mut app, KeyCode::Enter);
    assert_eq!(at(&app), Some(2));
    let screen = fx.render(&app, 120, 40);
    assert!(
        screen.contains("'yesterday' is no moment: expected event:N"),
        "{screen}"
    );
    // The table keys still work in the past.
    press(&mut app, KeyCode::Char('2'));
    assert!(fx.render(&app, 120, 40).contains("Shipments 0 of 2"));
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Right);
    assert_eq!(at(&app), Some(3));
    // An append by someone else meanwhile: the past stays, the latest grows.
    let mut other = JsonlStore::open(&fx.paths(), "bob").unwrap();
    other
        .append_request(&AppendRequest::create(
            created("A", "B", 1.0, "EXPRESS")
                .as_object()
                .cloned()
                .unwrap(),
        ))
        .unwrap();
    app.refresh();
    assert!(fx.render(&app, 120, 40).contains("event 3 of 20"));
    type_text(&mut app, ":event:99");
    press(&mut app, KeyCode::Enter);
    assert_eq!(at(&app), Some(20), "clamped to the latest");
    press(&mut app, KeyCode::Esc);
    assert_eq!(at(&app), None);
    let screen = fx.render(&app, 120, 40);
    assert!(!screen.contains("AS OF"), "{screen}");
    assert!(screen.contains("SHP-0000000006"), "the new row: {screen}");
}
