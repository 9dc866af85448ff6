//! The index ranks like a from-scratch computation, however it got to its state.

use proptest::prelude::*;

use super::*;
use crate::core::model::{DAY, HOUR, NextAction, Signal};
use crate::core::rules::{RuleIds, RuleSet};

pub(super) const NOW: Timestamp = 1_795_651_200;

// The last two rules' matches change with time alone: events leave their windows as the
// tests move the clock.
const RULES: &str = r#"
base_points = -10
[[rule]]
name = "Senior"
when = 'title ~ "(?i)vp|ceo"'
points = 18
kind = "fit"
[[rule]]
name = "Big"
when = 'employees >= 1000'
points = 12
kind = "fit"
[[rule]]
name = "Visitor"
when = 'visits(365d) >= 1'
points = 10
kind = "engagement"
[[rule]]
name = "Replied or clicked"
when = 'replies(365d) >= 1 or clicks(365d) >= 2'
points = 20
kind = "engagement"
[[rule]]
name = "Free-mail"
when = 'email_domain in @freemail'
points = -20
kind = "negative"
[[rule]]
name = "Visited this month"
when = 'visits(30d) >= 2'
points = 8
kind = "engagement"
[[rule]]
name = "Recently active"
when = 'last(activity) < 14d'
points = 6
kind = "engagement"
"#;

pub(super) fn card() -> Scorecard {
    Scorecard::new(
        RuleSet::parse(RULES, &mut RuleIds::default()).unwrap(),
        None,
    )
}

/// Sorts entries as the queue orders them: highest key first, ties by lower id.
pub(super) fn in_queue_order(entries: &mut [QueueEntry]) {
    entries.sort_by(|a, b| {
        b.priority
            .key
            .total_cmp(&a.priority.key)
            .then(a.id.cmp(&b.id))
    });
}

/// A lead with a random title, size and (mostly) deal value.
pub(super) fn random_lead(rng: &mut crate::core::rng::SeededRng, id: LeadId, owner: &str) -> Lead {
    let title = if rng.chance(0.3) {
        "VP Sales"
    } else {
        "Analyst"
    };
    let mut l = lead(id, title, rng.range(1, 5000) as u32, owner, "New");
    l.deal_value = rng.chance(0.6).then(|| rng.range(100, 90_000) as f64);
    l
}

pub(super) fn lead(id: LeadId, title: &str, employees: u32, owner: &str, stage: &str) -> Lead {
    Lead {
        id,
        name: format!("Lead {id}"),
        email: format!(
            "l{id}@{}",
            if id.is_multiple_of(3) {
                "gmail.com"
            } else {
                "acme.io"
            }
        ),
        title: title.into(),
        employees: Some(employees),
        owner: owner.into(),
        stage: stage.into(),
        account: "Acme".into(),
        ..Lead::default()
    }
}

#[test]
fn top_k_orders_by_priority_and_filters() {
    let card = card();
    let p = Pipeline::default();
    let mut leads = [
        lead(1, "CEO", 5000, "ana", "New"),
        lead(2, "Analyst", 10, "bo", "New"),
        lead(3, "VP Sales", 5000, "ana", "Qualified"),
        lead(4, "CEO", 5000, "bo", "Won"),
        lead(5, "Analyst", 10, "ana", "Contacted"),
    ];
    leads[1].next_action = Some(NextAction {
        due: NOW - HOUR,
        note: String::new(),
    });
    leads[4].deal_value = Some(1000.0);
    let index = LeadIndex::build(
        &card,
        &p,
        PriorityConfig::default(),
        NOW,
        leads.iter().map(|l| (l, SignalSummary::default())),
    );
    let ids = |f: &QueueFilter, k| {
        index
            .top(k, f, NOW)
            .iter()
            .map(|e| e.id)
            .collect::<Vec<_>>()
    };
    // Lead 5 has a deal value, so its expected value beats the probabilities alone; lead 2's
    // overdue follow-up (×1.5) lifts it over lead 3 (p 0.41 × 1.5 > p 0.5).
    assert_eq!(ids(&QueueFilter::default(), 10), [5, 1, 2, 3]);
    assert_eq!(ids(&QueueFilter::default(), 2), [5, 1]);
    assert_eq!(
        ids(
            &QueueFilter {
                owner: Some("ANA".into()),
                ..Default::default()
            },
            10
        ),
        [5, 1, 3]
    );
    assert_eq!(
        ids(
            &QueueFilter {
                stage: Some("won".into()),
                ..Default::default()
            },
            10
        ),
        [4]
    );
    assert_eq!(
        ids(
            &QueueFilter {
                include_terminal: true,
                ..Default::default()
            },
            10
        )
        .len(),
        5
    );
    assert_eq!(
        ids(
            &QueueFilter {
                due_before: Some(NOW),
                ..Default::default()
            },
            10
        ),
        [2]
    );
    assert!(
        ids(
            &QueueFilter {
                owner: Some("nobody".into()),
                ..Default::default()
            },
            10
        )
        .is_empty()
    );
    let e = index.entry(2, NOW).unwrap();
    assert_eq!(e.priority.overdue, 1.5);
    assert_eq!(index.matches(1), 3, "Senior matches leads 1, 3, 4");
    assert_eq!(
        index.search_texts().next(),
        Some((1, "lead 1 · l1@acme.io · acme · ceo"))
    );
}

