//! The real console in a pseudo-terminal under hostile sizes and contents: resized to 1×1 and
//! other tiny sizes and back, on an empty book and on a lead with every field empty, it stays
//! alive, asks for a larger terminal and quits with the terminal restored; and when it does
//! panic, the terminal is restored and the message says where the log is.

mod common;
use common::Console;

use std::path::Path;
use std::time::Duration;

use leadq::core::model::Lead;
use leadq::store::Store;

/// Shrinks the running console to tiny sizes and back to 80×24, where it must show `normal`.
fn resize_through_tiny_sizes(console: &mut Console, normal: &str) {
    // Too narrow for a word of the message: it cannot be read, but the console must live.
    for (cols, rows) in [(1, 1), (1, 24), (2, 2)] {
        console.resize(cols, rows);
        std::thread::sleep(Duration::from_millis(300));
        assert!(console.is_running(), "the console died at {cols}×{rows}");
    }
    for (cols, rows) in [(10, 3), (80, 1), (59, 24), (80, 15)] {
        console.resize(cols, rows);
        console.wait_for("enlarge");
        assert!(console.is_running(), "the console died at {cols}×{rows}");
    }
    console.resize(40, 10);
    console.wait_for("40×10)");
    assert!(
        console
            .text()
            .contains("enlarge the terminal (need 60×16, have"),
        "{}",
        console.text()
    );
    console.resize(80, 24);
    console.wait_for(normal);
    assert!(!console.text().contains("enlarge"), "{}", console.text());
    assert!(console.is_running());
}

fn quit_and_check_the_terminal(console: &mut Console) {
    console.type_keys("q");
    let status = console.wait_exit();
    let after = console.screen_after_exit();
    assert!(status.success(), "exit status {status:?}:\n{after}");
    assert!(!after.contains("panicked"), "{after}");
    assert!(
        !console.screen.lock().unwrap().screen().hide_cursor(),
        "the cursor was left hidden"
    );
}

#[test]
fn an_empty_book_survives_tiny_terminals() {
    let home = tempfile::tempdir().unwrap();
    let mut console = Console::start(home.path(), &home.path().join("empty.db"));
    console.wait_for("Welcome to leadq");
    resize_through_tiny_sizes(&mut console, "Welcome to leadq");
    quit_and_check_the_terminal(&mut console);
}

fn book_with_an_empty_lead(db: &Path) {
    let store = Store::open(db).unwrap();
    store
        .put_lead(&Lead {
            id: 1,
            ..Lead::default()
        })
        .unwrap();
    store.flush().unwrap();
}

#[test]
fn a_lead_with_every_field_empty_survives_tiny_terminals_in_queue_and_detail() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("book.db");
    book_with_an_empty_lead(&db);
    let mut console = Console::start(home.path(), &db);
    console.wait_for("sort:");
    resize_through_tiny_sizes(&mut console, "sort:");
    // The lead's detail view, also through the tiny sizes.
    console.type_keys("\r");
    console.wait_for("Why this score");
    resize_through_tiny_sizes(&mut console, "Why this score");
    console.type_keys("q");
    console.wait_for("sort:");
    quit_and_check_the_terminal(&mut console);
}

#[test]
fn a_panic_restores_the_terminal_and_names_the_log() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("book.db");
    book_with_an_empty_lead(&db);
    let mut console =
        Console::start_with(home.path(), &db, &[("LEADQ_PANIC_AFTER_FIRST_FRAME", "1")]);
    let status = console.wait_exit();
    assert!(!status.success(), "a panic must not exit 0");
    let after = console.screen_after_exit();
    let log = home.path().join("data/leadq/leadq.log");
    assert!(
        after.contains("leadq crashed; the details are in the log file"),
        "{after}"
    );
    // The path may wrap at the screen's edge.
    let unwrapped: String = after.lines().collect();
    assert!(
        unwrapped.contains(&log.display().to_string()),
        "{log:?} not in:\n{after}"
    );
    assert!(
        !console.screen.lock().unwrap().screen().hide_cursor(),
        "the cursor was left hidden"
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("panic"), "{logged}");
}
