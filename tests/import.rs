//! `leadq import` / `leadq export` through the real binary: exit codes, nothing written on bad
//! input, and the public X Education data set imported without loss or doubling.

mod common;
use common::leadq;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The shared data directory, or `None` (with a note) when this checkout has none.
fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("LEADQ_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if dir.join("x-education-leads.csv").is_file() {
        Some(dir)
    } else {
        println!("skipped: data set not found (set LEADQ_SHARED_DATA)");
        None
    }
}

/// Every row of a CSV export as a map column → value.
fn read_export(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn x_education_imports_every_row_once_and_a_second_import_merges() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    // A copy, so that no reject file could ever land beside the shared original.
    let csv = dir.path().join("x-education-leads.csv");
    std::fs::copy(data.join("x-education-leads.csv"), &csv).unwrap();
    let db = dir.path().join("book.db");
    let csv_arg = csv.to_str().unwrap();

    let out = leadq(&db, &["import", csv_arg]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("rows 9240: 9240 new, 0 merged into existing leads, 0 rejected"),
        "{stdout}"
    );
    assert!(stdout.contains("Lead Source → source"), "{stdout}");
    assert!(stdout.contains("Country → country"), "{stdout}");
    assert!(stdout.contains("Do Not Email (bool)"), "{stdout}");
    assert!(stdout.contains("TotalVisits (number)"), "{stdout}");
    assert!(stdout.contains("matched by Prospect ID"), "{stdout}");
    assert!(!dir.path().join("x-education-leads.rejects.csv").exists());

    let export = dir.path().join("out.csv");
    let out = leadq(&db, &["export", "--out", export.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (header, rows) = read_export(&export);
    assert_eq!(rows.len(), 9240);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (pid, name, source) = (col("Prospect ID"), col("name"), col("source"));
    let exported: HashSet<&str> = rows.iter().map(|r| r[pid].as_str()).collect();
    let (_, input) = read_export(&csv);
    let original: HashSet<&str> = input.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(exported.len(), 9240, "no lead doubled");
    assert_eq!(exported, original, "no lead lost");
    // The first data row: named from its Lead Number, source mapped.
    let first = rows.iter().find(|r| r[pid] == input[0][0]).unwrap();
    assert_eq!(first[name], "Lead 660737");
    assert_eq!(first[source], "Olark Chat");
    // Every one of the 37 columns survives: 35 as attributes, 2 as fields.
    assert_eq!(header.len(), 17 + 35, "{header:?}");

    let out = leadq(&db, &["import", csv_arg]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("rows 9240: 0 new, 9240 merged into existing leads, 0 rejected"),
        "{stdout}"
    );
    let out = leadq(&db, &["export", "--out", export.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(read_export(&export).1.len(), 9240);
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "Email,Phone\na@x.com,1\n").unwrap();
    let spaces = dir.path().join("spaces.csv");
    std::fs::write(&spaces, "Email Phone\na@x.com 1\n").unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["import", "/nonexistent/leads.csv"], "cannot read"),
        (
            &["import", good.to_str().unwrap(), "--map", "Fax=phone"],
            "no column \"Fax\"",
        ),
        (
            &["import", good.to_str().unwrap(), "--map", "Phone=fax"],
            "unknown field \"fax\"",
        ),
        (
            &["import", good.to_str().unwrap(), "--map", "Phone"],
            "COL=FIELD",
        ),
        (
            &["import", spaces.to_str().unwrap()],
            "cannot tell the column separator",
        ),
    ];
    for (args, words) in cases {
        let out = leadq(&db, args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one clear line: {stderr}");
        assert!(!db.exists(), "{args:?} created the database");
    }
    // A dry run on a book that does not exist yet validates without creating it.
    let out = leadq(&db, &["import", good.to_str().unwrap(), "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("dry run, nothing written"));
    assert!(!db.exists());
}

#[test]
fn rejected_rows_are_not_an_error_and_export_goes_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let file = dir.path().join("crm.csv");
    std::fs::write(
        &file,
        "First Name;Last Name;Email;Number of Employees;Lead Status\n\
         Ana;Ruiz;ana@acme.com;12;Working - Contacted\n\
         Bo;Li;bo@acme.com;a dozen;New\n\
         Cy;;cy@acme.com;;Hot\n",
    )
    .unwrap();
    let out = leadq(&db, &["import", file.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("rows 3: 2 new, 0 merged into existing leads, 1 rejected"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 3: \"a dozen\" is not a whole number"),
        "{stdout}"
    );
    assert!(stdout.contains("crm.rejects.csv"), "{stdout}");
    assert!(stdout.contains("\"Hot\" ×1"), "{stdout}");
    assert!(dir.path().join("crm.rejects.csv").exists());

    let out = leadq(&db, &["export"]);
    assert_eq!(out.status.code(), Some(0));
    let csv = text(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].contains(",Ana Ruiz,ana@acme.com,"), "{csv}");
    assert!(lines[1].contains(",Contacted,"), "{csv}");
    assert!(
        lines[2].contains(",Cy,cy@acme.com,") && lines[2].contains(",New,"),
        "{csv}"
    );
}
