//! Lead ids in row order, found by id without a map in the usual case.

use std::collections::HashMap;

use crate::core::model::LeadId;

/// Lead ids in the order their rows were added, found by id: by a binary search while they
/// ascend (a load reads leads in id order and a new lead gets a higher id), and by a map
/// built the first time one arrives out of order. At 10⁶ leads the map would be about
/// 35 bytes a lead, kept by every holder of rows (the book and the index).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdRows {
    ids: Vec<LeadId>,
    /// Rows by id, once the ids stopped ascending; a repeated id finds its last row.
    map: Option<HashMap<LeadId, u32>>,
}

impl IdRows {
    pub fn reserve(&mut self, rows: usize) {
        self.ids.reserve(rows);
    }

    /// [`IdRows::reserve`], when the memory is there (a refused reservation only means
    /// growing).
    pub fn try_reserve_exact(&mut self, rows: usize) {
        let _ = self.ids.try_reserve_exact(rows);
    }

    /// Adds a row for `id` and returns it.
    pub fn push(&mut self, id: LeadId) -> usize {
        let row = self.ids.len();
        let ascending = self.ids.last().is_none_or(|&last| last < id);
        self.ids.push(id);
        match &mut self.map {
            Some(map) => {
                map.insert(id, row as u32);
            }
            None if !ascending => {
                let rows = self.ids.iter().enumerate();
                self.map = Some(rows.map(|(r, &id)| (id, r as u32)).collect());
            }
            None => {}
        }
        row
    }

    /// The row of `id`.
    pub fn row(&self, id: LeadId) -> Option<usize> {
        match &self.map {
            Some(map) => map.get(&id).map(|&r| r as usize),
            None => self.ids.binary_search(&id).ok(),
        }
    }

    /// Whether lookups need the map (the ids stopped ascending).
    pub fn has_map(&self) -> bool {
        self.map.is_some()
    }

    /// Bytes held: the ids at their capacity and the map's entries (key, row and one
    /// control byte each) at its capacity.
    pub fn memory_bytes(&self) -> usize {
        let map = self.map.as_ref().map_or(0, |m| {
            m.capacity() * (std::mem::size_of::<(LeadId, u32)>() + 1)
        });
        self.ids.capacity() * std::mem::size_of::<LeadId>() + map
    }
}

/// The ids in row order.
impl std::ops::Deref for IdRows {
    type Target = [LeadId];

    fn deref(&self) -> &[LeadId] {
        &self.ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows are found by id whatever order the ids come in: by a search while they ascend,
    /// then by a map built when the order breaks; a repeated id finds its last row.
    #[test]
    fn rows_are_found_by_id_in_any_order() {
        let mut ids = IdRows::default();
        for id in [3, 5, 9] {
            ids.push(id);
        }
        assert!(!ids.has_map());
        assert_eq!(
            [3, 5, 9, 7].map(|id| ids.row(id)),
            [Some(0), Some(1), Some(2), None]
        );
        assert_eq!(ids.push(4), 3);
        assert!(ids.has_map());
        ids.push(2);
        ids.push(5);
        for (id, row) in [(3, 0), (9, 2), (4, 3), (2, 4), (5, 5)] {
            assert_eq!(ids.row(id), Some(row), "{id}");
        }
        assert_eq!(ids.row(7), None);
        assert_eq!(&ids[..], [3, 5, 9, 4, 2, 5]);
    }
}
