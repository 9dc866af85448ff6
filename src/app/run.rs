//! The console's loop: terminal set-up and restore, one channel for keys, ticks and job
//! results, and the effects `update` asks for (long work goes to [`super::worker`]).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyEventKind};

use super::frame_timing::FrameTimer;
use super::learning::OutcomeDone;
pub use super::worker::read_book;
use super::worker::{CLOSE_WAIT, Job, Worker};
use super::{Action, App, DetailData, Effect, Screen, config::Config, update};
use crate::core::learn::Priors;
use crate::core::model::{LeadId, Timestamp};
use crate::core::outcome::OutcomeRecord;
use crate::store::paths::{Paths, create_private_dir};
use crate::store::{Store, StoreError, worklog};

/// Meta key under which each lead's rank at the last look is kept.
pub(super) const LAST_LOOK_KEY: &str = "console.last_look";

/// Where the console runs and on what.
pub struct ConsoleOptions {
    pub db: PathBuf,
    pub demo_db: PathBuf,
    pub is_demo: bool,
    pub config_file: PathBuf,
    pub log_file: PathBuf,
}

impl ConsoleOptions {
    pub fn new(db: PathBuf, is_demo: bool, paths: &Paths) -> ConsoleOptions {
        ConsoleOptions {
            db,
            demo_db: paths.demo_db(),
            is_demo,
            config_file: paths.config_file(),
            log_file: paths.log_file(),
        }
    }
}

/// Why the console could not run.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// `config.toml` is wrong (exit 2).
    #[error("{0}")]
    Config(#[from] super::config::ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

/// The current time in seconds; the loop reads the clock, `update` never does.
pub(super) fn clock() -> Timestamp {
    crate::cli::now()
}

/// Sends all tracing output to the log file, never to the terminal.
fn init_logging(log_file: &Path) {
    if let Some(dir) = log_file.parent() {
        let _ = create_private_dir(dir);
    }
    if let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)
    {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .try_init();
    }
}

/// Restores the terminal when dropped, on error paths too.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Runs the console until the user quits.
pub fn run_console(opts: ConsoleOptions) -> Result<(), ConsoleError> {
    let config = Config::load(&opts.config_file)?;
    init_logging(&opts.log_file);
    // A book closed cleanly shows its saved first page before the database opens.
    let first_page = super::first_page::load(&opts.db);
    let exit_after_first_frame =
        std::env::var("LEADQ_EXIT_AFTER_FIRST_FRAME").is_ok_and(|v| v == "1");
    // Test hook for the crash path (terminal restored, log named): panic after the first frame.
    let panic_after_first_frame =
        std::env::var("LEADQ_PANIC_AFTER_FIRST_FRAME").is_ok_and(|v| v == "1");

    let mut terminal = ratatui::init();
    let _guard = TerminalGuard;
    let previous_hook = std::panic::take_hook();
    let log_file = opts.log_file.clone();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!("panic: {info}");
        previous_hook(info);
        eprintln!(
            "leadq crashed; the details are in the log file {}",
            log_file.display()
        );
    }));

    let size = terminal.size()?;
    let mut app = App::new(config, clock(), size.width, size.height);
    if let Some(page) = first_page {
        super::first_page::show(&mut app, page);
        terminal.draw(|frame| crate::ui::draw(frame, &app))?;
        app.dirty = false;
        tracing::info!("first page shown from the last close");
        if exit_after_first_frame {
            return Ok(());
        }
    }
    if let Some(bytes) = crate::store::check_size(&opts.db) {
        // Seconds to a minute on a large book: say what the wait is.
        app.status = Some(format!("{}…", crate::store::check_notice(bytes)));
        terminal.draw(|frame| crate::ui::draw(frame, &app))?;
    }
    let store = Store::open_with_notice(&opts.db, &mut |notice| {
        app.status = Some(format!("{notice}…"));
        let _ = terminal.draw(|frame| crate::ui::draw(frame, &app));
    })?;
    tracing::info!(db = %opts.db.display(), "console opened");
    if store.interrupted_import().is_some() {
        // Fits 80 columns (a command-line open that repairs prints a longer note).
        app.toast_for(
            "interrupted import repaired · import the file again for the rows it missed",
            false,
            30,
        );
    }
    let (tx, rx) = mpsc::channel::<Incoming>();
    spawn_input_reader(tx.clone());
    spawn_ticker(tx.clone());
    let worker = Worker::spawn(tx.clone());
    let mut session = Session {
        store,
        is_demo: opts.is_demo,
        demo_db: opts.demo_db,
        worker,
        priors: None,
        last_commit: None,
        dashboard_stop: None,
    };
    session.load_book();

    let mut pending: VecDeque<Action> = VecDeque::new();
    let mut timer = FrameTimer::from_env();
    loop {
        if app.dirty {
            terminal.draw(|frame| crate::ui::draw(frame, &app))?;
            app.dirty = false;
            if pending.is_empty() {
                timer.settle();
            }
            if exit_after_first_frame && app.screen != Screen::Loading {
                break Ok(());
            }
            if panic_after_first_frame && app.screen != Screen::Loading {
                panic!("LEADQ_PANIC_AFTER_FIRST_FRAME is set");
            }
        }
        let action = match pending.pop_front() {
            Some(a) => a,
            None => {
                if !app.dirty {
                    timer.settle();
                }
                match rx.recv() {
                    Ok((Action::Key(key), at)) => {
                        timer.key(&key, at);
                        Action::Key(key)
                    }
                    Ok((tick @ Action::Tick(_), _)) => {
                        session.checkpoint_when_idle();
                        tick
                    }
                    Ok((a, _)) => a,
                    Err(_) => break Ok(()),
                }
            }
        };
        for effect in update(&mut app, action) {
            if effect == Effect::Quit {
                timer.settle();
                if let Some(summary) = timer.summary() {
                    tracing::info!("{summary}");
                }
                app.status = Some("closing the book…".into());
                terminal.draw(|frame| crate::ui::draw(frame, &app))?;
                // The book reads its leads from the store: it lets go of it first, so that
                // the session's handle is the last and the close flushes and seals.
                app.book = super::book::Book::default();
                session.close();
                return Ok(());
            }
            if let Some(result) = session.perform(effect) {
                pending.push_back(result);
            }
        }
    }
}

