//! Writes a large, valid, chained log quickly (no per-line sync): the
//! fixture for load, show and append benchmarks.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};

use serde_json::{Map, Value, json};

use crate::domain::line::{GENESIS_HASH, NewLine, encode_counter_line, hash_hex, hash_line};
use crate::domain::payload::created_payload;
use crate::domain::{Actor, EventType, ShipmentId, Timestamp, lifecycle};
use crate::error::{Error, Result};
use crate::sim::{CITIES, Rng};
use crate::store::LogPaths;

/// Shipments that move through the standard flow at once, interleaved.
const IN_FLIGHT: usize = 64;

fn actor_for(event: EventType) -> Actor {
    lifecycle::permitted_actors(event)
        .first()
        .copied()
        .unwrap_or(Actor::System)
}

fn payload_for(event: EventType, rng: &mut Rng) -> Map<String, Value> {
    let value = match event {
        EventType::ManagerApproved => json!({"approval_type": "manual"}),
        EventType::SupervisorApproved => json!({"approval_type": "supervisor"}),
        EventType::InTransit => json!({"vehicle": format!("TRK-{:04}", 1000 + rng.below(9000))}),
        EventType::ReceiverAcknowledged => json!({"received_by": "Asha"}),
        EventType::WarehouseIntake => json!({"warehouse": format!("WH-{:02}", 1 + rng.below(40))}),
        EventType::OutForDelivery => json!({"courier": "Ravi"}),
        EventType::Delivered => json!({"signed_by": "Meera"}),
        _ => json!({}),
    };
    value.as_object().cloned().unwrap_or_default()
}

/// A log file that did not exist (never one that holds a tower).
fn create_new(path: &std::path::Path) -> Result<std::fs::File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            Error::io(
                "create a new generated log (it only writes into a directory without logs)",
                path,
                e,
            )
        })
}

fn creation_payload(rng: &mut Rng) -> Map<String, Value> {
    let from = rng.below(CITIES.len() as u64) as usize;
    let to = (from + 1) % CITIES.len();
    let weight = (1 + rng.below(50_000)) as f64 / 10.0;
    let mut extra = Map::new();
    extra.insert("priority".into(), Value::from("normal"));
    created_payload(CITIES[from], CITIES[to], weight, "STANDARD", extra)
}

/// Writes `events` events (whole standard flows of 8, interleaved) to a new
/// log in `paths`, with its counter log. Returns the number of shipments.
/// It writes without the writers' lock, so it only ever creates logs: a
/// directory that already holds one is refused, never overwritten.
pub fn generate(paths: &LogPaths, events: u64, seed: u64) -> Result<u64> {
    paths.create_dir()?;
    let mut log = BufWriter::with_capacity(1 << 20, create_new(&paths.events)?);
    let mut counter = BufWriter::with_capacity(1 << 20, create_new(&paths.counter)?);
    let mut rng = Rng::new(seed);
    let mut prev_hash = GENESIS_HASH;
    let start = Timestamp::now_millis().instant() - chrono::Duration::days(30);
    let mut in_flight: Vec<(ShipmentId, usize)> = Vec::new();
    let mut next_id = 1u64;
    let shipments_wanted = events.div_ceil(8);
    for n in 0..events {
        let timestamp =
            Timestamp::from_instant_millis(start + chrono::Duration::milliseconds(n as i64 * 2));
        if in_flight.len() < IN_FLIGHT && next_id <= shipments_wanted {
            let id = ShipmentId::new(next_id).ok_or(Error::IdsExhausted)?;
            next_id += 1;
            in_flight.push((id, 0));
            counter
                .write_all(encode_counter_line(id.number(), &timestamp).as_bytes())
                .map_err(|e| Error::io("write", &paths.counter, e))?;
        }
        let slot = if in_flight.len() == 1 {
            0
        } else {
            rng.below(in_flight.len() as u64) as usize
        };
        let Some(&(id, step)) = in_flight.get(slot) else {
            break;
        };
        let event_type = lifecycle::STANDARD_FLOW[step];
        let payload = if step == 0 {
            creation_payload(&mut rng)
        } else {
            payload_for(event_type, &mut rng)
        };
        let line = NewLine {
            shipment_id: id,
            event_seq: step as u32 + 1,
            event_type,
            timestamp,
            actor: actor_for(event_type),
            payload: &payload,
            operator: "bench",
            prev_hash: hash_hex(&prev_hash),
        }
        .encode();
        prev_hash = hash_line(&line);
        log.write_all(&line)
            .and_then(|_| log.write_all(b"\n"))
            .map_err(|e| Error::io("write", &paths.events, e))?;
        if step + 1 == lifecycle::STANDARD_FLOW.len() {
            in_flight.swap_remove(slot);
        } else if let Some(entry) = in_flight.get_mut(slot) {
            entry.1 += 1;
        }
    }
    log.flush()
        .map_err(|e| Error::io("write", &paths.events, e))?;
    counter
        .flush()
        .map_err(|e| Error::io("write", &paths.counter, e))?;
    Ok(next_id - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_never_overwrites_a_log() {
        let dir = tempfile::tempdir().unwrap();
        let paths = LogPaths::new(dir.path());
        assert_eq!(generate(&paths, 16, 1).unwrap(), 2);
        let before = std::fs::read(&paths.events).unwrap();
        let refused = generate(&paths, 8, 2).unwrap_err();
        assert!(refused.to_string().contains("without logs"), "{refused}");
        assert_eq!(std::fs::read(&paths.events).unwrap(), before);
    }
}
