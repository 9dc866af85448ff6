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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::NextAction;
    use crate::store::import::{ImportOptions, import_csv};

    fn lead(name: &str, email: &str) -> Lead {
        Lead {
            name: name.into(),
            email: email.into(),
            stage: "New".into(),
            created: 1_700_000_000,
            stage_entered: 1_700_000_000,
            ..Lead::default()
        }
    }

    fn sample_book(store: &Store) {
        let mut a = lead("=HYPERLINK(\"http://evil\")", "ana@acme.com");
        a.phone = "+1 555 0100".into();
        a.title = "-CTO".into();
        a.account = "Acme".into();
        a.employees = Some(1200);
        a.deal_value = Some(-12.75);
        a.stage = "Won".into();
        a.stage_entered = 1_700_086_400;
        a.next_action = Some(NextAction {
            due: 1_700_100_000,
            note: "@call back".into(),
        });
        a.attrs = [
            ("Score".to_string(), AttrValue::Number(-5.0)),
            ("Opted In".to_string(), AttrValue::Bool(true)),
            ("Joined".to_string(), AttrValue::Date(1_700_000_123)),
            ("Day".to_string(), AttrValue::Date(1_699_920_000)),
            ("Note".to_string(), AttrValue::Text("=1+2".into())),
            (
                "email".to_string(),
                AttrValue::Text("second address".into()),
            ),
            ("Prospect ID".to_string(), AttrValue::Text("p-1".into())),
        ]
        .into();
        let mut b = lead("Bo \"The Boss\", Jr.", "");
        b.phone = "555".into();
        b.attrs = [
            ("Score".to_string(), AttrValue::Number(0.25)),
            ("Opted In".to_string(), AttrValue::Bool(false)),
            (
                "Note".to_string(),
                AttrValue::Text("'=x\nsecond line".into()),
            ),
            ("Prospect ID".to_string(), AttrValue::Text("p-2".into())),
        ]
        .into();
        for (i, mut l) in [a, b].into_iter().enumerate() {
            l.id = store.reserve_lead_ids(1).unwrap();
            assert_eq!(l.id, i as u64 + 1);
            store.put_lead(&l).unwrap();
        }
    }

    fn export_text(store: &Store) -> String {
        let mut out = Vec::new();
        let s = export_leads(store, &mut out).unwrap();
        assert_eq!(s.leads, store.lead_count() as u64);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formulas_are_escaped_and_numbers_written_as_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        sample_book(&store);
        let text = export_text(&store);
        let header = text.lines().next().unwrap();
        assert!(header.starts_with("leadq_id,name,email,phone,"), "{header}");
        assert!(
            header.ends_with(",Day,Joined,Note,Opted In,Prospect ID,Score,attr:email"),
            "{header}"
        );
        let first = text.lines().nth(1).unwrap();
        assert!(
            first.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
            "{first}"
        );
        assert!(first.contains(",'+1 555 0100,'-CTO,"), "{first}");
        assert!(first.contains(",1200,"), "{first}");
        assert!(first.contains(",-12.75,"), "{first}");
        assert!(first.contains(",'@call back,"), "{first}");
        assert!(
            first.contains(",2023-11-14,2023-11-14T22:15:23Z,'=1+2,true,p-1,-5,"),
            "{first}"
        );
        assert_eq!(escape_formula("'=x"), "''=x");
        assert_eq!(escape_formula("\tx"), "'\tx");
        assert_eq!(escape_formula("Ana"), "Ana");
    }

    #[test]
    fn exporting_and_importing_again_gives_the_same_leads() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a")).unwrap();
        sample_book(&store);
        let file = dir.path().join("book.csv");
        let summary = export_to_file(&store, &file).unwrap();
        assert_eq!((summary.leads, summary.attributes), (2, 7));
        let again = Store::open(&dir.path().join("b")).unwrap();
        let options = ImportOptions {
            dry_run: false,
            now: 0,
        };
        let s = import_csv(&again, &file, &[], &options, &mut |_| {}).unwrap();
        assert_eq!((s.imported, s.rejected), (2, 0));
        assert_eq!(s.ignored, vec![LEADQ_ID_HEADER.to_string()]);
        let before: Vec<Lead> = store.leads().map(Result::unwrap).collect();
        let after: Vec<Lead> = again.leads().map(Result::unwrap).collect();
        assert_eq!(after, before);
        // A second import of the same export merges by email or by the id column.
        let s = import_csv(&again, &file, &[], &options, &mut |_| {}).unwrap();
        assert_eq!((s.imported, s.merged), (0, 2));
        // The file was written atomically: no temporary file is left beside it.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
    }
}
