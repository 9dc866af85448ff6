//! The command line: argument parsing, dispatch, and exit codes (0 ok, 1 runtime, 2 bad input).

mod alloc;
mod backup;
mod book;
mod console;
mod demo;
mod eval;
mod io;
mod learning;
mod outcomes;
mod rules;
mod score;
mod table;
mod versions;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::store::paths::Paths;
use crate::store::{Store, StoreError};

#[derive(Parser, Debug)]
#[command(
    name = "leadq",
    version,
    about = "Who to work next, and why: a lead-scoring console for sales teams"
)]
pub struct Cli {
    /// Database directory (default: the platform data dir; also LEADQ_DB).
    #[arg(long, global = true, env = "LEADQ_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Open the console on the separate demo book, generating it on first use.
    #[arg(long)]
    pub demo: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show one lead: fields, activity and outcomes. LEAD is an id or an exact email.
    Show {
        lead: String,
        #[arg(long, value_enum, default_value_t = TextFormat::Text)]
        format: TextFormat,
    },
    /// Log what happened when a lead was worked, e.g. `leadq log 42 meeting_booked --follow-up 2d`.
    Log {
        lead: String,
        /// Outcome id: won, lost, meeting_booked, connected_interested, not_interested,
        /// no_answer, voicemail, bad_data (or one an admin added).
        outcome: String,
        #[arg(long)]
        note: Option<String>,
        /// Expected deal value.
        #[arg(long)]
        value: Option<f64>,
        /// When to follow up: 2d, 4h, tomorrow 9:00, mon, 2026-12-01.
        #[arg(long = "follow-up", value_name = "WHEN")]
        follow_up: Option<String>,
    },
    /// Write a consistent, checksummed snapshot of the database to FILE (atomically).
    Backup { file: PathBuf },
    /// Replace the database with a verified backup; the current one is kept beside it.
    Restore { file: PathBuf },
    /// Import leads from a CSV file (comma, semicolon or tab separated; headers of HubSpot,
    /// Salesforce, Pipedrive and Facebook Lead Ads exports are recognised). Rows with the same
    /// email (or id column, when there is no email) are merged, never doubled. Rows that cannot
    /// be imported are written with their line and reason to FILE's stem + `.rejects.csv`.
    Import {
        file: PathBuf,
        /// Map a column onto a field: COL=FIELD, FIELD one of name, first_name, last_name,
        /// email, phone, title, account, source, country, industry, employees, owner, stage,
        /// stage_entered, next_action_due, next_action_note, deal_value, created; or
        /// attr:NAME (keep as attribute NAME), key (match leads by this column) or ignore.
        #[arg(long = "map", value_name = "COL=FIELD")]
        map: Vec<String>,
        /// Check the file and report what would happen; writes nothing, not even the reject
        /// file.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export all leads as CSV: the standard fields, then one column per custom attribute.
    Export {
        /// Write to this file (atomically) instead of standard output.
        #[arg(long, value_name = "FILE.csv")]
        out: Option<PathBuf>,
    },
    /// Fill an empty database with a realistic, reproducible demo book.
    Demo {
        /// How many leads to generate.
        #[arg(long, default_value_t = crate::store::demo::DEFAULT_DEMO_LEADS)]
        leads: u64,
        /// Seed: the same seed (and number of leads) gives the same book.
        #[arg(long, default_value_t = crate::store::demo::DEFAULT_DEMO_SEED)]
        seed: u64,
    },
    /// The queue: leads ranked by priority (expected value with stated boosts).
    List {
        /// How many leads to show.
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// Only leads in this stage (naming Won or Lost shows them).
        #[arg(long)]
        stage: Option<String>,
        /// Only this rep's leads.
        #[arg(long)]
        owner: Option<String>,
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },
    /// Why a lead scores what it does: each rule's points and the evidence.
    Explain {
        lead: String,
        #[arg(long, value_enum, default_value_t = TextFormat::Text)]
        format: TextFormat,
    },
    /// The scoring rules: list them, export the rules file, or import (publish) one.
    Rules {
        #[command(subcommand)]
        action: RulesCommand,
    },
    /// Undo an outcome and exactly the learning it caused (default: the last one not undone).
    Undo {
        /// The outcome's number, as `log` and `show` print it (#N).
        seq: Option<u64>,
    },
    /// Replay a labelled CSV in order — score each row, then learn from it — and report AUC,
    /// log loss, Brier, calibration (ECE) and lift, with and without learning.
    Eval(EvalCommand),
    /// The outcome catalogue: what each outcome teaches learning (label, strength) and does to
    /// the lead (stage, follow-up). Edits count from the next logged outcome on.
    Outcomes {
        #[command(subcommand)]
        action: OutcomesCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum OutcomesCommand {
    /// Each outcome with its label, strength, stage effect and default follow-up.
    List {
        #[arg(long, value_enum, default_value_t = TextFormat::Text)]
        format: TextFormat,
    },
    /// Change one outcome; outcomes logged before keep what they taught (learning is never
    /// rewritten), outcomes logged from now on use the new values.
    Set {
        /// Outcome id, e.g. meeting_booked (see `leadq outcomes list`).
        outcome: String,
        /// What the outcome teaches: positive, negative or none.
        #[arg(long)]
        label: Option<String>,
        /// How much one such outcome counts in a learning step: above 0, at most 1.
        #[arg(long, allow_negative_numbers = true)]
        strength: Option<f64>,
        /// The stage the lead moves to (a pipeline stage).
        #[arg(long, conflicts_with = "no_stage")]
        stage: Option<String>,
        /// The outcome no longer moves the lead.
        #[arg(long)]
        no_stage: bool,
        /// Default follow-up: 2d, 1w, or none.
        #[arg(long = "follow-up", value_name = "WHEN")]
        follow_up: Option<String>,
    },
}

/// Arguments of `leadq eval`.
#[derive(clap::Args, Debug)]
pub struct EvalCommand {
    /// The labelled CSV (separator `,`, `;` or tab, detected).
    #[arg(long, value_name = "CSV")]
    pub data: PathBuf,
    /// The column holding the outcome.
    #[arg(long, value_name = "COL")]
    pub label: String,
    /// The label value that counts as positive (default: 1, true, yes).
    #[arg(long, value_name = "V")]
    pub positive: Option<String>,
    /// Columns to ignore, comma-separated (identifiers, columns filled in after the outcome).
    #[arg(long, value_name = "COLS", default_value = "")]
    pub drop: String,
    /// Evaluate this rules file.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Evaluate rules suggested from the columns (weights start at 0 and are learned).
    #[arg(long)]
    pub suggest: bool,
    /// Replay order: shuffle:SEED, column:NAME (ascending) or file.
    #[arg(long, default_value = "file")]
    pub order: String,
    /// Write `row,label,p` for every evaluated row (p predicted before learning from it).
    #[arg(long, value_name = "OUT.csv")]
    pub predictions: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = TextFormat::Text)]
    pub format: TextFormat,
    /// Values that mean "missing", comma-separated, case-insensitive (empty always is).
    #[arg(long, default_value = "Select,NA,N/A,null,NaN")]
    pub missing: String,
    /// Learning settings (default: the stored defaults).
    #[arg(long, value_name = "ALPHA")]
    pub step_size: Option<f64>,
    #[arg(long, value_name = "ALPHA")]
    pub bias_step_size: Option<f64>,
    #[arg(long, value_name = "LAMBDA")]
    pub prior_pull: Option<f64>,
    #[arg(long, value_name = "N0")]
    pub initial_accumulator: Option<f64>,
    #[arg(long, value_name = "N")]
    pub min_evidence: Option<u32>,
    /// Rows a category must cover to become a suggested rule.
    #[arg(long, value_name = "N")]
    pub min_support: Option<u64>,
    /// Suggested rules: quantile bins per numeric column, at most.
    #[arg(long, value_name = "N")]
    pub bins: Option<usize>,
    /// Suggested rules: category values per column with a rule of their own, at most.
    #[arg(long, value_name = "N")]
    pub max_values: Option<usize>,
    /// Suggested rules: also `x >= cut` per inner quantile cut of a number (true|false).
    #[arg(long, value_name = "BOOL")]
    pub thresholds: Option<bool>,
    /// Suggested rules: leave out each category column's most frequent value (true|false).
    #[arg(long, value_name = "BOOL")]
    pub skip_reference: Option<bool>,
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Each rule with its kind, prior points, current (learned) points and matches.
    List {
        #[arg(long, value_enum, default_value_t = TextFormat::Text)]
        format: TextFormat,
    },
    /// Write the current rules file (TOML) to stdout or a file.
    Export {
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Check a rules file and publish it as a new version (nothing changes if any rule is bad).
    Import { file: PathBuf },
    /// Suggest rules from a labelled CSV, ranked by information value, as a rules file to
    /// review and import.
    Suggest {
        #[arg(long, value_name = "CSV")]
        data: PathBuf,
        #[arg(long, value_name = "COL")]
        label: String,
        /// The label value that counts as positive (default: 1, true, yes).
        #[arg(long, value_name = "V")]
        positive: Option<String>,
        /// Columns to ignore, comma-separated.
        #[arg(long, value_name = "COLS", default_value = "")]
        drop: String,
        /// Write the rules file here (default: stdout).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Values that mean "missing", comma-separated (empty always is).
        #[arg(long, default_value = "Select,NA,N/A,null,NaN")]
        missing: String,
        /// Rows a category must cover to become a candidate.
        #[arg(long, value_name = "N", default_value_t = 20)]
        min_support: u64,
    },
    /// A rule's weight after each learning step or revert (RULE is a name, or `base`).
    History { rule: String },
    /// Set a rule's weight back to its value after change N of its history (or its prior),
    /// as a stored change; `--undo N` takes back revert N.
    Revert {
        rule: String,
        /// The history entry to go back to.
        #[arg(long, value_name = "N", conflicts_with_all = ["prior", "undo"])]
        to: Option<u64>,
        /// Go back to the admin's prior.
        #[arg(long)]
        prior: bool,
        /// Take back revert N instead.
        #[arg(long, value_name = "N")]
        undo: Option<u64>,
    },
    /// Every published rules version: when, how many rules, which is current, what changed.
    Versions {
        #[arg(long, value_enum, default_value_t = TextFormat::Text)]
        format: TextFormat,
    },
    /// Publish an earlier version again as the newest one (learned weights of rules whose
    /// points differ start again from their prior, as on any publish).
    Restore { version: u32 },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFormat {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    Table,
    Csv,
    Json,
}

/// A failure of a command, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The user's input was wrong: exit code 2.
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0:#}")]
    Runtime(#[from] anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::BadInput(_) | CliError::Store(StoreError::LeadNotFound(_)) => 2,
            _ => 1,
        }
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

pub(crate) fn bad_input(msg: impl Into<String>) -> CliError {
    CliError::BadInput(msg.into())
}

/// Where this invocation's database lives.
pub(crate) fn db_path(cli: &Cli, paths: &Paths) -> PathBuf {
    match (&cli.db, cli.demo) {
        (Some(p), _) => p.clone(),
        (None, true) => paths.demo_db(),
        (None, false) => paths.default_db(),
    }
}

/// A careful open (see [`crate::store::check_size`]) of a book this large is announced on the
/// command line: copying it takes a second or more.
const CHECK_NOTICE_BYTES: u64 = 256 << 20;

pub(crate) fn open_store(cli: &Cli, paths: &Paths) -> CliResult<Store> {
    let path = db_path(cli, paths);
    // Only where the wait is felt: a small damaged book is refused in one line, as ever.
    if let Some(bytes) = crate::store::check_size(&path).filter(|&b| b >= CHECK_NOTICE_BYTES) {
        eprintln!("note: {}…", crate::store::check_notice(bytes));
    }
    let store = Store::open_with_notice(&path, &mut |notice| eprintln!("note: {notice}…"))?;
    if let Some(keys) = store.interrupted_import() {
        eprintln!(
            "note: an import into this book was interrupted; its leads are all findable again \
             ({keys} email keys put right). Run the import again to bring in the rows it had \
             not reached: rows matching a lead by email (or by the id column of a file \
             without emails) are merged, not doubled."
        );
    }
    Ok(store)
}

/// The current time, read once per command and passed down.
pub(crate) fn now() -> crate::core::model::Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Parses the arguments, runs the command, prints any error, and returns the exit code.
pub fn main() -> i32 {
    // Like other Unix tools, end quietly when the reader of our output goes away
    // (`leadq list | head`) instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            // Errors can quote imported text or rule files: never let them drive the terminal.
            eprintln!(
                "leadq: {}",
                crate::core::text::sanitize_multiline(&e.to_string())
            );
            e.exit_code()
        }
    }
}

fn run(cli: Cli) -> CliResult {
    let paths = Paths::standard().map_err(|e| CliError::Runtime(e.into()))?;
    let now = now();
    match &cli.command {
        None => console::run(&cli, &paths),
        Some(Command::Show { lead, format }) => {
            book::show(&open_store(&cli, &paths)?, lead, *format, now)
        }
        Some(Command::Log {
            lead,
            outcome,
            note,
            value,
            follow_up,
        }) => book::log(
            &open_store(&cli, &paths)?,
            lead,
            outcome,
            book::LogArgs {
                note: note.clone(),
                value: *value,
                follow_up: follow_up.clone(),
            },
            now,
        ),
        Some(Command::Backup { file }) => backup::backup(&open_store(&cli, &paths)?, file),
        Some(Command::Restore { file }) => backup::restore(file, &db_path(&cli, &paths), now),
        Some(Command::Import { file, map, dry_run }) => {
            alloc::keep_freed_memory();
            crate::store::use_bulk_write_cache();
            let plan = io::prepare_import(file, map)?;
            let db = db_path(&cli, &paths);
            let store = if *dry_run && !db.exists() {
                None
            } else {
                Some(open_store(&cli, &paths)?)
            };
            io::import(&plan, store.as_ref(), *dry_run, now)
        }
        Some(Command::Export { out }) => io::export(&open_store(&cli, &paths)?, out.as_ref()),
        Some(Command::Demo { leads, seed }) => {
            alloc::keep_freed_memory();
            crate::store::use_bulk_write_cache();
            demo::run(&open_store(&cli, &paths)?, *leads, *seed, now)
        }
        Some(Command::List {
            top,
            stage,
            owner,
            format,
        }) => score::list(
            &open_store(&cli, &paths)?,
            &score::ListArgs {
                top: *top,
                stage: stage.clone(),
                owner: owner.clone(),
                format: *format,
            },
            now,
        ),
        Some(Command::Explain { lead, format }) => {
            score::explain(&open_store(&cli, &paths)?, lead, *format, now)
        }
        Some(Command::Rules {
            action: RulesCommand::Suggest { .. },
        }) => learning::suggest(cli.command.as_ref()),
        Some(Command::Rules { action }) => rules::run(&open_store(&cli, &paths)?, action, now),
        Some(Command::Eval(e)) => eval::run(&eval_args(e)?),
        Some(Command::Undo { seq }) => book::undo(&open_store(&cli, &paths)?, *seq),
        Some(Command::Outcomes { action }) => outcomes::run(&open_store(&cli, &paths)?, action),
    }
}

fn eval_args(e: &EvalCommand) -> CliResult<eval::EvalArgs> {
    let mut learn = crate::core::learn::LearnConfig::default();
    let mut suggest_cfg = crate::core::suggest::SuggestConfig::default();
    learn.step_size = e.step_size.unwrap_or(learn.step_size);
    learn.bias_step_size = e.bias_step_size.unwrap_or(learn.bias_step_size);
    learn.prior_pull = e.prior_pull.unwrap_or(learn.prior_pull);
    learn.initial_accumulator = e.initial_accumulator.unwrap_or(learn.initial_accumulator);
    learn.min_evidence = e.min_evidence.unwrap_or(learn.min_evidence);
    suggest_cfg.min_support = e.min_support.unwrap_or(suggest_cfg.min_support);
    suggest_cfg.thresholds = e.thresholds.unwrap_or(suggest_cfg.thresholds);
    suggest_cfg.bins = e.bins.unwrap_or(suggest_cfg.bins);
    suggest_cfg.max_values = e.max_values.unwrap_or(suggest_cfg.max_values);
    suggest_cfg.skip_reference = e.skip_reference.unwrap_or(suggest_cfg.skip_reference);
    Ok(eval::EvalArgs {
        data: e.data.clone(),
        label: e.label.clone(),
        positive: e.positive.clone(),
        drop: e.drop.clone(),
        rules: e.rules.clone(),
        suggest: e.suggest,
        order: eval::Order::parse(&e.order)?,
        predictions: e.predictions.clone(),
        format: e.format,
        missing: crate::core::suggest::MissingTokens::parse(&e.missing),
        learn,
        suggest_cfg,
    })
}
