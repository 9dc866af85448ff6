//! Writing a generated demo book into the database: batched per chunk, outcomes numbered in
//! the order they happened and learned from as they are numbered, one durable flush at the end.

use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use crate::core::demo::{DemoBook, DemoChunk, DemoConfig};
use crate::core::model::{ActivityKind, Lead, LeadId, Signal, Timestamp};
use crate::core::outcome::OutcomeRecord;
use crate::core::scorecard::Scorecard;
use crate::store::history::HistoryLearner;
use crate::store::{Result, Store, codec, time_key};

/// Leads in the demo book `leadq --demo` opens.
pub const DEFAULT_DEMO_LEADS: u64 = 5_000;
/// Seed of the demo book `leadq --demo` opens.
pub const DEFAULT_DEMO_SEED: u64 = 42;

/// The `meta` key under which a database records the demo book it holds.
pub const META_DEMO_BOOK: &str = "demo_book";

/// What was generated, as recorded in the database (`meta` key [`META_DEMO_BOOK`]): with it
/// the same book, and its hidden propensities, can be generated again.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DemoRecord {
    pub leads: u64,
    pub seed: u64,
    pub now: Timestamp,
    pub first_lead_id: LeadId,
}

/// Counts of what a demo book put into the database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub leads: u64,
    pub accounts: u64,
    pub activities: u64,
    pub outcomes: u64,
}

/// Generates the book `config` describes and writes it into `store`, calling
/// `progress(leads_written, leads_total)` after each chunk. Generation runs on a second
/// thread while the previous chunk is written. Makes everything durable before returning.
///
/// Lead ids come from [`Store::reserve_lead_ids`] and outcome sequence numbers from
/// [`Store::reserve_outcome_seqs`], so the book can go into any database; outcome numbers
/// follow the time the outcomes were logged, across the whole book.
pub fn write_demo_book(
    store: &Store,
    config: DemoConfig,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<DemoSummary> {
    let first_lead = store.reserve_lead_ids(config.leads)?;
    // The history is learned under a rule set with fixed ids: publish the defaults first.
    store.ensure_published(config.now)?;
    let card = store.scorecard()?;
    // Outcomes wait here, encoded, until they can be numbered in the order they happened
    // (a few hundred bytes each: about 300 MB at 10⁶ leads, less than a sled tree costs).
    let mut staged: Vec<([u8; 24], Vec<u8>)> = Vec::new();
    let mut summary = DemoSummary::default();
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<DemoChunk>(1);
        let card = &card;
        scope.spawn(move || {
            for mut chunk in DemoBook::new(config).starting_at(first_lead, 0) {
                take_snapshots(card, &mut chunk);
                if tx.send(chunk).is_err() {
                    break; // the writer failed and stopped listening
                }
            }
        });
        for chunk in rx {
            write_chunk(store, &chunk)?;
            staged.extend(
                chunk
                    .outcomes
                    .iter()
                    .map(|o| (staging_key(o), codec::encode(o))),
            );
            summary.leads += chunk.leads.len() as u64;
            summary.accounts += chunk.accounts.len() as u64;
            summary.activities += chunk.activities.len() as u64;
            summary.outcomes += chunk.outcomes.len() as u64;
            progress(summary.leads, config.leads);
        }
        Ok(())
    })?;
    staged.sort_unstable_by_key(|s| s.0);
    number_and_learn(store, staged)?;
    store.put_meta(
        META_DEMO_BOOK,
        &DemoRecord {
            leads: config.leads,
            seed: config.seed,
            now: config.now,
            first_lead_id: first_lead,
        },
    )?;
    store.flush()?;
    Ok(summary)
}

/// Gives each outcome of the chunk the rule activations its lead had when it was worked,
/// while the lead and its activity are at hand (the chunk holds all of a lead's).
fn take_snapshots(card: &Scorecard, chunk: &mut DemoChunk) {
    let mut signals: HashMap<LeadId, Vec<(Signal, Timestamp)>> = HashMap::new();
    for a in &chunk.activities {
        if let ActivityKind::Signal(s) = a.kind {
            signals.entry(a.lead).or_default().push((s, a.at));
        }
    }
    let leads: HashMap<LeadId, &Lead> = chunk.leads.iter().map(|l| (l.id, l)).collect();
    for rec in &mut chunk.outcomes {
        let Some(lead) = leads.get(&rec.lead) else {
            continue;
        };
        let events = signals.get(&rec.lead).map(Vec::as_slice).unwrap_or(&[]);
        rec.snapshot = card.activations_when_worked(lead, events.iter().copied(), rec);
    }
}

fn write_chunk(store: &Store, chunk: &DemoChunk) -> Result<()> {
    store.insert_accounts(&chunk.accounts)?;
    store.insert_leads(&chunk.leads)?;
    store.insert_activities(&chunk.activities)
}

