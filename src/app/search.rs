//! Fuzzy search over name, email, account and title; a grown query filters the previous
//! matches instead of re-scanning the book.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use super::book::Book;
use super::text_input::TextInput;

/// How many hits are kept ranked and shown.
pub const MAX_HITS: usize = 200;

#[derive(Clone, Debug, PartialEq)]
pub struct SearchHit {
    /// Index into the book's leads.
    pub index: usize,
    pub score: i64,
    /// Character positions in the lead's search text that matched.
    pub matched: Vec<usize>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchState {
    pub input: TextInput,
    /// The query the candidates were computed for.
    last_query: String,
    /// Every lead matching `last_query` (not only the shown hits).
    candidates: Vec<usize>,
    pub hits: Vec<SearchHit>,
    pub selected: usize,
    /// How many leads the last update examined.
    pub scanned: usize,
    /// Total matches of the current query.
    pub total: usize,
}

impl SearchState {
    /// Recomputes the hits for the current query.
    pub fn refresh(&mut self, book: &Book) {
        let query = self.input.value().trim().to_string();
        if query.is_empty() {
            self.last_query.clear();
            self.candidates.clear();
            self.hits.clear();
            self.selected = 0;
            self.scanned = 0;
            self.total = 0;
            return;
        }
        let matcher = SkimMatcherV2::default();
        let grew = !self.last_query.is_empty() && query.starts_with(&self.last_query);
        let pool: Vec<usize> = if grew {
            std::mem::take(&mut self.candidates)
        } else {
            (0..book.leads.len()).collect()
        };
        self.scanned = pool.len();
        let mut scored: Vec<(i64, usize)> = pool
            .into_iter()
            .filter_map(|i| {
                matcher
                    .fuzzy_match(&book.search_text[i], &query)
                    .map(|s| (s, i))
            })
            .collect();
        self.candidates = scored.iter().map(|&(_, i)| i).collect();
        self.total = scored.len();
        let keep = MAX_HITS.min(scored.len());
        if keep > 0 && keep < scored.len() {
            scored.select_nth_unstable_by(keep - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            scored.truncate(keep);
        }
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        self.hits = scored
            .into_iter()
            .map(|(score, index)| SearchHit {
                index,
                score,
                matched: matcher
                    .fuzzy_indices(&book.search_text[index], &query)
                    .map(|(_, m)| m)
                    .unwrap_or_default(),
            })
            .collect();
        self.selected = 0;
        self.last_query = query;
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.hits.len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }
}
