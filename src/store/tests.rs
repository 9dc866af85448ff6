//! Store behaviour a caller relies on: persistence, lookup, schema refusal, locking.

use super::*;
use crate::core::model::{Activity, Lead};
use crate::core::model::{ActivityKind, Signal};

fn lead(id: LeadId, email: &str) -> Lead {
    Lead {
        id,
        name: format!("Lead {id}"),
        email: email.into(),
        stage: "New".into(),
        ..Lead::default()
    }
}

#[test]
fn leads_persist_across_reopen_and_are_found_by_id_or_email() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.db");
    {
        let store = Store::open(&path).unwrap();
        let first = store.reserve_lead_ids(2).unwrap();
        store.put_lead(&lead(first, "Ana@Example.com")).unwrap();
        store.put_lead(&lead(first + 1, "bo@example.com")).unwrap();
        store.flush().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.find_lead("1").unwrap().email, "Ana@Example.com");
    assert_eq!(store.find_lead(" ana@example.COM ").unwrap().id, 1);
    assert!(matches!(
        store.find_lead("nobody@x.org"),
        Err(StoreError::LeadNotFound(_))
    ));
    assert!(matches!(
        store.find_lead("99"),
        Err(StoreError::LeadNotFound(_))
    ));
    assert_eq!(store.lead_count(), 2);
    // Ids keep counting after a reopen.
    assert_eq!(store.reserve_lead_ids(1).unwrap(), 3);
}

#[test]
fn changing_an_email_moves_the_index_entry() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let mut l = lead(5, "old@example.com");
    store.put_lead(&l).unwrap();
    l.email = "new@example.com".into();
    store.put_lead(&l).unwrap();
    assert_eq!(store.lead_id_by_email("new@example.com").unwrap(), Some(5));
    assert_eq!(store.lead_id_by_email("old@example.com").unwrap(), None);
}

#[test]
fn activities_come_back_per_lead_in_time_order_and_can_be_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let act = |lead, at| Activity {
        lead,
        at,
        kind: ActivityKind::Signal(Signal::WebVisit),
        detail: String::new(),
    };
    store
        .insert_activities(&[act(2, 300), act(1, 200), act(1, -5), act(1, 100)])
        .unwrap();
    let times: Vec<_> = store
        .activities_of(1)
        .unwrap()
        .iter()
        .map(|a| a.at)
        .collect();
    assert_eq!(times, [-5, 100, 200]);
    assert!(store.remove_activity(&act(1, 100)).unwrap());
    assert!(!store.remove_activity(&act(1, 100)).unwrap());
    assert_eq!(store.activities_of(1).unwrap().len(), 2);
    assert_eq!(store.activities().count(), 3);
}

#[test]
fn a_second_handle_on_the_same_database_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let _first = Store::open(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("is in use by another leadq process")
    );
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let store = Store::open(&path).unwrap();
        store.put_lead(&lead(1, "a@b.c")).unwrap();
        store
            .meta
            .insert(META_SCHEMA, &(SCHEMA_VERSION + 1).to_be_bytes())
            .unwrap();
        store.flush().unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer leadq"));
    // Still refused (nothing was rewritten), and the lead is still there underneath.
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::NewerSchema { .. })
    ));
    let raw = sled::open(&path).unwrap();
    assert!(
        raw.open_tree("leads")
            .unwrap()
            .get(1u64.to_be_bytes())
            .unwrap()
            .is_some()
    );
}

#[test]
fn undecodable_values_are_reported_as_damage_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    store
        .leads
        .insert(7u64.to_be_bytes(), &[1u8, 0xff, 0xff][..])
        .unwrap();
    let err = store.lead(7).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("leadq restore"));
    store
        .leads
        .insert(8u64.to_be_bytes(), &[codec::FORMAT_VERSION + 1, 0][..])
        .unwrap();
    assert!(matches!(store.lead(8), Err(StoreError::NewerSchema { .. })));
}

#[test]
fn data_dir_and_file_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/book.db");
    let _store = Store::open(&path).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o700);
    assert_eq!(mode(&path.join("db")), 0o600);
}

#[test]
fn settings_default_until_saved() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    assert_eq!(store.pipeline().unwrap(), Pipeline::default());
    let mut p = Pipeline::default();
    p.stages.remove(7);
    store.set_pipeline(&p).unwrap();
    assert_eq!(store.pipeline().unwrap().stages.len(), 7);
    assert_eq!(store.outcome_catalog().unwrap(), OutcomeCatalog::default());
}

