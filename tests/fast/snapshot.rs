//! Projection snapshots (`DATA_DIR/cache/projection.snapshot`): a reader
//! opened from one and the tail after it equals a full replay, for any
//! cut point; every way a snapshot can stop matching (the log edited or
//! truncated under it, the file truncated, bit-flipped, of another
//! version, two processes writing it at once) ends in a correct
//! projection and a note, never a wrong row. Logs are generated
//! (`loggen`) past `MIN_EVENTS`, the size below which none is written.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};

use control_tower::cli::bench::loggen;
use control_tower::domain::ShipmentId;
use control_tower::domain::line::{hash_hex, hash_line};
use control_tower::read::index::LogIndex;
use control_tower::read::prefix_check::check_prefix;
use control_tower::read::projection::Projection;
use control_tower::read::resume::Opened;
use control_tower::read::snapshot::{self, FORMAT_VERSION, Found, MIN_EVENTS};
use control_tower::store::{Location, LogPaths};
use proptest::prelude::*;
use proptest::test_runner::Config;
use sha2::{Digest, Sha256};

use crate::support::{Env, Run, assert_index_matches_replay, ct};

/// Events in the generated logs: past `MIN_EVENTS`, small enough to
/// generate and replay in a blink.
const EVENTS: u64 = 20_000;

/// Where the body starts: magic (8), version (4), SHA-256 of the body (32).
const BODY: usize = 44;

/// A fresh data directory with a generated log of `events` events.
fn generated(events: u64) -> (tempfile::TempDir, LogPaths) {
    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    loggen::generate(&paths, events, 7).unwrap();
    (tmp, paths)
}

