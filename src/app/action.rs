//! What can happen to the console (`Action`) and what the loop must do about it (`Effect`).

use crossterm::event::KeyEvent;
use serde::Deserialize;

use crate::core::model::{Activity, Lead, LeadId, Pipeline, Timestamp};
use crate::core::outcome::{OutcomeCatalog, OutcomeRecord};
use crate::store::stage::StageMove;
use crate::store::worklog::LogRequest;

/// Everything that changes the console's state: user commands (bindable in `config.toml` by
/// their snake_case name), raw keys, ticks, and results of work done by the loop or worker.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    /// Leave the current view or overlay (detail → queue, overlay → view).
    Back,
    Help,
    SelectNext,
    SelectPrev,
    PageDown,
    PageUp,
    SelectFirst,
    SelectLast,
    OpenDetail,
    NextLead,
    PrevLead,
    LogOutcome,
    UndoOutcome,
    Search,
    ToggleMine,
    CycleStageFilter,
    CycleOwnerFilter,
    ToggleDueToday,
    ClearFilters,
    OpenDemo,
    ShowQueue,
    ShowRules,
    ShowDashboard,
    EditRule,
    AddRule,
    ToggleLock,
    ToggleRuleEnabled,
    DeleteRule,
    PreviewDraft,
    PublishDraft,
    DiscardDraft,
    RevertWeight,
    RestoreVersion,
    ShowBoard,
    ShowAccounts,
    ItemNext,
    ItemPrev,
    PaneLeft,
    PaneRight,
    OpenItem,
    StageBack,
    StageForward,
    UndoStageMove,
    EditOutcomes,
    ImportCsv,

    /// A key press, routed by the open overlay, the view's keymap, then the global keymap.
    #[serde(skip)]
    Key(KeyEvent),
    /// The clock moved on (once a second).
    #[serde(skip)]
    Tick(Timestamp),
    #[serde(skip)]
    Resize(u16, u16),
    #[serde(skip)]
    BookLoaded(Box<BookData>),
    #[serde(skip)]
    DetailLoaded(Box<DetailData>),
    /// An outcome is durable; `lead` is the lead as stored afterwards.
    #[serde(skip)]
    OutcomeLogged(Box<super::learning::OutcomeDone>),
    #[serde(skip)]
    OutcomeUndone(Box<super::learning::OutcomeDone>),
    /// Long work (load, import, re-score) reports how far it got.
    /// A stage move is durable; `Lead` is the lead as stored afterwards.
    #[serde(skip)]
    StageMoved(Box<(StageMove, Lead)>),
    #[serde(skip)]
    StageMoveUndone(Box<(StageMove, Lead)>),
    #[serde(skip)]
    Progress(String),
    /// A book load has read `read` leads of about `of` (the store's bound: the highest id).
    #[serde(skip)]
    LoadProgress {
        read: usize,
        of: usize,
    },
    #[serde(skip)]
    Failed(String),
    #[serde(skip)]
    AdminLoaded(Box<super::admin_data::AdminData>),
    #[serde(skip)]
    PreviewReady(Box<super::admin_data::Preview>),
    /// A rules version is durable (published or restored).
    #[serde(skip)]
    RulesPublished(u32),
    #[serde(skip)]
    WeightReverted(String),
    #[serde(skip)]
    DashboardLoaded(Box<crate::core::dashboard::Dashboard>),
    /// The published rule versions, oldest first, for the version picker.
    #[serde(skip)]
    VersionsLoaded(Vec<crate::store::versions::VersionSummary>),
    /// The outcome catalogue is durable as edited.
    #[serde(skip)]
    OutcomesSaved(Box<OutcomeCatalog>),
    /// A background import got this far ("importing leads.csv: 41 % · 410,000 rows").
    #[serde(skip)]
    ImportProgress(String),
    /// A background import is durable (the text sums it up; the book reloads after it), or
    /// it failed (the error, as `leadq import` would print it).
    #[serde(skip)]
    Imported(Result<String, String>),
}

