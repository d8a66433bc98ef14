//! The terminal backend: crossterm's, with one change for scripts that
//! terminals measure differently from ratatui (Devanagari, Kannada, Tamil,
//! Bengali vowel signs and viramas, ZWJ/ZWNJ, Arabic joining, emoji).
//!
//! ratatui writes the cells that changed and moves the cursor only when
//! the next cell is not adjacent, trusting that a glyph took the columns
//! `unicode-width` says. When the terminal disagrees, every later cell on
//! that row lands off by a column and the old text shows through
//! (`Mumbai,ाMaharashtra`) until a resize. So this backend keeps its own
//! copy of the screen and, for any row that holds such a glyph, clears the
//! row and writes all of it again, placing the cursor explicitly after each
//! such glyph. A row is then always drawn the same way from the same
//! cells, whatever was on screen before: after any number of moves the
//! screen is what a fresh repaint (Ctrl-L) of the same state shows.

use std::io::{self, Write};

use crossterm::cursor::MoveTo;
use crossterm::queue;
use crossterm::terminal::{Clear, ClearType as CtClear};
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Rect, Size};

/// Characters every terminal gives one column: ASCII, Latin-1, and the
/// punctuation, arrows, box drawing and shapes the dashboard draws with.
/// Anything else may be measured differently by the terminal.
pub fn is_steady(c: char) -> bool {
    matches!(c,
        ' '..='~'
        | '\u{a1}'..='\u{ff}'
        | '\u{2010}'..='\u{2027}'
        | '\u{2030}'..='\u{205e}'
        | '\u{2190}'..='\u{21ff}'
        | '\u{2500}'..='\u{25ff}')
}

/// A cell whose width the terminal may see differently.
fn is_unsteady(cell: &Cell) -> bool {
    let symbol = cell.symbol();
    symbol.chars().count() > 1 || !symbol.chars().all(is_steady)
}

/// Crossterm's backend with a copy of the screen (see the module docs).
pub struct Painter<W: Write> {
    inner: CrosstermBackend<W>,
    screen: Buffer,
}

impl<W: Write> Painter<W> {
    pub fn new(writer: W) -> Painter<W> {
        Painter {
            inner: CrosstermBackend::new(writer),
            screen: Buffer::empty(Rect::default()),
        }
    }

    /// Writes one row from the copy: cleared first, then every cell that is
    /// not blank, with the cursor placed after each unsteady glyph.
    fn repaint_row(&mut self, y: u16) -> io::Result<()> {
        queue!(self.inner, MoveTo(0, y), Clear(CtClear::CurrentLine))?;
        let width = self.screen.area.width;
        let blank = Cell::default();
        let mut run: Vec<(u16, u16, Cell)> = Vec::new();
        let mut x = 0;
        // Blank columns a spacing vowel sign spills into: left unwritten.
        let mut spill = 0;
        while x < width {
            let cell = self.screen[(x, y)].clone();
            let wide = unicode_width::UnicodeWidthStr::width(cell.symbol()).max(1) as u16;
            let unsteady = is_unsteady(&cell);
            if spill > 0 && cell.symbol() == " " {
                spill -= 1;
                x = x.saturating_add(1);
                continue;
            }
            spill = cell
                .symbol()
                .chars()
                .filter(|&c| crate::tui::views::fit::is_spacing_extend(c))
                .count();
            if cell != blank {
                run.push((x, y, cell));
            }
            if unsteady && !run.is_empty() {
                // A new draw call starts with an explicit cursor move.
                self.inner.draw(run.iter().map(|(x, y, c)| (*x, *y, c)))?;
                run.clear();
            }
            x = x.saturating_add(wide);
        }
        self.inner.draw(run.iter().map(|(x, y, c)| (*x, *y, c)))
    }
}

impl<W: Write> Backend for Painter<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let size = self.inner.size()?;
        let area = Rect::new(0, 0, size.width, size.height);
        if self.screen.area != area {
            self.screen.resize(area);
        }
        let cells: Vec<(u16, u16, &Cell)> = content.collect();
        let mut rows: Vec<u16> = cells.iter().map(|&(_, y, _)| y).collect();
        rows.sort_unstable();
        rows.dedup();
        let unsteady = |screen: &Buffer, y: u16| {
            (0..area.width).any(|x| screen.cell((x, y)).is_some_and(is_unsteady))
        };
        // A row that held such a glyph may show it wider or narrower than
        // the copy says, so it is written whole when it changes, as is a
        // row that gets one.
        let mut unsteady_rows: Vec<u16> = rows
            .iter()
            .copied()
            .filter(|&y| unsteady(&self.screen, y))
            .collect();
        for &(x, y, cell) in &cells {
            if let Some(slot) = self.screen.cell_mut((x, y)) {
                *slot = cell.clone();
            }
        }
        unsteady_rows.extend(rows.iter().copied().filter(|&y| unsteady(&self.screen, y)));
        unsteady_rows.sort_unstable();
        unsteady_rows.dedup();
        let steady = cells
            .into_iter()
            .filter(|(_, y, _)| unsteady_rows.binary_search(y).is_err());
        self.inner.draw(steady)?;
        for y in unsteady_rows {
            self.repaint_row(y)?;
        }
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.screen.reset();
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        // Only a whole clear is used; forget the copy for any kind, so the
        // next frame's rows are written from what ratatui sends.
        self.screen.reset();
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indic_vowel_signs_and_joiners_are_unsteady() {
        let cell = |s: &str| {
            let mut c = Cell::default();
            c.set_symbol(s);
            c
        };
        assert!(is_unsteady(&cell("मा")));
        assert!(is_unsteady(&cell("ು")));
        assert!(is_unsteady(&cell("\u{200d}")));
        assert!(is_unsteady(&cell("ب")));
        assert!(!is_unsteady(&cell("a")));
        assert!(!is_unsteady(&cell("→")));
        assert!(!is_unsteady(&cell("━")));
    }

    #[derive(Clone, Default)]
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_row_with_an_unsteady_glyph_is_cleared_and_written_whole() {
        let written = Shared::default();
        let mut painter = Painter::new(written.clone());
        let mut buffer = Buffer::empty(Rect::new(0, 0, 20, 2));
        buffer.set_string(0, 0, "ab मा cd", ratatui::style::Style::new());
        painter.screen = buffer;
        painter.repaint_row(0).unwrap();
        Write::flush(&mut painter.inner).unwrap();
        let out = String::from_utf8_lossy(&written.0.borrow()).to_string();
        assert!(out.starts_with("\u{1b}[1;1H\u{1b}[2K"), "{out:?}");
        // The cells after the glyph are placed explicitly (column 7, as
        // ratatui measured it), not trusted to follow the glyph.
        assert!(out.contains("\u{1b}[1;7Hcd"), "{out:?}");
        assert!(out.contains("cd"), "{out:?}");
    }
}
