//! Rule suggestion from a labelled history: candidate rules per frequent category, per
//! quantile bin of a number and for missing values, with support, lift, weight of evidence
//! and information value, written as a rules file an admin can review and import.
//!
//! Candidates come from the column values alone ([`profile::ColumnProfile`]), so a replay can
//! use them without seeing any label; the label statistics ([`CandidateStats`]) are counted
//! separately, only for the rows a caller chooses to show them.

pub mod profile;

use serde::Serialize;

pub use profile::{ColumnProfile, MissingTokens, parse_number};

use crate::core::weights::points_from_weight;

/// How candidates are chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct SuggestConfig {
    /// Rows a category, a missing value or a bin of a number must cover to become a candidate.
    pub min_support: u64,
    /// Quantile bins per numeric column, at most (a column gets fewer when its bins would hold
    /// under `min_support` rows each, or when ties merge cuts). Deciles: a scorecard's usual
    /// fine classing, and for one-pass learning fine bins pay, since a bin's weight is learned
    /// from the rows in it alone and coarse bins average away the shape of a strong number.
    pub bins: usize,
    /// Category values per column that get a rule of their own, at most: the most frequent
    /// ones; the rest share the column's "other" rule. Keeps a suggested scorecard reviewable
    /// and its scoring cost bounded on columns with thousands of values (cities, titles).
    pub max_values: usize,
    /// Candidates below this information value are dropped when label statistics are known
    /// (0.02 is the usual "not predictive" line of credit scoring).
    pub min_information_value: f64,
    /// Also one "at least" rule per inner cut of a number (`x >= c`), so that neighbouring
    /// bins share what they learn: an order-aware encoding that online learning picks up
    /// faster than separate bins.
    pub thresholds: bool,
    /// Leave out each category column's most frequent value (the reference level, which the
    /// base points stand for): a rule matching nearly every lead only duplicates the bias.
    pub skip_reference: bool,
}

impl Default for SuggestConfig {
    fn default() -> Self {
        SuggestConfig {
            min_support: 20,
            bins: 10,
            max_values: 30,
            min_information_value: 0.02,
            thresholds: false,
            skip_reference: true,
        }
    }
}

/// What a candidate rule tests about its column.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Test {
    /// The (trimmed) value equals this text.
    Equals(String),
    /// lo ≤ value < hi, either bound open when `None`.
    Range {
        lo: Option<f64>,
        hi: Option<f64>,
    },
    Missing,
    /// Present, but none of these (frequent) values: the column's rare values together.
    Other(Vec<String>),
}

impl Test {
    /// Whether a cleaned cell (`None` = missing) passes the test.
    pub fn matches(&self, value: Option<&str>) -> bool {
        match (self, value) {
            (Test::Missing, v) => v.is_none(),
            (_, None) => false,
            (Test::Equals(t), Some(v)) => t.eq_ignore_ascii_case(v),
            (Test::Other(known), Some(v)) => !known.iter().any(|k| k.eq_ignore_ascii_case(v)),
            (Test::Range { lo, hi }, Some(v)) => parse_number(v)
                .is_some_and(|x| lo.is_none_or(|lo| x >= lo) && hi.is_none_or(|hi| x < hi)),
        }
    }
}

/// Label statistics of a candidate over a labelled history.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct CandidateStats {
    /// Rows it matches.
    pub support: u64,
    pub positives: u64,
    /// Positive rate among matches over the overall positive rate.
    pub lift: f64,
    /// ln(share of all positives it matches / share of all negatives), 0.5-smoothed.
    pub woe: f64,
    /// (share of positives − share of negatives) · WoE.
    pub information_value: f64,
}

impl CandidateStats {
    pub fn from_counts(support: u64, positives: u64, total: u64, total_pos: u64) -> Self {
        let total_neg = total - total_pos;
        let negatives = support - positives;
        let share_pos = (positives as f64 + 0.5) / (total_pos as f64 + 1.0);
        let share_neg = (negatives as f64 + 0.5) / (total_neg as f64 + 1.0);
        let woe = (share_pos / share_neg).ln();
        let base = total_pos as f64 / total.max(1) as f64;
        let rate = positives as f64 / support.max(1) as f64;
        CandidateStats {
            support,
            positives,
            lift: if base > 0.0 { rate / base } else { 0.0 },
            woe,
            information_value: (share_pos - share_neg) * woe,
        }
    }
}

/// One suggested rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub column: String,
    pub test: Test,
    pub stats: Option<CandidateStats>,
}

impl Candidate {
    /// A short human name, e.g. "Lead Source = Google" or "TotalVisits 3–5".
    pub fn name(&self) -> String {
        match &self.test {
            Test::Equals(v) => format!("{} = {v}", self.column),
            Test::Missing => format!("{} missing", self.column),
            Test::Other(_) => format!("{} other", self.column),
            Test::Range { lo, hi } => match (lo, hi) {
                (Some(lo), Some(hi)) => format!("{} {}–{}", self.column, num(*lo), num(*hi)),
                (Some(lo), None) => format!("{} ≥ {}", self.column, num(*lo)),
                (None, Some(hi)) => format!("{} < {}", self.column, num(*hi)),
                (None, None) => format!("{} any", self.column),
            },
        }
    }

