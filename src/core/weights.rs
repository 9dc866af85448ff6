//! The scorecard's numbers: rule weights and bias in log-odds, and their points (PDO 20).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::core::outcome::RuleId;

/// Points that double the odds.
pub const PDO: f64 = 20.0;

/// Points shown for a weight: round(w · 20 / ln 2).
pub fn points_from_weight(w: f64) -> i32 {
    (w * PDO / std::f64::consts::LN_2).round() as i32
}

/// The log-odds weight that `points` stand for.
pub fn weight_from_points(points: f64) -> f64 {
    points * std::f64::consts::LN_2 / PDO
}

pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Current weights of the bias and each rule, in log-odds. A rule without an entry weighs 0.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Weights {
    pub bias: f64,
    pub rules: BTreeMap<RuleId, f64>,
}

impl Weights {
    pub fn get(&self, rule: RuleId) -> f64 {
        self.rules.get(&rule).copied().unwrap_or(0.0)
    }

    /// bias + Σ w_i · x_i over a lead's sparse rule activations.
    pub fn logit(&self, activations: &[(RuleId, f32)]) -> f64 {
        self.bias
            + activations
                .iter()
                .map(|&(r, x)| self.get(r) * x as f64)
                .sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_points_double_the_odds() {
        assert_eq!(points_from_weight(std::f64::consts::LN_2), 20);
        assert_eq!(points_from_weight(weight_from_points(18.0)), 18);
        assert_eq!(points_from_weight(weight_from_points(-20.0)), -20);
        let p0 = sigmoid(0.0);
        let p1 = sigmoid(weight_from_points(20.0));
        assert!((p1 / (1.0 - p1) - 2.0 * p0 / (1.0 - p0)).abs() < 1e-12);
    }

    #[test]
    fn logit_sums_bias_and_weighted_activations() {
        let w = Weights {
            bias: -1.0,
            rules: BTreeMap::from([(1, 0.5), (2, -2.0)]),
        };
        assert_eq!(w.logit(&[(1, 1.0), (2, 0.5), (9, 1.0)]), -1.0 + 0.5 - 1.0);
        assert!(sigmoid(-800.0) >= 0.0 && sigmoid(800.0) <= 1.0);
    }
}
