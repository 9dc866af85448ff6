//! SkimMatcherV2's fuzzy score (fuzzy-matcher 0.3.7, default scoring, ignoring ASCII case),
//! computed on UTF-8 bytes for an ASCII query (a multi-byte character still counts as one
//! column) or on chars otherwise, plus an upper bound of it that costs one byte comparison,
//! so most leads are never scored.
//!
//! The score is that of the matcher's full alignment matrix — the one `fuzzy_indices`
//! builds and highlights — on a matcher with no earlier calls. The library's own calls reuse
//! a per-thread matrix without clearing it, so a score from an already used matcher can
//! depend on the texts scored before it, and `fuzzy_match` (two reused rows) can also keep a
//! value from two pattern rows back (`"abc"` in `a…b…ac` with long gaps). Here every cell is
//! computed, so the score depends on the text and the query only. Tests compare it with
//! fresh matchers.

/// Cell value standing for "no alignment" in the matcher (`i16::MIN`, kept as an `i32`).
const NEG: i32 = i16::MIN as i32;
const SCORE_MATCH: i32 = 16;
const GAP_START: i32 = -3;
const GAP_EXTENSION: i32 = -1;
const BONUS_HEAD: i32 = SCORE_MATCH / 2;
const BONUS_BREAK: i32 = SCORE_MATCH / 2 + GAP_EXTENSION;
const BONUS_CAMEL: i32 = SCORE_MATCH / 2 + 2 * GAP_EXTENSION;
const BONUS_CONSECUTIVE: i32 = -(GAP_START + GAP_EXTENSION);
const PENALTY_CASE_MISMATCH: i32 = GAP_EXTENSION * 2;
const FIRST_CHAR_MULTIPLIER: i32 = 2;
/// The longest query [`QueryBound`] bounds.
const MAX_BOUNDED_QUERY: usize = 1000;

/// The matcher's character classes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Empty,
    Upper,
    Lower,
    Number,
    HardSep,
    SoftSep,
}

fn class_of(c: u32) -> Class {
    match c {
        0 => Class::Empty,
        0x20 | 0x2F | 0x5C | 0x7C | 0x28 | 0x29 | 0x5B | 0x5D | 0x7B | 0x7D => Class::HardSep,
        0x21..=0x27 | 0x2A..=0x2E | 0x3A..=0x40 | 0x5E..=0x60 | 0x7E => Class::SoftSep,
        0x30..=0x39 => Class::Number,
        0x41..=0x5A => Class::Upper,
        _ => Class::Lower,
    }
}

/// The bonus for matching a character of class `cur` after one of class `prev`.
fn in_place_bonus(prev: Class, cur: Class) -> i32 {
    match (prev, cur) {
        (Class::Empty | Class::HardSep, _) => BONUS_HEAD,
        (Class::SoftSep, _) => BONUS_BREAK,
        (Class::Lower | Class::Number, Class::Upper) => BONUS_CAMEL,
        _ => 0,
    }
}

/// A unit of text the matcher compares: a byte of UTF-8 text (for an ASCII query) or a
/// `char`.
pub trait Unit: Copy {
    fn code(self) -> u32;

    /// Whether this unit continues the character before it (a UTF-8 continuation byte): it
    /// is no column of the matcher's matrix, so it carries the previous column's values.
    fn continues(self) -> bool {
        false
    }

    fn same_ignoring_ascii_case(self, other: Self) -> bool {
        let (a, b) = (self.code(), other.code());
        a == b || (a < 128 && b < 128 && (a as u8).eq_ignore_ascii_case(&(b as u8)))
    }
}

impl Unit for u8 {
    fn code(self) -> u32 {
        // A byte of a non-ASCII character: never equal to an ASCII query byte, and of the
        // class the matcher gives every non-ASCII character (lower).
        self as u32
    }

    fn continues(self) -> bool {
        self & 0xC0 == 0x80
    }
}

impl Unit for char {
    fn code(self) -> u32 {
        self as u32
    }
}

/// Buffers reused between scorings (one per thread).
#[derive(Default)]
pub struct Scratch {
    first: Vec<usize>,
    bonus: Vec<i32>,
    m_last: Vec<i32>,
    m_cur: Vec<i32>,
    p_last: Vec<i32>,
    p_cur: Vec<i32>,
    /// Per distinct query byte: (char index, in-place bonus) of its occurrences.
    occurrences: Vec<Vec<(i32, i32)>>,
    /// (char index, score) of the alignments ending at a query row's occurrences.
    row_last: Vec<(i32, i32)>,
    row_cur: Vec<(i32, i32)>,
}

