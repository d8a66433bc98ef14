//! `IdIndex`: shipment → position, for the projection and the background
//! check. Shipment IDs are handed out one after another, so positions are
//! kept in a plain vector indexed by the ID's number (4 bytes a shipment,
//! against ~27 for a hash map); an ID far past the others (a hand-written
//! or hostile line) goes to a hash map instead, so one huge number cannot
//! make the vector huge.

use crate::domain::ShipmentId;
use crate::domain::id::IdMap;

const NONE: u32 = u32::MAX;

/// How far past the shipments known an ID may be and still go in the
/// vector: it never grows past twice the shipments it holds (plus this).
const SLACK: u64 = 1 << 16;

#[derive(Debug, Default, Clone)]
pub struct IdIndex {
    dense: Vec<u32>,
    sparse: IdMap<u32>,
    len: usize,
}

impl IdIndex {
    pub fn get(&self, id: &ShipmentId) -> Option<usize> {
        let n = id.number();
        match self.dense.get(usize::try_from(n).ok()?) {
            Some(&NONE) => None,
            Some(&pos) => Some(pos as usize),
            None => self.sparse.get(id).map(|&p| p as usize),
        }
    }

    /// Maps `id` to `pos` (positions stay below `u32::MAX`); the position
    /// it had, if any.
    pub fn insert(&mut self, id: ShipmentId, pos: usize) -> Option<usize> {
        let old = self.get(&id);
        let pos = u32::try_from(pos).unwrap_or(NONE - 1);
        let n = id.number();
        if n >= self.dense.len() as u64 && n < 2 * self.len as u64 + SLACK {
            self.grow_to(n);
        }
        if let Some(slot) = self.dense.get_mut(n as usize) {
            *slot = pos;
        } else {
            self.sparse.insert(id, pos);
        }
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    pub fn remove(&mut self, id: &ShipmentId) -> Option<usize> {
        let old = self.get(id)?;
        match self.dense.get_mut(id.number() as usize) {
            Some(slot) => *slot = NONE,
            None => {
                self.sparse.remove(id);
            }
        }
        self.len -= 1;
        Some(old)
    }

    pub fn reserve(&mut self, more: usize) {
        self.dense.reserve(more);
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Takes in the vector up to `n`, moving IDs of the map that now fit.
    fn grow_to(&mut self, n: u64) {
        let new_len = (n as usize + 1).max(self.dense.len() * 3 / 2);
        self.dense.resize(new_len, NONE);
        let moved: Vec<(ShipmentId, u32)> = self
            .sparse
            .iter()
            .filter(|(id, _)| (id.number() as usize) < new_len)
            .map(|(&id, &p)| (id, p))
            .collect();
        for (id, pos) in moved {
            self.sparse.remove(&id);
            self.dense[id.number() as usize] = pos;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        /// Whatever the IDs (close together, far apart, removed again),
        /// it answers as a hash map does.
        #[test]
        fn answers_as_a_map(ops in proptest::collection::vec((1u64..5_000_000, any::<bool>(), 0usize..1000), 1..400)) {
            let (mut index, mut map) = (IdIndex::default(), HashMap::new());
            for (n, add, pos) in ops {
                let n = if n % 7 == 0 { n * 1000 } else { n % 3000 + 1 };
                let Some(id) = ShipmentId::new(n) else { continue };
                if add {
                    prop_assert_eq!(index.insert(id, pos), map.insert(id, pos));
                } else {
                    prop_assert_eq!(index.remove(&id), map.remove(&id));
                }
                prop_assert_eq!(index.len(), map.len());
                prop_assert_eq!(index.get(&id), map.get(&id).copied());
            }
            for (id, pos) in &map {
                prop_assert_eq!(index.get(id), Some(*pos));
            }
        }
    }
}
