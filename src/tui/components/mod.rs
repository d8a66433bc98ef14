//! The dashboard's components, after gitui: each one owns its state,
//! draws itself, and decides what its keys mean. A component never
//! reaches into another one, nor into the log: its key handler returns an
//! `Action`, and `App` applies it (`App::apply`). `Action::Append` is the
//! only way anything is written.
//!
//! - `table`: rows, filter (and its typing), sort, cursor, selection,
//!   scroll offset and page, highlights, the areas the mouse can hit.
//! - `history`: the selected shipment's events and their scroll.
//! - `action_bar`: what the role may do (drawing) and what `a`, `h`, `o`,
//!   `x` and `n` decide; `reason`: the reason + `y` prompt that follows.
//! - `form`: the new-shipment form. `jump`: the `:` prompt.
//! - `batch`: the question of a batch action on marked rows, and the
//!   summary of what landed, conflicted or was refused.
//! - `audit`, `help`: the two full-screen views and their cursor/scroll.
//! - `pulse`: the pulse view (`p`); `worklist`: the attention list (`!`)
//!   and my queue (`m`), whose selection the action keys act on.
//! - `status`: the status line and the reload banner.
//!
//! Each `draw` takes, read-only, the shared things it shows (the
//! projection, the role), so there is no one trait for them all: the
//! signatures say what each one reads. The keymap (`keymap.rs`) stays the
//! one table that both the dispatch and the `?` help read; a component
//! gets the `Command` the keymap found (the table also the key, to tell
//! the state keys apart), never a key table of its own.

pub mod action_bar;
pub mod audit;
pub mod batch;
pub mod form;
pub mod help;
pub mod history;
pub mod jump;
pub mod pulse;
pub mod reason;
pub mod status;
pub mod table;
pub mod worklist;

use crate::domain::ShipmentId;
use crate::store::AppendRequest;

pub use action_bar::ActionBar;
pub use audit::Audit;
pub use batch::Batch;
pub use form::Form;
pub use help::Help;
pub use history::History;
pub use jump::Jump;
pub use pulse::Pulse;
pub use reason::{Reason, ReasonPrompt};
pub use status::{Status, StatusLine};
pub use table::Table;
pub use worklist::Worklist;

/// Where the keys go in the normal view: the table or the history pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Table,
    History,
}

/// What a component asks the `App` to do after a key.
#[derive(Debug)]
pub enum Action {
    /// Write one event. The one write path: `App::apply` hands it to
    /// `App::append` (lock wait off the loop, then the store).
    Append(AppendRequest),
    /// Write one event to each marked shipment, each expecting the seq it
    /// showed when marked (the same path, one lock, one sync).
    AppendBatch(Vec<AppendRequest>),
    /// Select this shipment in the table (clearing a filter that hides it).
    JumpTo(ShipmentId),
    /// Move the keys between the table and history panes.
    Focus(Focus),
    /// Ask for the reason of a hold, override or cancel.
    AskReason(ReasonPrompt),
    /// Open the new-shipment form.
    OpenForm,
    /// A line for the status bar.
    Info(String),
    /// An error for the status bar.
    Error(String),
    /// Time travel to this moment.
    TravelTo(crate::read::as_of::AsOf),
}

/// What a component did with a key it was offered first.
#[derive(Debug)]
pub enum Handled {
    /// Not its key: the next in line takes it.
    No,
    /// Its key; and what else should happen, if anything.
    Yes(Option<Action>),
}
