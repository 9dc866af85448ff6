//! The kanban board through the real `leadq` binary in a pseudo-terminal: open the board,
//! move a card one stage right, quit, and check with `leadq show` that the move was stored.

use std::path::Path;

use leadq::core::model::Lead;
use leadq::store::Store;

const NOW: i64 = 1_764_151_200;

fn fill_book(db: &Path) {
    let store = Store::open(db).unwrap();
    let people = [
        (1, "Ana Ruiz", "VP Sales", "Acme"),
        (2, "Bruno Keller", "Analyst", "Globex"),
        (3, "Chiara Conti", "Head of Marketing", "Initech"),
    ];
    for (id, name, title, account) in people {
        store
            .put_lead(&Lead {
                id,
                name: name.into(),
                email: format!("lead{id}@{}.example", account.to_lowercase()),
                title: title.into(),
                account: account.into(),
                owner: "Sam".into(),
                stage: "New".into(),
                stage_entered: NOW,
                created: NOW,
                deal_value: Some(1000.0 * id as f64),
                ..Lead::default()
            })
            .unwrap();
    }
    store.flush().unwrap();
}

mod common;
use common::Console;

#[test]
fn move_a_card_right_on_the_board_and_the_stage_change_is_stored() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("book.db");
    fill_book(&db);
    let mut console = Console::start(home.path(), &db);
    console.wait_for("sort: p × value");
    console.type_keys("2");
    console.wait_for("cards by priority");
    console.wait_for("New 3");
    console.type_keys("L");
    console.wait_for("→ Contacted");
    let screen = console.text();
    let (id, name) = [(1, "Ana Ruiz"), (2, "Bruno Keller"), (3, "Chiara Conti")]
        .into_iter()
        .find(|(_, n)| screen.contains(&format!("moved {n} New")))
        .unwrap_or_else(|| panic!("no move toast:\n{screen}"));
    console.wait_for("Contacted 1");
    console.type_keys("q");
    assert!(console.wait_exit().success());
    assert!(!console.last_console_screen.lock().unwrap().is_empty());

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadq"))
        .args(["show", &id.to_string(), "--format", "json", "--db"])
        .arg(&db)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["name"], name);
    assert_eq!(shown["stage"], "Contacted", "{shown}");
    let activities = shown["activities"].as_array().unwrap();
    assert!(
        activities
            .iter()
            .any(|a| a["kind"] == "stage New → Contacted"),
        "{shown}"
    );
}
