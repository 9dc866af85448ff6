//! A labelled CSV file as evaluation and rule suggestion read it: separator detection, the
//! label and dropped columns, a streaming first pass, and random access to rows by position
//! so that a shuffled replay needs memory for positions only, not for the rows.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::{CliError, CliResult, bad_input};
use crate::core::model::{AttrValue, Lead};
use crate::core::suggest::{MissingTokens, parse_number};

/// Which label values count as positive.
#[derive(Clone, Debug)]
pub struct PositiveLabel(Option<String>);

impl PositiveLabel {
    /// `None`: the usual truthy words (1, true, yes, y, won, converted).
    pub fn new(given: Option<&str>) -> Self {
        PositiveLabel(given.map(|s| s.trim().to_lowercase()))
    }

    /// `Some(true|false)` for a label, `None` when the label is missing.
    pub fn read(&self, value: &str, missing: &MissingTokens) -> Option<bool> {
        let v = missing.clean(value)?.to_lowercase();
        Some(match &self.0 {
            Some(p) => &v == p,
            None => matches!(
                v.as_str(),
                "1" | "1.0" | "true" | "yes" | "y" | "won" | "converted"
            ),
        })
    }
}

/// An open labelled table.
pub struct Table {
    path: PathBuf,
    pub separator: u8,
    pub headers: Vec<String>,
    pub label: usize,
    /// Columns that become lead attributes (neither the label nor dropped).
    pub features: Vec<usize>,
    pub missing: MissingTokens,
}

/// Picks `,`, `;` or tab: whichever occurs most in the header line outside quotes.
pub fn detect_separator(header_line: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in header_line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(c) = counts.iter_mut().find(|(s, _)| *s == b) {
            c.1 += 1;
        }
    }
    counts.iter().max_by_key(|(_, n)| *n).map_or(b',', |c| c.0)
}

fn find_column(headers: &[String], name: &str) -> Option<usize> {
    let name = name.trim();
    headers
        .iter()
        .position(|h| h == name)
        .or_else(|| headers.iter().position(|h| h.eq_ignore_ascii_case(name)))
}

impl Table {
    /// Opens `path`, finds the label column and the dropped ones (comma-separated names).
    pub fn open(path: &Path, label: &str, drop: &str, missing: MissingTokens) -> CliResult<Table> {
        let file = File::open(path)
            .map_err(|e| bad_input(format!("cannot read {}: {e}", path.display())))?;
        let mut first = String::new();
        BufReader::new(file)
            .read_line(&mut first)
            .map_err(|e| bad_input(format!("cannot read {}: {e}", path.display())))?;
        let first = first.trim_start_matches('\u{feff}');
        let separator = detect_separator(first);
        let mut reader = Table::reader_at(path, separator)?;
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| bad_input(format!("{}: {e}", path.display())))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let known = || headers.join(", ");
        let label = find_column(&headers, label).ok_or_else(|| {
            bad_input(format!(
                "--label {label:?} is not a column of {}; columns: {}",
                path.display(),
                known()
            ))
        })?;
        let mut dropped = vec![false; headers.len()];
        for name in drop.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let i = find_column(&headers, name).ok_or_else(|| {
                bad_input(format!(
                    "--drop {name:?} is not a column of {}; columns: {}",
                    path.display(),
                    known()
                ))
            })?;
            dropped[i] = true;
        }
        let features = (0..headers.len())
            .filter(|&i| i != label && !dropped[i])
            .collect();
        Ok(Table {
            path: path.to_path_buf(),
            separator,
            headers,
            label,
            features,
            missing,
        })
    }

    fn reader_at(path: &Path, separator: u8) -> CliResult<csv::Reader<File>> {
        let file = File::open(path)
            .map_err(|e| bad_input(format!("cannot read {}: {e}", path.display())))?;
        Ok(csv::ReaderBuilder::new()
            .delimiter(separator)
            .flexible(true)
            .buffer_capacity(16 * 1024)
            .from_reader(file))
    }

    /// A reader positioned after the header.
    pub fn rows(&self) -> CliResult<csv::Reader<File>> {
        let mut r = Table::reader_at(&self.path, self.separator)?;
        r.headers().map_err(|e| self.row_error(e))?;
        Ok(r)
    }

    pub fn row_error(&self, e: csv::Error) -> CliError {
        bad_input(format!("{}: {e}", self.path.display()))
    }

    /// A cell, cleaned of missing-value tokens.
    pub fn cell<'a>(&self, record: &'a csv::StringRecord, column: usize) -> Option<&'a str> {
        self.missing.clean(record.get(column).unwrap_or(""))
    }

    /// The row as a lead for the rule language: every feature column present becomes an
    /// attribute of the column's name (a number when it reads as one).
    pub fn lead(&self, record: &csv::StringRecord, lead: &mut Lead) {
        lead.attrs.clear();
        lead.attrs.extend(self.features.iter().filter_map(|&c| {
            let v = self.cell(record, c)?;
            let value = match parse_number(v) {
                Some(n) => AttrValue::Number(n),
                None => AttrValue::Text(v.to_string()),
            };
            Some((self.headers[c].clone(), value))
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_detected_outside_quotes() {
        assert_eq!(detect_separator("a,b,c"), b',');
        assert_eq!(detect_separator("a;b;\"x,y,z\""), b';');
        assert_eq!(detect_separator("a\tb\tc,d"), b'\t');
    }

    #[test]
    fn labels_read_as_positive_negative_or_missing() {
        let m = MissingTokens::default();
        let d = PositiveLabel::new(None);
        assert_eq!(d.read("1", &m), Some(true));
        assert_eq!(d.read("Yes", &m), Some(true));
        assert_eq!(d.read("0", &m), Some(false));
        assert_eq!(d.read(" ", &m), None);
        let won = PositiveLabel::new(Some("Won"));
        assert_eq!(
            (won.read("won", &m), won.read("Lost", &m)),
            (Some(true), Some(false))
        );
    }
}