fn book_with_leads(path: &Path, n: u64) {
    let store = Store::open(path).unwrap();
    for id in 1..=n {
        store
            .put_lead(&lead(id, &format!("l{id}@example.com")))
            .unwrap();
        if id % 10 == 0 {
            store.flush().unwrap();
        }
    }
    store.flush().unwrap();
}

/// Opens a damaged copy: it must either refuse clearly, or hold every confirmed lead.
fn open_damaged(path: &Path, n: u64) -> Option<StoreError> {
    match Store::open(path) {
        Err(e) => Some(e),
        Ok(store) => {
            let leads: Vec<_> = store.leads().collect::<Result<_>>().expect("readable");
            assert_eq!(
                leads.len() as u64,
                n,
                "a damaged database silently lost leads"
            );
            None
        }
    }
}

#[test]
fn a_truncated_database_is_refused_with_a_pointer_to_restore() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.db");
    book_with_leads(&path, 200);
    let data = std::fs::read(path.join("db")).unwrap();
    std::fs::write(path.join("db"), &data[..data.len() / 3]).unwrap();
    let err = open_damaged(&path, 200).expect("truncation must be detected");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("leadq restore") && msg.contains("book.db"),
        "{msg}"
    );
    // Refusing wrote nothing of ours: still refused on a second try.
    assert!(Store::open(&path).is_err());
}

#[test]
fn bit_flips_are_refused_or_harmless_never_silent_loss() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.db");
    book_with_leads(&clean, 200);
    let data = std::fs::read(clean.join("db")).unwrap();
    let mut refused = 0;
    for i in 1..=12 {
        let copy = dir.path().join(format!("flip{i}.db"));
        std::fs::create_dir_all(&copy).unwrap();
        for f in ["conf", "leadq.generation"] {
            std::fs::copy(clean.join(f), copy.join(f)).unwrap();
        }
        let mut bytes = data.clone();
        let at = bytes.len() * i / 13;
        bytes[at] ^= 0x5a;
        std::fs::write(copy.join("db"), &bytes).unwrap();
        if open_damaged(&copy, 200).is_some() {
            refused += 1;
        }
    }
    assert!(refused > 0, "no flip was detected at all");
}

#[test]
fn a_half_written_snapshot_from_a_killed_process_does_not_block_opening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.db");
    book_with_leads(&path, 20);
    let junk = path.join("snap.00000000000000FF.generating");
    std::fs::write(&junk, b"half a snapshot").unwrap();
    {
        // Not touched while another handle holds the database.
        let _held = Store::open(&path);
    }
    let store = Store::open(&path).expect("opens despite the unfinished snapshot");
    assert_eq!(store.lead_count(), 20);
    assert!(!junk.exists());
}

#[test]
fn an_unfinished_snapshot_is_left_alone_while_the_database_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.db");
    book_with_leads(&path, 3);
    let _held = Store::open(&path).unwrap();
    let junk = path.join("snap.00000000000000FF.generating");
    std::fs::write(&junk, b"in progress").unwrap();
    assert!(matches!(Store::open(&path), Err(StoreError::Locked { .. })));
    assert!(junk.exists());
}

/// A database from before the per-lead outcome index (schema 1) gets the index built when it
/// is opened, so a lead's outcomes are found without scanning every outcome.
#[test]
fn a_schema_1_book_gets_its_outcomes_indexed_by_lead_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let outcome = |seq, lead| crate::core::outcome::OutcomeRecord {
        seq,
        lead,
        outcome: "no_answer".into(),
        at: 1_795_651_200 + seq as i64,
        note: String::new(),
        value: None,
        follow_up: None,
        snapshot: Vec::new(),
        step: None,
        stage_before: "New".into(),
        stage_entered_before: 0,
        next_action_before: None,
        deal_value_before: None,
        undone: false,
    };
    {
        let store = Store::open(&path).unwrap();
        for (seq, lead) in [(1, 7), (2, 9), (3, 7), (4, 9), (5, 7)] {
            store.put_outcome(&outcome(seq, lead)).unwrap();
        }
        let of_7: Vec<u64> = store
            .outcomes_of(7)
            .unwrap()
            .iter()
            .map(|o| o.seq)
            .collect();
        assert_eq!(of_7, [1, 3, 5]);
        // As schema 1 wrote it: no index, schema 1.
        store.lead_outcomes.clear().unwrap();
        store.meta.insert(META_SCHEMA, &1u32.to_be_bytes()).unwrap();
        store.flush().unwrap();
        assert!(store.outcomes_of(7).unwrap().is_empty());
    }
    let store = Store::open(&path).unwrap();
    let of_9: Vec<u64> = store
        .outcomes_of(9)
        .unwrap()
        .iter()
        .map(|o| o.seq)
        .collect();
    assert_eq!(of_9, [2, 4]);
    assert_eq!(store.outcomes_of(7).unwrap().len(), 3);
    let schema = store.meta.get(META_SCHEMA).unwrap().unwrap();
    assert_eq!(schema.as_ref(), &SCHEMA_VERSION.to_be_bytes());
}

