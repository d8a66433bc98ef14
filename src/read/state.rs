//! `ShipmentState`: a shipment reconstructed from its events, with the
//! seed's field names (`reconstruct_shipment_state`).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::details::{self, Details};
use crate::domain::{Actor, Event, EventType, ShipmentId, Timestamp};

#[derive(Debug, Clone, Serialize)]
pub struct ShipmentState {
    pub shipment_id: ShipmentId,
    pub current_state: EventType,
    pub created_at: Timestamp,
    pub last_updated: Timestamp,
    pub event_count: usize,
    pub event_sequence: Vec<EventType>,
    pub full_history: Vec<Event>,
    /// Every payload merged in order (`domain::details::merge`): later keys win.
    pub current_payload: Map<String, Value>,
    /// Sorted by name.
    pub actors_involved: Vec<Actor>,
}

impl ShipmentState {
    /// `None` when there are no events.
    pub fn from_events(mut events: Vec<Event>) -> Option<Self> {
        // The seed orders by event_seq; stable, so log order breaks ties.
        events.sort_by_key(|e| e.event_seq);
        let first = events.first()?;
        let last = events.last()?;
        let current_payload = details::merged(events.iter().map(|e| &e.payload));
        let mut actors: Vec<Actor> = Vec::new();
        for event in &events {
            if !actors.contains(&event.actor) {
                actors.push(event.actor);
            }
        }
        actors.sort_by_key(|a| a.as_str());
        Some(ShipmentState {
            shipment_id: first.shipment_id,
            current_state: last.event_type,
            created_at: first.timestamp,
            last_updated: last.timestamp,
            event_count: events.len(),
            event_sequence: events.iter().map(|e| e.event_type).collect(),
            current_payload,
            actors_involved: actors,
            full_history: events,
        })
    }

    /// Source, destination, weight and delivery type, as every view shows them.
    pub fn details(&self) -> Details {
        Details::of(&self.current_payload)
    }
}
