//! Logging an outcome through the real binary learns, the history shows it, a revert and
//! `leadq undo` take it back exactly.

use std::process::Command;

use leadq::core::learn::Priors;
use leadq::core::model::Lead;
use leadq::store::Store;

fn leadq(db: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_leadq"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn log_learns_history_shows_it_and_undo_restores_the_weights_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let (priors, learned_before) = {
        let store = Store::open(&db).unwrap();
        for id in 1..=2 {
            store
                .put_lead(&Lead {
                    id,
                    name: format!("Lead {id}"),
                    email: format!("lead{id}@example.com"),
                    title: "VP Sales".into(),
                    stage: "New".into(),
                    ..Lead::default()
                })
                .unwrap();
        }
        let priors = Priors::of_rule_set(store.scorecard().unwrap().rule_set());
        let before = store.learned_weights(&priors).unwrap();
        (priors, before)
    };
    let (code, out, err) = leadq(&db, &["log", "1", "won"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("learned (predicted"), "{out}");
    let (code, _, err) = leadq(&db, &["log", "2", "lost"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = leadq(&db, &["rules", "history", "base"]);
    assert_eq!(code, 0);
    assert_eq!(out.matches("outcome #").count(), 2, "{out}");
    // Revert the bias to its value after the first step, then take the revert back.
    let first = out
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let (code, out, err) = leadq(&db, &["rules", "revert", "base", "--to", &first]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("--undo"), "{out}");
    let (code, _, err) = leadq(&db, &["rules", "revert", "base", "--undo", "3"]);
    assert_eq!(code, 0, "{err}");
    // Undo the last outcome, then the first by number.
    let (code, out, err) = leadq(&db, &["undo"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("undid #2") && out.contains("reversed"),
        "{out}"
    );
    let (code, _, err) = leadq(&db, &["undo", "1"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = leadq(&db, &["undo", "1"]);
    assert_eq!(code, 2, "undoing twice is bad input: {err}");
    let store = Store::open(&db).unwrap();
    assert_eq!(store.learned_weights(&priors).unwrap(), learned_before);
    assert_eq!(store.learner_state().unwrap().labelled, 0);
    assert_eq!(store.lead(1).unwrap().unwrap().stage, "New");
}

/// `leadq rules list` shows, per rule, the prior, the learned points (once the rule has the
/// minimum evidence), the evidence count and the lift — from a book with learned history.
#[test]
fn rules_list_shows_prior_learned_evidence_and_lift() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let (code, _, err) = leadq(&db, &["demo", "--leads", "400", "--seed", "5"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = leadq(&db, &["rules", "list", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let rules: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rules = rules.as_array().unwrap();
    assert!(!rules.is_empty());
    for r in rules {
        assert!(r["prior_points"].is_number(), "{r}");
        assert!(r["evidence"].is_u64(), "{r}");
        // Learned points only with evidence behind them.
        if r["learned_points"].is_number() {
            assert!(r["evidence"].as_u64().unwrap() > 0, "{r}");
        }
        assert!(
            r["lift"].is_null() || r["lift"].as_f64().unwrap() >= 0.0,
            "{r}"
        );
    }
    let learned = rules
        .iter()
        .filter(|r| r["learned_points"].is_number())
        .count();
    assert!(learned >= 3, "only {learned} rules show learned points");
    assert!(rules.iter().any(|r| r["lift"].is_number()));
    let (code, text, _) = leadq(&db, &["rules", "list"]);
    assert_eq!(code, 0);
    let header = text.lines().nth(1).unwrap();
    for column in ["prior", "learned", "evidence", "lift", "matches"] {
        assert!(header.contains(column), "{header}");
    }
}
