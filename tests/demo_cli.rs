//! `leadq demo` through the real binary: it fills an empty database that `leadq show` can
//! read, and refuses a database that already holds leads.

mod common;
use common::leadq;

#[test]
fn demo_fills_an_empty_database_and_refuses_a_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let out = leadq(&db, &["demo", "--leads", "2000"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2000 leads"), "{stdout}");

    let out = leadq(&db, &["show", "1", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lead: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(lead["id"], 1);
    assert!(lead["email"].as_str().unwrap().contains('@'));
    assert!(!lead["owner"].as_str().unwrap().is_empty());
    assert!(lead["outcomes"].is_array());

    let out = leadq(&db, &["demo"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("already holds 2000 leads") && stderr.contains("--db"),
        "{stderr}"
    );
    // Nothing was added.
    let out = leadq(&db, &["show", "2001"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn zero_leads_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = leadq(&dir.path().join("db"), &["demo", "--leads", "0"]);
    assert_eq!(out.status.code(), Some(2));
}