#[derive(Clone, Debug)]
enum Op {
    /// Rule (1..=5) gets a new weight.
    Weight(u32, f64),
    Bias(f64),
    /// Lead is rewritten with these facts.
    Upsert(u64, bool, bool, Vec<(usize, i64)>),
    /// The clock moves forward this many hours.
    Tick(i64),
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u32..=8, -3.0f64..3.0).prop_map(|(r, w)| Op::Weight(r, w)),
        (-3.0f64..3.0).prop_map(Op::Bias),
        (
            0u64..30,
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec((0usize..7, 0i64..60 * DAY), 0..6)
        )
            .prop_map(|(id, s, b, ev)| Op::Upsert(id, s, b, ev)),
        (1i64..48).prop_map(Op::Tick),
    ]
}

fn make(
    id: u64,
    senior: bool,
    big: bool,
    ev: &[(usize, i64)],
    now: Timestamp,
) -> (Lead, SignalSummary) {
    let mut l = lead(
        id,
        if senior { "VP Sales" } else { "Analyst" },
        if big { 2000 } else { 20 },
        "ana",
        "New",
    );
    // Some deal values and follow-ups that fall due as the clock moves, for the priority.
    l.deal_value = id.is_multiple_of(4).then_some(100.0 * id as f64 + 50.0);
    l.next_action = id.is_multiple_of(5).then(|| NextAction {
        due: NOW + id as i64 * HOUR,
        note: String::new(),
    });
    let s = SignalSummary::from_events(ev.iter().map(|&(k, age)| (Signal::ALL[k], now - age)));
    (l, s)
}

proptest! {
    #[test]
    fn incremental_updates_equal_a_full_recompute(ops in prop::collection::vec(arb_op(), 1..40)) {
        let mut card = card();
        let p = Pipeline::default();
        let mut now = NOW;
        let mut book: std::collections::BTreeMap<u64, (Lead, SignalSummary)> = (0..20)
            .map(|id| (id, make(id, id % 2 == 0, id % 5 == 0, &[(2, id as i64 * DAY)], now)))
            .collect();
        let mut index = LeadIndex::build(&card, &p, PriorityConfig::default(), now, book.values().map(|(l, s)| (l, s.clone())));
        for op in ops {
            match op {
                Op::Weight(r, w) => {
                    let mut learned = card.weights().clone();
                    learned.rules.insert(r, w);
                    card.set_weights(&learned);
                    index.apply_weights(card.weights());
                }
                Op::Bias(b) => {
                    let mut learned = card.weights().clone();
                    learned.bias = b;
                    card.set_weights(&learned);
                    index.apply_weights(card.weights());
                }
                Op::Upsert(id, senior, big, ev) => {
                    let (l, s) = make(id, senior, big, &ev, now);
                    index.upsert(&card, &l, s.clone());
                    book.insert(id, (l, s));
                }
                Op::Tick(h) => {
                    now += h * HOUR;
                    for id in index.refresh(&card, now) {
                        let (l, s) = &book[&id];
                        index.upsert(&card, l, s.clone());
                    }
                }
            }
        }
        let fresh = LeadIndex::build(&card, &p, PriorityConfig::default(), now, book.values().map(|(l, s)| (l, s.clone())));
        prop_assert_eq!(index.len(), book.len());
        for (id, (l, s)) in &book {
            let score = card.score(l, s, now);
            prop_assert_eq!(index.activations(*id).unwrap(), &score.activations[..]);
            prop_assert!((index.logit(*id).unwrap() - score.logit).abs() < 1e-9);
            prop_assert_eq!(fresh.logit(*id).unwrap(), score.logit);
        }
        for rule in 1..=7 {
            prop_assert_eq!(index.matches(rule), fresh.matches(rule));
        }
        // The heap's top 10 are the first 10 of a full sort.
        let mut all: Vec<QueueEntry> = book.keys().filter_map(|id| fresh.entry(*id, now)).collect();
        in_queue_order(&mut all);
        let top_ids: Vec<LeadId> = fresh.top(10, &QueueFilter::default(), now).iter().map(|e| e.id).collect();
        let sorted_ids: Vec<LeadId> = all.iter().take(10).map(|e| e.id).collect();
        prop_assert_eq!(top_ids, sorted_ids);
        let top = |ix: &LeadIndex| ix.top(10, &QueueFilter::default(), now).iter().map(|e| e.priority.key).collect::<Vec<_>>();
        for (a, b) in top(&index).iter().zip(top(&fresh)) {
            prop_assert!((a - b).abs() < 1e-9);
        }
    }
}

