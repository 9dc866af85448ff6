//! Crash safety: `leadq log` killed with SIGKILL at random moments never loses an outcome it
//! reported done, never records one twice, and never leaves the database unopenable; a
//! killed `leadq import` run again doubles no lead.
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
    // How long one undisturbed `leadq log` takes on this machine right now (it varies a lot
    // with load); kills land anywhere from start-up to well after a normal commit.
    let started = std::time::Instant::now();
    let warm_up = Command::new(env!("CARGO_BIN_EXE_leadq"))
        .arg("--db")
        .arg(&db)
        // A labelled outcome, so that the learning replay below always has one to check
        // however the kills fall (on a loaded machine most can land before the commit).
        .args(["log", "1", "meeting_booked", "--note", "warm-up"])
        .env_remove("LEADQ_DB")
        .output()
        .unwrap();
    assert!(
        warm_up.status.success(),
        "{}",
        String::from_utf8_lossy(&warm_up.stderr)
    );
    confirmed.insert("warm-up".into(), 1);
    attempted.push("warm-up".to_string());
    let window = (started.elapsed().as_micros() as u64 * 2).max(40_000);
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
        std::thread::sleep(Duration::from_micros(rng.below(window)));
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
        if !timeline
            .iter()
            .any(|a| a.at == rec.at && a.detail == rec.note)
        {
            let kept = dir.keep();
            panic!(
                "outcome {} without its activity: {rec:?} confirmed={:?} timeline={timeline:#?} db kept at {}",
                rec.seq,
                confirmed.get(&rec.note),
                kept.display()
            );
        }
    }
    // `leadq log` learns: the stored weights equal a replay of the stored outcomes, in order,
    // from the rules' priors, on the activations each outcome recorded.
    let card = store.scorecard().unwrap();
    let priors = leadq::core::learn::Priors::of_rule_set(card.rule_set());
    let cfg = store.learn_config().unwrap();
    let catalog = store.outcome_catalog().unwrap();
    let mut weights = priors.weights();
    let mut state = leadq::core::learn::LearnerState::default();
    let mut replayed = 0;
    for rec in store.outcomes().map(|r| r.unwrap()).filter(|r| !r.undone) {
        let kind = catalog.find(&rec.outcome).unwrap();
        if let Some(target) = kind.target() {
            leadq::core::learn::learn(
                &mut weights,
                &mut state,
                &priors,
                &cfg,
                &rec.snapshot,
                target,
                kind.strength,
            );
            replayed += 1;
        }
    }
    let stored_weights = store.learned_weights(&priors).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + a.abs());
    assert!(
        close(stored_weights.bias, weights.bias),
        "bias differs from the replay"
    );
    for rule in priors.rules.keys() {
        assert!(
            close(stored_weights.get(*rule), weights.get(*rule)),
            "rule {rule}: stored {} vs replay {}",
            stored_weights.get(*rule),
            weights.get(*rule)
        );
    }
    assert!(replayed > 0, "no labelled outcome was stored");
    eprintln!(
        "crash harness: {iterations} runs, {killed} killed mid-run, {} confirmed, {} stored",
        confirmed.len(),
        stored.len()
    );
    assert!(
        killed > 0 && confirmed.len() > 1,
        "the harness must both kill and let some commits finish"
    );
}

/// The learning the harness below uses: three rules with admin points.
fn crash_priors() -> leadq::core::learn::Priors {
    leadq::core::learn::Priors::from_points(
        -20.0,
        [(1, 10.0, false), (2, 5.0, false), (3, -5.0, false)],
    )
}

/// A lead's rule activations when it is worked (fixed per lead, so a replay can recompute it).
fn crash_snapshot(lead: u64) -> Vec<(leadq::core::outcome::RuleId, f32)> {
    vec![(1, 1.0), (2, (lead % 2) as f32), (3, lead as f32 / 5.0)]
}

