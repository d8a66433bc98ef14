//! `Matcher`: a `Query` made ready to evaluate against one shipment (its
//! `ShipmentSummary` and its `SearchIndex` record) many times over, with
//! no allocation per shipment for the common terms (the substring finders
//! are built once). Also says where a term matched a shown text, for
//! highlighting.

use std::ops::Range;

use memchr::memmem::Finder;

use super::index::{ENTRY_END, KEY_END, KIND_OPERATOR, KIND_PAYLOAD, Record, bit, values};
use super::parse::{Field, Measure, Query, TermKind};
use crate::domain::{Actor, EventType, ShipmentId, Timestamp};
use crate::read::projection::ShipmentSummary;

pub struct Matcher {
    terms: Vec<Ready>,
    /// The moment `age` and `idle` count to, in microseconds.
    now: f64,
}

struct Ready {
    negated: bool,
    test: Test,
}

enum Test {
    /// Free word: the record's text, its ID, or an actor or event type
    /// whose name holds it (underscored too when it has spaces, so
    /// "in transit" finds IN_TRANSIT).
    Word {
        finders: Vec<Finder<'static>>,
        names: Names,
    },
    /// `actor:` / `event:`: the actors or event types whose names match.
    Names(Names),
    /// `id:` / `id=`.
    Id { value: String, exact: bool },
    /// Entries of a kind (and key): substring or exact value.
    Entry {
        kind: u8,
        key: Vec<u8>,
        value: String,
        exact: bool,
    },
    /// A text of the summary.
    Summary {
        field: Field,
        value: String,
        exact: bool,
    },
    Compare {
        field: Measure,
        op: super::parse::Op,
        value: f64,
    },
}

fn micros(t: Timestamp) -> f64 {
    t.instant().timestamp_micros() as f64
}

impl Matcher {
    pub fn new(query: &Query, now: Timestamp) -> Matcher {
        let terms = query
            .terms
            .iter()
            .map(|t| Ready {
                negated: t.negated,
                test: ready(&t.kind),
            })
            .collect();
        Matcher {
            terms,
            now: micros(now),
        }
    }

    /// Every term holds for this shipment.
    pub fn matches(&self, summary: &ShipmentSummary, record: &Record) -> bool {
        self.terms
            .iter()
            .all(|t| t.test.holds(summary, record, self.now) != t.negated)
    }

    /// Matches everything (no terms).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// The actors and event types (as record bits) whose names match a text.
#[derive(Debug, Clone, Copy, Default)]
struct Names {
    actors: u16,
    events: u16,
}

impl Names {
    fn matching(value: &str, exact: bool) -> Names {
        let mut names = Names::default();
        for actor in Actor::ALL {
            if text_matches(actor.as_str(), value, exact) {
                names.actors |= bit(Actor::ALL, actor);
            }
        }
        for event in EventType::ALL {
            if text_matches(event.as_str(), value, exact) {
                names.events |= bit(EventType::ALL, event);
            }
        }
        names
    }

