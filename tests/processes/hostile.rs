//! Hostile input: arbitrary bytes and mutated valid logs fed to the line
//! reader (`parse_line`, `LineSplitter`), the tailing index and verifier
//! (`LogIndex`) and a writer catching up on them. Nothing may panic or
//! hang, memory stays bounded (lines capped at 1 MiB), a tailing index
//! equals a fresh load, and any change to a chained line before the last is
//! caught by `verify`. A corpus of nasty files under tests/corpus/ is
//! replayed against recorded verdicts.
//!
//! `fuzz_time_boxed` (ignored by default) runs the same properties with
//! fresh random seeds for `CT_FUZZ_SECONDS` (default 60) seconds:
//!   cargo test --release --test processes -- --ignored fuzz_time_boxed --nocapture

use crate::support;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use control_tower::domain::line::parse_line;
use control_tower::domain::{Actor, EventType};
use control_tower::log::lines::{LineSplitter, MAX_LINE_BYTES};
use control_tower::read::index::LogIndex;
use control_tower::store::{AppendRequest, EventStore, JsonlStore, LogPaths};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

fn created() -> Map<String, Value> {
    json!({"source": "Lucknow, Uttar Pradesh", "destination": "Kochi, Kerala", "weight_kg": 1.5, "delivery_type": "STANDARD"})
        .as_object()
        .cloned()
        .unwrap()
}

// ---------------------------------------------------------------- checks

/// Splits `bytes` fed in pieces of the given sizes; must match a plain
/// split on `\n`, with lines capped at 1 MiB and the tail held back.
fn check_splitter(bytes: &[u8], pieces: &[usize]) -> Result<(), TestCaseError> {
    let mut splitter = LineSplitter::starting_at(0, 1);
    let mut got: Vec<(u64, u64, Vec<u8>, u64, bool)> = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let n = pieces
            .get(i)
            .copied()
            .unwrap_or(rest.len())
            .clamp(1, rest.len());
        i += 1;
        splitter.feed(&rest[..n], |l| {
            got.push((l.offset, l.line_no, l.bytes.to_vec(), l.len, l.oversized))
        });
        prop_assert!(splitter.pending().len() <= MAX_LINE_BYTES);
        rest = &rest[n..];
    }
    let mut want = Vec::new();
    let mut offset = 0u64;
    let mut pieces_iter: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let tail = pieces_iter.pop().unwrap_or_default();
    for (n, line) in pieces_iter.iter().enumerate() {
        let keep = line.len().min(MAX_LINE_BYTES);
        want.push((
            offset,
            n as u64 + 1,
            line[..keep].to_vec(),
            line.len() as u64,
            line.len() > MAX_LINE_BYTES,
        ));
        offset += line.len() as u64 + 1;
    }
    prop_assert_eq!(got.len(), want.len());
    prop_assert!(got == want, "lines differ from a plain split");
    prop_assert_eq!(splitter.complete_offset(), offset);
    prop_assert_eq!(splitter.pending_bytes(), tail.len() as u64);
    prop_assert_eq!(splitter.pending(), &tail[..tail.len().min(MAX_LINE_BYTES)]);
    for line in bytes.split(|&b| b == b'\n') {
        let _ = parse_line(line);
    }
    Ok(())
}

