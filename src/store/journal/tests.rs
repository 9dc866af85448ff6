use std::io::Write;
use std::path::PathBuf;

use super::format::*;
use super::*;

/// Set by a child process below to die between a commit's journal entry and sled.
pub(in crate::store) static ABORT_BEFORE_APPLY: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

fn put(key: &[u8], value: &[u8]) -> Op {
    Op::Put {
        tree: TreeId::Meta,
        key: key.to_vec(),
        value: value.to_vec(),
    }
}

/// The entries a journal file holds, as an open would read them.
fn entries_in(path: &Path) -> Vec<Entry> {
    read_entries(&std::fs::read(path).unwrap()).unwrap().entries
}

/// `es` framed one after another under `epoch`, then `pad` bytes of zeros (laid out).
fn framed(es: &[Entry], epoch: u64, pad: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = es.iter().flat_map(|e| frame(e, epoch)).collect();
    bytes.resize(bytes.len() + pad, 0);
    bytes
}

fn entry(generation: u64, key: &[u8], value: &[u8]) -> Entry {
    Entry {
        generation,
        ops: vec![put(key, value)],
    }
}

#[test]
fn a_torn_last_entry_is_dropped_and_damage_before_the_end_is_refused() {
    let (a, b) = (entry(3, b"a", b"1"), entry(3, b"b", b"2"));
    let mut bytes = frame(&a, 7);
    bytes.extend_from_slice(&frame(&b, 7));
    let whole = bytes.len();
    // The zeros laid out past the last entry.
    bytes.resize(whole + 4096, 0);
    let first = frame(&a, 7).len();
    // Every cut inside the second entry keeps exactly the first, as does every torn write
    // of it over the zeros (its bytes up to the cut, zeros after).
    for cut in first..whole {
        assert_eq!(
            read_entries(&bytes[..cut]).unwrap().entries,
            vec![a.clone()]
        );
        let mut torn = bytes.clone();
        torn[cut..whole].fill(0);
        let read = read_entries(&torn).unwrap();
        assert_eq!(read.entries, vec![a.clone()]);
        assert_eq!(read.end, first as u64, "the next commit goes where b was");
    }
    let read = read_entries(&bytes).unwrap();
    assert_eq!(read.entries, vec![a.clone(), b.clone()]);
    assert_eq!((read.end, read.epoch), (whole as u64, 7));
    // A flipped byte in the first entry, with a whole entry after it, is damage.
    let mut damaged = bytes.clone();
    damaged[first - 1] ^= 0xff;
    let err = read_entries(&damaged).unwrap_err();
    assert!(err.contains("byte 0") && err.contains("checksum"), "{err}");
}

#[test]
fn entries_of_another_epoch_past_the_last_entry_are_not_read() {
    // Three entries of epoch 1, emptied by a flush, then one of epoch 2 of the same length
    // over the first: a whole entry of epoch 1 starts right where the new one ends.
    let old = [
        entry(1, b"old", b"1"),
        entry(1, b"ol2", b"2"),
        entry(1, b"ol3", b"3"),
    ];
    let mut bytes = framed(&old, 1, 8192);
    let new = entry(2, b"new", b"3");
    let f = frame(&new, 2);
    assert_eq!(
        f.len(),
        frame(&old[0], 1).len(),
        "the test needs the same length"
    );
    bytes[..f.len()].copy_from_slice(&f);
    assert!(
        frame_at(&bytes, f.len(), 1).is_some(),
        "a whole old entry follows"
    );
    let read = read_entries(&bytes).unwrap();
    assert_eq!(read.entries, vec![new.clone()]);
    assert_eq!((read.end, read.epoch), (f.len() as u64, 2));
    // A torn write of a second entry of epoch 2 over it: its header claims the length of
    // the old entry under it, and a whole old entry follows that length. A torn last write,
    // not damage.
    let torn = frame(&entry(2, b"nw2", b"4"), 2);
    let mut with_torn = bytes.clone();
    with_torn[f.len()..f.len() + HEADER + 2].copy_from_slice(&torn[..HEADER + 2]);
    assert!(
        frame_at(&with_torn, 2 * f.len(), 1).is_some(),
        "a whole old entry follows"
    );
    assert_eq!(read_entries(&with_torn).unwrap().entries, vec![new.clone()]);
    // A flush's wipe of the first magic: nothing to read, whatever lies after it.
    bytes[..4].fill(0);
    assert_eq!(read_entries(&bytes).unwrap().entries, vec![]);
}

