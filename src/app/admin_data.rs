//! Worker-side reads for the rules admin and the dashboard: each rule's learned weight,
//! evidence, matches, lift and weight history; the what-if preview of a draft; and the
//! dashboard's inputs. Runs off the UI thread; never per frame. The one exception is
//! [`quick_preview`], a few passes over the in-memory index for drafts that only move weights.

use std::collections::HashMap;

use crate::core::dashboard::{
    self, Dashboard, DashboardInput, LabelledOutcome, RuleWeights, StageMove,
};
use crate::core::index::{LeadIndex, QueueFilter};
use crate::core::learn::{Priors, shown_weight};
use crate::core::model::{ActivityKind, LeadId, Timestamp};
use crate::core::outcome::{Label, RuleId};
use crate::core::priority::PriorityConfig;
use crate::core::rules::RuleSet;
use crate::core::scorecard::Scorecard;
use crate::core::weights::{Weights, points_from_weight, sigmoid};
use crate::store::{Store, StoreError, Tally};

use super::book::Book;
use super::scoring::Scoring;

/// Below this many labelled outcomes matching a rule, its lift is not shown.
pub const MIN_LIFT_OUTCOMES: usize = 5;
/// How many of the newest labelled outcomes the dashboard's AUC covers.
pub const RECENT_OUTCOMES: usize = 200;
/// How many queue rows the preview compares.
pub const PREVIEW_TOP: usize = 10;
/// How many of each rule's newest weight changes the admin reads: more than a sparkline as wide
/// as any terminal shows (older ones are read one at a time when a revert steps back past them).
pub const HISTORY_POINTS: usize = 512;

/// What the admin table shows of one published rule besides the rule itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleStats {
    /// Learned points once the rule has the minimum evidence.
    pub learned_points: Option<i32>,
    pub evidence: u32,
    /// Positive-outcome rate of labelled outcomes it matched ÷ the overall rate.
    pub lift: Option<f64>,
    /// The rule's weight (log-odds) after each of its newest stored changes (at most
    /// [`HISTORY_POINTS`]), oldest first.
    pub history: Vec<f64>,
    /// How many stored changes its history holds in all.
    pub changes: u64,
}

/// The rules admin's data: the published set, its version, and per-rule figures by name.
#[derive(Clone, Debug)]
pub struct AdminData {
    pub set: RuleSet,
    pub version: u32,
    /// Published versions, newest first: (version, note).
    pub versions: Vec<(u32, String)>,
    pub stats: HashMap<String, RuleStats>,
}

impl PartialEq for AdminData {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && self.stats == other.stats
    }
}

/// A labelled outcome in force: features, positive, predicted probability (NaN when not
/// learned), time.
type Labelled = (Vec<(RuleId, f32)>, bool, f64, Timestamp);

/// The labelled outcomes that are still in force (a pass over every outcome: the dashboard's
/// calibration needs each one's prediction and time). An outcome that taught the model counts
/// with the label it was learned with (an admin's later edit of the outcome map does not
/// rewrite it); one that did not, with the current map.
fn labelled(store: &Store) -> Result<Vec<Labelled>, StoreError> {
    let catalog = store.outcome_catalog()?;
    let mut out = Vec::new();
    for rec in store.outcomes() {
        let rec = rec?;
        if rec.undone {
            continue;
        }
        let positive = match (&rec.step, catalog.find(&rec.outcome)) {
            (Some(step), _) => step.target >= 0.5,
            (None, Some(kind)) if kind.label != Label::None => kind.label == Label::Positive,
            _ => continue,
        };
        let predicted = rec.step.as_ref().map_or(f64::NAN, |s| s.predicted);
        out.push((rec.snapshot, positive, predicted, rec.at));
    }
    Ok(out)
}

