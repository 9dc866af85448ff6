//! Logging what happened when a lead was worked, and undoing it: one atomic, durable write
//! of the outcome record, the lead's side effects and its timeline entry.

use crate::core::learn::{Priors, learn};
use crate::core::model::{Activity, ActivityKind, DAY, LeadId, NextAction, Timestamp};
use crate::core::outcome::{OutcomeRecord, OutcomeType};
use crate::store::journal::{Op, TreeId};
use crate::store::learning::{LearningWrite, WeightCause, WeightEvent};
use crate::store::{META_NEXT_OUTCOME, Store, StoreError, codec, lead_outcome_key};

/// What a rep logs about a lead.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogRequest {
    /// Outcome type id, e.g. `meeting_booked`.
    pub outcome: String,
    pub note: String,
    pub value: Option<f64>,
    /// Overrides the outcome's default follow-up.
    pub follow_up: Option<Timestamp>,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error("unknown outcome {given:?}; known outcomes: {known}")]
    UnknownOutcome { given: String, known: String },
    #[error("deal value must be a finite amount ≥ 0, got {0}")]
    BadValue(f64),
    #[error("outcome #{0} not found")]
    OutcomeNotFound(u64),
    #[error("outcome #{0} was already undone")]
    AlreadyUndone(u64),
    #[error(
        "outcome #{0} has later learning steps on top; undo it with the rules loaded (`leadq undo {0}`)"
    )]
    NeedsRules(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WorkError {
    /// True when the user's input was at fault (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, WorkError::Store(e) if !matches!(e, StoreError::LeadNotFound(_)))
    }
}

/// The timeline entry an outcome adds.
fn outcome_activity(rec: &OutcomeRecord) -> Activity {
    Activity {
        lead: rec.lead,
        at: rec.at,
        kind: ActivityKind::Outcome(rec.outcome.clone()),
        detail: rec.note.clone(),
    }
}

/// Applies an outcome's side effects to its lead: stage (never back along the funnel),
/// follow-up, deal value.
fn apply_effects(
    lead: &mut crate::core::model::Lead,
    kind: &OutcomeType,
    rec: &OutcomeRecord,
    pipeline: &crate::core::model::Pipeline,
) {
    if let Some(stage) = &kind.stage
        && !lead.stage.eq_ignore_ascii_case(stage)
        && !pipeline.is_step_back(&lead.stage, stage)
    {
        lead.stage = stage.clone();
        lead.stage_entered = rec.at;
    }
    if let Some(due) = rec.follow_up {
        lead.next_action = Some(NextAction {
            due,
            note: format!("follow up after: {}", kind.name),
        });
    } else if kind.label != crate::core::outcome::Label::None && kind.follow_up_days.is_none() {
        // A closing outcome leaves nothing to follow up.
        lead.next_action = None;
    }
    if let Some(v) = rec.value {
        lead.deal_value = Some(v);
    }
}

/// Logs an outcome on a lead and makes it durable before returning.
///
/// `snapshot` is the lead's rule activations at the moment it was worked and `step` the
/// learning step already computed from it (both empty until scoring is in place); they are
/// stored with the record so that learning can be undone and replayed exactly.
pub fn log_outcome(
    store: &Store,
    lead: LeadId,
    req: &LogRequest,
    snapshot: Vec<(crate::core::outcome::RuleId, f32)>,
    step: Option<crate::core::outcome::LearnStep>,
    now: Timestamp,
) -> Result<OutcomeRecord, WorkError> {
    log_with(store, lead, req, snapshot, Learning::Given(step), now)
}

/// Logs an outcome and learns from it in the same durable transaction: when the outcome has
/// a label, one learning step on `snapshot` (the lead's rule activations when it was worked)
/// moves the stored weights, and the outcome, its step, the new weights and the learner's
/// state land together or not at all. `priors` are the current rules' admin weights.
pub fn log_outcome_learned(
    store: &Store,
    lead: LeadId,
    req: &LogRequest,
    snapshot: Vec<(crate::core::outcome::RuleId, f32)>,
    priors: &Priors,
    now: Timestamp,
) -> Result<OutcomeRecord, WorkError> {
    log_with(store, lead, req, snapshot, Learning::Learn(priors), now)
}

