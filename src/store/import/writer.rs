//! Writes import batches to sled on a thread of its own, so that the next rows are read,
//! mapped and encoded on the other core while a batch is inserted.
//!
//! Batches arrive already encoded and sorted by key (sled inserts neighbouring keys into
//! pages it has just touched); the writer acknowledges each batch, so the importer knows
//! when everything it sent is in the book and sees the first error.

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

/// Inserts one batch; single inserts, not a sled batch (see [`Store::insert_leads`]).
///
/// The leads go in on this thread while the index keys and accounts go in on another:
/// sled's inserts are most of an import's work, the trees share no pages, and sled takes
/// concurrent writers without a lock, so the two cores insert together while the reader
/// thread (which needs far less) fits around them.
fn insert(store: &Store, external: Option<&sled::Tree>, b: &EncodedBatch) -> Result<()> {
    let err = |e| store.sled_error(e);
    let keys = || -> Result<()> {
        for (email, id) in &b.emails {
            store.emails.insert(email.as_bytes(), id).map_err(err)?;
        }
        if let Some(tree) = external {
            for (k, id) in &b.external {
                tree.insert(k.as_slice(), id).map_err(err)?;
            }
        }
        for (k, v) in &b.accounts {
            store
                .accounts
                .insert(k.as_bytes(), v.as_slice())
                .map_err(err)?;
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let others = std::thread::Builder::new()
            .name("leadq-import-keys".into())
            .spawn_scoped(scope, keys)
            .expect("the import's key writer starts");
        let leads = b
            .leads
            .iter()
            .try_for_each(|(k, v)| store.leads.insert(k, v.as_slice()).map(drop))
            .map_err(err);
        let others = others
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        leads.and(others)
    })
}

/// A thread inserting batches in the order they are sent.
pub(crate) struct BatchWriter {
    send: Option<SyncSender<EncodedBatch>>,
    acks: Receiver<Result<()>>,
    thread: Option<JoinHandle<()>>,
    /// Batches sent and not yet acknowledged.
    in_flight: usize,
    path: std::path::PathBuf,
}

impl BatchWriter {
    pub fn start(store: &Store, external: Option<sled::Tree>) -> BatchWriter {
        // One batch queued while one is inserted: the reader runs at most two batches ahead.
        let (send, batches) = sync_channel::<EncodedBatch>(1);
        let (ack, acks) = sync_channel::<Result<()>>(4);
        let path = store.path().to_path_buf();
        let store = store.clone();
        let thread = std::thread::Builder::new()
            .name("leadq-import-writer".into())
            .spawn(move || {
                for b in batches {
                    let result = insert(&store, external.as_ref(), &b);
                    let failed = result.is_err();
                    if ack.send(result).is_err() || failed {
                        return;
                    }
                }
            })
            .expect("the import writer thread starts");
        BatchWriter {
            send: Some(send),
            acks,
            thread: Some(thread),
            in_flight: 0,
            path,
        }
    }

    /// Queues a batch; returns the first error of an earlier batch, if any.
    pub fn send(&mut self, batch: EncodedBatch) -> Result<()> {
        // Collect acknowledgements already there, so an error surfaces early.
        while let Ok(ack) = self.acks.try_recv() {
            self.in_flight -= 1;
            ack?;
        }
        let sent = self.send.as_ref().map(|s| s.send(batch));
        match sent {
            Some(Ok(())) => {
                self.in_flight += 1;
                Ok(())
            }
            // The thread stopped: its error is waiting in the acknowledgements.
            _ => self.wait().and(Err(self.gone())),
        }
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
    /// Lets the thread finish the batch it holds and stop, so the store is not written to
    /// after the import returns.
    fn drop(&mut self) {
        self.send = None;
        // The thread ends once its queue is empty; acknowledgements it sends meanwhile are
        // taken so it never waits on them.
        while self.acks.recv().is_ok() {}
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl BatchWriter {
    /// The writer thread ended without reporting an error (it panicked).
    fn gone(&self) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(
                "the import's writer thread stopped unexpectedly; run the import again",
            ),
        }
    }
}
