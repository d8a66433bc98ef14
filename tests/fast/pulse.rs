//! The pulse figures, service levels and work lists (`read::pulse`) on a
//! hand-made log with known times (`support::attention_log`): lead-time
//! percentiles, dwell, events per minute, throughput, late/stuck/hold at a
//! given moment, the attention list's order and reasons, a role's queue,
//! `tower.toml` overrides and errors, and `audit --json` reporting them.

use chrono::{DateTime, Duration, DurationRound, Utc};
use control_tower::domain::{Actor, EventType, Timestamp};
use control_tower::read::index::LogIndex;
use control_tower::read::pulse::attention::{attention_list, counts, queue, with_reasons};
use control_tower::read::pulse::figures;
use control_tower::read::pulse::levels::ServiceLevels;

use crate::support::*;

const HOUR: i64 = 3_600_000;

/// Half a minute past a minute: nothing sits on a minute's edge.
fn fixed_now() -> DateTime<Utc> {
    let t: DateTime<Utc> = "2026-03-10T12:00:30Z".parse().unwrap();
    t.duration_trunc(Duration::seconds(1)).unwrap()
}

fn index_at(now: DateTime<Utc>) -> (Env, LogIndex) {
    let env = Env::new();
    attention_log(&env.dir, now);
    let index = LogIndex::load(&env.paths()).unwrap();
    (env, index)
}

#[test]
fn figures_of_a_log_with_known_times() {
    let now = fixed_now();
    let (_env, index) = index_at(now);
    let p = index.projection();
    let f = figures(
        p,
        &ServiceLevels::default(),
        Timestamp::from_instant_millis(now),
    );
    let express = &f.lead_time["EXPRESS"];
    assert_eq!(
        (express.delivered, express.p50_ms, express.max_ms),
        (1, 25 * HOUR, 25 * HOUR)
    );
    assert_eq!(express.delivered_late, 0);
    let same_day = &f.lead_time["SAME_DAY"];
    assert_eq!((same_day.p90_ms, same_day.delivered_late), (14 * HOUR, 1));
    assert!(!f.lead_time.contains_key("STANDARD"), "none delivered");
    // CREATED stays: 60, 214, 120, 60 and 150 minutes (SHP-1, 5, 6, 3, 4).
    let created = f.dwell[&EventType::Created];
    assert_eq!(created.count, 5);
    assert_eq!(created.mean_ms, (60 + 214 + 120 + 60 + 150) * 60_000 / 5);
    let p90 = created.p90_ms as i64;
    assert!(
        (214 * 60_000..=214 * 60_000 * 9 / 8).contains(&p90),
        "p90 {p90}"
    );
    // SHP-6 spent 2 h in every step.
    assert_eq!(f.dwell[&EventType::OutForDelivery].count, 2);
    // The last hour: SHP-8 (40 min ago), the hold (30), SHP-7 (10).
    assert_eq!(f.events_per_minute.len(), 60);
    assert_eq!(f.events_per_minute.iter().sum::<u64>(), 3);
    assert_eq!(f.events_per_minute[59 - 10], 1, "10 minutes ago");
    assert_eq!(f.throughput_last_hour[&Actor::Sender], 2);
    assert_eq!(f.throughput_last_hour[&Actor::SenderManager], 1);
    assert_eq!(f.throughput_total[&Actor::Sender], 8);
    assert_eq!(f.state_counts[&EventType::Delivered], 2);
    assert_eq!(
        (f.attention.late, f.attention.stuck, f.attention.on_hold),
        (2, 2, 1)
    );
}

#[test]
fn late_stuck_and_held_at_a_moment_most_overdue_first() {
    let now = fixed_now();
    let (_env, index) = index_at(now);
    let at = Timestamp::from_instant_millis(now);
    let mut list = attention_list(index.projection(), &ServiceLevels::default(), at);
    with_reasons(&mut list, 10, |id| {
        (id.number() == 4).then(|| "weight check".into())
    });
    let shown: Vec<(u64, String)> = list
        .iter()
        .map(|a| {
            (
                a.id.number(),
                a.why
                    .iter()
                    .map(|w| w.text())
                    .collect::<Vec<_>>()
                    .join(" · "),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                2,
                "LATE by 1h (SAME_DAY 12h) · STUCK 13h in CREATED".to_string()
            ),
            (
                1,
                "LATE by 2h (EXPRESS 48h) · STUCK 7h in IN_TRANSIT".to_string()
            ),
            (4, "ON HOLD: weight check".to_string()),
        ]
    );
    // Five hours earlier nothing was late yet, and SHP-1 was not stuck.
    let earlier = Timestamp::from_instant_millis(now - Duration::hours(5));
    let c = counts(index.projection(), &ServiceLevels::default(), earlier);
    assert_eq!((c.late, c.stuck), (0, 1), "only SHP-2, idle 8h then");
}

