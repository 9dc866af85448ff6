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

use crate::core::parallel::{in_parallel, threads};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

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
const ROWS_PER_THREAD: usize = if cfg!(test) { 500 } else { 20_000 };

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
    /// Per matched row, the byte after the greedy match of the query's first
    /// `resumed_bytes` bytes: a grown query continues its match test from there.
    resume: Vec<u32>,
    resumed_bytes: usize,
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
    let (pool, resumed_bytes) = match grown {
        Some(p) => (Pool::Rows(&p.rows, &p.resume), p.resumed_bytes),
        None => (Pool::All(texts.len().min(ids.len()) as u32), 0),
    };
    let scan = Scan {
        texts,
        ids,
        q: &q,
        resumed_bytes,
        limit,
    };
    let found = in_parallel(&pool.split(threads()), |part| scan.filter(part));
    let total = found.iter().map(|f| f.rows.len()).sum();
    let (mut rows, mut resume) = (Vec::with_capacity(total), Vec::with_capacity(total));
    let mut at_start = Vec::new();
    for f in found {
        rows.extend_from_slice(&f.rows);
        resume.extend_from_slice(&f.resume);
        at_start.extend_from_slice(&f.at_start);
    }
    // Matches whose text starts with the query's first character can score more than the
    // others: they are ranked first, so that the others mostly fall below the worst kept.
    let mut best = Vec::new();
    if limit > 0 {
        best = scan.rank(&at_start, false, q.bound.at_start(), best);
        best = scan.rank(&rows, true, q.bound.elsewhere(), best);
    }
    best.sort_unstable();
    SearchResult {
        query: folded,
        hits: best
            .into_iter()
            .map(|r| SearchHit {
                id: r.id,
                score: r.score.0 as i64,
            })
            .collect(),
        total,
        scanned: pool.len(),
        rows,
        resume,
        resumed_bytes: if q.resumes() { q.bytes.len() } else { 0 },
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

    /// Whether `text` starts with the query's first character.
    fn starts(&self, text: &[u8]) -> bool {
        match *self.first {
            [b] => text.first() == Some(&b),
            ref first => text.starts_with(first),
        }
    }

    /// Whether a scan records where each match of this query ends (an ASCII query that is
    /// tested byte by byte).
    fn resumes(&self) -> bool {
        self.ascii && !self.mask_decides
    }
}

/// The rows a scan looks at: every row below a count, or given rows with the byte where
/// their match test resumes.
#[derive(Clone, Copy)]
enum Pool<'a> {
    All(u32),
    Range(u32, u32),
    Rows(&'a [u32], &'a [u32]),
}

impl Pool<'_> {
    fn len(&self) -> usize {
        match *self {
            Pool::All(n) => n as usize,
            Pool::Range(a, b) => (b - a) as usize,
            Pool::Rows(r, _) => r.len(),
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
                Pool::Rows(r, at) => {
                    let part = bounds(i) as usize..bounds(i + 1) as usize;
                    Pool::Rows(&r[part.clone()], &at[part])
                }
            })
            .collect()
    }

    /// Calls `f` with each row and the byte its match test resumes at.
    fn for_each(&self, mut f: impl FnMut(u32, usize)) {
        match *self {
            Pool::All(n) => (0..n).for_each(|row| f(row, 0)),
            Pool::Range(a, b) => (a..b).for_each(|row| f(row, 0)),
            Pool::Rows(r, at) => r
                .iter()
                .zip(at.iter())
                .for_each(|(&row, &at)| f(row, at as usize)),
        }
    }
}

/// A hit as ranked: ordered best first (higher score, then lower id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Ranked {
    score: Reverse<i32>,
    id: LeadId,
}

/// The matches among one part of the rows scanned.
struct Found {
    rows: Vec<u32>,
    resume: Vec<u32>,
    /// The matching rows whose text starts with the query's first character.
    at_start: Vec<u32>,
}

struct Scan<'a> {
    texts: &'a SearchTexts,
    ids: &'a [LeadId],
    q: &'a Query,
    /// How many bytes of the query the pool's resume bytes account for.
    resumed_bytes: usize,
    limit: usize,
}

