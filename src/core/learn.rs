//! Learning rule weights from outcomes: one online logistic-regression step per labelled
//! outcome, pulled toward the admin's priors, with every change recorded for exact undo.
//!
//! # Why AdaGrad (and not FTRL-Proximal)
//!
//! Each coordinate (the bias and each rule) keeps one number, the sum of its squared
//! gradients, and steps by `α · g / √(n₀ + Σg²)`: rules that match often settle, rare rules
//! keep learning fast. FTRL-Proximal adds a second accumulator per coordinate and an L1 term
//! whose point is sparsity — exactly what a scorecard does not want: the rules are few, written
//! by people, and none should be silently zeroed. With one accumulator the whole state of a
//! coordinate is (weight, Σg²), so a step's record ([`WeightDelta`]) holds both values before
//! the step and undo is a plain restore. The L2 term pulls each weight toward its prior
//! (`λ · (w − prior)` in the gradient), so learning corrects the admin instead of replacing them;
//! it acts on the coordinates a step touches (the usual sparse, lazy form), so a rule with no
//! evidence stays exactly at its prior.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::core::outcome::{LearnStep, RuleId, WeightDelta};
use crate::core::weights::{Weights, sigmoid, weight_from_points};

/// The knobs of learning. Stored as a setting; the defaults are the ones tuned by prequential
/// evaluation on real lead data (see `leadq eval`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LearnConfig {
    /// AdaGrad's base step size α.
    pub step_size: f64,
    /// The bias's step size: it gets a gradient from every outcome and only tracks the base
    /// rate, so it settles better with a smaller step than the rules.
    pub bias_step_size: f64,
    /// n₀: added under the square root so the first steps are not full-size jumps.
    pub initial_accumulator: f64,
    /// λ: strength of the pull toward each rule's prior, per step that touches the rule.
    pub prior_pull: f64,
    /// Labelled outcomes a rule must have matched before its learned weight is shown (and
    /// scored); before that the prior stands.
    pub min_evidence: u32,
}

impl Default for LearnConfig {
    fn default() -> Self {
        LearnConfig {
            step_size: 0.2,
            bias_step_size: 0.02,
            initial_accumulator: 0.1,
            prior_pull: 0.001,
            min_evidence: 5,
        }
    }
}

/// What the admin entered: each rule's prior weight (from its points), the bias prior (from
/// the base points) and which rules are locked.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Priors {
    pub bias: f64,
    pub rules: BTreeMap<RuleId, f64>,
    pub locked: BTreeSet<RuleId>,
}

impl Priors {
    /// Priors from points: `base_points` and `(rule, points, locked)` per rule.
    pub fn from_points(
        base_points: f64,
        rules: impl IntoIterator<Item = (RuleId, f64, bool)>,
    ) -> Priors {
        let mut p = Priors {
            bias: weight_from_points(base_points),
            ..Priors::default()
        };
        for (id, points, locked) in rules {
            p.rules.insert(id, weight_from_points(points));
            if locked {
                p.locked.insert(id);
            }
        }
        p
    }

    /// The priors of a rule set: its base points, each enabled rule's points and locks.
    pub fn of_rule_set(set: &crate::core::rules::RuleSet) -> Priors {
        Priors::from_points(
            set.base_points,
            set.rules
                .iter()
                .filter(|r| r.enabled)
                .map(|r| (r.id, r.points, r.locked)),
        )
    }

    pub fn rule(&self, rule: RuleId) -> f64 {
        self.rules.get(&rule).copied().unwrap_or(0.0)
    }

    /// The weights a fresh scorecard starts from: every prior.
    pub fn weights(&self) -> Weights {
        Weights {
            bias: self.bias,
            rules: self.rules.clone(),
        }
    }
}

/// The learner's memory besides the weights: per-coordinate AdaGrad sums and how many labelled
/// outcomes each rule has matched. Stored beside the weights.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct LearnerState {
    /// Σg² of the bias.
    pub bias_acc: f64,
    /// Σg² per rule.
    pub acc: BTreeMap<RuleId, f64>,
    /// Labelled outcomes whose snapshot matched each rule.
    pub evidence: BTreeMap<RuleId, u32>,
    /// Labelled outcomes learned from in all.
    pub labelled: u64,
}

impl LearnerState {
    pub fn evidence(&self, rule: RuleId) -> u32 {
        self.evidence.get(&rule).copied().unwrap_or(0)
    }
}

/// A rule's weight as shown and scored: the learned one once there is enough evidence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShownWeight {
    pub weight: f64,
    pub learned: bool,
    pub evidence: u32,
}

/// Which weight a rule shows: its prior until it has matched `min_evidence` labelled outcomes,
/// then the learned one. Locked rules always show their (unmoving) weight.
pub fn shown_weight(
    rule: RuleId,
    weights: &Weights,
    state: &LearnerState,
    priors: &Priors,
    cfg: &LearnConfig,
) -> ShownWeight {
    let evidence = state.evidence(rule);
    let learned = evidence >= cfg.min_evidence && !priors.locked.contains(&rule);
    let weight = if learned || priors.locked.contains(&rule) {
        weights.get(rule)
    } else {
        priors.rule(rule)
    };
    ShownWeight {
        weight,
        learned,
        evidence,
    }
}

