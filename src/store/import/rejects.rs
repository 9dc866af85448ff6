//! The reject file: rows the importer refused, the line and the reason followed by the cells
//! as found, written beside the input so they can be fixed and imported again.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// One refused row, for the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedRow {
    /// Physical line of the file where the row starts.
    pub line: u64,
    pub reason: String,
}

/// `dir/leads.csv` → `dir/leads.rejects.csv`.
pub fn reject_path(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    input.with_file_name(format!("{stem}.rejects.csv"))
}

/// Collects rejected rows; writes them to the reject file (created on the first one) unless
/// it is a dry run.
pub(crate) struct RejectLog {
    path: PathBuf,
    header: Vec<Vec<u8>>,
    separator: u8,
    write: bool,
    out: Option<csv::Writer<BufWriter<File>>>,
    pub count: u64,
    /// The first rows refused, for the summary.
    pub first: Vec<RejectedRow>,
}

/// How many refused rows the summary lists by line.
const LISTED: usize = 100;

impl RejectLog {
    pub fn new(path: PathBuf, header: &[String], separator: u8, write: bool) -> RejectLog {
        // `line` and `reason` come first so they stay in place when a row has too many or too
        // few cells.
        let mut columns = vec![b"line".to_vec(), b"reason".to_vec()];
        columns.extend(header.iter().map(|h| h.as_bytes().to_vec()));
        RejectLog {
            path,
            header: columns,
            separator,
            write,
            out: None,
            count: 0,
            first: Vec::new(),
        }
    }

    /// Records a refused row with its original cells (empty when they could not be kept).
    pub fn reject<'c>(
        &mut self,
        line: u64,
        cells: impl Iterator<Item = &'c [u8]>,
        reason: String,
    ) -> std::io::Result<()> {
        self.count += 1;
        if self.write {
            if self.out.is_none() {
                let mut w = csv::WriterBuilder::new()
                    .delimiter(self.separator)
                    .flexible(true)
                    .from_writer(BufWriter::new(File::create(&self.path)?));
                w.write_record(&self.header)?;
                self.out = Some(w);
            }
            let w = self.out.as_mut().expect("just created");
            w.write_field(line.to_string())?;
            w.write_field(&reason)?;
            for cell in cells {
                w.write_field(cell)?;
            }
            w.write_record(None::<&[u8]>)?;
        }
        if self.first.len() < LISTED {
            self.first.push(RejectedRow { line, reason });
        }
        Ok(())
    }

    /// Flushes the file; returns its path when one was written.
    pub fn finish(&mut self) -> std::io::Result<Option<PathBuf>> {
        match self.out.take() {
            Some(w) => {
                let file = w
                    .into_inner()
                    .map_err(|e| std::io::Error::other(e.to_string()))?
                    .into_inner()
                    .map_err(|e| e.into_error())?;
                file.sync_all()?;
                Ok(Some(self.path.clone()))
            }
            None => Ok(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
