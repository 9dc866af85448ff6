//! What a column of a table looks like, learned in one streaming pass without labels:
//! missing values, value frequencies, and a bounded sample of its numbers for quantiles.

use std::collections::HashMap;

use crate::core::rng::SeededRng;

/// Text that means "no value" in lead data. Compared trimmed and case-insensitively.
#[derive(Clone, Debug, PartialEq)]
pub struct MissingTokens(Vec<String>);

impl Default for MissingTokens {
    /// Empty, `Select` (a form's unchosen drop-down), `NA`, `N/A`, `null`, `NaN`.
    fn default() -> Self {
        MissingTokens::new(["", "select", "na", "n/a", "null", "nan"])
    }
}

impl MissingTokens {
    pub fn new<S: AsRef<str>>(tokens: impl IntoIterator<Item = S>) -> Self {
        MissingTokens(
            tokens
                .into_iter()
                .map(|t| t.as_ref().trim().to_lowercase())
                .collect(),
        )
    }

    /// Parses a comma-separated list; the empty value is always missing.
    pub fn parse(list: &str) -> Self {
        let mut t: Vec<&str> = list.split(',').collect();
        t.push("");
        MissingTokens::new(t)
    }

    /// The value trimmed, or `None` when it means "missing".
    pub fn clean<'a>(&self, value: &'a str) -> Option<&'a str> {
        let v = value.trim();
        let lower = v.to_lowercase();
        (!self.0.contains(&lower)).then_some(v)
    }
}

/// Distinct values tracked per column; past this a column counts only values already seen
/// (identifier-like columns are useless as rules anyway).
pub const MAX_DISTINCT: usize = 10_000;
/// Numbers kept per column for quantiles (a uniform reservoir sample beyond that).
pub const MAX_SAMPLE: usize = 100_000;

/// Label-free statistics of one column.
#[derive(Clone, Debug)]
pub struct ColumnProfile {
    pub name: String,
    pub rows: u64,
    pub missing: u64,
    /// Non-missing values that are not numbers.
    pub texts: u64,
    pub counts: HashMap<String, u64>,
    /// True when more than [`MAX_DISTINCT`] values appeared.
    pub overflowed: bool,
    sample: Vec<f64>,
    numbers_seen: u64,
    rng: SeededRng,
}

impl ColumnProfile {
    pub fn new(name: &str) -> Self {
        ColumnProfile {
            name: name.to_string(),
            rows: 0,
            missing: 0,
            texts: 0,
            counts: HashMap::new(),
            overflowed: false,
            sample: Vec::new(),
            numbers_seen: 0,
            rng: SeededRng::new(0x5eed),
        }
    }

    /// Counts one cell, already cleaned (`None` = missing).
    pub fn observe(&mut self, value: Option<&str>) {
        self.rows += 1;
        let Some(v) = value else {
            self.missing += 1;
            return;
        };
        if let Some(n) = self.counts.get_mut(v) {
            *n += 1;
        } else if self.counts.len() < MAX_DISTINCT {
            self.counts.insert(v.to_string(), 1);
        } else {
            self.overflowed = true;
        }
        match parse_number(v) {
            Some(x) => {
                self.numbers_seen += 1;
                if self.sample.len() < MAX_SAMPLE {
                    self.sample.push(x);
                } else {
                    let j = self.rng.below(self.numbers_seen) as usize;
                    if j < MAX_SAMPLE {
                        self.sample[j] = x;
                    }
                }
            }
            None => self.texts += 1,
        }
    }

    /// Numeric when every present value is a number and there are more than a handful of
    /// distinct values (a 0/1 column is better read as two categories).
    pub fn is_numeric(&self) -> bool {
        self.texts == 0 && self.numbers_seen > 0 && (self.counts.len() > 5 || self.overflowed)
    }

    /// How many sampled numbers fall in each bin the cuts make (`cuts.len() + 1` bins).
    pub fn bin_counts(&self, cuts: &[f64]) -> Vec<u64> {
        let mut counts = vec![0u64; cuts.len() + 1];
        for &x in &self.sample {
            counts[cuts.partition_point(|&c| c <= x)] += 1;
        }
        counts
    }

    /// Cut points splitting the numbers into `bins` groups of about equal size (duplicates
    /// merged, so heavily tied columns get fewer bins).
    pub fn quantile_cuts(&self, bins: usize) -> Vec<f64> {
        let mut s = self.sample.clone();
        s.sort_by(f64::total_cmp);
        let mut cuts: Vec<f64> = Vec::new();
        if s.is_empty() {
            return cuts;
        }
        // The smallest value above the minimum: where a mass of ties at the minimum ends.
        let above_min = s.iter().copied().find(|&x| x > s[0]);
        for k in 1..bins {
            let mut q = s[(k * s.len() / bins).min(s.len() - 1)];
            if q <= s[0] {
                // A cut at the minimum would leave an empty first bin: cut after its ties.
                match above_min {
                    Some(a) => q = a,
                    None => continue,
                }
            }
            if cuts.last().is_none_or(|&c| q > c) {
                cuts.push(q);
            }
        }
        cuts
    }
}

/// A number as lead data writes it (`3`, `-2.5`, `1e3`); not `inf` or `NaN`.
pub fn parse_number(v: &str) -> Option<f64> {
    let x: f64 = v.trim().parse().ok()?;
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tokens_default_and_custom() {
        let m = MissingTokens::default();
        for t in ["", "  ", "Select", "NA", "n/a", "NULL", "nan"] {
            assert_eq!(m.clean(t), None, "{t:?}");
        }
        assert_eq!(m.clean(" India "), Some("India"));
        let c = MissingTokens::parse("unknown,?");
        assert_eq!(
            (c.clean("Unknown"), c.clean("?"), c.clean("")),
            (None, None, None)
        );
        assert_eq!(c.clean("Select"), Some("Select"));
    }

    #[test]
    fn numeric_columns_get_quantile_cuts_and_few_values_stay_categories() {
        let mut p = ColumnProfile::new("visits");
        for i in 0..100 {
            p.observe(Some(&(i % 10).to_string()));
        }
        p.observe(None);
        assert!(p.is_numeric());
        assert_eq!((p.rows, p.missing), (101, 1));
        assert_eq!(p.quantile_cuts(5), vec![2.0, 4.0, 6.0, 8.0]);
        let mut flag = ColumnProfile::new("flag");
        for i in 0..50 {
            flag.observe(Some(if i % 3 == 0 { "1" } else { "0" }));
        }
        assert!(!flag.is_numeric());
        // Heavy ties at zero: the zeros get a bin of their own, the other cuts merge.
        let mut zeros = ColumnProfile::new("z");
        for i in 0..100 {
            zeros.observe(Some(&(if i < 70 { 0 } else { i }).to_string()));
        }
        assert_eq!(zeros.quantile_cuts(5), vec![70.0, 80.0]);
    }
}