impl Scan<'_> {
    /// The rows of `pool` whose text holds the query's characters in order.
    fn filter(&self, pool: Pool) -> Found {
        let (texts, q) = (self.texts, self.q);
        let mut found = Found {
            rows: Vec::new(),
            resume: Vec::new(),
            at_start: Vec::new(),
        };
        let mut chars = Vec::new();
        let rest = &q.bytes[self.resumed_bytes..];
        pool.for_each(|row, at| {
            let r = row as usize;
            if q.mask & !texts.mask(r) != 0 {
                return;
            }
            let text = texts.bytes(r);
            let end = if q.mask_decides {
                Some(0)
            } else if q.ascii {
                match_end(text, at, rest)
            } else {
                let matches = match_end(text, 0, &q.bytes).is_some() && {
                    chars.clear();
                    chars.extend(texts.text(r).chars());
                    is_char_subsequence(&chars, &q.chars)
                };
                matches.then_some(0)
            };
            if let Some(end) = end {
                found.rows.push(row);
                found.resume.push(end as u32);
                if q.starts(text) {
                    found.at_start.push(row);
                }
            }
        });
        found
    }

    /// The best `limit` of `kept` and `rows` (without those starting with the query's first
    /// character when `skip_at_start`), whose scores are at most `bound`. Large groups are
    /// split over threads, each starting from `kept`.
    fn rank(
        &self,
        rows: &[u32],
        skip_at_start: bool,
        bound: i32,
        kept: Vec<Ranked>,
    ) -> Vec<Ranked> {
        if kept.len() == self.limit && kept.iter().all(|k| k.score.0 > bound) {
            return kept;
        }
        let n = threads().min(rows.len() / ROWS_PER_THREAD).max(1);
        let chunks: Vec<&[u32]> = (0..n)
            .map(|i| &rows[rows.len() * i / n..rows.len() * (i + 1) / n])
            .collect();
        let ranked = in_parallel(&chunks, |chunk| {
            self.rank_rows(chunk, skip_at_start, bound, &kept)
        });
        if ranked.len() == 1 {
            return ranked.into_iter().flatten().collect();
        }
        let mut all: Vec<Ranked> = ranked.into_iter().flatten().collect();
        all.sort_unstable();
        all.dedup();
        all.truncate(self.limit);
        all
    }

    /// [`Scan::rank`] of rows in row order, scoring a row only while the bound can still
    /// beat the worst hit kept.
    fn rank_rows(
        &self,
        rows: &[u32],
        skip_at_start: bool,
        bound: i32,
        kept: &[Ranked],
    ) -> Vec<Ranked> {
        let (texts, q) = (self.texts, self.q);
        let mut kept: BinaryHeap<Ranked> = kept.iter().copied().collect();
        let mut scratch = Scratch::default();
        let mut chars = Vec::new();
        for &row in rows {
            let (r, id) = (row as usize, self.ids[row as usize]);
            let text = texts.bytes(r);
            if skip_at_start && q.starts(text) {
                continue;
            }
            if kept.len() == self.limit
                && let Some(worst) = kept.peek()
            {
                let worst_score = worst.score.0;
                // Rows come in row order: with ids ascending, every later row loses a tie.
                if bound < worst_score
                    || (bound == worst_score && texts.ids_ascending() && id > worst.id)
                {
                    break;
                }
            }
            let score = if q.ascii {
                score::score_bytes(text, &q.bytes, &mut scratch)
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
        kept.into_vec()
    }
}

/// Where the greedy match of `query`'s bytes in order in `text`, starting at byte `from`,
/// ends (the byte after its last), or `None` when they do not all occur. For an ASCII query
/// over folded text this is exactly the matcher's own match test; for any other it is a
/// necessary one.
fn match_end(text: &[u8], from: usize, query: &[u8]) -> Option<usize> {
    let mut at = from;
    for &q in query {
        at += text.get(at..)?.iter().position(|&b| b == q)? + 1;
    }
    Some(at)
}

fn is_char_subsequence(text: &[char], query: &[char]) -> bool {
    let mut rest = text.iter();
    query.iter().all(|q| rest.any(|c| c == q))
}
