//! The console's state machine: one owned `App`, `update(&mut App, Action) -> Vec<Effect>`
//! with no I/O. The loop in `run` performs the effects and feeds results back as actions.

pub mod accounts;
pub mod action;
pub mod admin;
pub mod admin_data;
pub mod board;
pub mod book;
mod book_events;
pub mod config;
pub mod detail;
mod filters;
pub mod first_page;
pub mod frame_timing;
pub mod import_prompt;
pub mod keymap;
pub mod learning;
pub mod log_form;
pub mod outcome_editor;
pub mod queue;
mod router;
pub mod run;
pub mod scoring;
pub mod search;
pub mod text_input;
pub mod versions;
mod views;
mod worker;

#[cfg(test)]
mod admin_tests;
#[cfg(test)]
mod board_tests;
#[cfg(test)]
mod log_tests;
#[cfg(test)]
mod picker_tests;
#[cfg(test)]
pub(crate) mod tests;

use crate::core::model::{LeadId, Timestamp};
use crate::core::text::sanitize;

pub use action::{Action, BookData, DetailData, Effect};
use book::Book;
use config::Config;
use detail::DetailState;
use keymap::KeyMode;
use log_form::LogForm;
use queue::{QUEUE_CHROME_ROWS, QueueState};
use search::SearchState;

/// The main view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// The book is being read.
    Loading,
    /// The book is empty: offer the demo, explain import.
    Welcome,
    Queue,
    Detail,
    Rules,
    Dashboard,
    Board,
    Accounts,
}

/// What is drawn over the view and gets keys first.
#[derive(Clone, Debug, PartialEq)]
pub enum Overlay {
    Help,
    Log(LogForm),
    Search(SearchState),
    RuleForm(admin::RuleForm),
    Versions(versions::VersionPicker),
    Outcomes(outcome_editor::OutcomeEditor),
    Import(import_prompt::ImportPrompt),
}

/// A short message at the bottom; `error` ones are drawn in the negative colour.
#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub text: String,
    pub error: bool,
    pub until: Timestamp,
}

const TOAST_SECS: i64 = 6;

#[derive(Clone, Debug)]
pub struct App {
    pub config: Config,
    pub screen: Screen,
    pub overlay: Option<Overlay>,
    pub book: Book,
    pub queue: QueueState,
    pub scoring: Option<scoring::Scoring>,
    pub detail: Option<DetailState>,
    pub admin: admin::AdminState,
    pub dashboard: Option<crate::core::dashboard::Dashboard>,
    /// A dashboard was asked of the worker and has not come back.
    pub dashboard_pending: bool,
    pub toast: Option<Toast>,
    /// Outcomes logged in this session, newest last, for `u`.
    pub undo_stack: Vec<u64>,
    /// Where the selection goes after the outcome being written (log-and-next).
    pending_next: Option<LeadId>,
    /// What long work is doing, while it runs.
    pub status: Option<String>,
    pub width: u16,
    pub height: u16,
    pub now: Timestamp,
    /// Something changed since the last frame.
    pub dirty: bool,
    pub quitting: bool,
    pub board: board::BoardState,
    pub accounts: accounts::AccountsState,
    /// The view a lead's detail was opened from, when not the queue.
    pub detail_from: Option<Screen>,
    /// A CSV import runs on the worker.
    pub importing: bool,
    /// The queue on screen is the first page saved at the last close; the book is loading.
    pub preview: bool,
    /// How far the book load has read: leads read, and the store's bound on their number.
    pub load_progress: Option<(usize, usize)>,
    /// Ticks since the last key: the console is idle from two on (at least a second).
    pub ticks_since_key: u8,
}

impl App {
    pub fn new(config: Config, now: Timestamp, width: u16, height: u16) -> App {
        App {
            config,
            screen: Screen::Loading,
            overlay: None,
            book: Book::default(),
            queue: QueueState::default(),
            scoring: None,
            detail: None,
            admin: admin::AdminState::default(),
            dashboard: None,
            dashboard_pending: false,
            toast: None,
            undo_stack: Vec::new(),
            pending_next: None,
            status: Some("reading the book…".into()),
            width,
            height,
            now,
            dirty: true,
            quitting: false,
            board: Default::default(),
            accounts: Default::default(),
            detail_from: None,
            importing: false,
            preview: false,
            load_progress: None,
            ticks_since_key: 0,
        }
    }

