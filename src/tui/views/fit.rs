//! Fitting text to columns by display width, a grapheme cluster at a time
//! (a Devanagari syllable with its vowel sign and virama is never split),
//! and saying so with `…` whenever something was cut.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// Spacing vowel signs that `unicode-width` (and so ratatui) counts as
/// part of the letter before them, while terminals give each its own
/// column (Bengali and Tamil AA and AU length marks, Kannada UU and length
/// marks, Oriya, Malayalam and Sinhala alike).
pub fn is_spacing_extend(c: char) -> bool {
    matches!(
        c,
        '\u{9be}'
            | '\u{9d7}'
            | '\u{b3e}'
            | '\u{b57}'
            | '\u{bbe}'
            | '\u{bd7}'
            | '\u{cc2}'
            | '\u{cd5}'
            | '\u{cd6}'
            | '\u{d3e}'
            | '\u{d57}'
            | '\u{dcf}'
            | '\u{ddf}'
    )
}

/// `text` with a blank after each cluster for every spacing vowel sign in
/// it, so the buffer keeps the column a terminal gives that sign (the
/// terminal backend leaves such a blank unwritten: the sign shows there).
pub fn for_terminal(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for g in text.graphemes(true) {
        out.push_str(g);
        for _ in g.chars().filter(|&c| is_spacing_extend(c)) {
            out.push(' ');
        }
    }
    out
}

/// The columns `text` takes, measured as ratatui's buffer measures it.
pub fn width(text: &str) -> usize {
    text.graphemes(true).map(UnicodeWidthStr::width).sum()
}

/// `text` in at most `max` columns: whole, or cut at a cluster boundary
/// and ended with `…`.
pub fn truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for g in text.graphemes(true) {
        let w = g.width();
        if used + w > max - 1 {
            break;
        }
        out.push_str(g);
        used += w;
    }
    out.push('…');
    out
}

/// A route's two ends to show in `room` columns around ` → ` (3 columns):
/// both ends always show, each shortened with `…` only as far as needed.
pub fn route(source: &str, destination: &str, room: usize) -> (String, String) {
    let (s, d) = (width(source), width(destination));
    let avail = room.saturating_sub(3);
    if s + d <= avail {
        return (source.to_string(), destination.to_string());
    }
    // The shorter end whole when the other keeps a few columns; else
    // half each.
    const KEEP: usize = 6;
    let half = avail / 2;
    let (s_room, d_room) = if s <= d && s + KEEP <= avail {
        (s, avail - s)
    } else if d < s && d + KEEP <= avail {
        (avail - d, d)
    } else {
        (half, avail - half)
    };
    (
        truncate(source, s_room.max(1)),
        truncate(destination, d_room.max(1)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ends_show_and_the_cut_says_so() {
        let (s, d) = route("Mumbai, Maharashtra", "Delhi, Delhi", 24);
        assert_eq!(width(&s) + 3 + width(&d), 24);
        assert!(s.ends_with('…') && s.starts_with("Mumbai"), "{s}");
        assert_eq!(d, "Delhi, Delhi");
        let (s, d) = route("Pune", "Kochi", 40);
        assert_eq!((s.as_str(), d.as_str()), ("Pune", "Kochi"));
        let (s, d) = route("Bengaluru, Karnataka", "Chennai, Tamil Nadu", 12);
        assert_eq!((s.as_str(), d.as_str()), ("Ben…", "Chen…"));
    }

    #[test]
    fn spacing_vowel_signs_keep_their_column() {
        assert_eq!(for_terminal("কলকাতা"), "কলকা তা ");
        assert_eq!(for_terminal("Delhi"), "Delhi");
        assert_eq!(for_terminal("दिल्ली"), "दिल्ली");
    }

    #[test]
    fn clusters_are_never_split() {
        // "क्षि": ka, virama, ssa, vowel sign i: one or two clusters, never
        // a bare virama or vowel sign left at the end.
        let cut = truncate("क्षत्रिय नगर", 4);
        assert!(cut.ends_with('…'), "{cut}");
        assert!(width(&cut) <= 4, "{cut}");
        let last = cut.trim_end_matches('…').chars().last();
        assert_ne!(last, Some('\u{94d}'), "{cut}");
    }
}
