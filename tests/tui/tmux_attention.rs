//! End to end on the real binary in tmux: `p` (pulse), `!` (attention
//! list) and `m` (my queue) on a log whose times make shipments late,
//! stuck and held (`support::attention_log`, relative to now).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::{BIN, Panes, attention_log};

const TIMEOUT: Duration = Duration::from_secs(15);

fn tower() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    std::fs::create_dir(&dir).unwrap();
    attention_log(&dir, chrono::Utc::now());
    (tmp, dir)
}

fn start(panes: &Panes, session: &str, dir: &Path, extra: &str) {
    panes.start(
        session,
        &format!(
            "'{BIN}' --data-dir '{}' --operator alice {extra}",
            dir.display()
        ),
    );
    panes.wait_text(session, "LATE 2 · STUCK 2 · HOLD 1", TIMEOUT);
}

/// The lines of the open list (inside its border) that name a shipment.
fn listed(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.starts_with('│') && l.contains("SHP-"))
        .map(str::to_string)
        .collect()
}

#[test]
fn p_shows_the_pulse_and_q_closes_it() {
    let (_keep, dir) = tower();
    let Some(panes) = Panes::new("pulse") else {
        return;
    };
    start(&panes, "d", &dir, "");
    panes.keys("d", &["p"]);
    let screen = panes.wait_text("d", "Events per minute", TIMEOUT);
    for text in [
        "Shipments by state",
        "Dwell before the next event",
        "25h",
        "ON HOLD 1",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    panes.keys("d", &["q"]);
    let screen = panes.wait_text("d", "Shipments 8 of 8", TIMEOUT);
    assert!(!screen.contains("Events per minute"), "{screen}");
    assert!(
        !screen.contains("Pane is dead"),
        "q closed the pulse only: {screen}"
    );
}

#[test]
fn bang_lists_late_stuck_and_held_and_enter_selects_in_the_table() {
    let (_keep, dir) = tower();
    let Some(panes) = Panes::new("attention") else {
        return;
    };
    start(&panes, "d", &dir, "");
    panes.keys("d", &["!"]);
    let screen = panes.wait_text("d", "ON HOLD: weight check", TIMEOUT);
    let rows = listed(&screen);
    assert_eq!(rows.len(), 3, "{screen}");
    assert!(rows[0].contains("SHP-0000000002") && rows[0].contains("LATE by 1h (SAME_DAY 12h)"));
    assert!(rows[1].contains("SHP-0000000001") && rows[1].contains("STUCK 7h in IN_TRANSIT"));
    assert!(rows[2].contains("SHP-0000000004"), "{screen}");
    panes.keys("d", &["Down", "Enter"]);
    let screen = panes.wait_text("d", "History SHP-0000000001", TIMEOUT);
    assert!(screen.contains("Shipments 8 of 8"), "{screen}");
}

#[test]
fn m_then_a_down_the_queue() {
    let (_keep, dir) = tower();
    let Some(panes) = Panes::new("queue") else {
        return;
    };
    start(&panes, "d", &dir, "--role SENDER_MANAGER");
    panes.keys("d", &["m"]);
    let screen = panes.wait_text("d", "waiting 13h for MANAGER_APPROVED", TIMEOUT);
    let first: Vec<String> = listed(&screen);
    assert!(first[0].contains("> SHP-0000000002"), "{screen}");
    assert!(first[1].contains("SHP-0000000008"), "{screen}");
    panes.keys("d", &["a"]);
    let screen = panes.wait_for("d", "SHP-2 approved and gone", TIMEOUT, |s| {
        let rows = listed(s);
        rows.len() == 3 && rows[0].contains("> SHP-0000000008")
    });
    assert!(screen.contains("My queue as SENDER_MANAGER"), "{screen}");
    panes.keys("d", &["a"]);
    panes.wait_for("d", "SHP-8 approved and gone", TIMEOUT, |s| {
        let rows = listed(s);
        rows.len() == 2 && rows[0].contains("> SHP-0000000004")
    });
    let log = std::fs::read_to_string(dir.join("shipments.jsonl")).unwrap();
    let approvals: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("\"MANAGER_APPROVED\"") && l.contains("\"operator\":\"alice\""))
        .collect();
    assert_eq!(approvals.len(), 2, "{log}");
    assert!(approvals[0].contains("SHP-0000000002") && approvals[1].contains("SHP-0000000008"));
}
