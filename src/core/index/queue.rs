//! Queue selection from the index: each row's priority, an upper bound of it that lets the
//! top-K pass skip most rows, and the heap of the best `k` rows that pass a filter.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{LeadIndex, QueueEntry, QueueFilter, Row};
use crate::core::model::{LeadId, Timestamp};
use crate::core::parallel::{in_parallel, row_ranges};
use crate::core::priority::{PriorityFacts, QueuePriority};
use crate::core::weights::sigmoid;

impl LeadIndex {
    pub(super) fn entry_at(&self, r: usize, now: Timestamp) -> QueueEntry {
        self.entry_with(r, self.weights.bias + self.sums[r], now)
    }

    /// Row `r`'s queue entry were its logit `logit`.
    pub(super) fn entry_with(&self, r: usize, logit: f64, now: Timestamp) -> QueueEntry {
        let v = self.deal_value[r];
        let facts = PriorityFacts {
            deal_value: (!v.is_nan()).then_some(v),
            due: (self.due[r] != i64::MAX).then_some(self.due[r]),
            fresh_until: (self.fresh_until[r] != i64::MIN).then_some(self.fresh_until[r]),
        };
        QueueEntry {
            id: self.ids[r],
            logit,
            priority: QueuePriority::compute(sigmoid(logit), &facts, now, &self.cfg),
        }
    }

    /// The key row `r` would have with p = 1, computed as [`QueuePriority::compute`] does;
    /// never below its real key (for non-negative boosts).
    #[inline]
    fn key_bound(&self, r: usize, now: Timestamp) -> f64 {
        let v = self.deal_value[r];
        let base = if v.is_nan() { 1.0 } else { v };
        let overdue = if self.due[r] < now {
            self.cfg.overdue_boost
        } else {
            1.0
        };
        let fresh = if now < self.fresh_until[r] {
            self.cfg.fresh_inbound_boost
        } else {
            1.0
        };
        base * overdue * fresh
    }

    /// [`LeadIndex::key_bound`] over all times: every boost the row could ever get, as an
    /// f32 rounded up so that it never falls below the f64 bound.
    pub(super) fn ceiling_of(&self, r: usize) -> f32 {
        let v = self.deal_value[r];
        let mut bound = if v.is_nan() { 1.0 } else { v };
        if self.due[r] != i64::MAX {
            bound *= self.cfg.overdue_boost.max(1.0);
        }
        if self.fresh_until[r] != i64::MIN {
            bound *= self.cfg.fresh_inbound_boost.max(1.0);
        }
        let c = bound as f32;
        if (c as f64) < bound { c.next_up() } else { c }
    }

    /// One lead's queue entry (priority at `now`).
    pub fn entry(&self, id: LeadId, now: Timestamp) -> Option<QueueEntry> {
        self.row_of(id).map(|r| self.entry_at(r, now))
    }

    /// The `k` leads of highest priority passing `filter`, best first (ties: lower id first).
    /// A heap of `k` over one pass, not a sort of every lead; most rows are passed over after
    /// reading only their ceiling (one contiguous array).
    pub fn top(&self, k: usize, filter: &QueueFilter, now: Timestamp) -> Vec<QueueEntry> {
        let Some(pass) = self.row_filter(filter) else {
            return Vec::new();
        };
        if k == 0 {
            return Vec::new();
        }
        // Ceilings bound keys only for non-negative boosts; otherwise every row is looked at.
        let prune = self.cfg.overdue_boost >= 0.0 && self.cfg.fresh_inbound_boost >= 0.0;
        // Each core keeps the best `k` of its rows; the best `k` of those are the answer.
        let best_of = |rows: std::ops::Range<usize>| {
            let mut page = Page {
                heap: BinaryHeap::with_capacity(k + 1),
                k,
                floor: f32::NEG_INFINITY,
            };
            for r in rows {
                if prune && self.ceiling[r] < page.floor {
                    continue;
                }
                page.offer(self, &pass, r, now, prune);
            }
            page.heap.into_vec()
        };
        let mut out = in_parallel(&row_ranges(self.ids.len()), best_of).concat();
        out.sort_unstable();
        out.truncate(k);
        out.into_iter()
            .map(|Reverse((_, _, r))| self.entry_at(r as usize, now))
            .collect()
    }

    /// How many leads pass `filter`: the length of that queue.
    pub fn count(&self, filter: &QueueFilter) -> usize {
        let Some(pass) = self.row_filter(filter) else {
            return 0;
        };
        if filter.owner.is_none() && filter.due_before.is_none() {
            // Only stages decide: the rows per stage are kept.
            return (0..256)
                .filter(|&s| !pass.hidden[s] && pass.stage.is_none_or(|only| only as usize == s))
                .map(|s| self.stage_rows[s] as usize)
                .sum();
        }
        let count = |rows: std::ops::Range<usize>| rows.filter(|&r| pass.pass(self, r)).count();
        in_parallel(&row_ranges(self.ids.len()), count)
            .into_iter()
            .sum()
    }

