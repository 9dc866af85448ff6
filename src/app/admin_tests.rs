//! Rules admin and dashboard: update() without a terminal, and the dashboard's numbers against
//! the same figures counted independently from a stored book.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::admin::RuleField;
use super::admin_data::{AdminData, load_admin, load_dashboard, preview};
use super::tests::{NOW, loaded_app, sample_leads};
use super::{Action, App, Effect, Overlay, Screen, update};
use crate::core::model::{Activity, ActivityKind, DAY, Lead};
use crate::store::Store;
use crate::store::worklog::{LogRequest, log_outcome};

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn store_with_book() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("book.db")).unwrap();
    store.insert_leads(&sample_leads(12)).unwrap();
    (dir, store)
}

/// The app in the rules view with the admin data of a fresh store.
fn admin_app() -> (App, AdminData) {
    let (_dir, store) = store_with_book();
    let data = load_admin(&store).unwrap();
    let mut app = loaded_app(sample_leads(12));
    assert_eq!(press(&mut app, KeyCode::Char('4')), vec![Effect::LoadAdmin]);
    assert_eq!(app.screen, Screen::Rules);
    update(&mut app, Action::AdminLoaded(Box::new(data.clone())));
    (app, data)
}

#[test]
fn editing_validates_as_you_type_and_saves_into_a_draft() {
    let (mut app, data) = admin_app();
    press(&mut app, KeyCode::Char('e'));
    let Some(Overlay::RuleForm(form)) = &app.overlay else {
        panic!("the form should open");
    };
    assert_eq!(form.field, RuleField::Points);
    // Break the condition: the error names its column.
    press(&mut app, KeyCode::Up);
    typed(&mut app, " and (");
    let Some(Overlay::RuleForm(form)) = &app.overlay else {
        panic!()
    };
    let (col, _) = form
        .when_error
        .clone()
        .expect("an unfinished condition is an error");
    assert!(col > 1);
    // Enter refuses an invalid form.
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Some(Overlay::RuleForm(_))));
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Down);
    // Points: replace with 40.
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    typed(&mut app, "40");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none(), "a valid form saves and closes");
    let first = &data.set.rules[0];
    let edited = &app.admin.draft.as_ref().unwrap().0.rules[0];
    assert_eq!(edited.points, 40.0);
    assert_eq!(edited.condition.source(), first.condition.source());
    // The published set is untouched until publish.
    assert_eq!(
        app.admin.data.as_ref().unwrap().set.rules[0].points,
        first.points
    );
}

#[test]
fn lock_disable_delete_change_the_draft_and_discard_drops_it() {
    let (mut app, data) = admin_app();
    let n = data.set.rules.len();
    press(&mut app, KeyCode::Char('L'));
    assert!(app.admin.rules()[0].locked);
    press(&mut app, KeyCode::Char('x'));
    assert!(!app.admin.rules()[0].enabled);
    press(&mut app, KeyCode::Char('D'));
    assert_eq!(app.admin.rules().len(), n - 1);
    press(&mut app, KeyCode::Char('X'));
    assert!(app.admin.draft.is_none());
    assert_eq!(app.admin.rules().len(), n);
    assert!(!app.admin.rules()[0].locked);
}

#[test]
fn a_changed_condition_is_previewed_on_the_worker_and_publish_needs_a_preview() {
    let (dir, store) = store_with_book();
    let _keep = dir;
    let data = load_admin(&store).unwrap();
    let mut app = loaded_app(sample_leads(12));
    press(&mut app, KeyCode::Char('4'));
    update(&mut app, Action::AdminLoaded(Box::new(data)));
    assert!(
        press(&mut app, KeyCode::Char('P')).is_empty(),
        "nothing to publish yet"
    );
    // A new condition changes which leads the rule matches: only the database can say.
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Up);
    typed(&mut app, " or title = \"CEO\"");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    let fx = press(&mut app, KeyCode::Char('p'));
    let [Effect::PreviewRules(text)] = fx.as_slice() else {
        panic!("preview is an effect for the worker: {fx:?}");
    };
    assert!(app.admin.previewing);
    let p = preview(&store, text, NOW).unwrap();
    assert_eq!(p.leads, 12);
    update(&mut app, Action::PreviewReady(Box::new(p)));
    assert!(app.admin.preview.is_some());
    let fx = press(&mut app, KeyCode::Char('P'));
    assert_eq!(fx, vec![Effect::PublishRules(text.clone())]);
    let fx = update(&mut app, Action::RulesPublished(2));
    assert_eq!(fx, vec![Effect::LoadBook, Effect::LoadAdmin]);
    assert!(app.admin.draft.is_none() && app.admin.preview.is_none());
}

/// The app scored from `store` as the worker loads it, in the rules view.
fn app_from_store(store: &Store) -> App {
    let leads: Vec<Lead> = store.leads().collect::<Result<_, _>>().unwrap();
    let card = store.scorecard().unwrap();
    let index = store.build_index(&card, Default::default(), NOW).unwrap();
    let mut data = super::tests::book_data(leads, vec![]);
    data.scoring = Some(super::scoring::Scoring { card, index });
    let mut app = App::new(super::config::Config::defaults(), NOW, 80, 24);
    update(&mut app, Action::BookLoaded(Box::new(data)));
    press(&mut app, KeyCode::Char('4'));
    update(
        &mut app,
        Action::AdminLoaded(Box::new(load_admin(store).unwrap())),
    );
    app
}