/// What reaches the loop, stamped with when it was sent (keystroke timing starts there).
pub(super) type Incoming = (Action, Instant);

/// Key presses and resizes, from a thread that blocks on the terminal.
fn spawn_input_reader(tx: Sender<Incoming>) {
    std::thread::spawn(move || {
        loop {
            let action = match event::read() {
                Ok(Event::Key(key)) if key.kind == KeyEventKind::Press => Action::Key(key),
                Ok(Event::Resize(w, h)) => Action::Resize(w, h),
                Ok(_) => continue,
                Err(e) => {
                    tracing::error!("reading the terminal failed: {e}");
                    return;
                }
            };
            if tx.send((action, Instant::now())).is_err() {
                return;
            }
        }
    });
}

fn spawn_ticker(tx: Sender<Incoming>) {
    std::thread::spawn(move || {
        while tx.send((Action::Tick(clock()), Instant::now())).is_ok() {
            std::thread::sleep(Duration::from_secs(1));
        }
    });
}

/// The open database and the worker: performs effects.
struct Session {
    store: Store,
    is_demo: bool,
    demo_db: PathBuf,
    worker: Worker,
    /// The priors of the rules version they were parsed from (`None`: the defaults).
    priors: Option<(Option<u32>, Priors)>,
    /// When the last journaled commit (outcome, undo, stage move) was made; `None` once a
    /// checkpoint was asked for since.
    last_commit: Option<Instant>,
    /// Stops the read of the dashboard last asked of the worker.
    dashboard_stop: Option<Arc<AtomicBool>>,
}

/// How long the console waits after the last commit before it flushes the book on the
/// worker, which empties the commit journal (a flush of a large book can take hundreds of
/// milliseconds; off the UI thread and away from a rep's burst of commits it costs nothing).
const CHECKPOINT_IDLE: Duration = Duration::from_secs(10);

impl Session {
    /// Closes the book on quit: flushed and sealed now, then — once the worker has let go of
    /// its handle — closed by sled and sealed again. sled's own threads write after a flush
    /// (segment rewrites, blob removals) until the last handle closes, so only the second
    /// seal describes the files as the next start finds them; it lets that start draw the
    /// saved first page at once and open without checking a copy first.
    fn close(self) {
        if let Err(e) = self.store.seal_for_exit() {
            tracing::warn!("closing the book: {e}");
        }
        // A dashboard, rules-admin or load read still running ends at its next record.
        self.store.stop_reads();
        if !self.worker.stop(CLOSE_WAIT) {
            tracing::warn!(
                "a background job still held the book after {} s; quitting without closing it",
                CLOSE_WAIT.as_secs()
            );
        }
        // The last handle: sled closes, then the seal is written (`CloseSeal`'s drop).
        drop(self.store);
    }

