//! The commit journal: a small append-only file beside sled's, synced on every commit, so a
//! write the user sees as done (an outcome, its undo, a stage move) is durable without
//! waiting for sled to flush its whole log.
//!
//! It is a write-ahead log: a commit appends its operations with the database's flush
//! generation and syncs the journal (`fdatasync` of a file of a few kilobytes: well under a
//! millisecond here, where a sled flush of a large book stalls for hundreds), and only then
//! applies them to sled in one transaction. So whenever any part of a commit can be in
//! sled's files — its background flusher writes every half second, and a kill can land
//! between the pages of one transaction — the whole commit is in the journal, and nothing
//! rests on sled recovering a multi-tree transaction whole. Every [`Store::flush`] — which
//! counts a generation — covers all the commits applied before it. On open, entries written
//! at or after the stored generation are applied again in order (each operation sets a whole
//! value, so applying one twice changes nothing); entries older than it were already covered
//! by a flush and are skipped. A flush empties the journal when no commit raced it.
//!
//! Each entry is framed as length (u32 LE), CRC-32 of the payload (u32 LE), payload (the
//! codec's format byte + bincode). A torn last entry is a commit that never returned and
//! never reached sled, so it is ignored; a damaged entry with more after it is damage, and
//! the database is refused.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sled::transaction::ConflictableTransactionError;

use super::{Result, Store, StoreError, codec, paths};

/// Beside sled's files.
pub const JOURNAL_FILE: &str = "leadq.journal";
/// A frame longer than this is damage (no commit is near it).
const MAX_FRAME: u32 = 64 << 20;

/// The trees a journaled commit may write.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeId {
    Leads,
    Activities,
    Weights,
    Outcomes,
    LeadOutcomes,
    Meta,
}

const TREES: [TreeId; 6] = [
    TreeId::Leads,
    TreeId::Activities,
    TreeId::Weights,
    TreeId::Outcomes,
    TreeId::LeadOutcomes,
    TreeId::Meta,
];

/// One change of a commit. Applying the same operation twice leaves what applying it once
/// did, which is what makes replay after a crash safe.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum Op {
    Put {
        tree: TreeId,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Remove {
        tree: TreeId,
        key: Vec<u8>,
    },
    /// A big-endian u64 counter raised to at least `value` (never lowered: a replayed older
    /// commit must not hand out numbers a later one used).
    AtLeast {
        tree: TreeId,
        key: Vec<u8>,
        value: u64,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Entry {
    /// The database's flush generation after the operations were applied.
    generation: u64,
    ops: Vec<Op>,
}

/// The open journal file of one [`Store`] (shared by its clones).
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    /// Held by a commit from its append until sled has its operations, and by a flush while
    /// it notes what it will cover and counts its generation: every commit is either applied
    /// before that flush's generation is counted (and covered by it) or journaled with the
    /// new generation (and replayed after a crash).
    commits: Mutex<()>,
    /// Commits appended since the store opened; a flush empties the file only when none
    /// came while it ran.
    appended: AtomicU64,
    bytes: AtomicU64,
}

impl Journal {
    pub(crate) fn open(dir: &Path) -> std::io::Result<Journal> {
        let path = dir.join(JOURNAL_FILE);
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        paths::restrict_file(&path)?;
        let bytes = file.metadata()?.len();
        Ok(Journal {
            path,
            file: Mutex::new(file),
            commits: Mutex::new(()),
            appended: AtomicU64::new(0),
            bytes: AtomicU64::new(bytes),
        })
    }

    /// Blocks commits while held (see the field `commits`).
    pub(crate) fn hold_commits(&self) -> std::sync::MutexGuard<'_, ()> {
        self.commits.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Commits appended so far (for [`Journal::clear_if_unchanged`]).
    pub(crate) fn appended(&self) -> u64 {
        self.appended.load(Ordering::SeqCst)
    }

    /// Bytes in the journal: zero once a flush covered every commit.
    pub(crate) fn len(&self) -> u64 {
        self.bytes.load(Ordering::SeqCst)
    }

    fn append(&self, entry: &Entry) -> std::io::Result<()> {
        let frame = frame(entry);
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&frame)?;
        // The data and the size needed to read it back: what makes the commit durable.
        file.sync_data()?;
        self.bytes.fetch_add(frame.len() as u64, Ordering::SeqCst);
        self.appended.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Empties the journal after a flush that began when `appended` commits had been
    /// written, unless another commit came since (its entry may not be covered yet). Not
    /// synced: entries that come back after a crash are older than the stored generation
    /// and are skipped.
    pub(crate) fn clear_if_unchanged(&self, appended: u64) -> std::io::Result<()> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if self.appended.load(Ordering::SeqCst) == appended && self.len() > 0 {
            file.set_len(0)?;
            self.bytes.store(0, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// One entry as written: length, checksum, payload.
fn frame(entry: &Entry) -> Vec<u8> {
    let payload = codec::encode(entry);
    let mut frame = Vec::with_capacity(payload.len() + 8);
    frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    frame.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    frame.extend_from_slice(&payload);
    frame
}

/// Reads the entries of a journal file: complete ones in order, a torn tail dropped.
fn read_entries(path: &Path) -> std::result::Result<Vec<Entry>, String> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut f) => f.read_to_end(&mut bytes).map_err(|e| e.to_string())?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.to_string()),
    };
    let mut entries = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.len() < 8 {
            break; // a torn header: the commit never returned
        }
        let len = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes"));
        let crc = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes"));
        if len > MAX_FRAME {
            return Err(format!("entry at byte {at} claims {len} bytes"));
        }
        let end = 8 + len as usize;
        if rest.len() < end {
            break; // a torn payload
        }
        let payload = &rest[8..end];
        if crc32fast::hash(payload) != crc {
            if at + end == bytes.len() {
                break; // the last write was torn inside its payload
            }
            return Err(format!("entry at byte {at} fails its checksum"));
        }
        let entry: Entry =
            codec::decode(payload).map_err(|e| format!("entry at byte {at}: {e}"))?;
        entries.push(entry);
        at += end;
    }
    Ok(entries)
}

