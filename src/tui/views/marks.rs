//! What a query matched, marked in the text shown: the table's cells and
//! the history pane's lines. Underlined and bold, so the mark reads
//! without colour and stays visible on the reversed selected row.

use std::ops::Range;

use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::read::query::{Query, Spot, highlights};

/// The style of a matched part.
pub fn matched() -> Style {
    Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
}

/// `text` as spans in `base`, with what `query` matched in `spot` marked.
pub fn marked(query: &Query, spot: &Spot<'_>, text: String, base: Style) -> Vec<Span<'static>> {
    if query.is_empty() {
        return vec![Span::styled(text, base)];
    }
    let ranges = merge(highlights(query, spot, &text));
    if ranges.is_empty() {
        return vec![Span::styled(text, base)];
    }
    let mut spans = Vec::with_capacity(ranges.len() * 2 + 1);
    let mut at = 0;
    for r in ranges {
        if r.start < at || !text.is_char_boundary(r.start) || !text.is_char_boundary(r.end) {
            continue;
        }
        if r.start > at {
            spans.push(Span::styled(text[at..r.start].to_string(), base));
        }
        spans.push(Span::styled(
            text[r.clone()].to_string(),
            base.patch(matched()),
        ));
        at = r.end;
    }
    if at < text.len() {
        spans.push(Span::styled(text[at..].to_string(), base));
    }
    spans
}

/// Overlapping or touching ranges as one.
fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}
