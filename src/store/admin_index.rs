//! The rules admin's figures kept in the database, so that it reads them instead of scanning
//! every outcome and weight change: per rule, the labelled outcomes in force that matched it
//! (for lift), and the rule's weight after each change (for its history and reverts).
//!
//! They live in the `weights` tree and are written by the same transaction as the change they
//! summarise (through [`LearningWrite`]), so they cannot drift from it:
//! - `admin/tally`: an [`AdminTally`]; present only once built (a book from before it was
//!   kept gets it built once, on the first read: [`Store::admin_tally`]);
//! - `admin/stamp`: replaced by every write that changes outcomes or weight changes, so that a
//!   build running beside such a write notices it and starts again;
//! - `hist/` ++ subject ++ event number ++ position in the event → the weight after that
//!   change (f64 bits), one key per [`WeightDelta`]; subject: 0 ++ 0u32 for the bias, 1 ++ the
//!   rule id. Every key that exists is right, built or not: writes keep the keys of the events
//!   they add, rewrite or remove.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::core::outcome::{Label, OutcomeCatalog, OutcomeRecord, RuleId, WeightDelta};
use crate::store::learning::{EVENT_PREFIX, LearningWrite, WeightEvent, event_key};
use crate::store::{Store, StoreError, codec};

const TALLY: &[u8] = b"admin/tally";
const STAMP: &[u8] = b"admin/stamp";
const HIST_PREFIX: &[u8] = b"hist/";
/// History keys a build writes per transaction: a transaction holds every other read and write
/// of the book until it commits (about 15 ms for this many), so a build stays out of the way of
/// the UI thread.
const BUILD_CHUNK: usize = 2_048;
/// Builds started again because a write landed beside them, before giving up.
const BUILD_ATTEMPTS: usize = 8;

/// Labelled outcomes counted: how many, how many positive, and per rule how many matched it
/// (activation > 0 in the stored snapshot) and how many of those were positive. Signed, so that
/// the same type holds a change to apply; entries at zero are dropped.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub outcomes: i64,
    pub positive: i64,
    /// Rule → (matched, matched and positive).
    pub rules: BTreeMap<RuleId, (i64, i64)>,
}

impl Tally {
    fn count(&mut self, snapshot: &[(RuleId, f32)], positive: bool, sign: i64) {
        let pos = if positive { sign } else { 0 };
        self.outcomes += sign;
        self.positive += pos;
        let mut seen: Vec<RuleId> = Vec::with_capacity(snapshot.len());
        for &(rule, a) in snapshot {
            if a > 0.0 && !seen.contains(&rule) {
                seen.push(rule);
                let e = self.rules.entry(rule).or_default();
                e.0 += sign;
                e.1 += pos;
                if *e == (0, 0) {
                    self.rules.remove(&rule);
                }
            }
        }
    }

    fn merge(&mut self, d: &Tally, positive: Option<bool>) {
        let pos = |n: i64, p: i64| match positive {
            None => p,
            Some(true) => n,
            Some(false) => 0,
        };
        self.outcomes += d.outcomes;
        self.positive += pos(d.outcomes, d.positive);
        for (rule, &(n, p)) in &d.rules {
            let e = self.rules.entry(*rule).or_default();
            e.0 += n;
            e.1 += pos(n, p);
            if *e == (0, 0) {
                self.rules.remove(rule);
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.outcomes == 0 && self.positive == 0 && self.rules.is_empty()
    }
}

/// What the rules admin reads instead of every outcome and weight change.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct AdminTally {
    /// Outcomes in force that taught the model, with the label they were learned with.
    pub learned: Tally,
    /// Outcomes in force that did not, by outcome type as stored: they count with the label
    /// the current outcome map gives their type ([`AdminTally::labelled`]), so an edit of the
    /// map needs no write here. `positive` is unused.
    pub unlearned: BTreeMap<String, Tally>,
    /// How many changes each rule's (`None`: the bias's) weight history holds.
    pub changes: BTreeMap<Option<RuleId>, i64>,
}

impl AdminTally {
    /// Counts an outcome record in (`sign` 1) or out (−1): only one in force (not undone).
    pub(crate) fn count_outcome(&mut self, rec: &OutcomeRecord, sign: i64) {
        if rec.undone {
            return;
        }
        match &rec.step {
            Some(step) => self.learned.count(&rec.snapshot, step.target >= 0.5, sign),
            None => {
                let t = self.unlearned.entry(rec.outcome.clone()).or_default();
                t.count(&rec.snapshot, false, sign);
                if t.is_empty() {
                    self.unlearned.remove(&rec.outcome);
                }
            }
        }
    }

