//! Event types, actors (roles) and the owned `Event` record.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{ShipmentId, Timestamp};

macro_rules! name_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Exact match on the canonical (upper-case) name: the log's form.
            pub fn from_log_name(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Case-insensitive, `-` accepted for `_`: the form people type.
        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim().to_ascii_uppercase().replace('-', "_");
                Self::from_log_name(&wanted).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("'{}' is not {} (one of: {})", s, $what, names.join(", "))
                })
            }
        }
    };
}

name_enum!(
    /// What happened to a shipment. A shipment's current state is the type of its last event.
    EventType, "an event type" {
        Created => "CREATED",
        ManagerApproved => "MANAGER_APPROVED",
        SupervisorApproved => "SUPERVISOR_APPROVED",
        InTransit => "IN_TRANSIT",
        ReceiverAcknowledged => "RECEIVER_ACKNOWLEDGED",
        WarehouseIntake => "WAREHOUSE_INTAKE",
        OutForDelivery => "OUT_FOR_DELIVERY",
        Delivered => "DELIVERED",
        OverrideApplied => "OVERRIDE_APPLIED",
        HoldForReview => "HOLD_FOR_REVIEW",
        Cancelled => "CANCELLED",
    }
);

name_enum!(
    /// The role that acted.
    Actor, "a role" {
        Sender => "SENDER",
        SenderManager => "SENDER_MANAGER",
        SenderSupervisor => "SENDER_SUPERVISOR",
        System => "SYSTEM",
        Carrier => "CARRIER",
        Receiver => "RECEIVER",
        Warehouse => "WAREHOUSE",
        Customer => "CUSTOMER",
    }
);

/// One event, owned: what readers hand out and what `--json` prints.
/// Field order is the line format's key order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub shipment_id: ShipmentId,
    pub event_seq: u32,
    pub event_type: EventType,
    pub timestamp: Timestamp,
    pub actor: Actor,
    pub payload: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_hash: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_case_insensitively() {
        assert_eq!("manager_approved".parse(), Ok(EventType::ManagerApproved));
        assert_eq!("Sender-Manager".parse(), Ok(Actor::SenderManager));
        assert!(
            "SHIPPED"
                .parse::<EventType>()
                .unwrap_err()
                .contains("IN_TRANSIT")
        );
    }

    #[test]
    fn log_names_are_exact() {
        assert_eq!(
            EventType::from_log_name("CREATED"),
            Some(EventType::Created)
        );
        assert_eq!(EventType::from_log_name("created"), None);
        assert_eq!(Actor::ALL.len(), 8);
        assert_eq!(EventType::ALL.len(), 11);
    }
}
