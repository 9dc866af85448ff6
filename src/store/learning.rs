//! Stored learning: the learned weights, the learner's state, its settings, and the chain of
//! weight changes (learning steps and admin reverts) that makes history listable and undo exact.
//!
//! Keys in the `weights` tree: `learned` (raw learned [`Weights`]), `learner`
//! ([`LearnerState`]), `next_event` (next event number) and `event/` ++ number for each
//! [`WeightEvent`]. `current` — the weights the scorecard scores with — is the learned weights
//! with the minimum-evidence rule applied ([`effective_weights`]); it is rewritten in the same
//! transaction as every change here, as are the rules admin's figures ([`super::admin_index`]).

use serde::{Deserialize, Serialize};

use crate::core::learn::{LearnConfig, LearnerState, Priors, effective_weights, learn, unlearn};
use crate::core::model::Timestamp;
use crate::core::outcome::{LearnStep, RuleId, WeightDelta};
use crate::core::weights::Weights;
use crate::store::admin_index::AdminTally;
use crate::store::{Store, StoreError, codec};

const LEARNED: &[u8] = b"learned";
const LEARNER: &[u8] = b"learner";
const CURRENT: &[u8] = b"current";
const EVENT_NEXT: &[u8] = b"next_event";
pub(crate) const EVENT_PREFIX: &[u8] = b"event/";
const META_CONFIG: &str = "learn_config";

/// Why a weight changed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum WeightCause {
    /// The learning step of outcome `seq`.
    Outcome { seq: u64 },
    /// An admin set a rule (`None`: the bias) back to a past value.
    Revert { rule: Option<RuleId>, to: f64 },
}

/// One change in the chain of applied weight changes, oldest first.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WeightEvent {
    pub no: u64,
    pub at: Timestamp,
    pub cause: WeightCause,
    pub deltas: Vec<WeightDelta>,
}

/// A rule's weight after one event, for `leadq rules history`.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryPoint {
    pub event: u64,
    pub at: Timestamp,
    pub cause: WeightCause,
    pub weight: f64,
}

/// What a learning-aware write stores besides the outcome: prepared before the transaction.
#[derive(Debug, Default)]
pub(crate) struct LearningWrite {
    pub puts: Vec<(Vec<u8>, Vec<u8>)>,
    pub removes: Vec<Vec<u8>>,
    /// Outcome records rewritten by a replay (their steps were learned again).
    pub outcomes: Vec<(Vec<u8>, Vec<u8>)>,
    /// How the write changes the rules admin's figures; turned into puts by
    /// [`Store::admin_index_puts`] right before the write.
    pub tally: AdminTally,
}

pub(crate) fn event_key(no: u64) -> Vec<u8> {
    let mut k = EVENT_PREFIX.to_vec();
    k.extend_from_slice(&no.to_be_bytes());
    k
}

/// The learner's whole state as loaded, changed in memory, then written in one transaction.
#[derive(Clone, Debug)]
pub(crate) struct LearningState {
    pub weights: Weights,
    pub state: LearnerState,
    pub next_event: u64,
}

impl Store {
    /// The settings of learning (defaults until an admin changes them).
    pub fn learn_config(&self) -> Result<LearnConfig, StoreError> {
        Ok(self.get_meta(META_CONFIG)?.unwrap_or_default())
    }

    pub fn set_learn_config(&self, cfg: &LearnConfig) -> Result<(), StoreError> {
        self.put_meta(META_CONFIG, cfg)?;
        self.flush()
    }

    /// The raw learned weights (before the minimum-evidence rule); the priors when nothing was
    /// learned yet.
    pub fn learned_weights(&self, priors: &Priors) -> Result<Weights, StoreError> {
        Ok(self
            .get_value(&self.weights, LEARNED)?
            .unwrap_or_else(|| priors.weights()))
    }

    pub fn learner_state(&self) -> Result<LearnerState, StoreError> {
        Ok(self.get_value(&self.weights, LEARNER)?.unwrap_or_default())
    }