impl Action {
    /// The actions a key can be bound to, in the order help lists them.
    pub const BINDABLE: [Action; 46] = [
        Action::SelectNext,
        Action::SelectPrev,
        Action::PageDown,
        Action::PageUp,
        Action::SelectFirst,
        Action::SelectLast,
        Action::OpenDetail,
        Action::NextLead,
        Action::PrevLead,
        Action::LogOutcome,
        Action::UndoOutcome,
        Action::Search,
        Action::ToggleMine,
        Action::CycleStageFilter,
        Action::CycleOwnerFilter,
        Action::ToggleDueToday,
        Action::ClearFilters,
        Action::OpenDemo,
        Action::ShowQueue,
        Action::ShowRules,
        Action::ShowDashboard,
        Action::EditRule,
        Action::AddRule,
        Action::ToggleLock,
        Action::ToggleRuleEnabled,
        Action::DeleteRule,
        Action::PreviewDraft,
        Action::PublishDraft,
        Action::DiscardDraft,
        Action::RevertWeight,
        Action::RestoreVersion,
        Action::EditOutcomes,
        Action::ImportCsv,
        Action::ShowBoard,
        Action::ShowAccounts,
        Action::ItemNext,
        Action::ItemPrev,
        Action::PaneLeft,
        Action::PaneRight,
        Action::OpenItem,
        Action::StageBack,
        Action::StageForward,
        Action::UndoStageMove,
        Action::Help,
        Action::Back,
        Action::Quit,
    ];

    /// Words for the help overlay.
    pub fn describe(&self) -> &'static str {
        use Action::*;
        match self {
            Quit => "quit",
            Back => "back / close",
            Help => "this help",
            SelectNext => "next row",
            SelectPrev => "previous row",
            PageDown => "page down",
            PageUp => "page up",
            SelectFirst => "first row",
            SelectLast => "last row",
            OpenDetail => "open lead: why, timeline",
            NextLead => "next lead in the queue",
            PrevLead => "previous lead in the queue",
            LogOutcome => "log an outcome",
            UndoOutcome => "undo the last outcome",
            Search => "fuzzy search",
            ToggleMine => "mine / all",
            CycleStageFilter => "filter by stage (cycle)",
            CycleOwnerFilter => "filter by owner (cycle)",
            ToggleDueToday => "due today only",
            ClearFilters => "clear filters",
            OpenDemo => "open the demo book",
            ShowQueue => "queue view",
            ShowRules => "rules admin view",
            ShowDashboard => "dashboard view",
            EditRule => "edit the rule in place",
            AddRule => "add a rule",
            ToggleLock => "lock / unlock (no learning)",
            ToggleRuleEnabled => "disable / enable the rule",
            DeleteRule => "delete the rule (draft)",
            PreviewDraft => "what-if preview (draft)",
            PublishDraft => "publish the previewed draft",
            DiscardDraft => "discard the draft",
            RevertWeight => "revert weight one step back",
            RestoreVersion => "restore an earlier version",
            EditOutcomes => "edit outcome → label map",
            ImportCsv => "import a CSV file",
            ShowBoard => "kanban board view",
            ShowAccounts => "accounts view",
            ItemNext => "next card / row",
            ItemPrev => "previous card / row",
            PaneLeft => "column / list to the left",
            PaneRight => "column / list to the right",
            OpenItem => "open the lead",
            StageBack => "move the card one stage left",
            StageForward => "move the card one stage right",
            UndoStageMove => "undo the last stage move",
            _ => "",
        }
    }

    /// Short word for footer hints.
    pub fn hint(&self) -> &'static str {
        use Action::*;
        match self {
            Quit => "quit",
            Back => "back",
            Help => "help",
            OpenDetail => "open",
            LogOutcome => "log",
            UndoOutcome => "undo",
            Search => "search",
            ToggleMine => "mine",
            CycleStageFilter => "stage",
            NextLead => "next",
            OpenDemo => "demo",
            EditRule => "edit",
            AddRule => "add",
            PreviewDraft => "preview",
            PublishDraft => "publish",
            DiscardDraft => "discard",
            RestoreVersion => "versions",
            EditOutcomes => "labels",
            ShowQueue => "queue",
            ShowBoard => "board",
            ShowAccounts => "accounts",
            OpenItem => "open",
            StageForward => "move→",
            StageBack => "←move",
            UndoStageMove => "undo",
            _ => "",
        }
    }
}