/// A book big enough that ranks and weight changes are computed on several threads: the
/// results are those of one pass (ranks against a full sort, sums against a recompute).
#[test]
fn passes_split_across_threads_equal_one_pass() {
    let card = card();
    let n = 3 * crate::core::parallel::MIN_ROWS_PER_THREAD as u64 + 11;
    let mut rng = crate::core::rng::SeededRng::new(9);
    let leads: Vec<Lead> = (1..=n).map(|id| random_lead(&mut rng, id, "ana")).collect();
    let mut index = LeadIndex::build(
        &card,
        &Pipeline::default(),
        PriorityConfig::default(),
        NOW,
        leads.iter().map(|l| (l, SignalSummary::default())),
    );
    // Every rule moves: "Big" and "Free-mail" each list a large part of the book.
    let mut weights = index.weights().clone();
    for w in weights.rules.values_mut() {
        *w += 0.37;
    }
    weights.bias -= 0.2;
    index.apply_weights(&weights);
    let mut fresh = index.clone();
    fresh.recompute();
    for l in leads.iter().step_by(97) {
        let (a, b) = (index.logit(l.id).unwrap(), fresh.logit(l.id).unwrap());
        assert!((a - b).abs() < 1e-9, "lead {}: {a} vs {b}", l.id);
    }
    let mut all: Vec<QueueEntry> = leads
        .iter()
        .filter_map(|l| index.entry(l.id, NOW))
        .collect();
    in_queue_order(&mut all);
    let positions = [0, 1, all.len() / 2, all.len() * 2 / 3, all.len() - 1];
    let asked: Vec<LeadId> = positions.iter().map(|&p| all[p].id).collect();
    let want: Vec<Option<u32>> = positions.iter().map(|&p| Some(p as u32 + 1)).collect();
    assert_eq!(index.ranks_of(&asked, &QueueFilter::default(), NOW), want);
}

/// The threaded Σ w·x update adds the same terms in the same order as one pass: equal to
/// the last bit.
#[test]
fn threaded_sum_update_is_bit_for_bit_one_pass() {
    let rows = 5 * crate::core::parallel::MIN_ROWS_PER_THREAD;
    let mut rng = crate::core::rng::SeededRng::new(3);
    let lists: Vec<(Vec<(Row, f32)>, f64)> = (0..4)
        .map(|i| {
            let list = (0..rows as Row)
                .filter(|_| rng.chance(0.6))
                .map(|r| (r, 0.25 + (r % 7) as f32 / 9.0))
                .collect();
            (list, 0.1 * (i as f64 + 1.0) / 3.0)
        })
        .collect();
    let start: Vec<f64> = (0..rows).map(|r| (r as f64).sin()).collect();
    let mut want = start.clone();
    for (list, dw) in &lists {
        for &(row, x) in list {
            want[row as usize] += dw * x as f64;
        }
    }
    let mut got = start;
    let borrowed: Vec<(&[(Row, f32)], f64)> =
        lists.iter().map(|(l, dw)| (l.as_slice(), *dw)).collect();
    add_to_sums(&mut got, &borrowed);
    assert!(
        got.iter()
            .zip(&want)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
}
