//! The console's use of the scorecard and the in-memory lead index: queue order, the
//! explanation view model, the top reason of a row, and re-scoring after an outcome.

use crate::core::explain::{Explanation, explain};
use crate::core::index::LeadIndex;
use crate::core::model::{Lead, LeadId, Timestamp};
use crate::core::outcome::RuleId;
use crate::core::priority::PriorityConfig;
use crate::core::scorecard::Scorecard;
use crate::core::text::sanitize;

use super::book::Book;
use super::detail::{ContributionView, ExplanationView};

/// What the queue is sorted by, shown in its header.
pub const SORT_LABEL: &str = "sort: p × value, overdue/fresh boosts";

/// The scorecard and the index built from it.
#[derive(Clone, Debug)]
pub struct Scoring {
    pub card: Scorecard,
    pub index: LeadIndex,
}

/// Two scorings are equal only when they are the same value (the index is not compared).
impl PartialEq for Scoring {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Scoring {
    /// Scores every lead of `leads` with `card` at `now` (no behavioural signals).
    pub fn build(
        card: Scorecard,
        leads: &[Lead],
        pipeline: &crate::core::model::Pipeline,
        now: Timestamp,
    ) -> Scoring {
        let index = LeadIndex::build(
            &card,
            pipeline,
            PriorityConfig::default(),
            now,
            leads.iter().map(|l| (l, Default::default())),
        );
        Scoring { card, index }
    }

    /// Moves the scores to `now`: engagement decay for every lead, and the leads whose rule
    /// matches may have changed with time alone (a visit leaving `visits(30d)`) re-scored
    /// from the book in memory.
    pub fn advance(&mut self, book: &Book, now: Timestamp) {
        for id in self.index.refresh(&self.card, now) {
            if let Some(lead) = book.lead(id) {
                let signals = self.index.signals(id).cloned().unwrap_or_default();
                self.index.upsert(&self.card, &lead, signals);
            }
        }
    }

    pub fn explain(&self, lead: &Lead) -> Explanation {
        let signals = self.index.signals(lead.id).cloned().unwrap_or_default();
        explain(&self.card, lead, &signals, self.index.now())
    }

    /// "Decision maker (title = VP Sales)": the rule adding the most points.
    pub fn top_reason(&self, lead: &Lead) -> Option<String> {
        let e = self.explain(lead);
        e.top_reason().map(|c| {
            sanitize(&format!(
                "+{:.0} {} ({})",
                c.points,
                c.name,
                c.evidence.join("; ")
            ))
            .into_owned()
        })
    }

    /// The explanation as the detail view draws it, contributions largest effect first.
    pub fn explanation_view(&self, lead: &Lead) -> ExplanationView {
        let e = self.explain(lead);
        ExplanationView {
            base_points: e.base_points.round() as i32,
            contributions: e
                .by_effect()
                .into_iter()
                .map(|c| ContributionView {
                    rule: c.name.clone(),
                    points: c.points.round() as i32,
                    evidence: c.evidence.join("; "),
                })
                .collect(),
            points_total: e.points_total.round() as i32,
            probability: e.probability,
        }
    }

    /// Re-scores a lead after it changed (an outcome or its undo).
    pub fn rescore(&mut self, lead: &Lead) {
        let signals = self.index.signals(lead.id).cloned().unwrap_or_default();
        self.index.upsert(&self.card, lead, signals);
    }

    /// The lead's rule activations now: the features stored with an outcome.
    pub fn snapshot(&self, id: LeadId) -> Vec<(RuleId, f32)> {
        self.index.activations(id).unwrap_or_default()
    }
}
