//! `--as-of`: the tower as the log stood at a past moment. For every N, the
//! answers as of `event:N` equal those of a log holding only its first N
//! lines (and the counter lines of their IDs); a time or a date stops at
//! the last event at or before it; the answer says where it ends.

use std::fs;

use crate::support::*;

/// A log of a few shipments in several states.
fn tower() -> Env {
    let env = Env::new();
    for i in 0..4 {
        let id = env.create();
        for (event, actor) in STANDARD_STEPS.iter().take(i + 1) {
            env.run(&["advance", &id, event, "--actor", actor]).ok();
        }
    }
    env
}

/// A copy of `env`'s first `n` event lines, with their IDs' counter lines.
fn prefix(env: &Env, n: usize) -> Env {
    let copy = Env::new();
    let lines = env.lines();
    let kept = &lines[..n];
    let text: String = kept.iter().map(|l| format!("{l}\n")).collect();
    fs::write(copy.events_path(), text).unwrap();
    let max_id = kept
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|e| e["shipment_id"].as_str()?[4..].parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    let counters: String = String::from_utf8(env.counter_bytes())
        .unwrap()
        .lines()
        .filter(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|c| c["counter"].as_u64())
                .is_some_and(|c| c <= max_id)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(copy.counter_path(), counters).unwrap();
    copy
}

#[test]
fn every_past_moment_equals_a_replay_of_that_prefix() {
    let env = tower();
    let total = env.lines().len();
    for n in 0..=total {
        let when = format!("event:{n}");
        let past = prefix(&env, n);
        for command in [
            &["audit", "--json"][..],
            &["list", "--json"][..],
            &["verify", "--json"][..],
        ] {
            let as_of = env.run(&[command, &["--as-of", &when][..]].concat()).ok();
            let replay = past.run(command).ok();
            assert_eq!(as_of.json(), replay.json(), "{command:?} as of {when}");
            assert!(
                as_of
                    .stderr
                    .contains(&format!("as of event {n} of {total}")),
                "{}",
                as_of.stderr
            );
        }
    }
    // show: the shipment as it was; not yet there is unknown.
    let r = env
        .run(&["show", "SHP-0000000004", "--as-of", "event:13"])
        .ok();
    assert!(
        r.stdout.starts_with(&format!("as of event 13 of {total}")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("CREATED"), "{}", r.stdout);
    env.run(&["show", "SHP-0000000004", "--as-of", "event:3"])
        .refused();
}

#[test]
fn a_time_or_a_date_stops_at_the_last_event_then() {
    let env = tower();
    let events = env.events();
    let total = events.len();
    let sixth = events[5]["timestamp"].as_str().unwrap().to_string();
    let r = env.run(&["audit", "--as-of", &sixth]).ok();
    // Several events may share a millisecond: all of them are in.
    let same = events
        .iter()
        .filter(|e| e["timestamp"].as_str() <= Some(sixth.as_str()))
        .count();
    assert!(
        r.stdout
            .starts_with(&format!("as of event {same} of {total}, ")),
        "{}",
        r.stdout
    );
    let r = env.run(&["audit", "--as-of", "2000-01-01"]).ok();
    assert!(r.stdout.contains("as of event 0 of"), "{}", r.stdout);
    assert!(
        r.stdout.contains("(before the first event)"),
        "{}",
        r.stdout
    );
    let r = env.run(&["audit", "--as-of", "2999-12-31"]).ok();
    assert!(
        r.stdout
            .contains(&format!("as of event {total} of {total}")),
        "{}",
        r.stdout
    );
    let r = env.run(&["audit", "--as-of", "last tuesday"]).usage();
    assert!(r.stderr.contains("event:N"), "{}", r.stderr);
}
