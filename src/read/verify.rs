//! The verifier: checks each line as it is read (docs/FORMAT.md, "Guarantees") and
//! turns what it found into a report of errors (log CORRUPTED) and warnings
//! (log stays VALID), each with its line number and shipment.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use serde::Serialize;

use crate::domain::id::IdHasher;
use crate::domain::line::{GENESIS_HASH, LineError, LineHash};
use crate::domain::{EventType, ShipmentId, lifecycle};
use crate::log::digest::IndexedEvent;
use crate::read::projection::Projection;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    MalformedLine,
    BadShipmentId,
    SeqGap,
    SeqRepeat,
    FirstEventNotCreated,
    TransitionNotAllowed,
    TimestampWentBack,
    ChainBroken,
    MissingFromCounter,
    TornWrite,
    ActorNotPermitted,
    CounterWithoutShipment,
    UnchainedPrefix,
    MalformedCounterLine,
}

impl FindingKind {
    pub fn severity(self) -> Severity {
        use FindingKind::*;
        match self {
            TornWrite
            | ActorNotPermitted
            | CounterWithoutShipment
            | UnchainedPrefix
            | MalformedCounterLine => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub kind: FindingKind,
    /// 1-based line number in `shipments.jsonl` (or the counter log for
    /// counter findings); `None` when the finding is not about one line.
    pub line: Option<u64>,
    pub shipment_id: Option<ShipmentId>,
    pub message: String,
}

impl Finding {
    fn new(
        kind: FindingKind,
        line: Option<u64>,
        shipment_id: Option<ShipmentId>,
        message: String,
    ) -> Self {
        let prefix = match (line, shipment_id) {
            (Some(l), Some(id)) => format!("line {l}: {id}: "),
            (Some(l), None) => format!("line {l}: "),
            (None, Some(id)) => format!("{id}: "),
            (None, None) => String::new(),
        };
        Finding {
            severity: kind.severity(),
            kind,
            line,
            shipment_id,
            message: format!("{prefix}{message}"),
        }
    }
}

/// At most this many findings are kept in detail; the rest are counted, so a
/// hostile or badly broken log cannot exhaust memory.
pub const MAX_KEPT_FINDINGS: usize = 10_000;

/// Findings, capped at `MAX_KEPT_FINDINGS`, with exact counts.
#[derive(Debug, Default, Clone)]
pub struct FindingList {
    kept: Vec<Finding>,
    errors: u64,
    warnings: u64,
}

impl FindingList {
    pub fn push(&mut self, finding: Finding) {
        match finding.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        if self.kept.len() < MAX_KEPT_FINDINGS {
            self.kept.push(finding);
        }
    }
}

/// Per-line checks; state that spans lines (the chain) lives here, state
/// per shipment is read from the projection before it applies the line.
#[derive(Debug, Default, Clone)]
pub struct Verifier {
    findings: FindingList,
    last_hash: Option<LineHash>,
    last_line: Option<(u64, ShipmentId)>,
    chain_started_at: Option<u64>,
    unchained_lines: u64,
    first_unchained_line: Option<u64>,
}

impl Verifier {
    /// A line that is not a well-formed event.
    pub fn malformed(&mut self, line_no: u64, error: &LineError, oversized: bool) {
        let (kind, message) = if oversized {
            (
                FindingKind::MalformedLine,
                "line longer than 1 MiB: not an event".to_string(),
            )
        } else {
            match error {
                LineError::Truncated => (
                    FindingKind::TornWrite,
                    format!("{error}; kept, never parsed as an event"),
                ),
                LineError::BadShipmentId(_) => (FindingKind::BadShipmentId, error.to_string()),
                _ => (FindingKind::MalformedLine, error.to_string()),
            }
        };
        self.findings
            .push(Finding::new(kind, Some(line_no), None, message));
    }

    /// A well-formed event, checked against its shipment's summary as it
    /// was before this event.
    pub fn check(&mut self, record: &IndexedEvent, projection: &Projection) {
        let (id, line_no) = (record.shipment_id, record.line_no);
        let mut push = |kind, message: String| {
            self.findings
                .push(Finding::new(kind, Some(line_no), Some(id), message))
        };
        match projection.get(id) {
            None => {
                if record.event_type != EventType::Created {
                    push(
                        FindingKind::FirstEventNotCreated,
                        format!("first event is {}, not CREATED", record.event_type),
                    );
                }
                if record.event_seq != 1 {
                    push(
                        FindingKind::SeqGap,
                        format!("first event has seq {}; expected 1", record.event_seq),
                    );
                }
            }
            Some(prev) => {
                let expected = u64::from(prev.seq) + 1;
                if u64::from(record.event_seq) < expected {
                    push(
                        FindingKind::SeqRepeat,
                        format!(
                            "seq {} repeats or goes back (last was {})",
                            record.event_seq, prev.seq
                        ),
                    );
                } else if u64::from(record.event_seq) > expected {
                    push(
                        FindingKind::SeqGap,
                        format!("seq {} skips ahead (expected {expected})", record.event_seq),
                    );
                }
                if !lifecycle::is_allowed(Some(prev.state), record.event_type) {
                    push(
                        FindingKind::TransitionNotAllowed,
                        format!("{} may not follow {}", record.event_type, prev.state),
                    );
                }
                if record.timestamp < prev.last_updated {
                    push(
                        FindingKind::TimestampWentBack,
                        format!(
                            "timestamp {} is earlier than the shipment's previous event ({})",
                            record.timestamp, prev.last_updated
                        ),
                    );
                }
            }
        }
        if !lifecycle::may_append(record.actor, record.event_type) {
            push(
                FindingKind::ActorNotPermitted,
                format!(
                    "{} appended {}, which only {} may append",
                    record.actor,
                    record.event_type,
                    names(lifecycle::permitted_actors(record.event_type))
                ),
            );
        }
        self.check_chain(record);
    }

    fn check_chain(&mut self, record: &IndexedEvent) {
        let line_no = record.line_no;
        match (record.prev_hash, self.chain_started_at) {
            (Some(recorded), _) => {
                self.chain_started_at.get_or_insert(line_no);
                let expected = self.last_hash.unwrap_or(GENESIS_HASH);
                if recorded != expected {
                    let finding = match self.last_line {
                        Some((prev_line, prev_id)) => Finding::new(
                            FindingKind::ChainBroken,
                            Some(prev_line),
                            Some(prev_id),
                            format!("hash chain broken: line {line_no} records a different hash for line {prev_line}: line {prev_line} was altered, or lines were removed or inserted between them"),
                        ),
                        None => Finding::new(
                            FindingKind::ChainBroken,
                            Some(line_no),
                            Some(record.shipment_id),
                            "hash chain broken: the first event does not start the chain (lines before it were removed?)".into(),
                        ),
                    };
                    self.findings.push(finding);
                }
            }
            (None, Some(start)) => self.findings.push(Finding::new(
                FindingKind::ChainBroken,
                Some(line_no),
                Some(record.shipment_id),
                format!("hash chain broken: line has no prev_hash although the chain started at line {start} (inserted by a tool that does not chain, or edited)"),
            )),
            (None, None) => {
                self.unchained_lines += 1;
                self.first_unchained_line.get_or_insert(line_no);
            }
        }
        self.last_hash = Some(record.hash);
        self.last_line = Some((line_no, record.shipment_id));
    }

    /// The hash of the last well-formed line (`None`: no line yet).
    pub fn last_hash(&self) -> Option<LineHash> {
        self.last_hash
    }

    /// The hash the next appended line will carry as `prev_hash`.
    pub fn head_hash(&self) -> LineHash {
        self.last_hash.unwrap_or(GENESIS_HASH)
    }

    /// Findings made while reading, plus those that need the whole log.
    pub fn report(
        &self,
        projection: &Projection,
        counters: &CounterSet,
        unterminated: Option<(u64, u64)>,
    ) -> VerifyReport {
        let mut findings = self.findings.clone();
        if self.unchained_lines > 0 {
            let first = self.first_unchained_line.unwrap_or(1);
            let message = match self.chain_started_at {
                Some(start) => format!(
                    "{} line(s) from line {first} carry no prev_hash (written by an older tool); the hash chain starts at line {start}",
                    self.unchained_lines
                ),
                None => format!(
                    "{} line(s) carry no prev_hash (written by an older tool): not tamper-evident",
                    self.unchained_lines
                ),
            };
            findings.push(Finding::new(
                FindingKind::UnchainedPrefix,
                Some(first),
                None,
                message,
            ));
        }
        // Every shipment's number, for the counters below: a bitmap read in
        // cache, where a lookup per counter in the projection misses it.
        let mut shipments = NumberSet::default();
        for summary in projection.shipments() {
            shipments.insert(summary.id.number());
            if !counters.contains(summary.id.number()) {
                findings.push(Finding::new(
                    FindingKind::MissingFromCounter,
                    Some(summary.first_line),
                    Some(summary.id),
                    "ID is missing from shipment_counter.jsonl".into(),
                ));
            }
        }
        for &(counter, line) in counters.entries() {
            if !shipments.contains(counter) {
                findings.push(Finding::new(
                    FindingKind::CounterWithoutShipment,
                    None,
                    ShipmentId::new(counter),
                    format!("shipment_counter.jsonl line {line} generated counter {counter} but no event names it (a crash between the two appends?)"),
                ));
            }
        }
        for &line in counters.malformed_lines() {
            findings.push(Finding::new(
                FindingKind::MalformedCounterLine,
                None,
                None,
                format!("shipment_counter.jsonl line {line} is not a counter line"),
            ));
        }
        if let Some((line_no, bytes)) = unterminated {
            findings.push(Finding::new(
                FindingKind::TornWrite,
                Some(line_no),
                None,
                format!("last line has no newline ({bytes} bytes): a write in progress or a torn write; the next append will end it"),
            ));
        }
        VerifyReport::new(findings, self.head_hash(), projection.total_events())
    }
}

fn names(items: &[crate::domain::Actor]) -> String {
    items
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Numbers (shipment numbers, counters): a bitmap while they are small, as
/// IDs handed out from 1 up are, and a hash set beyond, so a hostile
/// counter of 10^18 costs no memory.
#[derive(Debug, Default, Clone)]
struct NumberSet {
    bits: Vec<u64>,
    far: HashSet<u64, BuildHasherDefault<IdHasher>>,
}

impl NumberSet {
    /// Numbers below this live in the bitmap (at most 2 MiB).
    const DENSE: u64 = 1 << 24;

    /// True if `n` was not in the set.
    fn insert(&mut self, n: u64) -> bool {
        if n >= Self::DENSE {
            return self.far.insert(n);
        }
        let (word, bit) = ((n / 64) as usize, 1u64 << (n % 64));
        if word >= self.bits.len() {
            self.bits.resize(word + 1, 0);
        }
        let new = self.bits[word] & bit == 0;
        self.bits[word] |= bit;
        new
    }

    fn contains(&self, n: u64) -> bool {
        if n >= Self::DENSE {
            return self.far.contains(&n);
        }
        let (word, bit) = ((n / 64) as usize, 1u64 << (n % 64));
        self.bits.get(word).is_some_and(|w| w & bit != 0)
    }

    /// Forgets the numbers above `max`.
    fn retain_up_to(&mut self, max: u64) {
        self.far.retain(|&n| n <= max);
        if max >= Self::DENSE {
            return;
        }
        let words = (max / 64 + 1) as usize;
        self.bits.truncate(words);
        if let Some(last) = self.bits.get_mut(words - 1) {
            // Bits 0..=max%64 stay.
            *last &= u64::MAX >> (63 - max % 64);
        }
    }
}

/// The counters of `shipment_counter.jsonl`, with their line numbers.
#[derive(Debug, Default, Clone)]
pub struct CounterSet {
    seen: NumberSet,
    entries: Vec<(u64, u64)>,
    malformed: Vec<u64>,
}

impl CounterSet {
    pub fn apply_line(&mut self, line_no: u64, bytes: &[u8]) {
        match crate::domain::line::parse_counter_line(bytes) {
            Some(counter) => {
                if self.seen.insert(counter) {
                    self.entries.push((counter, line_no));
                }
            }
            None if bytes.iter().all(u8::is_ascii_whitespace) => {}
            None => self.malformed.push(line_no),
        }
    }

    pub fn contains(&self, counter: u64) -> bool {
        self.seen.contains(counter)
    }

    /// Forgets counters above `max` (IDs handed out after a past moment).
    pub fn retain_up_to(&mut self, max: u64) {
        self.seen.retain_up_to(max);
        self.entries.retain(|&(c, _)| c <= max);
    }

    pub fn entries(&self) -> &[(u64, u64)] {
        &self.entries
    }

    pub fn malformed_lines(&self) -> &[u64] {
        &self.malformed
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub valid: bool,
    /// `VALID` or `CORRUPTED`.
    pub log_integrity: &'static str,
    pub total_events: u64,
    pub head_hash: String,
    /// Exact counts; the lists below hold at most `MAX_KEPT_FINDINGS` in all.
    pub error_count: u64,
    pub warning_count: u64,
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl VerifyReport {
    fn new(findings: FindingList, head: LineHash, total_events: u64) -> Self {
        let FindingList {
            mut kept,
            errors: error_count,
            warnings: warning_count,
        } = findings;
        kept.sort_by_key(|f| (f.severity == Severity::Warning, f.line.unwrap_or(u64::MAX)));
        let (errors, warnings): (Vec<_>, Vec<_>) = kept
            .into_iter()
            .partition(|f| f.severity == Severity::Error);
        let valid = error_count == 0;
        VerifyReport {
            valid,
            error_count,
            warning_count,
            log_integrity: if valid { "VALID" } else { "CORRUPTED" },
            total_events,
            head_hash: crate::domain::line::hash_hex(&head),
            errors,
            warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn number_sets_behave_as_hash_sets(
            ops in proptest::collection::vec(
                (0u8..3, prop_oneof![0u64..300, Just(NumberSet::DENSE - 1), NumberSet::DENSE..NumberSet::DENSE + 9, any::<u64>()]),
                0..60,
            )
        ) {
            let (mut set, mut model) = (NumberSet::default(), HashSet::new());
            for (op, n) in ops {
                match op {
                    0 => prop_assert_eq!(set.insert(n), model.insert(n)),
                    1 => {
                        set.retain_up_to(n);
                        model.retain(|&m| m <= n);
                    }
                    _ => {}
                }
                for probe in [n, n.wrapping_add(1), n.saturating_sub(1), 0, 63, 64, 299] {
                    prop_assert_eq!(set.contains(probe), model.contains(&probe), "{}", probe);
                }
            }
        }
    }
}
