//! Reading CSV records the way the importer needs them: separator detection, BOM, the
//! physical line where each record starts, and a cap on field size so one huge cell cannot
//! eat the memory.

use std::io::{self, Read};

/// A field longer than this rejects its row.
pub const MAX_FIELD_BYTES: usize = 1 << 20;
/// A record longer than this (all fields together) rejects its row.
pub const MAX_RECORD_BYTES: usize = 16 << 20;
/// A record with more fields than this rejects its row.
pub const MAX_FIELDS: usize = 10_000;
/// How much of the file start [`detect_separator`] looks at at most.
pub const HEAD_BYTES: usize = 1 << 20;

pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One `read` into `buf`, again when a signal interrupted it; 0 at the end of the input.
pub(super) fn read_some(src: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match src.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Why the separator of a file could not be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeparatorError {
    #[error("its header line has no comma, semicolon or tab outside quotes")]
    NoneFound,
    #[error(
        "its header line has as many {} as {} and the next lines do not settle which one separates columns",
        separator_name(*.0), separator_name(*.1)
    )]
    Ambiguous(u8, u8),
}

/// `comma`, `semicolon` or `tab`, for messages.
pub fn separator_name(sep: u8) -> &'static str {
    match sep {
        b',' => "commas",
        b';' => "semicolons",
        b'\t' => "tabs",
        _ => "separators",
    }
}

/// Splits the start of a file into logical lines (newlines inside quotes do not end a line),
/// skipping empty ones. The last line may be cut short by the end of `head`.
fn logical_lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = head.strip_prefix(BOM).unwrap_or(head);
    std::iter::from_fn(move || {
        loop {
            if rest.is_empty() {
                return None;
            }
            let mut in_quotes = false;
            let mut end = rest.len();
            for (i, &b) in rest.iter().enumerate() {
                match b {
                    b'"' => in_quotes = !in_quotes,
                    b'\n' | b'\r' if !in_quotes => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            let line = &rest[..end];
            rest = &rest[(end + 1).min(rest.len())..];
            if !line.is_empty() {
                return Some(line);
            }
        }
    })
}

fn count_outside_quotes(line: &[u8], sep: u8) -> usize {
    let mut in_quotes = false;
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == sep && !in_quotes {
            n += 1;
        }
    }
    n
}

/// Tells the column separator (`,` `;` or tab) from the start of a file: the one that occurs
/// most often in the header line outside quotes. A tie is settled by the next lines (the
/// separator must split each of them into as many columns as the header); if they do not
/// settle it, or the header has none of the three, the separator cannot be told.
pub fn detect_separator(head: &[u8]) -> Result<u8, SeparatorError> {
    let mut lines = logical_lines(head);
    let header = lines.next().ok_or(SeparatorError::NoneFound)?;
    let counts = [b',', b';', b'\t'].map(|s| (s, count_outside_quotes(header, s)));
    let best = counts.iter().map(|c| c.1).max().unwrap_or(0);
    if best == 0 {
        return Err(SeparatorError::NoneFound);
    }
    let tied: Vec<u8> = counts.iter().filter(|c| c.1 == best).map(|c| c.0).collect();
    if let [only] = tied[..] {
        return Ok(only);
    }
    let next: Vec<&[u8]> = lines.take(5).collect();
    // The last sampled line may be cut off by the end of the head; ignore it then.
    let whole = if head.len() >= HEAD_BYTES {
        next.len().saturating_sub(1)
    } else {
        next.len()
    };
    let consistent: Vec<u8> = tied
        .iter()
        .copied()
        .filter(|&s| {
            whole > 0
                && next[..whole]
                    .iter()
                    .all(|l| count_outside_quotes(l, s) == best)
        })
        .collect();
    match consistent[..] {
        [only] => Ok(only),
        _ => Err(SeparatorError::Ambiguous(tied[0], tied[1])),
    }
}

/// One CSV record as read: its cells as bytes (not yet checked for UTF-8) and the physical
/// line of the file where it starts.
#[derive(Debug, Default, Clone)]
pub struct RawRecord {
    /// 1-based line of the file where the record starts.
    pub line: u64,
    /// A field exceeded [`MAX_FIELD_BYTES`] (or the record other caps); the cells were dropped.
    pub oversized: bool,
    fields: Vec<u8>,
    ends: Vec<usize>,
    len: usize,
}

