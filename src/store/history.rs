//! Learning from history written in bulk (the demo book's generated past): outcomes that
//! arrive with their feature snapshots, oldest first, teach the weights through the same
//! step `leadq log` takes, so the result equals having logged them one by one.

use crate::core::learn::{LearnConfig, Priors, learn};
use crate::core::outcome::{OutcomeCatalog, OutcomeRecord};
use crate::store::admin_index::AdminTally;
use crate::store::learning::{LearningState, LearningWrite, WeightCause, WeightEvent};
use crate::store::{Store, StoreError};

/// Learns from outcomes handed to it in the order they were logged, then writes the weights,
/// the learner's state and one weight event per step in one batch.
pub(crate) struct HistoryLearner {
    priors: Priors,
    cfg: LearnConfig,
    catalog: OutcomeCatalog,
    ls: LearningState,
    events: LearningWrite,
    learned: u64,
}

impl HistoryLearner {
    /// Starts from the database's current learned weights under its current rule set.
    pub(crate) fn new(store: &Store) -> Result<HistoryLearner, StoreError> {
        let priors = Priors::of_rule_set(&store.current_rules()?);
        let ls = store.load_learning(&priors)?;
        Ok(HistoryLearner {
            priors,
            cfg: store.learn_config()?,
            catalog: store.outcome_catalog()?,
            ls,
            events: LearningWrite::default(),
            learned: 0,
        })
    }

    /// Takes the learning step of `rec` (which must carry its snapshot and final sequence
    /// number) if its outcome has a label and it was neither undone nor learned before.
    pub(crate) fn step(&mut self, rec: &mut OutcomeRecord) {
        if rec.undone || rec.step.is_some() {
            return;
        }
        let Some((target, strength)) = self
            .catalog
            .find(&rec.outcome)
            .and_then(|k| k.target().map(|t| (t, k.strength)))
        else {
            return;
        };
        let step = learn(
            &mut self.ls.weights,
            &mut self.ls.state,
            &self.priors,
            &self.cfg,
            &rec.snapshot,
            target,
            strength,
        );
        let event = WeightEvent {
            no: self.ls.next_event,
            at: rec.at,
            cause: WeightCause::Outcome { seq: rec.seq },
            deltas: step.deltas.clone(),
        };
        self.events.put_event(&event, None);
        self.ls.next_event += 1;
        rec.step = Some(step);
        self.learned += 1;
    }

    /// Counts an outcome as written into the change to the rules admin's figures (after
    /// [`HistoryLearner::step`], which may have given it its learning step).
    pub(crate) fn count(&mut self, rec: &OutcomeRecord) {
        self.events.tally.count_outcome(rec, 1);
    }

    /// What the outcomes counted and the steps taken change in the rules admin's figures.
    pub(crate) fn take_tally(&mut self) -> AdminTally {
        std::mem::take(&mut self.events.tally)
    }

    /// Writes what was learned; returns how many outcomes taught the weights. Not durable by
    /// itself: the caller flushes.
    pub(crate) fn finish(mut self, store: &Store) -> Result<u64, StoreError> {
        store.learning_puts(&self.ls, &self.priors, &self.cfg, &mut self.events);
        for (k, v) in self.events.puts {
            store
                .weights
                .insert(k, v)
                .map_err(|e| store.sled_error(e))?;
        }
        Ok(self.learned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::demo::DemoConfig;
    use crate::core::learn::LearnerState;
    use crate::core::model::Timestamp;
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
        // One weight event per learned outcome, each naming its outcome.
        let events = store.weight_events().unwrap();
        assert_eq!(events.len(), labelled.len());
        assert!(events.iter().zip(&labelled).all(|(e, r)| matches!(
            e.cause,
            WeightCause::Outcome { seq } if seq == r.seq
        )));
    }
}
