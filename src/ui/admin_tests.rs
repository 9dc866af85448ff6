//! The rules admin's version picker and outcome map drawn at 80×24 and compared with their
//! accepted snapshots; label colours checked, as they carry the sign.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use crate::app::admin_data::load_admin;
use crate::app::tests::{NOW, loaded_app, sample_leads};
use crate::app::{Action, App, update};
use crate::store::Store;

fn render(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| super::draw(f, app)).unwrap();
    terminal
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            c => KeyCode::Char(c),
        };
        update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

fn rules_app() -> (tempfile::TempDir, Store, App) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("book.db")).unwrap();
    store.insert_leads(&sample_leads(12)).unwrap();
    let mut set = store.current_rules().unwrap();
    set.rules[0].points = 30.0;
    store
        .publish_rules(&set.to_toml(), "import q4.toml", NOW)
        .unwrap();
    set.rules.remove(3);
    store
        .publish_rules(&set.to_toml(), "console", NOW + 3600)
        .unwrap();
    let mut app = loaded_app(sample_leads(12));
    keys(&mut app, "4");
    update(
        &mut app,
        Action::AdminLoaded(Box::new(load_admin(&store).unwrap())),
    );
    (dir, store, app)
}

#[test]
fn version_picker_and_its_confirmation_snapshots() {
    let (_dir, store, mut app) = rules_app();
    keys(&mut app, "V");
    update(
        &mut app,
        Action::VersionsLoaded(store.rule_version_summaries().unwrap()),
    );
    insta::assert_snapshot!("rules_versions", render(&app).backend());
    keys(&mut app, "j\n");
    insta::assert_snapshot!("rules_versions_confirm", render(&app).backend());
}

#[test]
fn outcome_map_snapshot_with_labels_coloured_by_sign() {
    let (_dir, _store, mut app) = rules_app();
    keys(&mut app, "oj ");
    let term = render(&app);
    insta::assert_snapshot!("outcome_map", term.backend());
    let buf = term.backend().buffer();
    let colour_of = |word: &str, nth: usize| {
        let mut seen = 0;
        for y in 0..buf.area.height {
            let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            if let Some(byte) = line.find(&format!(" {word} ")) {
                if seen == nth {
                    let x = line[..byte].chars().count() as u16 + 1;
                    return buf[(x, y)].fg;
                }
                seen += 1;
            }
        }
        panic!("{word} #{nth} not on screen");
    };
    assert_eq!(colour_of("negative", 0), Color::Red);
    // The first "positive" row that is not selected: connected — interested.
    assert_eq!(colour_of("positive", 1), Color::Green);
}

#[test]
fn help_in_the_rules_view_lists_the_version_and_outcome_map_keys() {
    let (_dir, _store, mut app) = rules_app();
    keys(&mut app, "?");
    let term = render(&app);
    let buf = term.backend().buffer();
    let screen: String = (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                + "\n"
        })
        .collect();
    let has = |key: &str, words: &str| {
        screen
            .lines()
            .any(|l| l.contains(words) && l.contains(&format!("  {key}  ")))
    };
    assert!(has("V", "restore an earlier version"), "{screen}");
    assert!(has("o", "edit outcome → label map"), "{screen}");
}
