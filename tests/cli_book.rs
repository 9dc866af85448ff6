//! The command line as a script sees it: exit codes, one-line errors, JSON shapes of `show`
//! and `log`, and the one-process-per-database rule.

mod common;
use common::leadq;

use std::process::{Command, Output};

use leadq::core::model::Lead;
use leadq::store::Store;

fn book() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let store = Store::open(&db).unwrap();
    store
        .put_lead(&Lead {
            id: 1,
            name: "Ana Ruiz".into(),
            email: "ana@northwind.io".into(),
            title: "VP Sales".into(),
            account: "Northwind".into(),
            stage: "New".into(),
            ..Lead::default()
        })
        .unwrap();
    store.flush().unwrap();
    (dir, db)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_second_process_gets_one_clear_line_and_exit_code_1() {
    let (_dir, db) = book();
    let _held = Store::open(&db).unwrap();
    let out = leadq(&db, &["show", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("is in use by another leadq process"), "{err}");
}

#[test]
fn unknown_leads_and_outcomes_are_bad_input() {
    let (_dir, db) = book();
    let out = leadq(&db, &["show", "nobody@example.com"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("lead nobody@example.com not found"));
    let out = leadq(&db, &["log", "1", "maybe_later"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown outcome"), "{}", stderr(&out));
    let out = leadq(&db, &["log", "1", "won", "--follow-up", "someday"]);
    assert_eq!(out.status.code(), Some(2));
    let out = leadq(&db, &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_logged_outcome_shows_up_in_show_json() {
    let (_dir, db) = book();
    let out = leadq(
        &db,
        &[
            "log",
            "ana@northwind.io",
            "meeting_booked",
            "--note",
            "demo Tue",
            "--follow-up",
            "2d",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = leadq(&db, &["show", "1", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["id"], 1);
    assert_eq!(v["name"], "Ana Ruiz");
    assert_eq!(v["stage"], "Qualified");
    let outcomes = v["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0]["outcome"], "meeting_booked");
    assert!(outcomes[0]["id"].is_u64() && outcomes[0]["at"].is_string());
}

#[test]
fn output_cut_short_by_the_reader_ends_quietly() {
    use std::io::Read;
    let (_dir, db) = book();
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadq"))
        .args(["--db"])
        .arg(&db)
        .args(["show", "1"])
        .env_remove("LEADQ_DB")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before anything is read
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        status.success() || status.code().is_none(),
        "{status:?} {err}"
    );
}
