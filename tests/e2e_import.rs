//! Importing from inside the running console (the real binary in a pseudo-terminal): the
//! queue stays on screen while a CSV file imports in the background, then shows the new
//! leads without a restart; `leadq list` confirms they are stored. A missing file is refused
//! in the prompt, and a file with a bad row is imported without it.

use std::path::Path;

use leadq::core::model::Lead;
use leadq::store::Store;

const NOW: i64 = 1_764_151_200;

fn fill_book(db: &Path) {
    let store = Store::open(db).unwrap();
    store
        .put_lead(&Lead {
            id: 1,
            name: "Ana Ruiz".into(),
            email: "ana@acme.example".into(),
            title: "Analyst".into(),
            account: "Acme".into(),
            owner: "Sam".into(),
            stage: "New".into(),
            stage_entered: NOW,
            created: NOW,
            ..Lead::default()
        })
        .unwrap();
    store.flush().unwrap();
}

mod common;
use common::{Console, leadq};

#[test]
fn a_csv_imported_from_the_console_shows_up_in_the_queue_without_a_restart() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("book.db");
    fill_book(&db);
    let csv = home.path().join("new leads.csv");
    std::fs::write(
        &csv,
        "Name,Email,Company,Title\n\
         Zofia Nowak,zofia@wolfbay.example,Wolfbay,VP Sales\n\
         Yusuf Demir,yusuf@wolfbay.example,Wolfbay,CEO\n\
         Ana Ruiz,ana@acme.example,Acme,Head of Sales\n",
    )
    .unwrap();
    let mut console = Console::start(home.path(), &db);
    console.wait_for("sort: p × value");
    console.wait_for("1 of 1");
    console.type_keys("I");
    console.wait_for("Import a CSV file");
    // A path that is not a file is refused in place.
    console.type_keys("nowhere.csv\r");
    console.wait_for("no such file: nowhere.csv");
    console.type_keys("\x15"); // ctrl-u clears the field
    console.type_keys(&format!("{}\r", csv.display()));
    console.wait_for("2 new, 1 merged");
    console.wait_for("Zofia Nowak");
    console.wait_for("Yusuf Demir");
    console.wait_for("3 of 3");
    console.type_keys("q");
    assert!(console.wait_exit().success());

    let out = leadq(&db, &["list", "--format", "json"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for name in ["Zofia Nowak", "Yusuf Demir", "Ana Ruiz"] {
        assert!(text.contains(name), "{name} not stored:\n{text}");
    }
    assert_eq!(
        text.matches("ana@acme.example").count(),
        1,
        "the row with Ana's email merged into her lead"
    );
}
