//! `CounterSet`: the counters of `shipment_counter.jsonl`, with their line
//! numbers, for the verifier (an ID missing from the counter log, a
//! counter no event names). Counters are handed out one after another, so
//! which were seen is a bit per counter (a far-off one, from a hand-edited
//! or hostile line, goes to a hash set instead).

use std::collections::HashSet;

/// A counter this far past twice the ones seen goes to the hash set.
const SLACK: u64 = 1 << 16;

#[derive(Debug, Default, Clone)]
pub struct CounterSet {
    bits: Vec<u64>,
    far: HashSet<u64>,
    seen: u64,
    entries: Vec<(u64, u64)>,
    malformed: Vec<u64>,
}

impl CounterSet {
    pub fn apply_line(&mut self, line_no: u64, bytes: &[u8]) {
        match crate::domain::line::parse_counter_line(bytes) {
            Some(counter) => {
                if self.insert(counter) {
                    self.entries.push((counter, line_no));
                }
            }
            None if bytes.iter().all(u8::is_ascii_whitespace) => {}
            None => self.malformed.push(line_no),
        }
    }

    /// Takes `counter` in; false if it was seen already.
    fn insert(&mut self, counter: u64) -> bool {
        if self.contains(counter) {
            return false;
        }
        self.seen += 1;
        let word = (counter / 64) as usize;
        if word >= self.bits.len() && counter < 2 * self.seen + SLACK {
            let words = (word + 1).max(self.bits.len() * 3 / 2);
            self.bits.resize(words, 0);
            let moved: Vec<u64> = self.far.extract_if(|&c| c / 64 < words as u64).collect();
            moved.into_iter().for_each(|c| self.set_bit(c));
        }
        if word < self.bits.len() {
            self.set_bit(counter);
        } else {
            self.far.insert(counter);
        }
        true
    }

    fn set_bit(&mut self, counter: u64) {
        if let Some(w) = self.bits.get_mut((counter / 64) as usize) {
            *w |= 1 << (counter % 64);
        }
    }

    /// Takes in the counters of the lines after these (a background check
    /// read the ones before, the reader the rest).
    pub fn absorb(&mut self, later: CounterSet) {
        for (counter, line) in later.entries {
            if self.insert(counter) {
                self.entries.push((counter, line));
            }
        }
        self.malformed.extend(later.malformed);
        self.malformed.sort_unstable();
        self.malformed.dedup();
    }

    pub fn contains(&self, counter: u64) -> bool {
        match self.bits.get((counter / 64) as usize) {
            Some(w) => w & (1 << (counter % 64)) != 0,
            None => self.far.contains(&counter),
        }
    }

    /// Forgets counters above `max` (IDs handed out after a past moment).
    pub fn retain_up_to(&mut self, max: u64) {
        let kept: Vec<(u64, u64)> = self.entries.drain(..).filter(|&(c, _)| c <= max).collect();
        let malformed = std::mem::take(&mut self.malformed);
        *self = CounterSet::default();
        for (counter, line) in kept {
            self.insert(counter);
            self.entries.push((counter, line));
        }
        self.malformed = malformed;
    }

    pub fn entries(&self) -> &[(u64, u64)] {
        &self.entries
    }

    pub fn malformed_lines(&self) -> &[u64] {
        &self.malformed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Near and far counters, repeated: it answers as a hash set does.
        #[test]
        fn answers_as_a_set(counters in proptest::collection::vec(0u64..200_000, 1..300), max in 0u64..200_000) {
            let (mut set, mut reference) = (CounterSet::default(), HashSet::new());
            for (i, c) in counters.iter().enumerate() {
                let c = if i % 5 == 0 { c * 100_000 } else { *c % 5000 };
                let line = format!(r#"{{"counter": {c}, "timestamp": "2026-01-21T12:00:00.000Z", "action": "ID_GENERATED"}}"#);
                let before = set.entries().len();
                set.apply_line(i as u64 + 1, line.as_bytes());
                prop_assert_eq!(set.entries().len() > before, reference.insert(c));
            }
            for c in 0..6000 {
                prop_assert_eq!(set.contains(c), reference.contains(&c));
            }
            for c in &reference {
                prop_assert!(set.contains(*c));
            }
            set.retain_up_to(max);
            reference.retain(|&c| c <= max);
            for c in counters.iter().chain(&[max, max + 1]) {
                prop_assert_eq!(set.contains(*c), reference.contains(c));
            }
        }
    }
}
