//! The commit journal: a small file beside sled's, synced on every commit, so a write the
//! user sees as done (an outcome, its undo, a stage move) is durable without waiting for
//! sled to flush its whole log.
//!
//! It is a write-ahead log: a commit writes its operations with the database's flush
//! generation and syncs the journal, and only then applies them to sled in one transaction
//! (which other threads see whole). So whenever any part of a commit can be in sled's
//! files — its background flusher writes every half second, and a kill can land between
//! the pages of one transaction — the whole commit is in the journal, and nothing rests on
//! sled recovering a multi-tree transaction whole. Every [`Store::flush`] — which counts a
//! generation — covers all the commits applied before it. On open, entries written at or after the
//! stored generation are applied again in order (each operation sets a whole value, so
//! applying one twice changes nothing); entries older than it were already covered by a
//! flush and are skipped. A flush empties the journal when no commit raced it.
//!
//! The file is laid out ahead of its entries: zeros written and synced once, a megabyte at
//! a time, so that a commit overwrites blocks that already exist and its `fdatasync` writes
//! the entry alone — no size or block map to journal in the file system (measured here:
//! 0.16 ms against 0.20–0.35 ms for appending to a growing file). Emptying the journal goes
//! back to its start under a new epoch instead of truncating it, so older entries may lie
//! past the last one; they carry another epoch and are not read. Each emptying and each
//! open with nothing to replay starts a random epoch, never one the file held.
//!
//! Each entry is framed as a magic number (u32 LE), length (u32 LE), CRC-32 of the epoch
//! and payload (u32 LE), epoch (u64 LE), payload (the codec's format byte + bincode).
//! Reading stops at the first frame that is not a whole entry of the first one's epoch: a
//! torn last entry is a commit that never returned and never reached sled. A whole entry of
//! that epoch anywhere past the stop means the entry there is damaged, not torn, and the
//! database is refused.
//! A journal written before this layout (length, CRC, payload, appended) is still read.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sled::transaction::ConflictableTransactionError;

use super::{Result, Store, StoreError, codec, paths};

mod format;
use format::{HEADER, frame, legacy_frame, read_entries};

/// Beside sled's files.
pub const JOURNAL_FILE: &str = "leadq.journal";
/// The journal is laid out (zeros, synced) this much at a time.
const CHUNK: u64 = 1 << 20;

/// The trees a journaled commit may write.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeId {
    Leads,
    /// One record per activity, before schema 4: only in journals an older leadq wrote,
    /// replayed before the book's upgrade moves them into [`TreeId::Timelines`].
    Activities,
    Weights,
    Outcomes,
    LeadOutcomes,
    Meta,
    /// One record per lead: its whole timeline (schema 4).
    Timelines,
}

