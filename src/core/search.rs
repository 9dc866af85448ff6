//! Fuzzy search over every lead's "name · email · account · title", one call per keystroke:
//! the matching leads, how many, and the best few ranked by SkimMatcherV2's score.
//!
//! A lead matches when the query's characters occur in its folded text in order (the
//! matcher's own test); hits are ranked by the matcher's score, ties by lower lead id. Most
//! leads are decided without the matcher: a character mask rejects texts missing a query
//! character, a byte scan tests the order, and the score is computed only for leads whose
//! upper bound ([`score::QueryBound`]) can still beat the current `limit`-th hit. A grown
//! query (the previous one with characters appended) can only match leads the previous one
//! matched, so the caller passes the previous result back and only those rows are scanned;
//! any other edit scans every lead. Large scans are split over the machine's cores.

mod score;
mod texts;

#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::OnceLock;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use crate::core::index::LeadIndex;
use crate::core::model::LeadId;
use score::{QueryBound, Scratch};
pub use texts::{SearchTexts, char_mask, fold_case, lead_text};

/// How many hits a search ranks and the console shows.
pub const MAX_HITS: usize = 200;

/// Rows one thread scans at least before a scan is split over threads (few in tests, so
/// that they split too).
const ROWS_PER_THREAD: usize = if cfg!(test) { 500 } else { 50_000 };

/// One lead that matches a search, with its fuzzy score (higher is better).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SearchHit {
    pub id: LeadId,
    pub score: i64,
}

/// The result of one search: the best hits, how many leads match, and what the next
/// keystroke needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchResult {
    /// The query this result is for, trimmed and case-folded.
    pub query: String,
    /// The best matching leads, at most the `limit` asked for, highest score first (ties:
    /// lower id first).
    pub hits: Vec<SearchHit>,
    /// How many leads match.
    pub total: usize,
    /// How many leads this search examined (every lead, or the previous matches).
    pub scanned: usize,
    /// The rows that matched, in row order: the candidates of a grown query.
    rows: Vec<u32>,
    /// The texts' stamp when this was computed.
    stamp: u64,
}

