//! Learning from history that was written in bulk (the demo book's generated past): each
//! outcome without a feature snapshot gets the lead's rule activations as they were when it
//! was logged, and labelled ones teach the weights, oldest first — the same step `leadq log`
//! takes, so the result equals having logged them one by one.

use crate::core::learn::{Priors, learn};
use crate::core::model::{ActivityKind, Timestamp};
use crate::core::outcome::OutcomeRecord;
use crate::core::signals::SignalSummary;
use crate::store::learning::{LearningWrite, WeightCause, WeightEvent, event_key};
use crate::store::{Store, StoreError, codec};

/// Outcome records written per batch.
const BATCH: usize = 4_096;

/// Replays every outcome that has no snapshot yet, in the order logged. Returns how many
/// labelled outcomes were learned from. Not durable by itself: the caller flushes.
pub fn learn_from_history(store: &Store, now: Timestamp) -> Result<u64, StoreError> {
    // The weights learned here belong to a rule set with fixed ids: publish the defaults first.
    store.ensure_published(now)?;
    let card = store.scorecard()?;
    let priors = Priors::of_rule_set(&store.current_rules()?);
    let cfg = store.learn_config()?;
    let catalog = store.outcome_catalog()?;
    let mut ls = store.load_learning(&priors)?;
    let mut events = LearningWrite::default();
    let mut learned = 0;
    let mut batch = sled::Batch::default();
    let mut pending = 0;
    let mut cached: Option<(
        u64,
        crate::core::model::Lead,
        Vec<crate::core::model::Activity>,
    )> = None;
    let records: Vec<OutcomeRecord> = store.outcomes().collect::<Result<_, _>>()?;
    for mut rec in records {
        if rec.undone || rec.step.is_some() || !rec.snapshot.is_empty() {
            continue;
        }
        if cached.as_ref().is_none_or(|(id, _, _)| *id != rec.lead) {
            let Some(lead) = store.lead(rec.lead)? else {
                continue;
            };
            cached = Some((rec.lead, lead, store.activities_of(rec.lead)?));
        }
        let (_, lead, activities) = cached.as_ref().expect("cached above");
        // The lead as it was worked: its stage then, and only the signals it had given.
        let mut then = lead.clone();
        then.stage = rec.stage_before.clone();
        then.stage_entered = rec.stage_entered_before;
        then.next_action = rec.next_action_before.clone();
        then.deal_value = rec.deal_value_before;
        let signals = SignalSummary::from_events(activities.iter().filter_map(|a| match a.kind {
            ActivityKind::Signal(s) if a.at <= rec.at => Some((s, a.at)),
            _ => None,
        }));
        rec.snapshot = card.activations(&then, &signals, rec.at);
        if let Some(target) = catalog
            .find(&rec.outcome)
            .and_then(|k| k.target().map(|t| (t, k.strength)))
        {
            let step = learn(
                &mut ls.weights,
                &mut ls.state,
                &priors,
                &cfg,
                &rec.snapshot,
                target.0,
                target.1,
            );
            let event = WeightEvent {
                no: ls.next_event,
                at: rec.at,
                cause: WeightCause::Outcome { seq: rec.seq },
                deltas: step.deltas.clone(),
            };
            events
                .puts
                .push((event_key(event.no), codec::encode(&event)));
            ls.next_event += 1;
            rec.step = Some(step);
            learned += 1;
        }
        batch.insert(&rec.seq.to_be_bytes(), codec::encode(&rec));
        pending += 1;
        if pending == BATCH {
            store
                .outcomes
                .apply_batch(std::mem::take(&mut batch))
                .map_err(|e| store.sled_error(e))?;
            pending = 0;
        }
    }
    store
        .outcomes
        .apply_batch(batch)
        .map_err(|e| store.sled_error(e))?;
    store.learning_puts(&ls, &priors, &cfg, &mut events);
    let mut weights = sled::Batch::default();
    for (k, v) in events.puts {
        weights.insert(k, v);
    }
    store
        .weights
        .apply_batch(weights)
        .map_err(|e| store.sled_error(e))?;
    Ok(learned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::demo::DemoConfig;
    use crate::core::learn::LearnerState;
    use crate::core::weights::Weights;

    const NOW: Timestamp = 1_795_683_600;

    #[test]
    fn a_demo_book_arrives_with_its_history_learned_as_if_logged_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let config = DemoConfig {
            leads: 400,
            seed: 9,
            now: NOW,
        };
        crate::store::demo::write_demo_book(&store, config, &mut |_, _| {}).unwrap();
        let priors = Priors::of_rule_set(&store.current_rules().unwrap());
        let cfg = store.learn_config().unwrap();
        let catalog = store.outcome_catalog().unwrap();
        let records: Vec<OutcomeRecord> = store.outcomes().collect::<Result<_, _>>().unwrap();
        let labelled: Vec<_> = records
            .iter()
            .filter(|r| catalog.find(&r.outcome).unwrap().target().is_some())
            .collect();
        assert!(
            labelled.len() > 50,
            "too few labelled outcomes to learn from"
        );
        assert!(labelled.iter().all(|r| r.step.is_some()));
        assert!(records.iter().filter(|r| !r.snapshot.is_empty()).count() * 10 > records.len() * 9);
        // Replaying the stored snapshots from the priors gives exactly the stored weights.
        let (mut w, mut state) = (Weights::default(), LearnerState::default());
        w.bias = priors.bias;
        for r in &labelled {
            let step = r.step.as_ref().unwrap();
            learn(
                &mut w,
                &mut state,
                &priors,
                &cfg,
                &r.snapshot,
                step.target,
                step.strength,
            );
        }
        assert_eq!(store.learned_weights(&priors).unwrap(), w);
        // And the history moved weights away from the admin's priors.
        let moved = w
            .rules
            .iter()
            .filter(|(r, v)| (**v - priors.rule(**r)).abs() > 1e-3)
            .count();
        assert!(moved >= 5, "only {moved} rules moved");
        // Learning is not repeated: a second pass finds nothing new.
        assert_eq!(learn_from_history(&store, NOW).unwrap(), 0);
    }
}
