//! The sled database: trees, schema version, durable writes, and typed access to stored data.

mod admin_index;
pub use admin_index::{AdminTally, Tally};
pub mod backup;
pub mod catalog;
pub mod codec;
pub mod demo;
pub mod export;
pub mod history;
pub mod import;
mod integrity;
mod journal;
mod open;
pub use integrity::{check_notice, check_size, sealed};
pub use open::use_bulk_write_cache;
pub mod learning;
pub mod paths;
mod records;
pub mod rules;
pub mod stage;
pub mod versions;
pub mod worklog;

use std::fs::File;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::core::model::{LeadId, Pipeline, Timestamp};
use crate::core::outcome::{OutcomeCatalog, OutcomeRecord};

/// The schema this build writes. Opening a database with a larger one is refused.
pub const SCHEMA_VERSION: u32 = 4;

const META_SCHEMA: &[u8] = b"schema_version";
/// Counts durable flushes; mirrored in [`GENERATION_FILE`] to detect lost writes.
const META_GENERATION: &[u8] = b"generation";
/// Beside sled's files: the console's queue page saved at its last clean close, shown at
/// the next start before the book opens; removed whenever the book is opened.
pub const FIRST_PAGE_FILE: &str = "leadq.first-page.json";
/// Beside sled's files: the generation of the last flush known to be durable.
const GENERATION_FILE: &str = "leadq.generation";
const META_NEXT_LEAD: &[u8] = b"next_lead_id";
pub(crate) const META_NEXT_OUTCOME: &[u8] = b"next_outcome_seq";
const META_PIPELINE: &[u8] = b"pipeline";
const META_OUTCOMES: &[u8] = b"outcome_catalog";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {} is in use by another leadq process; close it and try again", .path.display())]
    Locked { path: PathBuf },
    #[error(
        "database {} was written by a newer leadq (schema {found}; this build reads up to {SCHEMA_VERSION}); upgrade leadq. Nothing was changed",
        .path.display()
    )]
    NewerSchema { path: PathBuf, found: u32 },
    #[error(
        "database {} is damaged: {detail}. Nothing was changed; restore a backup with `leadq restore FILE`",
        .path.display()
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("database {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("lead {0} not found; try `leadq list`")]
    LeadNotFound(String),
    /// A read over the whole book stopped because the process is closing it.
    #[error("database {} is closing; the read was stopped", .path.display())]
    Closing { path: PathBuf },
    /// A read over the whole book stopped because its result is no longer wanted
    /// ([`Store::stoppable`]).
    #[error("database {}: the read was given up", .path.display())]
    Stopped { path: PathBuf },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The one database handle of the process. Cheap to clone (sled handles are shared).
#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    pub(crate) db: sled::Db,
    /// A second handle on sled's data file, to `fsync` after sled's own flush.
    data_file: std::sync::Arc<File>,
    pub(crate) leads: sled::Tree,
    /// Normalised email → lead id (big-endian).
    pub(crate) emails: sled::Tree,
    pub(crate) accounts: sled::Tree,
    /// Before schema 4, one record per activity (key: lead id ++ time ++ sequence, all
    /// big-endian); emptied by the upgrade to schema 4, read only to replay an older
    /// journal and by that upgrade.
    pub(crate) activities: sled::Tree,
    /// Key: lead id (big-endian); value: the lead's activities, oldest first (schema 4).
    /// One record per lead instead of one per activity: sled keeps a few hundred bytes of
    /// memory per page of up to 16 records, whatever their size.
    pub(crate) timelines: sled::Tree,
    pub(crate) rules: sled::Tree,
    #[allow(dead_code)] // filled by learning (weights and their history)
    pub(crate) weights: sled::Tree,
    pub(crate) outcomes: sled::Tree,
    /// Key: lead id ++ outcome sequence number, empty value: a lead's outcomes without a
    /// scan of every outcome (schema 2).
    pub(crate) lead_outcomes: sled::Tree,
    pub(crate) meta: sled::Tree,
    /// Set by [`Store::stop_reads`]: scans over a whole tree end early with
    /// [`StoreError::Closing`], so a background read lets go of the book at quit.
    closing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// This handle's own stop ([`Store::stoppable`]); not shared with the other clones.
    stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Commits made durable without a sled flush ([`journal`]).
    journal: std::sync::Arc<journal::Journal>,
    /// Whether this open found an import interrupted, and how many email keys it put right.
    interrupted_import: Option<u64>,
    /// Seals the files when the last clone closes; declared last so sled closes first.
    _seal: std::sync::Arc<integrity::CloseSeal>,
}

