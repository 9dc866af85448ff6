//! The console driven headless: actions in, state and effects out — no terminal.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::queue::Movement;
use super::scoring::Scoring;
use super::*;
use crate::core::model::{DAY, HOUR, Lead, NextAction, Pipeline};
use crate::core::rules::{RuleIds, RuleSet};
use crate::core::scorecard::Scorecard;

pub(crate) const NOW: Timestamp = 1_764_151_200; // 2025-11-26 10:00 UTC

/// A small book: lead i is due (i − 3) hours from now, so leads 1–3 are overdue.
pub(crate) fn sample_leads(n: u64) -> Vec<Lead> {
    let owners = ["Ana Ruiz", "Ben Okafor", "Chen Wei"];
    let names = [
        "Maria Lopez",
        "John Smith",
        "Aiko Tanaka",
        "Peter Novak",
        "Fatima Khan",
        "Lars Berg",
    ];
    (1..=n)
        .map(|i| Lead {
            id: i,
            name: format!("{} {i}", names[(i as usize - 1) % names.len()]),
            email: format!("lead{i}@example.com"),
            title: if i % 2 == 0 { "VP Sales" } else { "Analyst" }.into(),
            account: format!("Acme {}", i % 4),
            owner: owners[(i as usize - 1) % owners.len()].into(),
            stage: if i % 3 == 0 { "Qualified" } else { "New" }.into(),
            stage_entered: NOW - 2 * DAY,
            next_action: Some(NextAction {
                due: NOW + (i as i64 - 3) * HOUR,
                note: "call back".into(),
            }),
            created: NOW - 10 * DAY,
            ..Lead::default()
        })
        .collect()
}

/// The book as the worker would hand it over: scored with the default rules.
pub(crate) fn book_data(leads: Vec<Lead>, last_look: Vec<(LeadId, u32)>) -> BookData {
    let rules = RuleSet::default_rules(&mut RuleIds::default());
    let pipeline = Pipeline::default();
    let scoring = Scoring::build(Scorecard::new(rules, None), &leads, &pipeline, NOW);
    BookData {
        leads: leads.into(),
        pipeline,
        last_look,
        label: "book.db".into(),
        scoring: Some(scoring),
        ..BookData::default()
    }
}

pub(crate) fn loaded_app(leads: Vec<Lead>) -> App {
    let mut config = Config::defaults();
    config.me = Some("Ana Ruiz".into());
    let mut app = App::new(config, NOW, 80, 24);
    update(
        &mut app,
        Action::BookLoaded(Box::new(book_data(leads, vec![]))),
    );
    app
}

pub(super) fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub(super) fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| key(app, KeyCode::Char(c)))
        .collect()
}

/// The queue's order as the lead index ranked it.
pub(super) fn order(app: &App) -> Vec<LeadId> {
    let index = &app.scoring.as_ref().unwrap().index;
    index
        .top(index.len(), &Default::default(), app.now)
        .iter()
        .map(|e| e.id)
        .collect()
}

pub(super) fn selected(app: &App) -> LeadId {
    app.queue.selected_id(&app.book).unwrap()
}

#[test]
fn an_empty_book_welcomes_and_offers_the_demo() {
    let mut app = loaded_app(vec![]);
    assert_eq!(app.screen, Screen::Welcome);
    assert_eq!(key(&mut app, KeyCode::Char('d')), vec![Effect::OpenDemo]);
    assert_eq!(app.screen, Screen::Loading);
}

#[test]
fn the_queue_is_ordered_and_only_the_visible_page_is_built() {
    let mut app = loaded_app(sample_leads(100));
    assert_eq!(app.screen, Screen::Queue);
    assert_eq!(app.queue.queue_len, 100);
    assert_eq!(app.queue.page.len(), app.page_height());
    let order = order(&app);
    let page: Vec<LeadId> = app.queue.page.iter().map(|r| r.id).collect();
    assert_eq!(page, order[..app.page_height()]);
    assert!(
        app.queue.page[0].probability.is_some(),
        "rows carry the score"
    );
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Down);
    assert_eq!(selected(&app), order[2]);
    key(&mut app, KeyCode::Char('k'));
    assert_eq!(selected(&app), order[1]);
    key(&mut app, KeyCode::Char('G'));
    assert_eq!(selected(&app), order[99]);
    assert_eq!(app.queue.page.last().unwrap().id, order[99]);
    assert_eq!(app.queue.page.len(), app.page_height());
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.queue.selected, app.page_height());
    key(&mut app, KeyCode::PageUp);
    assert_eq!(app.queue.selected, 0);
    update(&mut app, Action::Resize(80, 40));
    assert_eq!(app.queue.page.len(), 36);
}

