//! Time travel (`read::travel`): whatever the way there (steps back from
//! the end, steps forward from 0, jumps by event, by time, by hour and
//! day), the past projection at event N equals a fresh replay of the
//! first N lines (`LogIndex::load_as_of(…, AsOf::Event(N))`): every
//! shipment summary and every tower-wide count. Logs with holds,
//! overrides, cancels, resubmissions (`simulate --seed`) and malformed
//! lines.

use std::io::Write;

use control_tower::domain::{Actor, EventType};
use control_tower::read::as_of::AsOf;
use control_tower::read::index::LogIndex;
use control_tower::read::projection::Projection;
use control_tower::read::travel::Travel;
use control_tower::store::Location;
use proptest::prelude::*;

use crate::support::*;

/// A simulated log with malformed lines among the events.
fn rich_log(seed: &str) -> Env {
    let env = Env::new();
    env.run(&[
        "simulate",
        "--shipments",
        "12",
        "--rate",
        "0",
        "--seed",
        seed,
    ])
    .ok();
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(env.events_path())
        .unwrap();
    log.write_all(b"{not json\n").unwrap();
    drop(log);
    env.run(&["simulate", "--shipments", "6", "--rate", "0", "--seed", "7"])
        .ok();
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(env.events_path())
        .unwrap();
    log.write_all(b"\"a string\"\n").unwrap();
    drop(log);
    env.create();
    env
}

fn assert_same(travelled: &Projection, fresh: &Projection, how: &str) {
    assert_eq!(travelled.shipments(), fresh.shipments(), "{how}");
    assert_same_projection(travelled, fresh);
    // The pulse's incremental figures too: dwell (in the tally) and the
    // minute marks.
    assert_eq!(travelled.tally(), fresh.tally(), "{how}: tally");
    assert_eq!(travelled.minutes(), fresh.minutes(), "{how}: minute marks");
    for a in Actor::ALL {
        assert_eq!(
            travelled.actor_count(*a),
            fresh.actor_count(*a),
            "{how} {a}"
        );
    }
    for e in EventType::ALL {
        assert_eq!(
            travelled.state_count(*e),
            fresh.state_count(*e),
            "{how} {e}"
        );
    }
    assert_eq!(
        (
            travelled.first_event_time(),
            travelled.last_event_time(),
            travelled.max_id()
        ),
        (
            fresh.first_event_time(),
            fresh.last_event_time(),
            fresh.max_id()
        ),
        "{how}"
    );
}

fn replay(location: &Location, n: u64) -> Projection {
    let (index, moment) = LogIndex::load_as_of(location, AsOf::Event(n)).unwrap();
    assert_eq!(moment.events, n);
    index.projection().clone()
}

#[test]
fn every_step_back_from_the_end_and_forward_from_zero_equals_a_replay() {
    let env = rich_log("3");
    let location = Location::File(env.paths());
    let live = LogIndex::load_at(&location).unwrap();
    let total = live.projection().total_events();
    let fresh: Vec<Projection> = (0..=total).map(|n| replay(&location, n)).collect();
    let mut travel = Travel::enter(&live).unwrap();
    assert_eq!((travel.at(), travel.latest()), (total, total));
    for n in (0..total).rev() {
        travel.step(live.projection(), -1).unwrap();
        assert_same(
            travel.projection(),
            &fresh[n as usize],
            &format!("back to {n}"),
        );
    }
    travel.step(live.projection(), -1).unwrap();
    assert_eq!(travel.at(), 0, "clamped at event 0");
    for n in 1..=total {
        travel.step(live.projection(), 1).unwrap();
        assert_same(
            travel.projection(),
            &fresh[n as usize],
            &format!("forward to {n}"),
        );
    }
    travel.step(live.projection(), 1).unwrap();
    assert_eq!(travel.at(), total, "clamped at the latest event");
}

/// The pulse's figures kept by the projection (dwell, minute marks) on
/// a log whose events are hours and minutes apart: every step back, and
/// every jump (restores from checkpoints), equals a fresh replay.
#[test]
fn dwell_and_minute_marks_travel_exactly() {
    let env = Env::new();
    attention_log(&env.dir, chrono::Utc::now());
    let location = Location::File(env.paths());
    let live = LogIndex::load_at(&location).unwrap();
    let total = live.projection().total_events();
    let fresh: Vec<Projection> = (0..=total).map(|n| replay(&location, n)).collect();
    assert!(fresh[total as usize].minutes().marks().len() > 10);
    let mut travel = Travel::enter(&live).unwrap().with_checkpoints(4, 3);
    for n in (0..total).rev() {
        travel.step(live.projection(), -1).unwrap();
        assert_same(
            travel.projection(),
            &fresh[n as usize],
            &format!("back to {n}"),
        );
    }
    for n in [total, 3, 17, 9, 0, total - 1, 5] {
        travel.go(live.projection(), n).unwrap();
        assert_same(
            travel.projection(),
            &fresh[n as usize],
            &format!("jump to {n}"),
        );
    }
}

