//! Writes import batches to sled on threads of their own (two lanes, see [`BatchWriter`]),
//! so that the next rows are read, mapped and encoded while a batch is inserted.
//!
//! Batches arrive already encoded and sorted by key (sled inserts neighbouring keys into
//! pages it has just touched); the keys lane gathers the keys of many batches into one
//! sorted run before it inserts them. Each lane acknowledges its part of a batch once it is
//! in the book, so the importer knows when everything it sent is there and sees the first
//! error; when it waits, the keys lane inserts what it holds at once.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
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

/// What the importer sends a lane.
enum Msg {
    Part(EncodedBatch),
    /// Insert every part held back, now (the importer is waiting for them).
    Flush,
}

/// Email and external keys a run of the keys lane gathers before it sorts and inserts them:
/// the keys of one batch land all over a big tree, and sled does far less work per key when
/// the keys of many batches go in together in order (10⁶ emails into an empty tree, one
/// thread, `examples/sled_floor.rs email-runs`: 6.0–6.5 s in sorted runs of 8 192, 3.9–4.3 s
/// in runs of 262 144, 3.8–4.0 s all sorted).
const KEY_RUN: usize = 1 << 18;
/// Parts of a batch's keys queued for the keys lane while it inserts a run, so the reader
/// does not wait for it (a batch holds at most 8 192 rows).
const KEY_QUEUE: usize = 32;

#[derive(Clone, Copy)]
enum Lane {
    /// Leads and new accounts, one part at a time.
    Leads,
    /// Emails and external keys, gathered into runs of up to [`KEY_RUN`] keys.
    Keys,
}

impl Lane {
    fn name(self) -> &'static str {
        match self {
            Lane::Leads => "leads",
            Lane::Keys => "keys",
        }
    }

    /// Parts queued for the lane: the leads lane keeps the reader at most two batches ahead.
    fn queue(self) -> usize {
        match self {
            Lane::Leads => 1,
            Lane::Keys => KEY_QUEUE,
        }
    }

    /// Inserts parts until the importer hangs up or an insert fails; acknowledges each part
    /// once it is in the book.
    fn run(
        self,
        store: &Store,
        external: Option<&sled::Tree>,
        parts: &Receiver<Msg>,
        ack: &Sender<Result<()>>,
    ) {
        let mut held = EncodedBatch::default();
        let mut held_parts = 0usize;
        loop {
            let msg = parts.recv().ok();
            let hung_up = msg.is_none();
            let flush = match msg {
                Some(Msg::Part(part)) => {
                    if let Lane::Leads = self {
                        held = part;
                        held_parts = 1;
                        true
                    } else {
                        held.emails.extend(part.emails);
                        held.external.extend(part.external);
                        held_parts += 1;
                        held.emails.len() + held.external.len() >= KEY_RUN
                    }
                }
                Some(Msg::Flush) | None => held_parts > 0,
            };
            if flush {
                // Stable: a key sent twice keeps the later id, as inserting in order would.
                held.emails.sort_by(|a, b| a.0.cmp(&b.0));
                held.external.sort_by(|a, b| a.0.cmp(&b.0));
                // A panic (sled has some on damaged pages) is this run's error: the other
                // lane keeps its acknowledgement sender, so a lane that unwound would leave
                // the importer waiting for it forever.
                let result =
                    std::panic::catch_unwind(AssertUnwindSafe(|| insert(store, external, &held)))
                        .unwrap_or_else(|_| Err(gone(store.path())));
                if let Err(e) = result {
                    let _ = ack.send(Err(e));
                    return;
                }
                for _ in 0..held_parts {
                    if ack.send(Ok(())).is_err() {
                        return;
                    }
                }
                held = EncodedBatch::default();
                held_parts = 0;
            }
            if hung_up {
                return;
            }
        }
    }
}

/// Threads inserting batches in the order they are sent.
///
/// sled's inserts are most of an import's work, the trees share no pages, and sled takes
/// concurrent writers without a lock: so each batch is split in two lanes, inserted by two
/// threads at once while the reader thread (which needs far less) fits around them. Each
/// lane goes on to its next part without waiting for the other (a lane that waited for the
/// slower one at every batch left a core idle).
pub(crate) struct BatchWriter {
    lanes: Vec<(SyncSender<Msg>, JoinHandle<()>)>,
    acks: Receiver<Result<()>>,
    /// Parts sent and not yet acknowledged.
    in_flight: usize,
    path: std::path::PathBuf,
}

impl BatchWriter {
    pub fn start(store: &Store, external: Option<sled::Tree>) -> BatchWriter {
        // Unbounded: the keys lane acknowledges a run's parts at once, and a lane must never
        // wait on the importer (which may be waiting on the lane's queue).
        let (ack, acks) = channel::<Result<()>>();
        let lanes = [Lane::Leads, Lane::Keys]
            .into_iter()
            .map(|lane| {
                let (send, parts) = sync_channel::<Msg>(lane.queue());
                let (store, external, ack) = (store.clone(), external.clone(), ack.clone());
                let thread = std::thread::Builder::new()
                    .name(format!("leadq-import-{}", lane.name()))
                    .spawn(move || lane.run(&store, external.as_ref(), &parts, &ack))
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
            if lane.send(Msg::Part(part)).is_err() {
                // The thread stopped: its error is waiting in the acknowledgements.
                return self.wait().and(Err(self.gone()));
            }
            self.in_flight += 1;
        }
        Ok(())
    }

    /// Waits until every batch sent so far is in the book.
    pub fn wait(&mut self) -> Result<()> {
        if self.in_flight > 0 {
            // The keys lane holds parts back for a longer sorted run; it inserts them now. A
            // lane that has stopped has its error (or none) among the acknowledgements.
            for (lane, _) in &self.lanes {
                let _ = lane.send(Msg::Flush);
            }
        }
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

    /// Waits for `writer` on another thread, failing the test instead of hanging it.
    fn wait_within(mut writer: BatchWriter, secs: u64) -> Result<()> {
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(writer.wait());
        });
        result
            .recv_timeout(Duration::from_secs(secs))
            .expect("the wait ends once the held keys are in")
    }

    fn batch(emails: &[(&str, LeadId)]) -> EncodedBatch {
        let mut b = EncodedBatch {
            emails: emails
                .iter()
                .map(|&(e, id)| (e.to_string(), lead_key(id)))
                .collect(),
            ..EncodedBatch::default()
        };
        b.sort();
        b
    }

    /// The keys lane holds a batch's keys back for a longer run; when the importer waits
    /// (to look up a key of an earlier batch, or at the end) they are all in the book, and
    /// a key sent again in a later batch keeps the later id, as inserting batch by batch did.
    #[test]
    fn held_keys_are_in_the_book_when_the_importer_waits() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let mut writer = BatchWriter::start(&store, None);
        writer
            .send(batch(&[("b@x.com", 1), ("a@x.com", 4)]))
            .unwrap();
        writer
            .send(batch(&[("c@x.com", 3), ("a@x.com", 2)]))
            .unwrap();
        wait_within(writer, 30).unwrap();
        let id = |e: &str| store.lead_id_by_email(e).unwrap();
        assert_eq!(
            (id("a@x.com"), id("b@x.com"), id("c@x.com")),
            (Some(2), Some(1), Some(3))
        );
    }

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
