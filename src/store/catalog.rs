//! The outcome catalogue as admins edit it: one outcome's label, strength, stage effect or
//! follow-up changed, checked against the pipeline, and stored durably.
//!
//! Learning reads the stored catalogue on every logged outcome, so an edit counts from the next
//! outcome on; steps already taken keep the target and strength they were taken with.

use crate::core::outcome::{OutcomeCatalog, OutcomeType};
use crate::core::outcome_edit::{CatalogError, OutcomeEdit};
use crate::store::{Store, StoreError};

/// Why an outcome could not be edited.
#[derive(Debug, thiserror::Error)]
pub enum OutcomeEditError {
    #[error(transparent)]
    Invalid(#[from] CatalogError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Checks and applies an edit of one outcome type; durable when this returns. Nothing is
    /// stored when any field is wrong. Returns the outcome type as stored.
    pub fn edit_outcome(
        &self,
        id: &str,
        edit: &OutcomeEdit,
    ) -> Result<OutcomeType, OutcomeEditError> {
        let mut catalog = self.outcome_catalog()?;
        let pipeline = self.pipeline()?;
        let edited = catalog.apply_edit(id, edit, &pipeline)?.clone();
        self.save_outcome_catalog(&catalog)?;
        Ok(edited)
    }

    /// Replaces the whole catalogue, durably (the console saves all its edits at once).
    pub fn save_outcome_catalog(&self, catalog: &OutcomeCatalog) -> Result<(), StoreError> {
        self.set_outcome_catalog(catalog)?;
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::outcome::Label;

    #[test]
    fn an_edit_survives_reopening_and_a_bad_one_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        {
            let store = Store::open(&db).unwrap();
            let edit = OutcomeEdit {
                label: Some(Label::Negative),
                strength: Some(0.25),
                ..OutcomeEdit::default()
            };
            let t = store.edit_outcome("voicemail", &edit).unwrap();
            assert_eq!((t.label, t.strength), (Label::Negative, 0.25));
            let bad = OutcomeEdit {
                label: Some(Label::Positive),
                stage: Some(Some("Limbo".into())),
                ..OutcomeEdit::default()
            };
            assert!(matches!(
                store.edit_outcome("voicemail", &bad),
                Err(OutcomeEditError::Invalid(CatalogError::UnknownStage { .. }))
            ));
        }
        let store = Store::open(&db).unwrap();
        let v = store.outcome_catalog().unwrap();
        let v = v.find("voicemail").unwrap();
        assert_eq!((v.label, v.strength), (Label::Negative, 0.25));
    }
}