/// Whether a write learns: a step the caller computed (stored as given), or learn here.
enum Learning<'a> {
    Given(Option<crate::core::outcome::LearnStep>),
    Learn(&'a Priors),
}

fn log_with(
    store: &Store,
    lead: LeadId,
    req: &LogRequest,
    snapshot: Vec<(crate::core::outcome::RuleId, f32)>,
    learning: Learning<'_>,
    now: Timestamp,
) -> Result<OutcomeRecord, WorkError> {
    let catalog = store.outcome_catalog()?;
    let kind = catalog
        .find(&req.outcome)
        .ok_or_else(|| WorkError::UnknownOutcome {
            given: req.outcome.clone(),
            known: catalog.ids().join(", "),
        })?;
    if let Some(v) = req.value
        && !(v.is_finite() && v >= 0.0)
    {
        return Err(WorkError::BadValue(v));
    }
    let mut current = store
        .lead(lead)?
        .ok_or_else(|| StoreError::LeadNotFound(lead.to_string()))?;
    let seq = store.next_outcome_seq()?;
    let follow_up = req
        .follow_up
        .or(kind.follow_up_days.map(|d| now + d as i64 * DAY));
    let mut write = LearningWrite::default();
    let step = match learning {
        Learning::Given(step) => step,
        Learning::Learn(priors) => match kind.target() {
            Some(target) => {
                let cfg = store.learn_config()?;
                let mut ls = store.load_learning(priors)?;
                let step = learn(
                    &mut ls.weights,
                    &mut ls.state,
                    priors,
                    &cfg,
                    &snapshot,
                    target,
                    kind.strength,
                );
                let event = WeightEvent {
                    no: ls.next_event,
                    at: now,
                    cause: WeightCause::Outcome { seq },
                    deltas: step.deltas.clone(),
                };
                write.put_event(&event, None);
                ls.next_event += 1;
                store.learning_puts(&ls, priors, &cfg, &mut write);
                Some(step)
            }
            None => None,
        },
    };
    let rec = OutcomeRecord {
        seq,
        lead,
        outcome: kind.id.clone(),
        at: now,
        note: req.note.clone(),
        value: req.value,
        follow_up,
        snapshot,
        step,
        stage_before: current.stage.clone(),
        stage_entered_before: current.stage_entered,
        next_action_before: current.next_action.clone(),
        deal_value_before: current.deal_value,
        undone: false,
    };
    apply_effects(&mut current, kind, &rec, &store.pipeline()?);
    let mut activities = vec![outcome_activity(&rec)];
    if current.stage != rec.stage_before {
        activities.push(Activity {
            lead,
            at: now,
            kind: ActivityKind::StageChange {
                from: rec.stage_before.clone(),
                to: current.stage.clone(),
            },
            detail: format!("by outcome: {}", kind.name),
        });
    }
    write.tally.count_outcome(&rec, 1);
    store.admin_index_puts(&mut write)?;
    write_atomically(store, &current, &rec, &activities, &[], &write)?;
    Ok(rec)
}

/// Undoes an outcome: restores the lead's stage, follow-up and deal value as they were,
/// removes its timeline entries, and marks the record undone. Returns the record as it was
/// logged (with its learning step, for the caller to reverse).
pub fn undo_outcome(store: &Store, seq: u64) -> Result<OutcomeRecord, WorkError> {
    undo_with(store, seq, None)
}

/// Undoes an outcome and its learning exactly, in one durable transaction: when its step is
/// the latest weight change every value goes back bit for bit; when later changes were made
/// on top, they are rewound and made again without it, so the weights equal a history in
/// which the outcome was never logged. `priors` are the current rules' admin weights.
pub fn undo_outcome_learned(
    store: &Store,
    seq: u64,
    priors: &Priors,
) -> Result<OutcomeRecord, WorkError> {
    undo_with(store, seq, Some(priors))
}

