//! Writes import batches to sled on threads of their own (two lanes, see [`BatchWriter`]),
//! so that the next rows are read, mapped and encoded while a batch is inserted.
//!
//! Batches arrive already encoded and sorted by key (sled inserts neighbouring keys into
//! pages it has just touched); each lane acknowledges its part of a batch, so the importer
//! knows when everything it sent is in the book and sees the first error.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::core::model::LeadId;
use crate::store::{Result, Store, StoreError};

/// One batch of an import, ready to insert.
#[derive(Debug, Default)]
pub(crate) struct EncodedBatch {
    /// Lead id (big-endian) → encoded lead, in id order.
    pub leads: Vec<([u8; 8], Vec<u8>)>,
    /// Normalised email → lead id, sorted by email.
    pub emails: Vec<(String, [u8; 8])>,
    /// External key → lead id, sorted by key.
    pub external: Vec<(Vec<u8>, [u8; 8])>,
    /// Account key → encoded account, sorted by key.
    pub accounts: Vec<(String, Vec<u8>)>,
}

impl EncodedBatch {
    /// Puts every part in key order.
    pub fn sort(&mut self) {
        self.leads.sort_unstable_by_key(|(k, _)| *k);
        self.emails.sort_unstable();
        self.external.sort_unstable();
        self.accounts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    }
}

/// The key of a lead in the `leads` tree.
pub(crate) fn lead_key(id: LeadId) -> [u8; 8] {
    id.to_be_bytes()
}

/// Inserts what one lane holds of a batch; single inserts, not a sled batch (see
/// [`Store::insert_leads`]).
fn insert(store: &Store, external: Option<&sled::Tree>, b: &EncodedBatch) -> Result<()> {
    let err = |e| store.sled_error(e);
    for (k, v) in &b.leads {
        store.leads.insert(k, v.as_slice()).map_err(err)?;
    }
    for (k, v) in &b.accounts {
        store
            .accounts
            .insert(k.as_bytes(), v.as_slice())
            .map_err(err)?;
    }
    for (email, id) in &b.emails {
        #[cfg(test)]
        if email == tests::PANICS {
            panic!("a lane panics (test)");
        }
        store.emails.insert(email.as_bytes(), id).map_err(err)?;
    }
    if let Some(tree) = external {
        for (k, id) in &b.external {
            tree.insert(k.as_slice(), id).map_err(err)?;
        }
    }
    Ok(())
}

/// Splits a batch for the two lanes: the leads and the new accounts, and the keys that find
/// leads (emails, external keys). About even halves of the insert work of a 10⁶-row import.
fn split(mut b: EncodedBatch) -> [EncodedBatch; 2] {
    let keys = EncodedBatch {
        emails: std::mem::take(&mut b.emails),
        external: std::mem::take(&mut b.external),
        ..EncodedBatch::default()
    };
    [b, keys]
}

/// Threads inserting batches in the order they are sent.
///
/// sled's inserts are most of an import's work, the trees share no pages, and sled takes
/// concurrent writers without a lock: so each batch is split in two lanes, inserted by two
/// threads at once while the reader thread (which needs far less) fits around them. Each
/// lane goes on to its next part without waiting for the other (a lane that waited for the
/// slower one at every batch left a core idle).
pub(crate) struct BatchWriter {
    lanes: Vec<(SyncSender<EncodedBatch>, JoinHandle<()>)>,
    acks: Receiver<Result<()>>,
    /// Parts sent and not yet acknowledged.
    in_flight: usize,
    path: std::path::PathBuf,
}

