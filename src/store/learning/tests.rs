//! Tests of stored learning: outcomes and weights land together, undo is exact, history and
//! reverts.

use super::*;
use crate::store::fixtures::{priors, store_with_leads};
use crate::store::worklog::{LogRequest, log_outcome_learned, undo_outcome_learned};

/// The i-th outcome of the test history: (lead, outcome id, snapshot).
fn item(i: u64) -> (u64, &'static str, Vec<(RuleId, f32)>) {
    let outcomes = [
        "won",
        "not_interested",
        "meeting_booked",
        "no_answer",
        "lost",
    ];
    let mut snap = vec![(1, 1.0)];
    if i.is_multiple_of(2) {
        snap.push((2, 1.0));
    }
    if i.is_multiple_of(3) {
        snap.push((3, 1.0));
    }
    if i % 4 == 1 {
        snap.push((7, 0.5));
    }
    (i % 5 + 1, outcomes[(i % 5) as usize], snap)
}

fn log_items(store: &Store, items: impl IntoIterator<Item = u64>) -> Vec<u64> {
    items
        .into_iter()
        .map(|i| {
            let (lead, outcome, snap) = item(i);
            let req = LogRequest {
                outcome: outcome.into(),
                ..LogRequest::default()
            };
            log_outcome_learned(store, lead, &req, snap, &priors(), 1_000 + i as i64)
                .unwrap()
                .seq
        })
        .collect()
}

fn close(a: &Weights, b: &Weights) {
    assert!(
        (a.bias - b.bias).abs() < 1e-12,
        "bias {} vs {}",
        a.bias,
        b.bias
    );
    assert_eq!(
        a.rules.keys().collect::<Vec<_>>(),
        b.rules.keys().collect::<Vec<_>>()
    );
    for (k, v) in &a.rules {
        assert!(
            (v - b.rules[k]).abs() < 1e-12,
            "rule {k}: {v} vs {}",
            b.rules[k]
        );
    }
}

#[test]
fn logging_learns_and_stores_weights_state_and_history_together() {
    let (_d, store) = store_with_leads(5);
    let seqs = log_items(&store, 0..6);
    let w = store.learned_weights(&priors()).unwrap();
    assert_ne!(w, priors().weights(), "labelled outcomes moved the weights");
    assert_eq!(w.get(3), priors().rule(3), "locked rule 3 never moves");
    let state = store.learner_state().unwrap();
    assert_eq!(state.labelled, 5, "no_answer teaches nothing");
    let rec = store.outcome(seqs[0]).unwrap().unwrap();
    assert_eq!(rec.step.as_ref().unwrap().target, 1.0);
    assert!(store.outcome(seqs[3]).unwrap().unwrap().step.is_none());
    // History of rule 1: one point per labelled step, ending at the current weight.
    let hist = store.weight_history(Some(1)).unwrap();
    assert_eq!(hist.len(), 5);
    assert_eq!(hist.last().unwrap().weight, w.get(1));
    // Below the minimum evidence (5 by default) the scored weight is the prior.
    let current: Weights = store.get_value(&store.weights, CURRENT).unwrap().unwrap();
    assert_eq!(current.get(2), priors().rule(2));
    assert_eq!(current.get(1), w.get(1));
}

#[test]
fn undo_of_the_last_outcome_is_bit_exact_and_of_a_middle_one_equals_a_replay_without_it() {
    let (_d, store) = store_with_leads(5);
    let seqs = log_items(&store, 0..12);
    let (_d2, reference) = store_with_leads(5);
    log_items(&reference, (0..11).filter(|&i| i != 4));
    let w_before_last = {
        let (_d3, r) = store_with_leads(5);
        log_items(&r, 0..11);
        (
            r.learned_weights(&priors()).unwrap(),
            r.learner_state().unwrap(),
        )
    };
    undo_outcome_learned(&store, seqs[11], &priors()).unwrap();
    assert_eq!(
        (
            store.learned_weights(&priors()).unwrap(),
            store.learner_state().unwrap()
        ),
        w_before_last,
        "undoing the last step restores every value bit for bit"
    );
    undo_outcome_learned(&store, seqs[4], &priors()).unwrap();
    let got = store.learned_weights(&priors()).unwrap();
    close(&got, &reference.learned_weights(&priors()).unwrap());
    assert_eq!(
        store.learner_state().unwrap().evidence,
        reference.learner_state().unwrap().evidence
    );
    // The history no longer shows the undone steps; later steps were learned again.
    assert_eq!(store.weight_history(None).unwrap().len(), 8);
    assert!(store.outcome(seqs[4]).unwrap().unwrap().undone);
    // The one-pass histories the rules admin reads agree with each rule's own history.
    let all = store.weight_histories().unwrap();
    for rule in [None, Some(1), Some(2)] {
        let one: Vec<f64> = store
            .weight_history(rule)
            .unwrap()
            .iter()
            .map(|h| h.weight)
            .collect();
        assert_eq!(
            all.get(&rule).cloned().unwrap_or_default(),
            one,
            "rule {rule:?}"
        );
    }
}

