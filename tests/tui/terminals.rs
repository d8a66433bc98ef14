//! The real binary in tmux, for what only a terminal shows: times in
//! `TZ=Asia/Kolkata` named IST, `NO_COLOR=1` with the selected row in
//! reverse video and no colour codes at all (read with `capture-pane -e`),
//! and Indian place names that leave no debris after twenty moves (the
//! screen equals a fresh repaint, Ctrl-L).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::{BIN, Panes};

const TIMEOUT: Duration = Duration::from_secs(15);

fn create(dir: &Path, from: &str, to: &str) {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(["--operator", "asha", "create", "--source", from])
        .args(["--destination", to, "--weight-kg", "4.5"])
        .args(["--delivery-type", "EXPRESS"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A tower with place names in five scripts, and its directory.
fn tower() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let places = [
        ("मुंबई, महाराष्ट्र", "दिल्ली"),
        ("ಬೆಂಗಳೂರು, ಕರ್ನಾಟಕ", "ಮೈಸೂರು"),
        ("சென்னை, தமிழ்நாடு", "மதுரை"),
        ("কলকাতা, পশ্চিমবঙ্গ", "শিলিগুড়ি"),
        ("لاہور، پنجاب", "حیدرآباد، سندھ"),
        ("क्\u{200d}ष नगर", "र\u{200c}्या"),
        ("Pune, Maharashtra", "Kochi, Kerala"),
    ];
    for (from, to) in places.iter().cycle().take(14) {
        create(dir.path(), from, to);
    }
    dir
}

fn start(panes: &Panes, session: &str, dir: &Path, env: &str) {
    let command = format!(
        "env {env} '{BIN}' --data-dir '{}' --operator asha",
        dir.display()
    );
    panes.start(session, &command);
    panes.wait_text(session, "Shipments 14 of 14", TIMEOUT);
}

#[test]
fn tz_asia_kolkata_shows_times_named_ist() {
    let Some(panes) = Panes::new("tz_kolkata") else {
        return;
    };
    let dir = tower();
    start(&panes, "tz", dir.path(), "TZ=Asia/Kolkata");
    let screen = panes.wait_text("tz", " IST ", TIMEOUT);
    assert!(!screen.contains(" UTC "), "{screen}");
    panes.keys("tz", &["z"]);
    let screen = panes.wait_text("tz", " UTC)", TIMEOUT);
    assert!(screen.contains(" IST ("), "{screen}");
    panes.keys("tz", &["q"]);
}

/// The SGR parameter lists in a `capture-pane -e` screen.
fn sgr_codes(screen: &str) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    let mut rest = screen;
    while let Some(at) = rest.find("\u{1b}[") {
        let tail = &rest[at + 2..];
        let end = tail
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(tail.len());
        if tail[end..].starts_with('m') {
            out.push(
                tail[..end]
                    .split(';')
                    .map(|p| p.parse().unwrap_or(0))
                    .collect(),
            );
        }
        rest = &tail[end..];
    }
    out
}

#[test]
fn no_color_reverses_the_selected_row_and_uses_no_colour() {
    let Some(panes) = Panes::new("no_color") else {
        return;
    };
    let dir = tower();
    start(&panes, "nc", dir.path(), "NO_COLOR=1");
    panes.keys("nc", &["j"]);
    std::thread::sleep(Duration::from_millis(300));
    let screen = panes.run(&["capture-pane", "-p", "-e", "-t", "nc"]);
    let selected = screen
        .lines()
        .find(|l| l.contains(">   SHP-"))
        .unwrap_or_else(|| panic!("no selected row:\n{screen}"));
    assert!(
        sgr_codes(selected).iter().any(|p| p.contains(&7)),
        "the selected row carries no reverse attribute (SGR 7): {selected:?}"
    );
    for params in sgr_codes(&screen) {
        for p in &params {
            assert!(
                !matches!(p, 30..=38 | 40..=48 | 90..=97 | 100..=107),
                "colour SGR {params:?} under NO_COLOR"
            );
        }
    }
    panes.keys("nc", &["q"]);
}

/// The screen with the table's ages (`2s`, `5m`), which tick, masked.
fn ages_masked(screen: &str) -> String {
    let age = |w: &str| {
        w.len() > 1
            && w.is_ascii()
            && w[..w.len() - 1].bytes().all(|b| b.is_ascii_digit())
            && w.ends_with(['s', 'm', 'h', 'd'])
    };
    screen
        .lines()
        .map(|line| {
            line.split(' ')
                .map(|w| if age(w) { "AGE" } else { w })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn indian_scripts_leave_no_debris_after_twenty_moves() {
    let Some(panes) = Panes::new("scripts_repaint") else {
        return;
    };
    let dir = tower();
    start(&panes, "ind", dir.path(), "TZ=UTC");
    // Freeze, so nothing but the moves changes the screen.
    panes.keys("ind", &["f"]);
    for i in 0..20 {
        let key = if i % 3 == 2 { "k" } else { "j" };
        panes.keys("ind", &[key]);
        std::thread::sleep(Duration::from_millis(30));
    }
    let settled = |what: &str| {
        std::thread::sleep(Duration::from_millis(400));
        ages_masked(&panes.wait_for("ind", what, TIMEOUT, |_| true))
    };
    let moved = settled("after the moves");
    panes.keys("ind", &["C-l"]);
    let fresh = settled("after Ctrl-L");
    // Spacing vowel signs (Bengali and Tamil AA, Kannada UU) keep a column
    // of their own: drawn, not overwritten by the next letter.
    for sign in ['\u{9be}', '\u{bbe}', '\u{cc2}'] {
        assert!(fresh.contains(sign), "{sign:?} lost:\n{fresh}");
    }
    assert_eq!(
        moved, fresh,
        "the screen after 20 moves differs from a fresh repaint"
    );
    // Into help and back: nothing carries over either.
    panes.keys("ind", &["?"]);
    let help = panes.wait_text("ind", "Help: every key", TIMEOUT);
    // No glyph of the place names is left on the help screen.
    assert!(
        !help.chars().any(|c| ('\u{600}'..='\u{dff}').contains(&c)),
        "debris in help:\n{help}"
    );
    panes.keys("ind", &["Escape"]);
    let back = settled("back from help");
    assert_eq!(back, fresh, "help left debris behind");
    panes.keys("ind", &["q"]);
}