    fn label(&self) -> String {
        let name = self
            .store
            .path()
            .file_name()
            .map_or("book".into(), |n| n.to_string_lossy().into_owned());
        if self.is_demo {
            format!("{name} (demo)")
        } else {
            name
        }
    }

    fn load_book(&self) {
        let _ = self.worker.jobs.send(Job::LoadBook {
            store: self.store.clone(),
            label: self.label(),
            is_demo: self.is_demo,
        });
    }

    /// Asks the worker to flush the book once commits have paused (see [`CHECKPOINT_IDLE`]).
    fn checkpoint_when_idle(&mut self) {
        if self
            .last_commit
            .is_some_and(|at| at.elapsed() >= CHECKPOINT_IDLE)
        {
            self.last_commit = None;
            let _ = self.worker.jobs.send(Job::Checkpoint(self.store.clone()));
        }
    }

    fn perform(&mut self, effect: Effect) -> Option<Action> {
        let now = clock();
        if matches!(
            effect,
            Effect::LogOutcome { .. }
                | Effect::UndoOutcome(_)
                | Effect::MoveStage { .. }
                | Effect::UndoStageMove(_)
        ) {
            self.last_commit = Some(Instant::now());
        }
        match effect {
            Effect::Quit => None,
            Effect::LoadBook => {
                self.load_book();
                None
            }
            Effect::LoadDetail(id) => Some(
                self.detail(id)
                    .unwrap_or_else(|e| Action::Failed(e.to_string())),
            ),
            Effect::LogOutcome {
                lead,
                request,
                snapshot,
            } => {
                // Durable write and learning step in one; the new weights go back to the app.
                let done = self.priors().and_then(|priors| {
                    let record = worklog::log_outcome_learned(
                        &self.store,
                        lead,
                        &request,
                        snapshot,
                        &priors,
                        now,
                    )
                    .map_err(|e| e.to_string())?;
                    self.outcome_done(record)
                });
                Some(match done {
                    Ok(done) => Action::OutcomeLogged(Box::new(done)),
                    Err(e) => Action::Failed(format!("outcome not logged: {e}")),
                })
            }
            Effect::UndoOutcome(seq) => {
                // Exact undo: the lead's side effects and the learning step are reversed.
                let done = self.priors().and_then(|priors| {
                    let record = worklog::undo_outcome_learned(&self.store, seq, &priors)
                        .map_err(|e| e.to_string())?;
                    self.outcome_done(record)
                });
                Some(match done {
                    Ok(done) => Action::OutcomeUndone(Box::new(done)),
                    Err(e) => Action::Failed(format!("undo failed: {e}")),
                })
            }
            Effect::MoveStage { lead, to } => Some(
                match crate::store::stage::move_stage(&self.store, lead, &to, now) {
                    Ok(done) => Action::StageMoved(Box::new(done)),
                    Err(e) => Action::Failed(format!("stage not changed: {e}")),
                },
            ),
            Effect::UndoStageMove(mv) => Some(
                match crate::store::stage::undo_stage_move(&self.store, &mv) {
                    Ok(lead) => Action::StageMoveUndone(Box::new((mv, lead))),
                    Err(e) => Action::Failed(format!("undo failed: {e}")),
                },
            ),
            Effect::OpenDemo => match self.open_demo() {
                Ok(()) => {
                    self.load_book();
                    None
                }
                Err(e) => Some(Action::Failed(e)),
            },
            Effect::SaveLastLook(mut ranks) => {
                ranks.truncate(super::queue::LAST_LOOK_MAX);
                if let Err(e) = self
                    .store
                    .put_meta(LAST_LOOK_KEY, &ranks)
                    .and_then(|()| self.store.flush())
                {
                    tracing::warn!("could not save the queue ranks: {e}");
                }
                None
            }
            Effect::LoadDashboard(histogram) => {
                let stop = Arc::new(AtomicBool::new(false));
                self.dashboard_stop = Some(Arc::clone(&stop));
                let _ = self.worker.jobs.send(Job::Dashboard {
                    store: self.store.stoppable(stop),
                    histogram,
                });
                None
            }
            Effect::CancelDashboard => {
                if let Some(stop) = self.dashboard_stop.take() {
                    stop.store(true, Ordering::Relaxed);
                }
                None
            }
            Effect::PreviewRules(_) | Effect::PublishRules(_) => {
                let _ = self
                    .worker
                    .jobs
                    .send(Job::Admin(self.store.clone(), effect));
                None
            }
            Effect::LoadAdmin => {
                // Learned weights, lift and every rule's history: a pass over the book's
                // outcomes and weight events, so on the worker.
                let _ = self
                    .worker
                    .jobs
                    .send(Job::Admin(self.store.clone(), effect));
                None
            }
            Effect::RestoreRules(v) => Some(match self.store.restore_rules(v, now) {
                Ok((n, _)) => Action::RulesPublished(n),
                Err(e) => Action::Failed(format!("restore failed: {e}")),
            }),
            Effect::RevertWeight { rule, to } => Some(self.revert_weight(rule, to, now)),
            Effect::RevertWeightBack { rule, back, prior } => {
                Some(match self.store.weight_back(Some(rule), back) {
                    Ok(to) => self.revert_weight(rule, to.unwrap_or(prior), now),
                    Err(e) => Action::Failed(format!("weight not reverted: {e}")),
                })
            }
            Effect::LoadVersions => Some(match self.store.rule_version_summaries() {
                Ok(v) => Action::VersionsLoaded(v),
                Err(e) => Action::Failed(format!("rules versions: {e}")),
            }),
            Effect::SaveFirstPage(page) => {
                if let Err(e) = super::first_page::save(self.store.path(), &page) {
                    tracing::warn!("could not save the queue's first page: {e}");
                }
                None
            }
            Effect::ImportCsv(path) => {
                let _ = self.worker.jobs.send(Job::Import {
                    store: self.store.clone(),
                    path,
                    label: self.label(),
                    is_demo: self.is_demo,
                });
                None
            }
            Effect::SaveOutcomes(catalog) => {
                Some(match self.store.save_outcome_catalog(&catalog) {
                    Ok(()) => Action::OutcomesSaved(Box::new(catalog)),
                    Err(e) => Action::Failed(format!("outcome map not saved: {e}")),
                })
            }
        }
    }

