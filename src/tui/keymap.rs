//! The one keymap: a table of bindings used both to dispatch keys and to
//! generate the `?` help view, so the help can never disagree with what a
//! key does. Text-entry modes take any other printable key as input.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where the keyboard is: which bindings apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Everywhere, even while typing.
    Always,
    /// The table and history panes.
    Normal,
    /// Typing a filter, an ID or a reason.
    TextInput,
    /// The `y` confirmation of hold / override / cancel, of a batch, and
    /// of the form's offer to switch to SENDER.
    Confirm,
    /// The new-shipment form.
    Form,
    /// The audit view.
    Audit,
    /// The help view.
    Help,
    /// The list of what a batch action did.
    Summary,
    /// Time travel (after `t`); the table's keys work too.
    Travel,
    /// The pulse view (`p`).
    Pulse,
    /// The attention list (`!`) and my queue (`m`).
    List,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Always => "Anywhere",
            Context::Normal => "Table and history",
            Context::TextInput => "Typing (filter, jump, reason)",
            Context::Confirm => "Confirming an action",
            Context::Form => "New-shipment form",
            Context::Audit => "Audit view",
            Context::Help => "Help",
            Context::Summary => "Batch summary",
            Context::Travel => "Time travel (t; table keys work too)",
            Context::Pulse => "Pulse view (p)",
            Context::List => "Attention list (!) and my queue (m)",
        }
    }
}

/// What a key asks for. The app decides what it means in its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    ToggleFocus,
    NextRole,
    PrevRole,
    Primary,
    Hold,
    Override,
    Cancel,
    NewShipment,
    Filter,
    Jump,
    NextSort,
    ReverseSort,
    Freeze,
    /// A state-strip key: the key's character picks the state.
    StateFilter,
    Audit,
    /// Read and verify the whole log again, in the background.
    Reverify,
    Help,
    /// Leave the current mode / clear the filter.
    Escape,
    Submit,
    Backspace,
    NextField,
    PrevField,
    CycleLeft,
    CycleRight,
    Confirm,
    /// Space: mark / unmark the selected row for a batch action.
    ToggleMark,
    /// `V`: mark every row in the current view.
    MarkAll,
    /// `t`: into time travel, or back to live.
    TimeTravel,
    /// A step in time travel: the key picks which (`Step::of`).
    TravelStep,
    /// `:` in time travel: type a moment.
    TravelTo,
    /// UTC beside the local times in the history pane.
    ToggleUtc,
    /// Clear the terminal and draw everything again.
    Repaint,
    /// `p`: the pulse view.
    Pulse,
    /// `!`: the attention list.
    Attention,
    /// `m`: the current role's queue.
    MyQueue,
    /// `u`: only unfinished shipments, or all again.
    Unfinished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Code(KeyCode),
}

impl Key {
    fn matches(self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        match (self, event.code) {
            (Key::Ctrl(c), KeyCode::Char(k)) => ctrl && k.eq_ignore_ascii_case(&c),
            (Key::Char(c), KeyCode::Char(k)) => !ctrl && k == c,
            (Key::Code(code), k) => !ctrl && code == k,
            _ => false,
        }
    }
}

pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    /// How the help view names the keys.
    pub label: &'static str,
    pub command: Command,
    pub help: &'static str,
}

use Command as C;
use Context as X;
use Key::{Char as Ch, Code, Ctrl};

const fn b(
    context: Context,
    keys: &'static [Key],
    label: &'static str,
    command: Command,
    help: &'static str,
) -> Binding {
    Binding {
        context,
        keys,
        label,
        command,
        help,
    }
}

/// State-strip keys, in `EventType::ALL` order.
pub const STATE_KEYS: [char; 11] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-'];