fn undo_with(store: &Store, seq: u64, priors: Option<&Priors>) -> Result<OutcomeRecord, WorkError> {
    let mut rec = store.outcome(seq)?.ok_or(WorkError::OutcomeNotFound(seq))?;
    if rec.undone {
        return Err(WorkError::AlreadyUndone(seq));
    }
    let mut lead = store
        .lead(rec.lead)?
        .ok_or_else(|| StoreError::LeadNotFound(rec.lead.to_string()))?;
    let logged_stage = lead.stage.clone();
    lead.stage = rec.stage_before.clone();
    lead.stage_entered = rec.stage_entered_before;
    lead.next_action = rec.next_action_before.clone();
    lead.deal_value = rec.deal_value_before;
    let mut gone = vec![outcome_activity(&rec)];
    if logged_stage != rec.stage_before {
        let catalog = store.outcome_catalog()?;
        let name = catalog
            .find(&rec.outcome)
            .map_or(rec.outcome.clone(), |k| k.name.clone());
        gone.push(Activity {
            lead: rec.lead,
            at: rec.at,
            kind: ActivityKind::StageChange {
                from: rec.stage_before.clone(),
                to: logged_stage,
            },
            detail: format!("by outcome: {name}"),
        });
    }
    let mut write = LearningWrite::default();
    if rec.step.is_some()
        && let Some(no) = store.event_of_outcome(seq)?
    {
        let no_priors = Priors::default();
        let cfg = store.learn_config()?;
        let mut ls = store.load_learning(priors.unwrap_or(&no_priors))?;
        if priors.is_none() && ls.next_event != no + 1 {
            return Err(WorkError::NeedsRules(seq));
        }
        let priors = priors.unwrap_or(&no_priors);
        store.plan_removal(&mut ls, no, priors, &cfg, &mut write)?;
        store.learning_puts(&ls, priors, &cfg, &mut write);
    }
    let logged = rec.clone();
    rec.undone = true;
    write.tally.count_outcome(&logged, -1);
    store.admin_index_puts(&mut write)?;
    write_atomically(store, &lead, &rec, &[], &gone, &write)?;
    Ok(logged)
}

