//! The lead-detail view's model: the lead's history and its score explanation, ready to draw.

use crate::core::model::LeadId;

use super::action::DetailData;

/// One rule's part of a lead's score, as the waterfall shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ContributionView {
    pub rule: String,
    /// Points (PDO 20); negative ones are drawn red.
    pub points: i32,
    /// What made the rule match, e.g. "title = VP Sales".
    pub evidence: String,
}

/// A lead's score explanation: base points plus each contribution equals the total.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplanationView {
    pub base_points: i32,
    pub contributions: Vec<ContributionView>,
    pub points_total: i32,
    pub probability: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DetailState {
    pub lead: LeadId,
    /// `None` while the history is being read.
    pub data: Option<DetailData>,
    /// `None` when no scorecard is set up for the book.
    pub explanation: Option<ExplanationView>,
    /// Rank in the queue, when the lead is in it.
    pub rank: Option<u32>,
    /// Rows the fields and the timeline are scrolled down (page keys); the drawing clamps it
    /// to what there is to show.
    pub scroll: u16,
}

impl DetailState {
    pub fn loading(lead: LeadId, rank: Option<u32>) -> DetailState {
        DetailState {
            lead,
            data: None,
            explanation: None,
            rank,
            scroll: 0,
        }
    }
}
