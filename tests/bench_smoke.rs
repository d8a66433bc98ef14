//! `bench --json` runs end to end (on a small log) and reports every figure.

use std::process::Command;

#[test]
fn bench_reports_every_figure_with_positive_values() {
    let out = Command::new(env!("CARGO_BIN_EXE_control-tower"))
        .args(["bench", "--json"])
        .env("CONTROL_TOWER_BENCH_EVENTS", "16000")
        .output()
        .expect("run bench");
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
        "audit (full load + verify), fresh process: time",
        "audit (full load + verify), fresh process: peak RSS",
        "show ID, fresh process: time",
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
    }
}