#[test]
fn a_roles_queue_is_oldest_waiting_first() {
    let now = fixed_now();
    let (_env, index) = index_at(now);
    let at = Timestamp::from_instant_millis(now);
    let ids = |role| -> Vec<u64> {
        queue(index.projection(), role, at)
            .iter()
            .map(|w| w.id.number())
            .collect()
    };
    assert_eq!(ids(Actor::SenderManager), [2, 8, 4, 7]);
    assert_eq!(ids(Actor::SenderSupervisor), [3]);
    assert!(ids(Actor::Customer).is_empty());
    let first = &queue(index.projection(), Actor::SenderManager, at)[0];
    assert_eq!(
        (first.next, first.waited_ms),
        (EventType::ManagerApproved, 13 * HOUR)
    );
}

#[test]
fn tower_toml_overrides_the_service_levels() {
    let now = fixed_now();
    let (env, index) = index_at(now);
    std::fs::write(
        env.dir.join("tower.toml"),
        "stuck_after = \"8h\"\n[delivered_within]\nEXPRESS = \"3d\"\n",
    )
    .unwrap();
    let levels = ServiceLevels::load(&env.dir).unwrap();
    assert_eq!(levels.limit_ms("EXPRESS"), Some(72 * HOUR));
    assert_eq!(
        levels.limit_ms("SAME_DAY"),
        Some(12 * HOUR),
        "defaults stay"
    );
    let c = counts(
        index.projection(),
        &levels,
        Timestamp::from_instant_millis(now),
    );
    assert_eq!(
        (c.late, c.stuck),
        (1, 1),
        "SHP-1 neither late nor stuck now"
    );
}

#[test]
fn a_malformed_tower_toml_names_the_file_and_line_and_exits_2() {
    let env = Env::new();
    env.create();
    let toml = env.dir.join("tower.toml");
    std::fs::write(
        &toml,
        "# levels\n[delivered_within]\nEXPRESS = \"two days\"\n",
    )
    .unwrap();
    let err = ServiceLevels::load(&env.dir).unwrap_err().to_string();
    assert!(
        err.contains("tower.toml:3:") && err.contains("two days"),
        "{err}"
    );
    let run = env.run(&["audit"]).usage();
    assert!(run.stderr.contains("tower.toml:3:"), "{}", run.stderr);
    std::fs::write(&toml, "stuck = \"6h\"\n").unwrap();
    let run = env.run(&["audit", "--json"]).usage();
    assert!(
        run.stderr.contains("tower.toml:1:") && run.stderr.contains("stuck"),
        "{}",
        run.stderr
    );
}

#[test]
fn audit_json_reports_the_pulse_figures() {
    let env = Env::new();
    attention_log(&env.dir, Utc::now());
    let report = env.run(&["audit", "--json"]).ok().json();
    let pulse = &report["pulse"];
    assert_eq!(pulse["late"], 2);
    assert_eq!(pulse["stuck"], 2);
    assert_eq!(pulse["on_hold"], 1);
    assert_eq!(pulse["lead_time"]["EXPRESS"]["p50_ms"], 25 * HOUR);
    assert_eq!(
        pulse["events_per_minute"].as_array().map(Vec::len),
        Some(60)
    );
    assert_eq!(pulse["dwell"]["CREATED"]["count"], 5);
    assert_eq!(report["service_levels"]["stuck_after_ms"], 6 * HOUR);
    // As of the last event (10 minutes ago): reproducible.
    assert_eq!(pulse["now"], env.events().last().unwrap()["timestamp"]);
    assert_eq!(
        env.run(&["audit", "--json"]).ok().json(),
        report,
        "two audits agree"
    );
    // Every field of the seed's report is still there.
    for key in [
        "total_events",
        "current_state_distribution",
        "log_integrity",
        "head_hash",
    ] {
        assert!(report.get(key).is_some(), "{key} missing");
    }
    let human = env.run(&["audit"]).ok().stdout;
    assert!(
        human.contains("late · stuck · on hold   2 · 2 · 1"),
        "{human}"
    );
    assert!(human.contains("Lead time CREATED"), "{human}");
}
