//! How good the scores are: AUC, log loss, Brier score, calibration error and lift, computed
//! from (probability, label) pairs as the evaluation and the dashboard report them.

use serde::Serialize;

/// Probabilities are clipped to [EPS, 1 − EPS] in the log loss, so one confident miss costs
/// about 34.5 nats instead of infinity.
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// Number of equal-width probability bins of the expected calibration error.
pub const ECE_BINS: usize = 10;

/// The figures an evaluation reports for one set of predictions.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Report {
    pub rows: usize,
    pub positives: usize,
    /// `None` when the labels are all of one class (AUC is undefined then).
    pub auc: Option<f64>,
    pub log_loss: f64,
    pub brier: f64,
    pub ece: f64,
    /// `None` when there are no positives at all.
    pub lift_top_decile: Option<f64>,
}

impl Report {
    /// All figures for `p` (probabilities) against `y` (labels); the slices must be equally long.
    pub fn of(p: &[f64], y: &[bool]) -> Report {
        Report {
            rows: p.len(),
            positives: y.iter().filter(|&&b| b).count(),
            auc: auc(p, y),
            log_loss: log_loss(p, y),
            brier: brier(p, y),
            ece: ece(p, y),
            lift_top_decile: lift_top_decile(p, y),
        }
    }
}

/// Indices of `p` from the lowest to the highest probability (NaN sorts last).
fn order_ascending(p: &[f64]) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..p.len() as u32).collect();
    idx.sort_by(|&a, &b| p[a as usize].total_cmp(&p[b as usize]));
    idx
}

/// Area under the ROC curve by the rank-sum (Mann–Whitney) formula; tied probabilities get
/// their average rank, so a tie between a positive and a negative counts one half.
pub fn auc(p: &[f64], y: &[bool]) -> Option<f64> {
    let n = p.len();
    let pos = y.iter().filter(|&&b| b).count();
    let neg = n - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let idx = order_ascending(p);
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && p[idx[j + 1] as usize] == p[idx[i] as usize] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their mean.
        let mean_rank = (i + j + 2) as f64 / 2.0;
        let tied_pos = idx[i..=j].iter().filter(|&&k| y[k as usize]).count();
        rank_sum_pos += mean_rank * tied_pos as f64;
        i = j + 1;
    }
    let (pos, neg) = (pos as f64, neg as f64);
    Some((rank_sum_pos - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Mean negative log-likelihood in nats, probabilities clipped by [`LOG_LOSS_EPS`].
pub fn log_loss(p: &[f64], y: &[bool]) -> f64 {
    if p.is_empty() {
        return 0.0;
    }
    let sum: f64 = p
        .iter()
        .zip(y)
        .map(|(&p, &y)| {
            let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            if y { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum();
    sum / p.len() as f64
}

/// Mean squared difference between probability and outcome.
pub fn brier(p: &[f64], y: &[bool]) -> f64 {
    if p.is_empty() {
        return 0.0;
    }
    let sum: f64 = p
        .iter()
        .zip(y)
        .map(|(&p, &y)| (p - if y { 1.0 } else { 0.0 }).powi(2))
        .sum();
    sum / p.len() as f64
}

/// Expected calibration error over [`ECE_BINS`] equal-width bins of the probability
/// ([0, 0.1), [0.1, 0.2), …, [0.9, 1.0]): the row-weighted mean of |mean p − positive rate|.
pub fn ece(p: &[f64], y: &[bool]) -> f64 {
    if p.is_empty() {
        return 0.0;
    }
    let mut count = [0usize; ECE_BINS];
    let mut sum_p = [0.0f64; ECE_BINS];
    let mut sum_y = [0.0f64; ECE_BINS];
    for (&p, &y) in p.iter().zip(y) {
        let b = ((p * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
        count[b] += 1;
        sum_p[b] += p;
        sum_y[b] += if y { 1.0 } else { 0.0 };
    }
    let total: f64 = (0..ECE_BINS)
        .filter(|&b| count[b] > 0)
        .map(|b| (sum_p[b] - sum_y[b]).abs())
        .sum();
    total / p.len() as f64
}

/// Positive rate among the top 10 % by probability (⌈n/10⌉ rows; ties broken by input order)
/// divided by the overall positive rate.
pub fn lift_top_decile(p: &[f64], y: &[bool]) -> Option<f64> {
    let n = p.len();
    let pos = y.iter().filter(|&&b| b).count();
    if pos == 0 {
        return None;
    }
    let top = n.div_ceil(10);
    let mut idx: Vec<u32> = (0..n as u32).collect();
    idx.sort_by(|&a, &b| p[b as usize].total_cmp(&p[a as usize]).then(a.cmp(&b)));
    let top_pos = idx[..top].iter().filter(|&&k| y[k as usize]).count();
    Some((top_pos as f64 / top as f64) / (pos as f64 / n as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    #[test]
    fn auc_counts_ordered_pairs_and_half_for_ties() {
        // Pairs (pos, neg): (0.9,0.1) ok, (0.9,0.4) ok, (0.35,0.1) ok, (0.35,0.4) wrong → 3/4.
        let y = [false, false, true, true];
        close(auc(&[0.1, 0.4, 0.35, 0.9], &y).unwrap(), 0.75);
        // All tied: every pair counts one half.
        close(auc(&[0.5; 4], &y).unwrap(), 0.5);
        // One tie between a positive and a negative: (0.4,0.4) = ½, others right → 3.5/4.
        close(auc(&[0.1, 0.4, 0.4, 0.9], &y).unwrap(), 0.875);
        close(auc(&[0.9, 0.8, 0.2, 0.1], &y).unwrap(), 0.0);
        assert_eq!(auc(&[0.1, 0.2], &[true, true]), None);
    }

    #[test]
    fn log_loss_and_brier_match_hand_values() {
        let p = [0.8, 0.3];
        let y = [true, false];
        close(log_loss(&p, &y), -(0.8f64.ln() + 0.7f64.ln()) / 2.0);
        close(brier(&p, &y), (0.04 + 0.09) / 2.0);
        // A certain miss is clipped, not infinite.
        close(log_loss(&[0.0], &[true]), -(1e-15f64).ln());
    }

    #[test]
    fn ece_weights_each_bins_gap_by_its_rows() {
        // Bin [0.1, 0.2): p sums to 0.2, one positive → |0.2 − 1| = 0.8.
        // Bin [0.9, 1.0]: p sums to 1.95, two positives → |1.95 − 2| = 0.05.
        let p = [0.1, 0.1, 0.95, 1.0];
        let y = [true, false, true, true];
        close(ece(&p, &y), (0.8 + 0.05) / 4.0);
        // Perfect calibration within bins gives 0.
        close(
            ece(&[0.25, 0.25, 0.25, 0.25], &[true, false, false, false]),
            0.0,
        );
    }

    #[test]
    fn lift_compares_the_top_tenth_with_the_base_rate() {
        // 20 rows, 4 positives (base 0.2); top 2 rows: one positive → 0.5 / 0.2 = 2.5.
        let p: Vec<f64> = (0..20).map(|i| i as f64 / 20.0).collect();
        let mut y = [false; 20];
        y[19] = true;
        y[0] = true;
        y[1] = true;
        y[2] = true;
        close(lift_top_decile(&p, &y).unwrap(), 2.5);
        assert_eq!(lift_top_decile(&p, &[false; 20]), None);
        let r = Report::of(&p, &y);
        assert_eq!((r.rows, r.positives), (20, 4));
    }
}
