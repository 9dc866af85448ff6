//! The in-memory lead index: compact rows with cached scores, a posting list per rule so a
//! weight change touches only the leads that match it, and top-K queue selection.
//!
//! Each row keeps its sparse rule activations (in the posting lists), Σ w·x (the logit
//! without the bias), stage,
//! owner, due time, deal value, the lowercase search text and the lead's compact signals.
//! Time decay of engagement rules is recomputed from those signals ([`LeadIndex::refresh`])
//! without reading the database. Which rules match is decided when a lead is indexed
//! ([`LeadIndex::upsert`]); when the clock moves, `refresh` names the leads whose match set
//! may have changed with time alone (an event leaving a counter window), for the caller to
//! upsert again. Publishing a new rule set means a rebuild.

use std::collections::HashMap;

use crate::core::id_rows::IdRows;
use crate::core::model::{Lead, LeadId, Pipeline, Timestamp};
use crate::core::outcome::RuleId;
use crate::core::priority::{PriorityConfig, PriorityFacts, QueuePriority};
use crate::core::scorecard::Scorecard;
use crate::core::search::{SearchTexts, fold_case, lead_text};
use crate::core::signals::SignalSummary;
use crate::core::weights::Weights;

type Row = u32;

/// Which leads a queue shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueFilter {
    /// Only this owner's leads (ignoring case).
    pub owner: Option<String>,
    /// Only this stage (ignoring case); naming a terminal stage shows it.
    pub stage: Option<String>,
    /// Only leads with a next action due before this time ("due today": the end of today).
    pub due_before: Option<Timestamp>,
    /// Show Won/Lost leads too, even when the priority config leaves them out.
    pub include_terminal: bool,
}

/// One lead's place in the queue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QueueEntry {
    pub id: LeadId,
    pub logit: f64,
    pub priority: QueuePriority,
}

/// The in-memory index of every lead.
#[derive(Clone, Debug)]
pub struct LeadIndex {
    /// The time activations were computed at (engagement decay).
    now: Timestamp,
    cfg: PriorityConfig,
    /// The weights the cached sums use.
    weights: Weights,
    /// Each row's lead, found by id.
    ids: IdRows,
    /// Σ w·x per row, without the bias.
    sums: Vec<f64>,
    /// NaN when unknown.
    deal_value: Vec<f64>,
    /// i64::MAX when there is no next action.
    due: Vec<Timestamp>,
    /// i64::MIN when the lead is not a fresh-inbound candidate.
    fresh_until: Vec<Timestamp>,
    /// An upper bound of the row's queue key at any time and probability (deal value × every
    /// boost it could get), rounded up: top-K passes over most rows reading only this.
    ceiling: Vec<f32>,
    stage: Vec<u8>,
    /// Rows per stage number, kept with `stage`: the unfiltered queue's length (and a stage
    /// filter's) without a pass over every row, which a re-rank after each logged outcome
    /// would otherwise make.
    stage_rows: [u32; 256],
    owner: Vec<u16>,
    /// The account's number in `accounts`, or [`accounts::NO_ACCOUNT`].
    account: Vec<u32>,
    /// Account names as first spelled, and their numbers by case-folded name.
    accounts: Vec<String>,
    account_ids: HashMap<String, u32>,
    signals: Vec<SignalSummary>,
    /// The newest signal's time (i64::MIN: none), beside the boxed signals so a pass over
    /// every row (the accounts' engaged leads) does not follow a pointer per row.
    last_signal: Vec<Timestamp>,
    search: SearchTexts,
    /// Rows matching each rule, sorted by row, with the activation: the one copy of each
    /// row's activations (a row's list is gathered from these when asked for,
    /// [`LeadIndex::activations`]; a second copy per row cost about 75 bytes a lead).
    postings: HashMap<RuleId, Vec<(Row, f32)>>,
    /// Stage names and whether each is terminal.
    stages: Vec<(String, bool)>,
    owners: Vec<String>,
    /// A new number, unique in the process, with every change to the rows or the weights:
    /// [`QueueKeys`] taken at another version (of this or any other index) are stale.
    version: u64,
}

