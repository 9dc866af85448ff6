//! The rules admin's version picker and outcome map editor driven headless: keys in, state and
//! effects out, with the loop's part done against a real store.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::admin_data::load_admin;
use super::keymap::KeyMode;
use super::tests::{NOW, loaded_app, sample_leads};
use super::{Action, App, Effect, Overlay, Screen, update};
use crate::core::outcome::{Label, OutcomeCatalog};
use crate::store::Store;

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn toast(app: &App) -> String {
    app.toast
        .as_ref()
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

/// A store with three published versions: the defaults, an edit, another edit.
fn store_with_versions() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("book.db")).unwrap();
    store.insert_leads(&sample_leads(12)).unwrap();
    let mut set = store.current_rules().unwrap();
    for (i, points) in [40.0, 60.0].into_iter().enumerate() {
        set.rules[0].points = points;
        store
            .publish_rules(&set.to_toml(), &format!("edit {i}"), NOW + i as i64)
            .unwrap();
    }
    (dir, store)
}

fn rules_app(store: &Store) -> App {
    let mut app = loaded_app(sample_leads(12));
    press(&mut app, KeyCode::Char('4'));
    assert_eq!(app.screen, Screen::Rules);
    update(
        &mut app,
        Action::AdminLoaded(Box::new(load_admin(store).unwrap())),
    );
    app
}

fn picker(app: &App) -> &super::versions::VersionPicker {
    match &app.overlay {
        Some(Overlay::Versions(p)) => p,
        other => panic!("the version picker should be open: {other:?}"),
    }
}

#[test]
fn any_earlier_version_is_restored_after_a_confirmation() {
    let (_dir, store) = store_with_versions();
    let mut app = rules_app(&store);
    assert_eq!(
        press(&mut app, KeyCode::Char('V')),
        vec![Effect::LoadVersions]
    );
    assert!(picker(&app).versions.is_none(), "read by the loop");
    update(
        &mut app,
        Action::VersionsLoaded(store.rule_version_summaries().unwrap()),
    );
    let p = picker(&app);
    let shown: Vec<u32> = p
        .versions
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(shown, [3, 2, 1], "newest first");
    assert_eq!(
        p.selected, 1,
        "starts on the version before the current one"
    );

    // The current version cannot be restored; moving is clamped.
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Char('k'));
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(toast(&app).contains("current"), "{}", toast(&app));
    assert!(!picker(&app).confirming);

    // Go to version 1: Enter asks, Esc cancels the question but keeps the picker.
    press(&mut app, KeyCode::Char('G'));
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(picker(&app).confirming);
    press(&mut app, KeyCode::Esc);
    assert!(!picker(&app).confirming);
    press(&mut app, KeyCode::Enter);
    let fx = press(&mut app, KeyCode::Char('y'));
    assert_eq!(fx, vec![Effect::RestoreRules(1)]);
    assert!(app.overlay.is_none());

    // The loop restores; the toast says what happened and how to take it back.
    let (n, _) = store.restore_rules(1, NOW + 10).unwrap();
    assert_eq!(n, 4);
    let fx = update(&mut app, Action::RulesPublished(n));
    assert_eq!(fx, vec![Effect::LoadBook, Effect::LoadAdmin]);
    let t = toast(&app);
    assert!(t.contains("restored version 1 as version 4"), "{t}");
    assert!(t.contains("restore version 3"), "{t}");
    assert!(app.admin.restoring.is_none());
}