// Not formatted: one line per binding where it fits keeps the table short.
#[rustfmt::skip]
pub const KEYMAP: &[Binding] = &[
    b(X::Always, &[Ctrl('c')], "Ctrl-C", C::Quit, "quit"),
    b(X::Normal, &[Ch('q')], "q", C::Quit, "quit"),
    b(
        X::Always,
        &[Ctrl('l')],
        "Ctrl-L",
        C::Repaint,
        "repaint the whole screen",
    ),
    b(
        X::Normal,
        &[Ch('z')],
        "z",
        C::ToggleUtc,
        "history: UTC beside local times",
    ),
    b(
        X::Normal,
        &[Code(KeyCode::Up), Ch('k')],
        "Up/k",
        C::Up,
        "previous row (or scroll history)",
    ),
    b(
        X::Normal,
        &[Code(KeyCode::Down), Ch('j')],
        "Down/j",
        C::Down,
        "next row (or scroll history)",
    ),
    b(
        X::Normal,
        &[Code(KeyCode::PageUp)],
        "PgUp",
        C::PageUp,
        "page up",
    ),
    b(
        X::Normal,
        &[Code(KeyCode::PageDown)],
        "PgDn",
        C::PageDown,
        "page down",
    ),
    b(
        X::Normal,
        &[Ch('g'), Code(KeyCode::Home)],
        "g",
        C::Top,
        "first row",
    ),
    b(
        X::Normal,
        &[Ch('G'), Code(KeyCode::End)],
        "G",
        C::Bottom,
        "last row",
    ),
    b(
        X::Normal,
        &[Code(KeyCode::Enter), Code(KeyCode::Tab)],
        "Enter/Tab",
        C::ToggleFocus,
        "focus the history pane and back",
    ),
    b(X::Normal, &[Ch('r')], "r", C::NextRole, "next role"),
    b(X::Normal, &[Ch('R')], "R", C::PrevRole, "previous role"),
    b(
        X::Normal,
        &[Ch('a')],
        "a",
        C::Primary,
        "append the role's next standard step (one key, one event)",
    ),
    b(
        X::Normal,
        &[Ch('h')],
        "h",
        C::Hold,
        "hold for review (reason, then y)",
    ),
    b(
        X::Normal,
        &[Ch('o')],
        "o",
        C::Override,
        "apply an override (reason, then y)",
    ),
    b(
        X::Normal,
        &[Ch('x')],
        "x",
        C::Cancel,
        "cancel the shipment (reason, then y)",
    ),
    b(
        X::Normal,
        &[Ch('n')],
        "n",
        C::NewShipment,
        "new shipment form (created as SENDER)",
    ),
    b(
        X::Normal,
        &[Ch('/')],
        "/",
        C::Filter,
        "search: word, field:value, field=exact, -term, weight>500, age>2h",
    ),
    b(X::Normal, &[Ch(':')], ":", C::Jump, "jump to a shipment ID"),
    b(X::Normal, &[Ch('s')], "s", C::NextSort, "next sort column"),
    b(
        X::Normal,
        &[Ch('S')],
        "S",
        C::ReverseSort,
        "reverse the sort",
    ),
    b(
        X::Normal,
        &[Ch('f')],
        "f",
        C::Freeze,
        "freeze / resume live updates",
    ),
    b(
        X::Normal,
        &[
            Ch('1'),
            Ch('2'),
            Ch('3'),
            Ch('4'),
            Ch('5'),
            Ch('6'),
            Ch('7'),
            Ch('8'),
            Ch('9'),
            Ch('0'),
            Ch('-'),
        ],
        "1-9 0 -",
        C::StateFilter,
        "show one state (as numbered in the strip; again for all)",
    ),
    b(X::Normal, &[Ch('A')], "A", C::Audit, "audit view"),
    b(
        X::Normal,
        &[Ch(' ')],
        "Space",
        C::ToggleMark,
        "mark / unmark the row for a batch action, then next row",
    ),
    b(
        X::Normal,
        &[Ch('V')],
        "V",
        C::MarkAll,
        "mark every row in the view (a/h/o/x then act on the marked rows)",
    ),
    b(
        X::Normal,
        &[Ctrl('v')],
        "Ctrl-V",
        C::Reverify,
        "read and verify the whole log again",
    ),
    b(X::Normal, &[Ch('?')], "?", C::Help, "this help"),
    b(
        X::Normal,
        &[Ch('t')],
        "t",
        C::TimeTravel,
        "time travel: the tower as of a past moment",
    ),
    b(
        X::Travel,
        &[Ch('t'), Code(KeyCode::Esc)],
        "t/Esc",
        C::TimeTravel,
        "back to live",
    ),
    b(
        X::Travel,
        &[Code(KeyCode::Left), Code(KeyCode::Right)],
        "Left/Right",
        C::TravelStep,
        "one event back / forward",
    ),
    b(
        X::Travel,
        &[Ch('['), Ch(']')],
        "[ ]",
        C::TravelStep,
        "one hour back / forward",
    ),
    b(
        X::Travel,
        &[Ch('{'), Ch('}')],
        "{ }",
        C::TravelStep,
        "one day back / forward",
    ),
    b(
        X::Travel,
        &[Ch(':')],
        ":",
        C::TravelTo,
        "go to a time: RFC 3339, a date, or event:N",
    ),
    b(
        X::Normal,
        &[Code(KeyCode::Esc)],
        "Esc",
        C::Escape,
        "cancel a waiting append, else clear the marks, else the filter",
    ),
    b(X::Normal, &[Ch('p')], "p", C::Pulse, "pulse: the tower's figures"),
    b(X::Normal, &[Ch('!')], "!", C::Attention, "late, stuck, on hold: worst first"),
    b(X::Normal, &[Ch('m')], "m", C::MyQueue, "my queue: the role's next steps"),
    b(X::Normal, &[Ch('u')], "u", C::Unfinished, "only unfinished shipments (again: all)"),
    b(
        X::TextInput,
        &[Code(KeyCode::Enter)],
        "Enter",
        C::Submit,
        "accept",
    ),
    b(
        X::TextInput,
        &[Code(KeyCode::Esc)],
        "Esc",
        C::Escape,
        "cancel (clears a filter)",
    ),
    b(
        X::TextInput,
        &[Code(KeyCode::Backspace)],
        "Backspace",
        C::Backspace,
        "delete a character",
    ),
    b(
        X::Confirm,
        &[Ch('y'), Ch('Y')],
        "y",
        C::Confirm,
        "append it (all the marked ones; in the form: switch to SENDER)",
    ),
    b(
        X::Confirm,
        &[Code(KeyCode::Esc), Ch('n')],
        "Esc/n",
        C::Escape,
        "do not append (any other key too)",
    ),
    b(
        X::Form,
        &[Code(KeyCode::Enter)],
        "Enter",
        C::Submit,
        "check the field; on the last one, create",
    ),
    b(
        X::Form,
        &[Code(KeyCode::Tab), Code(KeyCode::Down)],
        "Tab/Down",
        C::NextField,
        "next field",
    ),
    b(
        X::Form,
        &[Code(KeyCode::BackTab), Code(KeyCode::Up)],
        "S-Tab/Up",
        C::PrevField,
        "previous field",
    ),
    b(
        X::Form,
        &[Code(KeyCode::Left)],
        "Left",
        C::CycleLeft,
        "previous delivery type (the picker)",
    ),
    b(
        X::Form,
        &[Code(KeyCode::Right)],
        "Right/Space",
        C::CycleRight,
        "next delivery type (Space too, on the picker)",
    ),
    b(
        X::Form,
        &[Code(KeyCode::Backspace)],
        "Backspace",
        C::Backspace,
        "delete a character",
    ),
    b(
        X::Form,
        &[Code(KeyCode::Esc)],
        "Esc",
        C::Escape,
        "close, keeping the draft for n (q too, on an empty field)",
    ),
    b(
        X::Audit,
        &[Code(KeyCode::Up), Ch('k')],
        "Up/k",
        C::Up,
        "previous finding",
    ),
    b(
        X::Audit,
        &[Code(KeyCode::Down), Ch('j')],
        "Down/j",
        C::Down,
        "next finding",
    ),
    b(
        X::Audit,
        &[Code(KeyCode::PageUp)],
        "PgUp",
        C::PageUp,
        "scroll up a page",
    ),
    b(
        X::Audit,
        &[Code(KeyCode::PageDown)],
        "PgDn",
        C::PageDown,
        "scroll down a page",
    ),
    b(
        X::Audit,
        &[Code(KeyCode::Enter)],
        "Enter",
        C::Submit,
        "jump to the finding's shipment",
    ),
    b(
        X::Audit,
        &[Code(KeyCode::Esc), Ch('A'), Ch('q')],
        "Esc/A/q",
        C::Escape,
        "back to the table",
    ),
    b(
        X::Help,
        &[Code(KeyCode::Up), Ch('k')],
        "Up/k",
        C::Up,
        "scroll up",
    ),
    b(
        X::Help,
        &[Code(KeyCode::Down), Ch('j')],
        "Down/j",
        C::Down,
        "scroll down",
    ),
    b(
        X::Help,
        &[Code(KeyCode::PageUp)],
        "PgUp",
        C::PageUp,
        "scroll up a page",
    ),
    b(
        X::Help,
        &[Code(KeyCode::PageDown)],
        "PgDn",
        C::PageDown,
        "scroll down a page",
    ),
    b(
        X::Help,
        &[Code(KeyCode::Esc), Ch('?'), Ch('q')],
        "Esc/?/q",
        C::Escape,
        "close help",
    ),
    b(
        X::Summary,
        &[Code(KeyCode::Up), Ch('k')],
        "Up/k",
        C::Up,
        "scroll up",
    ),
    b(
        X::Summary,
        &[Code(KeyCode::Down), Ch('j')],
        "Down/j",
        C::Down,
        "scroll down",
    ),
    b(
        X::Summary,
        &[Code(KeyCode::Esc), Ch('q'), Code(KeyCode::Enter)],
        "Esc/q",
        C::Escape,
        "close the summary",
    ),
    b(X::Pulse, &[Code(KeyCode::Esc), Ch('q'), Ch('p')], "Esc/q/p", C::Escape, "close"),
    b(X::List, &[Code(KeyCode::Up), Ch('k')], "Up/k", C::Up, "previous shipment"),
    b(X::List, &[Code(KeyCode::Down), Ch('j')], "Down/j", C::Down, "next shipment"),
    b(X::List, &[Ch('a'), Ch('h'), Ch('o'), Ch('x')], "a h o x", C::Primary, "act on it (as in the table); after a, on to the next"),
    b(X::List, &[Code(KeyCode::Enter)], "Enter", C::Submit, "select it in the table, close the list"),
    b(X::List, &[Ch('!'), Ch('m')], "! m", C::Attention, "the attention list / my queue"),
    b(X::List, &[Code(KeyCode::Esc), Ch('q')], "Esc/q", C::Escape, "close the list"),
];

/// The contexts in the order the help view lists them.
pub const HELP_ORDER: [Context; 11] = [
    Context::Normal,
    Context::Travel,
    Context::Always,
    Context::TextInput,
    Context::Confirm,
    Context::Form,
    Context::Audit,
    Context::Pulse,
    Context::List,
    Context::Help,
    Context::Summary,
];

mod dispatch;
pub use dispatch::{Input, dispatch};

#[cfg(test)]
mod tests;
