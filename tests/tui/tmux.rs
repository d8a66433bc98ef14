//! End to end: the real release binary in tmux (160x45), driven with
//! `send-keys` and read with `capture-pane -p`, polling with a timeout.
//! Each test has its own tmux server (`-L`), killed by a Drop guard even
//! when the test fails, so tests run in parallel with anything else.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{BIN, Panes, write_search_log};

/// The action tests: double press, batch with a conflict.
mod act;

const TIMEOUT: Duration = Duration::from_secs(15);

/// The support's tmux driver, with this module's dashboard launcher and
/// its default timeout.
struct Tmux(Panes);

impl std::ops::Deref for Tmux {
    type Target = Panes;

    fn deref(&self) -> &Panes {
        &self.0
    }
}

impl Tmux {
    /// A private server for `test`, or `None` (skipped, saying why) without
    /// tmux; under CI a missing tmux fails (`.ci/run` installs it).
    fn new(test: &str) -> Option<Tmux> {
        Panes::new(test).map(Tmux)
    }

    fn dashboard(&self, session: &str, dir: &Path, operator: &str, extra: &str) {
        let command = format!(
            "'{BIN}' --data-dir '{}' --operator {operator} {extra}",
            dir.display()
        );
        self.start(session, &command);
    }

    fn wait_for(&self, session: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.0.wait_for(session, what, TIMEOUT, pred)
    }

    fn wait_text(&self, session: &str, text: &str) -> String {
        self.0.wait_text(session, text, TIMEOUT)
    }
}