#[test]
fn a_damaged_entry_with_whole_ones_after_it_refuses_whatever_byte_is_hit() {
    let es = [
        entry(3, b"a", b"1"),
        entry(3, b"b", b"2"),
        entry(3, b"c", b"3"),
    ];
    let bytes = framed(&es, 9, 4096);
    let second = frame(&es[0], 9).len();
    // The magic, the length, the checksum, the epoch and the payload of the second entry.
    for hit in [0, 5, 9, 13, HEADER + 1] {
        let mut damaged = bytes.clone();
        damaged[second + hit] ^= 0x5a;
        let err = read_entries(&damaged).unwrap_err();
        assert!(
            err.contains(&format!("byte {second}")) && err.contains("whole entry after it"),
            "byte {hit} of the header: {err}"
        );
    }
    // The last entry damaged has nothing whole after it: a torn last write.
    let third = second * 2;
    let mut last = bytes.clone();
    last[third + HEADER + 1] ^= 0x5a;
    assert_eq!(read_entries(&last).unwrap().entries, es[..2].to_vec());
}

#[test]
fn each_session_and_each_emptying_writes_under_an_epoch_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let path = db.join(JOURNAL_FILE);
    let epoch_at_start =
        || u64::from_le_bytes(std::fs::read(&path).unwrap()[12..20].try_into().unwrap());
    let mut seen = Vec::new();
    for _ in 0..2 {
        let store = Store::open(&db).unwrap();
        for _ in 0..2 {
            store.commit(vec![put(b"k", b"v")]).unwrap();
            seen.push(epoch_at_start());
            store.flush().unwrap();
        }
    }
    let mut distinct = seen.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), seen.len(), "{seen:?}");
}

#[test]
fn an_older_journal_with_only_a_torn_entry_opens_and_one_with_damage_is_refused() {
    let (_dir, db) = flushed_book(1);
    let path = db.join(JOURNAL_FILE);
    let one = legacy_frame(&entry(u64::MAX, b"x", b"1"));
    std::fs::write(&path, &one[..one.len() - 1]).unwrap();
    let store = Store::open(&db).unwrap();
    assert_eq!(store.meta.get(b"x").unwrap(), None);
    store.commit(vec![put(b"y", b"2")]).unwrap();
    assert_eq!(entries_in(&path).len(), 1);
    drop(store);

    let mut damaged = one.clone();
    damaged.extend_from_slice(&one);
    damaged[9] ^= 0xff;
    std::fs::write(&path, &damaged).unwrap();
    let err = Store::open(&db).unwrap_err().to_string();
    assert!(
        err.contains(JOURNAL_FILE) && err.contains("checksum"),
        "{err}"
    );
}

#[test]
fn a_journal_of_the_older_appended_layout_is_replayed_and_then_laid_out_anew() {
    let (_dir, db) = flushed_book(1);
    let stored = {
        let store = Store::open(&db).unwrap();
        store.generation().unwrap()
    };
    // What a crash of the previous version left: two appended entries and a torn third.
    let mut bytes = legacy_frame(&entry(stored, b"legacy", b"1"));
    bytes.extend_from_slice(&legacy_frame(&entry(stored, b"legacy2", b"2")));
    bytes.extend_from_slice(&legacy_frame(&entry(stored, b"torn", b"3"))[..9]);
    let path = db.join(JOURNAL_FILE);
    std::fs::write(&path, &bytes).unwrap();

    let store = Store::open(&db).unwrap();
    assert_eq!(
        store.meta.get(b"legacy").unwrap().as_deref(),
        Some(&b"1"[..])
    );
    assert_eq!(
        store.meta.get(b"legacy2").unwrap().as_deref(),
        Some(&b"2"[..])
    );
    assert_eq!(store.meta.get(b"torn").unwrap(), None);
    assert_eq!(store.journal_len(), 0);
    store.commit(vec![put(b"after", b"4")]).unwrap();
    let raw = std::fs::read(&path).unwrap();
    assert_eq!(raw[..4], MAGIC.to_le_bytes(), "written in the new layout");
    assert_eq!(entries_in(&path).len(), 1);
}

