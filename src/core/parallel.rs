//! Work split across the machine's cores for passes over every lead (search, ranks, weight
//! changes): scoped threads, no pool, results in the order of the parts.

use std::ops::Range;
use std::sync::OnceLock;

/// Rows below which a pass stays on the calling thread: starting threads costs more.
pub const MIN_ROWS_PER_THREAD: usize = 64 * 1024;

/// The threads a pass may use (the cores, at most 8).
pub fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
}

/// `0..len` cut into one contiguous range per thread worth starting.
pub fn row_ranges(len: usize) -> Vec<Range<usize>> {
    let n = threads().min(len / MIN_ROWS_PER_THREAD).max(1);
    let step = len.div_ceil(n).max(1);
    (0..n)
        .map(|i| (i * step).min(len)..((i + 1) * step).min(len))
        .collect()
}

/// `f` of every item, each on its own thread when there are several.
pub fn in_parallel<I: Clone + Send, T: Send>(items: &[I], f: impl Fn(I) -> T + Sync) -> Vec<T> {
    if let [one] = items {
        return vec![f(one.clone())];
    }
    std::thread::scope(|s| {
        let workers: Vec<_> = items
            .iter()
            .map(|item| {
                let (f, item) = (&f, item.clone());
                s.spawn(move || f(item))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_row_once_in_order() {
        for len in [
            0,
            1,
            MIN_ROWS_PER_THREAD - 1,
            3 * MIN_ROWS_PER_THREAD + 7,
            1_000_003,
        ] {
            let ranges = row_ranges(len);
            assert!(!ranges.is_empty());
            let mut next = 0;
            for r in &ranges {
                assert_eq!(r.start, next);
                next = r.end;
            }
            assert_eq!(next, len);
        }
    }

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<usize> = (0..5).collect();
        assert_eq!(in_parallel(&items, |i| i * 10), vec![0, 10, 20, 30, 40]);
    }
}
