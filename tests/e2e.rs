//! The real `leadq` binary in a pseudo-terminal: type keys, read the screen, log an outcome,
//! quit, and check the terminal was restored and the outcome stored.

use std::path::Path;

use leadq::core::model::{Lead, NextAction};
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
                email: format!(
                    "{}@{}.example",
                    name.split(' ').next().unwrap().to_lowercase(),
                    account.to_lowercase()
                ),
                title: title.into(),
                account: account.into(),
                owner: "Sam".into(),
                stage: "New".into(),
                stage_entered: NOW,
                created: NOW,
                next_action: Some(NextAction {
                    due: NOW + id as i64 * 3600,
                    note: "call".into(),
                }),
                ..Lead::default()
            })
            .unwrap();
    }
    store.flush().unwrap();
}

mod common;
use common::Console;

#[test]
fn log_an_outcome_from_search_then_quit_restores_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("book.db");
    fill_book(&db);
    let mut console = Console::start(home.path(), &db);
    console.wait_for("sort: p × value");
    console.wait_for("Chiara Conti");
    assert!(console.screen.lock().unwrap().screen().alternate_screen());

    console.type_keys("/bruno");
    console.wait_for("1 of 3 leads match");
    console.type_keys("\r");
    console.wait_for("#2 Bruno Keller");
    console.wait_for("Why this score");
    console.type_keys("l");
    console.wait_for("Log outcome — Bruno Keller");
    console.type_keys("\tdemo next week\x1b[Z4\r");
    console.wait_for("logged Meeting booked on Bruno Keller");
    console.type_keys("q");
    console.wait_for("sort: p × value");
    console.type_keys("q");
    let status = console.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    // Give the reader thread a moment to parse the last bytes (leaving the alternate screen).
    console.screen_after_exit();

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadq"))
        .args(["show", "2", "--format", "json", "--db"])
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
    assert_eq!(shown["stage"], "Qualified");
    let outcomes = shown["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 1, "{shown}");
    assert_eq!(outcomes[0]["outcome"], "meeting_booked");
    assert_eq!(outcomes[0]["note"], "demo next week");
}

#[test]
fn a_bad_config_file_names_the_line_and_exits_2() {
    let home = tempfile::tempdir().unwrap();
    let config_dir = home.path().join("config/leadq");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("config.toml"),
        "me = \"Sam\"\n[keys.queue]\nj = \"teleport\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadq"))
        .arg("--db")
        .arg(home.path().join("book.db"))
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("config.toml:3:"), "{err}");
}

#[test]
fn an_empty_book_welcomes_and_q_quits() {
    let home = tempfile::tempdir().unwrap();
    let mut console = Console::start(home.path(), &home.path().join("empty.db"));
    console.wait_for("Welcome to leadq");
    console.wait_for("leadq import FILE.csv");
    console.type_keys("q");
    assert!(console.wait_exit().success());
}

#[test]
fn exit_after_first_frame_draws_the_queue_and_exits() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("book.db");
    fill_book(&db);
    let mut console =
        Console::start_with(home.path(), &db, &[("LEADQ_EXIT_AFTER_FIRST_FRAME", "1")]);
    assert!(console.wait_exit().success());
    console.screen_after_exit();
    let drawn = console.last_console_screen.lock().unwrap().clone();
    assert!(
        drawn.contains("Chiara Conti") && drawn.contains("sort:"),
        "{drawn}"
    );
}