#[test]
fn commits_overwrite_laid_out_blocks_and_the_file_grows_a_chunk_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let path = dir.path().join("db").join(JOURNAL_FILE);
    store.warm_commits().unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), CHUNK);
    let value = vec![7u8; 10_000];
    let mut n = 0;
    while store.journal_len() < CHUNK {
        store
            .commit(vec![put(format!("k{n}").as_bytes(), &value)])
            .unwrap();
        n += 1;
        let size = std::fs::metadata(&path).unwrap().len();
        assert_eq!(size % CHUNK, 0, "whole chunks only");
        assert!(size >= store.journal_len());
    }
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 2 * CHUNK);
    assert_eq!(entries_in(&path).len(), n);
    // Emptied by a flush, the file keeps its size and reads as empty.
    store.flush().unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 2 * CHUNK);
    assert!(entries_in(&path).is_empty());
    store.commit(vec![put(b"last", b"1")]).unwrap();
    assert_eq!(entries_in(&path).len(), 1);
}

#[test]
fn counters_are_only_raised_by_replayed_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let at_least = |v: u64| Op::AtLeast {
        tree: TreeId::Meta,
        key: b"n".to_vec(),
        value: v,
    };
    store.commit(vec![at_least(9)]).unwrap();
    store.commit(vec![at_least(4)]).unwrap();
    let v = store.meta.get(b"n").unwrap().unwrap();
    assert_eq!(u64::from_be_bytes(v.as_ref().try_into().unwrap()), 9);
}

#[test]
fn a_flush_empties_the_journal_and_commits_after_it_stay() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    store.commit(vec![put(b"x", b"1")]).unwrap();
    assert!(store.journal_len() > 0);
    store.flush().unwrap();
    assert_eq!(store.journal_len(), 0);
    store.commit(vec![put(b"y", b"2")]).unwrap();
    let entries = entries_in(&dir.path().join("db").join(JOURNAL_FILE));
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].ops, vec![put(b"y", b"2")]);
}

#[test]
fn a_clean_close_leaves_nothing_to_replay() {
    let (dir, store) = crate::store::fixtures::store_with_leads(1);
    let other = store.clone();
    store.commit(vec![put(b"x", b"1")]).unwrap();
    drop(store);
    let journal = dir.path().join("db").join(JOURNAL_FILE);
    assert!(!entries_in(&journal).is_empty(), "a clone is still open");
    drop(other);
    assert!(entries_in(&journal).is_empty());
    let store = Store::open(&dir.path().join("db")).unwrap();
    assert_eq!(store.meta.get(b"x").unwrap().as_deref(), Some(&b"1"[..]));
}

/// A book of `n` leads, flushed and closed: only what a child process commits is in its
/// journal.
fn flushed_book(n: u64) -> (tempfile::TempDir, PathBuf) {
    let (dir, store) = crate::store::fixtures::store_with_leads(n);
    let db = dir.path().join("db");
    store.flush().unwrap();
    drop(store);
    (dir, db)
}

/// Runs the test `name` of this binary as a child process on the book at `db`, passed in
/// the environment variable `var` (the child tests do nothing without it).
fn run_child(name: &str, var: &str, db: &Path) -> std::process::Output {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &format!("store::journal::tests::{name}")])
        .args(["--nocapture", "--test-threads=1"])
        .env(var, db)
        .output()
        .unwrap()
}

/// Run as a child process by the test below: logs an outcome and moves a stage on the
/// book at `LEADQ_JOURNAL_CHILD`, says so, and dies at once, with no flush and no
/// destructor — as a kill right after the console confirmed them would.
#[test]
fn journal_child_commits_then_aborts() {
    let Ok(path) = std::env::var("LEADQ_JOURNAL_CHILD") else {
        return;
    };
    let store = Store::open(Path::new(&path)).unwrap();
    // sled persists its id generator with a blocking flush at a process's first id; take
    // it here so that nothing but the journal makes the commits below durable.
    store.db.generate_id().unwrap();
    let req = crate::store::worklog::LogRequest {
        outcome: "meeting_booked".into(),
        note: "after the crash".into(),
        ..Default::default()
    };
    let rec = crate::store::worklog::log_outcome(&store, 1, &req, vec![], None, 5_000).unwrap();
    crate::store::stage::move_stage(&store, 2, "Contacted", 5_001).unwrap();
    println!("confirmed #{}", rec.seq);
    std::io::stdout().flush().unwrap();
    std::process::abort();
}

