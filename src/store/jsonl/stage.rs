//! Staging one append (or a batch) under the lock: each request is checked
//! by the rules against the shipment's head, given its ID, seq, time,
//! operator and `prev_hash`, and encoded; the next request sees the ones
//! staged before it. Nothing touches the file here.

use super::{Writer, WriterState};
use crate::domain::id::{IdMap, MAX_SHIPMENT_NUMBER};
use crate::domain::line::{
    GENESIS_HASH, LineError, LineHash, LineRecord, NewLine, encode_counter_line, hash_hex,
};
use crate::domain::rules::ShipmentHead;
use crate::domain::{Event, ShipmentId, Timestamp};
use crate::error::{Error, Result};
use crate::log::digest::{self, IndexedEvent, OperatorNames};
use crate::log::files::LogPaths;
use crate::log::lines::LineRef;
use crate::store::decide::{Placement, decide};
use crate::store::{AppendRequest, Appended, CaughtUp, Position, Target};

/// A staged batch, ready to write.
pub(super) struct Output {
    pub counter_lines: String,
    pub bytes: Vec<u8>,
    pub start_len: u64,
    pub digests: Vec<IndexedEvent>,
}

pub(super) struct Staging {
    start_len: u64,
    last_hash: Option<LineHash>,
    last_timestamp: Option<Timestamp>,
    /// The counter log's last entry, then the IDs staged after it.
    counter: Option<u64>,
    /// Heads of shipments staged in this batch (and of a torn event).
    heads: IdMap<ShipmentHead>,
    max_staged_id: u64,
    out: Vec<u8>,
    counter_out: String,
    /// Each staged line as readers digest it (from the parse that checks
    /// it reads back), for the state to take in without parsing it again.
    digests: Vec<IndexedEvent>,
    names: OperatorNames,
}

impl Staging {
    /// For a batch of `requests` requests.
    pub fn new(caught_up: CaughtUp, counter: Option<u64>, requests: usize) -> Self {
        let mut staging = Staging {
            start_len: caught_up.len,
            last_hash: caught_up.last_hash,
            last_timestamp: caught_up.last_timestamp,
            counter,
            heads: IdMap::with_capacity_and_hasher(requests, Default::default()),
            max_staged_id: 0,
            out: Vec::with_capacity(requests * 320),
            counter_out: String::new(),
            digests: Vec::with_capacity(requests),
            names: OperatorNames::default(),
        };
        if let Some(torn) = caught_up.torn {
            // Our `\n` ends the fragment. If only the `\n` had been lost
            // (power cut), it becomes a well-formed event every reader will
            // see: the chain and that shipment's seq continue from it.
            staging.out.push(b'\n');
            if let Some(event) = torn {
                staging.note(event.id, event.head, event.hash);
            }
        }
        staging
    }

    fn note(&mut self, id: ShipmentId, head: ShipmentHead, hash: LineHash) {
        self.last_hash = Some(hash);
        self.last_timestamp = Some(head.at);
        self.max_staged_id = self.max_staged_id.max(id.number());
        self.heads.insert(id, head);
    }

    /// What to write and what it is: counter lines, event bytes, the
    /// log's length before them, and the digests of the events.
    pub fn into_output(self) -> Output {
        Output {
            counter_lines: self.counter_out,
            bytes: self.out,
            start_len: self.start_len,
            digests: self.digests,
        }
    }