/// Where each query unit first matches, greedily: `None` when `query` is not a subsequence
/// of `text` (the matcher's own match test).
fn first_matches<T: Unit>(text: &[T], query: &[T], out: &mut Vec<usize>) -> bool {
    out.clear();
    let mut q = query.iter().peekable();
    for (i, &c) in text.iter().enumerate() {
        match q.peek() {
            Some(&&p) if c.same_ignoring_ascii_case(p) => {
                out.push(i);
                q.next();
            }
            Some(_) => {}
            None => break,
        }
    }
    q.peek().is_none()
}

/// The longest text (in bytes) [`score_bytes`] scores sparsely: below it every real
/// alignment scores far above the matrix's "no alignment" values, so those can be ignored.
const SPARSE_MAX_BYTES: usize = 16_000;

/// [`score`] of an ASCII `query` in UTF-8 `text`, both without ASCII upper case, visiting
/// only the text's occurrences of query characters instead of the whole matrix.
///
/// In the matrix, a match of query row i at char x scores
/// 16 + max(M[i-1][x-1] + max(bonus(x), 4), P[i-1][x-1] + bonus(x)), where the skip value
/// P[i-1][x-1] = max over x' < x-1 of M[i-1][x'] - 3 - (x-1-x') (row 0: -1 everywhere); a
/// cell that is no match is "no alignment". So only cells at occurrences carry values.
pub fn score_bytes(text: &[u8], query: &[u8], s: &mut Scratch) -> Option<i32> {
    if query.is_empty() || text.len() > SPARSE_MAX_BYTES || query.len() > MAX_BOUNDED_QUERY {
        return score(text, query, s);
    }
    const NONE: u8 = u8::MAX;
    let mut slot = [NONE; 128];
    let mut distinct = 0;
    for &b in query {
        let b = (b & 0x7F) as usize;
        if slot[b] == NONE {
            slot[b] = distinct;
            distinct += 1;
        }
    }
    if s.occurrences.len() < distinct as usize {
        s.occurrences.resize_with(distinct as usize, Vec::new);
    }
    for list in &mut s.occurrences[..distinct as usize] {
        list.clear();
    }
    let (mut x, mut prev) = (0i32, Class::Empty);
    for &b in text {
        if b & 0xC0 == 0x80 {
            continue;
        }
        let class = class_of(b as u32);
        if b < 0x80 && slot[b as usize] != NONE {
            let mut bonus = in_place_bonus(prev, class);
            if x == 0 {
                bonus *= FIRST_CHAR_MULTIPLIER;
            }
            s.occurrences[slot[b as usize] as usize].push((x, bonus));
        }
        prev = class;
        x += 1;
    }
    let occurrences = |q: u8| &s.occurrences[slot[(q & 0x7F) as usize] as usize];
    s.row_last.clear();
    s.row_last.extend(
        occurrences(query[0])
            .iter()
            .map(|&(x, bonus)| (x, SCORE_MATCH + GAP_EXTENSION + bonus)),
    );
    for &q in &query[1..] {
        s.row_cur.clear();
        let last = &s.row_last;
        let (mut j, mut reach) = (0, None::<i32>);
        for &(x, bonus) in occurrences(q) {
            // Fold in every alignment of the previous row ending at x' < x - 1, as its value
            // less the gap extensions up to x', so that the gap's cost follows from x alone.
            while j < last.len() && last[j].0 < x - 1 {
                let v = last[j].1 - GAP_EXTENSION * last[j].0;
                reach = Some(reach.map_or(v, |r| r.max(v)));
                j += 1;
            }
            let matched = (j < last.len() && last[j].0 == x - 1)
                .then(|| last[j].1 + bonus.max(BONUS_CONSECUTIVE));
            // A gap of x-1-x' chars: one start and that many extensions.
            let skipped = reach.map(|r| r + GAP_START + GAP_EXTENSION * (x - 1) + bonus);
            let best = match (matched, skipped) {
                (Some(a), Some(b)) => a.max(b),
                (a, b) => match a.or(b) {
                    Some(v) => v,
                    None => continue,
                },
            };
            s.row_cur.push((x, best + SCORE_MATCH));
        }
        if s.row_cur.is_empty() {
            return None;
        }
        std::mem::swap(&mut s.row_last, &mut s.row_cur);
    }
    s.row_last.iter().map(|&(_, v)| v).max()
}

