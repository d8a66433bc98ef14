//! The keymap's dispatch: which command a key is in each context.

use super::*;

#[test]
fn time_travel_keys_come_first_and_the_table_keys_still_work() {
    let k = |c| dispatch(Context::Travel, &key(c));
    assert_eq!(k(KeyCode::Left), Some(Input::Command(Command::TravelStep)));
    assert_eq!(
        k(KeyCode::Char(':')),
        Some(Input::Command(Command::TravelTo))
    );
    assert_eq!(k(KeyCode::Esc), Some(Input::Command(Command::TimeTravel)));
    assert_eq!(k(KeyCode::Down), Some(Input::Command(Command::Down)));
    assert_eq!(
        k(KeyCode::Char('a')),
        Some(Input::Command(Command::Primary))
    );
    assert_eq!(
        dispatch(Context::Normal, &key(KeyCode::Char(':'))),
        Some(Input::Command(Command::Jump))
    );
}

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
fn space_and_v_mark_and_ctrl_v_reverifies() {
    let cmd = |ctx, ev: &KeyEvent| dispatch(ctx, ev);
    let space = key(KeyCode::Char(' '));
    let v = key(KeyCode::Char('V'));
    let ctrl_v = KeyEvent::new(KeyCode::Char('v'), KeyModifiers::CONTROL);
    assert_eq!(
        cmd(Context::Normal, &space),
        Some(Input::Command(Command::ToggleMark))
    );
    assert_eq!(
        cmd(Context::Normal, &v),
        Some(Input::Command(Command::MarkAll))
    );
    assert_eq!(
        cmd(Context::Normal, &ctrl_v),
        Some(Input::Command(Command::Reverify))
    );
    // Typing: a space is text, in the form too (the picker cycles).
    assert_eq!(cmd(Context::Form, &space), Some(Input::Text(' ')));
    let q = key(KeyCode::Char('q'));
    for ctx in [Context::Help, Context::Audit, Context::Summary] {
        assert_eq!(cmd(ctx, &q), Some(Input::Command(Command::Escape)));
    }
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

#[test]
fn attention_keys_open_their_views_and_the_list_keys_act() {
    let k = |ctx, c| dispatch(ctx, &key(KeyCode::Char(c)));
    assert_eq!(
        k(Context::Normal, 'p'),
        Some(Input::Command(Command::Pulse))
    );
    assert_eq!(
        k(Context::Normal, '!'),
        Some(Input::Command(Command::Attention))
    );
    assert_eq!(
        k(Context::Normal, 'm'),
        Some(Input::Command(Command::MyQueue))
    );
    assert_eq!(
        k(Context::Normal, 'u'),
        Some(Input::Command(Command::Unfinished))
    );
    // In a list the action keys are one binding; the key picks the action.
    for c in ['a', 'h', 'o', 'x'] {
        assert_eq!(k(Context::List, c), Some(Input::Command(Command::Primary)));
    }
    assert_eq!(
        k(Context::Pulse, 'q'),
        Some(Input::Command(Command::Escape))
    );
    assert_eq!(k(Context::List, 'q'), Some(Input::Command(Command::Escape)));
}