/// The read side on a log holding `bytes`: a fresh load (verify, audit,
/// every state read back by offset) and an index tailing the file as it
/// grows in `steps` must agree. With `append`, a writer then appends to it.
fn check_index(
    dir: &Path,
    bytes: &[u8],
    steps: &[usize],
    append: bool,
) -> Result<(), TestCaseError> {
    let _ = fs::remove_dir_all(dir);
    let paths = LogPaths::new(dir);
    fs::create_dir_all(dir).unwrap();
    let mut file = fs::File::create(&paths.events).unwrap();
    let mut tailing = LogIndex::new(&paths);
    let mut rest = bytes;
    for &step in steps {
        let n = step.min(rest.len());
        file.write_all(&rest[..n]).unwrap();
        rest = &rest[n..];
        let r = tailing.refresh().unwrap();
        prop_assert!(r.reloaded.is_none());
    }
    file.write_all(rest).unwrap();
    tailing.refresh().unwrap();
    let fresh = LogIndex::load(&paths).unwrap();
    support::assert_index_matches_replay(&tailing, &fresh);
    let report = fresh.verify_report();
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    prop_assert!(fresh.projection().total_events() <= lines);
    let _ = fresh.audit_report();
    let _ = serde_json::to_string(&report).unwrap();
    for state in fresh.states_in(None).unwrap() {
        let _ = serde_json::to_string(&state).unwrap();
    }
    if append {
        // A long-running writer sees every line, so its new ID is unused.
        let mut store = JsonlStore::open_indexed(&paths, "fuzz").unwrap();
        match store.append_request(&AppendRequest::create(created())) {
            Ok(new) => {
                let after = LogIndex::load(&paths).unwrap();
                let id = new.event.shipment_id;
                prop_assert!(fresh.summary(id).is_none(), "ID {} reused", id);
                let s = after.summary(id).unwrap();
                prop_assert_eq!((s.seq, s.event_count), (1, 1));
                // It chains on the last line the readers take as an event.
                let before = LogIndex::load(&{
                    let cut = dir.join("cut");
                    fs::create_dir_all(&cut).unwrap();
                    let all = fs::read(&paths.events).unwrap();
                    fs::write(cut.join("shipments.jsonl"), &all[..new.position.0 as usize])
                        .unwrap();
                    LogPaths::new(cut)
                })
                .unwrap();
                let head = before.verify_report().head_hash;
                prop_assert_eq!(new.event.prev_hash.as_deref(), Some(head.as_str()));
            }
            Err(e) => prop_assert!(e.exit_code() == 1, "append failed: {}", e),
        }
    }
    Ok(())
}

/// A valid chained log written by the tool (events, counter log).
fn base_log() -> &'static (Vec<u8>, Vec<u8>) {
    static BASE: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    BASE.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let paths = LogPaths::new(tmp.path());
        let mut store = JsonlStore::open(&paths, "base").unwrap();
        let a = store
            .append_request(&AppendRequest::create(created()))
            .unwrap()
            .event
            .shipment_id;
        let b = store
            .append_request(&AppendRequest::create(created()))
            .unwrap()
            .event
            .shipment_id;
        for (id, e, r) in [
            (a, EventType::ManagerApproved, Actor::SenderManager),
            (b, EventType::OverrideApplied, Actor::SenderManager),
            (a, EventType::SupervisorApproved, Actor::SenderSupervisor),
            (b, EventType::Created, Actor::Sender),
            (a, EventType::InTransit, Actor::Carrier),
            (b, EventType::Cancelled, Actor::Receiver),
        ] {
            let mut p = Map::new();
            p.insert("note".into(), json!("ok ✓"));
            store
                .append_request(&AppendRequest::advance(
                    id,
                    e,
                    r,
                    support::with_reason(e, p),
                ))
                .unwrap();
        }
        (
            fs::read(&paths.events).unwrap(),
            fs::read(&paths.counter).unwrap(),
        )
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Insert(Index, u8),
    Delete(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![
        any::<u8>(),
        Just(b'\n'),
        Just(b'"'),
        Just(b'{'),
        Just(b'}'),
        Just(b','),
        Just(0u8),
        Just(0xff),
    ];
    prop_oneof![
        (any::<Index>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (any::<Index>(), byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<Index>().prop_map(Mutation::Delete),
    ]
}

/// Applies `m`; returns the position it touched.
fn apply(bytes: &mut Vec<u8>, m: &Mutation) -> usize {
    match m {
        Mutation::Flip(i, x) => {
            let p = i.index(bytes.len());
            bytes[p] ^= x;
            p
        }
        Mutation::Insert(i, b) => {
            let p = i.index(bytes.len() + 1);
            bytes.insert(p, *b);
            p
        }
        Mutation::Delete(i) => {
            let p = i.index(bytes.len());
            bytes.remove(p);
            p
        }
    }
}

/// Mutations of a valid chained log: the read side copes, and one change
/// to any line before the last is caught (CORRUPTED).
fn check_mutations(dir: &Path, muts: &[Mutation], steps: &[usize]) -> Result<(), TestCaseError> {
    let (base, counter) = base_log();
    let mut bytes = base.clone();
    let mut touched = Vec::new();
    for m in muts {
        touched.push(apply(&mut bytes, m));
    }
    check_index(dir, &bytes, steps, false)?;
    fs::write(dir.join("shipment_counter.jsonl"), counter).unwrap();
    let report = LogIndex::load(&LogPaths::new(dir)).unwrap().verify_report();
    if let ([m], [p]) = (muts, touched.as_slice()) {
        let last_start = base[..base.len() - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        // Inserting a bare `\n` at a line boundary adds an empty line and
        // changes no event: reported (as a torn-write warning), not tampering.
        let empty_line = matches!(m, Mutation::Insert(_, b'\n'))
            && (*p == 0 || base[*p - 1] == b'\n' || base.get(*p) == Some(&b'\n'));
        if *p < last_start && !empty_line {
            prop_assert!(!report.valid, "mutation {:?} at {} went unnoticed", m, p);
        }
    }
    Ok(())
}

// ------------------------------------------------------------ strategies

fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let (base, _) = base_log();
    let lines: Vec<Vec<u8>> = base.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let piece = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        proptest::sample::select(lines).prop_map(|mut l| {
            l.push(b'\n');
            l
        }),
        Just(b"\n".to_vec()),
        Just(b"{\"shipment_id\":\"SHP-0000000001\",\"event_seq\":1,\"event_type\":\"CREATED\",\"timestamp\":\"2026-01-21T12:00:00Z\",\"actor\":\"SENDER\",\"payload\":{}}\n".to_vec()),
        Just(b"{\"shipment_id\":\"SHP-9999999999\",\"event_seq\":4294967296,\"event_type\":\"CREATED\",\"timestamp\":\"9999-12-31T23:59:59Z\",\"actor\":\"SENDER\",\"payload\":{\"\x1b\":1}}\n".to_vec()),
        "[ -~\u{1b}\u{202e}\u{9b}]{0,40}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

fn steps() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0usize..600, 0..8)
}

proptest! {
    #[test]
    fn splitter_matches_a_plain_split(bytes in hostile_bytes(), pieces in proptest::collection::vec(1usize..300, 0..16)) {
        check_splitter(&bytes, &pieces)?;
    }

    #[test]
    fn parse_line_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_line(&bytes);
    }

    #[test]
    fn index_survives_arbitrary_logs(bytes in hostile_bytes(), steps in steps(), append in proptest::bool::weighted(0.15)) {
        let tmp = tempfile::tempdir().unwrap();
        check_index(&tmp.path().join("logs"), &bytes, &steps, append)?;
    }

    #[test]
    fn one_mutation_before_the_last_line_is_caught(m in mutation(), steps in steps()) {
        let tmp = tempfile::tempdir().unwrap();
        check_mutations(&tmp.path().join("logs"), &[m], &steps)?;
    }

    #[test]
    fn many_mutations_never_break_the_reader(muts in proptest::collection::vec(mutation(), 1..12), steps in steps()) {
        let tmp = tempfile::tempdir().unwrap();
        check_mutations(&tmp.path().join("logs"), &muts, &steps)?;
    }
}

