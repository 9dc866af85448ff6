//! The scan read in two halves gives what one pass gives, wherever the file is cut.

use std::path::Path;

use super::super::{AttrKind, FileScan, ImportPlan};

fn plan(dir: &Path, name: &str, bytes: &[u8]) -> ImportPlan {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    ImportPlan::prepare(&path, &[]).unwrap()
}

fn kinds(scan: &FileScan, plan: &ImportPlan, column: &str) -> AttrKind {
    let c = plan.headers().iter().position(|h| h == column).unwrap();
    scan.kinds[c]
}

/// Rows whose attribute kinds are decided late in the file (the `score` column is a number
/// until its last row says "n/a"), with cells holding separators, quotes and line ends, and
/// blank lines between records: every way a cut can fall inside or between records.
fn rows(eol: &str) -> String {
    let mut s = format!("name,email,score,trial,note{eol}");
    for i in 0..12 {
        let note = match i % 4 {
            0 => format!("\"called, left a message{eol}call back{eol}{eol}on Friday\""),
            1 => "\"said \"\"maybe\"\"\"".to_string(),
            2 => String::new(),
            _ => "plain".to_string(),
        };
        let score = if i == 11 {
            "n/a".to_string()
        } else {
            i.to_string()
        };
        s.push_str(&format!(
            "Lead {i},lead{i}@example.com,{score},{},{note}{eol}",
            i % 2 == 0
        ));
        if i % 5 == 0 {
            s.push_str(eol);
        }
    }
    s
}

#[test]
fn every_cut_of_the_file_gives_the_one_pass_scan() {
    let dir = tempfile::tempdir().unwrap();
    for (name, eol) in [("lf.csv", "\n"), ("crlf.csv", "\r\n"), ("cr.csv", "\r")] {
        let text = rows(eol);
        let plan = plan(dir.path(), name, text.as_bytes());
        let (whole, halves) = plan.scan_split_at(None, &mut |_| {}).unwrap();
        assert!(!halves);
        assert_eq!(whole.rows, 12, "{name}");
        assert_eq!(kinds(&whole, &plan, "score"), AttrKind::Text, "{name}");
        assert_eq!(kinds(&whole, &plan, "trial"), AttrKind::Bool, "{name}");
        let mut read_in_halves = 0;
        for split in 0..=text.len() as u64 + 1 {
            let (scan, halves) = plan.scan_split_at(Some(split), &mut |_| {}).unwrap();
            assert_eq!(scan, whole, "{name} cut at byte {split}");
            read_in_halves += usize::from(halves);
        }
        // Cuts inside a quoted cell with line ends, or in the header, go back to one pass;
        // cuts in plain rows are read in two halves.
        assert!(
            read_in_halves > text.len() / 2,
            "{name}: only {read_in_halves} of {} cuts were read in two halves",
            text.len()
        );
    }
}

/// A byte-order mark inside the file is part of its cell (one pass reads it so), though a
/// reader started there would drop it: a cut before one is read in one pass.
#[test]
fn a_byte_order_mark_after_a_cut_is_read_as_one_pass_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        b"score,name\n1,a\n2,b\n\xEF\xBB\xBF3,c\n4,d\n\xEF\xBB\xBF\n5,e\n\r\n\xEF\xBB\xBF6,f\n";
    let plan = plan(dir.path(), "bom.csv", text);
    let (whole, _) = plan.scan_split_at(None, &mut |_| {}).unwrap();
    assert_eq!(whole.rows, 7);
    assert_eq!(kinds(&whole, &plan, "score"), AttrKind::Text);
    for split in 0..=text.len() as u64 {
        let (scan, _) = plan.scan_split_at(Some(split), &mut |_| {}).unwrap();
        assert_eq!(scan, whole, "cut at byte {split}");
    }
}

#[test]
fn a_cut_inside_a_quoted_cell_is_read_in_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    // The cut's line end is inside the quoted note; read from there, "x,true" would look
    // like a row of two cells and the note's last line like a row of its own.
    let text = "name,score,note\nA,1,\"first line\nx,true\nlast line\"\nB,2,plain\n";
    let plan = plan(dir.path(), "quoted.csv", text.as_bytes());
    let split = text.find("first").unwrap() as u64;
    let (scan, halves) = plan.scan_split_at(Some(split), &mut |_| {}).unwrap();
    assert!(!halves);
    assert_eq!(scan.rows, 2);
    assert_eq!(kinds(&scan, &plan, "score"), AttrKind::Number);
    assert_eq!(kinds(&scan, &plan, "note"), AttrKind::Text);
}

#[test]
fn a_big_file_is_scanned_in_two_halves_with_the_one_pass_result() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("name,email,score\n");
    let mut i = 0;
    while text.len() < 5 << 20 {
        text.push_str(&format!("Lead {i},lead{i}@example.com,{i}\n"));
        i += 1;
    }
    text.push_str("Last,last@example.com,unknown\n");
    let plan = plan(dir.path(), "big.csv", text.as_bytes());
    let mut reports = Vec::new();
    let scan = plan.scan(&mut |p| reports.push((p.rows, p.bytes))).unwrap();
    let (whole, _) = plan.scan_split_at(None, &mut |_| {}).unwrap();
    assert_eq!(scan, whole);
    assert_eq!(scan.rows, i + 1);
    assert_eq!(kinds(&scan, &plan, "score"), AttrKind::Text);
    let (_, halves) = plan
        .scan_split_at(Some(text.len() as u64 / 2), &mut |_| {})
        .unwrap();
    assert!(halves);
    assert_eq!(reports.last(), Some(&(i + 1, text.len() as u64)));
}