#[test]
fn terminal_stages_stay_out_of_the_queue() {
    let mut leads = sample_leads(4);
    leads[1].stage = "Won".into();
    let app = loaded_app(leads);
    assert_eq!(app.queue.queue_len, 3);
    assert!(app.queue.page.iter().all(|r| r.id != 2));
}

#[test]
fn movement_compares_with_the_last_look() {
    let mut app = App::new(Config::defaults(), NOW, 80, 24);
    let order = order(&loaded_app(sample_leads(4)));
    let last_look = vec![(order[0], 1), (order[1], 4), (order[2], 2)];
    let data = book_data(sample_leads(4), last_look);
    update(&mut app, Action::BookLoaded(Box::new(data)));
    let moves: Vec<Movement> = app.queue.page.iter().map(|r| r.movement).collect();
    assert_eq!(
        moves,
        [
            Movement::Same,
            Movement::Up(2),
            Movement::Down(1),
            Movement::New
        ]
    );
    let effects = update(&mut app, Action::Quit);
    let [Effect::SaveFirstPage(page), save_look, Effect::Quit] = effects.as_slice() else {
        panic!("quit saves the first page and the ranks: {effects:?}");
    };
    assert_eq!(
        *save_look,
        Effect::SaveLastLook(order.iter().zip(1..).map(|(&id, r)| (id, r)).collect())
    );
    let saved: Vec<LeadId> = page.rows.iter().map(|r| r.id).collect();
    assert_eq!(
        saved, order,
        "the first page saved is the unfiltered queue's top"
    );
    assert_eq!(page.queue_len, 4);
}

#[test]
fn filters_narrow_the_queue_and_keep_global_ranks() {
    let mut app = loaded_app(sample_leads(9));
    key(&mut app, KeyCode::Char('m'));
    assert!(app.queue.filter.mine);
    let ids: Vec<LeadId> = app.queue.page.iter().map(|r| r.id).collect();
    let all = order(&app);
    let mine: Vec<LeadId> = all.iter().copied().filter(|id| id % 3 == 1).collect();
    assert_eq!(ids, mine, "Ana owns leads 1, 4 and 7");
    let rank = all.iter().position(|&id| id == mine[1]).unwrap() as u32 + 1;
    assert_eq!(
        app.queue.page[1].rank, rank,
        "ranks are ranks in the whole queue"
    );
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.queue.filter.stage.as_deref(), Some("New"));
    assert!(app.queue.page.iter().all(|r| r.stage == "New"));
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Char('t'));
    // Due before the end of today (10:00 + up to 14 h): leads 1–16 would be, we have 9.
    assert_eq!(app.queue.visible_len, 9);
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Char('o'));
    assert_eq!(app.queue.filter.owner.as_deref(), Some("Ana Ruiz"));
    assert_eq!(app.queue.visible_len, 3);
}

#[test]
fn a_large_queue_fetches_a_window_around_the_selection_not_the_whole_order() {
    let mut app = loaded_app(sample_leads(3_000));
    let all = order(&app);
    assert_eq!(app.queue.queue_len, all.len());
    assert!(
        app.queue.window.len() < all.len() / 4,
        "{} rows fetched for the first page",
        app.queue.window.len()
    );
    // The last lead: fetched from the bottom of the queue, not by ordering everything.
    key(&mut app, KeyCode::Char('G'));
    assert_eq!(selected(&app), *all.last().unwrap());
    assert!(app.queue.window.len() < all.len() / 4);
    assert_eq!(app.queue.page.last().unwrap().rank as usize, all.len());
    // Paging up from the bottom stays in queue order.
    key(&mut app, KeyCode::PageUp);
    let h = app.page_height();
    assert_eq!(selected(&app), all[all.len() - 1 - h]);
    // The middle, through search-like selection of a lead by id.
    let mid = all[all.len() / 2];
    let (book, scoring) = (&app.book, app.scoring.as_ref());
    assert!(app.queue.select_lead(book, scoring, None, app.now, mid));
    assert_eq!(app.queue.selected, all.len() / 2);
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(selected(&app), all[all.len() / 2 + 1]);
    // Under a filter, ranks are still whole-queue ranks.
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Char('o'));
    let owner = app.queue.filter.owner.clone().unwrap();
    for row in &app.queue.page {
        assert_eq!(row.owner, owner);
        let want = all.iter().position(|&id| id == row.id).unwrap() + 1;
        assert_eq!(row.rank as usize, want, "rank of lead {}", row.id);
    }
    // The detail of a filtered row says the same whole-queue rank.
    let shown = selected(&app);
    key(&mut app, KeyCode::Enter);
    let want = all.iter().position(|&id| id == shown).unwrap() as u32 + 1;
    assert_eq!(
        app.detail.as_ref().map(|d| (d.lead, d.rank)),
        Some((shown, Some(want)))
    );
    key(&mut app, KeyCode::Esc);
    // A lead deep in the filtered queue stays selected when the filter is cleared, at its
    // place in the whole queue, read as the stretch around it (not the top K down to it).
    let owned: Vec<LeadId> = all
        .iter()
        .copied()
        .filter(|&id| app.book.lead(id).unwrap().owner == owner)
        .collect();
    let deep = owned[owned.len() / 2];
    let (book, scoring) = (&app.book, app.scoring.as_ref());
    assert!(app.queue.select_lead(book, scoring, None, app.now, deep));
    key(&mut app, KeyCode::Char('c'));
    let at = all.iter().position(|&id| id == deep).unwrap();
    assert!(at > 1_024 && all.len() - at > 1_024, "lead at {at} is deep");
    assert_eq!((selected(&app), app.queue.selected), (deep, at));
    assert!(app.queue.window.len() < all.len() / 4);
    assert_eq!(
        app.queue.page.iter().find(|r| r.id == deep).unwrap().rank as usize,
        at + 1
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.detail.as_ref().map(|d| d.rank),
        Some(Some(at as u32 + 1))
    );
    key(&mut app, KeyCode::Esc);
    // Paging on from there reads on around the window, in queue order.
    for n in 1..=4 {
        key(&mut app, KeyCode::PageDown);
        assert_eq!(selected(&app), all[at + n * h], "page {n}");
        assert!(app.queue.window.len() < all.len() / 4);
    }
}

