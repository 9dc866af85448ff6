//! Reading the queue from the index — the top by ceilings, the kept keys, the queue's
//! length — equals the same reads done the slow way: a full sort, fresh ranks, a count.

use std::collections::HashMap;

use super::tests::{NOW, card, in_queue_order, lead, random_lead};
use super::*;
use crate::core::model::{HOUR, NextAction};

/// The queue page, which skips rows by their ceiling, equals the first `k` of a full sort,
/// before and after rows are rewritten with other values and follow-ups.
#[test]
fn top_k_by_ceiling_equals_a_full_sort_across_rewrites() {
    let card = card();
    let mut index = LeadIndex::new(&card, &Pipeline::default(), PriorityConfig::default(), NOW);
    let mut rng = crate::core::rng::SeededRng::new(5);
    let mut owners: HashMap<LeadId, &str> = HashMap::new();
    let write = |index: &mut LeadIndex,
                 owners: &mut HashMap<LeadId, &str>,
                 rng: &mut crate::core::rng::SeededRng,
                 id: u64| {
        let owner = if rng.chance(0.5) { "ana" } else { "bo" };
        owners.insert(id, owner);
        let mut l = random_lead(rng, id, owner);
        l.next_action = rng.chance(0.3).then(|| NextAction {
            due: NOW + rng.range(-48, 48) * HOUR,
            note: String::new(),
        });
        index.upsert(&card, &l, SignalSummary::default());
    };
    let check = |index: &LeadIndex, owners: &HashMap<LeadId, &str>| {
        for (filter, k) in [
            (QueueFilter::default(), 1),
            (QueueFilter::default(), 25),
            (
                QueueFilter {
                    owner: Some("bo".into()),
                    ..QueueFilter::default()
                },
                40,
            ),
        ] {
            let mut all: Vec<QueueEntry> = owners
                .iter()
                .filter(|(_, o)| filter.owner.as_deref().is_none_or(|f| f == **o))
                .filter_map(|(id, _)| index.entry(*id, NOW))
                .collect();
            in_queue_order(&mut all);
            let want: Vec<LeadId> = all.iter().take(k).map(|e| e.id).collect();
            let got: Vec<LeadId> = index.top(k, &filter, NOW).iter().map(|e| e.id).collect();
            assert_eq!(got, want, "k = {k}, filter = {filter:?}");
            // The bottom of the same queue, its length, and whole-queue ranks.
            let want: Vec<LeadId> = all.iter().skip(all.len() - k).map(|e| e.id).collect();
            let got: Vec<LeadId> = index.bottom(k, &filter, NOW).iter().map(|e| e.id).collect();
            assert_eq!(got, want, "bottom k = {k}, filter = {filter:?}");
            assert_eq!(index.count(&filter), all.len());
            let asked = [all[0].id, all[all.len() / 3].id, all[all.len() - 1].id];
            let want = vec![
                Some(1),
                Some(all.len() as u32 / 3 + 1),
                Some(all.len() as u32),
            ];
            assert_eq!(index.ranks_of(&asked, &filter, NOW), want);
        }
        let whole: Vec<LeadId> = index
            .top(index.len(), &QueueFilter::default(), NOW)
            .iter()
            .map(|e| e.id)
            .collect();
        let asked: Vec<LeadId> = [0, 1, 17, whole.len() / 2, whole.len() - 1]
            .iter()
            .map(|&p| whole[p])
            .chain([999_999])
            .collect();
        let want: Vec<Option<u32>> = asked
            .iter()
            .map(|id| whole.iter().position(|w| w == id).map(|p| p as u32 + 1))
            .collect();
        assert_eq!(index.ranks_of(&asked, &QueueFilter::default(), NOW), want);
    };
    for id in 1..=9_000 {
        write(&mut index, &mut owners, &mut rng, id);
    }
    check(&index, &owners);
    // Rewritten rows: their ceilings move up and down.
    for _ in 0..500 {
        let id = rng.range(1, 9_000) as u64;
        write(&mut index, &mut owners, &mut rng, id);
    }
    check(&index, &owners);
}

