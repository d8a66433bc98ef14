//! The query language's text → `Query`: terms split on spaces (double
//! quotes group words), `-` negates, `field:value` / `field=value` match
//! text, `field<value` (and `<=`, `>`, `>=`) compares numbers, times and
//! durations. Everything is lowercased here once, so matching compares
//! bytes. A malformed query is a `QueryError` naming what and where.

use chrono::{NaiveDate, TimeZone, Utc};

use crate::domain::Timestamp;
use crate::error::Error;

/// Why a query cannot be read, and the column (1-based, in characters)
/// where the problem starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad query at column {column}: {what}")]
pub struct QueryError {
    pub column: usize,
    pub what: String,
}

impl From<QueryError> for Error {
    fn from(e: QueryError) -> Error {
        Error::Usage(e.to_string())
    }
}

/// A parsed query: every term must hold (AND).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub negated: bool,
    pub kind: TermKind,
    /// Column (1-based) of the term's first character, for errors found later.
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TermKind {
    /// A free word: a substring of any field (lowercase).
    Word(String),
    /// `field:value` (substring) or `field=value` (exact); value lowercase.
    Field {
        field: Field,
        value: String,
        exact: bool,
    },
    /// `field<value` and friends, normalised so a date is a whole day.
    Compare { field: Measure, op: Op, value: f64 },
}

/// What `field:value` looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Id,
    State,
    Actor,
    Operator,
    Source,
    Destination,
    Type,
    Event,
    Weight,
    Events,
    Created,
    Updated,
    /// Any payload key of any event (lowercase).
    Payload(String),
}

/// What a comparison measures. Times are microseconds since the epoch,
/// durations are microseconds, so one `f64` compares them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measure {
    Weight,
    Events,
    Created,
    Updated,
    /// now − created.
    Age,
    /// now − last update.
    Idle,
    /// A payload key: its value as a number, or as a time when the
    /// comparison's value was one (`time` says which).
    Payload {
        key: String,
        time: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Gt => left > right,
            Op::Ge => left >= right,
        }
    }
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Reads a query; the empty text is the query that matches everything.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        let terms = split(text)?
            .into_iter()
            .map(|raw| term(&raw))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Query { terms })
    }

    /// The payload keys a comparison names (checked against the log's keys:
    /// a comparison on a key no shipment has is a mistake, not a miss).
    pub fn check_keys(&self, known: impl Fn(&str) -> bool) -> Result<(), QueryError> {
        for term in &self.terms {
            if let TermKind::Compare {
                field: Measure::Payload { key, .. },
                ..
            } = &term.kind
                && !known(key)
            {
                return Err(QueryError {
                    column: term.column,
                    what: format!("{key} is not a number or time field"),
                });
            }
        }
        Ok(())
    }
}

/// One term as typed: its text without quotes, whether a `-` negated it,
/// whether any part was quoted, and where it starts.
struct RawTerm {
    text: String,
    negated: bool,
    column: usize,
    /// How many `-` came first.
    dashes: usize,
    /// Byte length of the part before the first quote (a quoted `:` is text).
    unquoted_prefix: usize,
}

