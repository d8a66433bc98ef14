//! Dispatch: what a key press does, looked up in the one table (`KEYMAP`).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::{Command, Context, KEYMAP};

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
    // Time travel adds its keys to the table's.
    let travel_falls_back = || (context == Context::Travel).then(|| lookup(Context::Normal));
    if let Some(found) = lookup(Context::Always)
        .or_else(|| lookup(context))
        .or_else(|| travel_falls_back().flatten())
    {
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
