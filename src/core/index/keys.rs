//! The queue keys kept between reads: every row's key computed once for a state of the
//! index (on all cores) and patched when only the clock moves, and the reads that use them —
//! whole-queue ranks of a filtered page, the stretch around a lead, either end of a filtered
//! queue — at one comparison per row.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::queue::{OrdKey, ranks_from_counts};
use super::{LeadIndex, QueueEntry, QueueFilter, Row};
use crate::core::model::{LeadId, Timestamp};
use crate::core::parallel::{in_parallel, row_ranges};

impl LeadIndex {
    /// [`LeadIndex::ranks_of`] from every row's key kept in `keys`: the keys are computed
    /// once for this state of the index (on all cores) and, when only the clock moved, patched
    /// for the rows whose follow-up fell due or whose fresh-inbound boost ran out since; each
    /// later call is one comparison per row. For ranking the rows of one filtered page after
    /// another against the whole queue.
    pub fn ranks_with(
        &self,
        keys: &mut QueueKeys,
        ids: &[LeadId],
        filter: &QueueFilter,
        now: Timestamp,
    ) -> Vec<Option<u32>> {
        self.update_keys(keys, now);
        let Some(pass) = self.row_filter(filter) else {
            return vec![None; ids.len()];
        };
        let target = |id: LeadId| {
            let r = self.row_of(id)?;
            pass.pass(self, r)
                .then(|| (OrdKey(keys.keys[r]), Reverse(id)))
        };
        let targets: Vec<Option<(OrdKey, Reverse<LeadId>)>> =
            ids.iter().map(|&id| target(id)).collect();
        let mut sorted: Vec<(OrdKey, Reverse<LeadId>)> =
            targets.iter().flatten().copied().collect();
        sorted.sort_unstable();
        let Some(&(OrdKey(lowest), _)) = sorted.first() else {
            return vec![None; ids.len()];
        };
        let count_above = |rows: std::ops::Range<usize>| {
            let mut above = vec![0u32; sorted.len() + 1];
            for r in rows {
                let k = keys.keys[r];
                if k < lowest || !pass.pass(self, r) {
                    continue;
                }
                let item = (OrdKey(k), Reverse(self.ids[r]));
                above[sorted.partition_point(|t| *t < item)] += 1;
            }
            above
        };
        let rank = ranks_from_counts(in_parallel(&row_ranges(self.ids.len()), count_above));
        targets
            .into_iter()
            .map(|t| Some(rank[sorted.binary_search(&t?).ok()?]))
            .collect()
    }

    /// The stretch of the queue `filter` selects around `id`: at most `above` leads just
    /// before it, the lead, and at most `below` just after it, in queue order, with the
    /// position of the first. `None` when the lead is not in that queue. One pass over the
    /// kept keys with two small heaps, wherever the lead stands — where a top-K read of a
    /// lead at position 300 000 would keep 300 000 rows.
    pub fn around(
        &self,
        keys: &mut QueueKeys,
        id: LeadId,
        (above, below): (usize, usize),
        filter: &QueueFilter,
        now: Timestamp,
    ) -> Option<(usize, Vec<QueueEntry>)> {
        self.update_keys(keys, now);
        let pass = self.row_filter(filter)?;
        let at = self.row_of(id).filter(|&r| pass.pass(self, r))?;
        let target = (OrdKey(keys.keys[at]), Reverse(id));
        type Item = (OrdKey, Reverse<LeadId>, Row);
        let scan = |rows: std::ops::Range<usize>| {
            let mut count = 0usize;
            // Nearest above: the smallest items greater than the target (a max-heap).
            let mut up: BinaryHeap<Item> = BinaryHeap::with_capacity(above + 1);
            // Nearest below: the greatest items less than the target (a min-heap).
            let mut down: BinaryHeap<Reverse<Item>> = BinaryHeap::with_capacity(below + 1);
            for r in rows {
                if r == at || !pass.pass(self, r) {
                    continue;
                }
                let item = (OrdKey(keys.keys[r]), Reverse(self.ids[r]), r as Row);
                if (item.0, item.1) > target {
                    count += 1;
                    if up.len() < above {
                        up.push(item);
                    } else if up.peek().is_some_and(|top| item < *top) {
                        up.pop();
                        up.push(item);
                    }
                } else if down.len() < below {
                    down.push(Reverse(item));
                } else if down.peek().is_some_and(|Reverse(low)| item > *low) {
                    down.pop();
                    down.push(Reverse(item));
                }
            }
            (
                count,
                up.into_vec(),
                down.into_iter().map(|Reverse(i)| i).collect::<Vec<_>>(),
            )
        };
        let (mut count, mut up, mut down) = (0, Vec::new(), Vec::new());
        for (c, u, d) in in_parallel(&row_ranges(self.ids.len()), scan) {
            count += c;
            up.extend(u);
            down.extend(d);
        }
        Some(self.stretch(at, count, (up, above), (down, below), now))
    }

    /// The stretch around row `at` from each core's nearest items above and below it, with
    /// `count` rows above it in all: the position of its first entry and the entries.
    pub(super) fn stretch(
        &self,
        at: usize,
        count: usize,
        (mut up, above): (Vec<(OrdKey, Reverse<LeadId>, Row)>, usize),
        (mut down, below): (Vec<(OrdKey, Reverse<LeadId>, Row)>, usize),
        now: Timestamp,
    ) -> (usize, Vec<QueueEntry>) {
        // Queue order is descending item order; keep the nearest of each side's parts.
        up.sort_unstable();
        up.truncate(above);
        down.sort_unstable_by(|a, b| b.cmp(a));
        down.truncate(below);
        let start = count - up.len();
        let rows = up
            .iter()
            .rev()
            .map(|i| i.2 as usize)
            .chain([at])
            .chain(down.iter().map(|i| i.2 as usize));
        (start, rows.map(|r| self.entry_at(r, now)).collect())
    }