/// Splits on spaces outside quotes.
fn split(text: &str) -> Result<Vec<RawTerm>, QueryError> {
    let mut terms = Vec::new();
    let mut chars = text.chars().enumerate().peekable();
    while let Some(&(at, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut raw = RawTerm {
            text: String::new(),
            negated: false,
            column: at + 1,
            dashes: 0,
            unquoted_prefix: usize::MAX,
        };
        // `--x` is `x`: each `-` negates what follows.
        let mut dashes = 0;
        while chars.peek().is_some_and(|&(_, c)| c == '-') {
            raw.negated = !raw.negated;
            dashes += 1;
            chars.next();
        }
        raw.dashes = dashes;
        let mut quote_at = None;
        while let Some(&(i, c)) = chars.peek() {
            if quote_at.is_none() && c.is_whitespace() {
                break;
            }
            chars.next();
            if c == '"' {
                if quote_at.is_none() {
                    raw.unquoted_prefix = raw.unquoted_prefix.min(raw.text.len());
                    quote_at = Some(i);
                } else {
                    quote_at = None;
                }
                continue;
            }
            // Control characters separate a record's fields: never text.
            if !c.is_control() {
                raw.text.push(c);
            }
        }
        if let Some(i) = quote_at {
            return Err(error(i + 1, "the quote opened here is never closed"));
        }
        if raw.text.is_empty() && raw.unquoted_prefix == usize::MAX {
            let what = if dashes > 0 {
                "a lone - negates nothing (write -word or -field:value)"
            } else {
                "empty term"
            };
            return Err(error(raw.column, what));
        }
        terms.push(raw);
    }
    Ok(terms)
}

fn error(column: usize, what: impl Into<String>) -> QueryError {
    QueryError {
        column,
        what: what.into(),
    }
}

/// The operator of a term, if any: where it is in the text, which, and its length.
fn operator(text: &str, limit: usize) -> Option<(usize, Operator, usize)> {
    let bytes = text.as_bytes();
    let end = limit.min(bytes.len());
    let i = bytes[..end]
        .iter()
        .position(|b| matches!(b, b':' | b'=' | b'<' | b'>'))?;
    let next = bytes.get(i + 1);
    Some(match (bytes[i], next) {
        (b':', _) => (i, Operator::Contains, 1),
        (b'=', _) => (i, Operator::Exact, 1),
        (b'<', Some(b'=')) => (i, Operator::Cmp(Op::Le), 2),
        (b'>', Some(b'=')) => (i, Operator::Cmp(Op::Ge), 2),
        (b'<', _) => (i, Operator::Cmp(Op::Lt), 1),
        _ => (i, Operator::Cmp(Op::Gt), 1),
    })
}

#[derive(Clone, Copy)]
enum Operator {
    Contains,
    Exact,
    Cmp(Op),
}

fn term(raw: &RawTerm) -> Result<Term, QueryError> {
    let column = raw.column + raw.dashes;
    let kind = match operator(&raw.text, raw.unquoted_prefix) {
        None => TermKind::Word(raw.text.to_lowercase()),
        Some((at, op, len)) => {
            let name = raw.text[..at].to_lowercase();
            let value = &raw.text[at + len..];
            if name.trim().is_empty() {
                return Err(error(column, "empty field name before the operator"));
            }
            match op {
                Operator::Contains | Operator::Exact => TermKind::Field {
                    field: text_field(&name, column)?,
                    value: value.to_lowercase(),
                    exact: matches!(op, Operator::Exact),
                },
                Operator::Cmp(op) => compare(&name, op, value, column)?,
            }
        }
    };
    Ok(Term {
        negated: raw.negated,
        kind,
        column,
    })
}

fn text_field(name: &str, column: usize) -> Result<Field, QueryError> {
    Ok(match name {
        "id" => Field::Id,
        "state" => Field::State,
        "actor" => Field::Actor,
        "operator" => Field::Operator,
        "source" => Field::Source,
        "destination" => Field::Destination,
        "type" | "delivery_type" => Field::Type,
        "event" => Field::Event,
        "weight" | "weight_kg" => Field::Weight,
        "events" => Field::Events,
        "created" => Field::Created,
        "updated" => Field::Updated,
        "age" | "idle" => {
            return Err(error(
                column,
                format!("{name} takes a comparison, e.g. {name}>2h"),
            ));
        }
        key => Field::Payload(key.to_string()),
    })
}

fn compare(name: &str, op: Op, value: &str, column: usize) -> Result<TermKind, QueryError> {
    let at = column + name.chars().count();
    let (field, value) = match name {
        "weight" | "weight_kg" => (Measure::Weight, number(value, at)?),
        "events" => (Measure::Events, number(value, at)?),
        "created" => return time_compare(Measure::Created, op, value, at),
        "updated" => return time_compare(Measure::Updated, op, value, at),
        "age" => (Measure::Age, duration(value, at)?),
        "idle" => (Measure::Idle, duration(value, at)?),
        "id" | "state" | "actor" | "operator" | "source" | "destination" | "type"
        | "delivery_type" | "event" => {
            return Err(error(
                column,
                format!("{name} is not a number or time field"),
            ));
        }
        key => {
            let payload = |time| Measure::Payload {
                key: key.to_string(),
                time,
            };
            if let Ok(n) = number(value, at) {
                (payload(false), n)
            } else if parse_time(value).is_some() {
                return time_compare(payload(true), op, value, at);
            } else {
                return Err(error(
                    at,
                    format!("{value:?} is neither a number nor a time (RFC 3339 or a date)"),
                ));
            }
        }
    };
    Ok(TermKind::Compare { field, op, value })
}

fn finite(n: f64) -> Result<f64, ()> {
    if n.is_finite() { Ok(n) } else { Err(()) }
}

fn number(value: &str, column: usize) -> Result<f64, QueryError> {
    value
        .trim()
        .parse::<f64>()
        .map_err(|_| ())
        .and_then(finite)
        .map_err(|_| error(column, format!("{value:?} is not a number")))
}

/// A time, as microseconds since the epoch, with the length of the span
/// it names: a date is a whole day (`<` before it, `<=` to its end,
/// `>=` from its start, `>` after it); an RFC 3339 time is one instant.
fn parse_time(text: &str) -> Option<(f64, f64)> {
    if let Some(t) = Timestamp::parse(text.trim()) {
        return Some((t.instant().timestamp_micros() as f64, 0.0));
    }
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    let start = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0)?);
    Some((start.timestamp_micros() as f64, DAY_MICROS))
}

