//! The index's derived views — the account roll-up and the what-if queue of other weights —
//! equal the same figures computed from scratch, on books large enough to split across cores.

use std::collections::HashMap;

use super::tests::{NOW, card, in_queue_order, random_lead};
use super::*;
use crate::core::model::{DAY, Signal};
use crate::core::parallel::MIN_ROWS_PER_THREAD;
use crate::core::rng::SeededRng;
use crate::core::weights::{points_from_weight, sigmoid};

/// Leads in `accounts` accounts spelled in two cases, some with no account, a few won or
/// lost, some with a recent or an old signal, some with events dated after now.
fn book(n: u64, accounts: u64) -> (Vec<(Lead, SignalSummary)>, LeadIndex) {
    let mut rng = SeededRng::new(5);
    let leads: Vec<(Lead, SignalSummary)> = (1..=n)
        .map(|id| {
            let mut l = random_lead(&mut rng, id, "ana");
            let a = rng.range(0, accounts as i64 + 1);
            l.account = match a {
                0 => String::new(),
                a if rng.chance(0.5) => format!("ACCOUNT {a} "),
                a => format!("Account {a}"),
            };
            if rng.chance(0.1) {
                l.stage = if rng.chance(0.5) { "Won" } else { "Lost" }.into();
            }
            let signals = match rng.range(0, 5) {
                0 => SignalSummary::default(),
                1 => SignalSummary::from_events([(Signal::WebVisit, NOW - 3 * DAY)]),
                2 => SignalSummary::from_events([(Signal::WebVisit, NOW - 90 * DAY)]),
                // Events dated after now count only from now back.
                3 => SignalSummary::from_events([
                    (Signal::WebVisit, NOW + 5 * DAY),
                    (Signal::EmailOpen, NOW - 2 * DAY),
                ]),
                _ => SignalSummary::from_events([
                    (Signal::WebVisit, NOW + 5 * DAY),
                    (Signal::EmailOpen, NOW - 60 * DAY),
                ]),
            };
            (l, signals)
        })
        .collect();
    let index = LeadIndex::build(
        &card(),
        &Pipeline::default(),
        PriorityConfig::default(),
        NOW,
        leads.iter().map(|(l, s)| (l, s.clone())),
    );
    (leads, index)
}

#[test]
fn account_roll_up_equals_summing_each_accounts_leads() {
    let n = 2 * MIN_ROWS_PER_THREAD as u64 + 17;
    let (leads, index) = book(n, 900);
    let pipeline = Pipeline::default();
    let window = 30 * DAY;
    let mut want: HashMap<String, AccountTotals> = HashMap::new();
    for (l, signals) in &leads {
        if l.account.trim().is_empty() {
            continue;
        }
        let t = want.entry(l.account.trim().to_lowercase()).or_default();
        t.leads += 1;
        if pipeline.is_terminal(&l.stage) {
            continue;
        }
        let p = index.entry(l.id, NOW).unwrap().priority.probability;
        t.open += 1;
        t.expected_wins += p;
        t.best_p = t.best_p.max(p);
        t.pipeline += l.deal_value.unwrap_or(0.0);
        t.weighted += p * l.deal_value.unwrap_or(0.0);
        t.engaged += usize::from(
            signals
                .newest(u8::MAX, NOW)
                .is_some_and(|(_, at)| NOW - at <= window),
        );
    }
    let got = index.account_totals(NOW, window);
    assert_eq!(got.len(), want.len(), "one row per account, case ignored");
    for t in &got {
        let name = index.account_name(t.account);
        let w = &want[&name.trim().to_lowercase()];
        assert_eq!(
            (t.leads, t.open, t.engaged),
            (w.leads, w.open, w.engaged),
            "{name}"
        );
        assert_eq!(t.best_p, w.best_p, "{name}");
        for (a, b) in [
            (t.expected_wins, w.expected_wins),
            (t.pipeline, w.pipeline),
            (t.weighted, w.weighted),
        ] {
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                "{name}: {a} vs {b}"
            );
        }
    }
    // One account's leads: all of them, terminal ones too, in queue order.
    let one = got[got.len() / 2].account;
    let name = index.account_name(one).trim().to_lowercase();
    let mut expected: Vec<QueueEntry> = leads
        .iter()
        .filter(|(l, _)| l.account.trim().to_lowercase() == name)
        .map(|(l, _)| index.entry(l.id, NOW).unwrap())
        .collect();
    in_queue_order(&mut expected);
    assert_eq!(index.account_leads(one, NOW), expected);
}