/// The log's lines, each with its `\n`.
fn lines_of(path: &Path) -> Vec<Vec<u8>> {
    fs::read(path)
        .unwrap()
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn write_lines(path: &Path, lines: &[Vec<u8>]) {
    fs::write(path, lines.concat()).unwrap();
}

/// A full replay of the log writes its snapshot (as `list` does).
fn save_snapshot(paths: &LogPaths) -> PathBuf {
    let mut index = LogIndex::load(paths).unwrap();
    assert!(
        index.save_snapshot_if_due(true).unwrap(),
        "no snapshot written"
    );
    let path = snapshot_path(paths);
    assert!(path.is_file(), "{} missing", path.display());
    path
}

fn snapshot_path(paths: &LogPaths) -> PathBuf {
    snapshot::path_of(&Location::File(paths.clone())).unwrap()
}

/// A generated log of `EVENTS` events with a snapshot of all of it.
fn snapshotted() -> (tempfile::TempDir, LogPaths, PathBuf) {
    let (tmp, paths) = generated(EVENTS);
    let path = save_snapshot(&paths);
    (tmp, paths, path)
}

/// Opens `paths` with `open_fast`; it must have ignored the snapshot with
/// a note saying `why`, and hold exactly what a full replay holds.
fn assert_replayed_with_note(paths: &LogPaths, why: &str) -> String {
    let location = Location::File(paths.clone());
    let (index, opened) = LogIndex::open_fast(&location).unwrap();
    let Opened::Replayed(Some(note)) = opened else {
        panic!("expected a full replay with a note ({why}), got {opened:?}");
    };
    assert!(note.contains(why), "the note does not say {why:?}: {note}");
    assert!(note.contains("ignored"), "{note}");
    assert!(!note.contains('\n'), "one line: {note:?}");
    assert!(
        index.unverified().is_none(),
        "a replay leaves nothing unverified"
    );
    assert_index_matches_replay(&index, &LogIndex::load(paths).unwrap());
    note
}

/// Opens from the snapshot, then runs and adopts the background check:
/// what the dashboard does.
fn open_and_check(paths: &LogPaths) -> (LogIndex, Opened, Result<(), String>) {
    let location = Location::File(paths.clone());
    let (mut index, opened) = LogIndex::open_fast(&location).unwrap();
    let unverified = index.unverified().cloned().expect("lines left to verify");
    let checked = check_prefix(&location, &unverified, |_, _| true)
        .unwrap()
        .expect("not stopped");
    let adopted = index.adopt_check(checked);
    (index, opened, adopted)
}

/// The shipments whose rows differ between `a` and `b` (same shipments).
fn differing_rows(a: &Projection, b: &Projection) -> Vec<ShipmentId> {
    assert_eq!(a.total_shipments(), b.total_shipments());
    let mut ids: Vec<ShipmentId> = b
        .shipments()
        .iter()
        .filter(|s| a.get(s.id) != Some(*s))
        .map(|s| s.id)
        .collect();
    ids.sort();
    ids
}

// ---- round trip ----

proptest! {
    #![proptest_config(Config { cases: 8, ..Config::default() })]

    /// The snapshot of the first K events plus the lines after them equals
    /// a full replay of the whole log, and the check of the K lines agrees.
    #[test]
    fn a_snapshot_plus_its_tail_equals_a_full_replay(cut in MIN_EVENTS..=EVENTS) {
        let (tmp, full) = generated(EVENTS);
        let lines = lines_of(&full.events);
        prop_assert_eq!(lines.len() as u64, EVENTS);

        let paths = LogPaths::new(tmp.path().join("cut"));
        paths.create_dir().unwrap();
        fs::copy(&full.counter, &paths.counter).unwrap();
        write_lines(&paths.events, &lines[..cut as usize]);
        save_snapshot(&paths);
        write_lines(&paths.events, &lines);

        let fresh = LogIndex::load(&paths).unwrap();
        let (index, opened, adopted) = open_and_check(&paths);
        prop_assert_eq!(opened, Opened::FromSnapshot(cut));
        prop_assert_eq!(adopted, Ok(()));
        prop_assert!(index.unverified().is_none());
        assert_index_matches_replay(&index, &fresh);
        prop_assert!(index.verify_report().valid);
    }
}

#[test]
fn a_log_below_min_events_gets_no_snapshot() {
    let (_tmp, paths) = generated(MIN_EVENTS - 8);
    let mut index = LogIndex::load(&paths).unwrap();
    assert!(!index.save_snapshot_if_due(true).unwrap());
    assert!(!snapshot_path(&paths).exists());
}

#[test]
fn a_snapshot_of_the_whole_log_opens_with_nothing_to_tail() {
    let (_tmp, paths, _) = snapshotted();
    let (index, opened, adopted) = open_and_check(&paths);
    assert_eq!(opened, Opened::FromSnapshot(EVENTS));
    assert_eq!(adopted, Ok(()));
    assert_index_matches_replay(&index, &LogIndex::load(&paths).unwrap());
}

// ---- the log edited before the offset ----

/// Replaces the first `from` in line `n` (0-based) by `to`, of the same
/// length: every offset, and the key line, stay as they were.
fn edit_line(paths: &LogPaths, n: usize, from: &str, to: &str) -> Vec<Vec<u8>> {
    assert_eq!(from.len(), to.len(), "an edit in place");
    let mut lines = lines_of(&paths.events);
    let text = String::from_utf8(lines[n].clone()).unwrap();
    assert!(text.contains(from), "line {n} has no {from:?}: {text}");
    lines[n] = text.replacen(from, to, 1).into_bytes();
    write_lines(&paths.events, &lines);
    lines
}

/// The line (0-based) of `id`'s event `seq`.
fn line_of(paths: &LogPaths, id: u64, seq: u32) -> usize {
    let needle = format!("{{\"shipment_id\":\"SHP-{id:010}\",\"event_seq\":{seq},");
    lines_of(&paths.events)
        .iter()
        .position(|l| l.starts_with(needle.as_bytes()))
        .unwrap()
}

/// The timestamp of line `n`, with its last millisecond digit changed.
fn nudged_time(paths: &LogPaths, n: usize) -> (String, String) {
    let line = String::from_utf8(lines_of(&paths.events)[n].clone()).unwrap();
    let start = line.find("\"timestamp\":\"").unwrap() + 13;
    let time = &line[start..start + line[start..].find('"').unwrap()];
    let (head, last) = time.split_at(time.len() - 2); // "…N" + "Z"
    let digit = last.as_bytes()[0] - b'0';
    let nudged = format!("{}{}Z", &head, (digit + 5) % 10);
    (time.to_string(), nudged)
}

/// An early shipment's last event moved in time, the chain not repaired:
/// the key line is intact, so the snapshot opens, but the background
/// check finds that the lines do not make what it says.
#[test]
fn an_edit_under_the_snapshot_fails_the_background_check() {
    let (_tmp, paths, _) = snapshotted();
    let line = line_of(&paths, 1, 8);
    let (time, nudged) = nudged_time(&paths, line);
    edit_line(&paths, line, &time, &nudged);

    let (index, opened, adopted) = open_and_check(&paths);
    assert_eq!(opened, Opened::FromSnapshot(EVENTS));
    let why = adopted.expect_err("the check must not be adopted");
    assert!(why.contains("does not match"), "{why}");
    assert!(index.unverified().is_some(), "still unverified");

    // A full replay (what replaces it) differs only where the log changed.
    let fresh = LogIndex::load(&paths).unwrap();
    assert!(!fresh.verify_report().valid, "the broken chain is reported");
    let first = ShipmentId::new(1).unwrap();
    assert_eq!(
        differing_rows(index.projection(), fresh.projection()),
        [first]
    );
    let (old, new) = (
        index.projection().get(first).unwrap(),
        fresh.projection().get(first).unwrap(),
    );
    assert_ne!(old.last_updated, new.last_updated);
    let same = |s: &control_tower::read::projection::ShipmentSummary| {
        let mut s = *s;
        s.last_updated = old.last_updated;
        s
    };
    assert_eq!(same(new), *old, "only the time changed");
}

/// The first shipment's source place changed in its CREATED line (same
/// length, so every offset stays): its line and the log's lines.
fn edit_place(paths: &LogPaths) -> (usize, Vec<Vec<u8>>) {
    let line = line_of(paths, 1, 1);
    let text = String::from_utf8(lines_of(&paths.events)[line].clone()).unwrap();
    let start = text.find("\"source\":\"").unwrap() + 10;
    let place = &text[start..start + 4];
    let lines = edit_line(
        paths,
        line,
        &format!("\"source\":\"{place}"),
        "\"source\":\"Xxxx",
    );
    (line, lines)
}

/// An early shipment's place changed in its CREATED line, the chain not
/// repaired: the snapshot still says the old place. The check must not
/// be adopted (else the rows keep a place the log no longer says).
#[test]
fn an_edit_of_a_place_under_the_snapshot_fails_the_background_check() {
    let (_tmp, paths, _) = snapshotted();
    edit_place(&paths);

    let (index, opened, adopted) = open_and_check(&paths);
    assert_eq!(opened, Opened::FromSnapshot(EVENTS));
    let fresh = LogIndex::load(&paths).unwrap();
    let first = ShipmentId::new(1).unwrap();
    assert_eq!(
        differing_rows(index.projection(), fresh.projection()),
        [first]
    );
    assert!(
        adopted.is_err(),
        "adopted a snapshot whose row for {first} is not what the log says: \
         snapshot {:?}, log {:?}",
        index.projection().get(first).unwrap().details.source,
        fresh.projection().get(first).unwrap().details.source,
    );
}

/// The lines from `n` on with their `prev_hash` recomputed: an edit that
/// keeps the chain valid.
fn rechain_from(lines: &mut [Vec<u8>], n: usize) {
    for i in n.max(1)..lines.len() {
        let prev = &lines[i - 1];
        let want = hash_hex(&hash_line(&prev[..prev.len() - 1]));
        let text = String::from_utf8(lines[i].clone()).unwrap();
        let at = text.find("\"prev_hash\":\"").unwrap() + 13;
        let fixed = format!("{}{}{}", &text[..at], want, &text[at + 64..]);
        lines[i] = fixed.into_bytes();
    }
}

/// An early line changed and the chain recomputed after it: the key line's
/// hash changes with it, so the snapshot is ignored and the log replayed.
#[test]
fn a_rechained_edit_under_the_snapshot_is_replayed_with_a_note() {
    let (_tmp, paths, _) = snapshotted();
    let (line, mut lines) = edit_place(&paths);
    rechain_from(&mut lines, line + 1);
    write_lines(&paths.events, &lines);
    assert!(LogIndex::load(&paths).unwrap().verify_report().valid);

    let note = assert_replayed_with_note(&paths, "changed under it");
    assert!(note.contains(&format!("line {EVENTS}")), "{note}");
}

// ---- the log truncated below the offset ----

#[test]
fn a_log_truncated_below_the_snapshot_is_replayed_with_a_note() {
    let (_tmp, paths, _) = snapshotted();
    let lines = lines_of(&paths.events);
    write_lines(&paths.events, &lines[..15_000]);
    assert_replayed_with_note(&paths, "shorter");
}

#[test]
fn a_log_cut_inside_the_snapshots_last_line_is_replayed_with_a_note() {
    let (_tmp, paths, _) = snapshotted();
    let len = fs::metadata(&paths.events).unwrap().len();
    let file = fs::OpenOptions::new()
        .write(true)
        .open(&paths.events)
        .unwrap();
    file.set_len(len - 40).unwrap();
    drop(file);
    assert_replayed_with_note(&paths, "shorter");
}

// ---- the snapshot damaged or of another version ----

fn damage(mangle: impl FnOnce(&mut Vec<u8>), why: &str) {
    let (_tmp, paths, path) = snapshotted();
    let mut bytes = fs::read(&path).unwrap();
    mangle(&mut bytes);
    fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        snapshot::open(&Location::File(paths.clone())),
        Found::Ignored(_)
    ));
    assert_replayed_with_note(&paths, why);
}