    fn count_changes(&mut self, ev: &WeightEvent, sign: i64) {
        for d in &ev.deltas {
            let n = self.changes.entry(d.rule).or_default();
            *n += sign;
            if *n == 0 {
                self.changes.remove(&d.rule);
            }
        }
    }

    fn merge(&mut self, d: &AdminTally) {
        self.learned.merge(&d.learned, None);
        for (kind, t) in &d.unlearned {
            let e = self.unlearned.entry(kind.clone()).or_default();
            e.merge(t, None);
            if e.is_empty() {
                self.unlearned.remove(kind);
            }
        }
        for (rule, n) in &d.changes {
            let e = self.changes.entry(*rule).or_default();
            *e += n;
            if *e == 0 {
                self.changes.remove(rule);
            }
        }
    }

    /// The labelled outcomes in force under `catalog`: the learned ones with the label they
    /// were learned with, the others with their type's current label (none: not counted).
    pub fn labelled(&self, catalog: &OutcomeCatalog) -> Tally {
        let mut out = self.learned.clone();
        for (kind, t) in &self.unlearned {
            match catalog.find(kind) {
                Some(k) if k.label != Label::None => out.merge(t, Some(k.label == Label::Positive)),
                _ => {}
            }
        }
        out
    }

    /// How many changes `rule`'s (`None`: the bias's) weight history holds.
    pub fn changes(&self, rule: Option<RuleId>) -> u64 {
        self.changes.get(&rule).map_or(0, |&n| n.max(0) as u64)
    }
}

fn subject_prefix(rule: Option<RuleId>) -> [u8; 10] {
    let mut k = [0u8; 10];
    k[..5].copy_from_slice(HIST_PREFIX);
    if let Some(r) = rule {
        k[5] = 1;
        k[6..].copy_from_slice(&r.to_be_bytes());
    }
    k
}

fn hist_key(rule: Option<RuleId>, event: u64, pos: u32) -> [u8; 22] {
    let mut k = [0u8; 22];
    k[..10].copy_from_slice(&subject_prefix(rule));
    k[10..18].copy_from_slice(&event.to_be_bytes());
    k[18..].copy_from_slice(&pos.to_be_bytes());
    k
}

/// The weight after one change, as the history shows it.
fn weight_after(d: &WeightDelta) -> f64 {
    d.before.unwrap_or(0.0) + d.dw
}

/// The history keys and values of one event.
fn hist_entries(ev: &WeightEvent) -> impl Iterator<Item = ([u8; 22], [u8; 8])> + '_ {
    ev.deltas.iter().enumerate().map(|(i, d)| {
        (
            hist_key(d.rule, ev.no, i as u32),
            weight_after(d).to_bits().to_be_bytes(),
        )
    })
}

impl LearningWrite {
    /// Stores event `ev` with its history points; `old` is what the event was before, when
    /// a replay rewrites it (its points that `ev` does not have are removed).
    pub(crate) fn put_event(&mut self, ev: &WeightEvent, old: Option<&WeightEvent>) {
        let new: Vec<_> = hist_entries(ev).collect();
        if let Some(old) = old {
            for (k, _) in hist_entries(old) {
                if !new.iter().any(|(n, _)| *n == k) {
                    self.removes.push(k.to_vec());
                }
            }
            self.tally.count_changes(old, -1);
        }
        self.tally.count_changes(ev, 1);
        self.puts.push((event_key(ev.no), codec::encode(ev)));
        self.puts
            .extend(new.into_iter().map(|(k, v)| (k.to_vec(), v.to_vec())));
    }

    /// Removes event `ev` and its history points.
    pub(crate) fn remove_event(&mut self, ev: &WeightEvent) {
        self.removes.push(event_key(ev.no));
        self.removes
            .extend(hist_entries(ev).map(|(k, _)| k.to_vec()));
        self.tally.count_changes(ev, -1);
    }
}

