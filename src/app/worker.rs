//! The console's worker thread: book loads, CSV imports, rules-admin and dashboard work,
//! run one at a time off the UI thread and reported back as actions.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use super::book::Leads;
use super::run::{Incoming, LAST_LOOK_KEY, clock};
use super::scoring::Scoring;
use super::{Action, BookData, Effect};
use crate::core::model::{Lead, Timestamp};
use crate::core::priority::PriorityConfig;
use crate::store::{Store, StoreError};

/// Long work for the worker thread; the newest request replaces any queued one.
pub(super) enum Job {
    LoadBook {
        store: Store,
        label: String,
        is_demo: bool,
    },
    /// Rules admin and dashboard work (preview, publish, dashboard figures).
    Admin(Store, Effect),
    /// A CSV import, then a reload of the book.
    Import {
        store: Store,
        path: PathBuf,
        label: String,
        is_demo: bool,
    },
    /// A flush of the book after commits paused, which empties the commit journal.
    Checkpoint(Store),
    /// The dashboard's figures, with the score distribution from the live index, read
    /// through a [`Store::stoppable`] handle: given up, it sends nothing.
    Dashboard {
        store: Store,
        histogram: Option<[u64; 10]>,
    },
}

/// One background thread that runs jobs and reports their results as actions.
pub(super) struct Worker {
    pub(super) jobs: Sender<Job>,
    thread: std::thread::JoinHandle<()>,
}

/// How long quitting waits for a running job to let go of the book before the console exits
/// without closing it (the next open then checks a copy of the files first).
pub(super) const CLOSE_WAIT: Duration = Duration::from_secs(20);

impl Worker {
    /// Takes no more jobs and waits, at most `limit`, for the running one to end; true when
    /// the thread is gone (and with it every handle on the book that it held).
    pub(super) fn stop(self, limit: Duration) -> bool {
        drop(self.jobs);
        let until = Instant::now() + limit;
        while !self.thread.is_finished() {
            if Instant::now() >= until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.thread.join();
        true
    }
}

/// Lowers the calling thread's CPU priority (nice 10; threads it starts inherit it), so that
/// background work — a book load, the dashboard's scans, an import — takes the cores only
/// when the UI thread does not need them: a key pressed while the dashboard reads a million
/// leads on both cores is answered as fast as on an idle machine. Best effort.
fn yield_to_the_ui() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on this thread's own id; no memory is passed.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

impl Worker {
    pub(super) fn spawn(results: Sender<Incoming>) -> Worker {
        let send = move |a: Action| results.send((a, Instant::now()));
        let (jobs, queue): (Sender<Job>, Receiver<Job>) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            yield_to_the_ui();
            let mut waiting: VecDeque<Job> = VecDeque::new();
            loop {
                if waiting.is_empty() {
                    match queue.recv() {
                        Ok(job) => waiting.push_back(job),
                        Err(_) => return,
                    }
                }
                waiting.extend(queue.try_iter());
                // A book load that a later one replaces is skipped; every other job runs.
                let job = waiting.pop_front().expect("not empty");
                if matches!(job, Job::LoadBook { .. })
                    && waiting.iter().any(|j| matches!(j, Job::LoadBook { .. }))
                {
                    continue;
                }
                let result = match job {
                    Job::LoadBook {
                        store,
                        label,
                        is_demo,
                    } => {
                        let now = clock();
                        let demo = if is_demo && store.is_empty() {
                            let _ = send(Action::Progress(
                                "generating the demo book (first use only)…".into(),
                            ));
                            crate::store::demo::ensure_demo_book(&store, now).map(|_| ())
                        } else {
                            Ok(())
                        };
                        let _ = send(Action::Progress("reading leads…".into()));
                        let mut last = Instant::now();
                        let mut progress = |read: usize, of: usize| {
                            if last.elapsed() >= LOAD_PROGRESS_EVERY {
                                last = Instant::now();
                                let _ = send(Action::LoadProgress { read, of });
                            }
                        };
                        let read = |()| read_book(&store, label, is_demo, now, &mut progress);
                        match demo.and_then(read) {
                            Ok(data) => Action::BookLoaded(Box::new(data)),
                            Err(e) => Action::Failed(e.to_string()),
                        }
                    }
                    Job::Admin(store, effect) => admin_job(&store, effect, clock()),
                    Job::Dashboard { store, histogram } => {
                        match super::admin_data::load_dashboard(&store, histogram, clock()) {
                            Ok(d) => Action::DashboardLoaded(Box::new(d)),
                            Err(StoreError::Stopped { .. }) => continue,
                            Err(e) => Action::Failed(format!("dashboard: {e}")),
                        }
                    }
                    Job::Checkpoint(store) => {
                        if store.journal_len() > 0
                            && let Err(e) = store.flush()
                        {
                            tracing::warn!("checkpoint flush failed: {e}");
                        }
                        continue;
                    }
                    Job::Import {
                        store,
                        path,
                        label,
                        is_demo,
                    } => {
                        let done = import_job(&store, &path, &send)
                            .map_err(|e| format!("import of {} failed: {e}", path.display()));
                        let failed = done.is_err();
                        let _ = send(Action::Imported(done));
                        if failed {
                            continue;
                        }
                        match read_book(&store, label, is_demo, clock(), &mut |_, _| ()) {
                            Ok(data) => Action::BookLoaded(Box::new(data)),
                            Err(e) => Action::Failed(e.to_string()),
                        }
                    }
                };
                if send(result).is_err() {
                    return;
                }
            }
        });
        Worker { jobs, thread }
    }
}