    /// Checks one request and stages its line.
    pub fn stage<S: WriterState>(
        &mut self,
        request: &AppendRequest,
        writer: &Writer,
        paths: &LogPaths,
        state: &mut S,
    ) -> Result<Appended> {
        if let Some(policy) = &writer.policy {
            policy.check(&writer.account, &writer.operator, request.event.actor)?;
        }
        let (id, seq, new_counter) = self.place(request, writer, paths, state)?;
        let timestamp = next_timestamp(self.last_timestamp)?;
        let event = Event {
            shipment_id: id,
            event_seq: seq,
            event_type: request.event.event_type,
            timestamp,
            actor: request.event.actor,
            payload: request.event.payload.clone(),
            operator: Some(writer.operator.clone()),
            prev_hash: Some(hash_hex(&self.last_hash.unwrap_or(GENESIS_HASH))),
        };
        let position = Position(self.start_len + self.out.len() as u64);
        let (bytes, digest) = encode(&event, &writer.operator, position, &mut self.names)?;
        if let Some(number) = new_counter {
            self.counter_out
                .push_str(&encode_counter_line(number, &timestamp));
            self.counter = Some(number);
        }
        self.out.extend_from_slice(&bytes);
        self.out.push(b'\n');
        let head = ShipmentHead {
            state: event.event_type,
            seq,
            actor: event.actor,
            operator: digest.operator,
            at: timestamp,
        };
        self.note(id, head, digest.hash);
        self.digests.push(digest);
        Ok(Appended {
            event,
            seq,
            position,
        })
    }

    /// The rules' verdict, then where the event goes: (ID, seq, a new
    /// counter entry for a new shipment).
    fn place<S: WriterState>(
        &mut self,
        request: &AppendRequest,
        writer: &Writer,
        paths: &LogPaths,
        state: &mut S,
    ) -> Result<(ShipmentId, u32, Option<u64>)> {
        let head = match request.target {
            Target::Existing(id) => match self.heads.get(&id) {
                Some(head) => Some(head.clone()),
                None => state.head(&writer.file, paths, id)?,
            },
            Target::New => None,
        };
        match decide(request, head.as_ref())? {
            Placement::Next { id, seq } => Ok((id, seq, None)),
            Placement::New => {
                let counter = self.counter.unwrap_or(0);
                let last = state
                    .highest_id(&writer.file, paths, counter)?
                    .max(self.max_staged_id)
                    .max(counter);
                let id = last
                    .checked_add(1)
                    .and_then(ShipmentId::new)
                    .filter(|id| id.number() <= MAX_SHIPMENT_NUMBER)
                    .ok_or(Error::IdsExhausted)?;
                Ok((id, 1, Some(id.number())))
            }
        }
    }
}

/// The line for `event`, and its digest. What a reader would refuse is
/// refused here, before anything is written (the counter line included).
fn encode(
    event: &Event,
    operator: &str,
    position: Position,
    names: &mut OperatorNames,
) -> Result<(Vec<u8>, IndexedEvent)> {
    let prev_hash = event.prev_hash.clone().unwrap_or_default();
    let line = NewLine {
        shipment_id: event.shipment_id,
        event_seq: event.event_seq,
        event_type: event.event_type,
        timestamp: event.timestamp,
        actor: event.actor,
        payload: &event.payload,
        operator,
        prev_hash,
    };
    let digest = |record: &LineRecord<'_>, bytes: &[u8]| {
        digest::digest_record(record, &LineRef::whole(position.0, 0, bytes), names)
    };
    line.encode_checked_with(digest).map_err(|e| match e {
        LineError::UnreadablePayload(reason) => {
            Error::InvalidPayload(format!("it could not be read back: {reason}"))
        }
        other => Error::LineNotReadable(other),
    })
}

/// Now, unless the clock stepped back: then the previous line's time,
/// rounded up to the millisecond so it is never earlier. Refused when that
/// would be past the year 9999 (no reader accepts it).
pub(super) fn next_timestamp(previous: Option<Timestamp>) -> Result<Timestamp> {
    Timestamp::next_written(previous, chrono::Utc::now()).ok_or_else(|| {
        Error::TimestampsExhausted {
            last: previous.map(|t| t.to_string()).unwrap_or_default(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_going_back_reuses_the_previous_timestamp() {
        let future = Timestamp::parse("2999-01-01T00:00:00.123456Z").unwrap();
        let next = next_timestamp(Some(future)).unwrap();
        assert!(next >= future);
        assert_eq!(next.to_string(), "2999-01-01T00:00:00.124Z");
    }
}