impl Store {
    /// Adds to `w` what keeps the admin's figures in step with it: the tally with `w.tally`
    /// applied (or, while none is built, its removal, so that a build that finished since it
    /// was read is not left behind), and a new stamp. Call last, right before `w` is written.
    pub(crate) fn admin_index_puts(&self, w: &mut LearningWrite) -> Result<(), StoreError> {
        match self.get_value::<AdminTally>(&self.weights, TALLY)? {
            Some(mut t) => {
                t.merge(&w.tally);
                w.puts.push((TALLY.to_vec(), codec::encode(&t)));
            }
            None => w.removes.push(TALLY.to_vec()),
        }
        w.puts.push((STAMP.to_vec(), self.new_stamp()?.to_vec()));
        Ok(())
    }

    /// Marks the admin's figures as built and empty: for a new database.
    pub(crate) fn init_admin_index(&self) -> Result<(), StoreError> {
        self.put_value(&self.weights, TALLY, &AdminTally::default())
    }

    /// A stamp no other write has used.
    fn new_stamp(&self) -> Result<[u8; 8], StoreError> {
        self.db
            .generate_id()
            .map(u64::to_be_bytes)
            .map_err(|e| self.sled_error(e))
    }

    /// Drops the tally (it is built again on the next read) for a bulk write that does not
    /// keep it as it goes; returns it as it was, for [`Store::restore_admin_tally`].
    pub(crate) fn take_admin_tally(&self) -> Result<Option<(AdminTally, [u8; 8])>, StoreError> {
        let tally = self.get_value::<AdminTally>(&self.weights, TALLY)?;
        let stamp = self.new_stamp()?;
        self.weights
            .remove(TALLY)
            .and_then(|_| self.weights.insert(STAMP, &stamp))
            .map_err(|e| self.sled_error(e))?;
        Ok(tally.map(|t| (t, stamp)))
    }

    /// Puts back a tally [`Store::take_admin_tally`] took, with `delta` applied, unless another
    /// write came in between (then it is built again on the next read).
    pub(crate) fn restore_admin_tally(
        &self,
        taken: Option<(AdminTally, [u8; 8])>,
        delta: &AdminTally,
    ) -> Result<(), StoreError> {
        let Some((mut tally, stamp)) = taken else {
            return Ok(());
        };
        tally.merge(delta);
        self.commit_if_unchanged(Some(&stamp), &[], Some(&tally))
            .map(drop)
    }

    /// The admin's tally, built first when the book has none (once per book: a scan of every
    /// outcome and weight change, which also writes every change's history key). Run off the
    /// UI thread. A write that lands during the build makes it start again.
    pub fn admin_tally(&self) -> Result<AdminTally, StoreError> {
        self.admin_tally_with(BUILD_CHUNK, &mut || {})
    }

    /// [`Store::admin_tally`] with `chunk` history keys per transaction of a build, calling
    /// `between` after each (tests write there).
    pub(crate) fn admin_tally_with(
        &self,
        chunk: usize,
        between: &mut dyn FnMut(),
    ) -> Result<AdminTally, StoreError> {
        for _ in 0..BUILD_ATTEMPTS {
            if let Some(t) = self.get_value(&self.weights, TALLY)? {
                return Ok(t);
            }
            if let Some(t) = self.build_admin_index(chunk, between)? {
                self.flush()?;
                return Ok(t);
            }
        }
        Err(self.corrupt(
            "weights",
            "the rules admin's figures could not be built while outcomes kept being logged; \
             open the rules admin again",
        ))
    }

    /// One attempt at building the tally and every history key; `None` when a write landed
    /// beside it (what it wrote is still right: each chunk committed only while nothing had).
    fn build_admin_index(
        &self,
        chunk_len: usize,
        between: &mut dyn FnMut(),
    ) -> Result<Option<AdminTally>, StoreError> {
        let stamp = self.weights.get(STAMP).map_err(|e| self.sled_error(e))?;
        let stamp = stamp.as_deref();
        let mut tally = AdminTally::default();
        for rec in self.outcomes() {
            tally.count_outcome(&rec?, 1);
        }
        let mut chunk: Vec<([u8; 22], [u8; 8])> = Vec::with_capacity(chunk_len);
        let events = self.weights.scan_prefix(EVENT_PREFIX);
        for ev in self.iter_values::<WeightEvent>(&self.weights, events) {
            let ev = ev?;
            tally.count_changes(&ev, 1);
            chunk.extend(hist_entries(&ev));
            if chunk.len() >= chunk_len {
                if !self.commit_if_unchanged(stamp, &chunk, None)? {
                    return Ok(None);
                }
                chunk.clear();
                between();
            }
        }
        Ok(self
            .commit_if_unchanged(stamp, &chunk, Some(&tally))?
            .then_some(tally))
    }