#[test]
fn commits_confirmed_before_a_crash_are_there_after_it() {
    let (_dir, db) = flushed_book(2);
    let out = run_child(
        "journal_child_commits_then_aborts",
        "LEADQ_JOURNAL_CHILD",
        &db,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success(),
        "the child must die, not exit: {stdout}"
    );
    let seq: u64 = stdout
        .split("confirmed #")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the child confirmed nothing: {stdout}"));
    assert!(!entries_in(&db.join(JOURNAL_FILE)).is_empty());

    let store = Store::open(&db).unwrap();
    let rec = store.outcome(seq).unwrap().expect("the confirmed outcome");
    assert_eq!(rec.note, "after the crash");
    assert_eq!(store.lead(1).unwrap().unwrap().stage, "Qualified");
    assert_eq!(store.lead(2).unwrap().unwrap().stage, "Contacted");
    assert_eq!(store.journal_len(), 0, "the open's flush covers the replay");
    // The sequence number the crashed process used is never handed out again.
    assert!(store.next_outcome_seq().unwrap() > seq);
    // Nor the key of its timeline entry: an outcome on the same lead in the same second
    // adds an entry beside it instead of replacing it.
    let req = crate::store::worklog::LogRequest {
        outcome: "no_answer".into(),
        note: "after the reopen".into(),
        ..Default::default()
    };
    crate::store::worklog::log_outcome(&store, 1, &req, vec![], None, 5_000).unwrap();
    let notes: Vec<String> = store
        .activities_of(1)
        .unwrap()
        .into_iter()
        .filter(|a| a.at == 5_000)
        .map(|a| a.detail)
        .collect();
    assert!(
        notes.contains(&"after the crash".to_string())
            && notes.contains(&"after the reopen".to_string()),
        "{notes:?}"
    );
}

/// Run as a child process by the test below: logs an outcome on the book at
/// `LEADQ_JOURNAL_HALF_CHILD` and dies after the journal has it and before sled does.
#[test]
fn journal_child_dies_between_journal_and_sled() {
    let Ok(path) = std::env::var("LEADQ_JOURNAL_HALF_CHILD") else {
        return;
    };
    let store = Store::open(Path::new(&path)).unwrap();
    let req = crate::store::worklog::LogRequest {
        outcome: "meeting_booked".into(),
        note: "half-way".into(),
        ..Default::default()
    };
    ABORT_BEFORE_APPLY.store(true, Ordering::SeqCst);
    let _ = crate::store::worklog::log_outcome(&store, 1, &req, vec![], None, 5_000);
    unreachable!("the commit aborts the process");
}

