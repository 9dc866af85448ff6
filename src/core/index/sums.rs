//! Moving every cached Σ w·x when weights change: the posting lists of the changed rules,
//! added on one thread per core.

use std::collections::HashMap;

use super::Row;
use crate::core::outcome::RuleId;

/// Σ w·x += Δw·x for every posting of every changed rule. A learning step moves the bias
/// and each rule the lead matched, and a broad rule lists most of the book: the rows are cut
/// into one range per core, each adding the same terms in the same order as one pass would,
/// so the sums are bit-for-bit those of a single thread.
pub(super) fn add_to_sums(sums: &mut [f64], lists: &[(&[(Row, f32)], f64)]) {
    let add = |start: usize, part: &mut [f64]| {
        let end = start + part.len();
        for &(list, dw) in lists {
            let from = list.partition_point(|&(r, _)| (r as usize) < start);
            for &(row, x) in &list[from..] {
                let row = row as usize;
                if row >= end {
                    break;
                }
                part[row - start] += dw * x as f64;
            }
        }
    };
    // Threads are worth starting for many postings, and cut the rows evenly.
    let postings: usize = lists.iter().map(|(l, _)| l.len()).sum();
    let threads = crate::core::parallel::row_ranges(postings).len();
    if threads < 2 || sums.len() < threads {
        return add(0, sums);
    }
    let step = sums.len().div_ceil(threads);
    let mut parts = Vec::with_capacity(threads);
    let (mut rest, mut start) = (sums, 0);
    while !rest.is_empty() {
        let (part, tail) = rest.split_at_mut(step.min(rest.len()));
        let len = part.len();
        parts.push((start, part));
        start += len;
        rest = tail;
    }
    std::thread::scope(|s| {
        let add = &add;
        for (start, part) in parts {
            s.spawn(move || add(start, part));
        }
    });
}

/// The posting list of each changed rule with its Δw, for [`add_to_sums`].
pub(super) fn posting_lists<'a>(
    postings: &'a HashMap<RuleId, Vec<(Row, f32)>>,
    changed: &[(RuleId, f64)],
) -> Vec<(&'a [(Row, f32)], f64)> {
    changed
        .iter()
        .filter_map(|(rule, dw)| Some((postings.get(rule)?.as_slice(), *dw)))
        .collect()
}