/// The weights to score with: learned where the evidence suffices, priors elsewhere. The bias
/// is always the learned one (every labelled outcome is evidence for it).
pub fn effective_weights(
    weights: &Weights,
    state: &LearnerState,
    priors: &Priors,
    cfg: &LearnConfig,
) -> Weights {
    let mut out = Weights {
        bias: weights.bias,
        rules: BTreeMap::new(),
    };
    let ids: BTreeSet<RuleId> = weights
        .rules
        .keys()
        .chain(priors.rules.keys())
        .copied()
        .collect();
    for id in ids {
        out.rules
            .insert(id, shown_weight(id, weights, state, priors, cfg).weight);
    }
    out
}

/// One AdaGrad coordinate update; returns its record.
fn step_coordinate(
    rule: Option<RuleId>,
    w: &mut f64,
    had_w: bool,
    acc: &mut f64,
    had_acc: bool,
    grad: f64,
    cfg: &LearnConfig,
) -> WeightDelta {
    let (w0, a0) = (*w, *acc);
    *acc = a0 + grad * grad;
    let alpha = if rule.is_none() {
        cfg.bias_step_size
    } else {
        cfg.step_size
    };
    *w = w0 - alpha * grad / (cfg.initial_accumulator + *acc).sqrt();
    WeightDelta {
        rule,
        dw: *w - w0,
        dstate: *acc - a0,
        before: had_w.then_some(w0),
        state_before: had_acc.then_some(a0),
    }
}

/// Learns from one labelled outcome: `features` is the snapshot of the lead's rule activations
/// when it was worked, `target` 1 or 0, `strength` in (0, 1] scales the gradient. Locked rules
/// and zero activations are left alone; a rule without a learned weight starts from its prior.
/// Returns every change made, for undo.
pub fn learn(
    weights: &mut Weights,
    state: &mut LearnerState,
    priors: &Priors,
    cfg: &LearnConfig,
    features: &[(RuleId, f32)],
    target: f64,
    strength: f64,
) -> LearnStep {
    // A rule learning has not touched yet weighs its prior, as the scorecard scores it.
    let current = |w: &Weights, rule: RuleId| {
        w.rules
            .get(&rule)
            .copied()
            .unwrap_or_else(|| priors.rule(rule))
    };
    let logit = weights.bias
        + features
            .iter()
            .map(|&(r, x)| current(weights, r) * x as f64)
            .sum::<f64>();
    let predicted = sigmoid(logit);
    let err = strength * (predicted - target);
    let mut deltas = Vec::with_capacity(features.len() + 1);
    let grad = err + cfg.prior_pull * (weights.bias - priors.bias);
    deltas.push(step_coordinate(
        None,
        &mut weights.bias,
        true,
        &mut state.bias_acc,
        true,
        grad,
        cfg,
    ));
    for &(rule, x) in features {
        if x == 0.0 {
            continue;
        }
        *state.evidence.entry(rule).or_insert(0) += 1;
        if priors.locked.contains(&rule) {
            continue;
        }
        let had_w = weights.rules.contains_key(&rule);
        let had_a = state.acc.contains_key(&rule);
        let w = weights.rules.entry(rule).or_insert(priors.rule(rule));
        let acc = state.acc.entry(rule).or_insert(0.0);
        let grad = err * x as f64 + cfg.prior_pull * (*w - priors.rule(rule));
        deltas.push(step_coordinate(Some(rule), w, had_w, acc, had_a, grad, cfg));
    }
    state.labelled += 1;
    LearnStep {
        predicted,
        deltas,
        target,
        strength,
    }
}

/// Undoes the most recent step (or, applied newest first, a run of recent steps): every
/// coordinate gets back its value from before the step, bit for bit, and the evidence the
/// step counted is taken back. `features` is the snapshot the step learned from.
pub fn unlearn(
    weights: &mut Weights,
    state: &mut LearnerState,
    step: &LearnStep,
    features: &[(RuleId, f32)],
) {
    for d in step.deltas.iter().rev() {
        match d.rule {
            None => {
                weights.bias = d.before.unwrap_or(0.0);
                state.bias_acc = d.state_before.unwrap_or(0.0);
            }
            Some(rule) => {
                match d.before {
                    Some(w) => weights.rules.insert(rule, w),
                    None => weights.rules.remove(&rule),
                };
                match d.state_before {
                    Some(a) => state.acc.insert(rule, a),
                    None => state.acc.remove(&rule),
                };
            }
        }
    }
    for &(rule, x) in features {
        if x == 0.0 {
            continue;
        }
        if let Some(n) = state.evidence.get_mut(&rule) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                state.evidence.remove(&rule);
            }
        }
    }
    state.labelled = state.labelled.saturating_sub(1);
}

#[cfg(test)]
mod tests;