/// Reads the admin table's figures (match counts come from the live index): lift and history
/// from the figures the store keeps as outcomes and weight changes are written (built once for
/// a book from before they were kept), never from a pass over every outcome or change.
pub fn load_admin(store: &Store) -> Result<AdminData, StoreError> {
    let set = store.current_rules()?;
    let versions: Vec<(u32, String)> = store
        .rule_versions()?
        .into_iter()
        .rev()
        .map(|v| (v.version, v.note))
        .collect();
    let version = versions.first().map_or(0, |v| v.0);
    let priors = Priors::from_points(
        set.base_points,
        set.rules.iter().map(|r| (r.id, r.points, r.locked)),
    );
    let weights = store.learned_weights(&priors)?;
    let state = store.learner_state()?;
    let cfg = store.learn_config()?;
    let tally = store.admin_tally()?;
    let labelled = tally.labelled(&store.outcome_catalog()?);
    let mut stats = HashMap::new();
    for rule in &set.rules {
        let shown = shown_weight(rule.id, &weights, &state, &priors, &cfg);
        stats.insert(
            rule.name.clone(),
            RuleStats {
                learned_points: shown.learned.then(|| points_from_weight(shown.weight)),
                evidence: shown.evidence,
                lift: lift(&labelled, rule.id),
                history: store.recent_history(Some(rule.id), HISTORY_POINTS)?,
                changes: tally.changes(Some(rule.id)),
            },
        );
    }
    Ok(AdminData {
        set,
        version,
        versions,
        stats,
    })
}

/// Positive rate of the labelled outcomes that matched `rule` ÷ the overall positive rate,
/// once at least [`MIN_LIFT_OUTCOMES`] matched it.
fn lift(labelled: &Tally, rule: RuleId) -> Option<f64> {
    let (matching, positive) = labelled.rules.get(&rule).copied().unwrap_or((0, 0));
    (matching >= MIN_LIFT_OUTCOMES as i64 && labelled.positive > 0).then(|| {
        let rate = positive as f64 / matching as f64;
        rate / (labelled.positive as f64 / labelled.outcomes as f64)
    })
}

/// One row of the preview: a lead in the draft's top with its rank before and after.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviewRow {
    pub lead: LeadId,
    pub name: String,
    pub before_rank: Option<u32>,
    pub after_rank: u32,
    pub before_points: i32,
    pub after_points: i32,
}

/// What publishing a draft would change.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    /// The draft as a rules file: what publish stores.
    pub text: String,
    pub leads: usize,
    /// Leads whose score (in points) changes, and by how much on average and at most.
    pub changed: usize,
    pub mean_change: f64,
    pub max_change: i32,
    /// The current top of the queue, then the draft's, with rank movements.
    pub before_top: Vec<(LeadId, String)>,
    pub after_top: Vec<PreviewRow>,
}

/// The draft's scorecard: its priors, with the learned weights that publishing keeps (those of
/// rules whose points did not change).
fn draft_card(store: &Store, old: &RuleSet, draft: &RuleSet) -> Result<Scorecard, StoreError> {
    Ok(card_with_kept_weights(old, draft, store.load_weights()?))
}

/// `draft`'s scorecard given the `learned` weights of `old`: a rule keeps its learned weight
/// when its points did not change, the bias when the base points did not.
fn card_with_kept_weights(
    old: &RuleSet,
    draft: &RuleSet,
    mut learned: Option<Weights>,
) -> Scorecard {
    if let Some(w) = learned.as_mut() {
        w.rules
            .retain(|id, _| match (old.rule(*id), draft.rule(*id)) {
                (Some(a), Some(b)) => a.points == b.points,
                _ => false,
            });
        if old.base_points != draft.base_points {
            w.bias = draft.priors().bias;
        }
        for r in &draft.rules {
            w.rules.entry(r.id).or_insert_with(|| r.prior());
        }
    }
    Scorecard::new(draft.clone(), learned.as_ref())
}

