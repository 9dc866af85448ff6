//! The database's safety rules as a user meets them through the real binary: one clear line
//! when another process holds the book (for every command that opens it), damaged and newer
//! databases refused without a byte changed, backup and restore, and owner-only files.

mod common;
use common::leadq;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use leadq::core::model::Lead;
use leadq::store::Store;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A failure as the user must see it: exit code 1 and exactly one line on stderr.
fn assert_one_line_failure(o: &Output, what: &str) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{what}: {err}{}", stdout(o));
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
    assert!(err.starts_with("leadq: "), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    err
}

fn book(dir: &Path, leads: u64) -> PathBuf {
    let db = dir.join("book.db");
    let store = Store::open(&db).unwrap();
    for id in 1..=leads {
        store
            .put_lead(&Lead {
                id,
                name: format!("Lead {id}"),
                email: format!("lead{id}@example.com"),
                stage: "New".into(),
                ..Lead::default()
            })
            .unwrap();
    }
    store.flush().unwrap();
    db
}

/// Fails naming each file whose bytes differ (sizes only: the files are large).
fn assert_same_files(
    after: &BTreeMap<PathBuf, Vec<u8>>,
    before: &BTreeMap<PathBuf, Vec<u8>>,
    what: &str,
) {
    let differ: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|p| match (before.get(*p), after.get(*p)) {
            (Some(b), Some(a)) => !a.starts_with(b),
            (b, a) => b != a,
        })
        .map(|p| {
            let len = |m: &BTreeMap<PathBuf, Vec<u8>>| m.get(p).map(Vec::len);
            format!(
                "{} ({:?} → {:?} bytes)",
                p.display(),
                len(before),
                len(after)
            )
        })
        .collect();
    assert!(differ.is_empty(), "{what} changed files: {differ:?}");
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(snapshot(&path));
        } else {
            out.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    out
}

