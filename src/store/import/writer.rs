//! Writes import batches to sled on threads of their own (two lanes, see [`BatchWriter`]),
//! so that the next rows are read, mapped and encoded while a batch is inserted.
//!
//! Batches arrive already encoded and sorted by key (sled inserts neighbouring keys into
//! pages it has just touched); each lane acknowledges each part it inserts, so the importer
//! knows when everything it sent is in the book and sees the first error.
//!
//! A batch's leads go in only after its keys: sled's log is one sequence for every tree and
//! a crash keeps a prefix of it, so an import killed at any point leaves no lead that its
//! email or id column cannot find (at worst a key of a lead not yet written, which a lookup
//! treats as no match). Running the import again then merges instead of doubling.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
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
        #[cfg(test)]
        if v.as_slice() == tests::PANICS.as_bytes() {
            panic!("a lane panics (test)");
        }
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

/// How far the keys lane has got, for the leads lane to wait on.
#[derive(Default)]
struct KeysDone {
    /// The number of the last batch whose keys are in the book, and whether the keys lane
    /// has stopped (finished, failed or panicked: no more keys will come).
    state: Mutex<(u64, bool)>,
    changed: Condvar,
}

impl KeysDone {
    fn set(&self, update: impl FnOnce(&mut (u64, bool))) {
        update(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()));
        self.changed.notify_all();
    }

    /// Waits until the keys of batch `n` are in; false if they never will be.
    fn wait_for(&self, n: u64) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while state.0 < n && !state.1 {
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        state.0 >= n
    }
}

/// Marks the keys lane stopped however its thread ends, so the leads lane never waits on it.
struct StopOnExit(Arc<KeysDone>);

impl Drop for StopOnExit {
    fn drop(&mut self) {
        self.0.set(|s| s.1 = true);
    }
}

/// A lane's part of a batch, with the batch's number (1, 2, …).
type Numbered = (u64, EncodedBatch);

/// Threads inserting batches in the order they are sent.
///
/// sled's inserts are most of an import's work, the trees share no pages, and sled takes
/// concurrent writers without a lock: so each batch is split in two lanes, inserted by two
/// threads at once while the reader thread (which needs far less) fits around them. The
/// keys lane goes on to its next part without waiting for the other (a lane that waited for
/// the slower one at every batch left a core idle); the leads lane inserts a batch once the
/// keys lane has inserted that batch's keys, while the keys lane goes on to the next.
pub(crate) struct BatchWriter {
    /// The keys lane, then the leads lane.
    lanes: Vec<(SyncSender<Numbered>, JoinHandle<()>)>,
    acks: Receiver<Result<()>>,
    /// Parts sent and not yet acknowledged.
    in_flight: usize,
    /// Batches sent so far (each part carries its batch's number).
    sent: u64,
    path: std::path::PathBuf,
}

impl BatchWriter {
    pub fn start(store: &Store, external: Option<sled::Tree>) -> BatchWriter {
        // Unbounded (at most a few parts are ever unacknowledged): a lane never waits on the
        // importer, which may be waiting on a lane's queue.
        let (ack, acks) = channel::<Result<()>>();
        let keys_done = Arc::new(KeysDone::default());
        let lanes = ["keys", "leads"]
            .into_iter()
            .map(|name| {
                // One part queued while one is inserted: the reader runs at most two
                // batches ahead of the leads lane, and so does the keys lane.
                let (send, parts) = sync_channel::<Numbered>(1);
                let (store, external, ack) = (store.clone(), external.clone(), ack.clone());
                let keys_done = Arc::clone(&keys_done);
                let path = store.path().to_path_buf();
                let keys_lane = name == "keys";
                let thread = std::thread::Builder::new()
                    .name(format!("leadq-import-{name}"))
                    .spawn(move || {
                        let _stop = keys_lane.then(|| StopOnExit(Arc::clone(&keys_done)));
                        for (n, part) in parts {
                            if !keys_lane && !keys_done.wait_for(n) {
                                // The keys lane failed (its error is the importer's): the
                                // leads of a batch without its keys are not written.
                                return;
                            }
                            // A panic (sled has some on damaged pages) is this part's error:
                            // after a panic in the leads lane the keys lane, idle, keeps its
                            // acknowledgement sender, so a lane that unwound would leave the
                            // importer waiting for it forever.
                            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                                insert(&store, external.as_ref(), &part)
                            }))
                            .unwrap_or_else(|_| Err(gone(&path)));
                            let failed = result.is_err();
                            if keys_lane && !failed {
                                keys_done.set(|s| s.0 = n);
                            }
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
            sent: 0,
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
        self.sent += 1;
        let [leads, keys] = split(batch);
        for ((lane, _), part) in self.lanes.iter().zip([keys, leads]) {
            if lane.send((self.sent, part)).is_err() {
                // The thread stopped: the error that stopped it (its own, or the keys
                // lane's when the leads lane stopped for it) is in the acknowledgements.
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

    /// One batch of one lead with its email.
    fn batch(id: LeadId, value: &[u8], email: &str) -> EncodedBatch {
        EncodedBatch {
            leads: vec![(lead_key(id), value.to_vec())],
            emails: vec![(email.to_string(), lead_key(id))],
            ..EncodedBatch::default()
        }
    }

    /// Sends `batches` and waits for them as the importer does, on a thread of its own, then
    /// drops the writer (which joins both lanes: nothing is written after this returns).
    /// Fails the test instead of hanging it when the importer is left waiting.
    fn import_on_a_thread(store: &Store, batches: Vec<EncodedBatch>) -> Result<()> {
        let (done, result) = std::sync::mpsc::channel();
        let store = store.clone();
        std::thread::spawn(move || {
            let mut writer = BatchWriter::start(&store, None);
            let sent = batches.into_iter().try_for_each(|b| writer.send(b));
            let result = sent.and_then(|()| writer.wait());
            drop(writer);
            let _ = done.send(result);
        });
        result
            .recv_timeout(Duration::from_secs(30))
            .expect("the importer is told, not left waiting")
    }

    /// The keys lane fails on a batch (a panic here; a full disk or damage alike): that
    /// batch's leads are not written, so no lead is left that its email cannot find.
    #[test]
    fn a_batch_whose_keys_failed_writes_no_leads() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let ok = batch(1, &[1], "one@x.com");
        let bad = batch(2, &[2], PANICS);
        assert!(import_on_a_thread(&store, vec![ok, bad]).is_err());
        assert!(store.leads.contains_key(lead_key(1)).unwrap());
        assert_eq!(store.lead_id_by_email("one@x.com").unwrap(), Some(1));
        assert!(
            !store.leads.contains_key(lead_key(2)).unwrap(),
            "a lead went in without its key"
        );
    }

    /// A panic in either lane reaches the importer as an error; it does not wait for the
    /// lane forever. After a panic in the leads lane the keys lane, idle, still holds a
    /// sender of acknowledgements: only the panic caught as an error tells the importer.
    #[test]
    fn a_panic_in_either_lane_is_an_error_not_a_hang() {
        let keys_panic = batch(1, &[0], PANICS);
        let leads_panic = batch(1, PANICS.as_bytes(), "fine@x.com");
        for b in [keys_panic, leads_panic] {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(&dir.path().join("db")).unwrap();
            let err =
                import_on_a_thread(&store, vec![b]).expect_err("the lane's panic is an error");
            assert!(err.to_string().contains("stopped unexpectedly"), "{err}");
        }
    }
}