    /// The applied weight changes, oldest first.
    pub fn weight_events(&self) -> Result<Vec<WeightEvent>, StoreError> {
        self.iter_values(&self.weights, self.weights.scan_prefix(EVENT_PREFIX))
            .collect()
    }

    /// Each rule's weight after every change that touched it, oldest first, in one pass over
    /// the events: what the rules admin read before its figures were kept ([`Store::
    /// recent_history`]); the reference its tests compare them with.
    #[cfg(test)]
    pub(crate) fn weight_histories(
        &self,
    ) -> Result<std::collections::HashMap<Option<RuleId>, Vec<f64>>, StoreError> {
        let mut out: std::collections::HashMap<Option<RuleId>, Vec<f64>> = Default::default();
        for ev in
            self.iter_values::<WeightEvent>(&self.weights, self.weights.scan_prefix(EVENT_PREFIX))
        {
            for d in ev?.deltas {
                out.entry(d.rule)
                    .or_default()
                    .push(d.before.unwrap_or(0.0) + d.dw);
            }
        }
        Ok(out)
    }

    /// A rule's (`None`: the bias's) weight after each change that touched it, oldest first.
    pub fn weight_history(&self, rule: Option<RuleId>) -> Result<Vec<HistoryPoint>, StoreError> {
        let mut out = Vec::new();
        for ev in self.weight_events()? {
            for d in ev.deltas.iter().filter(|d| d.rule == rule) {
                out.push(HistoryPoint {
                    event: ev.no,
                    at: ev.at,
                    cause: ev.cause.clone(),
                    weight: d.before.unwrap_or(0.0) + d.dw,
                });
            }
        }
        Ok(out)
    }

    pub(crate) fn load_learning(&self, priors: &Priors) -> Result<LearningState, StoreError> {
        let next_event = match self
            .weights
            .get(EVENT_NEXT)
            .map_err(|e| self.sled_error(e))?
        {
            Some(v) => <[u8; 8]>::try_from(v.as_ref())
                .map(u64::from_be_bytes)
                .map_err(|_| self.corrupt("weights", "event counter is not a number"))?,
            None => 1,
        };
        Ok(LearningState {
            weights: self.learned_weights(priors)?,
            state: self.learner_state()?,
            next_event,
        })
    }

    /// The keys and values that store `ls` (learned, scored and learner state).
    pub(crate) fn learning_puts(
        &self,
        ls: &LearningState,
        priors: &Priors,
        cfg: &LearnConfig,
        w: &mut LearningWrite,
    ) {
        let current = effective_weights(&ls.weights, &ls.state, priors, cfg);
        w.puts.push((LEARNED.to_vec(), codec::encode(&ls.weights)));
        w.puts.push((LEARNER.to_vec(), codec::encode(&ls.state)));
        w.puts.push((CURRENT.to_vec(), codec::encode(&current)));
        w.puts
            .push((EVENT_NEXT.to_vec(), ls.next_event.to_be_bytes().to_vec()));
    }

