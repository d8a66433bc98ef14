//! The store interface on the file store: every kind of writer continues
//! one chain, expected seqs make conflicts, a long-running writer decides on
//! its own projection (and applies what it wrote without reading it back),
//! reads by shipment, from a position, the head.

use control_tower::Error;
use control_tower::domain::payload::created_payload;
use control_tower::domain::{Actor, EventType, ShipmentId};
use control_tower::read::Log;
use control_tower::read::index::LogIndex;
use control_tower::store::{
    AppendRequest, EventStore, ExpectedSeq, JsonlStore, LogPaths, NewEvent, Position, Target,
};

fn create() -> AppendRequest {
    AppendRequest::create(created_payload(
        "Pune",
        "Goa",
        3.0,
        "STANDARD",
        Default::default(),
    ))
}

fn approve(id: ShipmentId, seq: u32) -> AppendRequest {
    AppendRequest::advance(
        id,
        EventType::ManagerApproved,
        Actor::SenderManager,
        Default::default(),
    )
    .expecting_seq(seq)
}

#[test]
fn every_kind_of_writer_continues_the_same_chain() {
    let dir = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(dir.path());
    let mut long = Log::open_indexed(&paths, "a").unwrap();
    let first = long.append_request(&create()).unwrap().event.shipment_id;
    // A one-shot writer starts from the tail.
    let second = JsonlStore::open(&paths, "b")
        .unwrap()
        .append_request(&create())
        .unwrap()
        .event
        .shipment_id;
    assert_eq!(second.number(), first.number() + 1);
    // The long-running writer catches up on what the other appended.
    JsonlStore::open(&paths, "d")
        .unwrap()
        .append_request(&approve(first, 1))
        .unwrap();
    let conflict = long.append_request(&approve(first, 1)).unwrap_err();
    assert!(
        matches!(conflict, Error::Conflict { current_seq: 2, .. }),
        "{conflict}"
    );
    let third = long.append_request(&create()).unwrap().event;
    assert_eq!(third.shipment_id.number(), second.number() + 1);
    long.append_request(&approve(second, 1)).unwrap();
    // Its projection holds every event, its own without a read-back.
    assert_eq!(long.index().projection().total_events(), 5);

    let report = LogIndex::load(&paths).unwrap().verify_report();
    assert!(report.valid, "{:?}", report.errors);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.total_events, 5);
    assert_eq!(long.index().verify_report().head_hash, report.head_hash);
}

#[test]
fn a_refused_request_in_a_batch_leaves_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(dir.path());
    let mut store = Log::open_indexed(&paths, "a").unwrap();
    let bad = AppendRequest::create(created_payload(
        "",
        "Goa",
        3.0,
        "STANDARD",
        Default::default(),
    ));
    let results = store.append_batch(&[create(), bad, create()]).unwrap();
    assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());
    let ids: Vec<u64> = results
        .iter()
        .flatten()
        .map(|a| a.event.shipment_id.number())
        .collect();
    assert_eq!(ids, vec![1, 2]);
    assert!(LogIndex::load(&paths).unwrap().verify_report().valid);
}

#[test]
fn expected_seq_any_no_shipment_and_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(dir.path());
    let mut store = JsonlStore::open(&paths, "a").unwrap();
    let created = store.append_request(&create()).unwrap();
    assert_eq!((created.seq, created.position), (1, Position::START));
    let id = created.event.shipment_id;
    let approve = |actor| NewEvent {
        event_type: EventType::ManagerApproved,
        actor,
        payload: Default::default(),
    };
    // The shipment exists: NoShipment is a conflict.
    let err = store
        .append(
            Target::Existing(id),
            ExpectedSeq::NoShipment,
            approve(Actor::SenderManager),
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict { current_seq: 1, .. }),
        "{err}"
    );
    let err = store
        .append(
            Target::Existing(id),
            ExpectedSeq::Exactly(2),
            approve(Actor::SenderManager),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Conflict {
                expected_seq: 2,
                ..
            }
        ),
        "{err}"
    );
    let appended = store
        .append(
            Target::Existing(id),
            ExpectedSeq::Any,
            approve(Actor::SenderManager),
        )
        .unwrap();
    assert_eq!(appended.seq, 2);
    assert!(appended.position > created.position);
}

#[test]
fn reads_one_shipment_everything_from_a_position_and_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(dir.path());
    let mut store = JsonlStore::open(&paths, "a").unwrap();
    let a = store.append_request(&create()).unwrap();
    let b = store.append_request(&create()).unwrap();
    let a2 = store
        .append_request(&approve(a.event.shipment_id, 1))
        .unwrap();

    let mut reader = JsonlStore::reader(&paths);
    let history = reader.read_shipment(a.event.shipment_id).unwrap();
    let seqs: Vec<u32> = history.iter().map(|e| e.event_seq).collect();
    assert_eq!(seqs, vec![1, 2]);

    let mut seen = Vec::new();
    let end = reader
        .read_all(b.position, &mut |r| {
            seen.push((r.position, r.event.event_seq));
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, vec![(b.position, 1), (a2.position, 2)]);
    assert_eq!(end.0, std::fs::metadata(&paths.events).unwrap().len());

    let head = reader.head().unwrap();
    let report = LogIndex::load(&paths).unwrap().verify_report();
    assert_eq!(head.count, 3);
    assert_eq!(
        head.hash.map(|h| control_tower::domain::line::hash_hex(&h)),
        Some(report.head_hash)
    );
}

#[test]
fn a_subscription_hands_out_what_is_committed_after_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(dir.path());
    let mut store = JsonlStore::open(&paths, "a").unwrap();
    let first = store.append_request(&create()).unwrap();
    let mut live = store.subscribe(first.position).unwrap();
    let mut ids = Vec::new();
    live.poll_events(&mut |r| ids.push(r.event.shipment_id.number()))
        .unwrap();
    assert_eq!(ids, vec![1]);
    store.append_request(&create()).unwrap();
    live.wait(std::time::Duration::from_millis(10));
    live.poll_events(&mut |r| ids.push(r.event.shipment_id.number()))
        .unwrap();
    assert_eq!(ids, vec![1, 2]);
}
