//! CSV import into the book: streaming, in batches, with header auto-mapping, typed custom
//! attributes, duplicate merging and a reject file for the rows that cannot be imported.
//!
//! Two passes over the file: the first infers each attribute column's type (and counts rows
//! for progress), the second maps rows to leads and writes them in batches. Callers that only
//! need the parsing (e.g. evaluation on a CSV) use [`ImportPlan::prepare`],
//! [`ImportPlan::scan`], [`ImportPlan::records`] and [`LeadMapper`] without a store.

mod batch;
pub mod mapping;
pub mod reader;
mod rejects;
pub mod row;
mod scan;
mod unfinished;
pub mod values;
mod writer;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use mapping::{
    ColumnMapping, ColumnOverride, ColumnUse, LeadField, OverrideTarget, parse_map_arg,
    resolve_columns,
};
pub use reader::{RawRecord, RecordReader, SeparatorError, detect_separator};
pub use rejects::{RejectedRow, reject_path};
pub use row::{LeadMapper, MappedRow, merge_into};
pub use values::AttrKind;

use crate::core::model::{Pipeline, Timestamp};
use crate::store::{Store, StoreError};

/// Leads written per sled batch.
const BATCH: usize = 8192;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {source}; check the path", .path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} has no header line; leadq imports CSV files whose first line names the columns", .path.display())]
    Empty { path: PathBuf },
    #[error(
        "cannot tell the column separator of {}: {reason}; save it as a comma-, semicolon- or tab-separated file with one header line",
        .path.display()
    )]
    Separator {
        path: PathBuf,
        reason: SeparatorError,
    },
    #[error("the header line of {} is not valid UTF-8; save the file as UTF-8 and import again", .path.display())]
    HeaderEncoding { path: PathBuf },
    /// A `--map` that does not fit the file.
    #[error("{0}")]
    Mapping(String),
    #[error("reading {} failed near line {line}: {source}", .path.display())]
    Read {
        path: PathBuf,
        line: u64,
        #[source]
        source: io::Error,
    },
    #[error("cannot write the reject file {}: {source}", .path.display())]
    Rejects {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    /// The user's file or arguments are wrong (exit code 2), as opposed to a failure while
    /// importing.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ImportError::Open { .. }
                | ImportError::Empty { .. }
                | ImportError::Separator { .. }
                | ImportError::HeaderEncoding { .. }
                | ImportError::Mapping(_)
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportPhase {
    /// First pass: inferring column types, counting rows.
    Scanning,
    /// Second pass: mapping and writing leads.
    Importing,
}

/// Where an import is, for a progress line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportProgress {
    pub phase: ImportPhase,
    /// Data rows done in this phase.
    pub rows: u64,
    /// Data rows in the file (known after the scan).
    pub total_rows: Option<u64>,
    pub bytes: u64,
    pub total_bytes: u64,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    /// Validate and report everything, write nothing (no reject file either).
    pub dry_run: bool,
    /// Created time of rows without one.
    pub now: Timestamp,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportSummary {
    pub file: PathBuf,
    pub separator: u8,
    pub dry_run: bool,
    /// Data rows in the file (blank lines not counted; rows with only empty cells counted).
    pub rows_read: u64,
    /// New leads.
    pub imported: u64,
    /// Rows merged into a lead with the same email or key (in the book or earlier in the file).
    pub merged: u64,
    pub rejected: u64,
    /// Rows whose cells were all empty; skipped.
    pub blank_rows: u64,
    /// Written only when rows were rejected and it is not a dry run.
    pub reject_file: Option<PathBuf>,
    /// The first rejected rows by line.
    pub rejects: Vec<RejectedRow>,
    /// Column header → lead field.
    pub fields: Vec<(String, LeadField)>,
    /// Attribute name → inferred type.
    pub attributes: Vec<(String, AttrKind)>,
    pub ignored: Vec<String>,
    /// The id-like column that identifies leads without an email, if any.
    pub key_column: Option<String>,
    pub has_email_column: bool,
    /// Raw status values that matched no stage, with their counts: those leads start in the
    /// first stage and keep the raw value as an attribute named like the status column.
    pub unknown_statuses: BTreeMap<String, u64>,
    pub first_stage: String,
    pub accounts_created: u64,
}

/// What the scan learnt about a file.
#[derive(Clone, Debug, PartialEq)]
pub struct FileScan {
    /// One per column; meaningful for attribute columns.
    pub kinds: Vec<AttrKind>,
    /// Data rows (records after the header).
    pub rows: u64,
}

/// A file ready to import: separator told, header read, columns mapped. Preparing writes
/// nothing, so bad input is refused before the book is touched.
#[derive(Clone, Debug)]
pub struct ImportPlan {
    path: PathBuf,
    separator: u8,
    mapping: ColumnMapping,
    file_len: u64,
}

/// Calls `progress` at most about ten times a second.
struct Throttle {
    last: Instant,
}

impl Throttle {
    fn due(&mut self, rows: u64) -> bool {
        if !rows.is_multiple_of(512) || self.last.elapsed() < Duration::from_millis(100) {
            return false;
        }
        self.last = Instant::now();
        true
    }
}

impl ImportPlan {
    /// Opens `path`, tells its separator, reads the header and applies the overrides.
    pub fn prepare(path: &Path, overrides: &[ColumnOverride]) -> Result<ImportPlan, ImportError> {
        let open_err = |source| ImportError::Open {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(open_err)?;
        let meta = file.metadata().map_err(open_err)?;
        if meta.is_dir() {
            return Err(open_err(io::Error::other("it is a directory")));
        }
        let mut head = Vec::new();
        file.take(reader::HEAD_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(open_err)?;
        let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(ImportError::Empty {
                path: path.to_path_buf(),
            });
        }
        let separator = detect_separator(&head).map_err(|reason| ImportError::Separator {
            path: path.to_path_buf(),
            reason,
        })?;
        let mut rec = RawRecord::default();
        let mut r = RecordReader::new(&head[..], separator);
        r.read(&mut rec).map_err(open_err)?;
        let headers: Vec<String> = rec
            .to_strs()
            .map_err(|_| ImportError::HeaderEncoding {
                path: path.to_path_buf(),
            })?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mapping = resolve_columns(&headers, overrides).map_err(ImportError::Mapping)?;
        Ok(ImportPlan {
            path: path.to_path_buf(),
            separator,
            mapping,
            file_len: meta.len(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn separator(&self) -> u8 {
        self.separator
    }

    pub fn headers(&self) -> &[String] {
        &self.mapping.headers
    }

    pub fn mapping(&self) -> &ColumnMapping {
        &self.mapping
    }

    /// A record reader positioned after the header line.
    pub fn records(&self) -> Result<RecordReader<File>, ImportError> {
        let file = File::open(&self.path).map_err(|source| ImportError::Open {
            path: self.path.clone(),
            source,
        })?;
        let mut r = RecordReader::new(file, self.separator);
        let mut header = RawRecord::default();
        r.read(&mut header).map_err(|e| self.read_error(1, e))?;
        Ok(r)
    }

    fn read_error(&self, line: u64, source: io::Error) -> ImportError {
        ImportError::Read {
            path: self.path.clone(),
            line,
            source,
        }
    }

    /// Imports the file into `store` (`None`, or `options.dry_run`, only validates and
    /// reports). Bad rows go to the reject file; everything written is flushed durably before
    /// this returns.
    pub fn run(
        &self,
        store: Option<&Store>,
        options: &ImportOptions,
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> Result<ImportSummary, ImportError> {
        let write = !options.dry_run && store.is_some();
        let scan = self.scan(progress)?;
        let pipeline = match store {
            Some(s) => s.pipeline()?,
            None => Pipeline::default(),
        };
        let first_stage = pipeline.initial().to_string();
        let mapper = LeadMapper::new(
            self.mapping.clone(),
            scan.kinds.clone(),
            pipeline,
            options.now,
        );
        let headers = &self.mapping.headers;
        let mut rejects =
            rejects::RejectLog::new(reject_path(&self.path), headers, self.separator, write);
        let reject_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ImportError::Rejects { path, source }
        };
        let mut book = batch::BookWriter::new(store, write)?;
        let mut r = self.records()?;
        let mut rec = RawRecord::default();
        let (mut rows, mut blank) = (0u64, 0u64);
        let mut unknown_statuses: BTreeMap<String, u64> = BTreeMap::new();
        let mut throttle = Throttle {
            last: Instant::now(),
        };
        let n = headers.len();
        loop {
            let more = r.read(&mut rec);
            if !more.map_err(|e| self.read_error(rec.line, e))? {
                break;
            }
            rows += 1;
            let reason = if rec.oversized {
                Some(format!(
                    "a cell is longer than {} MiB (or the row has more than {} cells or {} MiB); split or shorten it",
                    reader::MAX_FIELD_BYTES >> 20,
                    reader::MAX_FIELDS,
                    reader::MAX_RECORD_BYTES >> 20
                ))
            } else if rec.len() != n {
                Some(format!(
                    "the row has {} cells but the header has {n}; check for a stray separator or quote",
                    rec.len()
                ))
            } else {
                match rec.to_strs() {
                    Err(i) => Some(format!(
                        "cell {} (column {:?}) is not valid UTF-8; save the file as UTF-8",
                        i + 1,
                        headers[i]
                    )),
                    Ok(cells) if cells.iter().all(|c| c.trim().is_empty()) => {
                        blank += 1;
                        None
                    }
                    Ok(cells) => match mapper.map_row(&cells) {
                        Ok(mapped) => {
                            if let Some(s) = &mapped.unknown_status {
                                *unknown_statuses.entry(s.clone()).or_default() += 1;
                            }
                            book.add(mapped)?;
                            None
                        }
                        Err(reason) => Some(reason),
                    },
                }
            };
            if let Some(reason) = reason {
                let empty = std::iter::repeat_n(&b""[..], n);
                let result = if rec.oversized {
                    rejects.reject(rec.line, empty, reason)
                } else {
                    rejects.reject(rec.line, rec.cells(), reason)
                };
                result.map_err(reject_err(rejects.path()))?;
            }
            if book.pending() >= BATCH {
                book.flush()?;
            }
            if throttle.due(rows) {
                progress(&ImportProgress {
                    phase: ImportPhase::Importing,
                    rows,
                    total_rows: Some(scan.rows),
                    bytes: r.bytes_consumed(),
                    total_bytes: self.file_len,
                });
            }
        }
        book.finish()?;
        if let (true, Some(store)) = (write, store) {
            store.flush()?;
        }
        progress(&ImportProgress {
            phase: ImportPhase::Importing,
            rows,
            total_rows: Some(scan.rows),
            bytes: r.bytes_consumed(),
            total_bytes: self.file_len,
        });
        let reject_file = rejects.finish().map_err(reject_err(rejects.path()))?;
        let m = &self.mapping;
        Ok(ImportSummary {
            file: self.path.clone(),
            separator: self.separator,
            dry_run: !write,
            rows_read: rows,
            imported: book.imported,
            merged: book.merged,
            rejected: rejects.count,
            blank_rows: blank,
            reject_file,
            rejects: std::mem::take(&mut rejects.first),
            fields: m.fields().map(|(c, f)| (headers[c].clone(), f)).collect(),
            attributes: m
                .attributes()
                .map(|(c, name)| (name.to_string(), scan.kinds[c]))
                .collect(),
            ignored: m
                .uses
                .iter()
                .zip(headers)
                .filter(|(u, _)| **u == ColumnUse::Ignore)
                .map(|(_, h)| h.clone())
                .collect(),
            key_column: m.key_column.map(|c| headers[c].clone()),
            has_email_column: m.column_of(LeadField::Email).is_some(),
            unknown_statuses,
            first_stage,
            accounts_created: book.accounts_created,
        })
    }
}

/// Imports a CSV file into the book: [`ImportPlan::prepare`] then [`ImportPlan::run`].
pub fn import_csv(
    store: &Store,
    path: &Path,
    overrides: &[ColumnOverride],
    options: &ImportOptions,
    progress: &mut dyn FnMut(&ImportProgress),
) -> Result<ImportSummary, ImportError> {
    ImportPlan::prepare(path, overrides)?.run(Some(store), options, progress)
}
