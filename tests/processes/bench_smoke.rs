//! `bench` runs end to end (on a small log) and reports every figure beside
//! its target with `ok` or `MISS`, in the scratch space it names.

use std::process::Command;

fn bench(args: &[&str]) -> std::process::Output {
    Command::new(crate::support::BIN)
        .arg("bench")
        .args(["--events", "16000"])
        .args(args)
        .env_remove("CONTROL_TOWER_DATA_DIR")
        .output()
        .expect("run bench")
}

#[test]
fn bench_reports_every_figure_with_positive_values() {
    let out = bench(&["--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let figures: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    let names: Vec<&str> = figures.iter().filter_map(|f| f["name"].as_str()).collect();
    for wanted in [
        "raw floor",
        "store append, empty log, p50",
        "batched appends",
        "generated log: 16000 events",
        "syncing it to disk",
        "audit, fresh process (best of 3): time",
        "audit, fresh process (best of 3): peak RSS",
        "list --state HOLD_FOR_REVIEW, no snapshot (writes one): peak RSS",
        "list --state HOLD_FOR_REVIEW, from the snapshot (best of 3): time",
        "dashboard to its first full 160x45 frame, from the snapshot (best of 3): time",
        "dashboard to its first full 160x45 frame, no snapshot: peak RSS",
        "show ID, fresh process: time",
        "export (a CSV row per event, to a file), fresh process: peak RSS",
        "advance ID",
        "store append, after the big log, p99",
    ] {
        assert!(
            names.iter().any(|n| n.contains(wanted)),
            "missing {wanted:?} in {names:?}"
        );
    }
    for f in &figures {
        let value = f["value"].as_f64().unwrap_or(-1.0);
        assert!(value > 0.0 && value.is_finite(), "{f}");
        // Issue 7 item 20: a verdict beside every target.
        let (target, verdict) = (
            f["target"].as_str().unwrap(),
            f["verdict"].as_str().unwrap(),
        );
        if target == "-" {
            assert_eq!(verdict, "-", "{f}");
        } else {
            assert!(verdict == "ok" || verdict == "MISS", "{f}");
        }
    }
    let checked = figures.iter().filter(|f| f["verdict"] != "-").count();
    assert!(checked >= 8, "{checked} figures have a target");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("scratch space:"), "{stderr}");
}

/// Issue 7 item 20: `bench --data-dir DIR` works in a scratch directory
/// inside DIR, says so, leaves nothing behind, and prints each figure
/// beside its target with `ok` or `MISS`.
#[test]
fn bench_uses_the_data_dir_for_scratch_and_marks_each_target() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("shipments.jsonl"), "").unwrap();
    let out = bench(&["--data-dir", dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = stdout.lines().next().unwrap_or("");
    assert!(
        first.starts_with(&format!("scratch space: {}/bench-scratch-", dir.display())),
        "{stdout}"
    );
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(" us ") || l.contains(" s "))
        .collect();
    assert!(rows.len() >= 10, "{stdout}");
    for row in &rows {
        let verdict = row.split_whitespace().last().unwrap();
        assert!(["ok", "MISS", "-"].contains(&verdict), "{row}");
    }
    assert!(stdout.contains("targets met"), "{stdout}");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1, "only the log is left: {left:?}");
    assert_eq!(std::fs::read(dir.join("shipments.jsonl")).unwrap(), b"");
}