    /// Rows of leads the queue shows at the current size.
    pub fn page_height(&self) -> usize {
        self.height.saturating_sub(QUEUE_CHROME_ROWS).max(1) as usize
    }

    /// The keymap section for the current view.
    pub fn key_mode(&self) -> KeyMode {
        match (&self.overlay, self.screen) {
            (Some(Overlay::Help), _) => KeyMode::Help,
            (_, Screen::Welcome | Screen::Loading) => KeyMode::Welcome,
            (_, Screen::Queue) => KeyMode::Queue,
            (_, Screen::Detail) => KeyMode::Detail,
            (_, Screen::Rules) => KeyMode::Rules,
            (_, Screen::Dashboard) => KeyMode::Dashboard,
            (_, Screen::Board) => KeyMode::Board,
            (_, Screen::Accounts) => KeyMode::Accounts,
        }
    }

    fn toast(&mut self, text: impl Into<String>, error: bool) {
        self.toast_for(text, error, TOAST_SECS);
    }

    fn toast_for(&mut self, text: impl Into<String>, error: bool, secs: i64) {
        self.toast = Some(Toast {
            text: text.into(),
            error,
            until: self.now + secs,
        });
    }

    fn rebuild_page(&mut self) {
        let h = self.page_height();
        self.queue.build_page(
            &self.book,
            self.scoring.as_ref(),
            self.config.me.as_deref(),
            h,
            self.now,
        );
    }

    /// Re-reads the queue (after the book or the order changed), keeping `keep` selected.
    fn rerank(&mut self, keep: Option<LeadId>) {
        self.requeue(keep, true);
    }

    /// Re-reads the queue after the filter changed, keeping `keep` selected.
    fn refilter(&mut self, keep: Option<LeadId>) {
        self.requeue(keep, false);
    }

    fn requeue(&mut self, keep: Option<LeadId>, recount: bool) {
        self.queue.refilter(
            &self.book,
            self.scoring.as_ref(),
            self.config.me.as_deref(),
            self.now,
            keep,
            recount,
        );
        self.rebuild_page();
    }

    /// A lead's rank in the whole queue.
    fn rank_of(&self, id: LeadId) -> Option<u32> {
        // The queue on screen usually knows it: its position when unfiltered, the rank it
        // shows beside the lead under a filter. Otherwise it is a pass over every lead.
        if self.scoring.is_some() {
            let known = if self.queue.filter.is_empty() {
                self.queue.position_of(&self.book, id).map(|p| p as u32 + 1)
            } else {
                self.queue.ranks.get(&id).copied().filter(|&r| r > 0)
            };
            if known.is_some() {
                return known;
            }
        }
        match &self.scoring {
            Some(s) => s
                .index
                .ranks_of(&[id], &Default::default(), queue::queue_time(self.now))
                .first()
                .copied()
                .flatten(),
            None => self.book.index_of(id).map(|i| i as u32 + 1),
        }
    }

    fn open_detail(&mut self, id: LeadId) -> Vec<Effect> {
        self.screen = Screen::Detail;
        self.detail = Some(DetailState::loading(id, self.rank_of(id)));
        vec![Effect::LoadDetail(id)]
    }

    /// Moves the scorecard and the index to the stored learned weights and says, for the
    /// toast, which weights the step moved (`sign` -1: an undo moved them back).
    fn apply_learning(
        &mut self,
        learned: Option<&crate::core::weights::Weights>,
        step: Option<&crate::core::outcome::LearnStep>,
        sign: f64,
    ) -> String {
        let Some(s) = self.scoring.as_mut() else {
            return String::new();
        };
        if let Some(w) = learned {
            s.learn(w);
        }
        match step {
            Some(step) => format!(" · {}", learning::moved_text(s, step, sign)),
            None => String::new(),
        }
    }

