//! Opening a book (checks, schema upgrades, replay of the commit journal) and making its
//! writes durable (the counted flush).

use std::fs::File;
use std::path::{Path, PathBuf};

use super::*;
use crate::core::model::Activity;

/// sled's page cache. Its default (1 GiB) let a scan of a million-lead book keep every page
/// it read resident — about a kilobyte per lead — while the in-memory index, not sled, serves
/// the queue; pages past this cap are read again from the OS page cache when needed. sled
/// holds about twice its nominal cap: 64 MiB held ~125 MB after the load's scan of a
/// 10⁶-lead book, 16 MiB ~65 MB, with outcome commits as fast (p50 1.0 ms either way:
/// the pages a commit writes are a handful, and hot).
const SLED_CACHE_BYTES: u64 = 16 << 20;

/// sled's page cache in a process that writes a whole book and exits (`leadq import`,
/// `leadq demo`): an import looks up every row's email key, and with 16 MiB the 10⁶-row
/// import ran 2–4 % slower in alternated runs, close to its budget. Its memory is not the
/// console's.
const SLED_BULK_CACHE_BYTES: u64 = 64 << 20;

/// The page cache of the books this process opens from now on.
static CACHE_BYTES: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(SLED_CACHE_BYTES);

/// Books opened from now on get the larger page cache of a bulk write: for a command that
/// writes a whole book and exits, not for the console.
pub fn use_bulk_write_cache() {
    CACHE_BYTES.store(SLED_BULK_CACHE_BYTES, std::sync::atomic::Ordering::Relaxed);
}

/// Said before the upgrade to schema 4 of a book with activity.
pub const UPGRADE_NOTICE: &str =
    "upgrading this book from an older leadq, once: about 40 s a million leads";

/// Timelines written per batch by the upgrade to schema 4.
const UPGRADE_BATCH: usize = 8_192;

