//! The dashboard on a big tower: opened from a projection snapshot, the
//! table comes from the snapshot at once, and the header badge says
//! `verifying N%` while the lines it stood for are checked in the
//! background, then `VALID` (nothing is appended meanwhile); time travel
//! is prepared in the background too.

use std::time::{Duration, Instant};

use control_tower::cli::bench::loggen;
use control_tower::read::snapshot;
use control_tower::store::{Location, LogPaths};

use crate::support::{BIN, Panes, ct, run};

/// Big enough that the background check takes a visible while (about
/// 1 s here; several captures even on an idle, faster machine).
const EVENTS: u64 = 500_000;

/// The header line: the badge is in it.
fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or_default()
}

#[test]
fn opened_from_a_snapshot_the_badge_says_verifying_then_valid() {
    let Some(panes) = Panes::new("snapshot_badge") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    loggen::generate(&paths, EVENTS, 7).unwrap();
    run(ct(&paths.dir)
        .arg("list")
        .stdout(std::process::Stdio::null()))
    .ok();
    let location = Location::File(paths.clone());
    assert!(
        matches!(snapshot::open(&location), snapshot::Found::Usable(_)),
        "list wrote no usable snapshot"
    );

    let command = format!(
        "'{BIN}' --data-dir '{}' --operator tester",
        paths.dir.display()
    );
    panes.start("d", &command);
    // Captured every 50 ms, not waiting for a settled screen: the badge
    // moves on while the check runs. Then a second more: it stays VALID
    // (the check was adopted, no full replay started).
    let start = Instant::now();
    let mut verifying = Vec::new();
    let mut valid_since: Option<Instant> = None;
    let mut said_verified = false;
    let mut screen = String::new();
    while valid_since.is_none_or(|at| at.elapsed() < Duration::from_secs(1)) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no `verifying` then `VALID` (saw verifying {verifying:?}); screen:\n{screen}"
        );
        screen = panes.screen("d");
        let top = header(&screen);
        assert!(!top.contains("CORRUPTED"), "{screen}");
        if let Some(at) = top.find("verifying ") {
            assert!(
                valid_since.is_none(),
                "verifying again after VALID:\n{screen}"
            );
            let percent = top[at..].split_whitespace().nth(1).unwrap_or("");
            verifying.push(percent.to_string());
        } else if top.contains("VALID") && !verifying.is_empty() {
            valid_since.get_or_insert_with(Instant::now);
            said_verified |= screen.contains("verified the whole log: VALID");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        verifying.iter().all(|p| p.ends_with('%')),
        "the badge says how far: {verifying:?}"
    );
    assert!(said_verified, "no word of the check's verdict:\n{screen}");
    assert!(
        header(&screen).contains("500,000 events"),
        "the whole log is in the table:\n{screen}"
    );
}

/// Opened from a snapshot, the dashboard decides nothing on it until its
/// lines are verified: an action key is refused, saying why, and works
/// once the background check is adopted.
#[test]
fn no_append_is_decided_on_an_unverified_snapshot() {
    use control_tower::domain::Actor;
    use control_tower::tui::{App, AppOptions};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    loggen::generate(&paths, 20_000, 7).unwrap();
    run(ct(&paths.dir)
        .arg("list")
        .stdout(std::process::Stdio::null()))
    .ok();
    let mut app = App::new(AppOptions {
        paths: paths.clone(),
        operator: "tester".into(),
        role: Some(Actor::SenderManager),
    });
    while app.load_step(1 << 20).unwrap() {}
    app.finish_load();
    assert!(
        app.index().unverified().is_some(),
        "opened from the snapshot"
    );
    let refusal = "opened from a snapshot: verifying the log";
    let press = |app: &mut App| {
        app.handle_key(&KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE));
        control_tower::tui::views::render_to_string(app, 160, 45, chrono::Utc::now())
    };
    let screen = press(&mut app);
    assert!(screen.contains(refusal), "{screen}");
    app.wait_for_jobs();
    assert!(app.index().unverified().is_none(), "the check was adopted");
    let screen = press(&mut app);
    assert!(!screen.contains(refusal), "{screen}");
    assert!(header(&screen).contains("VALID"), "{screen}");
}

/// On a big log `t` maps the log's events on a worker thread: the
/// dashboard stays live and says how far it got, then travels.
#[test]
fn time_travel_on_a_big_log_is_prepared_in_the_background() {
    use control_tower::tui::{App, AppOptions};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    // Past the 128 MB from which `t` prepares on a worker.
    loggen::generate(&paths, 480_000, 7).unwrap();
    let mut app = App::new(AppOptions {
        paths: paths.clone(),
        operator: "tester".into(),
        role: None,
    });
    while app.load_step(8 << 20).unwrap() {}
    app.finish_load();
    app.wait_for_jobs();
    let key = |app: &mut App, code| app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    key(&mut app, KeyCode::Char('t'));
    assert!(app.travelling().is_none(), "not yet: the map is being read");
    let screen = control_tower::tui::views::render_to_string(&app, 160, 45, chrono::Utc::now());
    assert!(screen.contains("preparing time travel"), "{screen}");
    app.wait_for_jobs();
    let total = app.index().projection().total_events();
    assert_eq!(app.travelling().map(|t| t.at()), Some(total));
    key(&mut app, KeyCode::Left);
    assert_eq!(app.travelling().map(|t| t.at()), Some(total - 1));
    // `t` again: back to live.
    key(&mut app, KeyCode::Char('t'));
    assert!(app.travelling().is_none());
}