    fn any(self, record: &Record) -> bool {
        record.actors & self.actors != 0 || record.events & self.events != 0
    }
}

/// `shp-0000000042`: an ID as the search sees it, without allocating.
fn id_text(id: ShipmentId) -> [u8; 14] {
    let mut out = *b"shp-0000000000";
    let mut n = id.number();
    for slot in out[4..].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out
}

fn ready(kind: &TermKind) -> Test {
    match kind {
        TermKind::Word(word) => {
            let mut finders = vec![Finder::new(word.as_bytes()).into_owned()];
            if word.contains(' ') {
                finders.push(Finder::new(word.replace(' ', "_").as_bytes()).into_owned());
            }
            Test::Word {
                finders,
                names: Names::matching(word, false),
            }
        }
        TermKind::Field {
            field,
            value,
            exact,
        } => {
            let entry = |kind: u8, key: &str| Test::Entry {
                kind,
                key: key.as_bytes().to_vec(),
                value: value.clone(),
                exact: *exact,
            };
            let only = |names: Names, actors: bool| {
                Test::Names(Names {
                    actors: if actors { names.actors } else { 0 },
                    events: if actors { 0 } else { names.events },
                })
            };
            match field {
                Field::Id => Test::Id {
                    value: value.clone(),
                    exact: *exact,
                },
                Field::Actor => only(Names::matching(value, *exact), true),
                Field::Event => only(Names::matching(value, *exact), false),
                Field::Operator => entry(KIND_OPERATOR, ""),
                Field::Payload(key) => entry(KIND_PAYLOAD, key),
                other => Test::Summary {
                    field: other.clone(),
                    value: value.clone(),
                    exact: *exact,
                },
            }
        }
        TermKind::Compare { field, op, value } => Test::Compare {
            field: field.clone(),
            op: *op,
            value: *value,
        },
    }
}

impl Test {
    fn holds(&self, s: &ShipmentSummary, record: &Record, now: f64) -> bool {
        match self {
            Test::Word { finders, names } => {
                names.any(record)
                    || finders.iter().any(|f| f.find(&record.text).is_some())
                    || finders.iter().any(|f| f.find(&id_text(s.id)).is_some())
            }
            Test::Names(names) => names.any(record),
            Test::Id { value, exact } => {
                let id = id_text(s.id);
                if *exact {
                    id[..] == *value.as_bytes()
                } else {
                    memchr::memmem::find(&id, value.as_bytes()).is_some()
                }
            }
            Test::Entry {
                kind,
                key,
                value,
                exact,
            } => entry_matches(&record.text, *kind, key, value, *exact),
            Test::Summary {
                field,
                value,
                exact,
            } => summary_text(s, field, |text| text_matches(text, value, *exact)),
            Test::Compare { field, op, value } => {
                let one = |x: Option<f64>| x.is_some_and(|x| op.holds(x, *value));
                match field {
                    Measure::Weight => one(s.details.weight_kg),
                    Measure::Events => one(Some(f64::from(s.event_count))),
                    Measure::Created => one(Some(micros(s.created_at))),
                    Measure::Updated => one(Some(micros(s.last_updated))),
                    Measure::Age => one(Some(now - micros(s.created_at))),
                    Measure::Idle => one(Some(now - micros(s.last_updated))),
                    Measure::Payload { key, time } => {
                        values(&record.text, KIND_PAYLOAD, key.as_bytes())
                            .any(|v| one(payload_number(v, *time)))
                    }
                }
            }
        }
    }
}

/// A payload value as a number, or as a time in microseconds.
fn payload_number(value: &[u8], time: bool) -> Option<f64> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if time {
        Timestamp::parse(&text.to_uppercase()).map(micros)
    } else {
        text.parse::<f64>().ok().filter(|n| n.is_finite())
    }
}

/// Any entry of `kind`/`key` whose value contains (or is) `value`. Jumps
/// from one `KIND key \x1f` to the next with a substring search.
fn entry_matches(record: &[u8], kind: u8, key: &[u8], value: &str, exact: bool) -> bool {
    let mut head = Vec::with_capacity(key.len() + 2);
    head.push(kind);
    head.extend_from_slice(key);
    head.push(KEY_END);
    let value = value.as_bytes();
    let mut rest = record;
    while let Some(at) = memchr::memmem::find(rest, &head) {
        let after = &rest[at + head.len()..];
        let end = memchr::memchr(ENTRY_END, after).unwrap_or(after.len());
        let found = &after[..end];
        let hit = if exact {
            found == value
        } else {
            memchr::memmem::find(found, value).is_some()
        };
        if hit {
            return true;
        }
        rest = &after[end..];
    }
    false
}

/// Hands the summary's text for `field` to `test` (formatting only the
/// fields that are not stored as text).
fn summary_text(s: &ShipmentSummary, field: &Field, test: impl Fn(&str) -> bool) -> bool {
    match field {
        Field::State => test(s.state.as_str()),
        Field::Source => test(&s.details.source),
        Field::Destination => test(&s.details.destination),
        Field::Type => test(&s.details.delivery_type),
        Field::Weight => test(&s.details.weight_text()),
        Field::Events => test(&s.event_count.to_string()),
        Field::Created => test(&s.created_at.to_string()),
        Field::Updated => test(&s.last_updated.to_string()),
        _ => false,
    }
}