#[test]
fn a_truncated_snapshot_is_ignored_with_a_note() {
    damage(|b| b.truncate(b.len() / 2), "damaged");
    damage(|b| b.truncate(b.len() - 1), "damaged");
    damage(|b| b.truncate(20), "shorter than its header");
    damage(Vec::clear, "shorter than its header");
}

#[test]
fn a_bit_flipped_snapshot_is_ignored_with_a_note() {
    damage(
        |b| {
            let middle = BODY + (b.len() - BODY) / 2;
            b[middle] ^= 0x10;
        },
        "damaged",
    );
    damage(|b| b[BODY] ^= 1, "damaged");
    damage(|b| b[BODY - 1] ^= 0x80, "damaged"); // in the checksum
    damage(|b| b[0] ^= 1, "not a snapshot file");
}

#[test]
fn a_snapshot_of_another_version_is_ignored_with_a_note() {
    let set =
        |version: u32| move |b: &mut Vec<u8>| b[8..12].copy_from_slice(&version.to_le_bytes());
    damage(set(0), "format version 0");
    damage(set(FORMAT_VERSION - 1), "format version");
    damage(set(FORMAT_VERSION + 1), "format version");
}

/// A body changed and its checksum made to fit (a forged or buggy
/// writer's file): what decoding cannot reject, the background check
/// must, so that no row it made is kept.
#[test]
fn a_forged_snapshot_with_a_fitting_checksum_is_never_adopted() {
    let (_tmp, paths, path) = snapshotted();
    let mut bytes = fs::read(&path).unwrap();
    let place = b"Mumbai, Maharashtra";
    let at = bytes
        .windows(place.len())
        .position(|w| w == place)
        .expect("a place in the names");
    bytes[at] = b'N';
    let sum = Sha256::digest(&bytes[BODY..]);
    bytes[12..BODY].copy_from_slice(&sum);
    fs::write(&path, &bytes).unwrap();

    let (index, opened, adopted) = open_and_check(&paths);
    assert_eq!(opened, Opened::FromSnapshot(EVENTS));
    let fresh = LogIndex::load(&paths).unwrap();
    let wrong = differing_rows(index.projection(), fresh.projection());
    assert!(!wrong.is_empty(), "the forgery changed rows");
    assert!(
        adopted.is_err(),
        "adopted a snapshot with {} rows the log does not make (e.g. {})",
        wrong.len(),
        wrong[0]
    );
}

