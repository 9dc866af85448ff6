//! The import's first pass: the type of every attribute column and the number of data rows.
//!
//! Nothing can be written before it ends (a column's type depends on all of its values), so
//! its time is the import's alone: 1.1 s of a 10⁶-row file on one core while the other
//! waits. A big file is therefore read in two halves at once. The second half starts after
//! the first line end past the middle, which is a record boundary only if that line end is
//! not inside a quoted cell; the first half's reader, which knows, checks that it reaches a
//! record boundary exactly there. If it does not, the second half's figures are thrown away
//! and the first reader goes on to the end, as one pass would.

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::reader::{BOM, MAX_RECORD_BYTES, RawRecord, RecordReader, read_some};
use super::values::KindGuess;
use super::{FileScan, ImportError, ImportPhase, ImportPlan, ImportProgress, Throttle, row};

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;

/// Files smaller than this are read in one pass (a second thread is not worth starting).
const SPLIT_BYTES: u64 = 4 << 20;

/// What one reader learnt from the records it read.
#[derive(Clone)]
struct Tally {
    guesses: Vec<KindGuess>,
    rows: u64,
}

impl Tally {
    fn new(columns: usize) -> Tally {
        Tally {
            guesses: vec![KindGuess::default(); columns],
            rows: 0,
        }
    }

    fn count(&mut self, rec: &RawRecord, attr_cols: &[usize]) {
        self.rows += 1;
        // Without attribute columns the scan only counts rows.
        if !attr_cols.is_empty()
            && rec.len() == self.guesses.len()
            && let Ok(cells) = rec.to_strs()
        {
            for &c in attr_cols {
                self.guesses[c].observe(row::clean_cell(cells[c]));
            }
        }
    }

    /// The tally of both halves' records: a guess only ever gives up a kind, so the order the
    /// records were seen in does not matter.
    fn add(&mut self, other: &Tally) {
        self.rows += other.rows;
        for (g, o) in self.guesses.iter_mut().zip(&other.guesses) {
            g.merge(o);
        }
    }

    fn scan(self) -> FileScan {
        FileScan {
            kinds: self.guesses.iter().map(KindGuess::kind).collect(),
            rows: self.rows,
        }
    }
}

/// Where the second half starts: just after the first line end (LF, or a CR not followed by
/// LF) at or after `split`, with the bytes from `split` up to there; `file` is left there.
/// `None` — read in one pass — when there is no line end within a record's greatest length
/// after `split`, or when the next record starts with a byte-order mark (a new reader drops
/// one there, where one pass reads it as part of the cell).
fn second_half_start(file: &mut File, split: u64) -> io::Result<Option<(u64, Vec<u8>)>> {
    file.seek(SeekFrom::Start(split))?;
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if seen.len() > MAX_RECORD_BYTES {
            return Ok(None);
        }
        let n = read_some(file, &mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        // A CR that ended the last read is looked at again, now that its next byte is known.
        let from = seen.len().saturating_sub(1);
        seen.extend_from_slice(&buf[..n]);
        // A CR is only taken as a line end once the byte after it is known.
        for i in from..seen.len() {
            let end = match seen[i] {
                b'\n' => Some(i + 1),
                b'\r' if i + 1 < seen.len() && seen[i + 1] != b'\n' => Some(i + 1),
                _ => None,
            };
            if let Some(end) = end {
                seen.truncate(end);
                let start = split + end as u64;
                if next_record_has_bom(file, start)? {
                    return Ok(None);
                }
                file.seek(SeekFrom::Start(start))?;
                return Ok(Some((start, seen)));
            }
        }
    }
}

/// The first byte after `start` that is not a line end could begin a byte-order mark.
fn next_record_has_bom(file: &mut File, start: u64) -> io::Result<bool> {
    file.seek(SeekFrom::Start(start))?;
    let mut buf = [0u8; 4096];
    loop {
        let n = read_some(file, &mut buf)?;
        if n == 0 {
            return Ok(false);
        }
        if let Some(&b) = buf[..n].iter().find(|b| !matches!(b, b'\n' | b'\r')) {
            return Ok(b == BOM[0]);
        }
    }
}

impl ImportPlan {
    /// First pass: the type of every attribute column and the number of data rows.
    pub fn scan(&self, progress: &mut dyn FnMut(&ImportProgress)) -> Result<FileScan, ImportError> {
        let split = (self.file_len >= SPLIT_BYTES).then_some(self.file_len / 2);
        self.scan_split_at(split, progress).map(|(scan, _)| scan)
    }