/// Whether every rule that scores in `draft` matches exactly the leads it matches in `old`
/// (same name, condition, kind, lists and decay) and keeps the weight it has there unless
/// its points or lock changed: then the draft's scores follow from today's by weights alone.
fn same_matches(old: &RuleSet, draft: &RuleSet) -> bool {
    old.custom_lists == draft.custom_lists
        && old.half_life_days == draft.half_life_days
        && draft.rules.iter().filter(|r| r.enabled).all(|d| {
            old.rule(d.id).is_some_and(|o| {
                o.enabled
                    && o.name == d.name
                    && o.condition.source() == d.condition.source()
                    && o.kind == d.kind
                    && (d.locked || !o.locked)
            })
        })
}

/// The preview of a draft that only changes points, locks, or disables or deletes rules,
/// from the live index: the same figures [`preview`] computes from the database, in one pass
/// over the index instead of two full scorings of the book. `None` for any other draft.
pub fn quick_preview(
    draft: &RuleSet,
    scoring: &Scoring,
    book: &Book,
    now: Timestamp,
) -> Option<Preview> {
    let old = scoring.card.rule_set();
    if !same_matches(old, draft) {
        return None;
    }
    let after = card_with_kept_weights(old, draft, Some(scoring.card.weights().clone()));
    let w = scoring.index.what_if(after.weights(), PREVIEW_TOP, now);
    let name = |id: LeadId| book.lead(id).map(|l| l.name.clone()).unwrap_or_default();
    Some(Preview {
        text: draft.to_toml(),
        leads: w.leads,
        changed: w.changed,
        mean_change: if w.changed > 0 {
            w.total_change as f64 / w.changed as f64
        } else {
            0.0
        },
        max_change: w.max_change,
        before_top: w.before_top.iter().map(|&id| (id, name(id))).collect(),
        after_top: w
            .after_top
            .iter()
            .map(|r| PreviewRow {
                lead: r.id,
                name: name(r.id),
                before_rank: r.before_rank,
                after_rank: r.after_rank,
                before_points: r.before_points,
                after_points: r.after_points,
            })
            .collect(),
    })
}

/// Moves the live scoring to a published `draft` that only changes points, locks, or
/// disables or deletes rules (the weights the database keeps on publishing, applied to the
/// index as Δw·x): the queue re-ranks at once instead of reloading the book. `false` (and
/// nothing changed) for any other draft.
pub fn publish_in_memory(draft: &RuleSet, scoring: &mut Scoring) -> bool {
    let old = scoring.card.rule_set();
    if !same_matches(old, draft) {
        return false;
    }
    let card = card_with_kept_weights(old, draft, Some(scoring.card.weights().clone()));
    scoring.index.apply_weights(card.weights());
    scoring.card = card;
    true
}

