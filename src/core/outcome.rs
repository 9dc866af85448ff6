//! What a rep can log after working a lead, what each outcome teaches the model, and the
//! stored record of a logged outcome.

use serde::{Deserialize, Serialize};

use crate::core::model::{LeadId, NextAction, Timestamp};

/// Identifier of a scoring rule; stable across rule versions.
pub type RuleId = u32;

/// Whether an outcome says the lead was a good one.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    Positive,
    Negative,
    /// Carries no evidence either way (no answer, voicemail).
    None,
}

/// One kind of outcome in the catalogue.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OutcomeType {
    /// Stable id used on the command line and in config, e.g. `meeting_booked`.
    pub id: String,
    /// Words shown to reps, e.g. "Meeting booked".
    pub name: String,
    pub label: Label,
    /// How much one such outcome counts in a learning step, in (0, 1].
    pub strength: f64,
    /// The stage the lead moves to, if any.
    pub stage: Option<String>,
    /// A follow-up scheduled this many days later unless the rep gives one.
    pub follow_up_days: Option<u32>,
}

impl OutcomeType {
    /// The learning target: 1 or 0, or `None` for outcomes that teach nothing.
    pub fn target(&self) -> Option<f64> {
        match self.label {
            Label::Positive => Some(1.0),
            Label::Negative => Some(0.0),
            Label::None => None,
        }
    }
}

/// The outcomes reps can log, in the order the log-outcome modal numbers them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OutcomeCatalog {
    pub types: Vec<OutcomeType>,
}

impl Default for OutcomeCatalog {
    fn default() -> Self {
        let t = |id: &str, name: &str, label, strength, stage: Option<&str>, follow_up_days| {
            OutcomeType {
                id: id.into(),
                name: name.into(),
                label,
                strength,
                stage: stage.map(str::to_string),
                follow_up_days,
            }
        };
        use Label::*;
        OutcomeCatalog {
            types: vec![
                t(
                    "no_answer",
                    "No answer",
                    None,
                    1.0,
                    Some("Contacted"),
                    Some(1),
                ),
                t(
                    "voicemail",
                    "Voicemail",
                    None,
                    1.0,
                    Some("Contacted"),
                    Some(2),
                ),
                t(
                    "connected_interested",
                    "Connected — interested",
                    Positive,
                    0.3,
                    Some("Contacted"),
                    Some(3),
                ),
                t(
                    "meeting_booked",
                    "Meeting booked",
                    Positive,
                    0.5,
                    Some("Qualified"),
                    Some(7),
                ),
                t(
                    "not_interested",
                    "Connected — not interested",
                    Negative,
                    1.0,
                    Some("Nurture"),
                    Some(90),
                ),
                t(
                    "bad_data",
                    "Bad data",
                    Negative,
                    1.0,
                    Some("Lost"),
                    Option::None,
                ),
                t("won", "Won", Positive, 1.0, Some("Won"), Option::None),
                t("lost", "Lost", Negative, 1.0, Some("Lost"), Option::None),
            ],
        }
    }
}

impl OutcomeCatalog {
    pub fn find(&self, id: &str) -> Option<&OutcomeType> {
        let id = id.trim();
        self.types.iter().find(|t| t.id.eq_ignore_ascii_case(id))
    }

    pub fn ids(&self) -> Vec<&str> {
        self.types.iter().map(|t| t.id.as_str()).collect()
    }
}

/// The change one learning step made to one weight, kept so the step can be undone exactly.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WeightDelta {
    /// `None` for the bias.
    pub rule: Option<RuleId>,
    /// Change of the weight (log-odds).
    pub dw: f64,
    /// Change of the optimiser's per-coordinate state (e.g. AdaGrad's squared-gradient sum).
    pub dstate: f64,
    /// The weight before the step (`None`: the rule had no stored weight), so that undoing the
    /// most recent step restores it bit for bit.
    pub before: Option<f64>,
    /// The optimiser state before the step (`None`: none was stored yet).
    pub state_before: Option<f64>,
}

/// Everything one learning step changed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct LearnStep {
    /// Probability the model gave the lead before the step.
    pub predicted: f64,
    pub deltas: Vec<WeightDelta>,
    /// The label learned from (1 or 0) and how much it counted, as the catalogue said when the
    /// outcome was logged, so that a replay learns the same thing.
    pub target: f64,
    pub strength: f64,
}

/// A logged outcome, as stored. Side-effect fields keep what they replaced so that undo
/// restores the lead exactly.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OutcomeRecord {
    /// Sequence number, unique in the database; the order outcomes were logged.
    pub seq: u64,
    pub lead: LeadId,
    /// Outcome type id.
    pub outcome: String,
    pub at: Timestamp,
    pub note: String,
    /// Deal value the rep gave, if any.
    pub value: Option<f64>,
    pub follow_up: Option<Timestamp>,
    /// Rule activations when the lead was worked: the features learning uses.
    pub snapshot: Vec<(RuleId, f32)>,
    /// The learning step this outcome caused; `None` for outcomes without a label.
    pub step: Option<LearnStep>,
    pub stage_before: String,
    pub stage_entered_before: Timestamp,
    pub next_action_before: Option<NextAction>,
    pub deal_value_before: Option<f64>,
    /// Set when the outcome was undone; the record stays for the audit trail.
    pub undone: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_catalogue_matches_the_design_labels() {
        let c = OutcomeCatalog::default();
        assert_eq!(
            c.ids(),
            [
                "no_answer",
                "voicemail",
                "connected_interested",
                "meeting_booked",
                "not_interested",
                "bad_data",
                "won",
                "lost"
            ]
        );
        let won = c.find("WON").unwrap();
        assert_eq!((won.target(), won.strength), (Some(1.0), 1.0));
        assert_eq!(c.find("meeting_booked").unwrap().strength, 0.5);
        assert_eq!(c.find("connected_interested").unwrap().strength, 0.3);
        for neg in ["not_interested", "lost", "bad_data"] {
            assert_eq!(c.find(neg).unwrap().target(), Some(0.0));
        }
        for none in ["no_answer", "voicemail"] {
            assert_eq!(c.find(none).unwrap().target(), None);
        }
        assert!(c.find("maybe").is_none());
    }
}
