//! `leadq import` and `leadq export`: CSV in and out of the book, with a progress line and a
//! summary a user can act on.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::{CliError, CliResult, bad_input};
use crate::core::model::Timestamp;
use crate::core::text::sanitize;
use crate::store::Store;
use crate::store::export::{export_leads, export_to_file};
use crate::store::import::reader::separator_name;
use crate::store::import::{
    ImportError, ImportOptions, ImportPhase, ImportPlan, ImportProgress, ImportSummary,
    parse_map_arg,
};

/// How many rejected rows the summary lists before pointing at the reject file.
const LISTED_REJECTS: usize = 10;

fn import_error(e: ImportError) -> CliError {
    if e.is_bad_input() {
        bad_input(e.to_string())
    } else {
        match e {
            ImportError::Store(e) => e.into(),
            e => CliError::Runtime(e.into()),
        }
    }
}

/// Checks the file, its header and the `--map` arguments without touching the book.
pub fn prepare_import(file: &Path, maps: &[String]) -> CliResult<ImportPlan> {
    let overrides = maps
        .iter()
        .map(|m| parse_map_arg(m).map_err(bad_input))
        .collect::<CliResult<Vec<_>>>()?;
    ImportPlan::prepare(file, &overrides).map_err(import_error)
}

/// Runs a prepared import. `store` is `None` for a dry run on a book that does not exist yet.
pub fn import(
    plan: &ImportPlan,
    store: Option<&Store>,
    dry_run: bool,
    now: Timestamp,
) -> CliResult {
    let mut line = ProgressLine::new();
    let summary = plan
        .run(store, &ImportOptions { dry_run, now }, &mut |p| {
            line.show(p)
        })
        .map_err(|e| {
            line.clear();
            import_error(e)
        })?;
    line.clear();
    // Rejected rows are lead data: owner-only, like the book they did not make it into.
    if let Some(path) = &summary.reject_file {
        crate::store::paths::restrict_file(path).map_err(|e| {
            CliError::Runtime(anyhow::anyhow!("cannot restrict {}: {e}", path.display()))
        })?;
    }
    print!("{}", summary_text(&summary));
    Ok(())
}

/// The summary as printed after an import.
pub fn summary_text(s: &ImportSummary) -> String {
    let mut out = String::new();
    let mut say = |line: String| {
        out.push_str(&line);
        out.push('\n');
    };
    let file = sanitize(&s.file.display().to_string()).into_owned();
    say(format!(
        "{} {} ({}-separated)",
        if s.dry_run {
            "dry run, nothing written:"
        } else {
            "imported"
        },
        file,
        separator_name(s.separator).trim_end_matches('s')
    ));
    say(format!(
        "  rows {}: {} new, {} merged into existing leads, {} rejected{}",
        s.rows_read,
        s.imported,
        s.merged,
        s.rejected,
        if s.blank_rows > 0 {
            format!(", {} empty skipped", s.blank_rows)
        } else {
            String::new()
        }
    ));
    if s.accounts_created > 0 {
        say(format!("  accounts created: {}", s.accounts_created));
    }
    let fields: Vec<String> = s
        .fields
        .iter()
        .map(|(col, f)| format!("{} → {}", sanitize(col), f.name()))
        .collect();
    say(format!(
        "  columns mapped: {}",
        if fields.is_empty() {
            "none".to_string()
        } else {
            fields.join(", ")
        }
    ));
    if !s.attributes.is_empty() {
        let attrs: Vec<String> = s
            .attributes
            .iter()
            .map(|(name, kind)| format!("{} ({})", sanitize(name), kind.name()))
            .collect();
        say(format!("  kept as attributes: {}", attrs.join(", ")));
    }
    if !s.ignored.is_empty() {
        let ignored: Vec<String> = s.ignored.iter().map(|c| sanitize(c).into_owned()).collect();
        say(format!("  ignored: {}", ignored.join(", ")));
    }
    match (&s.key_column, s.has_email_column) {
        (Some(k), false) => say(format!(
            "  no email column: leads are matched by {} (rows with the same value are merged)",
            sanitize(k)
        )),
        (Some(k), true) => say(format!(
            "  leads are matched by email, or by {} when a row has no email",
            sanitize(k)
        )),
        (None, true) => say("  leads are matched by email".to_string()),
        (None, false) => say(
            "  no email or id column: duplicates cannot be recognised, a second import adds the rows again"
                .to_string(),
        ),
    }
    if !s.unknown_statuses.is_empty() {
        let list: Vec<String> = s
            .unknown_statuses
            .iter()
            .map(|(v, n)| format!("{:?} ×{n}", sanitize(v)))
            .collect();
        say(format!(
            "  unknown statuses (those leads start in {}, the raw value is kept as an attribute): {}",
            s.first_stage,
            list.join(", ")
        ));
    }
    for r in s.rejects.iter().take(LISTED_REJECTS) {
        say(format!("  line {}: {}", r.line, sanitize(&r.reason)));
    }
    if s.rejected > 0 {
        let more = s.rejected.saturating_sub(LISTED_REJECTS as u64);
        let more = if more > 0 {
            format!("{more} more rejected rows; ")
        } else {
            String::new()
        };
        match &s.reject_file {
            Some(p) => say(format!(
                "  {more}rejected rows with their line and reason are in {}",
                sanitize(&p.display().to_string())
            )),
            None if more.is_empty() => {}
            None => say(format!(
                "  {more}a real import writes them to a reject file"
            )),
        }
    }
    out
}

/// `leadq export [--out FILE]`.
pub fn export(store: &Store, out: Option<&PathBuf>) -> CliResult {
    let summary = match out {
        Some(path) => export_to_file(store, path),
        None => export_leads(store, std::io::stdout().lock()),
    }
    .map_err(|e| CliError::Runtime(e.into()))?;
    if let Some(path) = out {
        eprintln!(
            "exported {} leads ({} attribute columns) to {}",
            summary.leads,
            summary.attributes,
            sanitize(&path.display().to_string())
        );
    }
    Ok(())
}

/// A one-line progress display on stderr, only when stderr is a terminal.
struct ProgressLine {
    enabled: bool,
    shown: bool,
}

impl ProgressLine {
    fn new() -> ProgressLine {
        ProgressLine {
            enabled: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    fn show(&mut self, p: &ImportProgress) {
        if !self.enabled {
            return;
        }
        let text = match (p.phase, p.total_rows) {
            (ImportPhase::Scanning, _) => format!(
                "checking columns… {} rows ({}%)",
                p.rows,
                percent(p.bytes, p.total_bytes)
            ),
            (ImportPhase::Importing, Some(total)) => {
                format!(
                    "importing… {} / {} rows ({}%)",
                    p.rows,
                    total,
                    percent(p.rows, total)
                )
            }
            (ImportPhase::Importing, None) => format!("importing… {} rows", p.rows),
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{text}");
        let _ = err.flush();
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.shown = false;
        }
    }
}

fn percent(done: u64, total: u64) -> u64 {
    (done * 100).checked_div(total).unwrap_or(100).min(100)
}