impl Drop for Store {
    /// The last handle of a clean close flushes the commits that only the journal holds, so
    /// that the next open has nothing to re-apply (the journal is only replayed after a crash
    /// or a kill). Best effort: an error leaves the journal, which the next open replays. An
    /// open that failed part-way flushes nothing: its journal may not have been replayed.
    fn drop(&mut self) {
        if std::sync::Arc::strong_count(&self.journal) == 1
            && self._seal.opened()
            && self.journal.len() > 0
            && let Err(e) = self.flush()
        {
            tracing::warn!("flush on close failed: {e}; the next open re-applies the journal");
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn sled_error(&self, e: sled::Error) -> StoreError {
        match e {
            sled::Error::Io(source) => StoreError::Io {
                path: self.path.clone(),
                source,
            },
            other => StoreError::Corrupt {
                path: self.path.clone(),
                detail: other.to_string(),
            },
        }
    }

    pub(crate) fn corrupt(&self, tree: &str, detail: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            detail: format!("tree `{tree}`: {detail}"),
        }
    }

    // ----- typed helpers -----

    pub(crate) fn get_value<T: DeserializeOwned>(
        &self,
        tree: &sled::Tree,
        key: &[u8],
    ) -> Result<Option<T>> {
        match tree.get(key).map_err(|e| self.sled_error(e))? {
            None => Ok(None),
            Some(bytes) => codec::decode(&bytes)
                .map(Some)
                .map_err(|e| self.decode_error(tree, key, e)),
        }
    }

    pub(crate) fn put_value<T: Serialize>(
        &self,
        tree: &sled::Tree,
        key: &[u8],
        value: &T,
    ) -> Result<()> {
        tree.insert(key, codec::encode(value))
            .map(|_| ())
            .map_err(|e| self.sled_error(e))
    }

    pub(crate) fn decode_error(
        &self,
        tree: &sled::Tree,
        key: &[u8],
        e: codec::CodecError,
    ) -> StoreError {
        let name = String::from_utf8_lossy(&tree.name()).into_owned();
        match e {
            codec::CodecError::NewerFormat { found } => StoreError::NewerSchema {
                path: self.path.clone(),
                found: found as u32,
            },
            e => self.corrupt(&name, format!("key {} {e}", hex(key))),
        }
    }

    /// Iterates a tree's values in key order, decoding each.
    pub(crate) fn iter_values<'a, T: DeserializeOwned + 'a>(
        &'a self,
        tree: &'a sled::Tree,
        iter: sled::Iter,
    ) -> impl Iterator<Item = Result<T>> + 'a {
        iter.map(move |item| {
            self.check_closing()?;
            let (k, v) = item.map_err(|e| self.sled_error(e))?;
            codec::decode(&v).map_err(|e| self.decode_error(tree, &k, e))
        })
    }

