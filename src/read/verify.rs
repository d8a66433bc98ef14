//! The verifier: checks each line as it is read (docs/FORMAT.md, "Guarantees") and
//! turns what it found into a report of errors (log CORRUPTED) and warnings
//! (log stays VALID), each with its line number and shipment.

use serde::Serialize;

use crate::domain::line::{GENESIS_HASH, LineError, LineHash};
use crate::domain::{EventType, ShipmentId, Timestamp, lifecycle};
use crate::log::digest::IndexedEvent;
pub use crate::read::counters::CounterSet;
use crate::read::projection::Projection;

/// What the verifier needs to know of a shipment before its next line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub state: EventType,
    pub seq: u32,
    pub last_updated: Timestamp,
}

/// The shipments read so far, as the verifier asks about them: the live
/// projection, or the lighter table of a background check
/// (`read::prefix_check`).
pub trait Known {
    fn seen(&self, id: ShipmentId) -> Option<Seen>;
    /// Every shipment: its ID, the line number of its first event, and
    /// what it is now.
    fn each_shipment(&self, each: &mut dyn FnMut(ShipmentId, u64, Seen));
    fn total_events(&self) -> u64;
}

impl Known for Projection {
    fn seen(&self, id: ShipmentId) -> Option<Seen> {
        self.get(id).map(|s| Seen {
            state: s.state,
            seq: s.seq,
            last_updated: s.last_updated,
        })
    }

    fn each_shipment(&self, each: &mut dyn FnMut(ShipmentId, u64, Seen)) {
        for s in self.shipments() {
            let seen = Seen {
                state: s.state,
                seq: s.seq,
                last_updated: s.last_updated,
            };
            each(s.id, s.first_line, seen);
        }
    }

    fn total_events(&self) -> u64 {
        Projection::total_events(self)
    }
}

/// Where the chain stood after some lines: what a reader that resumes
/// there (from a snapshot) needs to check the lines that follow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ChainSeed {
    pub last_hash: Option<LineHash>,
    /// Line number and shipment number of the last well-formed line.
    pub last_line: Option<(u64, u64)>,
    pub chain_started_at: Option<u64>,
    pub unchained_lines: u64,
    pub first_unchained_line: Option<u64>,
}

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

    /// `later`'s findings after these (the counts stay exact).
    fn append(&mut self, later: FindingList) {
        let room = MAX_KEPT_FINDINGS.saturating_sub(self.kept.len());
        self.kept.extend(later.kept.into_iter().take(room));
        self.errors += later.errors;
        self.warnings += later.warnings;
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
    /// A verifier that goes on from `seed` (its findings before are not
    /// known here: see `adopt_prefix`).
    pub fn resume(seed: ChainSeed) -> Verifier {
        Verifier {
            last_hash: seed.last_hash,
            last_line: seed
                .last_line
                .and_then(|(line, id)| Some((line, ShipmentId::new(id)?))),
            chain_started_at: seed.chain_started_at,
            unchained_lines: seed.unchained_lines,
            first_unchained_line: seed.first_unchained_line,
            ..Verifier::default()
        }
    }

    /// Where the chain stands now.
    pub fn seed(&self) -> ChainSeed {
        ChainSeed {
            last_hash: self.last_hash,
            last_line: self.last_line.map(|(line, id)| (line, id.number())),
            chain_started_at: self.chain_started_at,
            unchained_lines: self.unchained_lines,
            first_unchained_line: self.first_unchained_line,
        }
    }

    /// Takes in the findings of the lines before the ones this verifier
    /// read (a background check of the prefix a snapshot stood for).
    pub fn adopt_prefix(&mut self, prefix: Verifier) {
        let mut findings = prefix.findings;
        findings.append(std::mem::take(&mut self.findings));
        self.findings = findings;
    }

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
    pub fn check(&mut self, record: &IndexedEvent, known: &dyn Known) {
        let (id, line_no) = (record.shipment_id, record.line_no);
        let mut push = |kind, message: String| {
            self.findings
                .push(Finding::new(kind, Some(line_no), Some(id), message))
        };
        match known.seen(id) {
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
        known: &dyn Known,
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
        let mut counted = 0usize;
        known.each_shipment(&mut |id, first_line, _| {
            if counters.contains(id.number()) {
                counted += 1;
            } else {
                findings.push(Finding::new(
                    FindingKind::MissingFromCounter,
                    Some(first_line),
                    Some(id),
                    "ID is missing from shipment_counter.jsonl".into(),
                ));
            }
        });
        // As many counter lines as shipments they name: every counter has
        // its shipment (and none is repeated), so no need to look each up.
        let every_counter_named = counted == counters.entries().len();
        for &(counter, line) in counters.entries().iter().filter(|_| !every_counter_named) {
            let exists = ShipmentId::new(counter).is_some_and(|id| known.seen(id).is_some());
            if !exists {
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
        VerifyReport::new(findings, self.head_hash(), known.total_events())
    }
}

fn names(items: &[crate::domain::Actor]) -> String {
    items
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
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
