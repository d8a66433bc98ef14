//! The dashboard's speed figures on a 1M-event log (125k shipments):
//! frame time per key press and append-to-screen latency. Ignored by
//! default (it writes ~250 MB); run with
//! `cargo test --release --test tui -- --ignored bench:: --nocapture`.

use control_tower::domain::payload::created_payload;
use control_tower::domain::{Actor, EventType, ShipmentId};
use control_tower::store::{AppendRequest, EventStore, JsonlStore, LogPaths};
use control_tower::tui::{measure_append_to_screen, measure_frame_times, measure_search};
use serde_json::Map;

const SHIPMENTS: u64 = 125_000;

/// The 1M-event log: 125k shipments through the standard flow. With
/// `payloads`, the search figures' version: every IN_TRANSIT names a
/// vehicle (`TRK-0000` … `TRK-9999`) and a driver, every intake a
/// warehouse, and one CREATED in a hundred carries a note.
fn generate(paths: &LogPaths, payloads: bool) {
    let mut store = JsonlStore::open_indexed(paths, "bench").unwrap();
    let flow = [
        (EventType::ManagerApproved, Actor::SenderManager),
        (EventType::SupervisorApproved, Actor::SenderSupervisor),
        (EventType::InTransit, Actor::Carrier),
        (EventType::ReceiverAcknowledged, Actor::Receiver),
        (EventType::WarehouseIntake, Actor::Warehouse),
        (EventType::OutForDelivery, Actor::Warehouse),
        (EventType::Delivered, Actor::Customer),
    ];
    let chunk = 25_000u64;
    for start in (0..SHIPMENTS).step_by(chunk as usize) {
        let creates: Vec<_> = (start..start + chunk)
            .map(|i| {
                let mut extra = Map::new();
                if payloads && i % 100 == 0 {
                    extra.insert("note".into(), "weight check at the dock".into());
                }
                AppendRequest::create(created_payload(
                    "Mumbai, Maharashtra",
                    "Delhi, Delhi",
                    1.0 + (i % 100) as f64,
                    "EXPRESS",
                    extra,
                ))
            })
            .collect();
        store.append_batch(&creates).unwrap();
        for (event, actor) in flow {
            let steps: Vec<_> = (start..start + chunk)
                .map(|i| {
                    let mut payload = Map::new();
                    if payloads && event == EventType::InTransit {
                        payload.insert("vehicle".into(), format!("TRK-{:04}", i % 10_000).into());
                        payload.insert("driver".into(), format!("driver {}", i % 700).into());
                    }
                    if payloads && event == EventType::WarehouseIntake {
                        payload.insert("warehouse".into(), format!("WH-{:02}", i % 40).into());
                    }
                    AppendRequest::advance(ShipmentId::new(i + 1).unwrap(), event, actor, payload)
                })
                .collect();
            store.append_batch(&steps).unwrap();
        }
    }
}

#[test]
#[ignore]
fn dashboard_speed_on_a_million_events() {
    let dir = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(dir.path());
    let t = std::time::Instant::now();
    generate(&paths, false);
    println!("generated 1M events in {:?}", t.elapsed());

    let frames = measure_frame_times(&paths, 160, 45, 500).unwrap();
    println!(
        "frame per key press, {} shipments / {} events at 160x45: p50 {:?} p99 {:?} max {:?} ({} presses); load {:?}, first frame {:?}",
        frames.shipments,
        frames.events,
        frames.p50,
        frames.p99,
        frames.max,
        frames.presses,
        frames.load,
        frames.first_frame
    );
    println!("slowest key: {}", frames.slowest_key);
    let small = measure_frame_times(&paths, 80, 24, 500).unwrap();
    println!(
        "frame per key press at 80x24: p50 {:?} p99 {:?} max {:?}",
        small.p50, small.p99, small.max
    );
    // p50 is the frame's cost; p99 on a shared 2-core machine is mostly
    // the scheduler (the slowest press is an ordinary key), so it is
    // reported, and only the median is held to the 16 ms frame budget.
    assert!(
        frames.p50 < std::time::Duration::from_millis(16),
        "frame p50 {:?}",
        frames.p50
    );

    let latency = measure_append_to_screen(dir.path(), 200).unwrap();
    println!(
        "append by another writer -> row on a drawn frame (125k loaded): p50 {:?} p99 {:?} max {:?} ({} samples)",
        latency.p50, latency.p99, latency.max, latency.samples
    );
    assert!(
        latency.p99 < std::time::Duration::from_millis(100),
        "latency p99 {:?}",
        latency.p99
    );
}

/// `/` on the 1M-event log with payloads: building the search records,
/// then each keystroke of several queries typed one character at a time.
/// Run with `cargo test --release --test tui -- --ignored bench::search --nocapture`.
#[test]
#[ignore]
fn search_speed_on_a_million_events() {
    let dir = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(dir.path());
    generate(&paths, true);
    let queries = [
        "vehicle:TRK-5916",
        "TRK-5916",
        "\"weight check\"",
        "-state:DELIVERED weight>50",
        "warehouse=wh-07 driver:12",
    ];
    let s = measure_search(&paths, &queries).unwrap();
    println!(
        "search on {} shipments / {} events: records built in {:?} ({} MB of records, RSS +{} MB); \
         per keystroke (key + filter + frame, {} keystrokes): p50 {:?} p99 {:?} max {:?}; last query shows {} rows",
        s.shipments,
        s.events,
        s.build,
        s.record_bytes / 1_000_000,
        s.rss_growth / 1_000_000,
        s.keystrokes,
        s.p50,
        s.p99,
        s.max,
        s.last_rows
    );
    // Intake WH-07 is i % 40 == 7; drivers i % 700 with "12" in them: some.
    assert!(s.last_rows > 0);
    assert!(
        s.p50 < std::time::Duration::from_millis(50),
        "p50 {:?}",
        s.p50
    );
}