const DAY_MICROS: f64 = 86_400_000_000.0;

fn time_compare(
    field: Measure,
    op: Op,
    value: &str,
    column: usize,
) -> Result<TermKind, QueryError> {
    let Some((start, span)) = parse_time(value) else {
        return Err(error(
            column,
            format!(
                "{value:?} is not a time (RFC 3339, e.g. 2026-01-20T12:00:00Z, or a date 2026-01-20)"
            ),
        ));
    };
    // A date's end is its last instant: `<=` and `>` move to the next day's start.
    let (op, value) = match op {
        Op::Le if span > 0.0 => (Op::Lt, start + span),
        Op::Gt if span > 0.0 => (Op::Ge, start + span),
        _ => (op, start),
    };
    Ok(TermKind::Compare { field, op, value })
}

/// `90s`, `15m`, `2h`, `3d`, `1w`, or several (`1h30m`), in microseconds.
fn duration(text: &str, column: usize) -> Result<f64, QueryError> {
    let bad = || {
        error(
            column,
            format!("{text:?} is not a duration (like 90s, 15m, 2h, 3d)"),
        )
    };
    let mut total = 0.0;
    let mut digits = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() || c == '.' {
            digits.push(c);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86_400.0,
            'w' => 604_800.0,
            _ => return Err(bad()),
        };
        let n: f64 = digits.parse().map_err(|_| bad())?;
        total += n * unit * 1e6;
        digits.clear();
        any = true;
    }
    if !digits.is_empty() || !any {
        return Err(bad());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(q: &str) -> QueryError {
        Query::parse(q).expect_err(q)
    }

    #[test]
    fn terms_fields_and_quotes() {
        let q = Query::parse(r#"TRK-5916 reason:"Weight Check" -state=DELIVERED"#).unwrap();
        assert_eq!(q.terms.len(), 3);
        assert_eq!(q.terms[0].kind, TermKind::Word("trk-5916".into()));
        assert_eq!(
            q.terms[1].kind,
            TermKind::Field {
                field: Field::Payload("reason".into()),
                value: "weight check".into(),
                exact: false
            }
        );
        assert!(q.terms[2].negated);
        assert_eq!(Query::parse("  ").unwrap(), Query::default());
        // A quoted colon is text, not a field.
        let q = Query::parse(r#""a:b c""#).unwrap();
        assert_eq!(q.terms[0].kind, TermKind::Word("a:b c".into()));
    }

    #[test]
    fn dates_are_whole_days() {
        let day = parse_time("2026-01-20").unwrap().0;
        let le = Query::parse("created<=2026-01-20").unwrap();
        assert_eq!(
            le.terms[0].kind,
            TermKind::Compare {
                field: Measure::Created,
                op: Op::Lt,
                value: day + DAY_MICROS
            }
        );
        assert_eq!(duration("1h30m", 1).unwrap(), 5400.0 * 1e6);
    }

    #[test]
    fn malformed_queries_say_what_and_where() {
        assert_eq!(err("weight>abc").column, 7);
        assert!(err("weight>abc").what.contains("\"abc\" is not a number"));
        assert!(err("a \"open").what.contains("never closed"));
        assert_eq!(err("a \"open").column, 3);
        assert!(err(":x").what.contains("empty field name"));
        assert!(err("a - b").what.contains("lone -"));
        assert!(err("age>soon").what.contains("not a duration"));
        assert!(err("created<yesterday").what.contains("not a time"));
        assert!(
            err("source>3")
                .what
                .contains("source is not a number or time field")
        );
        let colour = Query::parse("colour>3").unwrap();
        let e = colour.check_keys(|_| false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad query at column 1: colour is not a number or time field"
        );
    }
}