// ---- two processes writing snapshots at once ----

fn leftover_temp_files(paths: &LogPaths) -> Vec<String> {
    let dir = snapshot_path(paths).parent().unwrap().to_path_buf();
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != snapshot::FILE_NAME)
        .collect()
}

/// Two `list` processes replay and write the snapshot at the same moment,
/// round after round, while a third process appends: the file left is
/// always one whole snapshot, and no temp file is left behind.
#[test]
fn two_processes_writing_snapshots_at_once_leave_one_whole_file() {
    let env = Env::new();
    loggen::generate(&env.paths(), EVENTS, 7).unwrap();
    let paths = env.paths();
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let appender = scope.spawn(|| {
            let mut created = 0;
            while !done.load(Ordering::SeqCst) {
                env.create();
                created += 1;
            }
            created
        });
        for round in 0..5 {
            let _ = fs::remove_file(snapshot_path(&paths));
            let listers: Vec<_> = (0..2)
                .map(|_| {
                    ct(&env.dir)
                        .arg("list")
                        .stdout(Stdio::null())
                        .stderr(Stdio::piped())
                        .spawn()
                        .unwrap()
                })
                .collect();
            for lister in listers {
                let run = Run::from_output(lister.wait_with_output().unwrap());
                assert_eq!(run.code, 0, "round {round}: {run:?}");
                assert!(run.stderr.is_empty(), "round {round}: {}", run.stderr);
            }
            assert!(snapshot_path(&paths).is_file(), "round {round}: none left");
            assert_eq!(leftover_temp_files(&paths), Vec::<String>::new());
            let found = snapshot::open(&Location::File(paths.clone()));
            assert!(matches!(found, Found::Usable(_)), "round {round}");
        }
        done.store(true, Ordering::SeqCst);
        assert!(appender.join().unwrap() > 0, "nothing appended meanwhile");
    });
    let (index, opened, adopted) = open_and_check(&paths);
    assert!(
        matches!(opened, Opened::FromSnapshot(n) if n >= EVENTS),
        "{opened:?}"
    );
    assert_eq!(adopted, Ok(()));
    assert_index_matches_replay(&index, &LogIndex::load(&paths).unwrap());
}