    /// Removes event `no` from the chain exactly: every later change is rewound (values
    /// restored as they were before it), `no` itself is rewound, and the later changes are made
    /// again on top — learning steps learn again from their outcome's snapshot, reverts set
    /// their value again. The result equals a history in which `no` never happened.
    ///
    /// Returns the rewritten later events and outcome records in `w`, and the new state.
    pub(crate) fn plan_removal(
        &self,
        ls: &mut LearningState,
        no: u64,
        priors: &Priors,
        cfg: &LearnConfig,
        w: &mut LearningWrite,
    ) -> Result<(), StoreError> {
        let events: Vec<WeightEvent> = self
            .iter_values(
                &self.weights,
                self.weights.range(event_key(no)..=event_key(u64::MAX)),
            )
            .collect::<Result<_, _>>()?;
        if events.first().is_none_or(|e| e.no != no) {
            return Err(self.corrupt("weights", format!("weight change {no} is missing")));
        }
        let mut records = Vec::with_capacity(events.len());
        for ev in &events {
            records.push(match ev.cause {
                WeightCause::Outcome { seq } => Some(
                    self.outcome(seq)?
                        .ok_or_else(|| self.corrupt("outcomes", format!("outcome #{seq}")))?,
                ),
                WeightCause::Revert { .. } => None,
            });
        }
        for (ev, rec) in events.iter().zip(&records).rev() {
            let step = LearnStep {
                deltas: ev.deltas.clone(),
                ..LearnStep::default()
            };
            match rec {
                Some(rec) => unlearn(&mut ls.weights, &mut ls.state, &step, &rec.snapshot),
                None => restore(&mut ls.weights, &step.deltas),
            }
        }
        w.remove_event(&events[0]);
        for (ev, rec) in events.into_iter().zip(records).skip(1) {
            let deltas = match (&ev.cause, rec) {
                (WeightCause::Outcome { .. }, Some(mut rec)) => {
                    w.tally.count_outcome(&rec, -1);
                    let old = rec.step.clone().unwrap_or_default();
                    let step = learn(
                        &mut ls.weights,
                        &mut ls.state,
                        priors,
                        cfg,
                        &rec.snapshot,
                        old.target,
                        old.strength,
                    );
                    let deltas = step.deltas.clone();
                    rec.step = Some(step);
                    w.tally.count_outcome(&rec, 1);
                    w.outcomes
                        .push((rec.seq.to_be_bytes().to_vec(), codec::encode(&rec)));
                    deltas
                }
                (WeightCause::Revert { rule, to }, _) => {
                    vec![set_weight(&mut ls.weights, *rule, *to)]
                }
                (WeightCause::Outcome { seq }, None) => {
                    return Err(self.corrupt("outcomes", format!("outcome #{seq}")));
                }
            };
            let new = WeightEvent {
                deltas,
                ..ev.clone()
            };
            w.put_event(&new, Some(&ev));
        }
        Ok(())
    }

    /// Sets a rule's weight (`None`: the bias) to `to` — e.g. a value from its history — as a
    /// stored change that shows in the history and can be undone. Durable when it returns.
    pub fn revert_weight(
        &self,
        rule: Option<RuleId>,
        to: f64,
        priors: &Priors,
        now: Timestamp,
    ) -> Result<WeightEvent, StoreError> {
        let cfg = self.learn_config()?;
        let mut ls = self.load_learning(priors)?;
        let event = revert_event(&mut ls, rule, to, now);
        let mut w = LearningWrite::default();
        w.put_event(&event, None);
        self.learning_puts(&ls, priors, &cfg, &mut w);
        self.write_learning(w)?;
        Ok(event)
    }

    /// After a publish: every rule whose prior points changed (and the base, when its points
    /// did) starts again from its new prior, as a stored revert to it per weight — so the
    /// learner continues from the prior instead of its old learned value (which the next
    /// learning step would otherwise bring back over the admin's edit), and undoing an
    /// outcome from before the publish replays it. `changed` are the rules whose points
    /// differ (`None`: the base). Nothing is written when learning has stored nothing yet
    /// (the priors are then the weights); returns whether the weights were written.
    pub(crate) fn restart_from_priors(
        &self,
        changed: &[Option<RuleId>],
        priors: &Priors,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        if changed.is_empty() || self.get_value::<Weights>(&self.weights, LEARNED)?.is_none() {
            return Ok(false);
        }
        let cfg = self.learn_config()?;
        let mut ls = self.load_learning(priors)?;
        let mut w = LearningWrite::default();
        for &rule in changed {
            let to = match rule {
                None => priors.bias,
                Some(r) => priors.rule(r),
            };
            let event = revert_event(&mut ls, rule, to, now);
            w.put_event(&event, None);
        }
        self.learning_puts(&ls, priors, &cfg, &mut w);
        self.write_learning(w)?;
        Ok(true)
    }