    /// Ends every scan over a whole tree, in every clone of this store, with
    /// [`StoreError::Closing`] (at quit: a long background read must not keep the book open).
    /// Single reads and writes go on as before.
    pub fn stop_reads(&self) {
        self.closing
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// A clone of this store whose scans over a whole tree end with [`StoreError::Stopped`]
    /// once `stop` is set (a background read the console gave up: the dashboard left before
    /// it came); the other clones read on.
    pub fn stoppable(&self, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Store {
        let mut store = self.clone();
        store.stop = Some(stop);
        store
    }

    /// `Err(Closing)` once [`Store::stop_reads`] was called; `Err(Stopped)` once this
    /// handle's own stop was set.
    #[inline]
    pub(crate) fn check_closing(&self) -> Result<()> {
        let path = || self.path.clone();
        if self.closing.load(std::sync::atomic::Ordering::Relaxed) {
            Err(StoreError::Closing { path: path() })
        } else if self
            .stop
            .as_ref()
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
        {
            Err(StoreError::Stopped { path: path() })
        } else {
            Ok(())
        }
    }

    /// Reads every record of the named tree without decoding it: (records, bytes). For
    /// measurements of what sled itself costs (`examples/sled_floor.rs`).
    pub fn raw_scan(&self, tree: &str) -> Result<(u64, u64)> {
        let tree = self.db.open_tree(tree).map_err(|e| self.sled_error(e))?;
        let (mut n, mut bytes) = (0u64, 0u64);
        for item in tree.iter() {
            let (k, v) = item.map_err(|e| self.sled_error(e))?;
            n += 1;
            bytes += (k.len() + v.len()) as u64;
        }
        Ok((n, bytes))
    }

    /// A setting or other small value from the `meta` tree.
    pub fn get_meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.get_value(&self.meta, key.as_bytes())
    }

    pub fn put_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        self.put_value(&self.meta, key.as_bytes(), value)
    }

    fn next_counter(&self, key: &[u8], n: u64) -> Result<u64> {
        let mut first = 0;
        self.meta
            .update_and_fetch(key, |old| {
                let cur = old
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(1);
                first = cur;
                Some((cur + n).to_be_bytes().to_vec())
            })
            .map_err(|e| self.sled_error(e))?;
        Ok(first)
    }

    /// Reserves `n` consecutive new lead ids and returns the first: never an id a stored
    /// lead has, even one written with an explicit id (`put_lead`, a restore, the demo).
    pub fn reserve_lead_ids(&self, n: u64) -> Result<LeadId> {
        let floor = self
            .leads
            .last()
            .map_err(|e| self.sled_error(e))?
            .and_then(|(k, _)| <[u8; 8]>::try_from(k.as_ref()).ok())
            .map_or(1, |k| u64::from_be_bytes(k) + 1);
        let mut first = 0;
        self.meta
            .update_and_fetch(META_NEXT_LEAD, |old| {
                let cur = old
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(1)
                    .max(floor);
                first = cur;
                Some((cur + n).to_be_bytes().to_vec())
            })
            .map_err(|e| self.sled_error(e))?;
        Ok(first)
    }

    // ----- settings -----

    pub fn pipeline(&self) -> Result<Pipeline> {
        Ok(self
            .get_value(&self.meta, META_PIPELINE)?
            .unwrap_or_default())
    }

    pub fn set_pipeline(&self, p: &Pipeline) -> Result<()> {
        self.put_value(&self.meta, META_PIPELINE, p)
    }

    pub fn outcome_catalog(&self) -> Result<OutcomeCatalog> {
        Ok(self
            .get_value(&self.meta, META_OUTCOMES)?
            .unwrap_or_default())
    }

    pub fn set_outcome_catalog(&self, c: &OutcomeCatalog) -> Result<()> {
        self.put_value(&self.meta, META_OUTCOMES, c)
    }
}

/// The key of one outcome in the per-lead outcome index.
pub(crate) fn lead_outcome_key(lead: LeadId, seq: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&lead.to_be_bytes());
    key[8..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// Big-endian, sign-flipped, so that byte order is time order for negative times too.
pub(crate) fn time_key(t: Timestamp) -> [u8; 8] {
    ((t as u64) ^ (1 << 63)).to_be_bytes()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().take(24).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