impl Store {
    /// Opens (or creates) the database directory at `path`.
    ///
    /// Fails with [`StoreError::Locked`] when another process has it open, with
    /// [`StoreError::NewerSchema`] for data of a newer leadq, and never writes to a database
    /// it refuses: unless its files are as the last clean close left them, a copy is opened
    /// first, because sled's recovery rewrites a damaged log before leadq can refuse it.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with_notice(path, &mut |_| {})
    }

    /// [`Store::open`], calling `notice` with a line to show before a long step of the open
    /// begins (the one-time upgrade of a book an older leadq wrote: about 40 s for 10⁶ leads
    /// with history), so that the wait is said, not silent.
    pub fn open_with_notice(path: &Path, notice: &mut dyn FnMut(&str)) -> Result<Store> {
        paths::create_private_dir(path).map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        remove_unfinished_snapshots(path).map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        integrity::check_before_open(path)?;
        // Whoever opens the book may change it: the console's saved first page describes the
        // book only up to the close that wrote it.
        match std::fs::remove_file(path.join(FIRST_PAGE_FILE)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(StoreError::Io {
                    path: path.to_path_buf(),
                    source: e,
                });
            }
            _ => {}
        }
        let mut store = Store::open_unchecked_with(path, Some(notice))?;
        // An import killed part-way left leads its email keys do not find yet. If putting
        // them right fails (a full disk), the book still opens: the mark stays, the next
        // open tries again, and an import refuses to start until it succeeds.
        if store.has_unfinished_import()? {
            match store.finish_interrupted_import() {
                Ok(keys) => store.interrupted_import = Some(keys),
                Err(e) => tracing::warn!("repairing an interrupted import failed: {e}"),
            }
        }
        Ok(store)
    }

    /// Opens the database at `path` with sled right away (see [`Store::open`]).
    #[cfg(test)]
    pub(super) fn open_unchecked(path: &Path) -> Result<Store> {
        Store::open_unchecked_with(path, Some(&mut |_| {}))
    }

    /// [`Store::open_unchecked`] for the check of a copy after an unclean close: sled's
    /// recovery and the journal's replay, without the schema upgrade, which the open of the
    /// book itself runs (on a 10⁶-lead book the upgrade to schema 4 takes half a minute).
    pub(super) fn open_for_check(path: &Path) -> Result<Store> {
        Store::open_unchecked_with(path, None)
    }

    /// `upgrade`: run the schema upgrade, announcing it to this; `None` leaves the schema.
    fn open_unchecked_with(path: &Path, upgrade: Option<&mut dyn FnMut(&str)>) -> Result<Store> {
        let io = |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        paths::create_private_dir(path).map_err(io)?;
        remove_unfinished_snapshots(path).map_err(io)?;
        // A handle dropped a moment ago may still be closing on sled's flusher thread, so a
        // lock conflict is retried briefly before it is reported as another process.
        let mut attempts = 0;
        let db = loop {
            // sled can panic on some damaged files; that is damage, not a crash of leadq.
            let opened = std::panic::catch_unwind(|| {
                sled::Config::new()
                    .path(path)
                    .cache_capacity(CACHE_BYTES.load(std::sync::atomic::Ordering::Relaxed))
                    .open()
            })
            .unwrap_or_else(|_| {
                Err(sled::Error::Unsupported(
                    "sled panicked while recovering the log".into(),
                ))
            });
            match opened {
                Ok(db) => break db,
                Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") => {
                    attempts += 1;
                    if attempts >= 10 {
                        return Err(StoreError::Locked {
                            path: path.to_path_buf(),
                        });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                Err(sled::Error::Io(e)) => return Err(io(e)),
                Err(e) => {
                    let detail = e.to_string();
                    return Err(StoreError::Corrupt {
                        path: path.to_path_buf(),
                        detail,
                    });
                }
            }
        };
        let sled_err = |e: sled::Error| StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: e.to_string(),
        };
        let tree = |name: &str| db.open_tree(name).map_err(sled_err);
        let data_file = File::open(path.join("db")).map_err(io)?;
        paths::restrict_file(&path.join("db")).map_err(io)?;
        let mut store = Store {
            path: path.to_path_buf(),
            leads: tree("leads")?,
            emails: tree("emails")?,
            accounts: tree("accounts")?,
            activities: tree("activities")?,
            timelines: tree("timelines")?,
            rules: tree("rules")?,
            weights: tree("weights")?,
            outcomes: tree("outcomes")?,
            lead_outcomes: tree("lead_outcomes")?,
            meta: tree("meta")?,
            closing: Default::default(),
            stop: None,
            journal: std::sync::Arc::new(journal::Journal::open(path).map_err(io)?),
            interrupted_import: None,
            _seal: std::sync::Arc::new(integrity::CloseSeal::new(path)),
            data_file: std::sync::Arc::new(data_file),
            db,
        };
        // An upgrade flushes, which would count journaled commits as covered before they are
        // applied: it runs after the replay (the commits were written in the older schema).
        let older = store.check_schema()?;
        store.check_generation()?;
        store.replay_journal()?;
        if let Some(notice) = upgrade {
            if let Some(found) = older {
                store.upgrade_schema(found, notice)?;
            }
            store.drop_moved_activities()?;
        }
        store._seal.set_opened();
        Ok(store)
    }

    /// sled recovers a damaged log by stopping at the first bad record, which silently drops
    /// everything after it. Each flush is counted in the database and, once durable, in a
    /// small file beside it; a database behind that file has lost confirmed writes.
    fn check_generation(&self) -> Result<()> {
        let Ok(text) = std::fs::read_to_string(self.path.join(GENERATION_FILE)) else {
            return Ok(());
        };
        let Ok(confirmed) = text.trim().parse::<u64>() else {
            return Ok(());
        };
        let stored = self.generation()?;
        if stored < confirmed {
            return Err(self.corrupt(
                "log",
                format!(
                    "it ends before its last confirmed write (flush {stored} of {confirmed}); \
                     part of the file was truncated or overwritten"
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn generation(&self) -> Result<u64> {
        Ok(self
            .meta
            .get(META_GENERATION)
            .map_err(|e| self.sled_error(e))?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0))
    }

    /// Refuses data of a newer leadq or without a schema version, and starts a new
    /// database. Returns the schema found when it is older than this leadq's.
    fn check_schema(&self) -> Result<Option<u32>> {
        match self.meta.get(META_SCHEMA).map_err(|e| self.sled_error(e))? {
            Some(v) => {
                let found = <[u8; 4]>::try_from(v.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| self.corrupt("meta", "schema version is not a number"))?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerSchema {
                        path: self.path.clone(),
                        found,
                    });
                }
                Ok((found < SCHEMA_VERSION).then_some(found))
            }
            None => {
                let has_data = [
                    &self.leads,
                    &self.activities,
                    &self.timelines,
                    &self.outcomes,
                    &self.rules,
                    &self.meta,
                ]
                .iter()
                .any(|t| !t.is_empty());
                if has_data {
                    return Err(self.corrupt("meta", "data without a schema version"));
                }
                self.meta
                    .insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(|e| self.sled_error(e))?;
                self.init_admin_index()?;
                self.flush()?;
                Ok(None)
            }
        }
    }

    /// Brings a database of schema `found` to this leadq's, durably. Each step can run
    /// again from the start: the new schema is recorded only once all of them are done, so
    /// an upgrade stopped part-way (a crash, a kill) starts again at the next open.
    fn upgrade_schema(&mut self, found: u32, notice: &mut dyn FnMut(&str)) -> Result<()> {
        if found < 4 && !self.activities.is_empty() {
            notice(UPGRADE_NOTICE);
        }
        if found < 2 {
            self.index_outcomes_by_lead()?;
        }
        // Schema 2 → 3: the rules admin's figures are built on their first read
        // (`admin_index`, off the UI thread); nothing to do here.
        if found < 4 {
            self.move_activities_into_timelines()?;
            // The timelines durable before the schema that lets the old records go.
            self.flush()?;
        }
        self.meta
            .insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())
            .map_err(|e| self.sled_error(e))?;
        self.flush()
    }

    /// Schema 3 → 4: each lead's activities, one record per activity until now, written as
    /// one record per lead (its timeline, oldest first). At 10⁶ leads the 8.6 M activity
    /// records of a demo book held about 350 bytes of sled's memory per lead and most of
    /// the time of a book's load. The old records stay until the new schema is durable
    /// ([`Store::drop_moved_activities`]).
    fn move_activities_into_timelines(&self) -> Result<()> {
        let started = std::time::Instant::now();
        // Left by an upgrade stopped part-way: started again from nothing.
        self.timelines.clear().map_err(|e| self.sled_error(e))?;
        let mut batch = sled::Batch::default();
        let (mut in_batch, mut leads, mut moved) = (0usize, 0u64, 0u64);
        let mut run: Option<(LeadId, Vec<Activity>)> = None;
        let mut put = |batch: &mut sled::Batch, (lead, acts): (LeadId, Vec<Activity>)| {
            batch.insert(&lead.to_be_bytes(), codec::encode(&acts));
            leads += 1;
        };
        for item in self.activities.iter() {
            let (k, v) = item.map_err(|e| self.sled_error(e))?;
            let a: Activity =
                codec::decode(&v).map_err(|e| self.decode_error(&self.activities, &k, e))?;
            moved += 1;
            if let Some(done) = run.take_if(|(lead, _)| *lead != a.lead) {
                put(&mut batch, done);
                in_batch += 1;
                if in_batch == UPGRADE_BATCH {
                    self.timelines
                        .apply_batch(std::mem::take(&mut batch))
                        .map_err(|e| self.sled_error(e))?;
                    in_batch = 0;
                }
            }
            run.get_or_insert_with(|| (a.lead, Vec::new())).1.push(a);
        }
        if let Some(done) = run.take() {
            put(&mut batch, done);
        }
        self.timelines
            .apply_batch(batch)
            .map_err(|e| self.sled_error(e))?;
        let in_timelines: usize = self
            .timelines()
            .map(|t| t.map(|(_, a)| a.len()))
            .sum::<Result<_>>()?;
        if in_timelines as u64 != moved {
            return Err(self.corrupt(
                "timelines",
                format!("{moved} activities moved, {in_timelines} read back"),
            ));
        }
        tracing::info!(
            "moved {moved} activities into the timelines of {leads} leads in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// Drops the activity records of before schema 4, called once the book is of this
    /// schema (the upgrade just recorded, or a drop a crash interrupted), and opens their tree
    /// again, empty, for the commits of an older journal it never holds again.
    fn drop_moved_activities(&mut self) -> Result<()> {
        if self.activities.is_empty() {
            return Ok(());
        }
        self.db
            .drop_tree("activities")
            .map_err(|e| self.sled_error(e))?;
        self.activities = self
            .db
            .open_tree("activities")
            .map_err(|e| self.sled_error(e))?;
        self.flush()
    }

    /// Schema 1 → 2: fills the per-lead outcome index from the outcomes.
    fn index_outcomes_by_lead(&self) -> Result<()> {
        for item in self.outcomes.iter() {
            let (k, v) = item.map_err(|e| self.sled_error(e))?;
            let rec: OutcomeRecord =
                codec::decode(&v).map_err(|e| self.decode_error(&self.outcomes, &k, e))?;
            self.lead_outcomes
                .insert(lead_outcome_key(rec.lead, rec.seq), &[])
                .map_err(|e| self.sled_error(e))?;
        }
        Ok(())
    }

    /// Makes every write so far durable: sled's flush, then `fdatasync` of the data file
    /// (sled 0.34 only uses `sync_file_range` on Linux, which does not persist the file size).
    /// Flushes, then seals the files as a clean close would, for a process about to exit
    /// while another thread still holds a clone (a read on the worker): without it the next
    /// open would check a copy of the whole book. A later write breaks the seal, as it must.
    pub fn seal_for_exit(&self) -> Result<()> {
        self.flush()?;
        self._seal.write();
        Ok(())
    }

    pub fn flush(&self) -> Result<()> {
        // Every journaled commit appended before this point was applied to sled before it,
        // so the flush below covers it; every one after it is journaled with the generation
        // counted here, so a crash before the flush is durable replays it.
        let (journaled, generation) = {
            let _held = self.journal.hold_commits();
            let journaled = self.journal.appended();
            (journaled, self.next_counter(META_GENERATION, 1)? + 1)
        };
        self.db.flush().map_err(|e| self.sled_error(e))?;
        let io = |source| StoreError::Io {
            path: self.path.clone(),
            source,
        };
        // `fdatasync`: the data and the size the file needs to read it back, without the
        // modification time sled's writes touched (one journal commit fewer per commit).
        self.data_file.sync_data().map_err(io)?;
        // Written only after the flush is durable, so it can lag the database but never lead
        // it; it need not be synced itself.
        write_generation(&self.path.join(GENERATION_FILE), generation).map_err(io)?;
        self.journal.clear_if_unchanged(journaled).map_err(io)
    }
}

/// Writes the generation file in place, as a fixed-width number (padded with spaces) that
/// covers whatever an earlier write left. Truncating and rewriting it instead made ext4 push
/// the file out on close (its replace-by-truncate heuristic), about 4 ms on every commit.
fn write_generation(path: &Path, generation: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    file.write_all_at(format!("{generation:<20}\n").as_bytes(), 0)
}

/// sled 0.34 writes a snapshot to `snap.<lsn>.generating` and renames it when complete, but
/// on open it also picks up a `.generating` file left by a process killed mid-write and then
/// refuses the whole database as corrupt. Such a file is never needed: the log it summarises
/// is still there. It is removed only while no other process holds the database.
fn remove_unfinished_snapshots(path: &Path) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let unfinished: Vec<PathBuf> = match std::fs::read_dir(path) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                name.starts_with("snap.") && name.ends_with(".generating")
            })
            .collect(),
        Err(_) => return Ok(()),
    };
    if unfinished.is_empty() {
        return Ok(());
    }
    let Ok(data) = File::open(path.join("db")) else {
        return Ok(());
    };
    // SAFETY: flock on a descriptor we own; released when `data` is dropped.
    let locked = unsafe { libc::flock(data.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    if locked {
        for p in unfinished {
            tracing::warn!("removing unfinished sled snapshot {}", p.display());
            std::fs::remove_file(p)?;
        }
    }
    Ok(())
}