/// Not a test on its own: the child process of `killed_learning_writers_*`, which logs
/// outcomes with learning (and now and then undoes one) until it is killed. `leadq log` does
/// not apply learning yet, so the store's learning-aware writes are driven directly.
#[test]
fn learning_worker() {
    let Ok(db) = std::env::var("LEADQ_CRASH_WORKER") else {
        return;
    };
    use leadq::store::worklog::{LogRequest, log_outcome_learned, undo_outcome_learned};
    use std::io::Write;
    let store = Store::open(std::path::Path::new(&db)).unwrap();
    let seed: u64 = std::env::var("LEADQ_CRASH_SEED").unwrap().parse().unwrap();
    let mut rng = SeededRng::new(seed);
    let priors = crash_priors();
    let mut out = std::io::stdout().lock();
    let mut now = 1_795_651_200 + seed as i64 * 1000;
    loop {
        now += 1;
        if rng.below(5) == 0 {
            let last = store
                .outcomes()
                .rev()
                .map(|r| r.unwrap())
                .find(|r| !r.undone);
            if let Some(rec) = last {
                undo_outcome_learned(&store, rec.seq, &priors).unwrap();
                writeln!(out, "undone {}", rec.seq).unwrap();
                out.flush().unwrap();
                continue;
            }
        }
        let lead = 1 + rng.below(5);
        let outcome = *rng.pick(&[
            "meeting_booked",
            "not_interested",
            "connected_interested",
            "no_answer",
        ]);
        let req = LogRequest {
            outcome: outcome.to_string(),
            note: String::new(),
            value: None,
            follow_up: None,
        };
        let rec =
            log_outcome_learned(&store, lead, &req, crash_snapshot(lead), &priors, now).unwrap();
        writeln!(out, "logged {}", rec.seq).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn killed_learning_writers_leave_weights_equal_to_a_replay_of_the_stored_outcomes() {
    use leadq::core::learn::{LearnerState, learn};
    let iterations: u64 = std::env::var("LEADQ_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    {
        let store = Store::open(&db).unwrap();
        for id in 1..=5 {
            store
                .put_lead(&Lead {
                    id,
                    name: format!("Lead {id}"),
                    stage: "New".into(),
                    ..Lead::default()
                })
                .unwrap();
        }
        store.flush().unwrap();
    }
    let mut rng = SeededRng::new(29);
    let mut logged = Vec::new();
    let mut undone = Vec::new();
    for i in 0..iterations {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "learning_worker",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("LEADQ_CRASH_WORKER", &db)
            .env("LEADQ_CRASH_SEED", i.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(30 + rng.below(150)));
        child.kill().unwrap();
        child.wait().unwrap();
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
        assert!(!err.contains("panicked"), "worker failed on its own: {err}");
        for line in out.lines() {
            if let Some(seq) = line.strip_prefix("logged ") {
                logged.push(seq.parse::<u64>().unwrap());
            } else if let Some(seq) = line.strip_prefix("undone ") {
                undone.push(seq.parse::<u64>().unwrap());
            }
        }
    }
    let store = Store::open(&db).expect("database opens after every kill");
    let records: Vec<_> = store.outcomes().map(|r| r.unwrap()).collect();
    for seq in &logged {
        assert!(
            records.iter().any(|r| r.seq == *seq),
            "confirmed outcome {seq} lost"
        );
    }
    for seq in &undone {
        assert!(
            records.iter().any(|r| r.seq == *seq && r.undone),
            "confirmed undo of {seq} lost"
        );
    }
    // Replay the stored, non-undone outcomes in order from the priors.
    let priors = crash_priors();
    let cfg = store.learn_config().unwrap();
    let catalog = store.outcome_catalog().unwrap();
    let mut weights = priors.weights();
    let mut state = LearnerState::default();
    let mut replayed = 0;
    for rec in records.iter().filter(|r| !r.undone) {
        let kind = catalog.find(&rec.outcome).unwrap();
        if let Some(target) = kind.target() {
            learn(
                &mut weights,
                &mut state,
                &priors,
                &cfg,
                &rec.snapshot,
                target,
                kind.strength,
            );
            replayed += 1;
        }
    }
    let stored = store.learned_weights(&priors).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + a.abs());
    assert!(
        close(stored.bias, weights.bias),
        "bias {} vs replay {}",
        stored.bias,
        weights.bias
    );
    for rule in [1, 2, 3] {
        assert!(
            close(stored.get(rule), weights.get(rule)),
            "rule {rule}: stored {} vs replay {}",
            stored.get(rule),
            weights.get(rule)
        );
    }
    eprintln!(
        "learning crash harness: {iterations} runs, {} confirmed logs, {} confirmed undos, {} stored ({} replayed with a label)",
        logged.len(),
        undone.len(),
        records.len(),
        replayed
    );
    assert!(
        !logged.is_empty(),
        "the harness must let some writes finish"
    );
}

/// `leadq --db DB import CSV`.
fn import_command(db: &std::path::Path, csv: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadq"));
    cmd.arg("--db")
        .arg(db)
        .arg("import")
        .arg(csv)
        .env_remove("LEADQ_DB")
        .env_remove("LEADQ_IMPORT_KEY_RUN");
    cmd
}

/// Runs `leadq --db DB import CSV` to the end and returns what it printed.
fn import_to_the_end(db: &std::path::Path, csv: &std::path::Path) -> String {
    let out = import_command(db, csv).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "import failed: {err}");
    String::from_utf8_lossy(&out.stdout).into_owned() + &err
}

/// An import killed part-way (SIGKILL: a crash, a closed terminal) and run again merges
/// every row it had written instead of doubling it: no lead in the book is left that its
/// email cannot find, whatever moment the kill hit. Half the kills hit an import whose email
/// keys go in a batch at a time (`LEADQ_IMPORT_KEY_RUN`), so that keys are written part-way
/// (and can be ahead of their leads), not only at the end of this small file.
#[test]
fn a_killed_import_run_again_doubles_no_lead() {
    const ROWS: u64 = 40_000; // five batches of the importer
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("leads.csv");
    let mut rng = SeededRng::new(7);
    let mut text = String::from("Name,Email,Company,Title\n");
    for i in 0..ROWS {
        // Emails in no order, so that a batch's keys land all over the email index.
        let tag = rng.below(1_000_000);
        text.push_str(&format!(
            "Person {i},p{tag}.n{i}@example{}.com,Company {},Analyst\n",
            i % 97,
            i % 500
        ));
    }
    std::fs::write(&csv, text).unwrap();
    // How long one undisturbed import takes here and now (it varies a lot with load).
    let started = std::time::Instant::now();
    import_to_the_end(&dir.path().join("timing.db"), &csv);
    let whole = started.elapsed().as_micros() as u64;

    let mut killed = 0;
    for (i, key_run) in ["", "8192", "", "8192"].into_iter().enumerate() {
        let db = dir.path().join(format!("book-{i}.db"));
        let mut child = import_command(&db, &csv)
            .env("LEADQ_IMPORT_KEY_RUN", key_run)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Somewhere in the middle of the writing, past the scan of the file.
        std::thread::sleep(Duration::from_micros(whole / 4 + rng.below(whole / 2)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
        let report = import_to_the_end(&db, &csv);
        let store = Store::open(&db).expect("database opens after the kill");
        assert_eq!(
            store.lead_count() as u64,
            ROWS,
            "run {i}: leads doubled after a killed import; the re-run said: {report}"
        );
    }
    assert!(killed > 0, "no import was still running when killed");
}