impl BatchWriter {
    pub fn start(store: &Store, external: Option<sled::Tree>) -> BatchWriter {
        let (ack, acks) = sync_channel::<Result<()>>(8);
        let lanes = ["leads", "keys"]
            .into_iter()
            .map(|name| {
                // One part queued while one is inserted: the reader runs at most two
                // batches ahead.
                let (send, parts) = sync_channel::<EncodedBatch>(1);
                let (store, external, ack) = (store.clone(), external.clone(), ack.clone());
                let path = store.path().to_path_buf();
                let thread = std::thread::Builder::new()
                    .name(format!("leadq-import-{name}"))
                    .spawn(move || {
                        for part in parts {
                            // A panic (sled has some on damaged pages) is this part's error:
                            // the other lane keeps its acknowledgement sender, so a lane
                            // that unwound would leave the importer waiting for it forever.
                            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                                insert(&store, external.as_ref(), &part)
                            }))
                            .unwrap_or_else(|_| Err(gone(&path)));
                            let failed = result.is_err();
                            if ack.send(result).is_err() || failed {
                                return;
                            }
                        }
                    })
                    .expect("the import writer thread starts");
                (send, thread)
            })
            .collect();
        BatchWriter {
            lanes,
            acks,
            in_flight: 0,
            path: store.path().to_path_buf(),
        }
    }

    /// Queues a batch; returns the first error of an earlier batch, if any.
    pub fn send(&mut self, batch: EncodedBatch) -> Result<()> {
        // Collect acknowledgements already there, so an error surfaces early.
        while let Ok(ack) = self.acks.try_recv() {
            self.in_flight -= 1;
            ack?;
        }
        for ((lane, _), part) in self.lanes.iter().zip(split(batch)) {
            if lane.send(part).is_err() {
                // The thread stopped: its error is waiting in the acknowledgements.
                return self.wait().and(Err(self.gone()));
            }
            self.in_flight += 1;
        }
        Ok(())
    }

    /// Waits until every batch sent so far is in the book.
    pub fn wait(&mut self) -> Result<()> {
        while self.in_flight > 0 {
            match self.acks.recv() {
                Ok(ack) => {
                    self.in_flight -= 1;
                    ack?;
                }
                Err(_) => {
                    self.in_flight = 0;
                    return Err(self.gone());
                }
            }
        }
        Ok(())
    }
}

impl Drop for BatchWriter {
    /// Lets the threads finish the parts they hold and stop, so the store is not written to
    /// after the import returns.
    fn drop(&mut self) {
        let threads: Vec<JoinHandle<()>> = self.lanes.drain(..).map(|(_, t)| t).collect();
        // The threads end once their queues are empty; acknowledgements they send meanwhile
        // are taken so they never wait on them.
        while self.acks.recv().is_ok() {}
        for t in threads {
            let _ = t.join();
        }
    }
}

impl BatchWriter {
    /// A writer thread ended without reporting an error.
    fn gone(&self) -> StoreError {
        gone(&self.path)
    }
}

/// The error of a writer thread that stopped unexpectedly (it panicked).
fn gone(path: &std::path::Path) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(
            "the import's writer thread stopped unexpectedly; run the import again",
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// An email whose insert panics, in tests only.
    pub(super) const PANICS: &str = "panics@lane.test";

    /// A panic in one lane reaches the importer as an error; it does not wait for the lane
    /// forever (the other lane, idle, still holds a sender of acknowledgements).
    #[test]
    fn a_panic_in_one_lane_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let (done, result) = std::sync::mpsc::channel();
        let writer_store = store.clone();
        std::thread::spawn(move || {
            let mut writer = BatchWriter::start(&writer_store, None);
            let batch = EncodedBatch {
                leads: vec![(lead_key(1), vec![0])],
                emails: vec![(PANICS.to_string(), lead_key(1))],
                ..EncodedBatch::default()
            };
            let sent = writer.send(batch);
            let _ = done.send(sent.and_then(|()| writer.wait()));
        });
        let result = result
            .recv_timeout(Duration::from_secs(30))
            .expect("the importer is told, not left waiting");
        let err = result.expect_err("the lane's panic is an error");
        assert!(err.to_string().contains("stopped unexpectedly"), "{err}");
    }
}