/// Ranks from the kept keys equal ranks computed afresh, as the clock crosses follow-ups
/// falling due and fresh-inbound boosts running out, and after rows and weights change.
#[test]
fn ranks_from_kept_keys_equal_fresh_ranks_as_time_and_weights_move() {
    let card = card();
    let mut index = LeadIndex::new(&card, &Pipeline::default(), PriorityConfig::default(), NOW);
    let mut rng = crate::core::rng::SeededRng::new(11);
    let mut write = |index: &mut LeadIndex, id: u64| {
        let mut l = lead(id, "Analyst", rng.range(1, 5000) as u32, "ana", "New");
        l.deal_value = rng.chance(0.6).then(|| rng.range(100, 90_000) as f64);
        l.next_action = rng.chance(0.4).then(|| NextAction {
            due: NOW + rng.range(-48, 48) * HOUR,
            note: String::new(),
        });
        if rng.chance(0.3) {
            l.source = "Website".into();
            l.created = NOW - rng.range(0, 72) * HOUR;
        }
        index.upsert(&card, &l, SignalSummary::default());
    };
    for id in 1..=3_000 {
        write(&mut index, id);
    }
    let asked: Vec<LeadId> = (1..=3_000).step_by(37).chain([999_999]).collect();
    let mut keys = QueueKeys::default();
    let filters = [
        QueueFilter::default(),
        QueueFilter {
            owner: Some("ana".into()),
            ..QueueFilter::default()
        },
    ];
    let check = |index: &LeadIndex, keys: &mut QueueKeys, now: Timestamp| {
        for f in &filters {
            assert_eq!(
                index.ranks_with(keys, &asked, f, now),
                index.ranks_of(&asked, f, now),
                "at {now}, filter {f:?}"
            );
            // The stretch around a lead equals that slice of the whole order.
            let all: Vec<LeadId> = index
                .top(index.len(), f, now)
                .iter()
                .map(|e| e.id)
                .collect();
            for p in [0, 3, all.len() / 2, all.len() - 2, all.len() - 1] {
                let (start, got) = index.around(keys, all[p], (5, 7), f, now).unwrap();
                let from = p.saturating_sub(5);
                let to = (p + 8).min(all.len());
                assert_eq!(start, from, "at {now}, position {p}");
                let got: Vec<LeadId> = got.iter().map(|e| e.id).collect();
                assert_eq!(got, all[from..to], "at {now}, position {p}");
            }
            assert!(index.around(keys, 999_999, (5, 7), f, now).is_none());
            // Both ends of the queue read from the keys equal the ceiling-pruned reads.
            let ids = |v: Vec<QueueEntry>| v.iter().map(|e| e.id).collect::<Vec<_>>();
            for k in [1, 40, all.len() + 3] {
                assert_eq!(
                    ids(index.end_keyed(keys, k, true, f, now)),
                    ids(index.top(k, f, now))
                );
                assert_eq!(
                    ids(index.end_keyed(keys, k, false, f, now)),
                    ids(index.bottom(k, f, now))
                );
            }
        }
    };
    for hours in [0, 1, 7, 30, 30, -20, 60] {
        check(&index, &mut keys, NOW + hours * HOUR);
    }
    for id in (1..=3_000).step_by(5) {
        write(&mut index, id);
    }
    check(&index, &mut keys, NOW + 60 * HOUR);
    let mut weights = index.weights().clone();
    weights.bias += 0.5;
    index.apply_weights(&weights);
    check(&index, &mut keys, NOW + 61 * HOUR);
}

/// The queue's length comes from rows kept per stage when only stages decide (the count a
/// re-rank reads after every logged outcome): it equals a pass over the rows as leads move
/// between open and terminal stages, into a stage the pipeline does not name, and back.
#[test]
fn queue_lengths_from_kept_stage_counts_equal_a_pass() {
    let card = card();
    let mut index = LeadIndex::new(&card, &Pipeline::default(), PriorityConfig::default(), NOW);
    let mut rng = crate::core::rng::SeededRng::new(11);
    let stages = ["New", "Qualified", "Won", "Lost", "Parked (custom)", "new"];
    let mut at: HashMap<LeadId, &str> = HashMap::new();
    let check = |index: &LeadIndex, at: &HashMap<LeadId, &str>| {
        let open = |s: &str| !matches!(s, "Won" | "Lost");
        let filters = [
            (
                QueueFilter::default(),
                at.values().filter(|s| open(s)).count(),
            ),
            (
                QueueFilter {
                    include_terminal: true,
                    ..QueueFilter::default()
                },
                at.len(),
            ),
            (
                QueueFilter {
                    stage: Some("won".into()),
                    ..QueueFilter::default()
                },
                at.values().filter(|s| **s == "Won").count(),
            ),
            (
                QueueFilter {
                    stage: Some("NEW".into()),
                    ..QueueFilter::default()
                },
                at.values()
                    .filter(|s| s.eq_ignore_ascii_case("new"))
                    .count(),
            ),
        ];
        for (filter, want) in filters {
            assert_eq!(index.count(&filter), want, "{filter:?}");
            assert_eq!(
                index.top(at.len() + 1, &filter, NOW).len(),
                want,
                "{filter:?}"
            );
        }
    };
    for round in 0..4 {
        for _ in 0..700 {
            let id = rng.range(1, 400) as u64;
            let stage = stages[rng.range(0, stages.len() as i64 - 1) as usize];
            let mut l = random_lead(&mut rng, id, "ana");
            l.stage = stage.into();
            index.upsert(&card, &l, SignalSummary::default());
            at.insert(id, stage);
        }
        check(&index, &at);
        assert!(round < 3 || at.values().any(|s| *s == "Won"));
    }
}