/// A schema 3 book keeps one record per activity: opening it moves each lead's into one
/// timeline record, oldest first with activities of the same second in the order they were
/// written, drops the old records, and reads back exactly what the old book held — also
/// when an earlier upgrade was stopped part-way and left timelines behind.
#[test]
fn a_schema_3_book_gets_its_activities_moved_into_timelines_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let act = |lead, at, detail: &str| Activity {
        lead,
        at,
        kind: ActivityKind::Signal(Signal::WebVisit),
        detail: detail.into(),
    };
    // Lead 1 has two activities in one second (seq 9 written before seq 1 << 63 + 2).
    let old = [
        (act(1, -5, "a"), 3),
        (act(1, 100, "b"), 9),
        (act(1, 100, "c"), (1 << 63) + 2),
        (act(2, 300, "d"), 4),
        (act(70_000, 1, "e"), 5),
    ];
    {
        let store = Store::open(&path).unwrap();
        store
            .insert_leads(&[lead(1, "a@x.io"), lead(2, "b@x.io")])
            .unwrap();
        for (a, seq) in &old {
            store
                .activities
                .insert(schema_3_activity_key(a.lead, a.at, *seq), codec::encode(a))
                .unwrap();
        }
        // What an upgrade stopped part-way left: a timeline, half moved, of a lead the old
        // records hold, and one of a lead they do not (as if its records were written
        // again since): neither is read as it was left.
        store
            .timelines
            .insert(1u64.to_be_bytes(), codec::encode(&vec![act(1, -5, "a")]))
            .unwrap();
        store
            .timelines
            .insert(3u64.to_be_bytes(), codec::encode(&vec![act(3, 7, "x")]))
            .unwrap();
        store.meta.insert(META_SCHEMA, &3u32.to_be_bytes()).unwrap();
        store.flush().unwrap();
    }
    // The wait is announced, once, before the move.
    let mut notices = Vec::new();
    let store = Store::open_with_notice(&path, &mut |n| notices.push(n.to_string())).unwrap();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].contains("upgrading"), "{notices:?}");
    assert_eq!(
        store.activities_of(1).unwrap(),
        [act(1, -5, "a"), act(1, 100, "b"), act(1, 100, "c")]
    );
    assert_eq!(store.activities_of(2).unwrap(), [act(2, 300, "d")]);
    assert_eq!(store.activities_of(70_000).unwrap(), [act(70_000, 1, "e")]);
    assert!(store.activities_of(3).unwrap().is_empty());
    assert_eq!(store.activities().count(), 5);
    assert!(store.activities.is_empty(), "the old records are dropped");
    let schema = store.meta.get(META_SCHEMA).unwrap().unwrap();
    assert_eq!(schema.as_ref(), &SCHEMA_VERSION.to_be_bytes());
    // A new activity lands in the same timeline, and the book reopens as it was left.
    store.add_activity(&act(1, 50, "f")).unwrap();
    drop(store);
    let mut notices = 0;
    let store = Store::open_with_notice(&path, &mut |_| notices += 1).unwrap();
    assert_eq!(notices, 0, "an upgraded book opens without a word");
    let details: Vec<String> = store
        .activities_of(1)
        .unwrap()
        .into_iter()
        .map(|a| a.detail)
        .collect();
    assert_eq!(details, ["a", "f", "b", "c"]);
}

/// The key schema 3 gave an activity record: lead, time, then a number.
pub(super) fn schema_3_activity_key(lead: LeadId, at: Timestamp, seq: u64) -> Vec<u8> {
    let mut k = lead.to_be_bytes().to_vec();
    k.extend_from_slice(&time_key(at));
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// A kill between recording schema 4 and dropping the old records leaves both: the next
/// open drops the old ones and moves nothing again.
#[test]
fn old_activity_records_left_beside_schema_4_are_dropped_not_moved_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let act = |at, detail: &str| Activity {
        lead: 4,
        at,
        kind: ActivityKind::Note,
        detail: detail.into(),
    };
    {
        let store = Store::open(&path).unwrap();
        store.add_activity(&act(10, "kept")).unwrap();
        store
            .activities
            .insert(
                schema_3_activity_key(4, 10, 1),
                codec::encode(&act(10, "kept")),
            )
            .unwrap();
        store.flush().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.activities_of(4).unwrap(), [act(10, "kept")]);
    assert!(store.activities.is_empty());
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.activities_of(4).unwrap(), [act(10, "kept")]);
}

