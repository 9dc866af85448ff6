//! The rules admin's figures read from what the store keeps equal the ones a full scan of every
//! outcome and weight change computes (the way they were read before), whatever the order of
//! logs, undos, reverts and outcome-map edits; and a revert steps back past the history held.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;

use super::*;
use crate::app::{Action, Effect, update};
use crate::core::outcome::Label;
use crate::store::worklog::{
    LogRequest, log_outcome, log_outcome_learned, undo_outcome, undo_outcome_learned,
};

const NOW: Timestamp = 1_795_683_600;

/// The admin's figures as `load_admin` computed them before they were kept: a pass over every
/// outcome (lift) and every weight change (history, in full).
fn full_scan(store: &Store) -> HashMap<String, RuleStats> {
    let set = store.current_rules().unwrap();
    let priors = Priors::from_points(
        set.base_points,
        set.rules.iter().map(|r| (r.id, r.points, r.locked)),
    );
    let weights = store.learned_weights(&priors).unwrap();
    let state = store.learner_state().unwrap();
    let cfg = store.learn_config().unwrap();
    let outcomes = labelled(store).unwrap();
    let total = outcomes.len();
    let total_pos = outcomes.iter().filter(|o| o.1).count();
    let mut stats = HashMap::new();
    let mut histories = store.weight_histories().unwrap();
    for rule in &set.rules {
        let shown = shown_weight(rule.id, &weights, &state, &priors, &cfg);
        let matching: Vec<bool> = outcomes
            .iter()
            .filter(|o| o.0.iter().any(|&(r, a)| r == rule.id && a > 0.0))
            .map(|o| o.1)
            .collect();
        let lift = (matching.len() >= MIN_LIFT_OUTCOMES && total_pos > 0).then(|| {
            let rate = matching.iter().filter(|&&p| p).count() as f64 / matching.len() as f64;
            rate / (total_pos as f64 / total as f64)
        });
        let history = histories.remove(&Some(rule.id)).unwrap_or_default();
        stats.insert(
            rule.name.clone(),
            RuleStats {
                learned_points: shown.learned.then(|| points_from_weight(shown.weight)),
                evidence: shown.evidence,
                lift,
                changes: history.len() as u64,
                history,
            },
        );
    }
    stats
}

/// `load_admin` against [`full_scan`]: equal figures, the newest part of the full history,
/// and a step back to any depth read from the store equal to the full history's.
fn assert_admin_equals_full_scan(store: &Store) {
    let kept = load_admin(store).unwrap().stats;
    let scanned = full_scan(store);
    assert_eq!(kept.len(), scanned.len());
    let set = store.current_rules().unwrap();
    for (name, want) in &scanned {
        let got = &kept[name];
        assert_eq!(got.learned_points, want.learned_points, "{name}: learned");
        assert_eq!(got.evidence, want.evidence, "{name}: evidence");
        assert_eq!(
            got.lift.map(f64::to_bits),
            want.lift.map(f64::to_bits),
            "{name}: lift {:?} vs {:?}",
            got.lift,
            want.lift
        );
        assert_eq!(got.changes, want.changes, "{name}: changes");
        let tail = &want.history[want.history.len().saturating_sub(HISTORY_POINTS)..];
        assert_eq!(got.history, tail, "{name}: history");
        let id = set.rule_named(name).unwrap().id;
        for back in [0, 1, want.history.len() / 2, want.history.len()] {
            let expect = want
                .history
                .len()
                .checked_sub(back + 1)
                .map(|i| want.history[i]);
            assert_eq!(store.weight_back(Some(id), back).unwrap(), expect);
        }
    }
    assert_eq!(store.history_keys(), store.weight_histories().unwrap());
    assert_eq!(store.admin_tally().unwrap(), store.rebuilt_tally());
}

#[derive(Clone, Debug)]
enum Op {
    /// Log outcome type `outcome` on `lead` with a snapshot of (rule, activation) picks;
    /// `learn`: as the console does (learning step), else with no step.
    Log {
        lead: u64,
        outcome: usize,
        snapshot: Vec<(usize, u8)>,
        learn: bool,
    },
    /// Undo the `pick`-th logged outcome (errors, e.g. already undone, are part of the game).
    Undo { pick: usize, learn: bool },
    /// Set a rule's (`None`: the bias's) weight to `to` / 10.
    Revert { rule: Option<usize>, to: i8 },
    /// Take back the `pick`-th revert.
    UndoRevert { pick: usize },
    /// Give outcome type `outcome` label 0 positive, 1 negative, 2 none.
    EditMap { outcome: usize, label: u8 },
    /// Drop the kept figures, as a book from before they were kept has none.
    Forget,
    /// Lock or unlock a rule for the learning of the ops that follow: a replay then takes
    /// different steps than the ones it rewrites.
    Lock { rule: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (
            1..=3u64,
            0..8usize,
            prop::collection::vec((0..7usize, 0..3u8), 0..5),
            prop::bool::weighted(0.8)
        )
            .prop_map(|(lead, outcome, snapshot, learn)| Op::Log {
                lead,
                outcome,
                snapshot,
                learn
            }),
        2 => (0..64usize, prop::bool::weighted(0.8))
            .prop_map(|(pick, learn)| Op::Undo { pick, learn }),
        1 => (prop::option::of(0..7usize), -40..40i8)
            .prop_map(|(rule, to)| Op::Revert { rule, to }),
        1 => (0..16usize).prop_map(|pick| Op::UndoRevert { pick }),
        1 => (0..8usize, 0..3u8).prop_map(|(outcome, label)| Op::EditMap { outcome, label }),
        1 => Just(Op::Forget),
        1 => (0..6usize).prop_map(|rule| Op::Lock { rule }),
    ]
}

