//! The admin's commands through the real binary: rule versions listed and any earlier one
//! restored, and the outcome catalogue edited so that learning uses the new label from then on
//! without rewriting what earlier outcomes taught.

mod common;

use std::path::Path;

use common::leadq;
use leadq::core::learn::Priors;
use leadq::core::model::Lead;
use leadq::store::Store;
use serde_json::Value;

fn run(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = leadq(db, args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(db: &Path, args: &[&str]) -> Value {
    let (code, out, err) = run(db, args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
}

fn rule<'a>(rules: &'a Value, name: &str) -> &'a Value {
    rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no rule {name}: {rules}"))
}

fn ids(list: &Value) -> Vec<u64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect()
}

#[test]
fn versions_list_and_any_earlier_version_restores_as_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    assert_eq!(run(&db, &["demo", "--leads", "300"]).0, 0);
    let before_rules = json(&db, &["rules", "list", "--format", "json"]);
    let before_top = ids(&json(&db, &["list", "--top", "50", "--format", "json"]));

    // Version 2: decision makers are worth far more.
    let (_, text, _) = run(&db, &["rules", "export"]);
    let edited = text.replacen("points = 18\n", "points = 80\n", 1);
    assert_ne!(edited, text, "the demo rules have a rule with 18 points");
    let file = dir.path().join("v2.toml");
    std::fs::write(&file, edited).unwrap();
    assert_eq!(run(&db, &["rules", "import", file.to_str().unwrap()]).0, 0);
    let v2_top = ids(&json(&db, &["list", "--top", "50", "--format", "json"]));
    assert_ne!(v2_top, before_top, "publishing re-ranks the queue");

    let versions = json(&db, &["rules", "versions", "--format", "json"]);
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(versions[0]["current"], false);
    assert_eq!(versions[1]["current"], true);
    assert_eq!(versions[1]["note"], "import v2.toml");
    assert_eq!(versions[1]["rules"], before_rules.as_array().unwrap().len());
    let edited_rules = versions[1]["changes"]["edited"].as_array().unwrap();
    assert_eq!(edited_rules.len(), 1, "{:?}", versions[1]);
    let edited_name = edited_rules[0].as_str().unwrap().to_string();
    assert!(versions[1]["published_at"].as_str().unwrap().ends_with('Z'));
    let (code, text, _) = run(&db, &["rules", "versions"]);
    assert_eq!(code, 0);
    assert!(text.contains(&format!("edited {edited_name:?}")), "{text}");

    // Unknown, current and malformed versions are refused with exit 2 and change nothing.
    let (code, _, err) = run(&db, &["rules", "restore", "7"]);
    assert_eq!(code, 2);
    assert!(err.contains("version 7 not found"), "{err}");
    assert!(err.contains("leadq rules versions"), "{err}");
    assert_eq!(run(&db, &["rules", "restore", "2"]).0, 2);
    assert_eq!(run(&db, &["rules", "restore", "two"]).0, 2);

    let (code, out, err) = run(&db, &["rules", "restore", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("restored rules version 1 as version 3"),
        "{out}"
    );
    let versions = json(&db, &["rules", "versions", "--format", "json"]);
    let v3 = &versions.as_array().unwrap()[2];
    assert_eq!(
        (v3["version"].as_u64(), &v3["current"]),
        (Some(3), &Value::Bool(true))
    );
    assert_eq!(v3["note"], "restore version 1");

    // As on any publish: the restored rule is back at its prior; other rules keep what they
    // learned; the queue ranks with it.
    let after_rules = json(&db, &["rules", "list", "--format", "json"]);
    for r in before_rules.as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        let now = rule(&after_rules, name);
        assert_eq!(now["prior_points"], r["prior_points"], "{name}");
        if name == edited_name {
            assert_eq!(
                now["current_points"].as_f64(),
                r["prior_points"].as_f64(),
                "{name}"
            );
        } else {
            assert_eq!(now["current_points"], r["current_points"], "{name}");
        }
    }
    let restored_top = ids(&json(&db, &["list", "--top", "50", "--format", "json"]));
    assert_ne!(restored_top, v2_top, "restoring re-ranks the queue");
}

fn small_book(db: &Path) -> Priors {
    let store = Store::open(db).unwrap();
    for id in 1..=3 {
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
    store.flush().unwrap();
    Priors::of_rule_set(store.scorecard().unwrap().rule_set())
}

#[test]
fn an_edited_label_teaches_from_then_on_and_earlier_learning_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let priors = small_book(&db);

    // Voicemail teaches nothing by default.
    let (code, out, err) = run(&db, &["log", "1", "voicemail"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("learned"), "{out}");

    let (code, out, err) = run(
        &db,
        &[
            "outcomes",
            "set",
            "voicemail",
            "--label",
            "positive",
            "--strength",
            "0.5",
            "--stage",
            "qualified",
            "--follow-up",
            "1w",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("label positive"), "{out}");
    let list = json(&db, &["outcomes", "list", "--format", "json"]);
    let vm = list
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "voicemail")
        .unwrap();
    assert_eq!(vm["label"], "positive");
    assert_eq!(vm["strength"], 0.5);
    assert_eq!(vm["stage"], "Qualified");
    assert_eq!(vm["follow_up_days"], 7);

    let before = {
        let store = Store::open(&db).unwrap();
        store.learned_weights(&priors).unwrap()
    };
    let (code, out, err) = run(&db, &["log", "2", "voicemail"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("learned (predicted"), "{out}");
    assert!(out.contains("stage Qualified"), "{out}");

    // Changing the label again does not rewrite the step already taken: it keeps its target
    // and strength, and undoing it reverses exactly that step.
    assert_eq!(
        run(&db, &["outcomes", "set", "voicemail", "--label", "none"]).0,
        0
    );
    {
        let store = Store::open(&db).unwrap();
        let first = store.outcome(1).unwrap().unwrap();
        assert!(first.step.is_none(), "the earlier outcome is not relearned");
        let step = store.outcome(2).unwrap().unwrap().step.unwrap();
        assert_eq!((step.target, step.strength), (1.0, 0.5));
    }
    assert_eq!(run(&db, &["undo", "2"]).0, 0);
    let store = Store::open(&db).unwrap();
    assert_eq!(store.learned_weights(&priors).unwrap(), before);
}

#[test]
fn bad_outcome_edits_exit_2_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    small_book(&db);
    let original = json(&db, &["outcomes", "list", "--format", "json"]);
    for (args, says) in [
        (
            &["set", "maybe", "--label", "none"][..],
            "unknown outcome \"maybe\"",
        ),
        (
            &["set", "won", "--label", "great"],
            "unknown label \"great\"",
        ),
        (&["set", "won", "--strength", "1.5"], "out of range"),
        (&["set", "won", "--strength", "0"], "out of range"),
        (&["set", "won", "--strength", "-1"], "out of range"),
        (
            &["set", "won", "--stage", "Limbo"],
            "unknown stage \"Limbo\"",
        ),
        (&["set", "won", "--follow-up", "soon"], "follow-up \"soon\""),
        (&["set", "won"], "say what to change"),
    ] {
        let mut full = vec!["outcomes"];
        full.extend_from_slice(args);
        let (code, _, err) = run(&db, &full);
        assert_eq!(code, 2, "{full:?}: {err}");
        assert!(err.contains(says), "{full:?}: {err}");
    }
    assert_eq!(
        json(&db, &["outcomes", "list", "--format", "json"]),
        original
    );
    let (code, out, _) = run(&db, &["outcomes", "list"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("meeting_booked") && out.contains("positive"),
        "{out}"
    );
}
