//! The board and accounts views driven headless: columns in priority order, a card moved and
//! undone, stale cards by the stage's rot days, accounts ranked by their roll-up.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::tests::{NOW, book_data, sample_leads};
use super::*;
use crate::core::index::QueueFilter;
use crate::core::model::{DAY, Lead, Pipeline};
use crate::store::stage::StageMove;

fn press(app: &mut App, c: char) -> Vec<Effect> {
    update(
        app,
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
    )
}

fn app_with(leads: Vec<Lead>, last_activity: Vec<(LeadId, Timestamp)>) -> App {
    let mut app = App::new(Config::defaults(), NOW, 80, 24);
    let mut data = book_data(leads, vec![]);
    data.last_activity = last_activity;
    update(&mut app, Action::BookLoaded(Box::new(data)));
    app
}

fn leads_with_values(n: u64) -> Vec<Lead> {
    let mut leads = sample_leads(n);
    for l in &mut leads {
        l.deal_value = Some(1000.0 * l.id as f64);
    }
    leads
}

#[test]
fn key_2_shows_the_board_with_columns_in_queue_priority_order() {
    let mut app = app_with(leads_with_values(12), vec![]);
    press(&mut app, '2');
    assert_eq!(app.screen, Screen::Board);
    let names: Vec<&str> = app.board.columns.iter().map(|c| c.stage.as_str()).collect();
    assert_eq!(names, Pipeline::default().names());
    let new = &app.board.columns[0];
    assert_eq!(new.count, 8, "leads 1–12 not divisible by 3 are New");
    let s = app.scoring.as_ref().unwrap();
    let filter = QueueFilter {
        stage: Some("New".into()),
        include_terminal: true,
        ..QueueFilter::default()
    };
    let expected: Vec<LeadId> = s
        .index
        .top(100, &filter, NOW)
        .iter()
        .map(|e| e.id)
        .collect();
    let shown: Vec<LeadId> = new.cards.iter().map(|c| c.id).collect();
    assert_eq!(shown, expected);
    let keys: Vec<f64> = shown
        .iter()
        .map(|&id| s.index.entry(id, NOW).unwrap().priority.key)
        .collect();
    assert!(keys.windows(2).all(|w| w[0] >= w[1]), "{keys:?}");
    // Totals: Σ value of the New leads; weighted is below it.
    let value: f64 = app
        .book
        .leads
        .iter()
        .filter(|l| l.stage == "New")
        .map(|l| l.deal_value.unwrap())
        .sum();
    assert_eq!(new.value, value);
    assert!(new.weighted > 0.0 && new.weighted < value);
    // Only the columns on screen fetched cards: 80 columns hold 4.
    assert!(app.board.columns[4..].iter().all(|c| c.cards.is_empty()));
    press(&mut app, '1');
    assert_eq!(app.screen, Screen::Queue);
}

#[test]
fn moving_a_card_right_changes_its_stage_and_undo_restores_it() {
    let mut app = app_with(leads_with_values(12), vec![]);
    press(&mut app, '2');
    let id = app.board.selected_id().unwrap();
    let before = app.book.lead(id).unwrap().clone();
    let effects = press(&mut app, 'L');
    assert_eq!(
        effects,
        vec![Effect::MoveStage {
            lead: id,
            to: "Contacted".into()
        }]
    );
    // What the store returns after the durable write.
    let mv = StageMove {
        lead: id,
        from: "New".into(),
        to: "Contacted".into(),
        from_entered: before.stage_entered,
        at: NOW,
    };
    let mut moved = before.clone();
    moved.stage = "Contacted".into();
    moved.stage_entered = NOW;
    update(&mut app, Action::StageMoved(Box::new((mv.clone(), moved))));
    assert_eq!(app.book.lead(id).unwrap().stage, "Contacted");
    assert_eq!(app.board.columns[0].count, 7);
    assert_eq!(app.board.columns[1].count, 1);
    assert_eq!(app.board.columns[1].cards[0].id, id);
    assert!(!app.board.columns[0].cards.iter().any(|c| c.id == id));
    assert_eq!(app.board.last_activity.get(id), Some(NOW));
    assert!(app.toast.as_ref().unwrap().text.contains("New → Contacted"));

    assert_eq!(
        press(&mut app, 'u'),
        vec![Effect::UndoStageMove(mv.clone())]
    );
    update(
        &mut app,
        Action::StageMoveUndone(Box::new((mv, before.clone()))),
    );
    assert_eq!(app.book.lead(id).unwrap(), before);
    assert_eq!(app.board.columns[0].count, 8);
    assert_eq!(app.board.columns[1].count, 0);
    assert_eq!(app.board.last_activity.get(id), None);
    assert!(app.board.undo.is_empty());
    assert!(press(&mut app, 'u').is_empty(), "nothing left to undo");
}

