//! Writes import batches to sled on threads of their own (two lanes, see [`BatchWriter`]),
//! so that the next rows are read, mapped and encoded while a batch is inserted.
//!
//! Batches arrive already encoded and sorted by key (sled inserts neighbouring keys into
//! pages it has just touched). The leads lane inserts each batch's leads, accounts and
//! external keys as it comes; the keys lane gathers the email keys of many batches and
//! inserts them as one sorted run ([`KEY_RUN`]), which costs sled far less per key than the
//! same keys batch by batch (a random email lands on a page of its own). Each lane
//! acknowledges each part once it is in the book, so the importer knows when everything it
//! sent is in and sees the first error.
//!
//! The email keys thus trail their leads in sled's log, and a crash keeps a prefix of it:
//! an import killed part-way can leave leads that their email cannot find yet. The import
//! marks the book before any write of its own ([`Store::mark_import_started`]) and clears
//! the mark after its last key; an open that finds the mark rebuilds the email keys
//! from the leads ([`Store::finish_interrupted_import`]) before anything reads them, so
//! running the import again merges instead of doubling.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
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

/// Email keys the keys lane gathers before one sorted insert: sled's work per key falls
/// with the length of the run (10⁶ random emails into an empty tree: 6.0–6.5 s in sorted
/// runs of 8 192, 3.9–4.3 s in runs of 262 144; `examples/sled_floor.rs email-runs`).
/// About 16 MB of keys. `LEADQ_IMPORT_KEY_RUN` sets another length (the crash tests use
/// short runs, so that keys go in part-way through a small file).
pub(crate) const KEY_RUN: usize = 262_144;

fn key_run() -> usize {
    std::env::var("LEADQ_IMPORT_KEY_RUN")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(KEY_RUN)
}

/// Email parts queued for the keys lane while it inserts a run: enough that the importer
/// does not wait on it meanwhile.
const KEYS_QUEUE: usize = 48;

/// An email key: normalised email → lead id (big-endian).
type EmailKey = (String, [u8; 8]);

/// Inserts the leads lane's part of a batch: the external keys first (they cannot be
/// rebuilt from the leads, so in sled's log they come before the leads they find), then the
/// new accounts and the leads. Single inserts, not a sled batch (see
/// [`Store::insert_leads`]).
fn insert_leads(store: &Store, external: Option<&sled::Tree>, b: &EncodedBatch) -> Result<()> {
    let err = |e| store.sled_error(e);
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
    for (k, v) in &b.leads {
        #[cfg(test)]
        if v.as_slice() == tests::PANICS.as_bytes() {
            panic!("a lane panics (test)");
        }
        store.leads.insert(k, v.as_slice()).map_err(err)?;
    }
    Ok(())
}

/// Inserts a run of email keys in key order, and empties it.
fn insert_emails(store: &Store, run: &mut Vec<EmailKey>) -> Result<()> {
    // Stable: the run is a row of sorted batches, which this sort merges.
    run.sort();
    for (email, id) in run.drain(..) {
        #[cfg(test)]
        if email == tests::PANICS {
            panic!("a lane panics (test)");
        }
        store
            .emails
            .insert(email.as_bytes(), &id)
            .map_err(|e| store.sled_error(e))?;
    }
    Ok(())
}

/// What the importer sends the keys lane.
enum KeysPart {
    /// One batch's email keys, sorted.
    Emails(Vec<EmailKey>),
    /// Insert what is gathered now: the importer waits for every batch sent so far.
    Flush,
}

/// A lane's acknowledgement: how many parts it covers, and their outcome.
type Ack = (usize, Result<()>);

/// Runs one lane's inserts with a panic (sled has some on damaged pages) turned into the
/// part's error: a lane that unwound would leave the importer waiting for its acknowledgement.
fn guarded(path: &std::path::Path, insert: impl FnOnce() -> Result<()>) -> Result<()> {
    std::panic::catch_unwind(AssertUnwindSafe(insert)).unwrap_or_else(|_| Err(gone(path)))
}

/// Threads inserting batches in the order they are sent.
///
/// sled's inserts are most of an import's work, the trees share no pages, and sled takes
/// concurrent writers without a lock: so each batch is split in two lanes, inserted by two
/// threads at once while the reader thread (which needs far less) fits around them. The
/// leads lane inserts each batch as it comes; the keys lane gathers [`KEY_RUN`] email keys
/// (or fewer, when the importer waits) and inserts them sorted.
pub(crate) struct BatchWriter {
    keys: Option<SyncSender<KeysPart>>,
    leads: Option<SyncSender<EncodedBatch>>,
    threads: Vec<JoinHandle<()>>,
    acks: Receiver<Ack>,
    /// Parts sent and not yet acknowledged.
    in_flight: usize,
    path: std::path::PathBuf,
}