#[test]
fn what_if_equals_moving_the_index_to_the_weights() {
    let n = 2 * MIN_ROWS_PER_THREAD as u64 + 29;
    let (leads, index) = book(n, 50);
    // Points of some rules up, one rule gone (disabled or deleted), a new bias.
    let mut after = index.weights().clone();
    let ids: Vec<RuleId> = after.rules.keys().copied().collect();
    *after.rules.get_mut(&ids[0]).unwrap() += 0.9;
    *after.rules.get_mut(&ids[1]).unwrap() -= 0.4;
    after.rules.remove(&ids[2]);
    after.bias += 0.25;
    let k = 12;
    let got = index.what_if(&after, k, NOW);

    let mut moved = index.clone();
    moved.apply_weights(&after);
    let all = QueueFilter::default();
    let before_top: Vec<LeadId> = index.top(k, &all, NOW).iter().map(|e| e.id).collect();
    assert_eq!(got.before_top, before_top);
    let after_top = moved.top(k, &all, NOW);
    let after_ids: Vec<LeadId> = after_top.iter().map(|e| e.id).collect();
    let ranks = index.ranks_of(&after_ids, &all, NOW);
    let want: Vec<WhatIfRow> = after_top
        .iter()
        .zip(ranks)
        .enumerate()
        .map(|(i, (e, before_rank))| WhatIfRow {
            id: e.id,
            before_rank,
            after_rank: i as u32 + 1,
            before_points: points_from_weight(index.logit(e.id).unwrap()),
            after_points: points_from_weight(e.logit),
        })
        .collect();
    assert_eq!(got.after_top, want);
    assert!(
        got.after_top
            .iter()
            .any(|r| r.before_rank != Some(r.after_rank)),
        "the new weights reorder the top"
    );
    // Changed scores, counted lead by lead.
    let (mut changed, mut total, mut max) = (0, 0i64, 0);
    for (l, _) in &leads {
        let d = (points_from_weight(moved.logit(l.id).unwrap())
            - points_from_weight(index.logit(l.id).unwrap()))
        .abs();
        if d > 0 {
            changed += 1;
            total += i64::from(d);
            max = max.max(d);
        }
    }
    assert_eq!(
        (got.leads, got.changed, got.total_change, got.max_change),
        (leads.len(), changed, total, max)
    );
    assert!(changed > 0 && sigmoid(after.bias) != sigmoid(index.weights().bias));
}

/// The filtered queue read in one pass equals its length, its top and the stretch around a
/// lead read one pass each — for filters by owner, stage, due date and their combinations,
/// leads kept at either end, deep inside or outside the filter, ties of equal keys included.
#[test]
fn one_pass_view_equals_count_top_and_around() {
    let n = 2 * MIN_ROWS_PER_THREAD as u64 + 41;
    let mut rng = SeededRng::new(11);
    let owners = ["ana", "ben", "chen"];
    let stages = ["New", "Qualified", "Won"];
    let leads: Vec<Lead> = (1..=n)
        .map(|id| {
            let owner = owners[rng.range(0, 2) as usize];
            let mut l = random_lead(&mut rng, id, owner);
            l.stage = stages[rng.range(0, 2) as usize].into();
            // Equal keys: many leads share a value and have no follow-up.
            if rng.chance(0.2) {
                l.deal_value = Some(1000.0);
            }
            l.next_action = rng.chance(0.5).then(|| crate::core::model::NextAction {
                due: NOW + rng.range(-72, 72) * crate::core::model::HOUR,
                note: String::new(),
            });
            l
        })
        .collect();
    let index = LeadIndex::build(
        &card(),
        &Pipeline::default(),
        PriorityConfig::default(),
        NOW,
        leads.iter().map(|l| (l, SignalSummary::default())),
    );
    let filter = |owner: Option<&str>, stage: Option<&str>, due: bool| QueueFilter {
        owner: owner.map(Into::into),
        stage: stage.map(Into::into),
        due_before: due.then_some(NOW + DAY),
        include_terminal: false,
    };
    let filters = [
        filter(Some("ben"), None, false),
        filter(None, Some("Qualified"), false),
        filter(None, Some("won"), false),
        filter(None, None, true),
        filter(Some("CHEN"), Some("New"), true),
    ];
    let mut keys = QueueKeys::default();
    let ids = |v: &[QueueEntry]| v.iter().map(|e| e.id).collect::<Vec<_>>();
    for f in &filters {
        let order = index.top(index.len(), f, NOW);
        let len = index.count(f);
        assert_eq!(order.len(), len);
        assert!(len > 1000, "{f:?} selects {len}");
        // Kept leads at the top, the bottom, deep inside, and one the filter leaves out.
        let inside: std::collections::HashSet<LeadId> = order.iter().map(|e| e.id).collect();
        let outside = leads.iter().map(|l| l.id).find(|id| !inside.contains(id));
        assert!(outside.is_some());
        let mut kept: Vec<Option<LeadId>> = [0, 1, len / 3, len - 2, len - 1]
            .map(|p| Some(order[p].id))
            .to_vec();
        kept.extend([None, outside]);
        for keep in kept {
            for top in [0, 1, 300] {
                let ask = ViewAsk {
                    top,
                    keep: keep.map(|id| (id, 256, 256)),
                    count_all: true,
                };
                let v = index
                    .view(&mut keys, f, ask, NOW)
                    .expect("known owner and stage");
                assert_eq!(v.len, len, "{f:?}");
                assert_eq!(v.all_len, Some(index.count(&QueueFilter::default())));
                assert_eq!(ids(&v.top), ids(&order[..top.min(len)]), "{f:?} top {top}");
                let want = keep.and_then(|id| index.around(&mut keys, id, (256, 256), f, NOW));
                match (&v.around, &want) {
                    (Some((s1, e1)), Some((s2, e2))) => {
                        assert_eq!(s1, s2, "{f:?} keep {keep:?}");
                        assert_eq!(ids(e1), ids(e2), "{f:?} keep {keep:?}");
                        assert_eq!(ids(e1), ids(&order[*s1..s1 + e1.len()]));
                    }
                    (None, None) => {}
                    other => panic!("{f:?} keep {keep:?}: {other:?}"),
                }
            }
        }
    }
    // An owner the book does not have: nothing can pass.
    let nobody = filter(Some("nobody"), None, false);
    assert!(
        index
            .view(&mut keys, &nobody, ViewAsk::default(), NOW)
            .is_none()
    );
}