#[test]
fn no_stage_left_of_the_first_and_enter_opens_the_card() {
    let mut app = app_with(leads_with_values(6), vec![]);
    press(&mut app, '2');
    assert!(press(&mut app, 'H').is_empty());
    let id = app.board.selected_id().unwrap();
    let effects = update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert_eq!(effects, vec![Effect::LoadDetail(id)]);
    assert_eq!(app.screen, Screen::Detail);
    press(&mut app, 'q');
    assert_eq!(app.screen, Screen::Board, "back returns to the board");
}

#[test]
fn cards_go_stale_after_the_stages_rot_days_without_activity() {
    // New rots after 3 days. Lead 1: in stage 4 days, no activity → stale. Lead 2: in stage
    // 4 days, activity yesterday → fresh. Lead 4: entered 2 days ago → fresh.
    let mut leads = sample_leads(4);
    leads[0].stage_entered = NOW - 4 * DAY;
    leads[1].stage_entered = NOW - 4 * DAY;
    leads[3].stage_entered = NOW - 2 * DAY;
    let mut app = app_with(leads, vec![(2, NOW - DAY)]);
    press(&mut app, '2');
    let stale = |app: &App, id| {
        app.board.columns[0]
            .cards
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .stale
    };
    assert!(stale(&app, 1));
    assert!(!stale(&app, 2));
    assert!(!stale(&app, 4));
    let days = |id| {
        app.board.columns[0]
            .cards
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .days_in_stage
    };
    assert_eq!((days(1), days(4)), (4, 2));
}

#[test]
fn accounts_rank_by_expected_wins_and_list_their_leads() {
    let mut app = app_with(leads_with_values(12), vec![]);
    press(&mut app, '3');
    assert_eq!(app.screen, Screen::Accounts);
    let rows = &app.accounts.rows;
    assert_eq!(rows.len(), 4, "Acme 0–3");
    assert!(
        rows.windows(2)
            .all(|w| w[0].expected_wins >= w[1].expected_wins)
    );
    let s = app.scoring.as_ref().unwrap();
    for (i, r) in rows.iter().enumerate() {
        let name = app.accounts.name(i, app.scoring.as_ref());
        // Σ p over the account's open leads, from the book's own fields.
        let sum: f64 = app
            .book
            .leads
            .iter()
            .filter(|l| l.account == name && !app.book.pipeline.is_terminal(&l.stage))
            .map(|l| s.index.entry(l.id, NOW).unwrap().priority.probability)
            .sum();
        let count = app.book.leads.iter().filter(|l| l.account == name).count();
        assert_eq!(r.leads, count, "{name}");
        assert!((sum - r.expected_wins).abs() < 1e-9);
    }
    let top = app.accounts.name(0, app.scoring.as_ref());
    assert!(
        app.accounts
            .leads
            .iter()
            .all(|l| { app.book.lead(l.id).unwrap().account == top })
    );
    press(&mut app, 'j');
    assert_eq!(app.accounts.selected, 1);
    let second = app.accounts.name(1, app.scoring.as_ref());
    assert!(
        app.accounts
            .leads
            .iter()
            .all(|l| app.book.lead(l.id).unwrap().account == second)
    );
    press(&mut app, 'l');
    press(&mut app, 'j');
    let id = app.accounts.leads[1].id;
    let effects = update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert_eq!(effects, vec![Effect::LoadDetail(id)]);
}

/// Moves every lead's score, as a learning step on the bias would.
fn raise_every_score(app: &mut App) {
    if let Some(s) = app.scoring.as_mut() {
        let mut w = s.card.weights().clone();
        w.bias += 1.0;
        s.index.apply_weights(&w);
    }
}

#[test]
fn an_idle_second_brings_the_accounts_roll_up_up_to_date_before_the_switch() {
    let mut app = app_with(leads_with_values(12), vec![]);
    // Rolled up as the book loaded.
    assert!(app.accounts.built && !app.accounts.stale);
    let fresh = app.accounts.rows.clone();

    // The scores change: stale until the next idle second.
    app.accounts.stale = true;
    raise_every_score(&mut app);
    press(&mut app, 'k');
    update(&mut app, Action::Tick(NOW));
    assert!(app.accounts.stale);
    update(&mut app, Action::Tick(NOW));
    assert!(!app.accounts.stale);
    assert_ne!(
        app.accounts.rows, fresh,
        "the roll-up follows the new scores"
    );

    // The switch then shows exactly what a roll-up on the key would have.
    let warmed = app.accounts.rows.clone();
    press(&mut app, '3');
    assert_eq!(app.screen, Screen::Accounts);
    assert_eq!(app.accounts.rows, warmed);
    app.accounts.stale = true;
    app.accounts
        .rebuild(app.scoring.as_ref(), app.now, app.height);
    assert_eq!(app.accounts.rows, warmed);
}