#[test]
fn every_command_that_opens_the_book_refuses_a_held_one_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path(), 3);
    let csv = dir.path().join("more.csv");
    std::fs::write(&csv, "name,email\nBo Lind,bo@example.com\n").unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "base_points = 0\n").unwrap();
    let backup_file = dir.path().join("book.lqb");
    let (csv, rules, backup_file) = (
        csv.to_str().unwrap(),
        rules.to_str().unwrap(),
        backup_file.to_str().unwrap(),
    );
    let held = Store::open(&db).unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["show", "1"],
        vec!["log", "1", "no_answer"],
        vec!["list"],
        vec!["explain", "1"],
        vec!["import", csv],
        vec!["import", csv, "--dry-run"],
        vec!["export"],
        vec!["demo", "--leads", "5"],
        vec!["rules", "list"],
        vec!["rules", "export"],
        vec!["rules", "import", rules],
        vec!["backup", backup_file],
    ];
    for args in &commands {
        let out = leadq(&db, args);
        let err = assert_one_line_failure(&out, &args.join(" "));
        assert!(
            err.contains("is in use by another leadq process") && err.contains("book.db"),
            "{args:?}: {err}"
        );
    }
    assert!(
        !Path::new(backup_file).exists(),
        "a refused backup left a file"
    );
    drop(held);
    // Once released, the same commands work (the held handle changed nothing).
    let out = leadq(&db, &["list", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn restore_refuses_while_the_book_is_open_and_moves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path(), 2);
    let file = dir.path().join("book.lqb");
    let out = leadq(&db, &["backup", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let held = Store::open(&db).unwrap();
    let out = leadq(&db, &["restore", file.to_str().unwrap()]);
    let err = assert_one_line_failure(&out, "restore");
    assert!(err.contains("in use by another leadq process"), "{err}");
    drop(held);
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !entries.iter().any(|n| n.contains("before-restore")),
        "{entries:?}"
    );
}

#[test]
fn a_truncated_book_is_refused_in_one_line_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path(), 200);
    let data = std::fs::read(db.join("db")).unwrap();
    std::fs::write(db.join("db"), &data[..data.len() / 3]).unwrap();
    for args in [
        vec!["show", "1"],
        vec!["list"],
        vec!["log", "1", "won"],
        vec!["demo", "--leads", "5"],
        vec!["export"],
    ] {
        let out = leadq(&db, &args);
        let err = assert_one_line_failure(&out, &args.join(" "));
        assert!(
            err.contains("is damaged") && err.contains("book.db") && err.contains("leadq restore"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn bit_flipped_books_are_refused_in_one_line_or_read_whole_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let clean = book(dir.path(), 200);
    let data = std::fs::read(clean.join("db")).unwrap();
    let mut refused = 0;
    for i in 1..=8 {
        let copy = dir.path().join(format!("flip{i}.db"));
        std::fs::create_dir_all(&copy).unwrap();
        for f in ["conf", "leadq.generation"] {
            std::fs::copy(clean.join(f), copy.join(f)).unwrap();
        }
        let mut bytes = data.clone();
        let at = bytes.len() * i / 9;
        bytes[at] ^= 0x5a;
        std::fs::write(copy.join("db"), &bytes).unwrap();
        let before = snapshot(&copy);
        let out = leadq(&copy, &["list", "--top", "1000", "--format", "json"]);
        if out.status.success() {
            // Not detected: then it must be harmless — every lead still there.
            let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(rows.len(), 200, "flip {i} silently lost leads");
        } else {
            let err = assert_one_line_failure(&out, &format!("flip {i}"));
            assert!(err.contains("leadq restore"), "flip {i}: {err}");
            assert_same_files(&snapshot(&copy), &before, &format!("refused flip {i}"));
            refused += 1;
        }
    }
    assert!(refused > 0, "no flip was detected at all");
}

/// Marks the book as written by a future leadq, as a newer build would.
fn stamp_newer_schema(db: &Path) {
    let raw = (0..40)
        .find_map(|_| {
            sled::open(db).ok().or_else(|| {
                std::thread::sleep(std::time::Duration::from_millis(25));
                None
            })
        })
        .expect("sled opens the book");
    let next = leadq::store::SCHEMA_VERSION + 1;
    raw.open_tree("meta")
        .unwrap()
        .insert(b"schema_version", &next.to_be_bytes())
        .unwrap();
    raw.flush().unwrap();
}

#[test]
fn a_book_from_a_newer_leadq_is_refused_clearly_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path(), 2);
    stamp_newer_schema(&db);
    // sled rewrites its snapshot (snap.*, an index it rebuilds from the log) on every open;
    // the log and leadq's own files must stay as they were.
    let data_files = |db: &Path| -> BTreeMap<PathBuf, Vec<u8>> {
        snapshot(db)
            .into_iter()
            .filter(|(p, _)| {
                !p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("snap.")
            })
            .collect()
    };
    let before = data_files(&db);
    for args in [
        vec!["show", "1"],
        vec!["import", "missing.csv"],
        vec!["list"],
    ] {
        let out = leadq(&db, &args);
        if args[0] == "import" {
            // The CSV is checked first: a missing file is bad input, not a database error.
            assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
            continue;
        }
        let err = assert_one_line_failure(&out, &args.join(" "));
        assert!(
            err.contains("newer leadq") && err.contains("upgrade leadq"),
            "{err}"
        );
    }
    assert_same_files(&data_files(&db), &before, "a refused newer book");
}

