//! The book as loaded into the console: leads, outcome catalogue, pipeline, and lookups.
//!
//! The leads are kept as the store encodes them and decoded one at a time when a view asks
//! for one: about 200 bytes a lead instead of about 700 for the decoded copy (ten short
//! strings, the next action, the attributes). At 10⁶ leads the decoded copies were a
//! quarter of the console's memory, while the views only ever show a page of leads at once
//! (the queue, the board, search and the accounts read the index for everything else).

use std::collections::BTreeSet;

use crate::core::id_rows::IdRows;
use crate::core::model::{Lead, LeadId, Pipeline};
use crate::core::outcome::OutcomeCatalog;
use crate::store::codec;

use super::action::BookData;

/// Every lead of the book in load order, each kept in the store's encoding.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Leads {
    /// The encoded leads one after another; a replaced lead's old value stays until
    /// [`Leads::set`] compacts.
    bytes: Vec<u8>,
    /// Where each lead's value starts in `bytes`, and its length.
    starts: Vec<usize>,
    lens: Vec<u32>,
    /// Each lead's id, found by id.
    ids: IdRows,
    /// Bytes of replaced values still in `bytes`.
    garbage: usize,
    /// Distinct owners (trimmed), for the owner filter.
    owners: BTreeSet<String>,
}

impl Leads {
    /// Room for `leads` leads of about `bytes_each` bytes, when the memory is there (a
    /// refused reservation only means growing).
    pub(super) fn reserve(&mut self, leads: usize, bytes_each: usize) {
        let _ = self
            .bytes
            .try_reserve_exact(leads.saturating_mul(bytes_each));
        let _ = self.starts.try_reserve_exact(leads);
        let _ = self.lens.try_reserve_exact(leads);
        self.ids.try_reserve_exact(leads);
    }

    /// Appends a lead with its value as the store keeps it (`codec::encode(lead)`).
    pub(super) fn push_encoded(&mut self, lead: &Lead, value: &[u8]) {
        self.note_owner(lead);
        self.starts.push(self.bytes.len());
        self.lens.push(value.len() as u32);
        self.ids.push(lead.id);
        self.bytes.extend_from_slice(value);
    }

    pub(super) fn push(&mut self, lead: &Lead) {
        self.push_encoded(lead, &codec::encode(lead));
    }

    fn note_owner(&mut self, lead: &Lead) {
        let owner = lead.owner.trim();
        if !owner.is_empty() && !self.owners.contains(owner) {
            self.owners.insert(owner.to_string());
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id of the lead at `i`, without decoding it.
    pub fn id(&self, i: usize) -> Option<LeadId> {
        self.ids.get(i).copied()
    }

    fn value(&self, i: usize) -> &[u8] {
        let start = self.starts[i];
        &self.bytes[start..start + self.lens[i] as usize]
    }

    /// The lead at `i`, decoded. `None` past the end; every value here was decoded once
    /// already (by the load) or encoded here, so decoding it again does not fail.
    pub fn get(&self, i: usize) -> Option<Lead> {
        if i >= self.ids.len() {
            return None;
        }
        codec::decode(self.value(i)).ok()
    }

    /// Replaces the lead at `i`. The old value's bytes are dropped once they are half of
    /// the buffer (a long session of logged outcomes replaces one lead each).
    pub(super) fn set(&mut self, i: usize, lead: &Lead) {
        debug_assert_eq!(self.ids[i], lead.id, "a lead replaced by another");
        self.note_owner(lead);
        let value = codec::encode(lead);
        self.garbage += self.lens[i] as usize;
        self.starts[i] = self.bytes.len();
        self.lens[i] = value.len() as u32;
        self.bytes.extend_from_slice(&value);
        if self.garbage > 1 << 20 && self.garbage * 2 > self.bytes.len() {
            self.compact();
        }
    }

    fn compact(&mut self) {
        let mut bytes = Vec::with_capacity(self.bytes.len() - self.garbage);
        for i in 0..self.ids.len() {
            let value = self.value(i);
            let start = bytes.len();
            bytes.extend_from_slice(value);
            self.starts[i] = start;
        }
        self.bytes = bytes;
        self.garbage = 0;
    }

    /// Every lead in order, each decoded as the iterator reaches it: for the views without
    /// an index to ask (no scorecard), not for a book of 10⁶ leads on every key.
    pub fn iter(&self) -> impl Iterator<Item = Lead> + '_ {
        (0..self.ids.len()).filter_map(|i| self.get(i))
    }

    /// Distinct owners (trimmed), sorted.
    pub fn owners(&self) -> Vec<String> {
        self.owners.iter().cloned().collect()
    }
}

impl From<Vec<Lead>> for Leads {
    fn from(leads: Vec<Lead>) -> Leads {
        leads.iter().collect()
    }
}

impl<'a> FromIterator<&'a Lead> for Leads {
    fn from_iter<I: IntoIterator<Item = &'a Lead>>(iter: I) -> Leads {
        let mut leads = Leads::default();
        for lead in iter {
            leads.push(lead);
        }
        leads
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Book {
    pub leads: Leads,
    pub catalog: OutcomeCatalog,
    pub pipeline: Pipeline,
    /// Which database: shown in the header.
    pub label: String,
    pub is_demo: bool,
}

/// The text fuzzy search matches a lead by, and shows for it.
pub fn search_text(lead: &Lead) -> String {
    crate::core::search::lead_text(lead)
}

impl Book {
    pub fn from_data(data: BookData) -> Book {
        let leads = data.leads;
        Book {
            leads,
            catalog: data.catalog,
            pipeline: data.pipeline,
            label: data.label,
            is_demo: data.is_demo,
        }
    }

