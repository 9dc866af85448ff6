//! The book as loaded into the console: leads, outcome catalogue, pipeline, and lookups.
//!
//! A book loaded from a database keeps only its leads' ids (and the owners, for the filter)
//! and reads a lead from the store when a view asks for it: the views only ever show a page
//! of leads at once (the queue, the board, search and the accounts read the index for
//! everything else), and a read is a few microseconds. Keeping every lead as the store
//! encodes it cost about 245 bytes a lead — a fifth of the console's memory at 10⁶ leads —
//! and keeping them decoded about 700. A book built in memory (tests, a book without a
//! database) keeps its leads encoded and decodes one at a time.

use std::collections::BTreeSet;

use crate::core::id_rows::IdRows;
use crate::core::model::{Lead, LeadId, Pipeline};
use crate::core::outcome::OutcomeCatalog;
use crate::store::{Store, codec};

use super::action::BookData;

/// Every lead of the book in load order: read from the store the book was loaded from, or
/// kept in the store's encoding when there is none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Leads {
    /// The database the leads are read from; `None`: they are in `bytes`.
    source: Option<LeadSource>,
    /// Without a source, the encoded leads one after another; a replaced lead's old value
    /// stays until [`Leads::set`] compacts.
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

/// The store a loaded book reads its leads from. Two are the same source when they are the
/// same database.
#[derive(Clone, Debug)]
struct LeadSource(Store);

impl PartialEq for LeadSource {
    fn eq(&self, other: &LeadSource) -> bool {
        self.0.path() == other.0.path()
    }
}

impl Leads {
    /// An empty book whose leads are read from `store` as the views ask for them. The store
    /// is the truth: a lead the worker rewrote reads as rewritten from the commit on.
    pub fn stored(store: Store) -> Leads {
        Leads {
            source: Some(LeadSource(store)),
            ..Leads::default()
        }
    }

    /// Room for `leads` more leads' ids, when the memory is there (a refused reservation
    /// only means growing).
    pub(super) fn reserve(&mut self, leads: usize) {
        self.ids.try_reserve_exact(leads);
    }

    /// Appends a lead with its value as the store keeps it (`codec::encode(lead)`); a book
    /// with a store keeps only its id.
    pub(super) fn push_encoded(&mut self, lead: &Lead, value: &[u8]) {
        self.note_owner(lead);
        self.ids.push(lead.id);
        if self.source.is_none() {
            self.starts.push(self.bytes.len());
            self.lens.push(value.len() as u32);
            self.bytes.extend_from_slice(value);
        }
    }

    pub(super) fn push(&mut self, lead: &Lead) {
        if self.source.is_some() {
            self.push_encoded(lead, &[]);
        } else {
            self.push_encoded(lead, &codec::encode(lead));
        }
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

    /// The lead at `i`, decoded. `None` past the end, and for a lead the store no longer
    /// has or cannot read (the load read every one, so only a write of another process or
    /// damage since then). Without a store, every value here was decoded once already (by
    /// the load) or encoded here, so decoding it again does not fail.
    pub fn get(&self, i: usize) -> Option<Lead> {
        let id = *self.ids.get(i)?;
        match &self.source {
            Some(LeadSource(store)) => match store.lead(id) {
                Ok(lead) => lead.filter(|l| l.id == id),
                Err(e) => {
                    tracing::warn!("reading lead {id} for the view: {e}");
                    None
                }
            },
            None => codec::decode(self.value(i)).ok(),
        }
    }

    /// Takes the stored version of the lead at `i`: with a store, which holds it already,
    /// only its owner is noted. Without one, the old value's bytes are dropped once they are
    /// half of the buffer (a long session of logged outcomes replaces one lead each).
    pub(super) fn set(&mut self, i: usize, lead: &Lead) {
        debug_assert_eq!(self.ids[i], lead.id, "a lead replaced by another");
        self.note_owner(lead);
        if self.source.is_some() {
            return;
        }
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

    /// Takes a lead's stored version (after an outcome, its undo or a stage move) into the
    /// book: replaced, or appended when the book did not have it.
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

    /// A book loaded from a database keeps no lead's fields: each read goes to the store, so
    /// a lead rewritten there reads as rewritten, and the owner filter still knows everyone.
    #[test]
    fn a_loaded_book_reads_its_leads_from_the_store() {
        let (_dir, store) = crate::store::fixtures::store_with_leads(0);
        let leads: Vec<Lead> = (1..=40)
            .map(|id| {
                lead(
                    id,
                    &format!("Lead {id}"),
                    if id % 2 == 0 { "Ana" } else { "Ben" },
                )
            })
            .collect();
        store.insert_leads(&leads).unwrap();
        let data =
            super::super::worker::read_book(&store, "db".into(), false, 0, &mut |_, _| {}).unwrap();
        let mut book = Book::from_data(data);
        assert!(book.leads.bytes.is_empty() && book.leads.starts.is_empty());
        assert_eq!(book.leads.len(), 40);
        assert_eq!(book.leads.iter().collect::<Vec<_>>(), leads);
        assert_eq!(book.lead_at(39), Some(leads[39].clone()));
        assert_eq!(book.lead_at(40), None);
        assert_eq!(book.owners(), ["Ana", "Ben"]);

        let mut moved = leads[6].clone();
        moved.stage = "Qualified".into();
        moved.owner = "Cleo".into();
        store.put_lead(&moved).unwrap();
        assert_eq!(
            book.lead(7),
            Some(moved.clone()),
            "read before the UI heard of it"
        );
        book.replace(moved.clone());
        assert_eq!(book.lead(7), Some(moved));
        assert_eq!(book.owners(), ["Ana", "Ben", "Cleo"]);
        assert!(book.leads.bytes.is_empty());

        // A lead the store gained (and the worker reported) is appended by id.
        let new = lead(41, "New one", "Ana");
        store.put_lead(&new).unwrap();
        book.replace(new.clone());
        assert_eq!((book.index_of(41), book.lead(41)), (Some(40), Some(new)));
    }
}