/// Time, then lead, then the provisional (unique) number: the order outcomes happened.
fn staging_key(o: &OutcomeRecord) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..8].copy_from_slice(&time_key(o.at));
    key[8..16].copy_from_slice(&o.lead.to_be_bytes());
    key[16..].copy_from_slice(&o.seq.to_be_bytes());
    key
}

/// Writes the staged outcomes, sorted by [`staging_key`], into the outcomes tree with fresh
/// sequence numbers in time order, learning from each labelled one on the way.
fn number_and_learn(store: &Store, staged: Vec<([u8; 24], Vec<u8>)>) -> Result<()> {
    if staged.is_empty() {
        return Ok(());
    }
    // Written outside any transaction: the rules admin's figures are dropped while they are,
    // so that a crash part way leaves them to be built again rather than short.
    let tally = store.take_admin_tally()?;
    let mut learner = HistoryLearner::new(store)?;
    let first = store.reserve_outcome_seqs(staged.len() as u64)?;
    for (seq, (_, value)) in (first..).zip(staged) {
        let mut rec: OutcomeRecord = codec::decode(&value).map_err(|e| {
            store.corrupt(
                "outcomes",
                format!("a generated outcome did not decode: {e}"),
            )
        })?;
        rec.seq = seq;
        learner.step(&mut rec);
        learner.count(&rec);
        store.put_new_outcome(&rec)?;
    }
    let delta = learner.take_tally();
    learner.finish(store)?;
    store.restore_admin_tally(tally, &delta)
}

/// Fills an empty database with the default demo book (5 000 leads, seed 42) as of `now`;
/// returns whether it generated one. A database that holds leads is left as it is.
pub fn ensure_demo_book(store: &Store, now: Timestamp) -> Result<bool> {
    if !store.is_empty() {
        return Ok(false);
    }
    let config = DemoConfig {
        leads: DEFAULT_DEMO_LEADS,
        seed: DEFAULT_DEMO_SEED,
        now,
    };
    write_demo_book(store, config, &mut |_, _| {})?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = 1_795_683_600;

    #[test]
    fn the_stored_book_is_the_generated_one_with_outcomes_numbered_in_time_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db");
        let config = DemoConfig {
            leads: 1_500,
            seed: 11,
            now: NOW,
        };
        let mut calls = Vec::new();
        let summary = {
            let store = Store::open(&path).unwrap();
            write_demo_book(&store, config, &mut |done, total| calls.push((done, total))).unwrap()
        };
        assert_eq!(calls.last(), Some(&(1_500, 1_500)));
        let generated: Vec<DemoChunk> = DemoBook::new(config).collect();
        let store = Store::open(&path).unwrap();
        assert_eq!(store.lead_count() as u64, summary.leads);
        assert_eq!(store.leads().count(), 1_500);
        assert_eq!(store.accounts().count() as u64, summary.accounts);
        assert_eq!(store.activities().count() as u64, summary.activities);
        assert_eq!(summary.accounts, generated[0].accounts.len() as u64);
        let lead = &generated[0].leads[41];
        assert_eq!(&store.lead(lead.id).unwrap().unwrap(), lead);
        assert_eq!(store.find_lead(&lead.email).unwrap().id, lead.id);
        let outcomes: Vec<OutcomeRecord> = store.outcomes().map(|o| o.unwrap()).collect();
        assert_eq!(outcomes.len() as u64, summary.outcomes);
        assert!(
            outcomes
                .windows(2)
                .all(|w| w[0].at <= w[1].at && w[0].seq + 1 == w[1].seq)
        );
        assert_eq!(outcomes[0].seq, 1);
        // The next outcome a rep logs comes after the demo's.
        assert_eq!(store.next_outcome_seq().unwrap(), summary.outcomes + 1);
        let of_lead: Vec<String> = store
            .activities_of(lead.id)
            .unwrap()
            .into_iter()
            .filter_map(|a| match a.kind {
                ActivityKind::Outcome(o) => Some(o),
                _ => None,
            })
            .collect();
        let logged: Vec<String> = store
            .outcomes_of(lead.id)
            .unwrap()
            .into_iter()
            .map(|o| o.outcome)
            .collect();
        assert_eq!(of_lead, logged);
        let record: DemoRecord = store.get_meta(META_DEMO_BOOK).unwrap().unwrap();
        assert_eq!((record.seed, record.first_lead_id), (11, 1));
    }

    #[test]
    fn ensure_generates_once_and_never_touches_a_book_with_leads() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("demo.db")).unwrap();
        assert!(ensure_demo_book(&store, NOW).unwrap());
        assert_eq!(store.lead_count() as u64, DEFAULT_DEMO_LEADS);
        assert!(!ensure_demo_book(&store, NOW).unwrap());
        assert_eq!(store.lead_count() as u64, DEFAULT_DEMO_LEADS);
    }
}
