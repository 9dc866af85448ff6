//! Tests of the rules admin's kept figures: a build equals the scan and survives writes beside
//! it, a schema-2 book is upgraded, the demo book arrives with them, and a raw outcome write
//! keeps them.

use super::*;
use crate::core::model::Lead;
use crate::core::outcome::LearnStep;
use crate::store::fixtures::{priors, store_with_leads};
use crate::store::worklog::{LogRequest, log_outcome_learned, undo_outcome_learned};

const NOW: i64 = 1_795_683_600;

fn log(store: &Store, i: u64) -> u64 {
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
        snap.push((3, 0.0));
    }
    let req = LogRequest {
        outcome: outcomes[(i % 5) as usize].into(),
        ..LogRequest::default()
    };
    log_outcome_learned(store, i % 3 + 1, &req, snap, &priors(), NOW + i as i64)
        .unwrap()
        .seq
}

/// The kept figures equal what a scan of every outcome and change gives.
fn assert_in_step(store: &Store) {
    assert_eq!(store.admin_tally().unwrap(), store.rebuilt_tally());
    assert_eq!(store.history_keys(), store.weight_histories().unwrap());
}

#[test]
fn kept_figures_follow_logs_undos_and_reverts_and_equal_a_build() {
    let (_d, store) = store_with_leads(3);
    let seqs: Vec<u64> = (0..12).map(|i| log(&store, i)).collect();
    assert_in_step(&store);
    undo_outcome_learned(&store, seqs[11], &priors()).unwrap();
    undo_outcome_learned(&store, seqs[2], &priors()).unwrap();
    let ev = store.revert_weight(Some(1), 0.25, &priors(), NOW).unwrap();
    log(&store, 20);
    assert_in_step(&store);
    assert!(store.undo_revert(ev.no, &priors()).unwrap());
    assert_in_step(&store);
    let t = store.admin_tally().unwrap();
    let full = store.weight_history(None).unwrap();
    assert_eq!(t.changes(None), full.len() as u64);
    assert_eq!(
        store.recent_history(None, 3).unwrap(),
        full[full.len() - 3..]
            .iter()
            .map(|h| h.weight)
            .collect::<Vec<_>>()
    );
    for back in 0..full.len() + 2 {
        assert_eq!(
            store.weight_back(None, back).unwrap(),
            full.len().checked_sub(back + 1).map(|i| full[i].weight)
        );
    }
}

#[test]
fn a_build_beside_writes_starts_again_and_ends_equal_to_a_scan() {
    let (_d, store) = store_with_leads(3);
    let seqs: Vec<u64> = (0..15).map(|i| log(&store, i)).collect();
    store.strip_admin_index();
    let mut writes = 0;
    let tally = store
        .admin_tally_with(4, &mut || {
            // Two writes land part way through the first two attempts: a log, then an undo
            // of an early outcome that rewrites every later change the build already wrote.
            writes += 1;
            match writes {
                1 => {
                    log(&store, 30);
                }
                2 => {
                    undo_outcome_learned(&store, seqs[1], &priors()).unwrap();
                }
                _ => {}
            }
        })
        .unwrap();
    assert!(writes > 2, "the build started again");
    assert_eq!(tally, store.rebuilt_tally());
    assert_in_step(&store);
}

#[test]
fn a_schema_2_book_is_upgraded_on_open_and_its_figures_built_on_first_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let expected = {
        let (_d, store) = store_with_leads(3);
        for i in 0..9 {
            log(&store, i);
        }
        store.admin_tally().unwrap()
    };
    {
        let store = Store::open(&path).unwrap();
        for id in 1..=3 {
            store
                .put_lead(&Lead {
                    id,
                    stage: "New".into(),
                    ..Lead::default()
                })
                .unwrap();
        }
        for i in 0..9 {
            log(&store, i);
        }
        // As schema 2 wrote it: no figures, schema 2.
        store.strip_admin_index();
        store
            .meta
            .insert(crate::store::META_SCHEMA, &2u32.to_be_bytes())
            .unwrap();
        store.flush().unwrap();
    }
    let store = Store::open(&path).unwrap();
    let schema = store.meta.get(crate::store::META_SCHEMA).unwrap().unwrap();
    assert_eq!(schema.as_ref(), &crate::store::SCHEMA_VERSION.to_be_bytes());
    assert!(store.history_keys().is_empty(), "opening stays quick");
    // A write before the first read leaves them unbuilt, and the read builds them.
    log(&store, 9);
    let mut one_more = expected.clone();
    let rec = store.outcomes().last().unwrap().unwrap();
    one_more.count_outcome(&rec, 1);
    for e in store.weight_events().unwrap().iter().rev().take(1) {
        one_more.count_changes(e, 1);
    }
    assert_eq!(store.admin_tally().unwrap(), one_more);
    assert_in_step(&store);
}

#[test]
fn a_demo_book_arrives_with_its_figures_built() {
    let (_d, store) = store_with_leads(0);
    let config = crate::core::demo::DemoConfig {
        leads: 300,
        seed: 5,
        now: NOW,
    };
    crate::store::demo::write_demo_book(&store, config, &mut |_, _| {}).unwrap();
    let stored: Option<AdminTally> = store.get_value(&store.weights, TALLY).unwrap();
    assert!(stored.is_some(), "kept through the bulk write");
    assert!(stored.unwrap().learned.outcomes > 0);
    assert_in_step(&store);
}

#[test]
fn a_raw_outcome_write_keeps_the_figures() {
    let (_d, store) = store_with_leads(1);
    let mut rec = store.outcome(log(&store, 0)).unwrap().unwrap();
    rec.seq = 100;
    rec.step = Some(LearnStep {
        target: 0.0,
        ..LearnStep::default()
    });
    store.put_outcome(&rec).unwrap();
    rec.undone = true;
    rec.seq = 101;
    store.put_outcome(&rec).unwrap();
    rec.seq = 100;
    rec.undone = false;
    rec.step = None;
    store.put_outcome(&rec).unwrap();
    assert_in_step(&store);
}
