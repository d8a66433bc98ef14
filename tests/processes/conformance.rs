//! The store conformance suite: the core's store behaviour, through the
//! real binary, on every store (`towers`: the file store, and PostgreSQL
//! when a server is there). One body per behaviour, parameterised by the
//! store, never copied: appends and IDs, conflicts, the rules, the role
//! policy, the chain and `verify`, `events --follow`, racing writers.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use crate::support::*;

const CREATE: [&str; 9] = [
    "create",
    "--source",
    "Pune",
    "--destination",
    "Goa",
    "--weight-kg",
    "2",
    "--delivery-type",
    "STANDARD",
];

/// A tower where `asha` may act in every role.
fn with_asha(tower: &mut Tower) -> String {
    tower.grant(&[("asha", &ACTORS)]).remove(0)
}

#[test]
fn the_whole_flow_ids_reports_and_the_chain() {
    for mut tower in towers("the_whole_flow") {
        let store = tower.name();
        let asha = with_asha(&mut tower);
        let ids: Vec<String> = (0..3)
            .map(|_| tower.run(&asha, &CREATE).ok().stdout.trim().to_string())
            .collect();
        assert_eq!(
            ids,
            ["SHP-0000000001", "SHP-0000000002", "SHP-0000000003"],
            "{store}"
        );
        for (event, actor) in STANDARD_STEPS {
            tower
                .run(&asha, &["advance", &ids[0], event, "--actor", actor])
                .ok();
        }
        let state = tower.run(&asha, &["show", &ids[0], "--json"]).ok().json();
        assert_eq!(state["current_state"], "DELIVERED", "{store}");
        assert_eq!(state["event_count"], 8, "{store}");
        assert_eq!(
            state["full_history"][3]["operator"],
            asha.as_str(),
            "{store}"
        );
        let listed = tower
            .run(&asha, &["list", "--state", "CREATED", "--json"])
            .ok()
            .json();
        assert_eq!(listed.as_array().unwrap().len(), 2, "{store}");
        let audit = tower.run(&asha, &["audit", "--json"]).ok().json();
        assert_eq!(
            (
                audit["total_events"].as_u64(),
                audit["total_shipments"].as_u64()
            ),
            (Some(10), Some(3)),
            "{store}"
        );
        assert_eq!(audit["log_integrity"], "VALID", "{store}: {audit}");
        let verify = tower.run(&asha, &["verify", "--json"]).ok().json();
        assert_eq!(verify["head_hash"], audit["head_hash"], "{store}");
        // The head `audit` prints is proved by `verify --expect-head`.
        let printed = tower.run(&asha, &["audit"]).ok().stdout;
        let head = printed
            .lines()
            .find_map(|l| l.strip_prefix("head: "))
            .unwrap();
        assert_eq!(
            head,
            format!("10:{}", audit["head_hash"].as_str().unwrap()),
            "{store}"
        );
        tower.run(&asha, &["verify", "--expect-head", head]).ok();
        let events = tower.run(&asha, &["events"]).ok();
        let lines: Vec<&str> = events.stdout.lines().collect();
        assert_eq!(lines.len(), 10, "{store}");
        // The chain: each event's prev_hash is the hash of the line before.
        for pair in lines.windows(2) {
            let next: serde_json::Value = serde_json::from_str(pair[1]).unwrap();
            assert_eq!(
                next["prev_hash"],
                sha256_hex(pair[0].as_bytes()).as_str(),
                "{store}"
            );
        }
    }
}

/// The auditor's tools read through the store interface, so they answer
/// the same on every store: `--as-of`, `list --where`, `export`.
#[test]
fn auditor_tools_answer_the_same_on_every_store() {
    for mut tower in towers("auditor_tools") {
        let store = tower.name();
        let asha = with_asha(&mut tower);
        let ids: Vec<String> = (0..2)
            .map(|_| tower.run(&asha, &CREATE).ok().stdout.trim().to_string())
            .collect();
        let (event, actor) = STANDARD_STEPS[0];
        tower
            .run(&asha, &["advance", &ids[1], event, "--actor", actor])
            .ok();
        let listed = tower
            .run(&asha, &["list", "--where", "state:approved", "--json"])
            .ok()
            .json();
        assert_eq!(listed.as_array().unwrap().len(), 1, "{store}");
        assert_eq!(listed[0]["shipment_id"], ids[1].as_str(), "{store}");
        let past = tower
            .run(&asha, &["list", "--as-of", "event:2", "--json"])
            .ok();
        assert!(
            past.stderr.contains("as of event 2 of 3"),
            "{store}: {}",
            past.stderr
        );
        assert_eq!(past.json().as_array().unwrap().len(), 2, "{store}");
        let csv = tower.run(&asha, &["export"]).ok().stdout;
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows.len(), 4, "{store}: header and 3 events\n{csv}");
        assert!(rows[0].starts_with("shipment,seq,time,event"), "{store}");
        assert!(
            rows[3].starts_with(&format!("{},2,", ids[1])),
            "{store}: {csv}"
        );
        let only = tower
            .run(&asha, &["export", "--where", &ids[0], "--format", "jsonl"])
            .ok()
            .stdout;
        assert_eq!(only.lines().count(), 1, "{store}: {only}");
    }
}