    /// The `k` leads of lowest priority passing `filter`, in queue order (best first): the
    /// bottom of the queue without sorting the rest of it.
    pub fn bottom(&self, k: usize, filter: &QueueFilter, now: Timestamp) -> Vec<QueueEntry> {
        let Some(pass) = self.row_filter(filter) else {
            return Vec::new();
        };
        if k == 0 {
            return Vec::new();
        }
        // A max-heap of the k lowest (key, Reverse(id)) items.
        let mut heap: BinaryHeap<(OrdKey, Reverse<LeadId>, Row)> = BinaryHeap::with_capacity(k + 1);
        for r in 0..self.ids.len() {
            if !pass.pass(self, r) {
                continue;
            }
            let e = self.entry_at(r, now);
            let item = (OrdKey(e.priority.key), Reverse(e.id), r as Row);
            if heap.len() < k {
                heap.push(item);
            } else if heap.peek().is_some_and(|max| item < *max) {
                heap.pop();
                heap.push(item);
            }
        }
        let mut out = heap.into_vec();
        out.sort_unstable_by(|a, b| b.cmp(a));
        out.into_iter()
            .map(|(_, _, r)| self.entry_at(r as usize, now))
            .collect()
    }

    /// Each lead's 1-based position in the queue `filter` selects, at `now`; `None` for a
    /// lead that is not in it. One pass over the rows; rows whose ceiling is below every
    /// asked lead's key are passed over without computing their priority.
    pub fn ranks_of(
        &self,
        ids: &[LeadId],
        filter: &QueueFilter,
        now: Timestamp,
    ) -> Vec<Option<u32>> {
        let Some(pass) = self.row_filter(filter) else {
            return vec![None; ids.len()];
        };
        let mut targets: Vec<(OrdKey, Reverse<LeadId>)> = ids
            .iter()
            .filter_map(|&id| {
                let r = self.row_of(id)?;
                pass.pass(self, r)
                    .then(|| (OrdKey(self.entry_at(r, now).priority.key), Reverse(id)))
            })
            .collect();
        targets.sort_unstable();
        let Some(&(OrdKey(lowest), _)) = targets.first() else {
            return vec![None; ids.len()];
        };
        let prune = self.cfg.overdue_boost >= 0.0 && self.cfg.fresh_inbound_boost >= 0.0;
        // above[i]: rows strictly above targets[i] in queue order. A lead deep in the queue
        // is below most rows, each of which then needs its priority: the pass is split
        // across the cores.
        let count_above = |rows: std::ops::Range<usize>| {
            let mut above = vec![0u32; targets.len() + 1];
            for r in rows {
                if (prune && (self.ceiling[r] as f64) < lowest) || !pass.pass(self, r) {
                    continue;
                }
                let e = self.entry_at(r, now);
                let item = (OrdKey(e.priority.key), Reverse(e.id));
                // Targets below `item` are the first `n` of the sorted targets.
                let n = targets.partition_point(|t| *t < item);
                above[n] += 1;
            }
            above
        };
        let rank_of_target =
            ranks_from_counts(in_parallel(&row_ranges(self.ids.len()), count_above));
        ids.iter()
            .map(|&id| {
                let r = self.row_of(id)?;
                if !pass.pass(self, r) {
                    return None;
                }
                let key = (OrdKey(self.entry_at(r, now).priority.key), Reverse(id));
                let j = targets.binary_search(&key).ok()?;
                Some(rank_of_target[j])
            })
            .collect()
    }

    /// The row test for `filter`; `None` when nothing can pass (unknown owner or stage).
    pub(super) fn row_filter(&self, filter: &QueueFilter) -> Option<RowFilter> {
        let owner = match &filter.owner {
            Some(o) => Some(
                self.owners
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(o.trim()))? as u16,
            ),
            None => None,
        };
        let stage = match &filter.stage {
            Some(s) => Some(
                self.stages
                    .iter()
                    .position(|(n, _)| n.eq_ignore_ascii_case(s.trim()))? as u8,
            ),
            None => None,
        };
        let hide_terminal =
            stage.is_none() && self.cfg.exclude_terminal && !filter.include_terminal;
        let mut hidden = [false; 256];
        for (i, (_, terminal)) in self.stages.iter().enumerate() {
            hidden[i] = hide_terminal && *terminal;
        }
        Some(RowFilter {
            owner,
            stage,
            hidden,
            due_before: filter.due_before,
        })
    }
}

/// The 1-based rank of each of `n` sorted targets from per-thread counts, each `n + 1` long,
/// of the rows counted at `i`: above targets `0..i` (below the rest).
pub(super) fn ranks_from_counts(parts: Vec<Vec<u32>>) -> Vec<u32> {
    let n = parts.first().map_or(0, |p| p.len().saturating_sub(1));
    let mut above = vec![0u32; n + 1];
    for part in parts {
        for (total, c) in above.iter_mut().zip(part) {
            *total += c;
        }
    }
    // A row counted at i is above targets[0..i]: target j has the rows counted past j.
    let mut count = 0;
    let mut rank = vec![0u32; n];
    for j in (0..n).rev() {
        count += above[j + 1];
        rank[j] = count + 1;
    }
    rank
}

