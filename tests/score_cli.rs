//! `leadq list`, `leadq explain` and `leadq rules` run as a user runs them, on a fresh book.

use std::path::Path;
use std::process::{Command, Output};

use leadq::core::model::{Activity, ActivityKind, DAY, Lead, NextAction, Signal};
use leadq::store::Store;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn leadq(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leadq"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("LEADQ_DB")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "leadq failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// A small book: a hot VP with recent replies, a student on free-mail, a won CEO.
fn book(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("book.db");
    let store = Store::open(&db).unwrap();
    let t = now();
    let lead =
        |id, name: &str, email: &str, title: &str, employees, stage: &str, owner: &str| Lead {
            id,
            name: name.into(),
            email: email.into(),
            title: title.into(),
            account: "Acme".into(),
            employees: Some(employees),
            industry: "Software".into(),
            country: "US".into(),
            source: "Trade Show".into(),
            stage: stage.into(),
            owner: owner.into(),
            created: t - 60 * DAY,
            stage_entered: t - 5 * DAY,
            ..Lead::default()
        };
    let mut vp = lead(
        1,
        "Ana Ruiz",
        "ana@acme.io",
        "VP Sales",
        800,
        "Qualified",
        "maria",
    );
    vp.next_action = Some(NextAction {
        due: t - DAY,
        note: "call".into(),
    });
    let leads = vec![
        vp,
        lead(
            2,
            "Sam Student",
            "sam@gmail.com",
            "Student",
            5,
            "New",
            "maria",
        ),
        lead(
            3,
            "Carl Chief",
            "carl@bigco.com",
            "CEO",
            20000,
            "Won",
            "tom",
        ),
        lead(
            4,
            "Dana Director",
            "dana@mid.io",
            "Director of IT",
            300,
            "Contacted",
            "tom",
        ),
    ];
    store.insert_leads(&leads).unwrap();
    let signal = |lead, s, days_ago: i64| Activity {
        lead,
        at: t - days_ago * DAY - 3600,
        kind: ActivityKind::Signal(s),
        detail: String::new(),
    };
    store
        .insert_activities(&[
            signal(1, Signal::EmailReply, 1),
            signal(1, Signal::WebVisit, 2),
            signal(1, Signal::WebVisit, 4),
            signal(1, Signal::WebVisit, 8),
            signal(4, Signal::WebVisit, 20),
        ])
        .unwrap();
    store.flush().unwrap();
    db
}

#[test]
fn list_ranks_the_queue_as_json_with_filters() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path());
    let out: serde_json::Value =
        serde_json::from_str(&stdout(&leadq(&db, &["list", "--format", "json"]))).unwrap();
    let rows = out.as_array().unwrap();
    let ids: Vec<u64> = rows.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(
        ids[0], 1,
        "the engaged VP with an overdue follow-up leads: {out:#}"
    );
    assert!(!ids.contains(&3), "Won leads are not in the queue");
    assert_eq!(*ids.last().unwrap(), 2, "the free-mail student comes last");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["rank"].as_u64(), Some(i as u64 + 1));
        let p = r["probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        for field in ["name", "email", "account", "stage", "owner", "top_reason"] {
            assert!(r[field].is_string(), "{field} missing in {r}");
        }
        assert!(r["priority"].as_f64().unwrap() > 0.0);
    }
    assert!(
        rows[0]["priority_reason"]
            .as_str()
            .unwrap()
            .contains("overdue 1.5")
    );
    let top1 = stdout(&leadq(&db, &["list", "--top", "1", "--format", "json"]));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&top1)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let tom = stdout(&leadq(&db, &["list", "--owner", "TOM", "--format", "csv"]));
    let lines: Vec<&str> = tom.lines().collect();
    assert!(lines[0].starts_with("rank,id,name,email"));
    assert_eq!(lines.len(), 2, "only Dana (Carl is Won): {tom}");
    let won = stdout(&leadq(&db, &["list", "--stage", "won"]));
    assert!(
        won.contains("Carl Chief") && !won.contains("Ana Ruiz"),
        "{won}"
    );
}

#[test]
fn explain_adds_up_and_names_the_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path());
    let e: serde_json::Value = serde_json::from_str(&stdout(&leadq(
        &db,
        &["explain", "ana@acme.io", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(e["id"], 1);
    let contributions = e["contributions"].as_array().unwrap();
    let sum = contributions
        .iter()
        .fold(e["base_points"].as_f64().unwrap(), |t, c| {
            t + c["points"].as_f64().unwrap()
        });
    // Exact in f64; serde_json's default float parsing may be off by one unit in the last place.
    assert!((sum - e["points_total"].as_f64().unwrap()).abs() < 1e-9);
    let logit = e["logit"].as_f64().unwrap();
    assert!(
        (e["points_total"].as_f64().unwrap() - logit * 20.0 / std::f64::consts::LN_2).abs() < 1e-9
    );
    assert!((e["probability"].as_f64().unwrap() - 1.0 / (1.0 + (-logit).exp())).abs() < 1e-12);
    let rule = |name: &str| {
        contributions
            .iter()
            .find(|c| c["rule"] == name)
            .unwrap_or_else(|| panic!("{name} in {e:#}"))
    };
    assert_eq!(rule("Decision maker")["evidence"], "title = VP Sales");
    assert!(
        rule("Engaged this month")["evidence"]
            .as_str()
            .unwrap()
            .starts_with("3 visits in 30 d, newest 2 d ago")
    );
    assert!(rule("Replied")["points"].as_f64().unwrap() > 0.0);

    let text = stdout(&leadq(&db, &["explain", "2"]));
    assert!(
        text.contains("Free-mail address") && text.contains("email_domain gmail.com in @freemail"),
        "{text}"
    );
    assert!(text.contains("next: a reply would add +"), "{text}");

    let missing = leadq(&db, &["explain", "999"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("lead 999 not found"));
}

#[test]
fn rules_export_import_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path());
    let listed = stdout(&leadq(&db, &["rules", "list"]));
    assert!(
        listed.contains("Decision maker") && listed.contains("fit"),
        "{listed}"
    );
    let exported = dir.path().join("rules.toml");
    stdout(&leadq(
        &db,
        &["rules", "export", "--out", exported.to_str().unwrap()],
    ));
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("[[rule]]"));

    // A bad file is refused with every problem, and changes nothing.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[rule]]\nname = \"Big\"\nwhen = 'employees >= '\npoints = 5\nkind = \"fit\"\n",
    )
    .unwrap();
    let out = leadq(&db, &["rules", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rule \"Big\"")
            && err.contains("line 1, column 14: expected a value after `>=`"),
        "{err}"
    );

    // An edited file publishes; the rule keeps its id and shows its new points.
    let edited = text.replace("points = 18", "points = 30");
    std::fs::write(&exported, &edited).unwrap();
    let published = stdout(&leadq(
        &db,
        &["rules", "import", exported.to_str().unwrap()],
    ));
    assert!(
        published.contains("published rules version 2"),
        "{published}"
    );
    let rules: serde_json::Value =
        serde_json::from_str(&stdout(&leadq(&db, &["rules", "list", "--format", "json"]))).unwrap();
    let dm = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Decision maker")
        .unwrap();
    assert_eq!(
        (
            dm["id"].as_u64(),
            dm["prior_points"].as_f64(),
            dm["current_points"].as_i64()
        ),
        (Some(1), Some(30.0), Some(30))
    );
    assert_eq!(dm["matches"], 3, "VP, CEO and Director match");
}
