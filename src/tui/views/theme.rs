//! Colours and short labels. Colour is never the only signal: every badge
//! carries the state's name.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::EventType;

pub fn state_color(state: EventType) -> Color {
    use EventType::*;
    match state {
        Created => Color::Blue,
        ManagerApproved | SupervisorApproved => Color::Cyan,
        InTransit => Color::Magenta,
        ReceiverAcknowledged | WarehouseIntake | OutForDelivery => Color::Yellow,
        Delivered => Color::Green,
        OverrideApplied => Color::LightRed,
        HoldForReview => Color::Red,
        Cancelled => Color::DarkGray,
    }
}

/// A state's badge: its name on its colour.
pub fn state_badge(state: EventType) -> Style {
    Style::new().fg(Color::Black).bg(state_color(state))
}

/// Short names for the state strip, so all eleven fit one wide line.
pub fn short_state(state: EventType) -> &'static str {
    use EventType::*;
    match state {
        Created => "CREATED",
        ManagerApproved => "MGR_APPROVED",
        SupervisorApproved => "SUP_APPROVED",
        InTransit => "IN_TRANSIT",
        ReceiverAcknowledged => "RECEIVED",
        WarehouseIntake => "WH_INTAKE",
        OutForDelivery => "OUT_FOR_DLV",
        Delivered => "DELIVERED",
        OverrideApplied => "OVERRIDE",
        HoldForReview => "HOLD",
        Cancelled => "CANCELLED",
    }
}

/// Three-letter codes for narrow screens (80 columns).
pub fn code_state(state: EventType) -> &'static str {
    use EventType::*;
    match state {
        Created => "CRE",
        ManagerApproved => "MGR",
        SupervisorApproved => "SUP",
        InTransit => "TRN",
        ReceiverAcknowledged => "RCV",
        WarehouseIntake => "WHS",
        OutForDelivery => "OFD",
        Delivered => "DLV",
        OverrideApplied => "OVR",
        HoldForReview => "HLD",
        Cancelled => "CXL",
    }
}

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn key() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Gray)
        .add_modifier(Modifier::BOLD)
}

pub fn error() -> Style {
    Style::new()
        .fg(Color::LightRed)
        .add_modifier(Modifier::BOLD)
}

pub fn focused_border(focused: bool) -> Style {
    if focused {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().fg(Color::DarkGray)
    }
}
