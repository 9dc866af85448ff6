//! Why a lead scores what it does, as data the console and the CLI render: the bias and each
//! matched rule's signed contribution with its evidence, summing exactly to the ranking's
//! logit; what changed since yesterday; and the next signal that would raise the score most.

use crate::core::model::{DAY, Lead, LeadId, Signal, Timestamp};
use crate::core::outcome::RuleId;
use crate::core::rules::{LeadFacts, RuleKind};
use crate::core::scorecard::Scorecard;
use crate::core::signals::SignalSummary;
use crate::core::weights::{PDO, sigmoid};

/// Points per unit of log-odds (PDO 20).
pub fn points_per_logit() -> f64 {
    PDO / std::f64::consts::LN_2
}

/// One matched rule's part of a lead's score.
#[derive(Clone, Debug, PartialEq)]
pub struct Contribution {
    pub rule: RuleId,
    pub name: String,
    pub kind: RuleKind,
    /// The rule's current weight (log-odds).
    pub weight: f64,
    /// How much the rule counts for this lead, in [0, 1] (decay for engagement rules).
    pub activation: f32,
    /// weight × activation: this rule's share of the logit.
    pub logit: f64,
    /// The same share in points (signed, not rounded).
    pub points: f64,
    /// The values that made the rule match, in words.
    pub evidence: Vec<String>,
}

/// A lead's score, taken apart.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub lead: LeadId,
    /// The bias in log-odds and in points.
    pub bias: f64,
    pub base_points: f64,
    /// Matched rules in rule-id order (the order the logit is summed in).
    pub contributions: Vec<Contribution>,
    /// bias + Σ contributions' logit: exactly what the ranking uses.
    pub logit: f64,
    /// base_points + Σ points, summed in order: exactly the parts shown. It equals the logit
    /// in points up to float rounding (|difference| < 1e-9).
    pub points_total: f64,
    pub probability: f64,
}

impl Explanation {
    /// The contributions, largest effect first (for a waterfall or a "top reason").
    pub fn by_effect(&self) -> Vec<&Contribution> {
        let mut v: Vec<&Contribution> = self.contributions.iter().collect();
        v.sort_by(|a, b| b.points.abs().total_cmp(&a.points.abs()));
        v
    }

    /// The rule that adds the most points, for a one-line reason in the queue.
    pub fn top_reason(&self) -> Option<&Contribution> {
        self.contributions
            .iter()
            .filter(|c| c.points > 0.0)
            .max_by(|a, b| a.points.total_cmp(&b.points))
    }
}

/// Explains a lead's score at `now`, from the same activations and weights the rank uses.
pub fn explain(
    card: &Scorecard,
    lead: &Lead,
    signals: &SignalSummary,
    now: Timestamp,
) -> Explanation {
    let activations = card.activations(lead, signals, now);
    let facts = LeadFacts { lead, signals, now };
    let k = points_per_logit();
    let weights = card.weights();
    let contributions: Vec<Contribution> = activations
        .iter()
        .filter_map(|&(id, x)| {
            let rule = card.rule(id)?;
            let weight = weights.get(id);
            let logit = weight * x as f64;
            Some(Contribution {
                rule: id,
                name: rule.name.clone(),
                kind: rule.kind,
                weight,
                activation: x,
                logit,
                points: logit * k,
                evidence: rule.condition.evidence(&facts),
            })
        })
        .collect();
    let logit = card.logit(&activations);
    let base_points = weights.bias * k;
    let points_total = contributions
        .iter()
        .fold(base_points, |total, c| total + c.points);
    Explanation {
        lead: lead.id,
        bias: weights.bias,
        base_points,
        contributions,
        logit,
        points_total,
        probability: sigmoid(logit),
    }
}

/// How one rule's part differs between two times.
#[derive(Clone, Debug, PartialEq)]
pub struct ContributionChange {
    pub rule: RuleId,
    pub name: String,
    /// Points then and now; 0 when the rule did not match.
    pub points_before: f64,
    pub points_now: f64,
}