#[test]
fn the_picker_is_refused_over_a_draft_and_esc_closes_it() {
    let (_dir, store) = store_with_versions();
    let mut app = rules_app(&store);
    press(&mut app, KeyCode::Char('x'));
    assert!(app.admin.draft.is_some());
    assert!(press(&mut app, KeyCode::Char('V')).is_empty());
    assert!(app.overlay.is_none());
    assert!(toast(&app).contains("draft"), "{}", toast(&app));
    press(&mut app, KeyCode::Char('X'));
    press(&mut app, KeyCode::Char('V'));
    press(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
    assert_eq!(app.screen, Screen::Rules);
}

fn editor(app: &App) -> &super::outcome_editor::OutcomeEditor {
    match &app.overlay {
        Some(Overlay::Outcomes(e)) => e,
        other => panic!("the outcome map should be open: {other:?}"),
    }
}

#[test]
fn the_outcome_map_is_edited_on_a_copy_and_saved_durably() {
    let (_dir, store) = store_with_versions();
    let mut app = rules_app(&store);
    assert!(press(&mut app, KeyCode::Char('o')).is_empty());
    assert_eq!(editor(&app).catalog, OutcomeCatalog::default());

    // Voicemail (row 2): none → positive, strength 1.0 → 0.8, stage Contacted → Qualified.
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char('+'));
    press(&mut app, KeyCode::Char('-'));
    press(&mut app, KeyCode::Char('-'));
    press(&mut app, KeyCode::Char('s'));
    let t = &editor(&app).catalog.types[1];
    assert_eq!(t.id, "voicemail");
    assert_eq!((t.label, t.strength), (Label::Positive, 0.8));
    assert_eq!(t.stage.as_deref(), Some("Qualified"));
    assert_eq!(
        app.book.catalog,
        OutcomeCatalog::default(),
        "nothing changes before saving"
    );
    // Strength never leaves (0, 1].
    for _ in 0..12 {
        press(&mut app, KeyCode::Char('-'));
    }
    assert_eq!(editor(&app).catalog.types[1].strength, 0.1);
    for _ in 0..3 {
        press(&mut app, KeyCode::Char('+'));
    }

    let fx = press(&mut app, KeyCode::Enter);
    let [Effect::SaveOutcomes(catalog)] = fx.as_slice() else {
        panic!("enter saves through the loop: {fx:?}");
    };
    assert!(app.overlay.is_none());
    store.save_outcome_catalog(catalog).unwrap();
    let fx = update(&mut app, Action::OutcomesSaved(Box::new(catalog.clone())));
    assert_eq!(fx, vec![Effect::LoadAdmin]);
    assert_eq!(app.book.catalog, *catalog);
    assert!(toast(&app).contains("saved"), "{}", toast(&app));
    let stored = store.outcome_catalog().unwrap();
    let vm = stored.find("voicemail").unwrap();
    assert_eq!((vm.label, vm.strength), (Label::Positive, 0.4));

    // Esc discards a working copy: nothing is saved.
    press(&mut app, KeyCode::Char('o'));
    press(&mut app, KeyCode::Char(' '));
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert!(toast(&app).contains("discarded"), "{}", toast(&app));
    assert_eq!(app.book.catalog, *catalog);
}

#[test]
fn the_new_keys_are_in_help_and_the_footer() {
    let app = loaded_app(sample_leads(3));
    let keymap = &app.config.keymap;
    let help = keymap.grouped(KeyMode::Rules);
    let keys_of = |a: &Action| {
        help.iter()
            .find(|(_, x)| x == a)
            .map(|(k, _)| k.clone())
            .unwrap_or_default()
    };
    assert_eq!(keys_of(&Action::RestoreVersion), ["V"]);
    assert_eq!(keys_of(&Action::EditOutcomes), ["o"]);
    let hints = keymap.hints(KeyMode::Rules);
    assert!(hints.contains(&("V".into(), "versions")), "{hints:?}");
    assert!(hints.contains(&("o".into(), "labels")), "{hints:?}");
}

#[test]
fn after_a_publish_the_reloaded_book_keeps_the_admin_in_the_rules_view() {
    let (_dir, store) = store_with_versions();
    let mut app = rules_app(&store);
    let fx = update(&mut app, Action::RulesPublished(4));
    assert!(fx.contains(&Effect::LoadBook));
    let data = super::tests::book_data(sample_leads(12), vec![]);
    update(&mut app, Action::BookLoaded(Box::new(data)));
    assert_eq!(app.screen, Screen::Rules);
    assert_eq!(app.queue.queue_len, 12, "the queue is re-ranked behind it");
    press(&mut app, KeyCode::Char('1'));
    assert_eq!(app.screen, Screen::Queue);
}

#[test]
fn an_outcome_that_taught_the_model_keeps_its_label_on_the_dashboard_after_a_map_edit() {
    use crate::core::learn::Priors;
    use crate::core::outcome_edit::OutcomeEdit;
    use crate::store::worklog::{LogRequest, log_outcome_learned};
    let (_dir, store) = store_with_versions();
    let to = |label| OutcomeEdit {
        label: Some(label),
        ..OutcomeEdit::default()
    };
    store
        .edit_outcome("voicemail", &to(Label::Positive))
        .unwrap();
    let card = store.scorecard().unwrap();
    let lead = store.lead(2).unwrap().unwrap();
    let snapshot = card.activations(&lead, &store.signals_of(2).unwrap(), NOW);
    let req = LogRequest {
        outcome: "voicemail".into(),
        note: String::new(),
        value: None,
        follow_up: None,
    };
    let priors = Priors::of_rule_set(card.rule_set());
    let rec = log_outcome_learned(&store, 2, &req, snapshot, &priors, NOW).unwrap();
    assert_eq!(rec.step.as_ref().map(|s| s.target), Some(1.0));
    store.edit_outcome("voicemail", &to(Label::None)).unwrap();
    let d = super::admin_data::load_dashboard(&store, None, NOW).unwrap();
    assert_eq!(d.labelled, 1, "the learned outcome still counts");
    let positives: f64 = d.calibration.iter().map(|b| b.observed * b.n as f64).sum();
    assert_eq!(
        positives, 1.0,
        "and counts as the positive it was learned as"
    );
}