#[test]
fn a_revert_is_stored_shown_in_history_and_undoable() {
    let (_d, store) = store_with_leads(5);
    log_items(&store, 0..3);
    let hist = store.weight_history(Some(1)).unwrap();
    let first = hist[0].weight;
    let before = store.learned_weights(&priors()).unwrap();
    let ev = store
        .revert_weight(Some(1), first, &priors(), 5_000)
        .unwrap();
    assert_eq!(store.learned_weights(&priors()).unwrap().get(1), first);
    assert_eq!(
        store
            .weight_history(Some(1))
            .unwrap()
            .last()
            .unwrap()
            .weight,
        first
    );
    log_items(&store, 3..5);
    let (_d2, reference) = store_with_leads(5);
    log_items(&reference, 0..5);
    assert!(store.undo_revert(ev.no, &priors()).unwrap());
    close(
        &store.learned_weights(&priors()).unwrap(),
        &reference.learned_weights(&priors()).unwrap(),
    );
    assert!(!store.undo_revert(ev.no, &priors()).unwrap());
    assert_ne!(before.get(1), first);
}

/// An admin who publishes new points for a rule gets them: the rule starts again from its new
/// prior, the next learning step moves it from there (it does not bring the old learned
/// weight back over the edit), and undoing an outcome from before the publish keeps the edit.
#[test]
fn a_published_change_of_points_restarts_the_rule_from_its_new_prior_for_good() {
    let (_d, store) = store_with_leads(5);
    store.ensure_published(1_000).unwrap();
    let set = store.current_rules().unwrap();
    let dm = set
        .rules
        .iter()
        .find(|r| r.name == "Decision maker")
        .unwrap()
        .id;
    let old = Priors::of_rule_set(&set);
    let req = |o: &str| LogRequest {
        outcome: o.into(),
        ..LogRequest::default()
    };
    let mut seqs = Vec::new();
    for i in 0..12u64 {
        let o = if i % 4 == 0 { "won" } else { "lost" };
        let rec = log_outcome_learned(
            &store,
            1 + i % 5,
            &req(o),
            vec![(dm, 1.0)],
            &old,
            2_000 + i as i64,
        )
        .unwrap();
        seqs.push(rec.seq);
    }
    let learned = store.learned_weights(&old).unwrap().get(dm);
    assert!(
        (learned - old.rule(dm)).abs() > 0.05,
        "the history moved the rule: {learned} vs prior {}",
        old.rule(dm)
    );

    let text = crate::core::rules::DEFAULT_RULES.replace("points = 18", "points = 40");
    let (_, set) = store.publish_rules(&text, "raise", 3_000).unwrap();
    let new = Priors::of_rule_set(&set);
    assert!(new.rule(dm) > old.rule(dm));
    assert_eq!(store.learned_weights(&new).unwrap().get(dm), new.rule(dm));
    let scored = store.scorecard().unwrap();
    assert_eq!(
        scored.weights().get(dm),
        new.rule(dm),
        "the queue scores the new prior"
    );
    let hist = store.weight_history(Some(dm)).unwrap();
    assert_eq!(
        hist.last().unwrap().weight,
        new.rule(dm),
        "the restart is in the history"
    );

    // One more labelled outcome: one step from the new prior, not back to the old value.
    log_outcome_learned(&store, 2, &req("lost"), vec![(dm, 1.0)], &new, 4_000).unwrap();
    let after = store.scorecard().unwrap().weights().get(dm);
    assert!(
        (after - new.rule(dm)).abs() < 0.05 && (after - learned).abs() > 0.1,
        "after a step: {after}, new prior {}, old learned {learned}",
        new.rule(dm)
    );

    // Undoing an outcome from before the publish replays the later changes, the restart
    // among them.
    undo_outcome_learned(&store, seqs[3], &new).unwrap();
    let undone = store.scorecard().unwrap().weights().get(dm);
    assert!(
        (undone - new.rule(dm)).abs() < 0.05,
        "after the undo: {undone}, new prior {}",
        new.rule(dm)
    );
}
