//! Admin edits of the outcome catalogue: change one outcome's label, strength, stage effect or
//! default follow-up, checked against the pipeline before anything is stored.
//!
//! An edit only affects outcomes logged from then on. A stored learning step keeps the target
//! and strength it was taken with, so past learning (and its exact undo) is never rewritten.

use crate::core::model::Pipeline;
use crate::core::outcome::{Label, OutcomeCatalog, OutcomeType};

/// The words for labels on the command line and in the console.
pub const LABEL_NAMES: [&str; 3] = ["positive", "negative", "none"];

/// Longest default follow-up an outcome may schedule, in days (ten years).
pub const MAX_FOLLOW_UP_DAYS: u32 = 3_650;

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Positive => "positive",
            Label::Negative => "negative",
            Label::None => "none",
        }
    }

    /// `positive`, `negative` or `none`, any case.
    pub fn parse(text: &str) -> Option<Label> {
        match text.trim().to_ascii_lowercase().as_str() {
            "positive" => Some(Label::Positive),
            "negative" => Some(Label::Negative),
            "none" => Some(Label::None),
            _ => None,
        }
    }

    /// The next label in the order positive → negative → none → positive.
    pub fn cycled(self) -> Label {
        match self {
            Label::Positive => Label::Negative,
            Label::Negative => Label::None,
            Label::None => Label::Positive,
        }
    }
}

/// What to change in one outcome type; `None` fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutcomeEdit {
    pub label: Option<Label>,
    pub strength: Option<f64>,
    /// `Some(None)` removes the stage effect.
    pub stage: Option<Option<String>>,
    /// `Some(None)` removes the default follow-up.
    pub follow_up_days: Option<Option<u32>>,
}

/// Why an edit of the outcome catalogue was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatalogError {
    #[error("unknown outcome {given:?}; known outcomes: {known}")]
    UnknownOutcome { given: String, known: String },
    #[error("unknown label {0:?}; use positive, negative or none")]
    UnknownLabel(String),
    #[error("strength {0} is out of range; give a number above 0 and at most 1, e.g. 0.5")]
    BadStrength(String),
    #[error("unknown stage {given:?}; the pipeline's stages are: {known}")]
    UnknownStage { given: String, known: String },
    #[error("follow-up {0:?} not understood; give days like 2d, weeks like 1w, or none")]
    BadFollowUp(String),
}

/// Checks a strength: a finite number in (0, 1].
pub fn check_strength(strength: f64) -> Result<f64, CatalogError> {
    if strength.is_finite() && strength > 0.0 && strength <= 1.0 {
        Ok(strength)
    } else {
        Err(CatalogError::BadStrength(strength.to_string()))
    }
}

/// Reads a default follow-up: `2d`, `3` (days), `1w`, or `none`.
pub fn parse_follow_up_days(text: &str) -> Result<Option<u32>, CatalogError> {
    let t = text.trim().to_ascii_lowercase();
    if t == "none" {
        return Ok(None);
    }
    let bad = || CatalogError::BadFollowUp(text.to_string());
    let (digits, factor) = match t.strip_suffix('w') {
        Some(d) => (d, 7),
        None => (t.strip_suffix('d').unwrap_or(&t), 1),
    };
    let n: u32 = digits.parse().map_err(|_| bad())?;
    let days = n.checked_mul(factor).ok_or_else(bad)?;
    if days == 0 || days > MAX_FOLLOW_UP_DAYS {
        return Err(bad());
    }
    Ok(Some(days))
}