/// The score a day ago beside the score now, and which rules made the difference.
#[derive(Clone, Debug, PartialEq)]
pub struct SinceYesterday {
    pub points_before: f64,
    pub points_now: f64,
    pub probability_before: f64,
    pub probability_now: f64,
    /// Rules whose points moved by at least a tenth of a point, biggest move first.
    pub changes: Vec<ContributionChange>,
}

/// The same lead scored at `now − 1 day` (its signals after then not yet seen), with the
/// current weights, beside its score now.
pub fn since_yesterday(
    card: &Scorecard,
    lead: &Lead,
    signals: &SignalSummary,
    now: Timestamp,
) -> SinceYesterday {
    let then = card.activations(lead, signals, now - DAY);
    let current = card.activations(lead, signals, now);
    let k = points_per_logit();
    let w = card.weights();
    let points_of = |acts: &[(RuleId, f32)], id| {
        acts.iter()
            .find(|(r, _)| *r == id)
            .map_or(0.0, |(_, x)| w.get(id) * *x as f64 * k)
    };
    let mut ids: Vec<RuleId> = then.iter().chain(&current).map(|(r, _)| *r).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut changes: Vec<ContributionChange> = ids
        .into_iter()
        .filter_map(|id| {
            let (before, now) = (points_of(&then, id), points_of(&current, id));
            ((before - now).abs() >= 0.1).then(|| ContributionChange {
                rule: id,
                name: card.rule(id).map(|r| r.name.clone()).unwrap_or_default(),
                points_before: before,
                points_now: now,
            })
        })
        .collect();
    changes.sort_by(|a, b| {
        (b.points_now - b.points_before)
            .abs()
            .total_cmp(&(a.points_now - a.points_before).abs())
    });
    let (l_then, l_now) = (card.logit(&then), card.logit(&current));
    SinceYesterday {
        points_before: l_then * k,
        points_now: l_now * k,
        probability_before: sigmoid(l_then),
        probability_now: sigmoid(l_now),
        changes,
    }
}

/// What one more signal of a kind, arriving now, would do to the score.
#[derive(Clone, Debug, PartialEq)]
pub struct SignalGain {
    pub signal: Signal,
    /// Change in points (positive raises the score).
    pub points: f64,
    pub probability_after: f64,
}

impl SignalGain {
    /// "a reply would add +14"
    pub fn words(&self) -> String {
        let article = match self.signal {
            Signal::EmailOpen => "an email open",
            Signal::EmailClick => "an email click",
            Signal::WebVisit => "a visit",
            Signal::FormFill => "a form fill",
            Signal::ContentDownload => "a download",
            Signal::Webinar => "a webinar",
            Signal::EmailReply => "a reply",
        };
        format!("{article} would add {:+}", self.points.round() as i64)
    }
}

/// The gain of each signal kind arriving now, best first.
pub fn signal_gains(
    card: &Scorecard,
    lead: &Lead,
    signals: &SignalSummary,
    now: Timestamp,
) -> Vec<SignalGain> {
    let base = card.logit(&card.activations(lead, signals, now));
    let mut gains: Vec<SignalGain> = Signal::ALL
        .iter()
        .map(|&signal| {
            let mut more = signals.clone();
            more.push(signal, now);
            let logit = card.logit(&card.activations(lead, &more, now));
            SignalGain {
                signal,
                points: (logit - base) * points_per_logit(),
                probability_after: sigmoid(logit),
            }
        })
        .collect();
    gains.sort_by(|a, b| b.points.total_cmp(&a.points));
    gains
}

/// The single signal that would raise the score most, if any raises it by a point or more.
pub fn next_best_signal(
    card: &Scorecard,
    lead: &Lead,
    signals: &SignalSummary,
    now: Timestamp,
) -> Option<SignalGain> {
    signal_gains(card, lead, signals, now)
        .into_iter()
        .next()
        .filter(|g| g.points >= 0.5)
}

#[cfg(test)]
mod tests;
