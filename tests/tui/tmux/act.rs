//! End to end, acting without acting blind: the reported double press
//! under the CREATED filter approves one shipment, not two; a batch
//! approve of marked rows, one of which another process moved first,
//! reports it as conflicted. Checked against the log with the CLI.

use super::{Tmux, cli, create, events, tempdir};

/// How many MANAGER_APPROVED events the log holds for `id`.
fn approvals(dir: &std::path::Path, id: &str) -> usize {
    events(dir)
        .iter()
        .filter(|e| e["shipment_id"] == id && e["event_type"] == "MANAGER_APPROVED")
        .count()
}

/// The status line: the screen's last line with text.
fn status_line(screen: &str) -> &str {
    screen.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("")
}

#[test]
fn a_double_press_under_the_created_filter_approves_one_shipment() {
    let (_keep, dir) = tempdir();
    let older = create(&dir, "Pune, Maharashtra", "Goa, Goa");
    let newest = create(&dir, "Surat, Gujarat", "Agra, Uttar Pradesh");
    let Some(tmux) = Tmux::new("double") else {
        return;
    };
    tmux.dashboard("d", &dir, "ravi", "--role SENDER_MANAGER");
    tmux.wait_text("d", &older);
    tmux.keys("d", &["1"]);
    tmux.wait_text("d", "state CREATED");
    // Both presses in one tmux command: a millisecond or so apart.
    tmux.keys("d", &["a", "a"]);
    let screen = tmux.wait_for("d", "the approval", |s| {
        s.contains("MANAGER_APPROVED") && !s.contains("appending…")
    });
    assert_eq!(approvals(&dir, &newest), 1, "{screen}");
    assert_eq!(
        approvals(&dir, &older),
        0,
        "the next row was not approved\n{screen}"
    );
    let status = status_line(&screen);
    assert!(status.contains(&newest), "the status names it: {status}");
    assert!(!status.contains(&older), "{status}");
    // The row acted on is still there, marked, though no longer CREATED.
    assert!(screen.contains(&format!("◆   {newest}")), "{screen}");
    // Once it has landed, `a` again still means the row in view.
    tmux.keys("d", &["a"]);
    let screen = tmux.wait_for("d", "the refusal", |s| status_line(s).contains("cannot"));
    assert!(status_line(&screen).contains(&newest), "{screen}");
    assert_eq!(approvals(&dir, &older), 0, "{screen}");
    let shown = cli(&dir, &["show", &older]);
    assert!(shown.contains("CREATED"), "{shown}");
    let listed = cli(&dir, &["list"]);
    assert_eq!(listed.matches("MANAGER_APPROVED").count(), 1, "{listed}");
}

#[test]
fn a_batch_approve_reports_the_shipment_another_process_moved() {
    let (_keep, dir) = tempdir();
    let ids: Vec<String> = ["Pune, Maharashtra", "Kochi, Kerala", "Patna, Bihar"]
        .iter()
        .map(|from| create(&dir, from, "Goa, Goa"))
        .collect();
    let Some(tmux) = Tmux::new("batch") else {
        return;
    };
    tmux.dashboard("d", &dir, "ravi", "--role SENDER_MANAGER");
    tmux.wait_text("d", &ids[2]);
    tmux.keys("d", &["1"]);
    tmux.wait_text("d", "state CREATED");
    tmux.keys("d", &["V"]);
    tmux.wait_text("d", "3 marked");
    // Another process approves the middle one after it was marked.
    let moved = &ids[1];
    cli(
        &dir,
        &[
            "advance",
            moved,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ],
    );
    tmux.keys("d", &["a"]);
    tmux.wait_text("d", "approve 3 shipments as SENDER_MANAGER? y/n");
    tmux.keys("d", &["y"]);
    let screen = tmux.wait_text(
        "d",
        "approve 3 shipments: 2 landed, 1 conflicted, 0 refused",
    );
    let line = screen
        .lines()
        .find(|l| l.contains(moved.as_str()) && l.contains("conflicted"))
        .unwrap_or_else(|| panic!("{moved} listed as conflicted:\n{screen}"));
    assert!(line.contains("marked at seq 1, now seq 2"), "{line}");
    for id in &ids {
        assert_eq!(approvals(&dir, id), 1, "{id} approved once\n{screen}");
    }
    tmux.keys("d", &["Escape"]);
    let screen = tmux.wait_for("d", "the summary closed", |s| !s.contains("Batch summary"));
    assert!(!screen.contains("marked ·"), "the marks are gone\n{screen}");
}
