//! Moving a lead between pipeline stages, and undoing the move: the lead and its stage-change
//! activity written in one durable commit.

use crate::core::model::{Activity, ActivityKind, Lead, LeadId, Timestamp};
use crate::store::journal::{Op, TreeId};
use crate::store::{Store, StoreError, codec};

/// A stored stage change, with what undoing it must restore.
#[derive(Clone, Debug, PartialEq)]
pub struct StageMove {
    pub lead: LeadId,
    pub from: String,
    pub to: String,
    /// When the lead had entered `from`: restored by undo.
    pub from_entered: Timestamp,
    /// When the move happened (the new `stage_entered` and the activity's time).
    pub at: Timestamp,
}

impl StageMove {
    /// The timeline entry the move adds.
    pub fn activity(&self) -> Activity {
        Activity {
            lead: self.lead,
            at: self.at,
            kind: ActivityKind::StageChange {
                from: self.from.clone(),
                to: self.to.clone(),
            },
            detail: String::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("unknown stage {given:?}; the pipeline has: {known}")]
    UnknownStage { given: String, known: String },
    #[error(
        "lead {lead} is in stage {actual:?}, not {expected:?}; it changed since — reload and try again"
    )]
    Moved {
        lead: LeadId,
        expected: String,
        actual: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn stored(store: &Store, id: LeadId) -> Result<Lead, StoreError> {
    store
        .lead(id)?
        .ok_or_else(|| StoreError::LeadNotFound(id.to_string()))
}

/// Moves lead `id` to stage `to` at `now`: updates its stage and `stage_entered` and adds a
/// stage-change activity, atomically and durably. Returns the move and the stored lead.
pub fn move_stage(
    store: &Store,
    id: LeadId,
    to: &str,
    now: Timestamp,
) -> Result<(StageMove, Lead), StageError> {
    let pipeline = store.pipeline()?;
    let to = match pipeline.find(to) {
        Some(s) => s.name.clone(),
        None => {
            return Err(StageError::UnknownStage {
                given: to.to_string(),
                known: pipeline.names().join(", "),
            });
        }
    };
    let mut lead = stored(store, id)?;
    let mv = StageMove {
        lead: id,
        from: lead.stage.clone(),
        to: to.clone(),
        from_entered: lead.stage_entered,
        at: now,
    };
    lead.stage = to;
    lead.stage_entered = now;
    write(store, &lead, (&[mv.activity()], &[]))?;
    Ok((mv, lead))
}

/// Undoes a move exactly: the lead's stage and `stage_entered` as before, and the move's
/// activity removed. Refused when the lead has left the stage the move put it in.
pub fn undo_stage_move(store: &Store, mv: &StageMove) -> Result<Lead, StageError> {
    let mut lead = stored(store, mv.lead)?;
    if lead.stage != mv.to {
        return Err(StageError::Moved {
            lead: mv.lead,
            expected: mv.to.clone(),
            actual: lead.stage,
        });
    }
    lead.stage = mv.from.clone();
    lead.stage_entered = mv.from_entered;
    write(store, &lead, (&[], &[mv.activity()]))?;
    Ok(lead)
}

/// The lead and its activity change in one commit, durable through the journal.
/// `(add, remove)`: the activity the change adds to or takes from the lead's timeline.
fn write(
    store: &Store,
    lead: &Lead,
    (add, remove): (&[Activity], &[Activity]),
) -> Result<(), StoreError> {
    store.commit_with(|| {
        let mut ops = vec![Op::Put {
            tree: TreeId::Leads,
            key: lead.id.to_be_bytes().to_vec(),
            value: codec::encode(lead),
        }];
        ops.extend(store.timeline_ops(add, remove)?);
        Ok(ops)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with_lead() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        store
            .put_lead(&Lead {
                id: 7,
                name: "Ana".into(),
                stage: "New".into(),
                stage_entered: 100,
                ..Lead::default()
            })
            .unwrap();
        (dir, store)
    }

    #[test]
    fn a_move_is_stored_with_its_activity_and_undo_restores_exactly() {
        let (_dir, store) = store_with_lead();
        let (mv, lead) = move_stage(&store, 7, "contacted", 5_000).unwrap();
        assert_eq!(
            (lead.stage.as_str(), lead.stage_entered),
            ("Contacted", 5_000)
        );
        assert_eq!(store.lead(7).unwrap().unwrap(), lead);
        let acts = store.activities_of(7).unwrap();
        assert_eq!(acts, vec![mv.activity()]);
        // The book's one pass hands the board the move as the lead's newest activity.
        let mut newest = Vec::new();
        let card = store.scorecard().unwrap();
        store
            .build_index_with(&card, Default::default(), 5_000, |l, _, at| {
                newest.push((l.id, at))
            })
            .unwrap();
        assert_eq!(newest, vec![(7, Some(5_000))]);

        let back = undo_stage_move(&store, &mv).unwrap();
        assert_eq!((back.stage.as_str(), back.stage_entered), ("New", 100));
        assert_eq!(store.lead(7).unwrap().unwrap(), back);
        assert!(store.activities_of(7).unwrap().is_empty());
    }

    #[test]
    fn unknown_stage_and_stale_undo_are_refused() {
        let (_dir, store) = store_with_lead();
        let e = move_stage(&store, 7, "Limbo", 5).unwrap_err();
        assert!(e.to_string().contains("Negotiation"), "{e}");
        let (mv, _) = move_stage(&store, 7, "Qualified", 10).unwrap();
        move_stage(&store, 7, "Proposal", 20).unwrap();
        assert!(matches!(
            undo_stage_move(&store, &mv),
            Err(StageError::Moved { .. })
        ));
        assert!(move_stage(&store, 99, "New", 5).is_err());
    }
}