#[test]
fn conflicts_and_the_rules_refuse_and_change_nothing() {
    for mut tower in towers("conflicts_and_rules") {
        let store = tower.name();
        let asha = with_asha(&mut tower);
        let id = tower.run(&asha, &CREATE).ok().stdout.trim().to_string();
        tower
            .run(
                &asha,
                &[
                    "advance",
                    &id,
                    "MANAGER_APPROVED",
                    "--actor",
                    "SENDER_MANAGER",
                    "--expect-seq",
                    "1",
                ],
            )
            .ok();
        let before = tower.run(&asha, &["events"]).ok().stdout;
        let stale = tower
            .run(
                &asha,
                &[
                    "advance",
                    &id,
                    "MANAGER_APPROVED",
                    "--actor",
                    "SENDER_MANAGER",
                    "--expect-seq",
                    "1",
                ],
            )
            .refused();
        assert!(
            stale.stderr.contains("moved to MANAGER_APPROVED")
                && stale.stderr.contains("you saw seq 1"),
            "{store}: {}",
            stale.stderr
        );
        let role = tower
            .run(
                &asha,
                &[
                    "advance",
                    &id,
                    "SUPERVISOR_APPROVED",
                    "--actor",
                    "WAREHOUSE",
                ],
            )
            .refused();
        assert!(
            role.stderr.contains("WAREHOUSE"),
            "{store}: {}",
            role.stderr
        );
        let transition = tower
            .run(&asha, &["advance", &id, "DELIVERED", "--actor", "CUSTOMER"])
            .refused();
        assert!(
            transition.stderr.contains("MANAGER_APPROVED"),
            "{store}: {}",
            transition.stderr
        );
        let no_reason = tower
            .run(&asha, &["advance", &id, "CANCELLED", "--actor", "SENDER"])
            .refused();
        assert!(
            no_reason.stderr.contains("reason"),
            "{store}: {}",
            no_reason.stderr
        );
        tower.run(&asha, &["show", "SHP-0000000099"]).refused();
        assert_eq!(
            tower.run(&asha, &["events"]).ok().stdout,
            before,
            "{store}: nothing appended"
        );
    }
}

#[test]
fn the_role_policy_decides_who_acts_as_what() {
    for mut tower in towers("role_policy") {
        let store = tower.name();
        let names = tower.grant(&[
            ("meera", &["SENDER"]),
            ("ravi", &["SENDER_MANAGER"]),
            ("ana", &[]),
        ]);
        let (meera, ravi, ana) = (&names[0], &names[1], &names[2]);
        let id = tower.run(meera, &CREATE).ok().stdout.trim().to_string();
        let r = tower
            .run(
                meera,
                &[
                    "advance",
                    &id,
                    "MANAGER_APPROVED",
                    "--actor",
                    "SENDER_MANAGER",
                ],
            )
            .refused();
        assert!(r.stderr.contains("SENDER_MANAGER"), "{store}: {}", r.stderr);
        tower
            .run(
                ravi,
                &[
                    "advance",
                    &id,
                    "MANAGER_APPROVED",
                    "--actor",
                    "SENDER_MANAGER",
                ],
            )
            .ok();
        tower.run(ana, &CREATE).refused();
        // Everyone may read.
        let state = tower.run(ana, &["show", &id, "--json"]).ok().json();
        assert_eq!(state["event_count"], 2, "{store}");
    }
}

#[test]
fn events_follow_streams_what_another_process_appends() {
    for mut tower in towers("events_follow") {
        let store = tower.name();
        let asha = with_asha(&mut tower);
        tower.run(&asha, &CREATE).ok();
        let mut follow = tower
            .command(&asha)
            .args(["events", "--follow"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(follow.stdout.take().unwrap()).lines();
        assert!(
            lines.next().unwrap().unwrap().contains("SHP-0000000001"),
            "{store}"
        );
        let started = Instant::now();
        let id = tower.run(&asha, &CREATE).ok().stdout.trim().to_string();
        let seen = lines.next().unwrap().unwrap();
        let waited = started.elapsed();
        let _ = follow.kill();
        let _ = follow.wait();
        assert!(seen.contains(&id), "{store}: {seen}");
        assert!(waited < Duration::from_secs(5), "{store}: {waited:?}");
    }
}

#[test]
fn racing_approvals_at_one_seq_exactly_one_lands() {
    for mut tower in towers("racing_approvals") {
        let store = tower.name();
        let asha = with_asha(&mut tower);
        let id = tower.run(&asha, &CREATE).ok().stdout.trim().to_string();
        let tower = Arc::new(tower);
        let start = Arc::new(Barrier::new(4));
        let codes: Vec<i32> = (0..4)
            .map(|_| {
                let (tower, start, asha, id) =
                    (tower.clone(), start.clone(), asha.clone(), id.clone());
                std::thread::spawn(move || {
                    let mut command = tower.command(&asha);
                    command.args([
                        "advance",
                        &id,
                        "MANAGER_APPROVED",
                        "--actor",
                        "SENDER_MANAGER",
                        "--expect-seq",
                        "1",
                    ]);
                    start.wait();
                    run(&mut command).code
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        assert_eq!(
            codes.iter().filter(|&&c| c == 0).count(),
            1,
            "{store}: {codes:?}"
        );
        assert!(
            codes.iter().all(|&c| c == 0 || c == 1),
            "{store}: {codes:?}"
        );
        let state = tower.run(&asha, &["show", &id, "--json"]).ok().json();
        assert_eq!(state["event_count"], 2, "{store}");
        assert_eq!(
            tower.run(&asha, &["verify", "--json"]).ok().json()["log_integrity"],
            "VALID"
        );
    }
}