#[test]
fn an_import_runs_in_the_background_and_the_reload_keeps_the_view() {
    let mut app = loaded_app(sample_leads(30));
    key(&mut app, KeyCode::Char('o'));
    key(&mut app, KeyCode::Char('j'));
    let (filter, was) = (app.queue.filter.clone(), selected(&app));
    assert!(key(&mut app, KeyCode::Char('I')).is_empty());
    assert!(matches!(app.overlay, Some(Overlay::Import(_))));
    assert!(
        key(&mut app, KeyCode::Enter).is_empty(),
        "no path, no import"
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    typed(&mut app, &file.path().display().to_string());
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::ImportCsv(file.path().to_path_buf())]
    );
    assert!(app.importing && app.overlay.is_none());
    // The queue stays usable meanwhile; a second import waits for the first.
    key(&mut app, KeyCode::Char('I'));
    assert!(app.overlay.is_none() && app.toast.as_ref().unwrap().error);
    update(
        &mut app,
        Action::ImportProgress("importing x.csv: 50 %".into()),
    );
    assert!(app.toast.as_ref().unwrap().text.contains("50 %"));
    update(
        &mut app,
        Action::Imported(Ok("imported x.csv: 5 new".into())),
    );
    assert!(!app.importing);
    // The reload adds leads; the filter, the selected lead and the view stay.
    let data = book_data(sample_leads(35), vec![]);
    update(&mut app, Action::BookLoaded(Box::new(data)));
    assert_eq!(app.screen, Screen::Queue);
    assert_eq!(app.queue.filter, filter);
    assert_eq!(selected(&app), was);
    assert_eq!(app.queue.queue_len, 35);
}

#[test]
fn esc_and_a_key_read_together_as_alt_key_act_as_esc_then_the_key() {
    let mut app = loaded_app(sample_leads(5));
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "ai");
    let fx = update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::ALT)),
    );
    assert!(app.overlay.is_none(), "Esc closed the search");
    assert!(fx.contains(&Effect::Quit), "then q quit: {fx:?}");
}

#[test]
fn mine_without_me_explains_what_to_set() {
    let mut app = loaded_app(sample_leads(3));
    app.config.me = None;
    key(&mut app, KeyCode::Char('m'));
    assert!(!app.queue.filter.mine);
    assert!(app.toast.as_ref().unwrap().text.contains("me ="));
}

#[test]
fn search_narrows_incrementally_and_opens_the_lead() {
    let mut app = loaded_app(sample_leads(60));
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "ai");
    let Some(Overlay::Search(s)) = &app.overlay else {
        panic!()
    };
    assert_eq!(s.scanned, 60, "the first character scans the whole book");
    typed(&mut app, "ko");
    let Some(Overlay::Search(s)) = &app.overlay else {
        panic!()
    };
    let matched = s.total;
    assert!(
        s.scanned < 60,
        "a grown query only filters previous matches"
    );
    assert!(matched >= 10);
    let first = app.book.lead_at(s.hits[0].index).unwrap();
    assert!(first.name.starts_with("Aiko"), "{}", first.name);
    assert_eq!(s.hits[0].matched.len(), 4);
    key(&mut app, KeyCode::Backspace);
    let Some(Overlay::Search(s)) = &app.overlay else {
        panic!()
    };
    assert_eq!(s.scanned, 60, "a shrunk query scans again");
    key(&mut app, KeyCode::Char('o'));
    key(&mut app, KeyCode::Down);
    let Some(Overlay::Search(s)) = &app.overlay else {
        panic!()
    };
    let want = app.book.id_at(s.hits[1].index).unwrap();
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(effects, vec![Effect::LoadDetail(want)]);
    assert_eq!(app.screen, Screen::Detail);
    assert_eq!(selected(&app), want);
}