// ---- the CLI on a damaged snapshot ----

/// `list` on a damaged snapshot says so in one line on stderr, answers
/// exactly as without a snapshot, and writes a whole one again.
#[test]
fn list_on_a_damaged_snapshot_notes_it_and_answers_as_without_one() {
    let (tmp, paths) = generated(EVENTS);
    let plain = LogPaths::new(tmp.path().join("plain"));
    plain.create_dir().unwrap();
    fs::copy(&paths.events, &plain.events).unwrap();
    fs::copy(&paths.counter, &plain.counter).unwrap();
    let list = |dir: &Path| crate::support::run(ct(dir).arg("list")).ok();
    let want = list(&plain.dir);
    assert!(want.stderr.is_empty(), "{}", want.stderr);
    assert_eq!(want.stdout.lines().count() as u64, EVENTS / 8 + 1);

    let first = list(&paths.dir);
    assert_eq!(first.stdout, want.stdout);
    let path = snapshot_path(&paths);
    let mut bytes = fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs::write(&path, &bytes).unwrap();

    let damaged = list(&paths.dir);
    assert_eq!(damaged.stdout, want.stdout, "the same rows");
    let note = damaged.stderr.trim();
    assert_eq!(note.lines().count(), 1, "one line: {note}");
    assert!(
        note.contains("snapshot") && note.contains("ignored"),
        "{note}"
    );
    assert!(note.contains("damaged"), "{note}");
    assert!(note.contains("reading the whole log"), "{note}");

    // Written again after the replay: the next one opens from it, quietly.
    assert!(matches!(
        snapshot::open(&Location::File(paths.clone())),
        Found::Usable(_)
    ));
    let again = list(&paths.dir);
    assert_eq!(again.stdout, want.stdout);
    assert!(again.stderr.is_empty(), "{}", again.stderr);
}

