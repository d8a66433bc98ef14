//! The one keymap: a table of bindings used both to dispatch keys and to
//! generate the `?` help view, so the help can never disagree with what a
//! key does. Text-entry modes take any other printable key as input.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Where the keyboard is: which bindings apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Everywhere, even while typing.
    Always,
    /// The table and history panes.
    Normal,
    /// Typing a filter, an ID or a reason.
    TextInput,
    /// The `y` confirmation of hold / override / cancel.
    Confirm,
    /// The new-shipment form.
    Form,
    /// The audit view.
    Audit,
    /// The help view.
    Help,
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
    /// UTC beside the local times in the history pane.
    ToggleUtc,
    /// Clear the terminal and draw everything again.
    Repaint,
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
        &[Ch('V')],
        "V",
        C::Reverify,
        "read and verify the whole log again",
    ),
    b(X::Normal, &[Ch('?')], "?", C::Help, "this help"),
    b(
        X::Normal,
        &[Code(KeyCode::Esc)],
        "Esc",
        C::Escape,
        "cancel a waiting append, else clear the filter",
    ),
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
        "append it",
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
        "previous delivery type",
    ),
    b(
        X::Form,
        &[Code(KeyCode::Right)],
        "Right",
        C::CycleRight,
        "next delivery type",
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
        "close without creating",
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
        &[Code(KeyCode::Esc), Ch('A')],
        "Esc/A",
        C::Escape,
        "back to the table",
    ),
    b(X::Audit, &[Ch('q')], "q", C::Quit, "quit"),
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
        &[Code(KeyCode::Esc), Ch('?')],
        "Esc/?",
        C::Escape,
        "close help",
    ),
    b(X::Help, &[Ch('q')], "q", C::Quit, "quit"),
];

/// What a key press does in `context`: a bound command, or (in text
/// contexts) a typed character. Key releases and repeats of non-text keys
/// are ignored so one press is one action.
pub fn dispatch(context: Context, event: &KeyEvent) -> Option<Input> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let lookup = |ctx: Context| {
        KEYMAP
            .iter()
            .filter(|b| b.context == ctx)
            .find(|b| b.keys.iter().any(|k| k.matches(event)))
            .map(|b| Input::Command(b.command))
    };
    if let Some(found) = lookup(Context::Always).or_else(|| lookup(context)) {
        return Some(found);
    }
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL)
        || event.modifiers.contains(KeyModifiers::ALT);
    match (context, event.code) {
        (Context::TextInput | Context::Form, KeyCode::Char(c)) if !ctrl && !c.is_control() => {
            Some(Input::Text(c))
        }
        // "any other key" declines a confirmation.
        (Context::Confirm, _) => Some(Input::Command(Command::Escape)),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Command(Command),
    Text(char),
}

/// The contexts in the order the help view lists them.
pub const HELP_ORDER: [Context; 7] = [
    Context::Normal,
    Context::Always,
    Context::TextInput,
    Context::Confirm,
    Context::Form,
    Context::Audit,
    Context::Help,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn letters_are_commands_in_normal_and_text_while_typing() {
        let a = key(KeyCode::Char('a'));
        assert_eq!(
            dispatch(Context::Normal, &a),
            Some(Input::Command(Command::Primary))
        );
        assert_eq!(dispatch(Context::TextInput, &a), Some(Input::Text('a')));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            dispatch(Context::TextInput, &ctrl_c),
            Some(Input::Command(Command::Quit))
        );
    }

    #[test]
    fn every_state_has_a_strip_key() {
        assert_eq!(STATE_KEYS.len(), crate::domain::EventType::ALL.len());
        for c in STATE_KEYS {
            assert_eq!(
                dispatch(Context::Normal, &key(KeyCode::Char(c))),
                Some(Input::Command(Command::StateFilter))
            );
        }
    }
}
