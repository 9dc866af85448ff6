//! Fuzzy search over the index's lowercase search text, one call per keystroke.
//!
//! Matching is skim's fuzzy subsequence scoring (fuzzy-matcher's `SkimMatcherV2`). A grown
//! query (the previous one with characters appended) can only match leads the previous
//! query matched, so the caller passes the previous result back and only those rows are
//! scored again; any other edit (a deleted or changed character) scans every lead.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use crate::core::index::LeadIndex;
use crate::core::model::LeadId;

/// One lead that matches a search, with its fuzzy score (higher is better).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SearchHit {
    pub id: LeadId,
    pub score: i64,
}

/// The result of one search: every match, best first, and what the next keystroke needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchResult {
    /// The query this result is for, lowercased and trimmed.
    pub query: String,
    /// Every matching lead, highest score first (ties: lower id first).
    pub hits: Vec<SearchHit>,
    /// The index rows that matched, in row order: the candidates of a grown query.
    rows: Vec<u32>,
}

impl SearchResult {
    pub fn len(&self) -> usize {
        self.hits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }
}

/// Searches `index` for `query`, reusing `previous` when `query` grows its query.
///
/// An empty query matches nothing (the console shows the queue instead). `previous` must
/// come from the same index, unchanged since; pass `None` after the index changed.
pub fn search(index: &LeadIndex, query: &str, previous: Option<&SearchResult>) -> SearchResult {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return SearchResult::default();
    }
    let matcher = SkimMatcherV2::default().ignore_case();
    let mut hits = Vec::new();
    let mut rows = Vec::new();
    let ascii = query.is_ascii().then_some(query.as_bytes());
    let mut consider = |row: u32, id: LeadId, text: &str| {
        // Most leads fail the query's subsequence test; doing it on bytes first skips the
        // matcher's per-call decoding of the text into chars for them.
        if ascii.is_some_and(|q| !is_subsequence(text.as_bytes(), q)) {
            return;
        }
        if let Some(score) = matcher.fuzzy_match(text, &query) {
            hits.push(SearchHit { id, score });
            rows.push(row);
        }
    };
    match previous {
        Some(prev) if !prev.query.is_empty() && query.starts_with(&prev.query) => {
            for &row in &prev.rows {
                if let Some((id, text)) = index.search_row(row as usize) {
                    consider(row, id, text);
                }
            }
        }
        _ => {
            for (row, (id, text)) in index.search_texts().enumerate() {
                consider(row as u32, id, text);
            }
        }
    }
    hits.sort_unstable_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
    SearchResult { query, hits, rows }
}

/// Whether every byte of `query` occurs in `text` in order. For an ASCII query over the
/// lowercase search text this is exactly the matcher's own first test, on bytes.
fn is_subsequence(text: &[u8], query: &[u8]) -> bool {
    let mut rest = text;
    for &q in query {
        match rest.iter().position(|&b| b == q) {
            Some(i) => rest = &rest[i + 1..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{Lead, Pipeline};
    use crate::core::priority::PriorityConfig;
    use crate::core::rules::{RuleIds, RuleSet};
    use crate::core::scorecard::Scorecard;
    use crate::core::signals::SignalSummary;

    fn index_of(names: &[&str]) -> LeadIndex {
        let card = Scorecard::new(RuleSet::default_rules(&mut RuleIds::default()), None);
        let leads: Vec<Lead> = names
            .iter()
            .enumerate()
            .map(|(i, n)| Lead {
                id: i as LeadId + 1,
                name: n.to_string(),
                ..Lead::default()
            })
            .collect();
        LeadIndex::build(
            &card,
            &Pipeline::default(),
            PriorityConfig::default(),
            0,
            leads.iter().map(|l| (l, SignalSummary::default())),
        )
    }

    fn ids(r: &SearchResult) -> Vec<LeadId> {
        r.hits.iter().map(|h| h.id).collect()
    }

    #[test]
    fn finds_leads_by_fuzzy_name_ignoring_case() {
        let ix = index_of(&["Ada Lovelace", "Alan Turing", "Grace Hopper"]);
        let r = search(&ix, "ALT", None);
        assert_eq!(ids(&r), vec![2]);
        assert!(search(&ix, "  ", None).is_empty());
        assert!(search(&ix, "zzz", None).is_empty());
    }

    #[test]
    fn a_grown_query_from_the_previous_result_equals_a_fresh_search() {
        let ix = index_of(&["Ada Lovelace", "Alan Turing", "Grace Hopper", "Adam Alda"]);
        let mut prev: Option<SearchResult> = None;
        for q in ["a", "ad", "ada", "ada l"] {
            let grown = search(&ix, q, prev.as_ref());
            assert_eq!(grown, search(&ix, q, None), "query {q:?}");
            prev = Some(grown);
        }
        // A changed query does not reuse candidates it must not.
        let edited = search(&ix, "gr", prev.as_ref());
        assert_eq!(ids(&edited), vec![3]);
    }

    #[test]
    fn best_match_comes_first() {
        let ix = index_of(&["Banana Nut", "Ann", "Bob"]);
        let r = search(&ix, "ann", None);
        assert_eq!(ids(&r), vec![2, 1], "{r:?}");
        assert!(r.hits.windows(2).all(|w| w[0].score >= w[1].score));
    }
}