/// Imports a CSV file as `leadq import` does, reporting progress at most every 200 ms;
/// returns the summary line for the toast.
fn import_job(
    store: &Store,
    path: &Path,
    send: &dyn Fn(Action) -> Result<(), mpsc::SendError<Incoming>>,
) -> Result<String, crate::store::import::ImportError> {
    use crate::store::import::{ImportOptions, ImportPhase, import_csv};
    let name = path.file_name().map_or(path.display().to_string(), |n| {
        n.to_string_lossy().into_owned()
    });
    let name = crate::core::text::sanitize(&name).into_owned();
    let mut last = Instant::now();
    let options = ImportOptions {
        dry_run: false,
        now: clock(),
    };
    let summary = import_csv(store, path, &[], &options, &mut |p| {
        if last.elapsed() < Duration::from_millis(200) {
            return;
        }
        last = Instant::now();
        let pct = (p.bytes * 100).checked_div(p.total_bytes).unwrap_or(0);
        let phase = match p.phase {
            ImportPhase::Scanning => "checking",
            ImportPhase::Importing => "importing",
        };
        let _ = send(Action::ImportProgress(format!(
            "{phase} {name}: {pct} % · {} rows",
            p.rows
        )));
    })?;
    let mut text = format!(
        "imported {name}: {} new, {} merged",
        summary.imported, summary.merged
    );
    if summary.rejected > 0 {
        text.push_str(&format!(", {} rejected", summary.rejected));
        if let Some(f) = &summary.reject_file {
            text.push_str(&format!(" (see {})", f.display()));
        }
    }
    text.push_str(" · reloading the queue…");
    Ok(text)
}

/// Runs rules admin and dashboard work on the worker.
fn admin_job(store: &Store, effect: Effect, now: Timestamp) -> Action {
    use super::admin_data;
    match effect {
        Effect::PreviewRules(text) => match admin_data::preview(store, &text, now) {
            Ok(p) => Action::PreviewReady(Box::new(p)),
            Err(e) => Action::Failed(format!("preview failed: {e}")),
        },
        Effect::PublishRules(text) => {
            match store.publish_rules(&text, "edited in the console", now) {
                Ok((v, _)) => Action::RulesPublished(v),
                Err(e) => Action::Failed(format!("rules not published: {e}")),
            }
        }
        Effect::LoadAdmin => match admin_data::load_admin(store) {
            Ok(d) => Action::AdminLoaded(Box::new(d)),
            Err(e) => Action::Failed(format!("rules admin: {e}")),
        },
        _ => Action::Failed("internal: not a worker job".into()),
    }
}

/// How often a book load says how far it got.
const LOAD_PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Leads read between two calls of [`read_book`]'s `progress`.
const LOAD_PROGRESS_LEADS: usize = 16_384;

/// "loading the book: 340,000 of 1,000,000 leads read" (`of`: the store's bound on the
/// number of leads; left out when `read` passed it).
pub fn load_progress_text(read: usize, of: usize) -> String {
    let read_text = crate::core::priority::thousands(read as f64);
    if of >= read {
        let of = crate::core::priority::thousands(of as f64);
        format!("loading the book: {read_text} of {of} leads read")
    } else {
        format!("loading the book: {read_text} leads read")
    }
}

