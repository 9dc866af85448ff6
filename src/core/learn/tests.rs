//! Tests of the learning step: exact undo, locked rules, and the pull toward the priors.

use super::*;
use crate::core::rng::SeededRng;

fn priors() -> Priors {
    Priors::from_points(
        -10.0,
        [(1, 18.0, false), (2, -20.0, false), (3, 12.0, true)],
    )
}

/// A labelled outcome: snapshot, target, strength.
type Labelled = (Vec<(RuleId, f32)>, f64, f64);

/// A reproducible stream of labelled outcomes.
fn outcomes(n: usize, seed: u64) -> Vec<Labelled> {
    let mut rng = SeededRng::new(seed);
    (0..n)
        .map(|_| {
            let mut f = Vec::new();
            for rule in 1..=5 {
                if rng.chance(0.5) {
                    f.push((rule, if rule == 4 { 0.5 } else { 1.0 }));
                }
            }
            let target = if rng.chance(0.4) { 1.0 } else { 0.0 };
            let strength = *rng.pick(&[1.0, 0.5, 0.3]);
            (f, target, strength)
        })
        .collect()
}

fn replay(items: &[Labelled], cfg: &LearnConfig) -> (Weights, LearnerState, Vec<LearnStep>) {
    let p = priors();
    let (mut w, mut s) = (p.weights(), LearnerState::default());
    let steps = items
        .iter()
        .map(|(f, t, k)| learn(&mut w, &mut s, &p, cfg, f, *t, *k))
        .collect();
    (w, s, steps)
}

#[test]
fn undoing_the_last_steps_restores_every_value_bit_for_bit() {
    let cfg = LearnConfig::default();
    let items = outcomes(30, 1);
    let (before_w, before_s, _) = replay(&items[..27], &cfg);
    let (mut w, mut s, steps) = replay(&items, &cfg);
    for k in (27..30).rev() {
        unlearn(&mut w, &mut s, &steps[k], &items[k].0);
    }
    assert_eq!(w, before_w);
    assert_eq!(s, before_s);
    assert_eq!(w.bias.to_bits(), before_w.bias.to_bits());
    // Rule 5 has no prior: a weight it never had is removed again, not left at 0.
    let (w0, s0) = (priors().weights(), LearnerState::default());
    let (mut w1, mut s1, steps) = replay(&items[..1], &cfg);
    unlearn(&mut w1, &mut s1, &steps[0], &items[0].0);
    assert_eq!((w1, s1), (w0, s0));
}

#[test]
fn undoing_an_older_step_by_rewind_and_replay_equals_learning_without_it() {
    let cfg = LearnConfig::default();
    let p = priors();
    let items = outcomes(40, 2);
    let (mut w, mut s, steps) = replay(&items, &cfg);
    // Undo #12: rewind the later steps and #12, then learn the later ones again.
    for k in (12..40).rev() {
        unlearn(&mut w, &mut s, &steps[k], &items[k].0);
    }
    for (f, t, k) in &items[13..] {
        learn(&mut w, &mut s, &p, &cfg, f, *t, *k);
    }
    let mut without = items.clone();
    without.remove(12);
    let (rw, rs, _) = replay(&without, &cfg);
    assert_eq!(w, rw);
    assert_eq!(s, rs);
}

#[test]
fn locked_rules_never_move_and_zero_activations_are_ignored() {
    let cfg = LearnConfig {
        step_size: 1.0,
        ..LearnConfig::default()
    };
    let (w, s, steps) = replay(&outcomes(200, 3), &cfg);
    assert_eq!(w.get(3), priors().rule(3));
    assert!(!s.acc.contains_key(&3));
    assert!(s.evidence(3) > 0, "locked rules still count evidence");
    assert!(
        steps
            .iter()
            .all(|st| st.deltas.iter().all(|d| d.rule != Some(3)))
    );
    let mut w2 = priors().weights();
    let mut s2 = LearnerState::default();
    let st = learn(&mut w2, &mut s2, &priors(), &cfg, &[(1, 0.0)], 1.0, 1.0);
    assert_eq!(st.deltas.len(), 1, "only the bias moves");
    assert_eq!(w2.get(1), priors().rule(1));
}

#[test]
fn without_evidence_a_weight_stays_at_its_prior_and_shows_it() {
    let cfg = LearnConfig::default();
    let p = priors();
    // Outcomes that never match rule 2 (and 1 only three times).
    let (mut w, mut s) = (p.weights(), LearnerState::default());
    for i in 0..50 {
        let f: Vec<(RuleId, f32)> = if i < 3 { vec![(1, 1.0)] } else { vec![] };
        learn(&mut w, &mut s, &p, &cfg, &f, (i % 2) as f64, 1.0);
    }
    assert_eq!(w.get(2), p.rule(2));
    let shown = shown_weight(1, &w, &s, &p, &cfg);
    assert_ne!(w.get(1), p.rule(1), "rule 1 learned something");
    assert_eq!(
        (shown.weight, shown.learned, shown.evidence),
        (p.rule(1), false, 3),
        "below the minimum evidence the prior is shown"
    );
    assert_eq!(effective_weights(&w, &s, &p, &cfg).get(1), p.rule(1));
    for _ in 0..2 {
        learn(&mut w, &mut s, &p, &cfg, &[(1, 1.0)], 1.0, 1.0);
    }
    let shown = shown_weight(1, &w, &s, &p, &cfg);
    assert!(shown.learned && shown.weight == w.get(1));
}

#[test]
fn contrary_data_moves_a_weight_and_the_pull_holds_it_toward_the_prior_not_zero() {
    // Rule 1's prior says +18 points; the data says a match never converts.
    let run = |pull: f64, prior_points: f64| {
        let cfg = LearnConfig {
            prior_pull: pull,
            step_size: 0.5,
            ..LearnConfig::default()
        };
        let p = Priors::from_points(0.0, [(1, prior_points, false)]);
        let (mut w, mut s) = (p.weights(), LearnerState::default());
        // Leads matching rule 1 never convert; the others convert half the time.
        for i in 0..4000 {
            let (f, t): (&[(RuleId, f32)], f64) = match i % 4 {
                0 | 2 => (&[(1, 1.0)], 0.0),
                1 => (&[], 1.0),
                _ => (&[], 0.0),
            };
            learn(&mut w, &mut s, &p, &cfg, f, t, 1.0);
        }
        w.get(1)
    };
    let prior = weight_from_points(18.0);
    let free = run(0.0, 18.0);
    let pulled = run(0.05, 18.0);
    assert!(free < prior - 1.0, "the data moves the weight down: {free}");
    assert!(
        pulled > free + 0.5 && pulled < prior,
        "the pull holds it between the data and the prior: {pulled} vs free {free}"
    );
    // The same pull with a prior of 0 ends lower: the pull is toward the prior, not 0.
    let toward_zero = run(0.05, 0.0);
    assert!(
        toward_zero < pulled - 0.3 * prior,
        "prior 0 ends at {toward_zero}, prior +18 points at {pulled}"
    );
}

#[test]
fn strength_scales_the_gradient_and_target_sets_its_sign() {
    let cfg = LearnConfig::default();
    let p = Priors::from_points(0.0, [(1, 0.0, false)]);
    let step = |target, strength| {
        let (mut w, mut s) = (p.weights(), LearnerState::default());
        learn(&mut w, &mut s, &p, &cfg, &[(1, 1.0)], target, strength);
        w.get(1)
    };
    let (full, weak) = (step(1.0, 1.0), step(1.0, 0.3));
    assert!(full > weak && weak > 0.0);
    assert!(step(0.0, 1.0) < 0.0);
}
