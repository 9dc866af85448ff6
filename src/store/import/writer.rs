//! Writes import batches to sled on threads of their own, so that the next rows are read,
//! mapped and encoded while a batch is inserted.
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

/// The half of a batch one writer thread inserts.
type Part = fn(&Store, Option<&sled::Tree>, &EncodedBatch) -> Result<()>;

/// Leads and accounts: single inserts, not a sled batch (see [`Store::insert_leads`]).
fn insert_records(store: &Store, _: Option<&sled::Tree>, b: &EncodedBatch) -> Result<()> {
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
    Ok(())
}

/// The lookup keys: emails and external keys → lead id.
fn insert_keys(store: &Store, external: Option<&sled::Tree>, b: &EncodedBatch) -> Result<()> {
    let err = |e| store.sled_error(e);
    for (email, id) in &b.emails {
        store.emails.insert(email.as_bytes(), id).map_err(err)?;
    }
    if let Some(tree) = external {
        for (k, id) in &b.external {
            tree.insert(k.as_slice(), id).map_err(err)?;
        }
    }
    Ok(())
}

/// One thread inserting its part of every batch, in the order the batches are sent.
struct Worker {
    send: Option<SyncSender<std::sync::Arc<EncodedBatch>>>,
    acks: Receiver<Result<()>>,
    thread: Option<JoinHandle<()>>,
    /// Batches sent and not yet acknowledged.
    in_flight: usize,
}

impl Worker {
    fn start(name: &str, store: &Store, external: Option<sled::Tree>, part: Part) -> Worker {
        // One batch queued while one is inserted: the reader runs at most two batches ahead.
        let (send, batches) = sync_channel::<std::sync::Arc<EncodedBatch>>(1);
        let (ack, acks) = sync_channel::<Result<()>>(4);
        let store = store.clone();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                for b in batches {
                    let result = part(&store, external.as_ref(), &b);
                    // The last holder frees the batch here rather than on the reading thread.
                    drop(b);
                    let failed = result.is_err();
                    if ack.send(result).is_err() || failed {
                        return;
                    }
                }
            })
            .expect("the import writer thread starts");
        Worker {
            send: Some(send),
            acks,
            thread: Some(thread),
            in_flight: 0,
        }
    }

    /// Takes the acknowledgements already there; the first error of an earlier batch.
    fn poll(&mut self) -> Result<()> {
        while let Ok(ack) = self.acks.try_recv() {
            self.in_flight -= 1;
            ack?;
        }
        Ok(())
    }

    /// Queues a batch; false when the thread has stopped.
    fn send(&mut self, batch: std::sync::Arc<EncodedBatch>) -> bool {
        let sent = self.send.as_ref().is_some_and(|s| s.send(batch).is_ok());
        if sent {
            self.in_flight += 1;
        }
        sent
    }

    /// Waits for every batch sent; `Ok(false)` when the thread ended without an error.
    fn wait(&mut self) -> Result<bool> {
        while self.in_flight > 0 {
            match self.acks.recv() {
                Ok(ack) => {
                    self.in_flight -= 1;
                    ack?;
                }
                Err(_) => {
                    self.in_flight = 0;
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}

impl Drop for Worker {
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

/// Inserts batches on two threads: one writes the leads and accounts, the other the email
/// and external-key index. sled's trees take inserts concurrently, and the two halves cost
/// about the same, so both cores insert while the importer reads ahead.
pub(crate) struct BatchWriter {
    workers: [Worker; 2],
    path: std::path::PathBuf,
}

impl BatchWriter {
    pub fn start(store: &Store, external: Option<sled::Tree>) -> BatchWriter {
        BatchWriter {
            workers: [
                Worker::start("leadq-import-leads", store, None, insert_records),
                Worker::start("leadq-import-keys", store, external, insert_keys),
            ],
            path: store.path().to_path_buf(),
        }
    }

    /// Queues a batch; returns the first error of an earlier batch, if any.
    pub fn send(&mut self, batch: EncodedBatch) -> Result<()> {
        // Collect acknowledgements already there, so an error surfaces early.
        for w in &mut self.workers {
            w.poll()?;
        }
        let batch = std::sync::Arc::new(batch);
        let mut sent = true;
        for w in &mut self.workers {
            sent &= w.send(batch.clone());
        }
        if sent {
            Ok(())
        } else {
            // A thread stopped: its error is waiting in the acknowledgements.
            self.wait().and(Err(self.gone()))
        }
    }

    /// Waits until every batch sent so far is in the book.
    pub fn wait(&mut self) -> Result<()> {
        let mut alive = true;
        for w in &mut self.workers {
            alive &= w.wait()?;
        }
        if alive { Ok(()) } else { Err(self.gone()) }
    }

    /// A writer thread ended without reporting an error (it panicked).
    fn gone(&self) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(
                "the import's writer thread stopped unexpectedly; run the import again",
            ),
        }
    }
}
