//! The search overlay's state: the query being typed, the best hits of the core fuzzy search
//! (`core::search`, over name, email, account and title) with their matched characters, and
//! the selection. A grown query filters the previous matches instead of re-scanning the book.

use super::book::Book;
use super::text_input::TextInput;
use crate::core::index::LeadIndex;
use crate::core::search::{SearchResult, matched_positions, search};

/// How many hits are kept ranked and shown.
pub const MAX_HITS: usize = crate::core::search::MAX_HITS;

#[derive(Clone, Debug, PartialEq)]
pub struct SearchHit {
    /// Index into the book's leads.
    pub index: usize,
    pub score: i64,
    /// Character positions that matched in the lead's search text as shown ("name · email ·
    /// account · title", [`super::book::search_text`]), which the overlay reads for the hits
    /// it draws: up to [`MAX_HITS`] are kept, a screenful is shown.
    pub matched: Vec<usize>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchState {
    pub input: TextInput,
    /// The core result of the last query: its matches are the candidates of a grown query.
    last: SearchResult,
    pub hits: Vec<SearchHit>,
    pub selected: usize,
    /// How many leads the last update examined.
    pub scanned: usize,
    /// Total matches of the current query.
    pub total: usize,
}

impl SearchState {
    /// Recomputes the hits for the current query over the index's search texts (no index —
    /// the book is still loading — finds nothing).
    pub fn refresh(&mut self, book: &Book, index: Option<&LeadIndex>) {
        let Some(index) = index else {
            *self = SearchState {
                input: std::mem::take(&mut self.input),
                ..SearchState::default()
            };
            return;
        };
        self.last = search(index, self.input.value(), MAX_HITS, Some(&self.last));
        let query = &self.last.query;
        self.hits = self
            .last
            .hits
            .iter()
            .filter_map(|hit| {
                let at = book.index_of(hit.id)?;
                Some(SearchHit {
                    index: at,
                    score: hit.score,
                    matched: index
                        .search_text_of(hit.id)
                        .map(|text| matched_positions(text, query))
                        .unwrap_or_default(),
                })
            })
            .collect();
        self.scanned = self.last.scanned;
        self.total = self.last.total;
        self.selected = 0;
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.hits.len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }
}
