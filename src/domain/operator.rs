//! Who acted: the operator name recorded in every event a person writes.
//! It follows the character rules of places (see `payload`): text that
//! reaches a terminal or a report must not carry control characters or
//! invisible formatting (a U+202E can make `evil` read as `live`).

use std::fmt;

/// Longest operator name, in characters.
pub const MAX_OPERATOR_CHARS: usize = 64;

/// A checked operator name: trimmed, 1 to 64 characters, no control or
/// invisible formatting characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OperatorName(String);

const _: () = assert!(MAX_OPERATOR_CHARS == 64, "the message below says 64");

impl OperatorName {
    /// Trims and checks `text`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<OperatorName, String> {
        const RULE: &str = "an operator name must be 1 to 64 printable characters";
        const WHERE: &str = "(set --operator or CONTROL_TOWER_OPERATOR)";
        let name = text.trim();
        if name.is_empty() || name.chars().count() > MAX_OPERATOR_CHARS {
            return Err(format!("{RULE} {WHERE}"));
        }
        if let Some(c) = name.chars().find(|&c| is_hidden_char(c)) {
            return Err(format!(
                "{RULE}, and this one holds U+{:04X}, which does not show as itself {WHERE}",
                c as u32
            ));
        }
        Ok(OperatorName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OperatorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Control characters (C0, DEL, C1), line and paragraph separators, and the
/// Unicode format characters (category Cf: bidirectional overrides and
/// isolates, zero-width joiners and spaces, the BOM, tags …): none of them
/// shows as itself, and several reorder or hide what follows.
pub fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c as u32,
            0x00AD
                | 0x0600..=0x0605
                | 0x061C
                | 0x06DD
                | 0x070F
                | 0x0890..=0x0891
                | 0x08E2
                | 0x180E
                | 0x200B..=0x200F
                | 0x2028..=0x202E
                | 0x2060..=0x2064
                | 0x2066..=0x206F
                | 0xFEFF
                | 0xFFF9..=0xFFFB
                | 0x110BD
                | 0x110CD
                | 0x13430..=0x1343F
                | 0x1BCA0..=0x1BCA3
                | 0x1D173..=0x1D17A
                | 0xE0001
                | 0xE0020..=0xE007F
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_trimmed() {
        assert_eq!(OperatorName::parse("  asha ").unwrap().as_str(), "asha");
        assert!(OperatorName::parse("Ravi Kumar (night shift)").is_ok());
        assert!(OperatorName::parse("मीरा").is_ok());
        assert!(OperatorName::parse(&"x".repeat(MAX_OPERATOR_CHARS)).is_ok());
    }

    #[test]
    fn hidden_and_control_characters_are_refused() {
        for bad in [
            "",
            "   ",
            "\u{202e}evil",
            "a\u{200b}b",
            "a\u{2066}b",
            "\u{feff}asha",
            "a\u{1b}]0;TITLE\u{7}",
            "a\nb",
            "a\u{85}b",
            "a\u{2028}b",
            "a\u{e0041}",
        ] {
            assert!(OperatorName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(OperatorName::parse(&"x".repeat(MAX_OPERATOR_CHARS + 1)).is_err());
        let why = OperatorName::parse("\u{202e}evil").unwrap_err();
        assert!(why.contains("U+202E"), "{why}");
    }
}