/// Multi-megabyte lines, in odd-sized chunks: capped, never buffered whole.
#[test]
fn huge_lines_are_capped() {
    let mut bytes = vec![b'{'; 3 * MAX_LINE_BYTES + 17];
    bytes.push(b'\n');
    bytes.extend_from_slice(&base_log().0);
    bytes.extend(std::iter::repeat_n(b'x', 2 * MAX_LINE_BYTES));
    for pieces in [
        vec![1 << 20],
        vec![4095, 1 << 16, 7],
        vec![3 * MAX_LINE_BYTES + 18],
    ] {
        check_splitter(&bytes, &pieces).unwrap();
    }
    let tmp = tempfile::tempdir().unwrap();
    check_index(
        &tmp.path().join("logs"),
        &bytes,
        &[100, MAX_LINE_BYTES * 2],
        true,
    )
    .unwrap();
}

// ---------------------------------------------------------------- corpus

/// Replays every file of tests/corpus/ (with a counter log naming each
/// shipment in it) and checks the verdict recorded in tests/corpus/EXPECTED.
#[test]
fn corpus_replays_to_recorded_verdicts() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let expected = fs::read_to_string(corpus.join("EXPECTED")).unwrap();
    let mut names: Vec<_> = fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "EXPECTED")
        .collect();
    names.sort();
    let mut actual = String::new();
    for name in &names {
        let bytes = fs::read(corpus.join(name)).unwrap();
        check_splitter(&bytes, &[1, 4096, 65536, 3]).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("logs");
        check_index(&dir, &bytes, &[10, 1000, 100_000], false).unwrap();
        let paths = LogPaths::new(&dir);
        let mut counter = String::new();
        let mut ids: Vec<u64> = bytes
            .split(|&b| b == b'\n')
            .filter_map(|l| parse_line(l).ok().map(|r| r.shipment_id.number()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            counter.push_str(&format!("{{\"counter\": {id}}}\n"));
        }
        fs::write(&paths.counter, counter).unwrap();
        let index = LogIndex::load(&paths).unwrap();
        let report = index.verify_report();
        let kinds = |fs: &[control_tower::read::verify::Finding]| {
            let mut k: Vec<String> = fs
                .iter()
                .map(|f| {
                    serde_json::to_value(f.kind)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect();
            k.dedup();
            k.join(",")
        };
        actual.push_str(&format!(
            "{name} {} events={} errors=[{}] warnings=[{}]\n",
            report.log_integrity,
            report.total_events,
            kinds(&report.errors),
            kinds(&report.warnings)
        ));
        // The CLI reads it too, with no panic and the same verdict.
        let v = support::run(support::ct(&dir).args(["verify"]));
        assert_eq!(
            v.code,
            if report.valid { 0 } else { 1 },
            "{name}: {}",
            v.stderr
        );
        for cmd in [&["audit"][..], &["list"], &["events"], &["list", "--json"]] {
            let r = support::run(support::ct(&dir).args(cmd));
            assert_eq!(r.code, 0, "{name} {cmd:?}: {}", r.stderr);
        }
        for id in index
            .projection()
            .shipments()
            .iter()
            .map(|s| s.id.to_string())
        {
            let r = support::run(support::ct(&dir).args(["show", &id]));
            assert_eq!(r.code, 0, "{name} show {id}: {}", r.stderr);
        }
    }
    if std::env::var_os("CT_CORPUS_BLESS").is_some() {
        fs::write(corpus.join("EXPECTED"), &actual).unwrap();
    }
    assert_eq!(actual, expected, "corpus verdicts changed");
}

// ------------------------------------------------------------ time-boxed

/// The properties above with fresh random seeds until the time budget is
/// spent (`CT_FUZZ_SECONDS`, default 60). Run by .ci/run.
#[test]
#[ignore]
fn fuzz_time_boxed() {
    let budget = Duration::from_secs(
        std::env::var("CT_FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    let config = Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    };
    let executions: [std::cell::Cell<u64>; 5] = Default::default();
    let mut rounds = 0u64;
    while started.elapsed() < budget {
        rounds += 1;
        let mut r = TestRunner::new(config.clone());
        r.run(&(proptest::collection::vec(any::<u8>(), 0..2048)), |b| {
            executions[0].set(executions[0].get() + 1);
            let _ = parse_line(&b);
            check_splitter(&b, &[7, 300, 1])
        })
        .unwrap();
        let mut r = TestRunner::new(config.clone());
        r.run(
            &(
                hostile_bytes(),
                proptest::collection::vec(1usize..300, 0..16),
            ),
            |(b, p)| {
                executions[1].set(executions[1].get() + 1);
                check_splitter(&b, &p)
            },
        )
        .unwrap();
        let mut r = TestRunner::new(config.clone());
        r.run(
            &(hostile_bytes(), steps(), proptest::bool::weighted(0.05)),
            |(b, s, a)| {
                executions[2].set(executions[2].get() + 1);
                check_index(&dir, &b, &s, a)
            },
        )
        .unwrap();
        let mut r = TestRunner::new(config.clone());
        r.run(&(mutation(), steps()), |(m, s)| {
            executions[3].set(executions[3].get() + 1);
            check_mutations(&dir, &[m], &s)
        })
        .unwrap();
        let mut r = TestRunner::new(config.clone());
        r.run(
            &(proptest::collection::vec(mutation(), 1..16), steps()),
            |(m, s)| {
                executions[4].set(executions[4].get() + 1);
                check_mutations(&dir, &m, &s)
            },
        )
        .unwrap();
    }
    let executions: Vec<u64> = executions.iter().map(std::cell::Cell::get).collect();
    let total: u64 = executions.iter().sum();
    println!(
        "fuzz: {total} executions in {:.1} s ({rounds} rounds): {} raw-byte reader, {} splitter, {} index/verifier(+append), {} single mutations, {} multi mutations",
        started.elapsed().as_secs_f64(),
        executions[0],
        executions[1],
        executions[2],
        executions[3],
        executions[4]
    );
}

/// A well-formed event line longer than 1 MiB (no writer of ours makes one:
/// payloads are capped at 16 KiB) is malformed to every reader; a one-shot
/// writer, which reads the tail backwards, must not chain on it either.
#[test]
fn writers_agree_with_readers_on_oversized_lines() {
    for indexed in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let paths = LogPaths::new(tmp.path().join("logs"));
        let first = JsonlStore::open(&paths, "w")
            .unwrap()
            .append_request(&AppendRequest::create(created()))
            .unwrap();
        let mut huge = fs::read(&paths.events).unwrap();
        let line = String::from_utf8(huge[..huge.len() - 1].to_vec()).unwrap();
        let big = line
            .replace("\"event_seq\":1", "\"event_seq\":2")
            .replace("\"note\"", "\"n\"")
            .replacen(
                "\"payload\":{",
                &format!("\"payload\":{{\"pad\":\"{}\",", "x".repeat(MAX_LINE_BYTES)),
                1,
            );
        huge.extend_from_slice(big.as_bytes());
        huge.push(b'\n');
        fs::write(&paths.events, &huge).unwrap();
        let mut store = if indexed {
            Box::new(JsonlStore::open_indexed(&paths, "w").unwrap()) as Box<dyn EventStore>
        } else {
            Box::new(JsonlStore::open(&paths, "w").unwrap())
        };
        let next = store
            .append_request(&AppendRequest::advance(
                first.event.shipment_id,
                EventType::ManagerApproved,
                Actor::SenderManager,
                Map::new(),
            ))
            .unwrap();
        assert_eq!(next.event.event_seq, 2);
        let report = LogIndex::load(&paths).unwrap().verify_report();
        let kinds: Vec<_> = report.errors.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            vec![control_tower::read::verify::FindingKind::MalformedLine],
            "indexed={indexed}: {:?}",
            report.errors
        );
    }
}

// ------------------------------------------------- oversized lines (issue 7)

fn cli_ok(dir: &Path, args: &[&str]) -> String {
    let r = support::run(support::ct(dir).args(args));
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    r.stdout
}

fn state_of(dir: &Path, id: &str) -> (String, String) {
    let shown: Value = serde_json::from_str(&cli_ok(dir, &["show", id, "--json"])).unwrap();
    let listed: Value = serde_json::from_str(&cli_ok(dir, &["list", "--json"])).unwrap();
    let listed = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["shipment_id"] == id)
        .map_or(Value::Null, |s| s["current_state"].clone());
    (
        shown["current_state"].as_str().unwrap_or("?").to_string(),
        listed.as_str().unwrap_or("?").to_string(),
    )
}

/// An event placed inside an oversized line (at a 4 MiB read boundary of
/// the byte search, or as the first bytes of a line padded past 1 MiB) is
/// no event: `show`, `list`, `events` and both kinds of writer agree.
#[test]
fn an_event_inside_an_oversized_line_is_no_event_to_any_reader() {
    const SEARCH_CHUNK: usize = 4 << 20;
    for case in 0..4 {
        let tmp = tempfile::tempdir().unwrap();
        let paths = LogPaths::new(tmp.path().join("logs"));
        let dir = paths.dir.clone();
        let first = JsonlStore::open(&paths, "w")
            .unwrap()
            .append_request(&AppendRequest::create(created()))
            .unwrap();
        let id = first.event.shipment_id.to_string();
        let mut log = fs::read(&paths.events).unwrap();
        let created_line = String::from_utf8(log[..log.len() - 1].to_vec()).unwrap();
        let forged = created_line
            .replace("\"event_seq\":1", "\"event_seq\":2")
            .replace("\"CREATED\"", "\"DELIVERED\"")
            .replace("\"SENDER\"", "\"CUSTOMER\"");
        assert!(parse_line(forged.as_bytes()).is_ok());
        match case {
            // The forged event starts exactly at a read boundary.
            0 | 1 => {
                let boundary = SEARCH_CHUNK * (case + 1);
                log.resize(boundary, b'x');
                log.extend_from_slice(forged.as_bytes());
            }
            // Its first bytes parse; the line goes on past 1 MiB.
            2 => {
                log.extend_from_slice(forged.as_bytes());
                log.extend(std::iter::repeat_n(b' ', MAX_LINE_BYTES + 10));
            }
            // Both, with the padding straddling the boundary.
            _ => {
                log.extend_from_slice(forged.as_bytes());
                log.resize(SEARCH_CHUNK + 3, b' ');
            }
        }
        log.push(b'\n');
        fs::write(&paths.events, &log).unwrap();

        assert_eq!(
            state_of(&dir, &id),
            ("CREATED".into(), "CREATED".into()),
            "case {case}"
        );
        let events = cli_ok(&dir, &["events", "--shipment", &id]);
        assert_eq!(events.lines().count(), 1, "case {case}: {events}");
        // A one-shot writer, then a long-running one, continue from seq 1.
        let out = cli_ok(
            &dir,
            &[
                "advance",
                &id,
                "MANAGER_APPROVED",
                "--actor",
                "SENDER_MANAGER",
            ],
        );
        assert!(out.contains("MANAGER_APPROVED"), "case {case}: {out}");
        let next = JsonlStore::open_indexed(&paths, "w")
            .unwrap()
            .append_request(
                &AppendRequest::advance(
                    first.event.shipment_id,
                    EventType::SupervisorApproved,
                    Actor::SenderSupervisor,
                    Map::new(),
                )
                .expecting_seq(2),
            )
            .unwrap();
        assert_eq!(next.event.event_seq, 3, "case {case}");
        assert_eq!(
            state_of(&dir, &id),
            ("SUPERVISOR_APPROVED".into(), "SUPERVISOR_APPROVED".into())
        );
        let report = LogIndex::load(&paths).unwrap().verify_report();
        let found: Vec<_> = report.errors.iter().map(|f| (f.kind, f.line)).collect();
        assert_eq!(
            found,
            [(
                control_tower::read::verify::FindingKind::MalformedLine,
                Some(2)
            )],
            "case {case}"
        );
    }
}

/// Lines of several MiB after the newest creation (whole, or a torn tail),
/// cut at every kind of read edge: the backwards tail scan crosses them in
/// bounded reads and finds the right last line, highest ID and chain head.
#[test]
fn multi_megabyte_lines_after_the_newest_creation_are_crossed() {
    for (extra, torn) in [
        (0, false),
        (1, false),
        (4095, false),
        (256 * 1024 - 7, false),
        (1 << 20, false),
        (3, true),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let paths = LogPaths::new(tmp.path().join("logs"));
        let mut store = JsonlStore::open(&paths, "w").unwrap();
        for _ in 0..3 {
            store
                .append_request(&AppendRequest::create(created()))
                .unwrap();
        }
        let two = control_tower::domain::ShipmentId::new(2).unwrap();
        let approve = |id| {
            AppendRequest::advance(
                id,
                EventType::ManagerApproved,
                Actor::SenderManager,
                Map::new(),
            )
        };
        store.append_request(&approve(two)).unwrap();
        drop(store);
        let last_line = {
            let log = fs::read(&paths.events).unwrap();
            let text = String::from_utf8(log).unwrap();
            text.lines().last().unwrap().to_string()
        };
        let mut junk = vec![b'{'; 5 * 1000 * 1000 + extra];
        if !torn {
            junk.push(b'\n');
        }
        fs::OpenOptions::new()
            .append(true)
            .open(&paths.events)
            .unwrap()
            .write_all(&junk)
            .unwrap();
        let len = fs::metadata(&paths.events).unwrap().len();
        let file = fs::File::open(&paths.events).unwrap();
        let tail = control_tower::log::scan::scan_tail(&file, &paths.events, len).unwrap();
        assert_eq!(tail.max_id, 3, "extra {extra}");
        assert_eq!(
            tail.last_hash
                .map(|h| control_tower::domain::line::hash_hex(&h)),
            Some(control_tower::domain::line::hash_hex(
                &control_tower::domain::line::hash_line(last_line.as_bytes())
            )),
            "extra {extra}"
        );
        let complete = if torn { len - junk.len() as u64 } else { len };
        assert_eq!(tail.complete_len, complete, "extra {extra}");

        let dir = paths.dir.clone();
        assert_eq!(
            cli_ok(
                &dir,
                &[
                    "create",
                    "--source",
                    "A",
                    "--destination",
                    "B",
                    "--weight-kg",
                    "1",
                    "--delivery-type",
                    "EXPRESS"
                ]
            )
            .trim(),
            "SHP-0000000004"
        );
        cli_ok(
            &dir,
            &[
                "advance",
                "SHP-0000000001",
                "MANAGER_APPROVED",
                "--actor",
                "SENDER_MANAGER",
            ],
        );
        assert_eq!(state_of(&dir, "SHP-0000000001").0, "MANAGER_APPROVED");
        let report = LogIndex::load(&paths).unwrap().verify_report();
        let found: Vec<_> = report.errors.iter().map(|f| (f.kind, f.line)).collect();
        assert_eq!(
            found,
            [(
                control_tower::read::verify::FindingKind::MalformedLine,
                Some(5)
            )],
            "extra {extra}: {:?}",
            report.errors
        );
    }
}
