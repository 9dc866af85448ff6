//! What-if: the queue as it would be with other weights, from the index alone. A draft that
//! changes only rules' points (or locks, disables or deletes rules) keeps every lead's rule
//! matches, so its scores are the cached sums plus Δw·x over the changed rules' postings:
//! how many leads change score and the draft's top of the queue with each lead's rank now,
//! without reading the database or re-evaluating a rule.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::queue::OrdKey;
use super::{LeadIndex, QueueFilter, Row, posting_lists};
use crate::core::model::{LeadId, Timestamp};
use crate::core::parallel::{in_parallel, row_ranges};
use crate::core::weights::{Weights, points_from_weight};

/// One lead of the draft's top of the queue.
#[derive(Clone, Debug, PartialEq)]
pub struct WhatIfRow {
    pub id: LeadId,
    /// Its place in today's queue (`None`: not in it).
    pub before_rank: Option<u32>,
    pub after_rank: u32,
    pub before_points: i32,
    pub after_points: i32,
}

/// What scoring every lead with other weights would change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WhatIf {
    pub leads: usize,
    /// Leads whose score in points changes; the sum and the largest of those changes.
    pub changed: usize,
    pub total_change: i64,
    pub max_change: i32,
    /// Today's top of the queue.
    pub before_top: Vec<LeadId>,
    /// The top with the other weights, best first.
    pub after_top: Vec<WhatIfRow>,
}

/// One core's part: its changes and its best `k` rows by the new key.
struct Part {
    changed: usize,
    total: i64,
    max: i32,
    best: BinaryHeap<Reverse<(OrdKey, Reverse<LeadId>, Row)>>,
}

impl LeadIndex {
    /// The queue (no filter) were the weights `after`, at `now`: the `k` best leads then and
    /// now. Exact for weights of the same rules' matches (see the module).
    pub fn what_if(&self, after: &Weights, k: usize, now: Timestamp) -> WhatIf {
        let changed = self.weight_changes(after);
        let lists = &posting_lists(&self.postings, &changed);
        // Each row's sum with the other weights: today's plus Δw·x of the changed rules that
        // match it, in the order `add_to_sums` adds them (so equal to a re-rank to the bit).
        // Read off the posting lists (sorted by row) with a cursor each, rather than from a
        // copy of every sum: a fresh 8 MB vector per preview made the kernel zero new pages
        // for a quarter of the key's time at a million leads.
        let new_sums = |rows: std::ops::Range<usize>| {
            let mut at: Vec<usize> = lists
                .iter()
                .map(|(l, _)| l.partition_point(|&(r, _)| (r as usize) < rows.start))
                .collect();
            rows.map(move |r| {
                let mut sum = self.sums[r];
                for ((list, dw), c) in lists.iter().zip(at.iter_mut()) {
                    while let Some(&(row, x)) = list.get(*c) {
                        if row as usize != r {
                            break;
                        }
                        sum += dw * x as f64;
                        *c += 1;
                    }
                }
                (r, sum)
            })
        };
        let all = QueueFilter::default();
        let pass = self
            .row_filter(&all)
            .expect("no filter names an owner or stage");
        let bias_moved = after.bias != self.weights.bias;
        // Ceilings bound keys only for non-negative boosts (as in `top`).
        let prune = self.cfg.overdue_boost >= 0.0 && self.cfg.fresh_inbound_boost >= 0.0;
        let part = |rows: std::ops::Range<usize>| {
            let mut part = Part {
                changed: 0,
                total: 0,
                max: 0,
                best: BinaryHeap::with_capacity(k + 1),
            };
            let mut floor = f64::NEG_INFINITY;
            for (r, sum) in new_sums(rows) {
                let logit = after.bias + sum;
                // Only the changed rules' rows have a new sum; with the same bias the others
                // keep their score exactly.
                if bias_moved || sum != self.sums[r] {
                    let d = (points_from_weight(logit)
                        - points_from_weight(self.weights.bias + self.sums[r]))
                    .abs();
                    if d > 0 {
                        part.changed += 1;
                        part.total += i64::from(d);
                        part.max = part.max.max(d);
                    }
                }
                if k == 0 || (prune && (self.ceiling[r] as f64) < floor) || !pass.pass(self, r) {
                    continue;
                }
                let e = self.entry_with(r, logit, now);
                let item = Reverse((OrdKey(e.priority.key), Reverse(e.id), r as Row));
                if part.best.len() < k {
                    part.best.push(item);
                } else if part.best.peek().is_some_and(|min| item < *min) {
                    part.best.pop();
                    part.best.push(item);
                }
                if part.best.len() == k
                    && let Some(Reverse((min, _, _))) = part.best.peek()
                {
                    floor = min.0;
                }
            }
            part
        };
        let parts = in_parallel(&row_ranges(self.ids.len()), part);
        let mut out = WhatIf {
            leads: self.ids.len(),
            before_top: self.top(k, &all, now).iter().map(|e| e.id).collect(),
            ..WhatIf::default()
        };
        let mut best = Vec::new();
        for p in parts {
            out.changed += p.changed;
            out.total_change += p.total;
            out.max_change = out.max_change.max(p.max);
            best.extend(p.best.into_vec());
        }
        best.sort_unstable();
        best.truncate(k);
        let ids: Vec<LeadId> = best
            .iter()
            .map(|Reverse((_, Reverse(id), _))| *id)
            .collect();
        let ranks = self.ranks_of(&ids, &all, now);
        out.after_top = best
            .iter()
            .zip(ranks)
            .enumerate()
            .map(|(i, (Reverse((_, Reverse(id), r)), before_rank))| {
                let r = *r as usize;
                WhatIfRow {
                    id: *id,
                    before_rank,
                    after_rank: i as u32 + 1,
                    before_points: points_from_weight(self.weights.bias + self.sums[r]),
                    after_points: points_from_weight(
                        after.bias + new_sums(r..r + 1).next().expect("one row").1,
                    ),
                }
            })
            .collect();
        out
    }
}