/// The matcher's score of `query` in `text`, or `None` when it does not match. An empty
/// query scores 0, as in the matcher.
pub fn score<T: Unit>(text: &[T], query: &[T], s: &mut Scratch) -> Option<i32> {
    if query.is_empty() {
        return Some(0);
    }
    if !first_matches(text, query, &mut s.first) {
        return None;
    }
    let cols = text.len() + 1;
    s.bonus.clear();
    s.bonus.push(0);
    let mut prev = Class::Empty;
    for &c in text {
        let cur = class_of(c.code());
        s.bonus.push(in_place_bonus(prev, cur));
        prev = cur;
    }
    s.bonus[1] *= FIRST_CHAR_MULTIPLIER;
    for row in [&mut s.m_last, &mut s.m_cur, &mut s.p_last, &mut s.p_cur] {
        row.clear();
        row.resize(cols, NEG);
    }
    // Row 0: nothing of the query aligned yet; skipping costs one gap extension.
    s.p_last.fill(GAP_EXTENSION);
    for (i, &q) in query.iter().enumerate() {
        let from = s.first[i];
        s.m_cur[from] = NEG;
        s.p_cur[from] = NEG;
        for col in from + 1..cols {
            let c = text[col - 1];
            if c.continues() {
                s.m_cur[col] = s.m_cur[col - 1];
                s.p_cur[col] = s.p_cur[col - 1];
                continue;
            }
            s.m_cur[col] = if c.same_ignoring_ascii_case(q) {
                let bonus = s.bonus[col];
                let matched = s.m_last[col - 1] + bonus.max(BONUS_CONSECUTIVE);
                let skipped = s.p_last[col - 1] + bonus;
                let case = if c.code() == q.code() {
                    0
                } else {
                    PENALTY_CASE_MISMATCH
                };
                matched.max(skipped) + (SCORE_MATCH + case).max(0)
            } else {
                NEG
            };
            s.p_cur[col] = (GAP_START + GAP_EXTENSION + s.m_cur[col - 1])
                .max(GAP_EXTENSION + s.p_cur[col - 1]);
        }
        std::mem::swap(&mut s.m_last, &mut s.m_cur);
        std::mem::swap(&mut s.p_last, &mut s.p_cur);
    }
    let end = s.first[query.len() - 1];
    s.m_last[end..].iter().copied().max()
}

/// What a query can score at most in any text without ASCII upper case, split as: the bonus of
/// its first character (16 at the start of the text, at most 8 elsewhere) plus a part that
/// depends on the query alone ([`QueryBound::rest`]).
#[derive(Clone, Copy, Debug)]
pub struct QueryBound {
    pub rest: i32,
}

impl QueryBound {
    /// The bound of a query without ASCII upper case, from its units' codes.
    pub fn of(query: &[u32]) -> QueryBound {
        if query.len() > MAX_BOUNDED_QUERY {
            // Past this length "no alignment" values could exceed the bound: never prune.
            return QueryBound { rest: i32::MAX / 2 };
        }
        // The first match: a skip from row 0 (-1) plus its in-place bonus.
        let mut rest = SCORE_MATCH + GAP_EXTENSION;
        for w in query.windows(2) {
            // A match right after the previous one gets max(bonus, consecutive), where the
            // bonus comes from the text's previous character: the previous query character
            // (texts and queries hold no ASCII upper case). After a gap of g ≥ 1 it gets its
            // bonus (at most head) plus the gap's cost (gap start + g × extension ≤ -4).
            let consecutive = in_place_bonus(class_of(w[0]), class_of(w[1])).max(BONUS_CONSECUTIVE);
            let gap = BONUS_HEAD + GAP_START + GAP_EXTENSION;
            rest += SCORE_MATCH + consecutive.max(gap);
        }
        QueryBound { rest }
    }

    /// The bound for a text that starts with the query's first character, and for one that
    /// does not.
    pub fn at_start(self) -> i32 {
        self.rest + BONUS_HEAD * FIRST_CHAR_MULTIPLIER
    }

    pub fn elsewhere(self) -> i32 {
        self.rest + BONUS_HEAD
    }
}