    /// The condition in the rule language, column names in backticks.
    pub fn condition(&self) -> String {
        let col = quote_column(&self.column);
        match &self.test {
            Test::Equals(v) => format!("{col} = {}", quote_text(v)),
            Test::Missing => format!("{col} is missing"),
            Test::Other(known) => format!(
                "not ({col} is missing) and not ({col} in [{}])",
                known
                    .iter()
                    .map(|k| quote_text(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Test::Range { lo, hi } => match (lo, hi) {
                (Some(lo), Some(hi)) => format!("{col} >= {} and {col} < {}", num(*lo), num(*hi)),
                (Some(lo), None) => format!("{col} >= {}", num(*lo)),
                (None, Some(hi)) => format!("{col} < {}", num(*hi)),
                (None, None) => format!("not ({col} is missing)"),
            },
        }
    }
}

fn num(x: f64) -> String {
    crate::core::model::format_number(x)
}

/// `` `name` ``; a backtick inside the name is dropped (the rule language has no escape there).
pub fn quote_column(name: &str) -> String {
    format!("`{}`", name.replace('`', ""))
}

/// A double-quoted string literal with `\` and `"` escaped.
pub fn quote_text(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Candidates from label-free column profiles: one per category value with enough support
/// (the `max_values` most frequent) and one for the column's other values together,
/// one per quantile bin of each numeric column, and one for missing values when a column is
/// missing in at least `min_support` rows and present in at least as many.
pub fn candidates(profiles: &[ColumnProfile], cfg: &SuggestConfig) -> Vec<Candidate> {
    let mut out = Vec::new();
    for p in profiles {
        let present = p.rows - p.missing;
        if p.is_numeric() {
            // Like any candidate, a bin should cover `min_support` rows.
            let bins = cfg.bins.min((present / cfg.min_support.max(1)) as usize);
            let cuts = p.quantile_cuts(bins);
            let mut bounds: Vec<Option<f64>> = vec![None];
            bounds.extend(cuts.iter().map(|&c| Some(c)));
            bounds.push(None);
            // The most populous bin is the reference level when references are skipped.
            let counts = p.bin_counts(&cuts);
            let reference = (0..counts.len()).max_by_key(|&i| (counts[i], std::cmp::Reverse(i)));
            if bounds.len() > 2 {
                for (i, w) in bounds.windows(2).enumerate() {
                    if cfg.skip_reference && Some(i) == reference {
                        continue;
                    }
                    out.push(Candidate {
                        column: p.name.clone(),
                        test: Test::Range { lo: w[0], hi: w[1] },
                        stats: None,
                    });
                }
            }
            // The last cut's threshold is the last bin already.
            if cfg.thresholds && cuts.len() > 1 {
                for &c in &cuts[..cuts.len() - 1] {
                    out.push(Candidate {
                        column: p.name.clone(),
                        test: Test::Range {
                            lo: Some(c),
                            hi: None,
                        },
                        stats: None,
                    });
                }
            }
        } else {
            let mut values: Vec<(&String, &u64)> = p
                .counts
                .iter()
                .filter(|&(_, &n)| n >= cfg.min_support && n < p.rows)
                .collect();
            // Most frequent first; ties by value so the order is reproducible.
            values.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            values.truncate(cfg.max_values);
            // A column with a single value and nothing missing says nothing.
            if values.len() == 1 && p.missing == 0 {
                values.clear();
            }
            // The rare values together, when they add up to enough rows.
            let frequent: u64 = values.iter().map(|(_, n)| **n).sum();
            let other = (!values.is_empty() && present - frequent >= cfg.min_support)
                .then(|| Test::Other(values.iter().map(|(v, _)| (*v).clone()).collect()));
            if cfg.skip_reference && !values.is_empty() {
                values.remove(0);
            }
            for (v, _) in values {
                out.push(Candidate {
                    column: p.name.clone(),
                    test: Test::Equals(v.clone()),
                    stats: None,
                });
            }
            if let Some(test) = other {
                out.push(Candidate {
                    column: p.name.clone(),
                    test,
                    stats: None,
                });
            }
        }
        if p.missing >= cfg.min_support && present >= cfg.min_support {
            out.push(Candidate {
                column: p.name.clone(),
                test: Test::Missing,
                stats: None,
            });
        }
    }
    out
}

/// Keeps the candidates whose information value reaches the threshold, most informative
/// first. Candidates without statistics are dropped.
pub fn rank(mut cands: Vec<Candidate>, cfg: &SuggestConfig) -> Vec<Candidate> {
    cands.retain(|c| {
        c.stats
            .as_ref()
            .is_some_and(|s| s.information_value >= cfg.min_information_value)
    });
    cands.sort_by(|a, b| {
        let iv = |c: &Candidate| c.stats.as_ref().map_or(0.0, |s| s.information_value);
        iv(b).total_cmp(&iv(a))
    });
    cands
}

/// The rules file for reviewed import: base points from the overall positive rate, each rule's
/// points from its weight of evidence (a univariate starting point that learning corrects).
pub fn rules_toml(cands: &[Candidate], total: u64, total_pos: u64) -> String {
    let base = ((total_pos as f64 + 0.5) / ((total - total_pos) as f64 + 0.5)).ln();
    let mut out = String::from(
        "# Suggested rules. Points are each rule's weight of evidence on its own; rules that\n\
         # overlap count twice, so review them, keep the ones that make sense, and let\n\
         # learning correct the rest.\n",
    );
    out.push_str(&format!("base_points = {}\n", points_from_weight(base)));
    for c in cands {
        let s = c.stats.clone().unwrap_or_default();
        let kind = if s.woe < 0.0 { "negative" } else { "fit" };
        out.push_str(&format!(
            "\n# support {}, lift {:.2}, WoE {:.3}, IV {:.4}\n[[rule]]\nname = {}\nwhen = {}\npoints = {}\nkind = \"{kind}\"\n",
            s.support,
            s.lift,
            s.woe,
            s.information_value,
            toml_string(&c.name()),
            toml_string(&c.condition()),
            points_from_weight(s.woe),
        ));
    }
    out
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests;