impl OutcomeCatalog {
    /// Applies an edit to the outcome `id` (any case) after checking every field; nothing
    /// changes when any field is wrong. Returns the outcome as edited.
    pub fn apply_edit(
        &mut self,
        id: &str,
        edit: &OutcomeEdit,
        pipeline: &Pipeline,
    ) -> Result<&OutcomeType, CatalogError> {
        let known = self.ids().join(", ");
        let Some(i) = self
            .types
            .iter()
            .position(|t| t.id.eq_ignore_ascii_case(id.trim()))
        else {
            return Err(CatalogError::UnknownOutcome {
                given: id.to_string(),
                known,
            });
        };
        let strength = edit.strength.map(check_strength).transpose()?;
        let stage = match &edit.stage {
            Some(Some(name)) => {
                let found = pipeline
                    .stages
                    .iter()
                    .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
                    .ok_or_else(|| CatalogError::UnknownStage {
                        given: name.clone(),
                        known: pipeline
                            .stages
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })?;
                Some(Some(found.name.clone()))
            }
            other => other.clone(),
        };
        if let Some(Some(days)) = edit.follow_up_days
            && (days == 0 || days > MAX_FOLLOW_UP_DAYS)
        {
            return Err(CatalogError::BadFollowUp(format!("{days}d")));
        }
        let t = &mut self.types[i];
        if let Some(label) = edit.label {
            t.label = label;
        }
        if let Some(s) = strength {
            t.strength = s;
        }
        if let Some(stage) = stage {
            t.stage = stage;
        }
        if let Some(days) = edit.follow_up_days {
            t.follow_up_days = days;
        }
        Ok(&self.types[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_changes_only_what_it_names() {
        let mut c = OutcomeCatalog::default();
        let before = c.find("voicemail").unwrap().clone();
        let edit = OutcomeEdit {
            label: Some(Label::Negative),
            strength: Some(0.2),
            ..OutcomeEdit::default()
        };
        let t = c
            .apply_edit("VoiceMail", &edit, &Pipeline::default())
            .unwrap();
        assert_eq!((t.label, t.strength), (Label::Negative, 0.2));
        assert_eq!(t.stage, before.stage);
        assert_eq!(t.follow_up_days, before.follow_up_days);
        assert_eq!(c.find("voicemail").unwrap().target(), Some(0.0));
    }

    #[test]
    fn stage_is_matched_to_the_pipeline_and_can_be_removed() {
        let mut c = OutcomeCatalog::default();
        let p = Pipeline::default();
        let edit = OutcomeEdit {
            stage: Some(Some("qualified".into())),
            follow_up_days: Some(None),
            ..OutcomeEdit::default()
        };
        let t = c.apply_edit("no_answer", &edit, &p).unwrap();
        assert_eq!(t.stage.as_deref(), Some("Qualified"));
        assert_eq!(t.follow_up_days, None);
        let edit = OutcomeEdit {
            stage: Some(None),
            ..OutcomeEdit::default()
        };
        assert_eq!(c.apply_edit("no_answer", &edit, &p).unwrap().stage, None);
    }

    #[test]
    fn bad_fields_change_nothing() {
        let mut c = OutcomeCatalog::default();
        let p = Pipeline::default();
        let original = c.clone();
        let bad_stage = OutcomeEdit {
            label: Some(Label::Positive),
            stage: Some(Some("Limbo".into())),
            ..OutcomeEdit::default()
        };
        assert!(matches!(
            c.apply_edit("lost", &bad_stage, &p),
            Err(CatalogError::UnknownStage { .. })
        ));
        for s in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            let e = OutcomeEdit {
                label: Some(Label::Positive),
                strength: Some(s),
                ..OutcomeEdit::default()
            };
            assert!(matches!(
                c.apply_edit("lost", &e, &p),
                Err(CatalogError::BadStrength(_))
            ));
        }
        assert!(matches!(
            c.apply_edit("maybe", &OutcomeEdit::default(), &p),
            Err(CatalogError::UnknownOutcome { .. })
        ));
        assert_eq!(c, original);
    }

    #[test]
    fn labels_and_follow_ups_parse_as_typed() {
        assert_eq!(Label::parse(" Positive "), Some(Label::Positive));
        assert_eq!(Label::parse("maybe"), None);
        for l in LABEL_NAMES {
            assert_eq!(Label::parse(l).unwrap().as_str(), l);
        }
        assert_eq!(Label::None.cycled().cycled().cycled(), Label::None);
        assert_eq!(parse_follow_up_days("2d"), Ok(Some(2)));
        assert_eq!(parse_follow_up_days("5"), Ok(Some(5)));
        assert_eq!(parse_follow_up_days("1w"), Ok(Some(7)));
        assert_eq!(parse_follow_up_days("NONE"), Ok(None));
        for bad in ["0d", "-1d", "2h", "", "9999999999d", "99999w"] {
            assert!(parse_follow_up_days(bad).is_err(), "{bad}");
        }
    }
}
