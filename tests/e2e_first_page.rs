//! The saved first page: a book closed cleanly shows its queue at the next start before the
//! database is opened (what makes a million-lead book show its queue at once), and only then:
//! any change to the book since that close means the page is not used.

use std::path::Path;

use leadq::core::model::Lead;
use leadq::store::Store;

const NOW: i64 = 1_764_151_200;

fn fill_book(db: &Path) {
    let store = Store::open(db).unwrap();
    for (id, name, title) in [
        (1, "Ana Ruiz", "VP Sales"),
        (2, "Bruno Keller", "Analyst"),
        (3, "Chiara Conti", "CEO"),
    ] {
        store
            .put_lead(&Lead {
                id,
                name: name.into(),
                email: format!("lead{id}@acme.example"),
                title: title.into(),
                account: "Acme".into(),
                owner: "Sam".into(),
                stage: "New".into(),
                stage_entered: NOW,
                created: NOW,
                ..Lead::default()
            })
            .unwrap();
    }
    store.flush().unwrap();
}

mod common;
use common::{Console, leadq};

fn first_frame(home: &Path, db: &Path) -> String {
    let mut console = Console::start_with(home, db, &[("LEADQ_EXIT_AFTER_FIRST_FRAME", "1")]);
    assert!(console.wait_exit().success());
    console.screen_after_exit();
    console.last_console_screen.lock().unwrap().clone()
}

#[test]
fn a_cleanly_closed_book_shows_its_saved_first_page_before_opening_and_a_changed_one_does_not() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("book.db");
    fill_book(&db);
    // First start: no saved page; the live queue, then quit saves it.
    let mut console = Console::start(home.path(), &db);
    console.wait_for("sort: p × value");
    console.wait_for("Chiara Conti");
    console.type_keys("q");
    assert!(console.wait_exit().success());
    assert!(db.join("leadq.first-page.json").exists());

    // Second start: the saved page is the first frame, drawn without opening the database
    // (its close seal is still there afterwards).
    let screen = first_frame(home.path(), &db);
    assert!(screen.contains("as at the last close"), "{screen}");
    for name in ["Ana Ruiz", "Bruno Keller", "Chiara Conti"] {
        assert!(screen.contains(name), "{name} missing:\n{screen}");
    }
    assert!(db.join("leadq.closed").exists(), "the book was not opened");

    // Keys wait while it loads; then the live queue replaces it.
    let mut console = Console::start(home.path(), &db);
    console.wait_for("sort: p × value");
    console.type_keys("q");
    assert!(console.wait_exit().success());

    // A change made outside the console (here a new lead by import) invalidates the page.
    let csv = home.path().join("more.csv");
    std::fs::write(&csv, "Name,Email\nDana Ito,dana@acme.example\n").unwrap();
    assert!(
        leadq(&db, &["import", csv.to_str().unwrap()])
            .status
            .success()
    );
    let screen = first_frame(home.path(), &db);
    assert!(!screen.contains("as at the last close"), "{screen}");
    assert!(screen.contains("Dana Ito"), "the live queue:\n{screen}");
}