impl RawRecord {
    /// Number of cells (0 for an oversized record).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`-th cell's bytes.
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.fields[start..self.ends[i]]
    }

    pub fn cells(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len).map(|i| self.get(i))
    }

    /// The cells as text, or the index of the first cell that is not valid UTF-8.
    pub fn to_strs(&self) -> Result<Vec<&str>, usize> {
        self.cells()
            .enumerate()
            .map(|(i, c)| std::str::from_utf8(c).map_err(|_| i))
            .collect()
    }
}

/// Streams CSV records from a reader with bounded memory: RFC 4180 quoting (embedded
/// separators, quotes and newlines), CRLF / LF / CR line ends, a UTF-8 BOM dropped, blank
/// lines skipped.
pub struct RecordReader<R> {
    src: R,
    core: csv_core::Reader,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    at_file_start: bool,
    read_total: u64,
    /// The line the next byte is on. csv_core counts only `\n`, which numbered every row of a
    /// CR-only file (old Mac exports) as line 1; here CR, LF and CRLF each end one line.
    line: u64,
    /// The last byte consumed was a CR (its LF, if one follows, ends no further line).
    after_cr: bool,
}

impl<R: Read> RecordReader<R> {
    pub fn new(src: R, separator: u8) -> Self {
        RecordReader {
            src,
            core: csv_core::ReaderBuilder::new().delimiter(separator).build(),
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            at_file_start: true,
            read_total: 0,
            line: 1,
            after_cr: false,
        }
    }

    /// A reader of a file already positioned at the start of a record (a BOM there is data).
    pub fn at_record_start(src: R, separator: u8) -> Self {
        RecordReader {
            at_file_start: false,
            ..RecordReader::new(src, separator)
        }
    }

    /// Advances the line counter over bytes that were consumed: every CR and every LF ends a
    /// line, except the LF of a CRLF pair.
    fn count_lines(&mut self, consumed: std::ops::Range<usize>) {
        let bytes = &self.buf[consumed];
        let Some(&last) = bytes.last() else {
            return;
        };
        // One branch-free pass the compiler vectorises; most files have no CR.
        let (mut lf, mut cr) = (0u64, 0u64);
        for &b in bytes {
            lf += u64::from(b == b'\n');
            cr += u64::from(b == b'\r');
        }
        let mut crlf = 0;
        if cr > 0 || self.after_cr {
            crlf = bytes.windows(2).filter(|w| w == b"\r\n").count() as u64;
            crlf += u64::from(self.after_cr && bytes[0] == b'\n');
        }
        self.line += cr + lf - crlf;
        self.after_cr = last == b'\r';
    }

    /// Bytes of the input consumed so far (for progress).
    pub fn bytes_consumed(&self) -> u64 {
        self.read_total - (self.end - self.start) as u64
    }