    /// Undoes an admin revert exactly (later changes are rewound and made again without it).
    /// Returns false, changing nothing, when change `no` is not a revert in the chain.
    pub fn undo_revert(&self, no: u64, priors: &Priors) -> Result<bool, StoreError> {
        let ev: Option<WeightEvent> = self.get_value(&self.weights, &event_key(no))?;
        if !matches!(
            ev,
            Some(WeightEvent {
                cause: WeightCause::Revert { .. },
                ..
            })
        ) {
            return Ok(false);
        }
        let cfg = self.learn_config()?;
        let mut ls = self.load_learning(priors)?;
        let mut w = LearningWrite::default();
        self.plan_removal(&mut ls, no, priors, &cfg, &mut w)?;
        self.learning_puts(&ls, priors, &cfg, &mut w);
        self.write_learning(w)?;
        Ok(true)
    }

    /// Writes a learning change without an outcome, atomically and durably.
    fn write_learning(&self, mut w: LearningWrite) -> Result<(), StoreError> {
        use sled::Transactional;
        self.admin_index_puts(&mut w)?;
        (&self.weights, &self.outcomes)
            .transaction(|(weights, outcomes)| {
                for k in &w.removes {
                    weights.remove(k.as_slice())?;
                }
                for (k, v) in &w.puts {
                    weights.insert(k.as_slice(), v.as_slice())?;
                }
                for (k, v) in &w.outcomes {
                    outcomes.insert(k.as_slice(), v.as_slice())?;
                }
                Ok::<_, sled::transaction::ConflictableTransactionError<StoreError>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Abort(e) => e,
                sled::transaction::TransactionError::Storage(e) => self.sled_error(e),
            })?;
        self.flush()
    }

    /// Finds the event of an outcome's learning step.
    pub(crate) fn event_of_outcome(&self, seq: u64) -> Result<Option<u64>, StoreError> {
        // Newest first, stopping at the match: an undo is nearly always of a recent outcome,
        // and a book can hold hundreds of thousands of events.
        for ev in self.weights.scan_prefix(EVENT_PREFIX).rev() {
            let (k, v) = ev.map_err(|e| self.sled_error(e))?;
            let ev: WeightEvent =
                codec::decode(&v).map_err(|e| self.decode_error(&self.weights, &k, e))?;
            if ev.cause == (WeightCause::Outcome { seq }) {
                return Ok(Some(ev.no));
            }
        }
        Ok(None)
    }
}

/// Sets `rule`'s learned weight (`None`: the bias) to `to` and returns the revert event that
/// records it, numbered next in `ls`.
fn revert_event(
    ls: &mut LearningState,
    rule: Option<RuleId>,
    to: f64,
    now: Timestamp,
) -> WeightEvent {
    let delta = set_weight(&mut ls.weights, rule, to);
    let event = WeightEvent {
        no: ls.next_event,
        at: now,
        cause: WeightCause::Revert { rule, to },
        deltas: vec![delta],
    };
    ls.next_event += 1;
    event
}

/// Sets one weight, returning the change as a delta (the optimiser state is untouched).
pub(crate) fn set_weight(weights: &mut Weights, rule: Option<RuleId>, to: f64) -> WeightDelta {
    let before = match rule {
        None => Some(std::mem::replace(&mut weights.bias, to)),
        Some(r) => weights.rules.insert(r, to),
    };
    WeightDelta {
        rule,
        dw: to - before.unwrap_or(0.0),
        dstate: 0.0,
        before,
        state_before: None,
    }
}

/// Restores the weights a revert changed.
fn restore(weights: &mut Weights, deltas: &[WeightDelta]) {
    for d in deltas.iter().rev() {
        match (d.rule, d.before) {
            (None, b) => weights.bias = b.unwrap_or(0.0),
            (Some(r), Some(b)) => {
                weights.rules.insert(r, b);
            }
            (Some(r), None) => {
                weights.rules.remove(&r);
            }
        }
    }
}

#[cfg(test)]
mod tests;