#[derive(Debug, Clone)]
enum Move {
    Step(i64),
    Event(u64),
    Hours(i64),
    Time(u64),
    /// Another writer appends meanwhile (a new shipment, or the next step
    /// of the one created last): the latest reachable moment grows and
    /// live summaries move past the checkpoints taken before.
    Grow,
}

fn moves() -> impl Strategy<Value = Vec<Move>> {
    let one = prop_oneof![
        (-3i64..=3).prop_map(Move::Step),
        (0u64..400).prop_map(Move::Event),
        (-2i64..=2).prop_map(Move::Hours),
        (0u64..400).prop_map(Move::Time),
        Just(Move::Grow),
    ];
    // Long enough walks to go back past checkpoints taken on the way.
    proptest::collection::vec(one, 1..16)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn any_way_to_event_n_equals_a_fresh_replay_of_n_lines(
        seed in 0u64..1000,
        moves in moves(),
        background in any::<bool>(),
    ) {
        let env = rich_log(&seed.to_string());
        let location = Location::File(env.paths());
        let mut live = LogIndex::load_at(&location).unwrap();
        let mut travel = Travel::enter(&live).unwrap().with_checkpoints(7, 4);
        if background {
            // Checkpoints from the worker thread, whenever they arrive.
            travel = travel.build_checkpoints();
        }
        let mut pending: Option<String> = None;
        for m in &moves {
            if let Move::Grow = m {
                match pending.take() {
                    None => pending = Some(env.create()),
                    Some(id) => {
                        env.run(&["advance", &id, "MANAGER_APPROVED", "--actor", "SENDER_MANAGER"]).ok();
                    }
                }
                live.refresh().unwrap();
                travel.catch_up(live.projection()).unwrap();
                prop_assert_eq!(travel.latest(), live.projection().total_events());
            }
            let total = live.projection().total_events();
            let p = live.projection();
            match *m {
                Move::Step(d) => travel.step(p, d).unwrap(),
                Move::Event(n) => travel.go_as_of(p, AsOf::Event(n)).unwrap(),
                Move::Hours(h) => travel.shift(p, chrono::TimeDelta::hours(h)).unwrap(),
                Move::Grow => travel.step(p, 0).unwrap(),
                Move::Time(n) => {
                    // The time of event n: the last event at or before it.
                    let (index, moment) = LogIndex::load_as_of(&location, AsOf::Event(n)).unwrap();
                    drop(index);
                    if let Some(t) = moment.at {
                        travel.go_as_of(p, AsOf::Time(t)).unwrap();
                        prop_assert_eq!(travel.projection().last_event_time(), Some(t));
                    }
                }
            }
            prop_assert!(travel.at() <= total);
            prop_assert!(travel.checkpoints().len() <= 4);
            let fresh = replay(&location, travel.at());
            assert_same(travel.projection(), &fresh, &format!("{m:?} to {}", travel.at()));
        }
    }
}

#[test]
fn a_checkpoint_taken_before_a_shipment_moved_on_still_restores_it() {
    let env = rich_log("11");
    let location = Location::File(env.paths());
    let mut live = LogIndex::load_at(&location).unwrap();
    // A checkpoint at every event, so a jump restores one.
    let mut travel = Travel::enter(&live).unwrap().with_checkpoints(1, 10_000);
    let x = env.create();
    env.create();
    live.refresh().unwrap();
    travel.catch_up(live.projection()).unwrap();
    let with_x = travel.latest() - 1;
    travel.go(live.projection(), 0).unwrap();
    travel.go(live.projection(), with_x).unwrap();
    // X moves on after the checkpoint at `with_x` was taken (where it was
    // complete as far as the live log knew).
    env.run(&[
        "advance",
        &x,
        "MANAGER_APPROVED",
        "--actor",
        "SENDER_MANAGER",
    ])
    .ok();
    live.refresh().unwrap();
    travel.catch_up(live.projection()).unwrap();
    travel.go(live.projection(), 0).unwrap();
    travel.go(live.projection(), with_x).unwrap();
    assert_eq!(travel.at(), with_x);
    assert_same(travel.projection(), &replay(&location, with_x), "restored");
    travel.go(live.projection(), travel.latest()).unwrap();
    assert_same(travel.projection(), live.projection(), "at the latest");
}
