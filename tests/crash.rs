//! Crash safety: `leadq log` killed with SIGKILL at random moments never loses an outcome it
//! reported done, never records one twice, and never leaves the database unopenable.
//!
//! `LEADQ_CRASH_ITERATIONS=1000 cargo test --release --test crash` runs it longer by hand.

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use leadq::core::model::Lead;
use leadq::core::rng::SeededRng;
use leadq::store::Store;

#[test]
fn killed_loggers_lose_nothing_they_confirmed() {
    let iterations: u64 = std::env::var("LEADQ_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    {
        let store = Store::open(&db).unwrap();
        for id in 1..=5 {
            let lead = Lead {
                id,
                name: format!("Lead {id}"),
                stage: "New".into(),
                ..Lead::default()
            };
            store.put_lead(&lead).unwrap();
        }
        store.flush().unwrap();
    }
    let mut rng = SeededRng::new(11);
    // note text → how many times the process said it was logged (0 or 1)
    let mut confirmed: BTreeMap<String, u32> = BTreeMap::new();
    let mut attempted = Vec::new();
    let mut killed = 0;
    for i in 0..iterations {
        let note = format!("attempt-{i}");
        let lead = (1 + rng.below(5)).to_string();
        let outcome = *rng.pick(&["no_answer", "voicemail", "meeting_booked", "not_interested"]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_leadq"))
            .args(["--db"])
            .arg(&db)
            .args(["log", &lead, outcome, "--note", &note])
            .env_remove("LEADQ_DB")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Kill somewhere between start-up and well after a normal commit.
        std::thread::sleep(Duration::from_micros(rng.below(40_000)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        let status = child.wait().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        if status.success() {
            assert!(
                out.contains("logged #"),
                "success without confirmation: {out} {err}"
            );
        } else {
            assert!(status.code().is_none(), "logger failed on its own: {err}");
        }
        if out.contains("logged #") {
            *confirmed.entry(note.clone()).or_default() += 1;
        }
        attempted.push(note);
    }
    let store = Store::open(&db).expect("database opens after every kill");
    let mut stored: BTreeMap<String, u32> = BTreeMap::new();
    for rec in store.outcomes() {
        *stored.entry(rec.unwrap().note).or_default() += 1;
    }
    for note in confirmed.keys() {
        assert_eq!(
            stored.get(note),
            Some(&1),
            "confirmed outcome {note} not stored exactly once"
        );
    }
    for (note, n) in &stored {
        assert_eq!(*n, 1, "outcome {note} stored {n} times");
        assert!(attempted.contains(note));
    }
    // Every stored outcome left its lead consistent: its timeline has the outcome entry.
    for rec in store.outcomes() {
        let rec = rec.unwrap();
        let timeline = store.activities_of(rec.lead).unwrap();
        assert!(
            timeline
                .iter()
                .any(|a| a.at == rec.at && a.detail == rec.note),
            "outcome {} without its activity",
            rec.seq
        );
    }
    eprintln!(
        "crash harness: {iterations} runs, {killed} killed mid-run, {} confirmed, {} stored",
        confirmed.len(),
        stored.len()
    );
    assert!(
        killed > 0 && !confirmed.is_empty(),
        "the harness must both kill and let some commits finish"
    );
}
