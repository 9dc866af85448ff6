//! The scorecard: a rule set with its current weights, turning a lead into rule activations,
//! a logit and a probability. This is the one place scores are computed; the index, the
//! explanation and learning all use its numbers.

use crate::core::model::{Lead, LeadId, Signal, Timestamp};
use crate::core::outcome::{OutcomeRecord, RuleId};
use crate::core::rules::{LeadFacts, Rule, RuleKind, RuleSet};
use crate::core::signals::SignalSummary;
use crate::core::weights::{Weights, sigmoid};

/// A rule set plus the weights it scores with.
#[derive(Clone, Debug)]
pub struct Scorecard {
    set: RuleSet,
    priors: Weights,
    weights: Weights,
}

/// A lead's score.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    pub lead: LeadId,
    /// Sparse rule activations, sorted by rule id: the features learning uses.
    pub activations: Vec<(RuleId, f32)>,
    pub logit: f64,
    pub probability: f64,
}

/// Decay of an engagement rule's activation: 2^(−age / half-life).
pub fn decay(age_secs: i64, half_life_secs: f64) -> f32 {
    (-(age_secs.max(0) as f64) / half_life_secs).exp2() as f32
}

impl Scorecard {
    /// Scores with `learned` weights where they exist and the admin's priors elsewhere.
    ///
    /// A locked rule always weighs its prior; a rule learning has not seen yet (new in this
    /// version, or its points just edited) starts at its prior; disabled rules weigh nothing.
    pub fn new(set: RuleSet, learned: Option<&Weights>) -> Scorecard {
        let priors = set.priors();
        let mut card = Scorecard {
            weights: priors.clone(),
            priors,
            set,
        };
        if let Some(learned) = learned {
            card.set_weights(learned);
        }
        card
    }

    /// Takes new learned weights (e.g. after a learning step or an undo).
    pub fn set_weights(&mut self, learned: &Weights) {
        self.weights = Weights {
            bias: learned.bias,
            rules: self
                .set
                .rules
                .iter()
                .filter(|r| r.enabled)
                .map(|r| {
                    let w = match learned.rules.get(&r.id) {
                        Some(w) if !r.locked && w.is_finite() => *w,
                        _ => r.prior(),
                    };
                    (r.id, w)
                })
                .collect(),
        };
        if !self.weights.bias.is_finite() {
            self.weights.bias = self.priors.bias;
        }
    }

    /// The weights scores use: bias and every enabled rule (learned, or prior).
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// The admin's weights, which learning pulls toward.
    pub fn priors(&self) -> &Weights {
        &self.priors
    }

    pub fn rule_set(&self) -> &RuleSet {
        &self.set
    }