proptest! {
    #![proptest_config(Config { cases: 24, ..Config::default() })]

    /// Random bytes of a snapshot's body changed and its checksum made to
    /// fit: opening never panics, the dashboard's first frame draws, and
    /// the snapshot is either refused or caught by the background check
    /// (or, when the change made no difference, adopted with exactly the
    /// rows a replay makes).
    #[test]
    fn a_snapshot_with_any_body_never_panics_nor_lies(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)
    ) {
        let (_tmp, paths, path) = shared_snapshot();
        let mut bytes = fs::read(&path).unwrap();
        let body = bytes.len() - BODY;
        for (at, byte) in &edits {
            bytes[BODY + at.index(body)] = *byte;
        }
        let sum = Sha256::digest(&bytes[BODY..]);
        bytes[12..BODY].copy_from_slice(&sum);
        fs::write(&path, &bytes).unwrap();
        let mut app = control_tower::tui::App::new(control_tower::tui::AppOptions {
            paths: paths.clone(),
            operator: "tester".into(),
            role: None,
        });
        while app.load_step(1 << 20).unwrap() {}
        app.finish_load();
        control_tower::tui::views::render_to_string(&app, 160, 45, chrono::Utc::now());
        drop(app);
        let location = Location::File(paths.clone());
        let (mut index, opened) = LogIndex::open_fast(&location).unwrap();
        let fresh = LogIndex::load(&paths).unwrap();
        if let Opened::FromSnapshot(_) = opened {
            let unverified = index.unverified().cloned().unwrap();
            let checked = check_prefix(&location, &unverified, |_, _| true).unwrap().unwrap();
            if index.adopt_check(checked).is_ok() {
                assert_index_matches_replay(&index, &fresh);
            }
        } else {
            assert_index_matches_replay(&index, &fresh);
        }
    }
}

/// One generated, snapshotted log per test thread, its snapshot file
/// written back fresh for each case.
fn shared_snapshot() -> (std::sync::Arc<tempfile::TempDir>, LogPaths, PathBuf) {
    use std::sync::{Arc, OnceLock};
    static MADE: OnceLock<(Arc<tempfile::TempDir>, LogPaths, PathBuf, Vec<u8>)> = OnceLock::new();
    let (tmp, paths, path, original) = MADE.get_or_init(|| {
        let (tmp, paths, path) = snapshotted();
        let original = fs::read(&path).unwrap();
        (Arc::new(tmp), paths, path, original)
    });
    fs::write(path, original).unwrap();
    (tmp.clone(), paths.clone(), path.clone())
}

/// A reader that may not write the cache (a read-only account, a full
/// disk) tries once per step, not on every refresh: each try encodes the
/// whole projection.
#[test]
fn a_cache_that_cannot_be_written_is_tried_once_per_step() {
    let (_tmp, paths) = generated(EVENTS);
    // A file where the cache directory would be: nobody can create it.
    fs::write(paths.dir.join("cache"), b"not a directory").unwrap();
    let mut index = LogIndex::load(&paths).unwrap();
    assert!(
        index.save_snapshot_if_due(true).is_err(),
        "the write cannot succeed"
    );
    assert!(!index.save_snapshot_if_due(true).unwrap(), "tried again");
    assert!(index.snapshot_if_due(false).unwrap().is_none());
}