#[test]
fn backup_change_restore_brings_the_book_back_and_keeps_the_replaced_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path(), 3);
    let file = dir.path().join("book.lqb");
    let file_arg = file.to_str().unwrap();
    let out = leadq(&db, &["backup", file_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("backed up"), "{}", stdout(&out));
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600,
        "a backup holds the whole book: owner-only"
    );

    let out = leadq(&db, &["log", "1", "won", "--note", "after the backup"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = |db: &Path| -> serde_json::Value {
        let out = leadq(db, &["show", "1", "--format", "json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(shown(&db)["stage"], "Won");

    let out = leadq(&db, &["restore", file_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = shown(&db);
    assert_eq!(v["stage"], "New");
    assert_eq!(v["outcomes"].as_array().unwrap().len(), 0);
    let list = leadq(&db, &["list", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows.len(), 3);
    // The replaced book is kept, with the outcome logged after the backup.
    let kept = stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("the database it replaced is kept at "))
        .map(PathBuf::from)
        .expect("restore says where the old book went");
    assert_eq!(shown(&kept)["stage"], "Won");
}

#[test]
fn restore_rescues_a_damaged_book() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path(), 200);
    let file = dir.path().join("book.lqb");
    let out = leadq(&db, &["backup", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let data = std::fs::read(db.join("db")).unwrap();
    std::fs::write(db.join("db"), &data[..data.len() / 10]).unwrap();
    let damaged = snapshot(&db);
    let refused = leadq(&db, &["list"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    assert!(stderr(&refused).contains("leadq restore"));
    // The error says to restore; restoring must then work, keeping the damaged files aside.
    let out = leadq(&db, &["restore", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stderr(&out), stdout(&out));
    let list = leadq(&db, &["list", "--top", "1000", "--format", "json"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows.len(), 200);
    let kept = stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("the database it replaced is kept at "))
        .map(PathBuf::from)
        .expect("the damaged book is kept");
    let kept_files: BTreeMap<_, _> = snapshot(&kept)
        .into_iter()
        .map(|(p, b)| (p.strip_prefix(&kept).unwrap().to_path_buf(), b))
        .collect();
    let damaged: BTreeMap<_, _> = damaged
        .into_iter()
        .map(|(p, b)| (p.strip_prefix(&db).unwrap().to_path_buf(), b))
        .collect();
    // The refused `list` changed nothing: the kept book is byte for byte the damaged one.
    assert_eq!(kept_files, damaged);
}

#[test]
fn a_damaged_backup_is_refused_and_the_book_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path(), 5);
    let file = dir.path().join("book.lqb");
    assert!(
        leadq(&db, &["backup", file.to_str().unwrap()])
            .status
            .success()
    );
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    let out = leadq(&db, &["restore", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim_end().lines().count(),
        1,
        "{}",
        stderr(&out)
    );
    let list = leadq(&db, &["list", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows.len(), 5);
}

#[test]
fn the_book_its_directory_backups_and_reject_files_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/book.db");
    let csv = dir.path().join("leads.csv");
    std::fs::write(
        &csv,
        "name,email,employees\nAna,ana@example.com,12\nBo,not-an-email,many\n",
    )
    .unwrap();
    let out = leadq(&db, &["import", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&db), 0o700);
    assert_eq!(mode(&db.join("db")), 0o600);
    let rejects = dir.path().join("leads.rejects.csv");
    assert!(rejects.exists(), "{}", stdout(&out));
    assert_eq!(mode(&rejects), 0o600, "the reject file holds lead data");
    let backup_file = dir.path().join("book.lqb");
    assert!(
        leadq(&db, &["backup", backup_file.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(mode(&backup_file), 0o600);
}

/// sled 0.34 recovers a damaged log when it opens it — it rewrites the segment after the last
/// good record and writes a new snapshot — before leadq can see the damage. A book not sealed
/// by a clean close is therefore checked on a copy first, and the real files stay as they were.
#[test]
fn refusing_a_damaged_book_leaves_its_bytes_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path(), 200);
    let data = std::fs::read(db.join("db")).unwrap();
    std::fs::write(db.join("db"), &data[..data.len() / 3]).unwrap();
    let before = snapshot(&db);
    let out = leadq(&db, &["show", "1"]);
    assert_one_line_failure(&out, "show");
    assert_same_files(&snapshot(&db), &before, "a refused damaged book");
}