    /// [`scan`](Self::scan) with the second half starting at the first line end at or after
    /// `split` (`None`: one pass), and whether the two halves were read at once.
    fn scan_split_at(
        &self,
        split: Option<u64>,
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> Result<(FileScan, bool), ImportError> {
        let (tally, halves) = self.tally_split_at(split, progress)?;
        progress(&ImportProgress {
            phase: ImportPhase::Scanning,
            rows: tally.rows,
            total_rows: None,
            bytes: self.file_len,
            total_bytes: self.file_len,
        });
        Ok((tally.scan(), halves))
    }

    /// The records' tally for [`scan_split_at`](Self::scan_split_at).
    fn tally_split_at(
        &self,
        split: Option<u64>,
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> Result<(Tally, bool), ImportError> {
        let columns = self.mapping.headers.len();
        let attr_cols: Vec<usize> = self.mapping.attributes().map(|(c, _)| c).collect();
        let second = match split {
            Some(split) => {
                let open_err = |source| ImportError::Open {
                    path: self.path.clone(),
                    source,
                };
                let mut file = File::open(&self.path).map_err(open_err)?;
                second_half_start(&mut file, split)
                    .map_err(|e| self.read_error(0, e))?
                    .map(|(start, between)| (file, split, start, between))
            }
            None => None,
        };
        let Some((file, split, start, between)) = second else {
            let mut tally = Tally::new(columns);
            self.read_until(&mut tally, &attr_cols, None, &|| (0, 0), progress)?;
            return Ok((tally, false));
        };
        let (give_up, done_rows, done_bytes) =
            (AtomicBool::new(false), AtomicU64::new(0), AtomicU64::new(0));
        std::thread::scope(|s| {
            let other = std::thread::Builder::new()
                .name("leadq-import-scan".into())
                .spawn_scoped(s, || -> io::Result<Option<Tally>> {
                    let mut r = RecordReader::at_record_start(file, self.separator);
                    let mut rec = RawRecord::default();
                    let mut tally = Tally::new(columns);
                    while r.read(&mut rec)? {
                        tally.count(&rec, &attr_cols);
                        if tally.rows.is_multiple_of(512) {
                            if give_up.load(Ordering::Relaxed) {
                                return Ok(None);
                            }
                            done_rows.store(tally.rows, Ordering::Relaxed);
                            done_bytes.store(r.bytes_consumed(), Ordering::Relaxed);
                        }
                    }
                    Ok(Some(tally))
                })
                .expect("the import's scan thread starts");
            let mut tally = Tally::new(columns);
            let others = || {
                (
                    done_rows.load(Ordering::Relaxed),
                    done_bytes.load(Ordering::Relaxed),
                )
            };
            let first = self.read_until(
                &mut tally,
                &attr_cols,
                Some((split, start, &between, &give_up)),
                &others,
                progress,
            );
            let met = matches!(first, Ok(true));
            give_up.store(!met, Ordering::Relaxed);
            let second = other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            first?;
            let halves = match (met, second) {
                (true, Ok(Some(rest))) => {
                    tally.add(&rest);
                    true
                }
                // The second half's records are the first reader's too: read them there (an
                // error is then reported with its line).
                (true, _) => {
                    self.read_until(&mut tally, &attr_cols, None, &others, progress)?;
                    false
                }
                (false, _) => false,
            };
            Ok((tally, halves))
        })
    }

    /// Reads records into `tally` (past the `tally.rows` it already counted) to the end of the
    /// file or — with `meet = (split, start, between, give_up)` — until the reader is at the
    /// record boundary `start` (true; the records from there on are the second half's). When
    /// it finds it cannot meet `start`, it sets `give_up` and reads on alone. `others` gives the
    /// rows and bytes the second half has read, for progress.
    fn read_until(
        &self,
        tally: &mut Tally,
        attr_cols: &[usize],
        meet: Option<(u64, u64, &[u8], &AtomicBool)>,
        others: &dyn Fn() -> (u64, u64),
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> Result<bool, ImportError> {
        let mut r = self.records()?;
        let mut rec = RawRecord::default();
        let mut throttle = Throttle {
            last: std::time::Instant::now(),
        };
        let mut meet = meet;
        // Records already counted (a second call after the second half failed starts over).
        let skip = tally.rows;
        let mut read = 0u64;
        loop {
            let more = r.read(&mut rec);
            if !more.map_err(|e| self.read_error(rec.line, e))? {
                break;
            }
            read += 1;
            if read > skip {
                tally.count(&rec, attr_cols);
            }
            if let Some((split, start, between, give_up)) = meet {
                let at = r.bytes_consumed();
                if at == start || (split..start).contains(&at) && is_line_ends(between, at - split)
                {
                    return Ok(true);
                }
                if at > start {
                    // The line end was inside a quoted cell: this reader goes on alone.
                    give_up.store(true, Ordering::Relaxed);
                    meet = None;
                }
            }
            if throttle.due(read) {
                let (rows, bytes) = if meet.is_some() { others() } else { (0, 0) };
                progress(&ImportProgress {
                    phase: ImportPhase::Scanning,
                    rows: tally.rows + rows,
                    total_rows: None,
                    bytes: r.bytes_consumed() + bytes,
                    total_bytes: self.file_len,
                });
            }
        }
        Ok(false)
    }
}

/// The bytes of `between` from `from` on are only line ends: a reader stopped there starts
/// its next record where the second half started.
fn is_line_ends(between: &[u8], from: u64) -> bool {
    between[from as usize..]
        .iter()
        .all(|b| matches!(b, b'\n' | b'\r'))
}