    /// Refills the buffer once it is used up; false at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.start < self.end {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        let n = read_some(&mut self.src, &mut self.buf)?;
        self.read_total += n as u64;
        self.start = 0;
        self.end = n;
        self.eof = n == 0;
        if self.at_file_start && n > 0 {
            self.at_file_start = false;
            // A BOM split over two reads is not worth handling: reads are 64 KiB.
            if self.buf[..n].starts_with(BOM) {
                self.start = BOM.len();
            }
            return self.fill();
        }
        Ok(n > 0)
    }

    /// Reads the next record into `rec`; false at the end of the input.
    pub fn read(&mut self, rec: &mut RawRecord) -> io::Result<bool> {
        // Skip blank lines ourselves so that the line counter points at the record's start.
        while self.fill()? {
            if !matches!(self.buf[self.start], b'\n' | b'\r') {
                break;
            }
            self.count_lines(self.start..self.start + 1);
            self.start += 1;
        }
        rec.line = self.line;
        rec.oversized = false;
        rec.len = 0;
        if rec.fields.len() < 4096 {
            rec.fields.resize(4096, 0);
        }
        if rec.ends.len() < 64 {
            rec.ends.resize(64, 0);
        }
        let (mut out, mut nends) = (0usize, 0usize);
        loop {
            let more = self.fill()?;
            let input: &[u8] = if more {
                &self.buf[self.start..self.end]
            } else {
                &[]
            };
            let (res, nin, nout, nend) =
                self.core
                    .read_record(input, &mut rec.fields[out..], &mut rec.ends[nends..]);
            if more {
                self.count_lines(self.start..self.start + nin);
            }
            self.start += nin;
            out += nout;
            nends += nend;
            use csv_core::ReadRecordResult as R;
            match res {
                R::InputEmpty => {}
                R::OutputFull => {
                    let field_start = if nends == 0 { 0 } else { rec.ends[nends - 1] };
                    if rec.oversized
                        || out - field_start > MAX_FIELD_BYTES
                        || out > MAX_RECORD_BYTES
                    {
                        // Keep parsing to find the record's end, but drop what it holds.
                        rec.oversized = true;
                        out = 0;
                        nends = 0;
                    } else {
                        let grown = rec.fields.len() * 2;
                        rec.fields.resize(grown, 0);
                    }
                }
                R::OutputEndsFull => {
                    if rec.oversized || nends >= MAX_FIELDS {
                        rec.oversized = true;
                        out = 0;
                        nends = 0;
                    } else {
                        let grown = rec.ends.len() * 2;
                        rec.ends.resize(grown, 0);
                    }
                }
                R::Record => {
                    // The buffer may have had room for a field just over the cap.
                    let longest = (0..nends)
                        .map(|i| rec.ends[i] - if i == 0 { 0 } else { rec.ends[i - 1] })
                        .max()
                        .unwrap_or(0);
                    rec.oversized |= longest > MAX_FIELD_BYTES;
                    rec.len = if rec.oversized { 0 } else { nends };
                    return Ok(true);
                }
                R::End => return Ok(false),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(data: &[u8]) -> Vec<(u64, Vec<String>)> {
        let mut r = RecordReader::new(data, b',');
        let mut rec = RawRecord::default();
        let mut out = Vec::new();
        while r.read(&mut rec).unwrap() {
            let cells = rec
                .cells()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            out.push((rec.line, cells));
        }
        out
    }

    #[test]
    fn records_carry_the_line_where_they_start() {
        let data = b"\xEF\xBB\xBFa,b\r\n\"x\r\ny\",2\r\n\r\n\"say \"\"hi\"\"\",3\r\nlast,4";
        assert_eq!(
            records(data),
            vec![
                (1, vec!["a".into(), "b".into()]),
                (2, vec!["x\r\ny".into(), "2".into()]),
                (5, vec!["say \"hi\"".into(), "3".into()]),
                (6, vec!["last".into(), "4".into()]),
            ]
        );
        let lf = records(b"h\n\"1\n2\n3\"\nnext\n");
        assert_eq!(lf[2], (5, vec!["next".to_string()]));
        // Old Mac files end lines with CR alone; mixed endings count one line each.
        let cr = records(b"h\r\"1\r2\",x\r\rnext\r\nlast\n");
        let lines: Vec<u64> = cr.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![1, 2, 5, 6]);
        assert_eq!(cr[1].1, vec!["1\r2".to_string(), "x".into()]);
    }

    #[test]
    fn an_oversized_field_drops_only_its_record() {
        let mut data = b"a,b\n1,\"".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_FIELD_BYTES + 10));
        data.extend_from_slice(b"\"\n2,ok\n");
        let mut r = RecordReader::new(&data[..], b',');
        let mut rec = RawRecord::default();
        assert!(r.read(&mut rec).unwrap());
        assert!(r.read(&mut rec).unwrap());
        assert!(rec.oversized && rec.is_empty() && rec.line == 2);
        assert!(rec.fields.len() <= 4 * MAX_FIELD_BYTES);
        assert!(r.read(&mut rec).unwrap());
        assert_eq!((rec.line, rec.get(1)), (3, &b"ok"[..]));
        assert!(!r.read(&mut rec).unwrap());
    }

    #[test]
    fn separators_are_told_from_the_header_outside_quotes() {
        assert_eq!(detect_separator(b"a,b,c\n1,2,3"), Ok(b','));
        assert_eq!(detect_separator(b"\xEF\xBB\xBFa;b;\"c,d\"\r\n"), Ok(b';'));
        assert_eq!(detect_separator(b"a\tb\tc, d\n"), Ok(b'\t'));
        assert_eq!(
            detect_separator(b"just one column\nx\n"),
            Err(SeparatorError::NoneFound)
        );
        assert_eq!(detect_separator(b""), Err(SeparatorError::NoneFound));
        // A tie is settled by the data lines, or refused.
        assert_eq!(detect_separator(b"a,b;c\n1,2;3,4\n"), Ok(b';'));
        assert_eq!(
            detect_separator(b"a,b;c\n"),
            Err(SeparatorError::Ambiguous(b',', b';'))
        );
    }
}