/// What the loop does on behalf of `update`, which itself does no I/O.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Quit,
    /// Read the book (leads, catalogue, pipeline) on the worker thread.
    LoadBook,
    /// Read one lead's timeline and outcomes.
    LoadDetail(LeadId),
    /// Durable write of an outcome, then `OutcomeLogged`.
    LogOutcome {
        lead: LeadId,
        request: LogRequest,
        /// The lead's rule activations when it was worked (learning's features).
        snapshot: Vec<(crate::core::outcome::RuleId, f32)>,
    },
    UndoOutcome(u64),
    /// Durable move of a lead to another stage, then `StageMoved`.
    MoveStage {
        lead: LeadId,
        to: String,
    },
    /// Durable undo of a stage move, then `StageMoveUndone`.
    UndoStageMove(StageMove),
    /// Switch to the demo book, generating it on first use.
    OpenDemo,
    /// Remember each lead's rank, to show movement at the next look.
    SaveLastLook(Vec<(LeadId, u32)>),
    /// Read the rules admin's figures (learned weights, evidence, lift, history).
    LoadAdmin,
    /// Score the book with a draft rules file on the worker, then `PreviewReady`.
    PreviewRules(String),
    /// Durable publish of a rules file, then `RulesPublished`.
    PublishRules(String),
    RestoreRules(u32),
    /// Set a rule's weight (log-odds) as a stored, undoable change.
    RevertWeight {
        rule: crate::core::outcome::RuleId,
        to: f64,
    },
    /// Set a rule's weight to what it was `back` changes before its newest (read from the
    /// store: older than the history the admin holds), or to `prior` when its history is
    /// shorter, as [`Effect::RevertWeight`] does.
    RevertWeightBack {
        rule: crate::core::outcome::RuleId,
        back: usize,
        prior: f64,
    },
    /// Compute the dashboard on the worker, then `DashboardLoaded`; with the score
    /// distribution from the live index when the book is scored (else the worker scores it).
    LoadDashboard(Option<[u64; 10]>),
    /// The dashboard asked for is no longer wanted (the view was left before it came): the
    /// worker stops computing it at its next record.
    CancelDashboard,
    /// Read the published rule versions, then `VersionsLoaded`.
    LoadVersions,
    /// Durable save of the edited outcome catalogue, then `OutcomesSaved`.
    SaveOutcomes(OutcomeCatalog),
    /// Import a CSV file on the worker (`ImportProgress`, then `Imported` and a reload).
    ImportCsv(std::path::PathBuf),
    /// Save the queue's first page beside the book, to show at the next start (on quit).
    SaveFirstPage(Box<super::first_page::FirstPage>),
}

/// The book as the console needs it, read by the worker.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BookData {
    /// Every lead, kept as stored (see [`super::book::Leads`]).
    pub leads: super::book::Leads,
    pub catalog: OutcomeCatalog,
    pub pipeline: Pipeline,
    /// Ranks at the last look, for the movement column.
    pub last_look: Vec<(LeadId, u32)>,
    /// Each lead's newest activity, for stale cards on the board.
    pub last_activity: Vec<(LeadId, Timestamp)>,
    /// Shown in the header: which database this is.
    pub label: String,
    pub is_demo: bool,
    /// The scorecard and lead index; `None` only when scoring could not be loaded.
    pub scoring: Option<super::scoring::Scoring>,
}

/// One lead's history, for the detail view.
#[derive(Clone, Debug, PartialEq)]
pub struct DetailData {
    pub lead: Lead,
    pub activities: Vec<Activity>,
    pub outcomes: Vec<OutcomeRecord>,
}