    pub fn index_of(&self, id: LeadId) -> Option<usize> {
        self.leads.ids.row(id)
    }

    /// Distinct owners (trimmed), sorted, for the owner filter.
    pub fn owners(&self) -> Vec<String> {
        self.leads.owners()
    }

    /// The lead with this id, decoded.
    pub fn lead(&self, id: LeadId) -> Option<Lead> {
        self.leads.get(self.index_of(id)?)
    }

    /// The id of the lead at position `i` of the book.
    pub fn id_at(&self, i: usize) -> Option<LeadId> {
        self.leads.id(i)
    }

    /// The lead at position `i` of the book, decoded.
    pub fn lead_at(&self, i: usize) -> Option<Lead> {
        self.leads.get(i)
    }

    /// Replaces a lead with its stored version (after an outcome or undo).
    pub fn replace(&mut self, lead: Lead) {
        match self.index_of(lead.id) {
            Some(i) => self.leads.set(i, &lead),
            None => self.leads.push(&lead),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(id: LeadId, name: &str, owner: &str) -> Lead {
        Lead {
            id,
            name: name.into(),
            owner: owner.into(),
            stage: "New".into(),
            ..Lead::default()
        }
    }

    /// The encoded book gives back exactly the leads put in, by id and by position, and a
    /// replaced lead reads as its new version — through many replacements, which compact
    /// the buffer.
    #[test]
    fn leads_read_back_as_put_and_replaced() {
        let leads: Vec<Lead> = (1..=50)
            .map(|id| lead(id, &format!("Lead {id}"), "  Ana Ruiz "))
            .collect();
        let mut book = Book::from_data(BookData {
            leads: Leads::from(leads.clone()),
            ..BookData::default()
        });
        assert_eq!(book.leads.len(), 50);
        assert_eq!(book.leads.iter().collect::<Vec<_>>(), leads);
        assert_eq!(book.lead(7), Some(leads[6].clone()));
        assert_eq!(book.id_at(49), Some(50));
        assert_eq!(book.lead_at(50), None);
        assert_eq!(book.lead(51), None);
        assert_eq!(book.owners(), ["Ana Ruiz"]);

        // Enough replacements of one lead to pass the compaction threshold several times.
        let long_name = "x".repeat(2000);
        for round in 0..2000 {
            let mut l = lead(7, &format!("{long_name} {round}"), "Ben Okafor");
            l.deal_value = Some(round as f64);
            book.replace(l);
        }
        let seven = book.lead(7).unwrap();
        assert_eq!(seven.deal_value, Some(1999.0));
        assert!(seven.name.ends_with(" 1999"));
        assert!(book.leads.garbage * 2 <= book.leads.bytes.len().max(2 << 20));
        // The others are untouched, and the new owner is offered by the filter.
        assert_eq!(book.lead(8), Some(leads[7].clone()));
        assert_eq!(book.lead(50), Some(leads[49].clone()));
        assert_eq!(book.owners(), ["Ana Ruiz", "Ben Okafor"]);

        // A lead not in the book yet is appended.
        book.replace(lead(99, "New one", ""));
        assert_eq!(book.leads.len(), 51);
        assert_eq!(book.lead(99).unwrap().name, "New one");
        assert_eq!(book.index_of(99), Some(50));
    }

    /// Lookups by id hold whatever order the ids come in: ascending (a load, new leads
    /// appended) by a search over the ids, otherwise by a map built when the order breaks.
    #[test]
    fn leads_are_found_by_id_in_any_order() {
        let mut book = Book::from_data(BookData {
            leads: Leads::from(vec![lead(3, "c", ""), lead(5, "e", "")]),
            ..BookData::default()
        });
        assert!(!book.leads.ids.has_map());
        book.replace(lead(9, "i", ""));
        assert!(!book.leads.ids.has_map());
        book.replace(lead(4, "d", ""));
        assert!(book.leads.ids.has_map());
        book.replace(lead(2, "b", ""));
        for (id, name, at) in [
            (3, "c", 0),
            (5, "e", 1),
            (9, "i", 2),
            (4, "d", 3),
            (2, "b", 4),
        ] {
            assert_eq!(book.index_of(id), Some(at), "{id}");
            assert_eq!(book.lead(id).unwrap().name, name);
        }
        assert_eq!(book.lead(7), None);

        let shuffled = Book::from_data(BookData {
            leads: Leads::from(vec![lead(8, "h", ""), lead(1, "a", ""), lead(1, "dup", "")]),
            ..BookData::default()
        });
        assert_eq!(shuffled.index_of(8), Some(0));
        assert_eq!(shuffled.lead(1).unwrap().name, "dup");
        assert_eq!(shuffled.index_of(6), None);
    }
}