    /// The enabled rules, in file order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.set.rules.iter().filter(|r| r.enabled)
    }

    pub fn rule(&self, id: RuleId) -> Option<&Rule> {
        self.set.rule(id)
    }

    /// Learning must not move this rule.
    pub fn is_locked(&self, id: RuleId) -> bool {
        self.set.rule(id).is_some_and(|r| r.locked)
    }

    /// How much a matching rule counts for this lead, in [0, 1]: 1 for fit and negative
    /// rules; for engagement rules 2^(−age/half-life) of the newest signal the rule counts
    /// (the largest over the signal kinds it looks at), 1 when it counts no signal.
    pub fn activation(&self, rule: &Rule, signals: &SignalSummary, now: Timestamp) -> f32 {
        let mask = rule.condition.signal_mask();
        if rule.kind != RuleKind::Engagement || mask == 0 {
            return 1.0;
        }
        self.decay_of(mask, signals, now)
    }

    /// The engagement decay of the newest signal in `mask`: the max over kinds of
    /// 2^(−age/half-life of that kind); 1 when there is no such signal.
    pub fn decay_of(&self, mask: u8, signals: &SignalSummary, now: Timestamp) -> f32 {
        signals
            .newest_each(mask, now)
            .map(|(s, t)| decay(now - t, self.set.half_life_secs(s)))
            .reduce(f32::max)
            .unwrap_or(1.0)
    }

    /// The rules a lead matches now, with their activations, sorted by rule id.
    pub fn activations(
        &self,
        lead: &Lead,
        signals: &SignalSummary,
        now: Timestamp,
    ) -> Vec<(RuleId, f32)> {
        let facts = LeadFacts { lead, signals, now };
        let mut out: Vec<(RuleId, f32)> = self
            .rules()
            .filter(|r| r.condition.matches(&facts))
            .map(|r| (r.id, self.activation(r, signals, now)))
            .collect();
        out.sort_unstable_by_key(|(id, _)| *id);
        out
    }

    /// The ages (seconds) at which an enabled rule's match can change with time alone, sorted.
    pub fn time_horizons(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for r in self.rules() {
            r.condition.time_horizons(&mut out);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The rules a lead matched when `rec` was logged: the lead with the stage, next action
    /// and deal value it had then, and only the signals it had given by then. This is the
    /// feature snapshot learning uses for an outcome recorded after the fact.
    pub fn activations_when_worked(
        &self,
        lead: &Lead,
        signal_events: impl IntoIterator<Item = (Signal, Timestamp)>,
        rec: &OutcomeRecord,
    ) -> Vec<(RuleId, f32)> {
        let mut then = lead.clone();
        then.stage = rec.stage_before.clone();
        then.stage_entered = rec.stage_entered_before;
        then.next_action = rec.next_action_before.clone();
        then.deal_value = rec.deal_value_before;
        let signals =
            SignalSummary::from_events(signal_events.into_iter().filter(|&(_, at)| at <= rec.at));
        self.activations(&then, &signals, rec.at)
    }

    /// bias + Σ w·x: the logit the ranking uses.
    pub fn logit(&self, activations: &[(RuleId, f32)]) -> f64 {
        self.weights.logit(activations)
    }

    pub fn score(&self, lead: &Lead, signals: &SignalSummary, now: Timestamp) -> Score {
        let activations = self.activations(lead, signals, now);
        let logit = self.logit(&activations);
        Score {
            lead: lead.id,
            activations,
            logit,
            probability: sigmoid(logit),
        }
    }

    /// The signal mask of an enabled engagement rule, for re-decaying cached activations;
    /// `None` for rules whose activation does not change with time.
    pub fn decay_mask(&self, id: RuleId) -> Option<u8> {
        self.set
            .rule(id)
            .filter(|r| r.enabled && r.kind == RuleKind::Engagement)
            .map(|r| r.condition.signal_mask())
            .filter(|m| *m != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{DAY, Signal};
    use crate::core::rules::RuleIds;
    use crate::core::weights::weight_from_points;

    const NOW: Timestamp = 1_795_651_200;

    fn card() -> Scorecard {
        let text = r#"
base_points = -20
[half_life]
visits = 10
[[rule]]
name = "CEO"
when = 'title = "CEO"'
points = 20
kind = "fit"
[[rule]]
name = "Visitor"
when = 'visits(30d) >= 1'
points = 10
kind = "engagement"
[[rule]]
name = "Locked"
when = 'title is not missing'
points = 5
kind = "fit"
locked = true
[[rule]]
name = "Off"
when = 'title is not missing'
points = 50
kind = "fit"
enabled = false
"#;
        Scorecard::new(RuleSet::parse(text, &mut RuleIds::default()).unwrap(), None)
    }

    #[test]
    fn engagement_decays_by_half_life_and_fit_is_binary() {
        let card = card();
        let lead = Lead {
            title: "CEO".into(),
            ..Lead::default()
        };
        let signals = SignalSummary::from_events([(Signal::WebVisit, NOW - 10 * DAY)]);
        let acts = card.activations(&lead, &signals, NOW);
        assert_eq!(acts, [(1, 1.0), (2, 0.5), (3, 1.0)]);
        let s = card.score(&lead, &signals, NOW);
        let expect = weight_from_points(-20.0)
            + weight_from_points(20.0)
            + 0.5 * weight_from_points(10.0)
            + weight_from_points(5.0);
        assert!((s.logit - expect).abs() < 1e-12);
        assert!((s.probability - sigmoid(expect)).abs() < 1e-15);
    }

    #[test]
    fn learned_weights_override_priors_except_for_locked_rules() {
        let mut card = card();
        let learned = Weights {
            bias: -1.0,
            rules: [(1, 2.0), (3, 9.0)].into(),
        };
        card.set_weights(&learned);
        assert_eq!(card.weights().bias, -1.0);
        assert_eq!(card.weights().get(1), 2.0);
        assert_eq!(
            card.weights().get(2),
            weight_from_points(10.0),
            "unlearned rule keeps its prior"
        );
        assert_eq!(
            card.weights().get(3),
            weight_from_points(5.0),
            "locked rule keeps its prior"
        );
        assert!(
            !card.weights().rules.contains_key(&4),
            "disabled rule does not score"
        );
        assert!(card.is_locked(3) && !card.is_locked(1));
        assert_eq!(card.decay_mask(2), Some(1 << 2));
        assert_eq!(card.decay_mask(1), None);
    }
}