    /// Writes `hist` (and `tally`) in one transaction if the stamp is still `stamp`.
    fn commit_if_unchanged(
        &self,
        stamp: Option<&[u8]>,
        hist: &[([u8; 22], [u8; 8])],
        tally: Option<&AdminTally>,
    ) -> Result<bool, StoreError> {
        use sled::transaction::{ConflictableTransactionError, TransactionError};
        let tally = tally.map(codec::encode);
        self.weights
            .transaction(|tx| {
                if tx.get(STAMP)?.as_deref() != stamp {
                    return Ok(false);
                }
                for (k, v) in hist {
                    tx.insert(k.as_slice(), v.as_slice())?;
                }
                if let Some(t) = &tally {
                    tx.insert(TALLY, t.as_slice())?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(true)
            })
            .map_err(|e| match e {
                TransactionError::Abort(e) => e,
                TransactionError::Storage(e) => self.sled_error(e),
            })
    }

    /// The newest `n` weights of `rule`'s (`None`: the bias's) history, oldest first, from its
    /// history keys (a reverse range read; [`Store::admin_tally`] must have built them).
    pub fn recent_history(&self, rule: Option<RuleId>, n: usize) -> Result<Vec<f64>, StoreError> {
        let mut out = Vec::with_capacity(n.min(1024));
        for item in self.weights.scan_prefix(subject_prefix(rule)).rev().take(n) {
            let (k, v) = item.map_err(|e| self.sled_error(e))?;
            out.push(self.hist_value(&k, &v)?);
        }
        out.reverse();
        Ok(out)
    }

    /// `rule`'s weight `back` changes before its newest (0: the newest), if its history is
    /// that long: one rule's history keys, read newest first.
    pub fn weight_back(
        &self,
        rule: Option<RuleId>,
        back: usize,
    ) -> Result<Option<f64>, StoreError> {
        if self
            .get_value::<AdminTally>(&self.weights, TALLY)?
            .is_none()
        {
            // Not built (yet): the events say the same, more slowly.
            let hist = self.weight_history(rule)?;
            return Ok(hist.len().checked_sub(back + 1).map(|i| hist[i].weight));
        }
        match self
            .weights
            .scan_prefix(subject_prefix(rule))
            .rev()
            .nth(back)
        {
            None => Ok(None),
            Some(item) => {
                let (k, v) = item.map_err(|e| self.sled_error(e))?;
                self.hist_value(&k, &v).map(Some)
            }
        }
    }

    fn hist_value(&self, k: &[u8], v: &[u8]) -> Result<f64, StoreError> {
        <[u8; 8]>::try_from(v)
            .map(|b| f64::from_bits(u64::from_be_bytes(b)))
            .map_err(|_| {
                self.corrupt(
                    "weights",
                    format!("history key {k:02x?} does not hold a weight"),
                )
            })
    }
}

#[cfg(test)]
impl Store {
    /// Removes the tally and every history key: a book as written before they were kept.
    pub(crate) fn strip_admin_index(&self) {
        self.weights.remove(TALLY).unwrap();
        for item in self.weights.scan_prefix(HIST_PREFIX) {
            self.weights.remove(item.unwrap().0).unwrap();
        }
    }

    /// Every history key's weight by subject, oldest first (to compare with
    /// [`Store::weight_histories`]).
    pub(crate) fn history_keys(&self) -> std::collections::HashMap<Option<RuleId>, Vec<f64>> {
        let mut out: std::collections::HashMap<_, Vec<f64>> = Default::default();
        for item in self.weights.scan_prefix(HIST_PREFIX) {
            let (k, v) = item.unwrap();
            let rule = (k[5] == 1).then(|| RuleId::from_be_bytes(k[6..10].try_into().unwrap()));
            out.entry(rule)
                .or_default()
                .push(self.hist_value(&k, &v).unwrap());
        }
        out
    }

    /// The tally as a build from scratch computes it now (the stored one is put back).
    pub(crate) fn rebuilt_tally(&self) -> AdminTally {
        let kept = self.get_value::<AdminTally>(&self.weights, TALLY).unwrap();
        self.weights.remove(TALLY).unwrap();
        let built = self.admin_tally().unwrap();
        match kept {
            Some(t) => self.put_value(&self.weights, TALLY, &t).unwrap(),
            None => drop(self.weights.remove(TALLY).unwrap()),
        }
        built
    }
}

#[cfg(test)]
mod tests;
