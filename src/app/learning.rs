//! The console's side of learning: applying the weights a logged (or undone) outcome left in
//! the store to the scorecard and the index, and saying in points which weights moved.

use crate::core::model::Lead;
use crate::core::outcome::{LearnStep, OutcomeRecord};
use crate::core::text::sanitize;
use crate::core::weights::{PDO, Weights};

use super::scoring::Scoring;

/// What the store answered to a logged or undone outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeDone {
    pub record: OutcomeRecord,
    /// The lead as stored afterwards.
    pub lead: Lead,
    /// The learned weights as stored afterwards (`None`: nothing learned yet).
    pub learned: Option<Weights>,
}

/// How many toast entries name a moved weight before "…".
const MAX_NAMED: usize = 3;

/// "Decision maker +1 pt · Replied −2 pts": the weights a step moved, largest first, in
/// points (PDO 20), leaving out moves that round to zero points.
pub fn moved_text(scoring: &Scoring, step: &LearnStep, sign: f64) -> String {
    let mut moved: Vec<(String, i64)> = step
        .deltas
        .iter()
        .map(|d| {
            let name = match d.rule {
                None => "base".to_string(),
                Some(id) => scoring
                    .card
                    .rule(id)
                    .map_or(format!("rule {id}"), |r| sanitize(&r.name).into_owned()),
            };
            let pts = (sign * d.dw * PDO / std::f64::consts::LN_2).round() as i64;
            (name, pts)
        })
        .filter(|(_, pts)| *pts != 0)
        .collect();
    moved.sort_by(|a, b| b.1.abs().cmp(&a.1.abs()).then_with(|| a.0.cmp(&b.0)));
    let more = moved.len().saturating_sub(MAX_NAMED);
    let mut parts: Vec<String> = moved
        .into_iter()
        .take(MAX_NAMED)
        .map(|(name, pts)| {
            let sign = if pts < 0 { "\u{2212}" } else { "+" };
            let unit = if pts.abs() == 1 { "pt" } else { "pts" };
            format!("{name} {sign}{} {unit}", pts.abs())
        })
        .collect();
    if more > 0 {
        parts.push(format!("{more} more"));
    }
    if parts.is_empty() {
        "no weight moved a whole point".to_string()
    } else {
        parts.join(" · ")
    }
}

impl Scoring {
    /// Takes the stored learned weights: the scorecard first, then the index moves only the
    /// leads that match a changed rule.
    pub fn learn(&mut self, learned: &Weights) {
        self.card.set_weights(learned);
        self.index.apply_weights(self.card.weights());
    }
}