    /// Brings `keys` to this index at `now`. Keys are written in place, a part per core:
    /// a fresh vector per pass made the kernel zero 8 MB of new pages on every outcome at
    /// a million leads (a fifth of the log key's time).
    pub(super) fn update_keys(&self, keys: &mut QueueKeys, now: Timestamp) {
        if keys.version != Some(self.version) || keys.keys.len() != self.ids.len() {
            keys.keys.resize(self.ids.len(), 0.0);
            in_place_parts(&mut keys.keys, |start, part| {
                for (i, key) in part.iter_mut().enumerate() {
                    *key = self.entry_at(start + i, now).priority.key;
                }
            });
            (keys.version, keys.now) = (Some(self.version), now);
            return;
        }
        if keys.now == now {
            return;
        }
        // Only the clock moved: a key changes where `due < now` or `now < fresh_until` did.
        let (from, to) = (keys.now.min(now), keys.now.max(now));
        in_place_parts(&mut keys.keys, |start, part| {
            for (i, key) in part.iter_mut().enumerate() {
                let r = start + i;
                let (due, fresh) = (self.due[r], self.fresh_until[r]);
                if (from <= due && due < to) || (from < fresh && fresh <= to) {
                    *key = self.entry_at(r, now).priority.key;
                }
            }
        });
        keys.now = now;
    }

    /// Whether `keys` were taken at this state of the index (only a time patch to bring them
    /// to any `now`): then reading the queue from them beats re-deriving each row's key.
    pub fn keys_current(&self, keys: &QueueKeys) -> bool {
        keys.version == Some(self.version) && keys.keys.len() == self.ids.len()
    }

    /// [`LeadIndex::top`] (`best` true) or [`LeadIndex::bottom`] from the kept keys: one
    /// comparison per row that passes the filter, no probability computed but for the rows
    /// returned. For a filtered queue, where the rows' ceilings prune little.
    pub fn end_keyed(
        &self,
        keys: &mut QueueKeys,
        k: usize,
        best: bool,
        filter: &QueueFilter,
        now: Timestamp,
    ) -> Vec<QueueEntry> {
        self.update_keys(keys, now);
        let Some(pass) = self.row_filter(filter) else {
            return Vec::new();
        };
        if k == 0 {
            return Vec::new();
        }
        type Item = (OrdKey, Reverse<LeadId>, Row);
        let keys = &keys.keys;
        let item = |r: usize| (OrdKey(keys[r]), Reverse(self.ids[r]), r as Row);
        let scan = |rows: std::ops::Range<usize>| -> Vec<Item> {
            if best {
                // A min-heap of the best k.
                let mut heap: BinaryHeap<Reverse<Item>> = BinaryHeap::with_capacity(k + 1);
                for r in rows {
                    if !pass.pass(self, r) {
                        continue;
                    }
                    if heap.len() < k {
                        heap.push(Reverse(item(r)));
                    } else if heap.peek().is_some_and(|Reverse(min)| keys[r] >= min.0.0) {
                        let it = item(r);
                        if it > heap.peek().expect("full").0 {
                            heap.pop();
                            heap.push(Reverse(it));
                        }
                    }
                }
                heap.into_iter().map(|Reverse(i)| i).collect()
            } else {
                // A max-heap of the lowest k.
                let mut heap: BinaryHeap<Item> = BinaryHeap::with_capacity(k + 1);
                for r in rows {
                    if !pass.pass(self, r) {
                        continue;
                    }
                    if heap.len() < k {
                        heap.push(item(r));
                    } else if heap.peek().is_some_and(|max| keys[r] <= max.0.0) {
                        let it = item(r);
                        if it < *heap.peek().expect("full") {
                            heap.pop();
                            heap.push(it);
                        }
                    }
                }
                heap.into_vec()
            }
        };
        let mut out = in_parallel(&row_ranges(self.ids.len()), scan).concat();
        // Queue order: best first.
        out.sort_unstable_by(|a, b| b.cmp(a));
        if best {
            out.truncate(k);
        } else {
            out.drain(..out.len().saturating_sub(k));
        }
        out.into_iter()
            .map(|(_, _, r)| self.entry_at(r as usize, now))
            .collect()
    }

    /// Brings `keys` to this index at `now` ahead of use (after a load, while nothing waits).
    pub fn warm_keys(&self, keys: &mut QueueKeys, now: Timestamp) {
        self.update_keys(keys, now);
    }
}

/// Every row's queue key as of one state of the index and one time (see
/// [`LeadIndex::ranks_with`]); empty until first used.
#[derive(Clone, Debug, Default)]
pub struct QueueKeys {
    version: Option<u64>,
    now: Timestamp,
    pub(super) keys: Vec<f64>,
}

/// A cache, not part of the value of whatever holds it: any two are equal.
impl PartialEq for QueueKeys {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// `f(start, part)` over `values` cut into one part per core worth starting (the parts of
/// [`row_ranges`]), each on its own thread when there are several.
fn in_place_parts(values: &mut [f64], f: impl Fn(usize, &mut [f64]) + Sync) {
    let ranges = row_ranges(values.len());
    if ranges.len() == 1 {
        f(0, values);
        return;
    }
    let step = ranges[0].len().max(1);
    std::thread::scope(|s| {
        for (i, part) in values.chunks_mut(step).enumerate() {
            let f = &f;
            s.spawn(move || f(i * step, part));
        }
    });
}
