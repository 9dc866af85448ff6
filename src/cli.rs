//! The command line: argument parsing, dispatch, and exit codes (0 ok, 1 runtime, 2 bad input).

mod book;
mod console;
mod demo;
mod rules;
mod score;

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

pub(crate) fn open_store(cli: &Cli, paths: &Paths) -> CliResult<Store> {
    Ok(Store::open(&db_path(cli, paths))?)
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
            eprintln!("leadq: {e}");
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
        Some(Command::Rules { action }) => rules::run(&open_store(&cli, &paths)?, action, now),
        Some(Command::Demo { leads, seed }) => {
            demo::run(&open_store(&cli, &paths)?, *leads, *seed, now)
        }
    }
}