impl SearchResult {
    /// Whether no lead matches.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// Searches `index` for `query`, ranking the best `limit` matches, and reusing `previous`
/// when `query` grows its query and the index's texts have not changed since.
///
/// An empty query matches nothing (the console shows the queue instead).
pub fn search(
    index: &LeadIndex,
    query: &str,
    limit: usize,
    previous: Option<&SearchResult>,
) -> SearchResult {
    let (texts, ids) = index.search_parts();
    search_texts(texts, ids, query, limit, previous)
}

/// [`search`] over `texts`, whose row `r` is lead `ids[r]`.
pub fn search_texts(
    texts: &SearchTexts,
    ids: &[LeadId],
    query: &str,
    limit: usize,
    previous: Option<&SearchResult>,
) -> SearchResult {
    let folded = fold_case(query.trim());
    if folded.is_empty() {
        return SearchResult {
            stamp: texts.stamp(),
            ..SearchResult::default()
        };
    }
    let q = Query::new(&folded);
    let grown = previous.filter(|p| {
        p.stamp == texts.stamp() && !p.query.is_empty() && folded.starts_with(&p.query)
    });
    let pool = match grown {
        Some(p) => Pool::Rows(&p.rows),
        None => Pool::All(texts.len().min(ids.len()) as u32),
    };
    let scan = Scan {
        texts,
        ids,
        q: &q,
        limit,
    };
    let parts = pool.split(threads());
    let parts: Vec<Part> = if parts.len() == 1 {
        vec![scan.run(parts[0])]
    } else {
        std::thread::scope(|s| {
            let workers: Vec<_> = parts
                .iter()
                .map(|&pool| {
                    let scan = &scan;
                    s.spawn(move || scan.run(pool))
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    let mut rows = Vec::with_capacity(parts.iter().map(|p| p.rows.len()).sum());
    let mut best: Vec<Ranked> = Vec::new();
    for part in parts {
        rows.extend_from_slice(&part.rows);
        best.extend(part.best);
    }
    best.sort_unstable();
    best.truncate(limit);
    SearchResult {
        query: folded,
        hits: best
            .into_iter()
            .map(|r| SearchHit {
                id: r.id,
                score: r.score.0 as i64,
            })
            .collect(),
        total: rows.len(),
        scanned: pool.len(),
        rows,
        stamp: texts.stamp(),
    }
}

/// The character positions of `text` that `query` (as in [`SearchResult::query`]) matches,
/// for highlighting: SkimMatcherV2's own alignment, from a matcher with no earlier calls.
pub fn matched_positions(text: &str, query: &str) -> Vec<usize> {
    SkimMatcherV2::default()
        .ignore_case()
        .fuzzy_indices(text, query)
        .map(|(_, positions)| positions)
        .unwrap_or_default()
}

fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
}

/// A folded query in the forms the scan needs.
struct Query {
    bytes: Vec<u8>,
    chars: Vec<char>,
    ascii: bool,
    mask: u64,
    /// The UTF-8 bytes of the first character.
    first: Vec<u8>,
    bound: QueryBound,
    /// Whether the mask alone decides a match (one character with a bit of its own).
    mask_decides: bool,
}

impl Query {
    fn new(folded: &str) -> Query {
        let chars: Vec<char> = folded.chars().collect();
        let codes: Vec<u32> = chars.iter().map(|&c| c as u32).collect();
        let mask = char_mask(folded.as_bytes());
        Query {
            bytes: folded.as_bytes().to_vec(),
            ascii: folded.is_ascii(),
            mask,
            first: chars[0].to_string().into_bytes(),
            bound: QueryBound::of(&codes),
            mask_decides: chars.len() == 1
                && (chars[0].is_ascii_alphanumeric() || " @.-_".contains(chars[0])),
            chars,
        }
    }
}

/// The rows a scan looks at: every row below a count, or given rows.
#[derive(Clone, Copy)]
enum Pool<'a> {
    All(u32),
    Range(u32, u32),
    Rows(&'a [u32]),
}

impl Pool<'_> {
    fn len(&self) -> usize {
        match *self {
            Pool::All(n) => n as usize,
            Pool::Range(a, b) => (b - a) as usize,
            Pool::Rows(r) => r.len(),
        }
    }

    /// Up to `n` consecutive parts of at least [`ROWS_PER_THREAD`] rows each.
    fn split(&self, n: usize) -> Vec<Self> {
        let len = self.len();
        let n = n.min(len / ROWS_PER_THREAD).max(1);
        let bounds = |i: usize| (len * i / n) as u32;
        (0..n)
            .map(|i| match *self {
                Pool::All(_) | Pool::Range(..) => {
                    let base = if let Pool::Range(a, _) = *self { a } else { 0 };
                    Pool::Range(base + bounds(i), base + bounds(i + 1))
                }
                Pool::Rows(r) => Pool::Rows(&r[bounds(i) as usize..bounds(i + 1) as usize]),
            })
            .collect()
    }

    fn for_each(&self, mut f: impl FnMut(u32)) {
        match *self {
            Pool::All(n) => (0..n).for_each(f),
            Pool::Range(a, b) => (a..b).for_each(f),
            Pool::Rows(r) => r.iter().for_each(|&row| f(row)),
        }
    }
}

/// A hit as ranked: ordered best first (higher score, then lower id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Ranked {
    score: Reverse<i32>,
    id: LeadId,
}

/// One thread's share of a search.
struct Part {
    rows: Vec<u32>,
    best: Vec<Ranked>,
}

struct Scan<'a> {
    texts: &'a SearchTexts,
    ids: &'a [LeadId],
    q: &'a Query,
    limit: usize,
}

impl Scan<'_> {
    fn run(&self, pool: Pool) -> Part {
        let (texts, q) = (self.texts, self.q);
        // Matches whose text starts with the query's first character can score more than
        // the others: they are ranked first.
        let (mut rows, mut at_start) = (Vec::new(), Vec::new());
        let mut chars = Vec::new();
        pool.for_each(|row| {
            let r = row as usize;
            if q.mask & !texts.mask(r) != 0 {
                return;
            }
            let text = texts.bytes(r);
            let matches = q.mask_decides
                || (is_subsequence(text, &q.bytes)
                    && (q.ascii || {
                        chars.clear();
                        chars.extend(texts.text(r).chars());
                        is_char_subsequence(&chars, &q.chars)
                    }));
            if matches {
                rows.push(row);
                if text.starts_with(&q.first) {
                    at_start.push(row);
                }
            }
        });
        let elsewhere = rows
            .iter()
            .copied()
            .filter(|&r| !texts.bytes(r as usize).starts_with(&q.first));
        let best = self.rank([
            (
                Box::new(at_start.iter().copied()) as Box<dyn Iterator<Item = u32>>,
                q.bound.at_start(),
            ),
            (Box::new(elsewhere), q.bound.elsewhere()),
        ]);
        Part { rows, best }
    }

    /// The best `limit` of the matching rows, scoring a row only while its group's bound can
    /// still beat the worst hit kept.
    fn rank<'r>(&self, groups: [(Box<dyn Iterator<Item = u32> + 'r>, i32); 2]) -> Vec<Ranked> {
        if self.limit == 0 {
            return Vec::new();
        }
        let (texts, q) = (self.texts, self.q);
        let mut kept: BinaryHeap<Ranked> = BinaryHeap::with_capacity(self.limit + 1);
        let mut scratch = Scratch::default();
        let mut chars = Vec::new();
        for (rows, bound) in groups {
            for row in rows {
                let (r, id) = (row as usize, self.ids[row as usize]);
                if kept.len() == self.limit
                    && let Some(worst) = kept.peek()
                {
                    let worst_score = worst.score.0;
                    // Rows of a group come in row order: with ids ascending, every later row
                    // of the group loses a tie too.
                    if bound < worst_score
                        || (bound == worst_score && texts.ids_ascending() && id > worst.id)
                    {
                        break;
                    }
                }
                let score = if q.ascii {
                    score::score(texts.bytes(r), &q.bytes, &mut scratch)
                } else {
                    chars.clear();
                    chars.extend(texts.text(r).chars());
                    score::score(&chars, &q.chars, &mut scratch)
                };
                let Some(score) = score else { continue };
                let ranked = Ranked {
                    score: Reverse(score),
                    id,
                };
                if kept.len() < self.limit {
                    kept.push(ranked);
                } else if kept.peek().is_some_and(|worst| ranked < *worst) {
                    kept.pop();
                    kept.push(ranked);
                }
            }
        }
        kept.into_vec()
    }
}

/// Whether every byte of `query` occurs in `text` in order. For an ASCII query over folded
/// text this is exactly the matcher's own match test; for any other it is a necessary one.
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

fn is_char_subsequence(text: &[char], query: &[char]) -> bool {
    let mut rest = text.iter();
    query.iter().all(|q| rest.any(|c| c == q))
}