    fn revert_weight(&self, rule: crate::core::outcome::RuleId, to: f64, now: Timestamp) -> Action {
        let done = self
            .store
            .current_rules()
            .map_err(|e| e.to_string())
            .and_then(|set| {
                let priors = crate::core::learn::Priors::from_points(
                    set.base_points,
                    set.rules.iter().map(|r| (r.id, r.points, r.locked)),
                );
                let name = set.rule(rule).map_or(String::new(), |r| r.name.clone());
                self.store
                    .revert_weight(Some(rule), to, &priors, now)
                    .map(|_| name)
                    .map_err(|e| e.to_string())
            });
        match done {
            Ok(name) => Action::WeightReverted(format!(
                "{} weight set to {} points",
                crate::core::text::sanitize(&name),
                crate::core::weights::points_from_weight(to)
            )),
            Err(e) => Action::Failed(format!("revert failed: {e}")),
        }
    }

    /// The priors of the rules in force, parsed again only when a publish or restore made a
    /// new version (parsing compiles every rule's regular expressions: not per outcome).
    fn priors(&mut self) -> Result<Priors, String> {
        let version = self
            .store
            .current_rules_version()
            .map_err(|e| e.to_string())?;
        if let Some((v, priors)) = &self.priors
            && *v == version
        {
            return Ok(priors.clone());
        }
        let set = self.store.current_rules().map_err(|e| e.to_string())?;
        let priors = Priors::of_rule_set(&set);
        self.priors = Some((version, priors.clone()));
        Ok(priors)
    }

    /// The lead and the learned weights as stored after an outcome or its undo.
    fn outcome_done(&self, record: OutcomeRecord) -> Result<OutcomeDone, String> {
        Ok(OutcomeDone {
            lead: self.stored_lead(record.lead)?,
            learned: self.store.load_weights().map_err(|e| e.to_string())?,
            record,
        })
    }

    fn stored_lead(&self, id: LeadId) -> Result<crate::core::model::Lead, String> {
        self.store
            .lead(id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("lead {id} vanished"))
    }

    fn detail(&self, id: LeadId) -> Result<Action, StoreError> {
        let lead = self
            .store
            .lead(id)?
            .ok_or_else(|| StoreError::LeadNotFound(id.to_string()))?;
        Ok(Action::DetailLoaded(Box::new(DetailData {
            activities: self.store.activities_of(id)?,
            outcomes: self.store.outcomes_of(id)?,
            lead,
        })))
    }

    /// Switches to the demo book, generating it on first use.
    /// Switches to the demo book; the worker generates it on first use when loading.
    fn open_demo(&mut self) -> Result<(), String> {
        if self.store.path() == self.demo_db {
            return Ok(());
        }
        self.store = Store::open(&self.demo_db).map_err(|e| e.to_string())?;
        self.is_demo = true;
        self.priors = None;
        Ok(())
    }
}