/// Case-insensitive: `value` (lowercase) is in `text`, or is all of it;
/// for names with underscores a space stands for `_` too.
fn text_matches(text: &str, value: &str, exact: bool) -> bool {
    if exact {
        return text.to_lowercase() == value
            || (value.contains(' ') && text.to_lowercase() == value.replace(' ', "_"));
    }
    contains_ci(text, value) || (value.contains(' ') && contains_ci(text, &value.replace(' ', "_")))
}

/// Case-insensitive substring test; ASCII without allocating.
pub fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        return n.len() <= h.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(&needle.to_lowercase())
}

/// Where a shown text is highlighted, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spot<'a> {
    Id,
    State,
    Source,
    Destination,
    Type,
    Weight,
    Actor,
    Operator,
    Event,
    /// A payload value under this key.
    Payload(&'a str),
    /// A payload key.
    Key,
}

/// The byte ranges of `text` (shown in `spot`) that a positive term of
/// `query` matched: free words anywhere, `field:value` in its own field.
pub fn highlights(query: &Query, spot: &Spot<'_>, text: &str) -> Vec<Range<usize>> {
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        return Vec::new(); // lowercasing moved bytes: no safe ranges
    }
    let mut ranges = Vec::new();
    for term in query.terms.iter().filter(|t| !t.negated) {
        let (needle, exact) = match &term.kind {
            TermKind::Word(w) => (w.as_str(), false),
            TermKind::Field {
                field,
                value,
                exact,
            } if applies(field, spot) => (value.as_str(), *exact),
            _ => continue,
        };
        if needle.is_empty() {
            continue;
        }
        if exact {
            if lower == needle {
                ranges.push(0..text.len());
            }
            continue;
        }
        let mut from = 0;
        while let Some(at) = lower[from..].find(needle) {
            ranges.push(from + at..from + at + needle.len());
            from += at + needle.len();
        }
    }
    ranges.sort_by_key(|r| r.start);
    ranges
}

fn applies(field: &Field, spot: &Spot<'_>) -> bool {
    match (field, spot) {
        (Field::Id, Spot::Id)
        | (Field::State, Spot::State)
        | (Field::State, Spot::Event)
        | (Field::Event, Spot::Event)
        | (Field::Source, Spot::Source)
        | (Field::Destination, Spot::Destination)
        | (Field::Type, Spot::Type)
        | (Field::Weight, Spot::Weight)
        | (Field::Actor, Spot::Actor)
        | (Field::Operator, Spot::Operator) => true,
        (Field::Source, Spot::Payload(k)) => *k == "source",
        (Field::Destination, Spot::Payload(k)) => *k == "destination",
        (Field::Type, Spot::Payload(k)) => *k == "delivery_type",
        (Field::Weight, Spot::Payload(k)) => *k == "weight_kg",
        (Field::Payload(key), Spot::Payload(k)) => key.eq_ignore_ascii_case(k),
        (Field::Payload(key), Spot::Source) => key == "source",
        (Field::Payload(key), Spot::Destination) => key == "destination",
        (Field::Payload(key), Spot::Type) => key == "delivery_type",
        (Field::Payload(key), Spot::Weight) => key == "weight_kg",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_contains() {
        assert!(contains_ci("Mumbai, Maharashtra", "mumbai"));
        assert!(contains_ci("IN_TRANSIT", "in_tr"));
        assert!(!contains_ci("Delhi", "delhi, x"));
        assert!(contains_ci("MÜNCHEN", "münchen"));
    }

    #[test]
    fn highlights_name_the_matched_part() {
        let q = Query::parse("trk vehicle:5916 -mumbai source:pune").unwrap();
        assert_eq!(
            highlights(&q, &Spot::Payload("vehicle"), "TRK-5916"),
            vec![0..3, 4..8]
        );
        assert_eq!(
            highlights(&q, &Spot::Source, "Mumbai"),
            Vec::<Range<usize>>::new()
        );
        assert_eq!(highlights(&q, &Spot::Source, "Pune, MH"), vec![0..4]);
        assert_eq!(
            highlights(&q, &Spot::Destination, "Pune"),
            Vec::<Range<usize>>::new()
        );
    }
}