    /// The lead an action applies to: the open one in detail, else the selected row.
    fn target_lead(&self) -> Option<LeadId> {
        match self.screen {
            Screen::Detail => self.detail.as_ref().map(|d| d.lead),
            Screen::Queue => self.queue.selected_id(&self.book),
            _ => None,
        }
    }
}

/// Applies one action to the state and says what the loop must do. No I/O.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let mut effects = update_view(app, action);
    // Left before its figures came: at a million leads the dashboard is most of a minute of
    // reading on the worker, which would hold up the next rules-admin read and take a core
    // from the keys typed meanwhile.
    if app.dashboard_pending && app.screen != Screen::Dashboard {
        app.dashboard_pending = false;
        if app.status.as_deref() == Some(COMPUTING_DASHBOARD) {
            app.status = None;
        }
        effects.push(Effect::CancelDashboard);
    }
    effects
}

const COMPUTING_DASHBOARD: &str = "computing the dashboard…";

fn update_view(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Tick(_) => app.ticks_since_key = app.ticks_since_key.saturating_add(1),
        Action::Key(_) => {
            app.ticks_since_key = 0;
            app.dirty = true;
        }
        _ => app.dirty = true,
    }
    // A publish, restore or weight revert reloads the book to re-rank it: the admin stays in
    // the rules view (to preview, publish or restore again) instead of landing on the queue.
    if app.screen == Screen::Rules && matches!(action, Action::BookLoaded(_)) {
        app.screen = Screen::Queue;
        let effects = update_view(app, action);
        if app.screen == Screen::Queue {
            app.screen = Screen::Rules;
        }
        return effects;
    }
    if app.screen == Screen::Rules
        && let Some(effects) = admin::on_action(app, &action)
    {
        return effects;
    }
    if let Some(effects) = views::intercept(app, &action) {
        return effects;
    }
    use Action::*;
    match action {
        Key(key) => router::on_key(app, key),
        ShowRules => {
            if matches!(app.screen, Screen::Welcome | Screen::Loading) {
                return vec![];
            }
            app.screen = Screen::Rules;
            vec![Effect::LoadAdmin]
        }
        ShowDashboard => {
            if matches!(app.screen, Screen::Welcome | Screen::Loading) {
                return vec![];
            }
            app.screen = Screen::Dashboard;
            if app.dashboard_pending {
                return vec![];
            }
            app.dashboard_pending = true;
            app.status = Some(COMPUTING_DASHBOARD.into());
            let histogram = app.scoring.as_ref().map(|s| s.index.score_histogram());
            vec![Effect::LoadDashboard(histogram)]
        }
        EditRule | AddRule | ToggleLock | ToggleRuleEnabled | DeleteRule | PreviewDraft
        | PublishDraft | DiscardDraft | RevertWeight | RestoreVersion => vec![],
        AdminLoaded(_) | PreviewReady(_) | RulesPublished(_) | WeightReverted(_) => {
            admin::on_loaded(app, action)
        }
        EditOutcomes if app.screen == Screen::Rules => outcome_editor::open(app),
        EditOutcomes => vec![],
        ImportCsv => import_prompt::open(app),
        ImportProgress(text) => import_prompt::on_progress(app, text),
        Imported(summary) => import_prompt::on_done(app, summary),
        VersionsLoaded(versions) => {
            versions::on_loaded(app, versions);
            vec![]
        }
        OutcomesSaved(catalog) => outcome_editor::on_saved(app, *catalog),
        DashboardLoaded(d) => {
            app.dashboard_pending = false;
            app.status = None;
            app.dashboard = Some(*d);
            vec![]
        }
        Quit => {
            app.quitting = true;
            let mut effects = Vec::new();
            if let Some(page) = first_page::capture(app) {
                effects.push(Effect::SaveFirstPage(Box::new(page)));
            }
            if app.queue.queue_len > 0 && !app.preview {
                effects.push(Effect::SaveLastLook(queue::last_look(
                    &app.book,
                    app.scoring.as_ref(),
                    app.now,
                    queue::LAST_LOOK_MAX,
                )));
            }
            effects.push(Effect::Quit);
            effects
        }
        Back => {
            if app.overlay.take().is_none() && app.screen == Screen::Detail {
                app.screen = Screen::Queue;
                app.detail = None;
                app.rebuild_page();
            }
            vec![]
        }
        Help => {
            app.overlay = Some(Overlay::Help);
            vec![]
        }
        PageDown | PageUp if app.screen == Screen::Detail => {
            // Scrolls the lead's fields and timeline by half a screen.
            let step = (app.height / 2).max(1);
            if let Some(d) = app.detail.as_mut() {
                d.scroll = if action == PageDown {
                    d.scroll.saturating_add(step)
                } else {
                    d.scroll.saturating_sub(step)
                };
            }
            vec![]
        }
        SelectNext | SelectPrev | PageDown | PageUp | SelectFirst | SelectLast => {
            let page = app.page_height() as isize;
            let delta = match action {
                SelectNext => 1,
                SelectPrev => -1,
                PageDown => page,
                PageUp => -page,
                SelectFirst => isize::MIN / 2,
                _ => isize::MAX / 2,
            };
            app.queue.move_by(delta);
            app.rebuild_page();
            vec![]
        }
        NextLead | PrevLead => {
            app.queue.move_by(if action == NextLead { 1 } else { -1 });
            app.rebuild_page();
            match app.queue.selected_id(&app.book) {
                Some(id) if app.screen == Screen::Detail => app.open_detail(id),
                _ => vec![],
            }
        }
        OpenDetail => match app.queue.selected_id(&app.book) {
            Some(id) => app.open_detail(id),
            None => vec![],
        },
        LogOutcome => {
            if let Some(id) = app.target_lead()
                && let Some(lead) = app.book.lead(id)
            {
                let name = sanitize(&lead.name).into_owned();
                app.overlay = Some(Overlay::Log(LogForm::new(id, name)));
            }
            vec![]
        }
        UndoOutcome => match app.undo_stack.pop() {
            Some(seq) => vec![Effect::UndoOutcome(seq)],
            None => {
                app.toast("nothing to undo in this session", false);
                vec![]
            }
        },
        Search => {
            app.overlay = Some(Overlay::Search(SearchState::default()));
            vec![]
        }
        ToggleMine | CycleStageFilter | CycleOwnerFilter | ToggleDueToday | ClearFilters => {
            filters::on_filter_key(app, action)
        }
        OpenDemo => {
            if app.screen == Screen::Welcome && !app.book.is_demo {
                app.status = Some("opening the demo book…".into());
                app.screen = Screen::Loading;
                // The welcome book is empty; it lets go of the database it was read from,
                // which the switch closes.
                app.book.leads = book::Leads::default();
                vec![Effect::OpenDemo]
            } else {
                vec![]
            }
        }
        Tick(now) => book_events::on_tick(app, now),
        Resize(w, h) => {
            app.width = w;
            app.height = h;
            app.rebuild_page();
            vec![]
        }
        BookLoaded(data) => book_events::on_book_loaded(app, data),
        DetailLoaded(data) => book_events::on_detail_loaded(app, data),
        OutcomeLogged(done) => book_events::on_outcome_logged(app, done),
        OutcomeUndone(done) => book_events::on_outcome_undone(app, done),
        ShowQueue | ShowBoard | ShowAccounts | ItemNext | ItemPrev | PaneLeft | PaneRight
        | OpenItem | StageBack | StageForward | UndoStageMove | StageMoved(_)
        | StageMoveUndone(_) => views::update(app, action),
        Progress(text) => {
            app.status = Some(text);
            vec![]
        }
        LoadProgress { read, of } => book_events::on_load_progress(app, read, of),
        Failed(text) => {
            app.pending_next = None;
            app.dashboard_pending = false;
            app.preview = false;
            app.load_progress = None;
            if app.screen == Screen::Loading {
                app.screen = if app.book.leads.is_empty() {
                    Screen::Welcome
                } else {
                    Screen::Queue
                };
            }
            app.status = None;
            app.toast(text, true);
            vec![]
        }
    }
}