#[test]
fn the_board_is_laid_out_as_the_book_loads_and_again_in_an_idle_second_after_a_change() {
    let mut app = app_with(leads_with_values(12), vec![]);
    // Columns and the cards on screen are there before the first switch to the board.
    assert!(!app.board.stale && !app.board.columns.is_empty());
    assert!(app.board.columns.iter().any(|c| !c.cards.is_empty()));

    // A logged outcome leaves the board stale; the next idle second lays it out again, and
    // the switch then shows what a rebuild on the key would have.
    app.board.stale = true;
    raise_every_score(&mut app);
    press(&mut app, 'k');
    update(&mut app, Action::Tick(NOW));
    assert!(app.board.stale, "not within a second of a key");
    update(&mut app, Action::Tick(NOW));
    assert!(!app.board.stale);
    let warmed = app.board.columns.clone();
    press(&mut app, '2');
    assert_eq!(app.screen, Screen::Board);
    assert_eq!(app.board.columns, warmed);
    app.board.rebuild(&app.book, app.scoring.as_ref());
    let (w, h, now) = (app.width, app.height, app.now);
    app.board.layout(&app.book, app.scoring.as_ref(), w, h, now);
    assert_eq!(app.board.columns, warmed);
}

/// The newest activity per lead answers the same whatever order the load handed it over
/// in, and a move on a lead with no activity yet adds it where it belongs.
#[test]
fn newest_activities_are_found_in_any_load_order() {
    use super::board::LastActivity;
    let mut last = LastActivity::new(vec![(9, 90), (2, 20), (5, 50)]);
    assert_eq!(
        [2, 5, 9, 7].map(|id| last.get(id)),
        [Some(20), Some(50), Some(90), None]
    );
    assert_eq!(last.insert(7, 70), None);
    assert_eq!(last.insert(5, 55), Some(50));
    assert_eq!(last.get(7), Some(70));
    assert_eq!(last.get(5), Some(55));
    assert_eq!(last.remove(7), Some(70));
    assert_eq!(last.remove(7), None);
    assert_eq!(last.get(9), Some(90));
}

/// A console whose book was loaded from a new database holding `leads` (it reads them from
/// the store on demand).
fn app_on_store(leads: Vec<Lead>) -> (tempfile::TempDir, crate::store::Store, App) {
    let (dir, store) = crate::store::fixtures::store_with_leads(0);
    store.insert_leads(&leads).unwrap();
    let data = super::worker::read_book(&store, "db".into(), false, NOW, &mut |_, _| {}).unwrap();
    let mut app = App::new(Config::defaults(), NOW, 80, 24);
    update(&mut app, Action::BookLoaded(Box::new(data)));
    (dir, store, app)
}

/// The same move on a book loaded from a database, whose leads the console reads from the
/// store: the store holds the moved lead before the console hears of the move, and the
/// column totals still take it, value and all, from the column it left to the one it
/// entered — and back on undo.
#[test]
fn a_move_on_a_book_read_from_the_store_moves_the_column_totals() {
    let (_dir, store, mut app) = app_on_store(leads_with_values(12));
    press(&mut app, '2');
    let totals = |app: &App| {
        let c = &app.board.columns;
        [(c[0].count, c[0].value), (c[1].count, c[1].value)]
    };
    let before = totals(&app);
    assert_eq!(before[0].0, 8);
    let id = app.board.selected_id().unwrap();
    let mut lead = app.book.lead(id).unwrap();
    let value = lead.deal_value.unwrap();
    // An import running beside the console raised the lead's value in the store since the
    // load: the column it leaves gives up what it counted, the one it enters the new value.
    lead.deal_value = Some(value + 500.0);
    store.put_lead(&lead).unwrap();

    let (mv, moved) = crate::store::stage::move_stage(&store, id, "Contacted", NOW).unwrap();
    update(&mut app, Action::StageMoved(Box::new((mv.clone(), moved))));
    assert_eq!(
        totals(&app),
        [
            (before[0].0 - 1, before[0].1 - value),
            (before[1].0 + 1, before[1].1 + value + 500.0)
        ]
    );
    assert_eq!(app.book.lead(id).unwrap().stage, "Contacted");

    let back = crate::store::stage::undo_stage_move(&store, &mv).unwrap();
    update(&mut app, Action::StageMoveUndone(Box::new((mv, back))));
    assert_eq!(
        totals(&app),
        [(before[0].0, before[0].1 + 500.0), before[1]]
    );
    assert_eq!(app.book.lead(id).unwrap().stage, "New");
}

/// A lead the store can no longer read keeps its row in the queue (named as unreadable), so
/// the rows below stay where the selection counts them and a key acts on the lead shown.
#[test]
fn a_lead_the_store_cannot_read_keeps_its_row_in_the_queue() {
    let (_dir, store, mut app) = app_on_store(leads_with_values(12));
    let shown: Vec<LeadId> = app.queue.page.iter().map(|r| r.id).collect();
    assert!(shown.len() >= 4, "{shown:?}");
    let gone = shown[1];
    store.leads.remove(gone.to_be_bytes()).unwrap();
    app.rebuild_page();
    let now: Vec<LeadId> = app.queue.page.iter().map(|r| r.id).collect();
    assert_eq!(now, shown);
    assert!(app.queue.page[1].name.contains("could not be read"));
    press(&mut app, 'j');
    press(&mut app, 'j');
    assert_eq!(app.queue.selected_id(&app.book), Some(shown[2]));
    assert_eq!(app.queue.page[2].id, shown[2]);
}