type PageItem = Reverse<(OrdKey, Reverse<LeadId>, Row)>;

/// The best `k` rows seen so far, as a min-heap.
struct Page {
    heap: BinaryHeap<PageItem>,
    k: usize,
    /// The heap's minimum key rounded down to f32 once the heap is full: a row whose
    /// ceiling is below it cannot enter.
    floor: f32,
}

impl Page {
    #[inline]
    fn offer(&mut self, ix: &LeadIndex, pass: &RowFilter, r: usize, now: Timestamp, prune: bool) {
        if !pass.pass(ix, r) {
            return;
        }
        // p ≤ 1, so value × boosts bounds the key: most rows that get here are passed
        // over without computing their probability.
        if prune
            && self.heap.len() == self.k
            && self
                .heap
                .peek()
                .is_some_and(|Reverse((min, _, _))| ix.key_bound(r, now) < min.0)
        {
            return;
        }
        let e = ix.entry_at(r, now);
        let item = Reverse((OrdKey(e.priority.key), Reverse(e.id), r as Row));
        if self.heap.len() < self.k {
            self.heap.push(item);
        } else if self.heap.peek().is_some_and(|min| item < *min) {
            self.heap.pop();
            self.heap.push(item);
        }
        if self.heap.len() == self.k
            && let Some(Reverse((min, _, _))) = self.heap.peek()
        {
            let m = min.0 as f32;
            self.floor = if (m as f64) > min.0 { m.next_down() } else { m };
        }
    }
}

/// A queue filter resolved to the index's interned owners and stages.
pub(super) struct RowFilter {
    owner: Option<u16>,
    stage: Option<u8>,
    /// Stages left out (terminal ones, unless asked for).
    hidden: [bool; 256],
    due_before: Option<Timestamp>,
}

/// A [`RowFilter`] over one range of rows, its columns sliced once: the test of each row
/// reads three slices with no bounds check and no branch (for the tight passes over every
/// row, where a bounds check and a reload per column cost more than the test).
pub(super) struct RangeTest<'a> {
    owner: &'a [u16],
    stage: &'a [u8],
    due: &'a [Timestamp],
    hidden: &'a [bool; 256],
    /// Each test as a value and whether it is off (`any_*`: every row passes it).
    o: u16,
    any_o: bool,
    s: u8,
    any_s: bool,
    d: Timestamp,
    any_d: bool,
}

impl RangeTest<'_> {
    /// Rows in the range.
    pub(super) fn len(&self) -> usize {
        let n = self.stage.len();
        // Equal lengths, stated once, let the compiler drop the per-row bounds checks.
        assert!(self.owner.len() == n && self.due.len() == n);
        n
    }

    /// Whether row `start + i` of the range passes.
    #[inline(always)]
    pub(super) fn pass(&self, i: usize) -> bool {
        // `||` after an `any_*` flag is a branch taken the same way on every row, and skips
        // reading a column the filter does not test (memory, not comparisons, bounds a pass).
        let stage = self.stage[i];
        (self.any_o || self.owner[i] == self.o)
            & (self.any_s | (stage == self.s))
            & !self.hidden[stage as usize]
            & (self.any_d || self.due[i] < self.d)
    }
}

impl RowFilter {
    /// This filter over rows `rows` of `ix`.
    pub(super) fn over<'a>(
        &'a self,
        ix: &'a LeadIndex,
        rows: std::ops::Range<usize>,
    ) -> RangeTest<'a> {
        RangeTest {
            owner: &ix.owner[rows.clone()],
            stage: &ix.stage[rows.clone()],
            due: &ix.due[rows],
            hidden: &self.hidden,
            o: self.owner.unwrap_or(0),
            any_o: self.owner.is_none(),
            s: self.stage.unwrap_or(0),
            any_s: self.stage.is_none(),
            d: self.due_before.unwrap_or(0),
            any_d: self.due_before.is_none(),
        }
    }

    #[inline]
    pub(super) fn pass(&self, ix: &LeadIndex, r: usize) -> bool {
        // `&`, not `&&`: each test is cheap, and whether a row passes is as good as random,
        // so branching on each test would mispredict on most rows.
        let stage = ix.stage[r];
        self.owner.is_none_or(|o| ix.owner[r] == o)
            & self.stage.is_none_or(|s| stage == s)
            & !self.hidden[stage as usize]
            & self.due_before.is_none_or(|d| ix.due[r] < d)
    }
}

/// An f64 with a total order, for the heap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct OrdKey(pub(super) f64);

impl Eq for OrdKey {}

impl PartialOrd for OrdKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrdKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