/// Whatever part of a commit sled's files can hold, the journal already holds all of it:
/// a process killed between the two leaves a commit the next open completes, outcome,
/// activity, lead and counter together (never an outcome without its timeline entry).
#[test]
fn a_commit_killed_before_sled_has_it_is_completed_on_open() {
    let (_dir, db) = flushed_book(1);
    let out = run_child(
        "journal_child_dies_between_journal_and_sled",
        "LEADQ_JOURNAL_HALF_CHILD",
        &db,
    );
    assert!(
        !out.status.success() && out.status.code().is_none(),
        "the child must die by abort: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!entries_in(&db.join(JOURNAL_FILE)).is_empty());

    let store = Store::open(&db).unwrap();
    let rec = store
        .outcomes()
        .map(|r| r.unwrap())
        .find(|r| r.note == "half-way")
        .expect("the journaled outcome is applied on open");
    assert_eq!(rec.note, "half-way");
    let timeline = store.activities_of(1).unwrap();
    assert!(
        timeline
            .iter()
            .any(|a| a.at == rec.at && a.detail == rec.note),
        "its activity came with it: {timeline:?}"
    );
    assert_eq!(store.lead(1).unwrap().unwrap().stage, "Qualified");
    assert!(store.next_outcome_seq().unwrap() > rec.seq);
    assert_eq!(store.journal_len(), 0);
}

#[test]
fn a_damaged_first_header_refuses_the_book_instead_of_reading_as_empty() {
    let es = [entry(3, b"a", b"1"), entry(3, b"b", b"2")];
    let bytes = framed(&es, 9, 4096);
    // The magic zeroed (as a wipe would, but the rest of the header kept), or turned into
    // other bytes (read as the older layout): the whole second entry says it is damage.
    for magic in [[0u8; 4], [1, 0, 0, 0], [0x4c, 0x51, 0x4a, 0x33]] {
        let mut damaged = bytes.clone();
        damaged[..4].copy_from_slice(&magic);
        let err = read_entries(&damaged).unwrap_err();
        assert!(err.contains("byte 0"), "{magic:?}: {err}");
    }
    // A real wipe zeroes the whole header: nothing to read, no damage.
    let mut wiped = bytes.clone();
    wiped[..HEADER].fill(0);
    assert_eq!(read_entries(&wiped).unwrap().entries, vec![]);
}

#[test]
fn an_open_that_fails_leaves_the_journal_and_the_seal_as_they_were() {
    let (_dir, db) = flushed_book(1);
    let path = db.join(JOURNAL_FILE);
    let es = [entry(u64::MAX, b"a", b"1"), entry(u64::MAX, b"b", b"2")];
    let mut bytes = framed(&es, 4, 0);
    bytes[HEADER + 1] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    std::fs::remove_file(db.join(crate::store::integrity::SEAL_FILE)).unwrap();
    // On the real files, past the careful path's copy, as when a transient error hits.
    for _ in 0..2 {
        let err = Store::open_unchecked(&db).unwrap_err().to_string();
        assert!(err.contains("checksum"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "the journal is kept");
        assert!(
            !db.join(crate::store::integrity::SEAL_FILE).exists(),
            "not sealed"
        );
    }
}

#[test]
fn commits_journaled_before_a_schema_upgrade_are_replayed_before_it() {
    let (_dir, db) = flushed_book(1);
    let stored = {
        let store = Store::open(&db).unwrap();
        store
            .meta
            .insert(crate::store::META_SCHEMA, &2u32.to_be_bytes())
            .unwrap();
        store.flush().unwrap();
        store.generation().unwrap()
    };
    // What a crash of a schema-2 build left: one confirmed commit in the journal.
    let mut bytes = frame(&entry(stored, b"before-upgrade", b"1"), 11);
    bytes.resize(4096, 0);
    std::fs::write(db.join(JOURNAL_FILE), &bytes).unwrap();

    let store = Store::open(&db).unwrap();
    assert_eq!(
        store.meta.get(b"before-upgrade").unwrap().as_deref(),
        Some(&b"1"[..])
    );
    let schema = store.meta.get(crate::store::META_SCHEMA).unwrap().unwrap();
    assert_eq!(schema.as_ref(), crate::store::SCHEMA_VERSION.to_be_bytes());
}

/// A schema 3 book's journal writes activities one record each: a crash of such a build
/// leaves commits that the open replays into the old records first, and the upgrade then
/// moves into the lead's timeline with the activities already there.
#[test]
fn activities_journaled_by_a_schema_3_build_end_up_in_the_timeline() {
    use crate::core::model::{Activity, ActivityKind};
    let (_dir, db) = flushed_book(1);
    let act = |at, detail: &str| Activity {
        lead: 5,
        at,
        kind: ActivityKind::Note,
        detail: detail.into(),
    };
    let old_key = |at, seq| crate::store::tests::schema_3_activity_key(5, at, seq);
    let stored = {
        let store = Store::open(&db).unwrap();
        store.timelines.clear().unwrap();
        store
            .activities
            .insert(old_key(100, 1), codec::encode(&act(100, "first")))
            .unwrap();
        store
            .meta
            .insert(crate::store::META_SCHEMA, &3u32.to_be_bytes())
            .unwrap();
        store.flush().unwrap();
        store.generation().unwrap()
    };
    let later = Entry {
        generation: stored,
        ops: vec![Op::Put {
            tree: TreeId::Activities,
            key: old_key(50, 1 << 63),
            value: codec::encode(&act(50, "journaled")),
        }],
    };
    let mut bytes = frame(&later, 13);
    bytes.resize(4096, 0);
    std::fs::write(db.join(JOURNAL_FILE), &bytes).unwrap();

    let store = Store::open(&db).unwrap();
    assert_eq!(
        store.activities_of(5).unwrap(),
        [act(50, "journaled"), act(100, "first")]
    );
    assert!(store.activities.is_empty());
    let schema = store.meta.get(crate::store::META_SCHEMA).unwrap().unwrap();
    assert_eq!(schema.as_ref(), crate::store::SCHEMA_VERSION.to_be_bytes());
}

/// Journals name trees by their place in `TreeId`: a tree added later must take a new
/// number, so that every journal an older build wrote still applies to the tree it meant.
#[test]
fn tree_numbers_in_journals_never_move() {
    let numbers = [
        (TreeId::Leads, 0u8),
        (TreeId::Activities, 1),
        (TreeId::Weights, 2),
        (TreeId::Outcomes, 3),
        (TreeId::LeadOutcomes, 4),
        (TreeId::Meta, 5),
        (TreeId::Timelines, 6),
    ];
    for (tree, n) in numbers {
        let bytes = bincode::serde::encode_to_vec(tree, bincode::config::standard()).unwrap();
        assert_eq!(bytes, [n], "{tree:?}");
    }
}