fn run(ops: &[Op]) {
    let (_dir, store) = crate::store::fixtures::store_with_leads(3);
    store.ensure_published(NOW).unwrap();
    let set = store.current_rules().unwrap();
    let mut locked: Vec<RuleId> = Vec::new();
    let priors_with = |locked: &[RuleId]| {
        Priors::from_points(
            set.base_points,
            set.rules
                .iter()
                .map(|r| (r.id, r.points, r.locked != locked.contains(&r.id))),
        )
    };
    let mut priors = priors_with(&locked);
    // Pick 6 names a rule id no rule has.
    let rule = |i: usize| if i == 6 { 9_999 } else { set.rules[i].id };
    let (mut logged, mut reverts) = (Vec::new(), Vec::new());
    for (i, op) in ops.iter().enumerate() {
        let now = NOW + i as i64 * 60;
        match op {
            Op::Log {
                lead,
                outcome,
                snapshot,
                learn,
            } => {
                let catalog = store.outcome_catalog().unwrap();
                let req = LogRequest {
                    outcome: catalog.types[outcome % catalog.types.len()].id.clone(),
                    ..LogRequest::default()
                };
                let snapshot = snapshot
                    .iter()
                    .map(|&(r, a)| (rule(r), [0.0, 0.5, 1.0][a as usize]))
                    .collect();
                let rec = if *learn {
                    log_outcome_learned(&store, *lead, &req, snapshot, &priors, now)
                } else {
                    log_outcome(&store, *lead, &req, snapshot, None, now)
                };
                logged.push(rec.unwrap().seq);
            }
            Op::Undo { pick, learn } if !logged.is_empty() => {
                let seq = logged[pick % logged.len()];
                let _ = if *learn {
                    undo_outcome_learned(&store, seq, &priors)
                } else {
                    undo_outcome(&store, seq)
                };
            }
            Op::Revert { rule: r, to } => {
                let ev = store
                    .revert_weight(r.map(rule), f64::from(*to) / 10.0, &priors, now)
                    .unwrap();
                reverts.push(ev.no);
            }
            Op::UndoRevert { pick } if !reverts.is_empty() => {
                store
                    .undo_revert(reverts[pick % reverts.len()], &priors)
                    .unwrap();
            }
            Op::EditMap { outcome, label } => {
                let mut catalog = store.outcome_catalog().unwrap();
                let n = catalog.types.len();
                catalog.types[outcome % n].label =
                    [Label::Positive, Label::Negative, Label::None][*label as usize];
                store.save_outcome_catalog(&catalog).unwrap();
            }
            Op::Forget => store.strip_admin_index(),
            Op::Lock { rule: r } => {
                let id = rule(*r);
                match locked.iter().position(|&l| l == id) {
                    Some(at) => drop(locked.remove(at)),
                    None => locked.push(id),
                }
                priors = priors_with(&locked);
            }
            _ => {}
        }
        assert_admin_equals_full_scan(&store);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn kept_admin_figures_equal_a_full_scan_after_any_logs_undos_reverts_and_map_edits(
        ops in prop::collection::vec(op(), 1..60)
    ) {
        run(&ops);
    }
}

/// Enough outcomes that the minimum for lift is passed, then undos of the middle: the lift the
/// admin shows comes out of the kept figures and equals the scan's.
#[test]
fn a_longer_history_with_undos_in_the_middle_equals_a_full_scan() {
    let mut ops = Vec::new();
    for i in 0..60usize {
        ops.push(Op::Log {
            lead: (i % 3) as u64 + 1,
            outcome: i % 8,
            snapshot: vec![(i % 4, 2), ((i / 4) % 5, 2), (7, (i % 3) as u8)],
            learn: i % 7 != 0,
        });
    }
    ops.extend([
        Op::Undo {
            pick: 10,
            learn: true,
        },
        Op::Revert {
            rule: Some(1),
            to: 5,
        },
        Op::Undo {
            pick: 3,
            learn: true,
        },
        Op::EditMap {
            outcome: 5,
            label: 0,
        },
        Op::UndoRevert { pick: 0 },
    ]);
    run(&ops);
}

/// A revert in the console steps back through the history it holds, then past it by asking
/// the store for that one change, then to the prior.
#[test]
fn revert_steps_back_past_the_history_held_then_to_the_prior() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("book.db")).unwrap();
    store
        .insert_leads(&crate::app::tests::sample_leads(4))
        .unwrap();
    let mut data = load_admin(&store).unwrap();
    let mut app = crate::app::tests::loaded_app(crate::app::tests::sample_leads(4));
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::NONE)),
    );
    let rule = data.set.rules[0].clone();
    let changes = HISTORY_POINTS as u64 + 30;
    let stats = data.stats.get_mut(&rule.name).unwrap();
    stats.history = (0..HISTORY_POINTS).map(|i| i as f64).collect();
    stats.changes = changes;
    update(&mut app, Action::AdminLoaded(Box::new(data)));
    let prior = crate::core::weights::weight_from_points(rule.points);
    for depth in 1..=changes as usize + 2 {
        let fx = update(&mut app, Action::RevertWeight);
        let want = if depth < HISTORY_POINTS {
            Effect::RevertWeight {
                rule: rule.id,
                to: (HISTORY_POINTS - 1 - depth) as f64,
            }
        } else if depth < changes as usize {
            Effect::RevertWeightBack {
                rule: rule.id,
                back: depth,
                prior,
            }
        } else {
            Effect::RevertWeight {
                rule: rule.id,
                to: prior,
            }
        };
        assert_eq!(fx, vec![want], "press {depth}");
    }
}