#[test]
fn append_to_screen_latency_on_a_small_log() {
    // The same measurement, small enough for every CI run.
    let dir = tempfile::tempdir().unwrap();
    let latency = measure_append_to_screen(dir.path(), 20).unwrap();
    println!(
        "append -> screen p50 {:?} p99 {:?}",
        latency.p50, latency.p99
    );
    assert!(
        latency.p99 < std::time::Duration::from_secs(2),
        "{latency:?}"
    );
}

/// Time travel on the generated 1M-event log (`cli::bench::loggen`,
/// events 2 ms apart): entering, each key, a jump to half the log, and
/// the memory it adds. Ignored by default; run with
/// `cargo test --release --test tui -- --ignored bench::time_travel --nocapture`.
#[test]
#[ignore]
fn time_travel_on_a_million_events() {
    use control_tower::tui::measure_travel::measure_time_travel;
    let dir = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(dir.path());
    control_tower::cli::bench::loggen::generate(&paths, 1_000_000, 7).unwrap();
    let m = measure_time_travel(&paths, 400).unwrap();
    println!("{} events; enter (t + frame) {:?}", m.events, m.enter);
    for (key, s) in &m.keys {
        println!(
            "{key}: p50 {:?} p99 {:?} max {:?} ({} presses)",
            s.p50, s.p99, s.max, s.samples
        );
    }
    println!(
        ":event:N/2 from the latest, right after t {:?}, 3 s later {:?}",
        m.half_first, m.half_again
    );
    let j = &m.random_jumps;
    println!(
        ": to random events: p50 {:?} p99 {:?} max {:?} ({})",
        j.p50, j.p99, j.max, j.samples
    );
    println!(
        "RSS after t {:.0} MB, checkpoints built {:.0} MB",
        m.rss_entered_mb, m.rss_built_mb
    );
    println!(
        "RSS before t {:.0} MB, travelling with {} checkpoints ({} summaries) {:.0} MB",
        m.rss_before_mb, m.checkpoints, m.checkpoint_summaries, m.rss_travelling_mb
    );
    // The 50 ms per step, for every travel key; held to the
    // median here (p99 on a shared 2-core machine is mostly the scheduler;
    // the figures are in BENCHMARKS.md).
    for (key, s) in &m.keys {
        assert!(s.p50 < std::time::Duration::from_millis(50), "{key}: {s:?}");
    }
}

/// A batch approve of 10,000 marked CREATED shipments on the file store:
/// how long `V` (marking them all), the question and the `y` (the appends
/// under one lock, each expecting its marked seq, then the summary) take.
/// The appends run on the event loop's thread once the lock is held, so
/// this is how long the dashboard is busy. Ignored (a figure, not a check);
/// run with `cargo test --release --test tui -- --ignored bench::batch --nocapture`.
#[test]
#[ignore]
fn batch_approve_of_ten_thousand_marked_shipments() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let dir = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(dir.path());
    let mut store = JsonlStore::open_indexed(&paths, "bench").unwrap();
    let creates: Vec<_> = (0..10_000)
        .map(|i| {
            AppendRequest::create(created_payload(
                "Mumbai, Maharashtra",
                "Delhi, Delhi",
                1.0 + f64::from(i % 100),
                "EXPRESS",
                Map::new(),
            ))
        })
        .collect();
    store.append_batch(&creates).unwrap();
    drop(store);
    let mut app = control_tower::tui::App::new(control_tower::tui::AppOptions {
        paths,
        operator: "bench".into(),
        role: Some(Actor::SenderManager),
    });
    while app.load_step(1 << 20).unwrap() {}
    app.finish_load();
    let mut press = |c: char| {
        let start = std::time::Instant::now();
        app.handle_key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        app.wait_for_jobs();
        start.elapsed()
    };
    press('1');
    let mark = press('V');
    let ask = press('a');
    let confirm = press('y');
    println!(
        "batch of 10,000: V {:.1} ms, a (question) {:.1} ms, y (appends + summary) {:.1} ms",
        mark.as_secs_f64() * 1e3,
        ask.as_secs_f64() * 1e3,
        confirm.as_secs_f64() * 1e3
    );
    let line = app.batch_summary_line().unwrap();
    assert_eq!(
        line,
        "approve 10,000 shipments: 10,000 landed, 0 conflicted, 0 refused"
    );
}

/// The pulse view on the generated 1M-event log (125k shipments): its
/// first draw, and the frames with it open under a 1,000 events/s
/// simulator. Ignored by default; run with
/// `cargo test --release --test tui -- --ignored bench::pulse --nocapture`.
#[test]
#[ignore]
fn pulse_on_a_million_events() {
    use control_tower::tui::measure_pulse::measure_pulse;
    let dir = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(dir.path());
    control_tower::cli::bench::loggen::generate(&paths, 1_000_000, 7).unwrap();
    let m = measure_pulse(&paths, 20, 1000.0).unwrap();
    println!(
        "pulse on {} shipments: figures {:?}, first draw (p + frame) {:?}",
        m.shipments, m.figures, m.first_draw
    );
    println!(
        "! + frame {:?} ({} entries); m + frame {:?}",
        m.attention_first, m.attention, m.queue_first
    );
    let f = &m.frames;
    println!(
        "with the pulse open, {} events appended in {:.1} s: refresh + frame p50 {:?} p99 {:?} max {:?} ({} frames); {} events at the end",
        m.appended, m.seconds, f.p50, f.p99, f.max, f.samples, m.events
    );
    assert!(
        m.first_draw < std::time::Duration::from_millis(100),
        "first draw {:?}",
        m.first_draw
    );
}