fn intern(table: &mut Vec<String>, name: &str, max: usize) -> usize {
    match table.iter().position(|n| n.eq_ignore_ascii_case(name)) {
        Some(i) => i,
        None if table.len() < max => {
            table.push(name.to_string());
            table.len() - 1
        }
        None => max - 1,
    }
}

/// A number no index state of this process had before.
fn next_version() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The lowercase text fuzzy search looks in: "name · email · account · title", case-folded
/// (see [`crate::core::search`]).
pub fn search_text(lead: &Lead) -> String {
    fold_case(&lead_text(lead))
}

impl LeadIndex {
    /// An empty index scoring with `card`'s weights, its clock at `now`.
    pub fn new(
        card: &Scorecard,
        pipeline: &Pipeline,
        cfg: PriorityConfig,
        now: Timestamp,
    ) -> LeadIndex {
        LeadIndex {
            now,
            cfg,
            weights: card.weights().clone(),
            ids: IdRows::default(),
            sums: Vec::new(),
            deal_value: Vec::new(),
            due: Vec::new(),
            fresh_until: Vec::new(),
            ceiling: Vec::new(),
            stage: Vec::new(),
            stage_rows: [0; 256],
            owner: Vec::new(),
            account: Vec::new(),
            accounts: Vec::new(),
            account_ids: HashMap::new(),
            signals: Vec::new(),
            last_signal: Vec::new(),
            search: SearchTexts::default(),
            postings: HashMap::new(),
            stages: pipeline
                .stages
                .iter()
                .map(|s| (s.name.clone(), s.terminal))
                .collect(),
            owners: Vec::new(),
            version: next_version(),
        }
    }

    /// Makes room for `rows` more leads, so that building the index of a big book grows
    /// no column by doubling: each doubling copies the column into fresh memory, and at 10⁶
    /// leads the page faults of those copies were a fifth of the build.
    pub fn reserve(&mut self, rows: usize) {
        self.ids.reserve(rows);
        self.sums.reserve(rows);
        self.deal_value.reserve(rows);
        self.due.reserve(rows);
        self.fresh_until.reserve(rows);
        self.ceiling.reserve(rows);
        self.stage.reserve(rows);
        self.owner.reserve(rows);
        self.account.reserve(rows);
        self.signals.reserve(rows);
        self.last_signal.reserve(rows);
        self.search.reserve(rows);
    }

    /// Builds the index of many leads at once.
    pub fn build<'a>(
        card: &Scorecard,
        pipeline: &Pipeline,
        cfg: PriorityConfig,
        now: Timestamp,
        leads: impl IntoIterator<Item = (&'a Lead, SignalSummary)>,
    ) -> LeadIndex {
        let mut index = LeadIndex::new(card, pipeline, cfg, now);
        let leads = leads.into_iter();
        index.reserve(leads.size_hint().0);
        for (lead, signals) in leads {
            index.upsert(card, lead, signals);
        }
        index
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The time the index's activations were computed at.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    fn row_sum(&self, acts: &[(RuleId, f32)]) -> f64 {
        acts.iter()
            .map(|&(r, x)| self.weights.get(r) * x as f64)
            .sum()
    }

    /// The row's activations, sorted by rule id, gathered from the posting lists.
    fn row_activations(&self, row: usize) -> Vec<(RuleId, f32)> {
        let mut out: Vec<(RuleId, f32)> = self
            .postings
            .iter()
            .filter_map(|(&rule, list)| {
                let i = list.binary_search_by_key(&(row as Row), |(r, _)| *r).ok()?;
                Some((rule, list[i].1))
            })
            .collect();
        out.sort_unstable_by_key(|(id, _)| *id);
        out
    }