#[test]
fn detail_walks_the_queue_and_q_goes_back() {
    let mut app = loaded_app(sample_leads(5));
    let order = order(&app);
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::LoadDetail(order[0])]
    );
    assert_eq!(app.screen, Screen::Detail);
    assert_eq!(
        key(&mut app, KeyCode::Char('j')),
        vec![Effect::LoadDetail(order[1])]
    );
    key(&mut app, KeyCode::Char('?'));
    assert_eq!(app.overlay, Some(Overlay::Help));
    key(&mut app, KeyCode::Esc);
    assert_eq!((app.screen, &app.overlay), (Screen::Detail, &None));
    key(&mut app, KeyCode::Char('q'));
    assert_eq!(app.screen, Screen::Queue);
    assert_eq!(selected(&app), order[1]);
    let quit = key(&mut app, KeyCode::Char('q'));
    assert_eq!(quit.last(), Some(&Effect::Quit));
}

#[test]
fn toasts_expire_on_a_later_tick_only() {
    let mut app = loaded_app(sample_leads(2));
    update(&mut app, Action::Failed("disk full".into()));
    app.dirty = false;
    update(&mut app, Action::Tick(NOW + 1));
    assert!(app.toast.is_some() && !app.dirty);
    update(&mut app, Action::Tick(NOW + 60));
    assert!(app.toast.is_none() && app.dirty);
}

/// A console left open ages its scores: once the oldest of three visits is more than 30 days
/// old, "Engaged this month" no longer matches, without any write to the lead.
#[test]
fn ticks_move_scores_to_the_current_time_and_counter_windows_slide() {
    use crate::core::index::LeadIndex;
    use crate::core::model::Signal;
    use crate::core::priority::PriorityConfig;
    use crate::core::signals::SignalSummary;

    let leads = sample_leads(1);
    let card = Scorecard::new(RuleSet::default_rules(&mut RuleIds::default()), None);
    let engaged = card
        .rules()
        .find(|r| r.name == "Engaged this month")
        .expect("default rule")
        .id;
    let visits = SignalSummary::from_events([
        (Signal::WebVisit, NOW - 29 * DAY - 20 * HOUR),
        (Signal::WebVisit, NOW - 2 * DAY),
        (Signal::WebVisit, NOW - DAY),
    ]);
    let pipeline = Pipeline::default();
    let index = LeadIndex::build(
        &card,
        &pipeline,
        PriorityConfig::default(),
        NOW,
        [(&leads[0], visits)],
    );
    let mut data = book_data(leads, vec![]);
    data.scoring = Some(Scoring { card, index });
    let mut app = App::new(Config::defaults(), NOW, 80, 24);
    update(&mut app, Action::BookLoaded(Box::new(data)));
    let matched = |app: &App| {
        let index = &app.scoring.as_ref().unwrap().index;
        index
            .activations(1)
            .unwrap()
            .iter()
            .any(|(r, _)| *r == engaged)
    };
    assert!(matched(&app));
    // Within the same five minutes nothing is recomputed; a few hours later the oldest visit
    // has left the 30-day window.
    update(&mut app, Action::Tick(NOW + 60));
    assert!(matched(&app));
    update(&mut app, Action::Tick(NOW + 5 * HOUR));
    assert!(!matched(&app));
    assert_eq!(app.scoring.as_ref().unwrap().index.now(), NOW + 5 * HOUR);
}

/// A book load says how far it got: on the loading screen in words, and behind the saved
/// first page (its header: "ranked as at the last close · loading 81%") as a percentage.
#[test]
fn load_progress_shows_on_the_loading_screen_and_behind_the_saved_page() {
    let mut app = App::new(Config::defaults(), NOW, 80, 24);
    update(
        &mut app,
        Action::LoadProgress {
            read: 16_384,
            of: 40_000,
        },
    );
    assert_eq!(
        app.status.as_deref(),
        Some("loading the book: 16,384 of 40,000 leads read")
    );
    super::first_page::show(
        &mut app,
        super::first_page::FirstPage {
            label: "book".into(),
            queue_len: 40_000,
            ..Default::default()
        },
    );
    let status = app.status.clone();
    update(
        &mut app,
        Action::LoadProgress {
            read: 32_768,
            of: 40_000,
        },
    );
    assert_eq!(app.load_progress, Some((32_768, 40_000)));
    assert_eq!(app.status, status, "the preview keeps its own status");
    update(&mut app, Action::BookLoaded(Box::default()));
    assert_eq!(app.load_progress, None);
}