/// Scores the book with the draft and compares it with the live scoring.
pub fn preview(store: &Store, text: &str, now: Timestamp) -> Result<Preview, String> {
    let mut ids = store.rule_ids().map_err(|e| e.to_string())?;
    let draft = RuleSet::parse(text, &mut ids).map_err(|e| e.to_string())?;
    let old = store.current_rules().map_err(|e| e.to_string())?;
    let before_card = store.scorecard().map_err(|e| e.to_string())?;
    let after_card = draft_card(store, &old, &draft).map_err(|e| e.to_string())?;
    let cfg = PriorityConfig::default;
    let before = store
        .build_index(&before_card, cfg(), now)
        .map_err(|e| e.to_string())?;
    let after = store
        .build_index(&after_card, cfg(), now)
        .map_err(|e| e.to_string())?;
    let points = |i: &LeadIndex, id| i.logit(id).map_or(0, points_from_weight);
    let (mut changed, mut sum, mut max) = (0usize, 0i64, 0i32);
    let mut names: HashMap<LeadId, String> = HashMap::new();
    for lead in store.leads() {
        let lead = lead.map_err(|e| e.to_string())?;
        let d = (points(&after, lead.id) - points(&before, lead.id)).abs();
        if d > 0 {
            changed += 1;
            sum += i64::from(d);
            max = max.max(d);
        }
        names.insert(lead.id, lead.name);
    }
    let all = QueueFilter::default();
    let before_ranks: HashMap<LeadId, u32> = before
        .top(before.len(), &all, now)
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id, i as u32 + 1))
        .collect();
    let name = |id: &LeadId| names.get(id).cloned().unwrap_or_default();
    let before_top = before
        .top(PREVIEW_TOP, &all, now)
        .iter()
        .map(|e| (e.id, name(&e.id)))
        .collect();
    let after_top = after
        .top(PREVIEW_TOP, &all, now)
        .iter()
        .enumerate()
        .map(|(i, e)| PreviewRow {
            lead: e.id,
            name: name(&e.id),
            before_rank: before_ranks.get(&e.id).copied(),
            after_rank: i as u32 + 1,
            before_points: points(&before, e.id),
            after_points: points(&after, e.id),
        })
        .collect();
    Ok(Preview {
        text: text.to_string(),
        leads: names.len(),
        changed,
        mean_change: if changed > 0 {
            sum as f64 / changed as f64
        } else {
            0.0
        },
        max_change: max,
        before_top,
        after_top,
    })
}

/// Every stage change in the book, from the activity timeline.
fn stage_moves(store: &Store) -> Result<Vec<StageMove>, StoreError> {
    let mut moves = Vec::new();
    for a in store.activities() {
        let a = a?;
        if let ActivityKind::StageChange { from, to } = a.kind {
            moves.push(StageMove {
                lead: a.lead,
                at: a.at,
                from,
                to,
            });
        }
    }
    Ok(moves)
}

/// Reads the dashboard's inputs from the store and computes it. `histogram` is the score
/// distribution from the console's live index; without it the book is scored here (a second
/// full read of it). On a [`Store::stoppable`] handle it ends with `StoreError::Stopped` once
/// given up.
pub fn load_dashboard(
    store: &Store,
    histogram: Option<[u64; 10]>,
    now: Timestamp,
) -> Result<Dashboard, StoreError> {
    // The scan of every activity for stage moves is the longest read (most of a minute at a
    // million leads); the leads and outcomes are read beside it on the other core.
    let (leads, moves, labelled) = std::thread::scope(|scope| {
        let moves = scope.spawn(|| stage_moves(store));
        let leads: Result<Vec<_>, _> = store.leads().collect();
        let labelled = labelled(store);
        let moves = moves
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (leads, moves, labelled)
    });
    let (leads, moves) = (leads?, moves?);
    let pipeline = store.pipeline()?;
    let labelled: Vec<LabelledOutcome> = labelled?
        .into_iter()
        .filter(|o| o.2.is_finite())
        .map(|o| LabelledOutcome {
            at: o.3,
            predicted: o.2,
            positive: o.1,
        })
        .collect();
    let score_histogram = match histogram {
        Some(h) => h,
        None => {
            let card = store.scorecard()?;
            let index = store.build_index(&card, PriorityConfig::default(), now)?;
            dashboard::score_histogram(leads.iter().filter_map(|l| index.logit(l.id)).map(sigmoid))
        }
    };
    let admin = load_admin(store)?;
    let rules: Vec<RuleWeights> = admin
        .set
        .rules
        .iter()
        .map(|r| RuleWeights {
            name: r.name.clone(),
            prior_points: r.points,
            learned_points: admin
                .stats
                .get(&r.name)
                .and_then(|s| s.learned_points)
                .map(f64::from),
        })
        .collect();
    Ok(dashboard::compute(&DashboardInput {
        leads: &leads,
        pipeline: &pipeline,
        moves: &moves,
        labelled: &labelled,
        score_histogram,
        rules: &rules,
        recent: RECENT_OUTCOMES,
        now,
    }))
}

#[cfg(test)]
mod tests;