#[test]
fn new_lead_ids_never_reuse_an_id_written_explicitly() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    store
        .put_lead(&Lead {
            id: 41,
            name: "Ana Ruiz".into(),
            ..Lead::default()
        })
        .unwrap();
    assert_eq!(store.reserve_lead_ids(2).unwrap(), 42);
    assert_eq!(store.reserve_lead_ids(1).unwrap(), 44);
}

#[test]
fn every_flush_records_its_generation_in_place_and_a_book_behind_it_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.db");
    let file = path.join(GENERATION_FILE);
    let recorded = || -> u64 {
        std::fs::read_to_string(&file)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    {
        let store = Store::open(&path).unwrap();
        store.put_lead(&lead(1, "ana@example.com")).unwrap();
        store.flush().unwrap();
        assert_eq!(recorded(), store.generation().unwrap());
        // A shorter number as an older build wrote it is overwritten whole.
        std::fs::write(&file, "1").unwrap();
        store.flush().unwrap();
        assert_eq!(recorded(), store.generation().unwrap());
        // A later confirmed flush than the database holds: writes were lost.
        let ahead = store.generation().unwrap() + 5;
        std::fs::write(&file, format!("{ahead:<20}\n")).unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { detail, .. } if detail.contains("last confirmed write")),
        "{err}"
    );
}

#[test]
fn sealing_for_exit_while_a_clone_lives_seals_until_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let store = Store::open(&path).unwrap();
    store.put_lead(&Lead::default()).unwrap();
    let worker = store.clone();
    store.seal_for_exit().unwrap();
    drop(store);
    assert!(
        crate::store::sealed(&path),
        "the book reopens without checking a copy"
    );
    worker
        .put_lead(&Lead {
            id: 7,
            ..Lead::default()
        })
        .unwrap();
    worker.flush().unwrap();
    assert!(
        !crate::store::sealed(&path),
        "a later write breaks the seal"
    );
    drop(worker);
}

/// At quit the console stops a background scan through another clone of the store: the
/// scan ends with `Closing` at its next record (so its handle is let go and the book can be
/// closed and sealed), while single reads and writes still work.
#[test]
fn stopping_reads_ends_a_running_scan_in_every_clone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("book.db")).unwrap();
    for id in 1..=5 {
        store
            .put_lead(&lead(id, &format!("l{id}@example.com")))
            .unwrap();
    }
    let worker = store.clone();
    let mut scan = worker.leads();
    assert_eq!(scan.next().unwrap().unwrap().id, 1);
    store.stop_reads();
    assert!(matches!(scan.next(), Some(Err(StoreError::Closing { .. }))));
    // A scan started after the stop ends at its first record too.
    assert!(matches!(
        worker.leads().next(),
        Some(Err(StoreError::Closing { .. }))
    ));
    assert_eq!(store.lead(3).unwrap().unwrap().id, 3);
    store.put_lead(&lead(6, "l6@example.com")).unwrap();
    store.flush().unwrap();
}

/// A read given up (the dashboard left before it came) ends with `Stopped` at its next
/// record on the handle it was given, while every other clone scans, reads and writes on.
#[test]
fn a_stoppable_handle_ends_its_own_scans_and_no_one_elses() {
    let (_dir, store) = super::fixtures::store_with_leads(5);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let job = store.stoppable(stop.clone());
    let mut scan = job.leads();
    assert_eq!(scan.next().unwrap().unwrap().id, 1);
    let mut other = store.leads();
    assert_eq!(other.next().unwrap().unwrap().id, 1);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(matches!(scan.next(), Some(Err(StoreError::Stopped { .. }))));
    assert!(matches!(
        job.activities().next(),
        None | Some(Err(StoreError::Stopped { .. }))
    ));
    assert_eq!(
        other.map(|l| l.unwrap().id).collect::<Vec<_>>(),
        [2, 3, 4, 5]
    );
    assert_eq!(store.leads().count(), 5);
    assert_eq!(job.lead(3).unwrap().unwrap().id, 3, "single reads go on");
}