    /// Σ w·x of every row `pick` selects, again from the posting lists: rules in id order,
    /// as [`LeadIndex::row_sum`] adds a row's sorted activations, so each sum is bit for bit
    /// the one an upsert of the row would compute.
    fn resum(&mut self, pick: impl Fn(usize) -> bool) {
        let zero: f64 = std::iter::empty::<f64>().sum();
        for (r, sum) in self.sums.iter_mut().enumerate() {
            if pick(r) {
                *sum = zero;
            }
        }
        let mut rules: Vec<RuleId> = self.postings.keys().copied().collect();
        rules.sort_unstable();
        let (postings, sums, weights) = (&self.postings, &mut self.sums, &self.weights);
        for rule in rules {
            let w = weights.get(rule);
            for &(row, x) in &postings[&rule] {
                let r = row as usize;
                if pick(r) {
                    sums[r] += w * x as f64;
                }
            }
        }
    }

    /// Adds or re-scores one lead (after an import, an edit, a new signal or an outcome).
    pub fn upsert(&mut self, card: &Scorecard, lead: &Lead, signals: SignalSummary) {
        self.version = next_version();
        let acts = card.activations(lead, &signals, self.now);
        let stage_name = lead.stage.trim();
        let stage = match self
            .stages
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(stage_name))
        {
            Some(i) => i,
            None if self.stages.len() < 255 => {
                self.stages.push((stage_name.to_string(), false));
                self.stages.len() - 1
            }
            None => 254,
        } as u8;
        let owner = intern(&mut self.owners, lead.owner.trim(), u16::MAX as usize) as u16;
        let account = self.intern_account(lead.account.trim());
        let facts = PriorityFacts::of(lead, &self.cfg);
        let sum = self.row_sum(&acts);
        let row = match self.row_of(lead.id) {
            Some(row) => {
                let old = self.row_activations(row);
                let row = row as Row;
                self.move_postings(row, &old, &acts);
                row
            }
            None => {
                let row = self.ids.push(lead.id) as Row;
                self.sums.push(0.0);
                self.deal_value.push(f64::NAN);
                self.due.push(i64::MAX);
                self.fresh_until.push(i64::MIN);
                self.ceiling.push(f32::INFINITY);
                self.stage.push(0);
                self.stage_rows[0] += 1;
                self.owner.push(0);
                self.account.push(accounts::NO_ACCOUNT);
                self.signals.push(SignalSummary::default());
                self.last_signal.push(i64::MIN);
                self.search.push(lead.id, "");
                self.move_postings(row, &[], &acts);
                row
            }
        };
        let r = row as usize;
        self.sums[r] = sum;
        self.deal_value[r] = facts.deal_value.unwrap_or(f64::NAN);
        self.due[r] = facts.due.unwrap_or(i64::MAX);
        self.fresh_until[r] = facts.fresh_until.unwrap_or(i64::MIN);
        self.ceiling[r] = self.ceiling_of(r);
        self.stage_rows[self.stage[r] as usize] -= 1;
        self.stage_rows[stage as usize] += 1;
        self.stage[r] = stage;
        self.owner[r] = owner;
        self.account[r] = account;
        self.last_signal[r] = signals.newest_time().unwrap_or(i64::MIN);
        self.signals[r] = signals;
        self.search.set(r, &search_text(lead));
    }

    /// The number of account `name` (ignoring case), new if no lead named it before.
    fn intern_account(&mut self, name: &str) -> u32 {
        if name.is_empty() {
            return accounts::NO_ACCOUNT;
        }
        let key = fold_case(name);
        if let Some(&a) = self.account_ids.get(&key) {
            return a;
        }
        let a = self.accounts.len() as u32;
        self.accounts.push(name.to_string());
        self.account_ids.insert(key, a);
        a
    }

    /// Updates the posting lists of `row` from its old activations to its new ones.
    fn move_postings(&mut self, row: Row, old: &[(RuleId, f32)], new: &[(RuleId, f32)]) {
        for &(rule, _) in old {
            if !new.iter().any(|(r, _)| *r == rule)
                && let Some(list) = self.postings.get_mut(&rule)
                && let Ok(i) = list.binary_search_by_key(&row, |(r, _)| *r)
            {
                list.remove(i);
            }
        }
        for &(rule, x) in new {
            let list = self.postings.entry(rule).or_default();
            // Rows are numbered in the order leads were added: a row above a list's last
            // belongs at its end (every row while the index is built).
            if list.last().is_none_or(|&(r, _)| r < row) {
                list.push((row, x));
                continue;
            }
            match list.binary_search_by_key(&row, |(r, _)| *r) {
                Ok(i) => list[i].1 = x,
                Err(i) => list.insert(i, (row, x)),
            }
        }
    }

    /// Moves to new weights, updating only the leads that match a changed rule
    /// (Σ w·x += Δw·x); a new bias costs nothing (it is added when ranking).
    pub fn apply_weights(&mut self, weights: &Weights) {
        self.version = next_version();
        let changed = self.weight_changes(weights);
        let lists = posting_lists(&self.postings, &changed);
        add_to_sums(&mut self.sums, &lists);
        self.weights = weights.clone();
    }

    /// (rule, Δw) of every rule whose weight differs in `weights` (a rule missing there
    /// weighs 0).
    fn weight_changes(&self, weights: &Weights) -> Vec<(RuleId, f64)> {
        let mut changed: Vec<(RuleId, f64)> = Vec::new();
        for (&rule, &w) in &weights.rules {
            let old = self.weights.get(rule);
            if old != w {
                changed.push((rule, w - old));
            }
        }
        for (&rule, &old) in &self.weights.rules {
            if !weights.rules.contains_key(&rule) && old != 0.0 {
                changed.push((rule, -old));
            }
        }
        changed
    }

    /// Recomputes every cached sum from the activations (e.g. to shed rounding drift).
    pub fn recompute(&mut self) {
        self.version = next_version();
        self.resum(|_| true);
    }

    /// Moves the index's clock to `now`: re-decays every engagement activation from the
    /// lead's stored signals (no database reads) and updates sums and postings. Returns the
    /// leads whose match set may have changed with time alone — an event crossed a counter
    /// window or a `last(…)` age of a rule — for the caller to [`LeadIndex::upsert`] again.
    pub fn refresh(&mut self, card: &Scorecard, now: Timestamp) -> Vec<LeadId> {
        self.version = next_version();
        let before = self.now;
        self.now = now;
        let horizons = card.time_horizons();
        let stale: Vec<LeadId> = if now > before && !horizons.is_empty() {
            (0..self.ids.len())
                .filter(|&r| {
                    horizons
                        .iter()
                        .any(|h| self.signals[r].any_between(before - h, now - h))
                })
                .map(|r| self.ids[r])
                .collect()
        } else {
            Vec::new()
        };
        self.redecay(card, now);
        stale
    }

    fn redecay(&mut self, card: &Scorecard, now: Timestamp) {
        let masks: Vec<(RuleId, u8)> = self
            .postings
            .keys()
            .filter_map(|&r| card.decay_mask(r).map(|m| (r, m)))
            .collect();
        if masks.is_empty() {
            return;
        }
        let mut touched = vec![false; self.ids.len()];
        let mut any = false;
        for (rule, mask) in masks {
            let Some(list) = self.postings.get_mut(&rule) else {
                continue;
            };
            for (row, x) in list.iter_mut() {
                let nx = card.decay_of(mask, &self.signals[*row as usize], now);
                if nx != *x {
                    *x = nx;
                    touched[*row as usize] = true;
                    any = true;
                }
            }
        }
        if any {
            self.resum(|r| touched[r]);
        }
    }

    fn row_of(&self, id: LeadId) -> Option<usize> {
        self.ids.row(id)
    }

    /// Leads per score band of their probability (the dashboard's score distribution, from
    /// the live index instead of a second scoring of the book): one comparison pass over the
    /// cached logits, no exponential and no copy, cheap enough for a keystroke at a million
    /// leads.
    pub fn score_histogram(&self) -> [u64; 10] {
        use crate::core::parallel::{in_parallel, row_ranges};
        let bias = self.weights.bias;
        let count = |rows: std::ops::Range<usize>| {
            let mut out = [0u64; 10];
            for &s in &self.sums[rows] {
                out[crate::core::dashboard::decile_of_logit(bias + s)] += 1;
            }
            out
        };
        let mut out = [0u64; 10];
        for part in in_parallel(&row_ranges(self.sums.len()), count) {
            out.iter_mut().zip(part).for_each(|(o, n)| *o += n);
        }
        out
    }

    /// The lead's logit, as the queue ranks it.
    pub fn logit(&self, id: LeadId) -> Option<f64> {
        self.row_of(id).map(|r| self.weights.bias + self.sums[r])
    }

    /// The lead's rule activations: the feature snapshot learning stores with an outcome.
    pub fn activations(&self, id: LeadId) -> Option<Vec<(RuleId, f32)>> {
        self.row_of(id).map(|r| self.row_activations(r))
    }

    /// The deal value the index holds for the lead (`None`: unknown, or no such lead): what
    /// its totals (the board's columns, the accounts' pipeline) were counted with.
    pub fn deal_value_of(&self, id: LeadId) -> Option<f64> {
        self.row_of(id)
            .map(|r| self.deal_value[r])
            .filter(|v| !v.is_nan())
    }

    pub fn signals(&self, id: LeadId) -> Option<&SignalSummary> {
        self.row_of(id).map(|r| &self.signals[r])
    }

    /// How many leads a rule matches.
    pub fn matches(&self, rule: RuleId) -> usize {
        self.postings.get(&rule).map_or(0, Vec::len)
    }

    /// Every lead's id and lowercase search text, for fuzzy search.
    pub fn search_texts(&self) -> impl Iterator<Item = (LeadId, &str)> + '_ {
        self.ids
            .iter()
            .enumerate()
            .map(|(row, &id)| (id, self.search.text(row)))
    }

    /// The id and search text of index row `row` (rows are numbered in `search_texts` order).
    pub fn search_row(&self, row: usize) -> Option<(LeadId, &str)> {
        Some((*self.ids.get(row)?, self.search.text(row)))
    }

    /// The lowercase search text of a lead.
    pub fn search_text_of(&self, id: LeadId) -> Option<&str> {
        self.row_of(id).map(|r| self.search.text(r))
    }

    /// Every row's search text and lead id, for [`crate::core::search::search`].
    pub(crate) fn search_parts(&self) -> (&SearchTexts, &[LeadId]) {
        (&self.search, &self.ids)
    }

    /// Bytes the index holds on the heap and in its vectors (allocator overhead excluded).
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        let vecs = self.ids.memory_bytes()
            + self.sums.capacity() * 8
            + self.deal_value.capacity() * 8
            + self.due.capacity() * 8
            + self.fresh_until.capacity() * 8
            + self.ceiling.capacity() * 4
            + self.stage.capacity()
            + self.owner.capacity() * 2
            + self.account.capacity() * 4
            + self.signals.capacity() * size_of::<SignalSummary>()
            + self.last_signal.capacity() * 8
            + self.search.memory_bytes();
        let boxed: usize = self
            .signals
            .iter()
            .map(SignalSummary::heap_bytes)
            .sum::<usize>();
        // A hash map entry: key + value + one control byte, at its capacity.
        let postings: usize = self.postings.values().map(|v| v.capacity() * 8).sum();
        let accounts: usize = self
            .accounts
            .iter()
            .map(|a| 2 * a.capacity() + size_of::<String>() * 2 + 4 + 1)
            .sum();
        vecs + boxed + postings + accounts
    }
}

mod accounts;
mod keys;
mod sums;
use sums::{add_to_sums, posting_lists};
mod queue;
mod totals;
mod view;
mod what_if;
pub use accounts::AccountTotals;
pub use keys::QueueKeys;
pub use totals::StageTotals;
pub use view::{FilteredView, ViewAsk};
pub use what_if::{WhatIf, WhatIfRow};
#[cfg(test)]
mod queue_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod views_tests;