fn cli(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .arg("--operator")
        .arg("outsider")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn create(dir: &Path, from: &str, to: &str) -> String {
    cli(
        dir,
        &[
            "create",
            "--source",
            from,
            "--destination",
            to,
            "--weight-kg",
            "4",
            "--delivery-type",
            "EXPRESS",
        ],
    )
}

fn events(dir: &Path) -> Vec<serde_json::Value> {
    fs::read_to_string(dir.join("shipments.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn tempdir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs");
    // A tower made with `init`: named data directories must exist.
    fs::create_dir(&path).unwrap();
    (dir, path)
}

#[test]
fn a_row_appended_by_another_process_appears() {
    let (_keep, dir) = tempdir();
    let Some(tmux) = Tmux::new("appears") else {
        return;
    };
    tmux.dashboard("d", &dir, "alice", "");
    tmux.wait_text("d", "No shipments yet");
    let id = create(&dir, "Kochi, Kerala", "Bhopal, Madhya Pradesh");
    let screen = tmux.wait_text("d", &id);
    assert!(
        screen.contains("CREATED") && screen.contains("Kochi, Kerala"),
        "{screen}"
    );
    let id2 = create(&dir, "Patna, Bihar", "Goa, Goa");
    cli(
        &dir,
        &[
            "advance",
            &id,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ],
    );
    tmux.wait_for("d", "second row and the approval", |s| {
        s.contains(&id2) && s.contains("MANAGER_APPROVED") && s.contains("3 events · 2 shipments")
    });
}

#[test]
fn a_appends_the_roles_next_step_with_actor_operator_and_seq() {
    let (_keep, dir) = tempdir();
    let id = create(&dir, "Mumbai, Maharashtra", "Delhi, Delhi");
    let Some(tmux) = Tmux::new("append") else {
        return;
    };
    tmux.dashboard("d", &dir, "alice", "--role SENDER_MANAGER");
    tmux.wait_text("d", &id);
    tmux.keys("d", &["a"]);
    tmux.wait_text(
        "d",
        &format!("appended MANAGER_APPROVED to {id} as SENDER_MANAGER (seq 2)"),
    );
    let log = events(&dir);
    assert_eq!(log.len(), 2);
    let e = &log[1];
    assert_eq!(e["shipment_id"], id.as_str());
    assert_eq!(e["event_type"], "MANAGER_APPROVED");
    assert_eq!(e["actor"], "SENDER_MANAGER");
    assert_eq!(e["operator"], "alice");
    assert_eq!(e["event_seq"], 2);
    // The role cycles with r; SENDER_SUPERVISOR's `a` is the next step.
    tmux.keys("d", &["r"]);
    tmux.wait_text("d", "ROLE SENDER_SUPERVISOR");
    tmux.keys("d", &["a"]);
    tmux.wait_text("d", "appended SUPERVISOR_APPROVED");
    assert_eq!(events(&dir)[2]["actor"], "SENDER_SUPERVISOR");
}

#[test]
fn two_dashboards_race_and_exactly_one_event_lands() {
    let (_keep, dir) = tempdir();
    let id = create(&dir, "Pune, Maharashtra", "Jaipur, Rajasthan");
    let Some(tmux) = Tmux::new("race") else {
        return;
    };
    tmux.dashboard("one", &dir, "alice", "--role SENDER_MANAGER");
    tmux.dashboard("two", &dir, "bob", "--role SENDER_MANAGER");
    tmux.wait_text("one", &id);
    tmux.wait_text("two", &id);
    // Both keys in one tmux command: as close to simultaneous as it gets.
    tmux.run(&[
        "send-keys",
        "-t",
        "one",
        "a",
        ";",
        "send-keys",
        "-t",
        "two",
        "a",
    ]);
    let done = |s: &str| s.contains("appended MANAGER_APPROVED") || s.contains("nothing appended");
    let one = tmux.wait_for("one", "an outcome", done);
    let two = tmux.wait_for("two", "an outcome", done);
    let approvals = events(&dir)
        .iter()
        .filter(|e| e["event_type"] == "MANAGER_APPROVED")
        .count();
    assert_eq!(approvals, 1, "exactly one approval lands");
    let (winner, loser) = if one.contains("appended MANAGER_APPROVED") {
        (one, two)
    } else {
        (two, one)
    };
    assert!(winner.contains("appended MANAGER_APPROVED"), "{winner}");
    assert!(
        loser.contains(&format!("{id} moved to MANAGER_APPROVED by SENDER_MANAGER"))
            && loser.contains("nothing appended"),
        "{loser}"
    );
}

#[test]
fn slash_filters_and_esc_clears() {
    let (_keep, dir) = tempdir();
    let kochi = create(&dir, "Kochi, Kerala", "Delhi, Delhi");
    let patna = create(&dir, "Patna, Bihar", "Goa, Goa");
    let Some(tmux) = Tmux::new("filter") else {
        return;
    };
    tmux.dashboard("d", &dir, "alice", "");
    tmux.wait_for("d", "both rows", |s| {
        s.contains(&kochi) && s.contains(&patna)
    });
    tmux.keys("d", &["/"]);
    tmux.text("d", "kochi");
    tmux.wait_for("d", "only Kochi", |s| {
        s.contains("Shipments 1 of 2") && s.contains(&kochi) && !s.contains(&patna)
    });
    tmux.keys("d", &["Enter"]);
    tmux.keys("d", &["Escape"]);
    tmux.wait_for("d", "both rows again", |s| {
        s.contains("Shipments 2 of 2") && s.contains(&patna)
    });
}

/// The real binary: `/` takes the search language, a payload key included;
/// a query gone malformed says why and keeps the rows it had.
#[test]
fn slash_searches_payloads_and_says_what_is_wrong() {
    let (_keep, dir) = tempdir();
    write_search_log(&dir);
    let Some(tmux) = Tmux::new("search") else {
        return;
    };
    tmux.dashboard("d", &dir, "alice", "");
    tmux.wait_text("d", "SHP-0000000005");
    tmux.keys("d", &["/"]);
    tmux.text("d", "vehicle:TRK-59");
    tmux.wait_for("d", "the two vehicles TRK-59…", |s| {
        s.contains("Shipments 2 of 5")
            && s.contains("SHP-0000000001")
            && s.contains("SHP-0000000005")
            && !s.contains("SHP-0000000003")
    });
    tmux.text("d", " weight>x");
    let screen = tmux.wait_text("d", "\"x\" is not a number");
    assert!(screen.contains("Shipments 2 of 5"), "{screen}");
    tmux.keys("d", &["Escape"]);
    tmux.wait_for("d", "every row again", |s| s.contains("Shipments 5 of 5"));
}

#[test]
fn question_mark_shows_help() {
    let (_keep, dir) = tempdir();
    create(&dir, "Kochi, Kerala", "Delhi, Delhi");
    let Some(tmux) = Tmux::new("help") else {
        return;
    };
    tmux.dashboard("d", &dir, "alice", "");
    tmux.wait_text("d", "SHP-0000000001");
    tmux.keys("d", &["?"]);
    let screen = tmux.wait_text("d", "Help: every key");
    for text in [
        "freeze / resume live updates",
        "jump to a shipment ID",
        "next role",
        "audit view",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    tmux.keys("d", &["Escape"]);
    tmux.wait_for("d", "the table again", |s| {
        !s.contains("Help: every key") && s.contains("SHP-0000000001")
    });
}

#[test]
fn q_quits_and_restores_the_terminal() {
    let (_keep, dir) = tempdir();
    let Some(tmux) = Tmux::new("quit") else {
        return;
    };
    tmux.start("d", "bash --norc --noprofile");
    tmux.text("d", "PS1='prompt$ '; clear");
    tmux.keys("d", &["Enter"]);
    tmux.wait_text("d", "prompt$");
    tmux.text(
        "d",
        &format!(
            "'{BIN}' --data-dir '{}' --operator alice; echo exit=$?",
            dir.display()
        ),
    );
    tmux.keys("d", &["Enter"]);
    tmux.wait_text("d", "CONTROL TOWER");
    tmux.keys("d", &["q"]);
    let screen = tmux.wait_text("d", "exit=0");
    assert!(
        !screen.contains("CONTROL TOWER"),
        "alternate screen left: {screen}"
    );
    assert!(
        screen.contains("--operator alice"),
        "the shell's screen is back: {screen}"
    );
    // Cooked mode again: the shell echoes and runs what we type.
    tmux.text("d", "echo back-$((40+2))");
    tmux.keys("d", &["Enter"]);
    tmux.wait_text("d", "back-42");
    let current = tmux.run(&[
        "display-message",
        "-p",
        "-t",
        "d",
        "#{pane_current_command}",
    ]);
    assert_eq!(current.trim(), "bash", "the dashboard process is gone");
    // Ctrl-C quits too.
    tmux.text(
        "d",
        &format!(
            "clear; '{BIN}' --data-dir '{}' --operator alice; echo code=$?",
            dir.display()
        ),
    );
    tmux.keys("d", &["Enter"]);
    tmux.wait_text("d", "CONTROL TOWER");
    tmux.keys("d", &["C-c"]);
    tmux.wait_text("d", "code=0");
}

/// The screen minus the header's first line (the badge), with ages masked.
fn body_of(screen: &str) -> String {
    screen
        .lines()
        .skip(1)
        .map(|l| {
            l.split_whitespace()
                .map(|w| {
                    if w.trim_end_matches(['s', 'm', 'h', 'd'])
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '+')
                    {
                        "#"
                    } else {
                        w
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|l| !l.starts_with("appended") && !l.contains("Ready."))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn garbage_line_and_escape_payload_change_only_the_badge() {
    let (_keep, dir) = tempdir();
    let id = create(&dir, "Kochi, Kerala", "Delhi, Delhi");
    let Some(tmux) = Tmux::new("hostile") else {
        return;
    };
    tmux.dashboard("d", &dir, "alice", "");
    tmux.wait_text("d", &id);
    // A valid event whose payload tries to clear the screen, retitle the
    // pane and reverse the text.
    let hostile = "\u{1b}[2J\u{1b}]2;pwned\u{7}\u{202e}evil";
    cli(
        &dir,
        &[
            "advance",
            &id,
            "CANCELLED",
            "--actor",
            "SENDER",
            "--set",
            &format!("reason={hostile}"),
        ],
    );
    let before = tmux.wait_text("d", "\\x1b[2J\\x1b]2;pwned\\x07\\u{202e}evil");
    assert!(
        before.contains("CONTROL TOWER") && before.contains(" VALID "),
        "{before}"
    );
    let title = tmux.run(&["display-message", "-p", "-t", "d", "#{pane_title}"]);
    assert!(
        !title.contains("pwned"),
        "the payload retitled the pane: {title}"
    );

    let mut log = OpenOptions::new()
        .append(true)
        .open(dir.join("shipments.jsonl"))
        .unwrap();
    log.write_all(b"garbage {{{ not an event\n").unwrap();
    drop(log);
    let after = tmux.wait_text("d", "CORRUPTED");
    assert_eq!(
        body_of(&before),
        body_of(&after),
        "only the badge may change"
    );
}

#[test]
fn frozen_dashboards_race_and_the_loser_sees_the_conflict() {
    // Frozen, each operator keeps seeing seq 1 however long they wait:
    // the second `a` must be refused as a conflict, never applied.
    let (_keep, dir) = tempdir();
    let id = create(&dir, "Pune, Maharashtra", "Jaipur, Rajasthan");
    let Some(tmux) = Tmux::new("frozen") else {
        return;
    };
    tmux.dashboard("one", &dir, "alice", "--role SENDER_MANAGER");
    tmux.dashboard("two", &dir, "bob", "--role SENDER_MANAGER");
    tmux.wait_text("one", &id);
    tmux.wait_text("two", &id);
    tmux.keys("one", &["f"]);
    tmux.keys("two", &["f"]);
    tmux.wait_text("one", "PAUSED");
    tmux.wait_text("two", "PAUSED");
    tmux.keys("one", &["a"]);
    tmux.wait_text("one", "appended MANAGER_APPROVED");
    tmux.wait_text("two", "PAUSED +1");
    tmux.keys("two", &["a"]);
    let loser = tmux.wait_text("two", "nothing appended");
    assert!(
        loser.contains(&format!(
            "{id} moved to MANAGER_APPROVED by SENDER_MANAGER (alice)"
        )),
        "{loser}"
    );
    assert_eq!(events(&dir).len(), 2);
}

#[test]
fn a_log_it_may_not_write_makes_the_dashboard_read_only() {
    let (keep, dir) = tempdir();
    let id = create(&dir, "Kochi, Kerala", "Delhi, Delhi");
    let root = is_root();
    let command = if root {
        // Root ignores permissions: run the dashboard as `nobody`, from a
        // copy of the binary it can reach.
        use std::os::unix::fs::PermissionsExt;
        for p in [keep.path(), dir.as_path()] {
            fs::set_permissions(p, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let bin = keep.path().join("control-tower");
        fs::copy(BIN, &bin).unwrap();
        format!(
            "runuser -u nobody -- '{}' --data-dir '{}' --operator nob",
            bin.display(),
            dir.display()
        )
    } else {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(
            dir.join("shipments.jsonl"),
            fs::Permissions::from_mode(0o444),
        )
        .unwrap();
        format!("'{BIN}' --data-dir '{}' --operator nob", dir.display())
    };
    let Some(tmux) = Tmux::new("readonly") else {
        return;
    };
    tmux.start("d", &command);
    let screen = tmux.wait_text("d", &id);
    assert!(
        screen.contains("read-only: cannot open for appending")
            && screen.contains("Permission denied"),
        "{screen}"
    );
    tmux.keys("d", &["a"]);
    tmux.wait_text("d", "✗ read-only");
    // Still live: what others append shows up.
    let other = create(&dir, "Patna, Bihar", "Goa, Goa");
    tmux.wait_text("d", &other);
    assert_eq!(events(&dir).len(), 2);
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

fn verify_exit(dir: &Path) -> Option<i32> {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .arg("verify")
        .output()
        .unwrap()
        .status
        .code()
}

/// Rewrites bytes of the log in place (same inode), from this process:
/// another process than the dashboard.
fn edit_log_in_place(dir: &Path, from: &str, to: &str) {
    let path = dir.join("shipments.jsonl");
    let log = fs::read_to_string(&path).unwrap();
    let at = log.find(from).unwrap() as u64;
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&file, to.as_bytes(), at).unwrap();
}

#[test]
fn an_in_place_edit_under_an_open_dashboard_is_caught_and_verified_again() {
    let (_keep, dir) = tempdir();
    let kochi = create(&dir, "Kochi, Kerala", "Delhi, Delhi");
    create(&dir, "Patna, Bihar", "Goa, Goa");
    let Some(tmux) = Tmux::new("inplace") else {
        return;
    };
    tmux.dashboard("d", &dir, "alice", "");
    tmux.wait_for("d", "the table, VALID", |s| {
        s.contains(&kochi) && s.contains(" VALID ")
    });
    edit_log_in_place(&dir, "Kochi, Kerala", "Kochu, Kerala");
    assert_eq!(verify_exit(&dir), Some(1), "verify says CORRUPTED");
    let screen = tmux.wait_for("d", "the new verdict", |s| {
        s.contains("CORRUPTED: 1 error") && s.contains("verified again")
    });
    assert!(screen.contains("LOG RELOADED FROM THE START"), "{screen}");
    assert!(screen.contains("rewritten in place"), "{screen}");
    // The route column may shorten the name (with …), never hide the edit.
    assert!(
        screen.contains("Kochu"),
        "the table tells the truth: {screen}"
    );
    tmux.keys("d", &["A"]);
    tmux.wait_for("d", "the audit names the broken chain", |s| {
        s.contains("line 2") && s.contains("chain")
    });
}

#[test]
fn an_edit_far_back_in_a_bigger_log_is_caught_and_v_verifies_on_demand() {
    let (_keep, dir) = tempdir();
    cli(&dir, &["simulate", "--shipments", "40", "--seed", "7"]);
    let Some(tmux) = Tmux::new("farback") else {
        return;
    };
    tmux.dashboard("d", &dir, "alice", "");
    tmux.wait_for("d", "the table, VALID", |s| {
        s.contains("SHP-0000000040") && s.contains(" VALID ")
    });
    // Line 1 is far outside the last 4 KiB: only the mtime shows it, and
    // the dashboard verifies the whole log again (nothing is void).
    edit_log_in_place(&dir, "\"event_seq\":1", "\"event_seq\":7");
    assert_eq!(verify_exit(&dir), Some(1));
    let screen = tmux.wait_for("d", "the new verdict", |s| {
        s.contains("CORRUPTED") && s.contains("verified the whole log again: CORRUPTED")
    });
    assert!(!screen.contains("LOG RELOADED"), "{screen}");
    // An edit that also puts the mtime back shows nowhere: V finds it.
    let path = dir.join("shipments.jsonl");
    let stamp = fs::metadata(&path).unwrap().modified().unwrap();
    edit_log_in_place(&dir, "\"event_seq\":7", "\"event_seq\":1");
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    file.set_modified(stamp).unwrap();
    assert_eq!(verify_exit(&dir), Some(0));
    tmux.keys("d", &["C-v"]);
    tmux.wait_for("d", "verified on demand", |s| {
        s.contains(" VALID ") && s.contains("verified the whole log again: VALID")
    });
}

/// Another process holding the writers' lock (`flock -x DIR/.lock`),
/// killed (by its own PID) when dropped. `-o`: the lock is held by flock
/// itself, not by the `sleep` it runs, so killing flock frees it.
struct LockHolder(std::process::Child);

impl LockHolder {
    fn hold(dir: &Path) -> LockHolder {
        let lock = dir.join(".lock");
        let child = Command::new("flock")
            .arg("-x")
            .arg("-o")
            .arg(&lock)
            .args(["sleep", "30"])
            .spawn()
            .expect("flock (util-linux) must be installed");
        // Held once a non-blocking attempt from here fails.
        let start = Instant::now();
        while Command::new("flock")
            .args(["-n", "-x"])
            .arg(&lock)
            .arg("true")
            .status()
            .is_ok_and(|s| s.success())
        {
            assert!(start.elapsed() < TIMEOUT, "flock never took {lock:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
        LockHolder(child)
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_held_lock_never_freezes_the_dashboard_esc_cancels_and_q_quits() {
    let (_keep, dir) = tempdir();
    let id = create(&dir, "Mumbai, Maharashtra", "Delhi, Delhi");
    let Some(tmux) = Tmux::new("lockwait") else {
        return;
    };
    tmux.dashboard("d", &dir, "alice", "--role SENDER_MANAGER");
    tmux.wait_for("d", "the table", |s| s.contains(&id));
    let holder = LockHolder::hold(&dir);
    tmux.keys("d", &["a"]);
    tmux.wait_for("d", "the wait", |s| {
        s.contains("waiting for the log lock (") && s.contains("Esc cancels")
    });
    // Still responsive: the role changes, a second action is refused.
    tmux.keys("d", &["r"]);
    tmux.wait_for("d", "the next role", |s| {
        s.contains("ROLE SENDER_SUPERVISOR")
    });
    tmux.keys("d", &["a"]);
    tmux.wait_for("d", "the refusal", |s| {
        s.contains("an append is already in progress")
    });
    tmux.keys("d", &["Escape"]);
    tmux.wait_for("d", "the cancellation", |s| {
        s.contains("cancelled while waiting for the log lock; nothing appended")
    });
    assert_eq!(events(&dir).len(), 1, "nothing appended");

    // q while waiting quits at once.
    tmux.keys("d", &["R", "a"]);
    tmux.wait_for("d", "the wait again", |s| {
        s.contains("waiting for the log lock (")
    });
    tmux.keys("d", &["q"]);
    let start = Instant::now();
    while tmux
        .run(&["display-message", "-p", "-t", "d", "#{pane_dead}"])
        .trim()
        != "1"
    {
        assert!(
            start.elapsed() < TIMEOUT,
            "q did not quit: {}",
            tmux.screen("d")
        );
        std::thread::sleep(Duration::from_millis(40));
    }
    drop(holder);
    assert_eq!(events(&dir).len(), 1, "nothing appended");
    assert_eq!(verify_exit(&dir), Some(0));
}

#[test]
fn another_tower_copied_over_the_open_log_is_read_from_scratch() {
    // `cp other/*.jsonl W/`: same inodes, the files grew.
    let (_keep, dir) = tempdir();
    let (_keep_other, other) = tempdir();
    let mumbai = create(&dir, "Mumbai, Maharashtra", "Delhi, Delhi");
    for _ in 0..3 {
        create(&other, "Kochi, Kerala", "Goa, Goa");
    }
    cli(
        &other,
        &[
            "advance",
            &mumbai,
            "CANCELLED",
            "--actor",
            "SENDER",
            "--set",
            "reason=other tower",
        ],
    );
    let Some(tmux) = Tmux::new("cpover") else {
        return;
    };
    tmux.dashboard("d", &dir, "alice", "");
    tmux.wait_for("d", "the table", |s| s.contains("Mumbai, Maharashtra"));
    let inode = |p: &Path| std::os::unix::fs::MetadataExt::ino(&fs::metadata(p).unwrap());
    let before = inode(&dir.join("shipments.jsonl"));
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cp '{}'/shipments.jsonl '{}'/shipment_counter.jsonl '{}'/",
            other.display(),
            other.display(),
            dir.display()
        ))
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(inode(&dir.join("shipments.jsonl")), before, "same inode");
    let screen = tmux.wait_for("d", "the other tower only", |s| {
        s.contains("LOG RELOADED FROM THE START") && s.contains("verified again: VALID")
    });
    assert!(!screen.contains("Mumbai, Maharashtra"), "mixed: {screen}");
    assert!(screen.contains("4 events · 3 shipments"), "{screen}");
    assert!(screen.contains("CANCELLED"), "{screen}");
}

#[test]
fn time_travel_shows_the_past_and_esc_returns_to_live_with_what_arrived() {
    let (_keep, dir) = tempdir();
    let id = create(&dir, "Mumbai, Maharashtra", "Delhi, Delhi");
    for (event, actor) in [
        ("MANAGER_APPROVED", "SENDER_MANAGER"),
        ("SUPERVISOR_APPROVED", "SENDER_SUPERVISOR"),
        ("IN_TRANSIT", "CARRIER"),
        ("RECEIVER_ACKNOWLEDGED", "RECEIVER"),
    ] {
        cli(&dir, &["advance", &id, event, "--actor", actor]);
    }
    let Some(tmux) = Tmux::new("travel") else {
        return;
    };
    tmux.dashboard("d", &dir, "alice", "");
    tmux.wait_text("d", "RECEIVER_ACKNOWLEDGE");
    tmux.keys("d", &["t"]);
    tmux.wait_text("d", "event 5 of 5");
    tmux.keys("d", &["Left", "Left", "Left"]);
    let past = tmux.wait_for("d", "the state 3 events back", |s| {
        s.contains("AS OF") && s.contains("event 2 of 5") && s.contains("MANAGER_APPROVED")
    });
    assert!(!past.contains("RECEIVER_ACKNOWLEDGE"), "{past}");
    assert!(past.contains("2 events · 1 shipments"), "header: {past}");
    // Nothing can be appended in the past.
    tmux.keys("d", &["a"]);
    tmux.wait_text("d", "nothing can be appended in the past");
    // Meanwhile another process appends a new shipment.
    let new = create(&dir, "Patna, Bihar", "Goa, Goa");
    tmux.wait_text("d", "event 2 of 6");
    assert!(!tmux.screen("d").contains(&new), "the past has no new row");
    tmux.keys("d", &["Escape"]);
    let live = tmux.wait_for("d", "live with the new row", |s| {
        !s.contains("AS OF") && s.contains(&new) && s.contains("6 events · 2 shipments")
    });
    assert!(live.contains("RECEIVER_ACKNOWLEDGE"), "{live}");
    assert_eq!(events(&dir).len(), 6, "nothing appended by the dashboard");
}