/// One atomic commit over leads, outcomes, activities and weights, durable through the
/// journal before it returns.
fn write_atomically(
    store: &Store,
    lead: &crate::core::model::Lead,
    rec: &OutcomeRecord,
    add: &[Activity],
    remove: &[Activity],
    learning: &LearningWrite,
) -> Result<(), StoreError> {
    let put = |tree, key: &[u8], value: Vec<u8>| Op::Put {
        tree,
        key: key.to_vec(),
        value,
    };
    let mut ops = vec![put(
        TreeId::Leads,
        &lead.id.to_be_bytes(),
        codec::encode(lead),
    )];
    for (k, v) in &learning.outcomes {
        ops.push(put(TreeId::Outcomes, k, v.clone()));
    }
    ops.push(put(
        TreeId::Outcomes,
        &rec.seq.to_be_bytes(),
        codec::encode(rec),
    ));
    ops.push(put(
        TreeId::LeadOutcomes,
        &lead_outcome_key(rec.lead, rec.seq),
        Vec::new(),
    ));
    // The sequence number was taken outside the commit; a replay must not hand it out again.
    ops.push(Op::AtLeast {
        tree: TreeId::Meta,
        key: META_NEXT_OUTCOME.to_vec(),
        value: rec.seq + 1,
    });
    for k in &learning.removes {
        ops.push(Op::Remove {
            tree: TreeId::Weights,
            key: k.clone(),
        });
    }
    for (k, v) in &learning.puts {
        ops.push(put(TreeId::Weights, k, v.clone()));
    }
    // The lead's timeline as it will be, read with commits held.
    store.commit_with(|| {
        ops.extend(store.timeline_ops(add, remove)?);
        Ok(ops)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::Lead;

    fn store_with_lead() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        store
            .put_lead(&Lead {
                id: 1,
                name: "Ana".into(),
                email: "ana@example.com".into(),
                stage: "New".into(),
                stage_entered: 10,
                deal_value: Some(1000.0),
                ..Lead::default()
            })
            .unwrap();
        (dir, store)
    }

    #[test]
    fn logging_moves_the_stage_schedules_the_follow_up_and_is_stored() {
        let (_dir, store) = store_with_lead();
        let req = LogRequest {
            outcome: "Meeting_Booked".into(),
            note: "demo Tue".into(),
            value: Some(5000.0),
            follow_up: None,
        };
        let rec = log_outcome(&store, 1, &req, vec![(3, 1.0)], None, 1_000).unwrap();
        assert_eq!(rec.outcome, "meeting_booked");
        let lead = store.lead(1).unwrap().unwrap();
        assert_eq!(
            (lead.stage.as_str(), lead.stage_entered),
            ("Qualified", 1_000)
        );
        assert_eq!(lead.next_action.unwrap().due, 1_000 + 7 * DAY);
        assert_eq!(lead.deal_value, Some(5000.0));
        let stored = store.outcomes_of(1).unwrap();
        assert_eq!(stored, vec![rec]);
        let kinds: Vec<_> = store
            .activities_of(1)
            .unwrap()
            .into_iter()
            .map(|a| a.kind)
            .collect();
        assert!(kinds.contains(&ActivityKind::Outcome("meeting_booked".into())));
        assert!(kinds.contains(&ActivityKind::StageChange {
            from: "New".into(),
            to: "Qualified".into()
        }));
    }

    /// A meeting booked on a lead already in Negotiation leaves it there (no step back to
    /// Qualified), and undo still restores it exactly; a lost deal still closes.
    #[test]
    fn an_outcome_never_moves_a_lead_back_along_the_funnel() {
        let (_dir, store) = store_with_lead();
        let mut lead = store.lead(1).unwrap().unwrap();
        lead.stage = "Negotiation".into();
        store.put_lead(&lead).unwrap();
        let req = |outcome: &str| LogRequest {
            outcome: outcome.into(),
            note: String::new(),
            value: None,
            follow_up: None,
        };
        let rec = log_outcome(&store, 1, &req("meeting_booked"), vec![], None, 2_000).unwrap();
        let after = store.lead(1).unwrap().unwrap();
        assert_eq!(
            (after.stage.as_str(), after.stage_entered),
            ("Negotiation", 10)
        );
        assert!(
            after.next_action.is_some(),
            "the follow-up is still scheduled"
        );
        assert!(
            !store
                .activities_of(1)
                .unwrap()
                .iter()
                .any(|a| matches!(a.kind, ActivityKind::StageChange { .. }))
        );
        undo_outcome(&store, rec.seq).unwrap();
        assert_eq!(store.lead(1).unwrap().unwrap(), lead);
        log_outcome(&store, 1, &req("lost"), vec![], None, 3_000).unwrap();
        assert_eq!(store.lead(1).unwrap().unwrap().stage, "Lost");
    }

    #[test]
    fn undo_restores_the_lead_exactly_and_keeps_the_record_marked() {
        let (_dir, store) = store_with_lead();
        let before = store.lead(1).unwrap().unwrap();
        let req = LogRequest {
            outcome: "won".into(),
            value: Some(9000.0),
            ..LogRequest::default()
        };
        let rec = log_outcome(&store, 1, &req, vec![], None, 2_000).unwrap();
        undo_outcome(&store, rec.seq).unwrap();
        assert_eq!(store.lead(1).unwrap().unwrap(), before);
        assert!(store.activities_of(1).unwrap().is_empty());
        assert!(store.outcome(rec.seq).unwrap().unwrap().undone);
        assert!(matches!(
            undo_outcome(&store, rec.seq),
            Err(WorkError::AlreadyUndone(_))
        ));
        assert!(matches!(
            undo_outcome(&store, 999),
            Err(WorkError::OutcomeNotFound(999))
        ));
    }

    #[test]
    fn unknown_outcomes_leads_and_values_are_bad_input_and_write_nothing() {
        let (_dir, store) = store_with_lead();
        let bad = LogRequest {
            outcome: "maybe".into(),
            ..LogRequest::default()
        };
        let err = log_outcome(&store, 1, &bad, vec![], None, 5).unwrap_err();
        assert!(
            err.is_bad_input() && err.to_string().contains("meeting_booked"),
            "{err}"
        );
        let req = LogRequest {
            outcome: "won".into(),
            ..LogRequest::default()
        };
        assert!(
            log_outcome(&store, 42, &req, vec![], None, 5)
                .unwrap_err()
                .is_bad_input()
        );
        let neg = LogRequest {
            outcome: "won".into(),
            value: Some(-1.0),
            ..LogRequest::default()
        };
        assert!(
            log_outcome(&store, 1, &neg, vec![], None, 5)
                .unwrap_err()
                .is_bad_input()
        );
        assert!(store.outcomes_of(1).unwrap().is_empty());
    }
}