#[test]
fn a_draft_that_only_moves_weights_is_previewed_and_published_in_place_as_the_database_would() {
    let (_dir, store) = store_with_book();
    // Learned weights away from the priors: a rule whose points stay keeps its learned one.
    let mut learned = store.scorecard().unwrap().weights().clone();
    for (i, w) in learned.rules.values_mut().enumerate() {
        *w += 0.05 * (i as f64 + 1.0);
    }
    learned.bias -= 0.3;
    store.save_weights(&learned, NOW - DAY).unwrap();
    let mut app = app_from_store(&store);
    // Raise the first rule's points, lock the second, disable the third, delete the fourth.
    press(&mut app, KeyCode::Char('e'));
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    typed(&mut app, "55");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('L'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('x'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('D'));
    let fx = press(&mut app, KeyCode::Char('p'));
    assert!(fx.is_empty(), "no database work: {fx:?}");
    assert!(!app.admin.previewing);
    let quick = app.admin.preview.clone().expect("previewed at once");
    let slow = preview(&store, &quick.text, NOW).unwrap();
    assert!(quick.changed > 0, "the draft changes scores");
    assert_eq!(quick.leads, slow.leads);
    assert_eq!(quick.changed, slow.changed);
    assert_eq!(quick.max_change, slow.max_change);
    assert!((quick.mean_change - slow.mean_change).abs() < 1e-9);
    assert_eq!(quick.before_top, slow.before_top);
    assert_eq!(quick.after_top, slow.after_top);
    // Publishing stores exactly the previewed draft, and the console re-ranks in place to
    // the scores a reload of the stored book gives.
    let fx = press(&mut app, KeyCode::Char('P'));
    assert_eq!(fx, vec![Effect::PublishRules(quick.text.clone())]);
    let (version, _) = store
        .publish_rules(&quick.text, "edited in the console", NOW)
        .unwrap();
    let fx = update(&mut app, Action::RulesPublished(version));
    assert_eq!(fx, vec![Effect::LoadAdmin], "no reload of the book");
    let stored = store
        .build_index(&store.scorecard().unwrap(), Default::default(), NOW)
        .unwrap();
    let live = &app.scoring.as_ref().unwrap().index;
    for lead in app.book.leads.iter() {
        let (a, b) = (live.logit(lead.id).unwrap(), stored.logit(lead.id).unwrap());
        assert!(
            (a - b).abs() < 1e-9,
            "lead {}: {a} live, {b} stored",
            lead.id
        );
    }
    let ids = |i: &crate::core::index::LeadIndex| -> Vec<_> {
        i.top(20, &Default::default(), NOW)
            .iter()
            .map(|e| e.id)
            .collect()
    };
    assert_eq!(ids(live), ids(&stored));
    let after: Vec<_> = quick.after_top.iter().map(|r| r.lead).collect();
    assert_eq!(
        ids(live)[..after.len()],
        after[..],
        "the queue the preview showed"
    );
}

#[test]
fn a_preview_counts_exactly_the_leads_whose_score_changes() {
    let (_dir, store) = store_with_book();
    let set = store.current_rules().unwrap();
    let card = store.scorecard().unwrap();
    let index = store.build_index(&card, Default::default(), NOW).unwrap();
    // Raise the first rule by 20 points: exactly the leads it matches change.
    let mut draft = set.clone();
    draft.rules[0].points += 20.0;
    let p = preview(&store, &draft.to_toml(), NOW).unwrap();
    assert_eq!(p.changed, index.matches(set.rules[0].id));
    if p.changed > 0 {
        assert_eq!(p.max_change, 20);
    }
}

fn won_and_lost_book(store: &Store) -> Vec<Lead> {
    let leads = store.leads().collect::<Result<Vec<_>, _>>().unwrap();
    let req = |o: &str, v| LogRequest {
        outcome: o.into(),
        note: String::new(),
        value: v,
        follow_up: None,
    };
    log_outcome(
        store,
        leads[0].id,
        &req("won", Some(5000.0)),
        vec![],
        None,
        NOW - 3 * DAY,
    )
    .unwrap();
    log_outcome(
        store,
        leads[1].id,
        &req("won", Some(1000.0)),
        vec![],
        None,
        NOW - 2 * DAY,
    )
    .unwrap();
    log_outcome(
        store,
        leads[2].id,
        &req("lost", None),
        vec![],
        None,
        NOW - DAY,
    )
    .unwrap();
    store
        .add_activity(&Activity {
            lead: leads[3].id,
            at: NOW - 20 * DAY,
            kind: ActivityKind::StageChange {
                from: "New".into(),
                to: "Qualified".into(),
            },
            detail: String::new(),
        })
        .unwrap();
    store.leads().collect::<Result<Vec<_>, _>>().unwrap()
}

#[test]
fn dashboard_numbers_match_an_independent_count_of_the_stored_book() {
    let (_dir, store) = store_with_book();
    let leads = won_and_lost_book(&store);
    let d = load_dashboard(&store, None, NOW).unwrap();
    // The console passes the live index's probabilities instead of scoring the book again:
    // the same dashboard.
    let card = store.scorecard().unwrap();
    let index = store
        .build_index(&card, crate::core::priority::PriorityConfig::default(), NOW)
        .unwrap();
    assert_eq!(
        load_dashboard(&store, Some(index.score_histogram()), NOW).unwrap(),
        d
    );
    // Independent counts from the stored leads.
    let won: Vec<&Lead> = leads.iter().filter(|l| l.stage == "Won").collect();
    let lost = leads.iter().filter(|l| l.stage == "Lost").count();
    assert_eq!((won.len(), lost), (2, 1));
    let values: Vec<f64> = won.iter().filter_map(|l| l.deal_value).collect();
    assert_eq!(
        d.avg_deal_size,
        Some(values.iter().sum::<f64>() / values.len() as f64)
    );
    let mut cycles: Vec<f64> = won
        .iter()
        .map(|l| (l.stage_entered - l.created) as f64 / DAY as f64)
        .collect();
    cycles.sort_by(f64::total_cmp);
    assert_eq!(d.median_cycle_days, Some((cycles[0] + cycles[1]) / 2.0));
    let closed: usize = d.by_source.iter().map(|w| w.closed).sum();
    let won_n: usize = d.by_owner.iter().map(|w| w.won).sum();
    assert_eq!((closed, won_n), (3, 2));
    // Every lead reached the first stage; Qualified counts the leads in it or later, or that
    // ever moved into or out of one of those stages.
    assert_eq!(d.funnel[0].reached, leads.len());
    let later = ["Qualified", "Proposal", "Negotiation", "Won"];
    let moved: Vec<_> = store
        .activities()
        .map(Result::unwrap)
        .filter_map(|a| match a.kind {
            ActivityKind::StageChange { from, to } => Some((a.lead, from, to)),
            _ => None,
        })
        .collect();
    let expected = leads
        .iter()
        .filter(|l| {
            later.contains(&l.stage.as_str())
                || moved.iter().any(|(id, from, to)| {
                    *id == l.id && (later.contains(&from.as_str()) || later.contains(&to.as_str()))
                })
        })
        .count();
    let qualified = d.funnel.iter().find(|f| f.stage == "Qualified").unwrap();
    assert_eq!(qualified.reached, expected);
    assert_eq!(d.score_histogram.iter().sum::<u64>(), leads.len() as u64);
    // Now: every lead is in its current stage.
    let now_col = d.snapshot_times.len() - 1;
    let in_won = d.stage_history.iter().find(|(s, _)| s == "Won").unwrap().1[now_col];
    assert_eq!(in_won, 2);
}

/// Leaving the dashboard before its figures come gives the request up (at a million leads
/// it is most of a minute of reading on the worker); coming back asks again, and pressing
/// its key again while it is computed does not ask twice.
#[test]
fn leaving_the_dashboard_before_it_comes_cancels_its_computation() {
    let mut app = loaded_app(sample_leads(20));
    let asked = update(&mut app, Action::ShowDashboard);
    assert!(matches!(asked.as_slice(), [Effect::LoadDashboard(Some(_))]));
    assert_eq!(app.status.as_deref(), Some("computing the dashboard…"));
    assert!(update(&mut app, Action::ShowDashboard).is_empty());

    let left = update(&mut app, Action::ShowQueue);
    assert_eq!(left, vec![Effect::CancelDashboard]);
    assert_eq!(app.screen, Screen::Queue);
    assert_eq!(app.status, None, "nothing is being computed any more");
    // Moving about the queue afterwards cancels nothing more.
    assert!(!press(&mut app, KeyCode::Char('j')).contains(&Effect::CancelDashboard));

    assert!(matches!(
        update(&mut app, Action::ShowDashboard).as_slice(),
        [Effect::LoadDashboard(Some(_))]
    ));
    // Once it came, leaving has nothing to cancel.
    let (_dir, store) = store_with_book();
    won_and_lost_book(&store);
    let d = load_dashboard(&store, None, NOW).unwrap();
    update(&mut app, Action::DashboardLoaded(Box::new(d)));
    assert!(update(&mut app, Action::ShowQueue).is_empty());
}

/// A dashboard read on a handle that was given up ends with `Stopped` (the worker then
/// sends nothing); on one still wanted it is the plain dashboard.
#[test]
fn a_dashboard_read_ends_when_it_is_no_longer_wanted() {
    let (_dir, store) = store_with_book();
    won_and_lost_book(&store);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let job = store.stoppable(stop.clone());
    assert_eq!(
        load_dashboard(&job, None, NOW).unwrap(),
        load_dashboard(&store, None, NOW).unwrap()
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(matches!(
        load_dashboard(&job, None, NOW),
        Err(crate::store::StoreError::Stopped { .. })
    ));
}