impl BatchWriter {
    pub fn start(store: &Store, external: Option<sled::Tree>) -> BatchWriter {
        // Unbounded (a lane acknowledges at most a run's parts at once): a lane never waits
        // on the importer, which may be waiting on a lane's queue.
        let (ack, acks) = channel::<Ack>();
        let path = store.path().to_path_buf();
        let spawn = |name: &str, body: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(format!("leadq-import-{name}"))
                .spawn(body)
                .expect("the import writer thread starts")
        };
        // One part queued while one is inserted: the reader runs at most two batches ahead
        // of the leads lane.
        let (leads, parts) = sync_channel::<EncodedBatch>(1);
        let leads_lane = {
            let (store, ack, path) = (store.clone(), ack.clone(), path.clone());
            spawn(
                "leads",
                Box::new(move || {
                    for part in parts {
                        let result =
                            guarded(&path, || insert_leads(&store, external.as_ref(), &part));
                        let failed = result.is_err();
                        if ack.send((1, result)).is_err() || failed {
                            return;
                        }
                    }
                }),
            )
        };
        let (keys, parts) = sync_channel::<KeysPart>(KEYS_QUEUE);
        let keys_lane = {
            let (store, path) = (store.clone(), path.clone());
            spawn(
                "keys",
                Box::new(move || {
                    let run_len = key_run();
                    let mut run: Vec<EmailKey> = Vec::new();
                    // Parts gathered in `run`, acknowledged once it is inserted.
                    let mut gathered = 0;
                    let insert_run = |run: &mut Vec<EmailKey>, gathered: &mut usize| {
                        if *gathered == 0 {
                            return true;
                        }
                        let result = guarded(&path, || insert_emails(&store, run));
                        let failed = result.is_err();
                        let sent = ack.send((std::mem::take(gathered), result));
                        sent.is_ok() && !failed
                    };
                    for part in parts {
                        match part {
                            KeysPart::Emails(emails) => {
                                run.extend(emails);
                                gathered += 1;
                                if run.len() < run_len {
                                    continue;
                                }
                            }
                            KeysPart::Flush => {}
                        }
                        if !insert_run(&mut run, &mut gathered) {
                            return;
                        }
                    }
                    // The writer was dropped: what is gathered still goes in, so the leads
                    // already written are found by their email.
                    insert_run(&mut run, &mut gathered);
                }),
            )
        };
        BatchWriter {
            keys: Some(keys),
            leads: Some(leads),
            threads: vec![keys_lane, leads_lane],
            acks,
            in_flight: 0,
            path,
        }
    }

    /// Takes the acknowledgements already there, so an error surfaces early.
    fn collect(&mut self) -> Result<()> {
        while let Ok((parts, ack)) = self.acks.try_recv() {
            self.in_flight -= parts;
            ack?;
        }
        Ok(())
    }

    /// Queues a batch; returns the first error of an earlier batch, if any.
    pub fn send(&mut self, mut batch: EncodedBatch) -> Result<()> {
        self.collect()?;
        let emails = std::mem::take(&mut batch.emails);
        let (Some(keys), Some(leads)) = (&self.keys, &self.leads) else {
            return Err(self.gone());
        };
        let keys_sent = keys.send(KeysPart::Emails(emails)).is_ok();
        if keys_sent {
            self.in_flight += 1;
        }
        if keys_sent && leads.send(batch).is_ok() {
            self.in_flight += 1;
        } else {
            // A lane stopped: the error that stopped it is in the acknowledgements.
            return self.wait().and(Err(self.gone()));
        }
        Ok(())
    }

    /// Waits until every batch sent so far is in the book, keys and all.
    pub fn wait(&mut self) -> Result<()> {
        if self.in_flight > 0
            && let Some(keys) = &self.keys
        {
            // A stopped keys lane has left its error in the acknowledgements.
            let _ = keys.send(KeysPart::Flush);
        }
        while self.in_flight > 0 {
            match self.acks.recv() {
                Ok((parts, ack)) => {
                    self.in_flight -= parts;
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
    /// Lets the threads finish the parts they hold (the keys lane its gathered run) and
    /// stop, so the store is not written to after the import returns.
    fn drop(&mut self) {
        self.keys = None;
        self.leads = None;
        // The threads end once their queues are empty; acknowledgements they send meanwhile
        // are taken so they never wait on them.
        while self.acks.recv().is_ok() {}
        for t in self.threads.drain(..) {
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

    /// The keys lane holds the email keys of a run back until it is long or the importer
    /// waits: a wait puts every key sent so far in the book (a duplicate row found in an
    /// earlier batch of the file is looked up after one), and so does dropping the writer.
    #[test]
    fn a_wait_or_a_drop_puts_every_gathered_key_in() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let mut writer = BatchWriter::start(&store, None);
        writer.send(batch(1, &[1], "one@x.com")).unwrap();
        writer.send(batch(2, &[2], "two@x.com")).unwrap();
        writer.wait().unwrap();
        assert_eq!(store.lead_id_by_email("one@x.com").unwrap(), Some(1));
        assert_eq!(store.lead_id_by_email("two@x.com").unwrap(), Some(2));
        writer.send(batch(3, &[3], "three@x.com")).unwrap();
        drop(writer);
        assert_eq!(store.lead_id_by_email("three@x.com").unwrap(), Some(3));
        assert!(store.leads.contains_key(lead_key(3)).unwrap());
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