impl Store {
    fn journal_tree(&self, t: TreeId) -> &sled::Tree {
        match t {
            TreeId::Leads => &self.leads,
            TreeId::Activities => &self.activities,
            TreeId::Weights => &self.weights,
            TreeId::Outcomes => &self.outcomes,
            TreeId::LeadOutcomes => &self.lead_outcomes,
            TreeId::Meta => &self.meta,
        }
    }

    /// Applies `ops` in one sled transaction: all of them or none.
    fn apply_ops(&self, ops: &[Op]) -> Result<()> {
        let trees: Vec<&sled::Tree> = TREES.iter().map(|&t| self.journal_tree(t)).collect();
        let slot = |t: TreeId| TREES.iter().position(|&x| x == t).expect("every tree");
        sled::Transactional::transaction(trees.as_slice(), |view| {
            for op in ops {
                match op {
                    Op::Put { tree, key, value } => {
                        view[slot(*tree)].insert(key.as_slice(), value.as_slice())?;
                    }
                    Op::Remove { tree, key } => {
                        view[slot(*tree)].remove(key.as_slice())?;
                    }
                    Op::AtLeast { tree, key, value } => {
                        let t = &view[slot(*tree)];
                        let cur = t
                            .get(key.as_slice())?
                            .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
                            .map(u64::from_be_bytes);
                        if cur.is_none_or(|c| c < *value) {
                            t.insert(key.as_slice(), &value.to_be_bytes())?;
                        }
                    }
                }
            }
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        })
        .map_err(|e| self.transaction_error(e))
    }

