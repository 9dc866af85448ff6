//! Hostile input through the real binary: terminal escapes and control characters in CSV cells
//! are stored as given but never reach the terminal raw; exported cells that a spreadsheet
//! would run are escaped; nonsense rules files are refused with positions; non-UTF-8 rows are
//! rejected with their line number.

mod common;
use common::leadq;

use std::path::Path;
use std::process::Output;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Fails when `bytes` (what leadq wrote to a terminal) holds a control character other than
/// newline and tab, a C1 control, or a bidirectional override.
fn assert_terminal_safe(bytes: &[u8], what: &str) {
    let text = String::from_utf8_lossy(bytes);
    for (i, c) in text.char_indices() {
        let bad = (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        assert!(
            !bad,
            "{what}: raw {c:?} at byte {i} in {:?}",
            &text[i.saturating_sub(40)..(i + 10).min(text.len())]
        );
    }
}

const ESC_NAME: &str = "Ana \u{1b}]0;owned\u{7}Ruiz\u{1b}[2J";

/// A CSV whose cells (and one header) carry escape sequences, C1 controls and bidi marks.
fn hostile_csv(dir: &Path) -> std::path::PathBuf {
    let csv = dir.join("hostile.csv");
    let mut w = csv::Writer::from_path(&csv).unwrap();
    w.write_record([
        "name",
        "email",
        "title",
        "company",
        "Lead Status",
        "owner",
        "plan\u{1b}[31m",
    ])
    .unwrap();
    w.write_record([
        ESC_NAME,
        "ana@example.com",
        "VP\u{9b}31m Sales\r",
        "Acme\u{202E}moc.evil",
        "Working\u{1b}[5m",
        "rep\u{7f}\u{1b}c",
        "Enterprise\u{1b}]8;;http://x\u{7}",
    ])
    .unwrap();
    w.write_record([
        "\u{1b}[1;31mBo",
        "not an email \u{1b}[K",
        "",
        "",
        "",
        "",
        "",
    ])
    .unwrap();
    w.flush().unwrap();
    csv
}

#[test]
fn escape_sequences_in_cells_are_stored_but_never_printed_raw() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let csv = hostile_csv(dir.path());
    let csv_arg = csv.to_str().unwrap();

    let dry = leadq(&db, &["import", csv_arg, "--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert_terminal_safe(&dry.stdout, "import --dry-run");
    let out = leadq(&db, &["import", csv_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_terminal_safe(&out.stdout, "import summary");
    assert_terminal_safe(&out.stderr, "import stderr");

    // Stored as given: JSON carries the exact text (escaped by JSON itself).
    let json = leadq(&db, &["show", "ana@example.com", "--format", "json"]);
    assert!(json.status.success(), "{}", stderr(&json));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["name"], ESC_NAME);
    assert_eq!(v["account"], "Acme\u{202E}moc.evil");

    for args in [
        vec!["show", "ana@example.com"],
        vec!["explain", "ana@example.com"],
        vec!["list"],
        vec!["list", "--owner", "rep\u{7f}\u{1b}c"],
        vec![
            "log",
            "ana@example.com",
            "no_answer",
            "--note",
            "hi\u{1b}[2J",
        ],
        vec!["show", "ana@example.com"],
        vec!["rules", "list"],
        // JSON escapes ESC itself; DEL, C1 controls and bidi marks are escaped by leadq.
        vec!["show", "ana@example.com", "--format", "json"],
        vec!["explain", "ana@example.com", "--format", "json"],
        vec!["list", "--format", "json"],
        vec!["rules", "list", "--format", "json"],
        // Errors quote what they were given.
        vec!["show", "nobody\u{1b}]0;x\u{7}@example.com"],
        vec!["log", "1", "maybe\u{1b}[2J"],
    ] {
        let out = leadq(&db, &args);
        assert_terminal_safe(&out.stdout, &args.join(" "));
        assert_terminal_safe(&out.stderr, &args.join(" "));
    }

    // The export (a file for other programs) keeps the text exactly.
    let export = dir.path().join("out.csv");
    let out = leadq(&db, &["export", "--out", export.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&export).unwrap();
    assert!(text.contains(ESC_NAME), "{text}");
}

#[test]
fn rule_names_and_errors_from_a_rules_file_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "base_points = -20\n\n[[rule]]\nname = \"VP \\u001b[2J title\"\nwhen = 'title contains \"VP\"'\npoints = 10\nkind = \"fit\"\n",
    )
    .unwrap();
    let out = leadq(&db, &["rules", "import", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = leadq(&db, &["rules", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_terminal_safe(&out.stdout, "rules list");
    assert!(String::from_utf8_lossy(&out.stdout).contains("VP \u{FFFD}[2J title"));

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[rule]]\nname = \"x\u{1b}]0;t\u{7}\"\nwhen = 'title contains \"\u{1b}[2J'\npoints = 10\nkind = \"fit\"\n",
    )
    .unwrap();
    let out = leadq(&db, &["rules", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_terminal_safe(&out.stderr, "rules import error");
}

#[test]
fn nonsense_rules_files_are_refused_with_positions_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let before = leadq(&db, &["rules", "export"]);
    assert!(before.status.success(), "{}", stderr(&before));
    let cases: [(&str, &[&str]); 4] = [
        (
            "[[rule]]\nname = \"big\"\nwhen = 'employees >= '\npoints = 10\nkind = \"fit\"\n",
            &["file line 3", "line 1", "column"],
        ),
        (
            "[[rule]]\nname = \"a\"\nwhen = 'title contains \"VP\"'\npoints = 10\nkind = \"fit\"\n\n[[rule]]\nname = \"b\"\nwhen = '(((title'\npoints = 1\nkind = \"fit\"\n",
            &["rule \"b\"", "file line 9"],
        ),
        ("this is not toml at all = = =\n", &["line 1"]),
        (
            "[[rule]]\nname = \"x\"\nwhen = 'title contains \"VP\"'\npoints = 1e400\nkind = \"fit\"\n",
            &["rule"],
        ),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&file, text).unwrap();
        let out = leadq(&db, &["rules", "import", file.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "case {i}: {err}");
        for e in *expected {
            assert!(err.contains(e), "case {i}: expected {e:?} in {err}");
        }
        assert!(!err.contains("panicked"), "case {i}: {err}");
    }
    let after = leadq(&db, &["rules", "export"]);
    assert_eq!(
        after.stdout, before.stdout,
        "a refused file changed the rules"
    );
}

#[test]
fn exported_cells_that_a_spreadsheet_would_run_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let csv = dir.path().join("formulas.csv");
    let mut w = csv::Writer::from_path(&csv).unwrap();
    w.write_record(["name", "email", "title", "company", "note"])
        .unwrap();
    let cells = [
        "=HYPERLINK(\"http://x\")",
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1)",
        "\tTab",
        "\rCR",
        "'=already",
        "plain",
    ];
    for (i, cell) in cells.iter().enumerate() {
        w.write_record([*cell, &format!("p{i}@example.com"), cell, cell, cell])
            .unwrap();
    }
    w.flush().unwrap();
    let out = leadq(&db, &["import", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Import trims leading tabs and CRs; a lead stored by another path can still carry them.
    {
        let store = leadq::store::Store::open(&db).unwrap();
        store
            .put_lead(&leadq::core::model::Lead {
                id: 100,
                name: "\rCR".into(),
                email: "tab@example.com".into(),
                title: "\tTab".into(),
                account: "\r=1".into(),
                stage: "New".into(),
                ..Default::default()
            })
            .unwrap();
        store.flush().unwrap();
    }
    let export = leadq(&db, &["export"]);
    assert!(export.status.success(), "{}", stderr(&export));
    let mut r = csv::Reader::from_reader(&export.stdout[..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (name, title, account) = (col("name"), col("title"), col("account"));
    let mut seen = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        for c in [name, title, account] {
            let cell = &rec[c];
            let first = cell.chars().next().unwrap_or(' ');
            assert!(
                !matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r'),
                "unescaped formula cell {cell:?}"
            );
            if cell.starts_with('\'') {
                seen += 1;
            }
        }
    }
    // 4 formula rows and the pre-quoted one, 3 columns each, plus the tab/CR lead's 3 cells.
    assert_eq!(seen, 3 * 5 + 3, "escaped cells");
    // Re-importing the export gives the original text back (the escape is undone once).
    let again = dir.path().join("again.db");
    let file = dir.path().join("export.csv");
    std::fs::write(&file, &export.stdout).unwrap();
    let out = leadq(&again, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = leadq(&again, &["show", "p0@example.com", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(v["title"], "=HYPERLINK(\"http://x\")");
}

#[test]
fn non_utf8_rows_are_rejected_with_their_line_and_huge_cells_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let csv = dir.path().join("mixed.csv");
    let mut bytes = b"name,email\nAna,ana@example.com\nJos\xe9,jose@example.com\n".to_vec();
    bytes.extend(b"Big,big@example.com,");
    bytes.truncate(bytes.len() - 1);
    bytes.extend(b"\nHuge,\"");
    bytes.extend(std::iter::repeat_n(b'x', 3 << 20));
    bytes.extend(b"\"\nBo,bo@example.com\n");
    std::fs::write(&csv, &bytes).unwrap();
    let out = leadq(&db, &["import", csv.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}{text}", stderr(&out));
    assert!(
        text.contains("line 3: ") && text.contains("not valid UTF-8"),
        "{text}"
    );
    assert!(
        text.contains("line 5: "),
        "the huge cell is rejected by line: {text}"
    );
    assert!(text.contains("2 rejected"), "{text}");
    // A header that is not UTF-8 refuses the file, naming it.
    let bad_header = dir.path().join("latin1.csv");
    std::fs::write(&bad_header, b"nom,pr\xe9nom\nA,B\n").unwrap();
    let out = leadq(&db, &["import", bad_header.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("latin1.csv") && stderr(&out).contains("UTF-8"));
}

#[test]
fn the_queue_as_csv_escapes_cells_a_spreadsheet_would_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let csv = dir.path().join("formulas.csv");
    std::fs::write(
        &csv,
        "Name,Email,Company\n=HYPERLINK(\"x\"),a@b.co,@evil\nBob,b@b.co,+Acme\n",
    )
    .unwrap();
    assert!(
        leadq(&db, &["import", csv.to_str().unwrap()])
            .status
            .success()
    );
    let out = leadq(&db, &["list", "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let cells: Vec<String> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .collect();
    for risky in ["=HYPERLINK(\"x\")", "@evil", "+Acme"] {
        assert!(
            cells.contains(&format!("'{risky}")),
            "{risky} not escaped in {text}"
        );
        assert!(!cells.contains(&risky.to_string()), "{risky} printed raw");
    }
}