const TREES: [TreeId; 7] = [
    TreeId::Leads,
    TreeId::Activities,
    TreeId::Weights,
    TreeId::Outcomes,
    TreeId::LeadOutcomes,
    TreeId::Meta,
    TreeId::Timelines,
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

/// Where the next entry goes.
#[derive(Debug)]
struct Tail {
    file: File,
    /// The end of the last entry of the current epoch.
    end: u64,
    /// Bytes laid out (zeros or entries) and synced: writes below this change no size.
    laid_out: u64,
    epoch: u64,
    /// The file is in the older, appended layout (until the journal is next emptied).
    legacy: bool,
    /// A failed write could not be taken back: no commit is accepted until the book is
    /// opened again (it might read as confirmed).
    broken: bool,
}

/// The open journal file of one [`Store`] (shared by its clones).
#[derive(Debug)]
pub(crate) struct Journal {
    tail: Mutex<Tail>,
    /// Held by a commit from its write until sled has its operations, and by a flush while
    /// it notes what it will cover and counts its generation: every commit is either applied
    /// before that flush's generation is counted (and covered by it) or journaled with the
    /// new generation (and replayed after a crash).
    commits: Mutex<()>,
    /// Commits written since the store opened; a flush empties the journal only when none
    /// came while it ran.
    appended: AtomicU64,
    /// Bytes of entries since the journal was last emptied.
    bytes: AtomicU64,
    /// What the open read, for [`Store::replay_journal`].
    found: Mutex<Option<std::result::Result<Vec<Entry>, String>>>,
}

impl Journal {
    pub(crate) fn open(dir: &Path) -> std::io::Result<Journal> {
        let path = dir.join(JOURNAL_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        paths::restrict_file(&path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let read = read_entries(&bytes);
        let (end, mut epoch, mut legacy) = match &read {
            Ok(r) => (r.end, r.epoch, r.legacy),
            // Refused by the replay; nothing is written before it.
            Err(_) => (bytes.len() as u64, 0, true),
        };
        if legacy && read.as_ref().is_ok_and(|r| r.entries.is_empty()) {
            // The older layout with nothing whole in it: a torn entry no flush will clear.
            // (A file of the current layout whose first header is damaged is refused by
            // `read_entries`, never cut here.)
            file.set_len(0)?;
            bytes.clear();
            legacy = false;
        }
        if end == 0 && !legacy {
            // Nothing to replay: a new epoch, so that no entry of an earlier session left in
            // the file is read as one of this session's.
            epoch = new_epoch();
        }
        let laid_out = if legacy { end } else { bytes.len() as u64 };
        Ok(Journal {
            tail: Mutex::new(Tail {
                file,
                end,
                laid_out,
                epoch,
                legacy,
                broken: false,
            }),
            commits: Mutex::new(()),
            appended: AtomicU64::new(0),
            bytes: AtomicU64::new(end),
            found: Mutex::new(Some(read.map(|r| r.entries))),
        })
    }

    fn tail(&self) -> std::sync::MutexGuard<'_, Tail> {
        self.tail.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Blocks commits while held (see the field `commits`).
    pub(crate) fn hold_commits(&self) -> std::sync::MutexGuard<'_, ()> {
        self.commits.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes every later append fail, until the book is opened again.
    pub(crate) fn refuse_commits(&self) {
        self.tail().broken = true;
    }

    /// Commits appended so far (for [`Journal::clear_if_unchanged`]).
    pub(crate) fn appended(&self) -> u64 {
        self.appended.load(Ordering::SeqCst)
    }

    /// Bytes in the journal: zero once a flush covered every commit.
    pub(crate) fn len(&self) -> u64 {
        self.bytes.load(Ordering::SeqCst)
    }

    /// Lays out the file (zeros, synced) to hold at least `upto` bytes, so that commits
    /// below it change no size. Not in the older layout, whose tail is appended to.
    fn lay_out(tail: &mut Tail, upto: u64, sync: bool) -> std::io::Result<()> {
        if tail.legacy || upto <= tail.laid_out {
            return Ok(());
        }
        let to = upto.div_ceil(CHUNK) * CHUNK;
        let zeros = vec![0u8; (to - tail.laid_out) as usize];
        tail.file.write_all_at(&zeros, tail.laid_out)?;
        if sync {
            tail.file.sync_data()?;
        }
        tail.laid_out = to;
        Ok(())
    }

    /// Lays out the first megabyte ahead of the first commit, so that it does not wait for
    /// it.
    pub(crate) fn prepare(&self) -> std::io::Result<()> {
        let mut tail = self.tail();
        let upto = tail.end + CHUNK / 2;
        Self::lay_out(&mut tail, upto, true)
    }

    fn append(&self, entry: &Entry) -> std::io::Result<()> {
        let mut tail = self.tail();
        if tail.broken {
            return Err(std::io::Error::other(
                "an earlier commit failed part-way (the commit journal or the database \
                 refused it); close and open the book again",
            ));
        }
        let frame = if tail.legacy {
            legacy_frame(entry)
        } else {
            frame(entry, tail.epoch)
        };
        let at = tail.end;
        let end = at + frame.len() as u64;
        // Zeros past the end are synced with the entry below (a size change, now and then).
        // Should the disk not hold a whole chunk, the entry alone may still fit.
        if Self::lay_out(&mut tail, end, false).is_err() {
            tracing::warn!(
                "the commit journal could not be laid out ahead; writing the entry alone"
            );
        }
        // The entry (and, when the file grew, the size needed to read it back): what makes
        // the commit durable.
        let written = tail
            .file
            .write_all_at(&frame, at)
            .and_then(|()| tail.file.sync_data());
        if let Err(e) = written {
            // The caller reports the commit as failed, so it must not come back at the next
            // open: its header is wiped, or, failing that, nothing more is written.
            let header = vec![0u8; HEADER.min(frame.len())];
            if tail
                .file
                .write_all_at(&header, at)
                .and_then(|()| tail.file.sync_data())
                .is_err()
            {
                tail.broken = true;
            }
            return Err(e);
        }
        tail.end = end;
        tail.laid_out = tail.laid_out.max(end);
        self.bytes.store(end, Ordering::SeqCst);
        self.appended.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Empties the journal after a flush that began when `appended` commits had been
    /// written, unless another commit came since (its entry may not be covered yet). The wipe is synced, so that a later entry's sync never lands beside an
    /// older epoch's first entry (a torn overwrite of that would read as damage).
    pub(crate) fn clear_if_unchanged(&self, appended: u64) -> std::io::Result<()> {
        let mut tail = self.tail();
        if self.appended.load(Ordering::SeqCst) != appended || (tail.end == 0 && !tail.legacy) {
            return Ok(());
        }
        if tail.legacy {
            tail.file.set_len(0)?;
            tail.laid_out = 0;
            tail.legacy = false;
        } else {
            // The first entry's header, wiped: the file reads as empty from here on.
            tail.file.write_all_at(&[0u8; HEADER], 0)?;
            tail.file.sync_data()?;
        }
        tail.end = 0;
        // A new epoch, so that the entries left past the next ones are never read as theirs.
        tail.epoch = new_epoch();
        self.bytes.store(0, Ordering::SeqCst);
        Ok(())
    }
}

/// A random epoch (the standard library's hasher keys come from the system's randomness):
/// two epochs of one file are equal once in 2^64, whatever the clock does.
fn new_epoch() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::process::id().into());
    h.finish()
}

impl Store {
    fn journal_tree(&self, t: TreeId) -> &sled::Tree {
        match t {
            TreeId::Leads => &self.leads,
            TreeId::Activities => &self.activities,
            TreeId::Timelines => &self.timelines,
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
    /// device), the error is returned; an open before the next flush applies them again
    /// (sled's transaction applies all of them or none).
    #[cfg(test)]
    pub(crate) fn commit(&self, ops: Vec<Op>) -> Result<()> {
        self.commit_with(|| Ok(ops))
    }

    /// [`Store::commit`] of the operations `ops` returns, called with commits held: for
    /// operations built from what the book holds now (a timeline read and written whole),
    /// which no other commit may change in between.
    pub(crate) fn commit_with(&self, ops: impl FnOnce() -> Result<Vec<Op>>) -> Result<()> {
        let _held = self.journal.hold_commits();
        let entry = Entry {
            generation: self.generation()?,
            ops: ops()?,
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
        let applied = self.apply_ops(&entry.ops);
        if applied.is_err() {
            // The journal holds it and the next open applies it. A later commit must not
            // be built on the book without it (a timeline written whole would drop its
            // activity at that replay): none is taken until then.
            self.journal.refuse_commits();
        }
        applied
    }

    /// Runs a transaction that reads one counter and writes nothing over the trees a commit
    /// writes, so that the first outcome a rep logs does not pay for sled's first
    /// transaction of the process (sled moves its concurrency control to locking then):
    /// on a 10⁶-lead book the first commit's transaction took 22–31 ms, later ones 1–5 ms,
    /// and 1.4–2.7 ms after this ran while the book loaded.
    /// It also lays out the journal ahead of the first commit (a megabyte of zeros, synced),
    /// so that the first commit does not wait for that either.
    pub fn warm_commits(&self) -> Result<()> {
        self.journal.prepare().map_err(|source| StoreError::Io {
            path: self.path.clone(),
            source,
        })?;
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
        let found = self
            .journal
            .found
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let entries = found.unwrap_or(Ok(Vec::new())).map_err(|detail| {
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
pub(super) mod tests;
