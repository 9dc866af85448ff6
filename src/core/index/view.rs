//! A filtered queue read in one pass: its length, its top, and the stretch around the lead
//! the console keeps selected. Each of these alone is a pass over every row's kept key;
//! at a million leads a pass is memory-bound (a few milliseconds), and a filter keystroke
//! needed three of them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::keys::QueueKeys;
use super::queue::OrdKey;
use super::{LeadIndex, QueueEntry, QueueFilter, Row};
use crate::core::model::{LeadId, Timestamp};
use crate::core::parallel::{in_parallel, row_ranges};

/// What [`LeadIndex::view`] is asked for besides the length.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ViewAsk {
    /// How many leads of the top of the filtered queue to return.
    pub top: usize,
    /// A lead to place: `(id, above, below)` — up to `above` leads before it and `below`
    /// after it are returned with it.
    pub keep: Option<(LeadId, usize, usize)>,
    /// Also count the whole queue (no filter but the terminal stages left out).
    pub count_all: bool,
}

/// One pass's answer (see [`LeadIndex::view`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FilteredView {
    /// How many leads pass the filter.
    pub len: usize,
    /// How many leads are in the whole queue, when asked.
    pub all_len: Option<usize>,
    /// The top `ask.top` leads passing the filter, best first.
    pub top: Vec<QueueEntry>,
    /// The kept lead's stretch: the position of its first entry and the entries, in queue
    /// order; `None` when the lead does not pass the filter (or none was asked for).
    pub around: Option<(usize, Vec<QueueEntry>)>,
}

type Item = (OrdKey, Reverse<LeadId>, Row);

/// One core's part of the pass.
#[derive(Default)]
struct Part {
    len: usize,
    all_len: usize,
    /// Best items, a min-heap.
    top: BinaryHeap<Reverse<Item>>,
    /// Items above the kept lead.
    above_keep: usize,
    /// Nearest above the kept lead: the smallest items greater than it (a max-heap).
    up: BinaryHeap<Item>,
    /// Nearest below: the greatest items less than it (a min-heap).
    down: BinaryHeap<Reverse<Item>>,
}

impl LeadIndex {
    /// The queue `filter` selects, read from the kept keys in one pass over the rows (split
    /// across the cores): its length, its top `ask.top` leads, and the stretch around
    /// `ask.keep` — what [`LeadIndex::count`], [`LeadIndex::end_keyed`] and
    /// [`LeadIndex::around`] return, for the price of one of them. `None` when nothing can
    /// pass the filter (an owner or stage the book does not have).
    pub fn view(
        &self,
        keys: &mut QueueKeys,
        filter: &QueueFilter,
        ask: ViewAsk,
        now: Timestamp,
    ) -> Option<FilteredView> {
        self.update_keys(keys, now);
        let pass = self.row_filter(filter)?;
        let all = ask
            .count_all
            .then(|| self.row_filter(&QueueFilter::default()))
            .flatten();
        let keep = ask.keep.and_then(|(id, above, below)| {
            let r = self.row_of(id).filter(|&r| pass.pass(self, r))?;
            Some((r, (OrdKey(keys.keys[r]), Reverse(id)), above, below))
        });
        let keys = &keys.keys;
        let k = ask.top;
        // Whether a row passes is as good as random, so it is never branched on: the counts
        // add it, and a row leaves the straight path only when it passes and its key could
        // enter one of the heaps — rare once they are full (thresholds below are the heaps'
        // bounds; the heaps' own tests stay exact).
        let scan = |rows: std::ops::Range<usize>| {
            let mut p = Part::default();
            let mut top_min = f64::NEG_INFINITY;
            let (mut up_max, mut down_min) = (f64::INFINITY, f64::NEG_INFINITY);
            let (at, tk, tid, above, below) = match keep {
                Some((at, t, above, below)) => (at, t.0.0, t.1.0, above, below),
                None => (usize::MAX, f64::NAN, 0, 0, 0),
            };
            let test = pass.over(self, rows.clone());
            let all = all.as_ref().map(|a| a.over(self, rows.clone()));
            let (keys, ids) = (&keys[rows.clone()], &self.ids[rows.clone()]);
            let n = test.len();
            assert!(keys.len() == n && ids.len() == n);
            for i in 0..n {
                let r = rows.start + i;
                let ok = test.pass(i);
                p.len += ok as usize;
                if let Some(all) = &all {
                    p.all_len += all.pass(i) as usize;
                }
                let key = keys[i];
                let item = || (OrdKey(key), Reverse(ids[i]), r as Row);
                if ok & (k > 0) & (key >= top_min) {
                    if p.top.len() < k {
                        p.top.push(Reverse(item()));
                    } else if item() > p.top.peek().expect("full").0 {
                        p.top.pop();
                        p.top.push(Reverse(item()));
                    }
                    if p.top.len() == k {
                        top_min = p.top.peek().expect("full").0.0.0;
                    }
                }
                if keep.is_none() {
                    continue;
                }
                // Ties of keys are rare: the id is read only for one.
                let is_above = key > tk || (key == tk && ids[i] < tid);
                p.above_keep += (ok & is_above) as usize;
                if ok & is_above & (key <= up_max) {
                    if p.up.len() < above {
                        p.up.push(item());
                    } else if p.up.peek().is_some_and(|top| item() < *top) {
                        p.up.pop();
                        p.up.push(item());
                    }
                    if p.up.len() == above {
                        up_max = p.up.peek().map_or(f64::NEG_INFINITY, |i| i.0.0);
                    }
                } else if ok & !is_above & (r != at) & (key >= down_min) {
                    if p.down.len() < below {
                        p.down.push(Reverse(item()));
                    } else if p.down.peek().is_some_and(|Reverse(low)| item() > *low) {
                        p.down.pop();
                        p.down.push(Reverse(item()));
                    }
                    if p.down.len() == below {
                        down_min = p.down.peek().map_or(f64::INFINITY, |i| i.0.0.0);
                    }
                }
            }
            p
        };
        let mut view = FilteredView::default();
        let (mut top, mut up, mut down, mut above_keep, mut all_len) =
            (Vec::new(), Vec::new(), Vec::new(), 0, 0);
        for p in in_parallel(&row_ranges(self.ids.len()), scan) {
            view.len += p.len;
            all_len += p.all_len;
            above_keep += p.above_keep;
            top.extend(p.top.into_iter().map(|Reverse(i)| i));
            up.extend(p.up);
            down.extend(p.down.into_iter().map(|Reverse(i)| i));
        }
        view.all_len = all.is_some().then_some(all_len);
        // Queue order is descending item order.
        top.sort_unstable_by(|a, b| b.cmp(a));
        top.truncate(k);
        view.top = top
            .into_iter()
            .map(|(_, _, r)| self.entry_at(r as usize, now))
            .collect();
        if let Some((at, _, above, below)) = keep {
            view.around = Some(self.stretch(at, above_keep, (up, above), (down, below), now));
        }
        Some(view)
    }
}