    fn transaction_error(&self, e: sled::transaction::TransactionError<StoreError>) -> StoreError {
        match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => self.sled_error(e),
        }
    }

    /// Makes `ops` durable in the journal, then applies them to sled atomically: the write
    /// a user sees confirmed survives a crash or a kill from here on, and a commit killed
    /// half-way through sled is completed at the next open.
    ///
    /// Should sled refuse the operations after the journal has them (a full disk, a failing
    /// device), the error is returned and the next open applies them again.
    pub(crate) fn commit(&self, ops: Vec<Op>) -> Result<()> {
        let _held = self.journal.hold_commits();
        let entry = Entry {
            generation: self.generation()?,
            ops,
        };
        self.journal
            .append(&entry)
            .map_err(|source| StoreError::Io {
                path: self.path.clone(),
                source,
            })?;
        #[cfg(test)]
        if tests::ABORT_BEFORE_APPLY.load(Ordering::SeqCst) {
            std::process::abort();
        }
        self.apply_ops(&entry.ops)
    }

    /// Runs a transaction that reads one counter and writes nothing over the trees a commit
    /// writes, so that the first outcome a rep logs does not pay for sled's first
    /// transaction of the process (sled moves its concurrency control to locking then):
    /// on a 10⁶-lead book the first commit's transaction took 22–31 ms, later ones 1–5 ms,
    /// and 1.4–2.7 ms after this ran while the book loaded.
    pub fn warm_commits(&self) -> Result<()> {
        let trees: Vec<&sled::Tree> = TREES.iter().map(|&t| self.journal_tree(t)).collect();
        let meta = TREES
            .iter()
            .position(|&t| t == TreeId::Meta)
            .expect("every tree");
        sled::Transactional::transaction(trees.as_slice(), |view| {
            view[meta].get(super::META_NEXT_OUTCOME)?;
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        })
        .map_err(|e| self.transaction_error(e))
    }

    /// Bytes of commits not yet covered by a flush (0 after a flush with no commit racing
    /// it). The console flushes on its worker when this is not 0 and it is idle.
    pub fn journal_len(&self) -> u64 {
        self.journal.len()
    }

    /// After open: applies again every journaled commit no flush covered (a crash or kill
    /// may have left sled without it), then flushes, which empties the journal.
    pub(crate) fn replay_journal(&self) -> Result<()> {
        let entries = read_entries(&self.journal.path).map_err(|detail| {
            self.corrupt(
                JOURNAL_FILE,
                format!("{detail}; the commits in it could not be read"),
            )
        })?;
        if entries.is_empty() && self.journal.len() == 0 {
            return Ok(());
        }
        let stored = self.generation()?;
        let mut replayed = 0usize;
        for entry in entries.iter().filter(|e| e.generation >= stored) {
            self.apply_ops(&entry.ops)?;
            replayed += 1;
        }
        if replayed > 0 {
            tracing::info!("re-applied {replayed} journaled commits after an unclean close");
        }
        self.flush()
    }
}

#[cfg(test)]
pub(super) mod tests {
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

    #[test]
    fn a_torn_last_entry_is_dropped_and_damage_before_the_end_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let a = Entry {
            generation: 3,
            ops: vec![put(b"a", b"1")],
        };
        let b = Entry {
            generation: 3,
            ops: vec![put(b"b", b"2")],
        };
        let mut bytes = frame(&a);
        bytes.extend_from_slice(&frame(&b));
        // Every cut inside the second entry keeps exactly the first.
        let first = frame(&a).len();
        for cut in first..bytes.len() {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert_eq!(read_entries(&path).unwrap(), vec![a.clone()]);
        }
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read_entries(&path).unwrap().len(), 2);
        // A flipped byte in the first entry, with a whole entry after it, is damage.
        let mut damaged = bytes.clone();
        damaged[first - 1] ^= 0xff;
        std::fs::write(&path, &damaged).unwrap();
        let err = read_entries(&path).unwrap_err();
        assert!(err.contains("byte 0") && err.contains("checksum"), "{err}");
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
        let entries = read_entries(&dir.path().join("db").join(JOURNAL_FILE)).unwrap();
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
        assert!(
            std::fs::metadata(&journal).unwrap().len() > 0,
            "a clone is still open"
        );
        drop(other);
        assert_eq!(std::fs::metadata(&journal).unwrap().len(), 0);
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
        assert!(std::fs::metadata(db.join(JOURNAL_FILE)).unwrap().len() > 0);

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
        assert!(std::fs::metadata(db.join(JOURNAL_FILE)).unwrap().len() > 0);

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
}
