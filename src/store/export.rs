//! CSV export of the whole book: the standard lead fields, then one column per custom
//! attribute. Safe to open in a spreadsheet, and importing it again gives the same leads.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::core::model::{AttrValue, Lead, Timestamp, format_number};
use crate::store::import::mapping::{ATTR_PREFIX, LEADQ_ID_HEADER, LeadField, auto_field};
use crate::store::import::values::FORMULA_STARTS;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export to {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// What was exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportSummary {
    pub leads: u64,
    /// Custom attribute columns written after the standard ones.
    pub attributes: usize,
}

/// The standard columns, in order. Their names map back onto the same fields on import.
pub const STANDARD_COLUMNS: [&str; 17] = [
    LEADQ_ID_HEADER,
    "name",
    "email",
    "phone",
    "title",
    "account",
    "source",
    "country",
    "industry",
    "employees",
    "owner",
    "stage",
    "stage_entered",
    "next_action_due",
    "next_action_note",
    "deal_value",
    "created",
];

/// Text that a spreadsheet would run as a formula gets a leading `'`. A text that already
/// starts with `'` before such a character gets one more, so import can undo exactly one.
pub fn escape_formula(text: &str) -> Cow<'_, str> {
    if text.trim_start_matches('\'').starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// `2026-11-26T09:30:05Z`.
pub fn iso_seconds(ts: Timestamp) -> String {
    let d =
        time::OffsetDateTime::from_unix_timestamp(ts).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year(),
        d.month() as u8,
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

/// The header of an attribute column: its name, with `attr:` in front when the name alone
/// would map onto a field on import. Id-like names stay as they are, so a re-import still
/// finds leads by them.
pub fn attribute_header(name: &str) -> String {
    let clashes = auto_field(name).is_some()
        || LeadField::from_name(name).is_some()
        || name.starts_with(ATTR_PREFIX)
        || STANDARD_COLUMNS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name.trim()))
        || name.trim() != name
        || name.is_empty();
    if clashes {
        format!("{ATTR_PREFIX}{name}")
    } else {
        name.to_string()
    }
}

fn attr_cell(v: &AttrValue) -> String {
    match v {
        AttrValue::Text(t) => escape_formula(t).into_owned(),
        AttrValue::Number(n) => format_number(*n),
        AttrValue::Bool(b) => b.to_string(),
        AttrValue::Date(ts) if ts.rem_euclid(86_400) == 0 => crate::core::clock::format_date(*ts),
        AttrValue::Date(ts) => iso_seconds(*ts),
    }
}

fn lead_row(lead: &Lead, attrs: &[String]) -> Vec<String> {
    let t = |s: &str| escape_formula(s).into_owned();
    let mut row = vec![
        lead.id.to_string(),
        t(&lead.name),
        t(&lead.email),
        t(&lead.phone),
        t(&lead.title),
        t(&lead.account),
        t(&lead.source),
        t(&lead.country),
        t(&lead.industry),
        lead.employees.map(|e| e.to_string()).unwrap_or_default(),
        t(&lead.owner),
        t(&lead.stage),
        iso_seconds(lead.stage_entered),
        lead.next_action
            .as_ref()
            .map(|n| iso_seconds(n.due))
            .unwrap_or_default(),
        lead.next_action
            .as_ref()
            .map(|n| t(&n.note))
            .unwrap_or_default(),
        lead.deal_value.map(format_number).unwrap_or_default(),
        iso_seconds(lead.created),
    ];
    row.extend(
        attrs
            .iter()
            .map(|a| lead.attrs.get(a).map(attr_cell).unwrap_or_default()),
    );
    row
}

/// Writes every lead as CSV to `out`, in id order. Two passes over the book: the first
/// collects the attribute names (the union over all leads), so memory stays small.
pub fn export_leads<W: Write>(store: &Store, out: W) -> Result<ExportSummary, ExportError> {
    export_to(store, out, Path::new("standard output"))
}

fn export_to<W: Write>(store: &Store, out: W, shown: &Path) -> Result<ExportSummary, ExportError> {
    let write_err = |source: io::Error| ExportError::Write {
        path: shown.to_path_buf(),
        source,
    };
    let mut names = BTreeSet::new();
    for lead in store.leads() {
        names.extend(lead?.attrs.into_keys());
    }
    let names: Vec<String> = names.into_iter().collect();
    let mut w = csv::Writer::from_writer(BufWriter::new(out));
    let csv_err = |e: csv::Error| write_err(io::Error::other(e.to_string()));
    let mut header: Vec<String> = STANDARD_COLUMNS.iter().map(|c| c.to_string()).collect();
    header.extend(names.iter().map(|n| attribute_header(n)));
    w.write_record(&header).map_err(csv_err)?;
    let mut leads = 0;
    for lead in store.leads() {
        w.write_record(lead_row(&lead?, &names)).map_err(csv_err)?;
        leads += 1;
    }
    w.into_inner()
        .map_err(|e| write_err(io::Error::other(e.to_string())))?
        .flush()
        .map_err(write_err)?;
    Ok(ExportSummary {
        leads,
        attributes: names.len(),
    })
}

/// Exports to `path` atomically: written to a temporary file beside it, synced, then renamed
/// over it, so a failed export never leaves a half-written file under the final name.
pub fn export_to_file(store: &Store, path: &Path) -> Result<ExportSummary, ExportError> {
    let write_err = |source| ExportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| write_err(io::Error::other("the path names no file")))?;
    let tmp = path.with_file_name(format!(
        ".{}.leadq-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let file = File::create(&tmp).map_err(write_err)?;
        let summary = export_to(store, &file, path)?;
        file.sync_all().map_err(write_err)?;
        std::fs::rename(&tmp, path).map_err(write_err)?;
        Ok(summary)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