/// Reads what the console shows of the book, calling `progress(leads read, leads in the
/// book)` every [`LOAD_PROGRESS_LEADS`] leads: at 10⁶ leads the read takes 10–20 s.
pub fn read_book(
    store: &Store,
    label: String,
    is_demo: bool,
    now: Timestamp,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<BookData, StoreError> {
    store.warm_id_generator()?;
    let card = store.scorecard()?;
    // One pass over leads and activities gives the index, the leads and each lead's newest
    // activity (for stale cards on the board).
    let rows = store.lead_count_bound()?;
    // Room up front when the memory is there (a refused reservation only means growing).
    let (mut leads, mut last_activity) = (Leads::stored(store.clone()), Vec::new());
    // Untouched room costs no resident memory.
    leads.reserve(rows);
    let _ = last_activity.try_reserve_exact(rows);
    let visit = |lead: Lead, value: &[u8], newest: Option<Timestamp>| {
        if let Some(at) = newest {
            last_activity.push((lead.id, at));
        }
        // Only the id (and owner): views read the lead from the store (see `Leads`).
        leads.push_encoded(&lead, value);
        if leads.len().is_multiple_of(LOAD_PROGRESS_LEADS) {
            progress(leads.len(), rows);
        }
    };
    let index = store.build_index_with(&card, PriorityConfig::default(), now, visit)?;
    // After the pass, not before: from sled's first transaction on, every read takes a lock.
    store.warm_commits()?;
    Ok(BookData {
        scoring: Some(Scoring { card, index }),
        leads,
        catalog: store.outcome_catalog()?,
        pipeline: store.pipeline()?,
        last_look: store.get_meta(LAST_LOOK_KEY)?.unwrap_or_default(),
        last_activity,
        label,
        is_demo,
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// This thread's nice value.
    fn nice() -> i32 {
        // SAFETY: as in `yield_to_the_ui`.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::getpriority(libc::PRIO_PROCESS, tid)
        }
    }

    #[test]
    fn background_work_and_the_threads_it_starts_run_below_the_ui() {
        let ui = nice();
        let (worker, helper) = std::thread::spawn(|| {
            super::yield_to_the_ui();
            // The parallel passes of a job (scoped threads) inherit the lower priority.
            let helper = std::thread::scope(|s| s.spawn(nice).join().unwrap());
            (nice(), helper)
        })
        .join()
        .unwrap();
        assert_eq!(nice(), ui, "the UI thread keeps its priority");
        assert_eq!(worker, (ui + 10).min(19));
        assert_eq!(helper, worker);
    }
}

#[cfg(test)]
mod dashboard_tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::{Job, Worker};
    use crate::app::Action;

    /// A request the console gave up before the worker reached it is not computed and
    /// sends nothing; the next one, still wanted, comes back.
    #[test]
    fn a_dashboard_given_up_before_its_turn_sends_nothing_and_the_next_one_comes() {
        let (_dir, store) = crate::store::fixtures::store_with_leads(3);
        let (tx, rx) = mpsc::channel();
        let worker = Worker::spawn(tx);
        for given_up in [true, false] {
            let stop = Arc::new(AtomicBool::new(given_up));
            worker
                .jobs
                .send(Job::Dashboard {
                    store: store.stoppable(stop),
                    histogram: None,
                })
                .unwrap();
        }
        let (first, _) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        match first {
            Action::DashboardLoaded(d) => assert_eq!(d.score_histogram.iter().sum::<u64>(), 3),
            other => panic!("expected the second dashboard, got {other:?}"),
        }
        assert!(
            rx.recv_timeout(Duration::from_millis(300)).is_err(),
            "the given-up request sent something"
        );
        assert!(worker.stop(Duration::from_secs(10)));
    }
}

#[cfg(test)]
mod load_tests {
    use super::{LOAD_PROGRESS_LEADS, load_progress_text, read_book};
    use crate::core::model::Lead;
    use crate::store::Store;

    /// A load says how far it got as it reads, against the number of leads in the book: at
    /// 10⁶ leads a first start without a saved page reads for 10–20 s.
    #[test]
    fn a_book_load_reports_its_progress_against_the_book_size() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let n = 2 * LOAD_PROGRESS_LEADS + 1000;
        let leads: Vec<Lead> = (1..=n as u64)
            .map(|id| Lead {
                id,
                name: format!("Lead {id}"),
                stage: "New".into(),
                ..Lead::default()
            })
            .collect();
        store.insert_leads(&leads).unwrap();
        let mut seen = Vec::new();
        let data = read_book(
            &store,
            "book".into(),
            false,
            1_795_651_200,
            &mut |read, of| seen.push((read, of)),
        )
        .unwrap();
        assert_eq!(data.leads.len(), n);
        assert_eq!(
            seen,
            [(LOAD_PROGRESS_LEADS, n), (2 * LOAD_PROGRESS_LEADS, n)]
        );
        assert_eq!(
            load_progress_text(32_768, 33_768),
            "loading the book: 32,768 of 33,768 leads read"
        );
        // Past the bound (it is capped): the count alone.
        assert_eq!(load_progress_text(5, 3), "loading the book: 5 leads read");
    }
}
