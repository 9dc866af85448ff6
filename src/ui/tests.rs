//! Every view drawn at 80×24 on a test backend and compared with its accepted snapshot; colours
//! checked where they carry meaning.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

use crate::app::action::DetailData;
use crate::app::tests::{NOW, loaded_app, sample_leads};
use crate::app::{Action, App, update};
use crate::core::model::{Activity, ActivityKind, AttrValue, DAY, Signal};

fn render(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| super::draw(f, app)).unwrap();
    terminal
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\t' => KeyCode::Tab,
            c => KeyCode::Char(c),
        };
        update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

/// Finds the first cell where `text` starts on screen.
fn find(buf: &Buffer, text: &str) -> Option<(u16, u16)> {
    let area = buf.area;
    for y in 0..area.height {
        let line: String = (0..area.width).map(|x| buf[(x, y)].symbol()).collect();
        if let Some(byte) = line.find(text) {
            let x = line[..byte].chars().count() as u16;
            return Some((x, y));
        }
    }
    None
}

fn detail_app() -> App {
    let mut leads = sample_leads(12);
    leads[1].phone = "+44 20 7946 0000".into();
    leads[1].attrs.insert(
        "Lead Source Detail".into(),
        AttrValue::Text("Webinar Q3".into()),
    );
    leads[1].deal_value = Some(24000.0);
    leads[1].email = "john.smith@gmail.com".into();
    leads[1].country = "GB".into();
    leads[1].industry = "Software".into();
    leads[1].source = "Website".into();
    let mut app = loaded_app(leads);
    app.queue.selected = app.queue.position_of(&app.book, 2).unwrap();
    keys(&mut app, "\n");
    let lead = app.book.lead(2).unwrap().clone();
    update(
        &mut app,
        Action::DetailLoaded(Box::new(DetailData {
            activities: vec![
                Activity {
                    lead: 2,
                    at: NOW - 5 * DAY,
                    kind: ActivityKind::Signal(Signal::WebVisit),
                    detail: "/pricing".into(),
                },
                Activity {
                    lead: 2,
                    at: NOW - 2 * DAY,
                    kind: ActivityKind::Signal(Signal::EmailReply),
                    detail: String::new(),
                },
            ],
            outcomes: vec![],
            lead,
        })),
    );
    app
}

#[test]
fn a_long_timeline_scrolls_with_the_page_keys() {
    let mut app = detail_app();
    let Some(d) = app.detail.as_mut().and_then(|d| d.data.as_mut()) else {
        panic!("detail loaded")
    };
    d.activities = (0..60)
        .map(|i| Activity {
            lead: 2,
            at: NOW - (60 - i) * DAY,
            kind: ActivityKind::Signal(Signal::WebVisit),
            detail: format!("/page-{i}"),
        })
        .collect();
    let text = |app: &App| {
        let t = render(app, 80, 24);
        let buf = t.backend().buffer();
        (0..buf.area.height)
            .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let first = text(&app);
    assert!(
        first.contains("/page-59") && first.contains("older (PgDn)"),
        "{first}"
    );
    assert!(!first.contains("/page-0\u{20}"));
    for _ in 0..10 {
        update(
            &mut app,
            Action::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)),
        );
    }
    let last = text(&app);
    assert!(
        last.contains("/page-0 ") && last.contains("newer above"),
        "{last}"
    );
    assert!(!last.contains("/page-59"));
}

#[test]
fn queue_view() {
    let mut app = loaded_app(sample_leads(40));
    keys(&mut app, "jj");
    let t = render(&app, 80, 24);
    insta::assert_snapshot!("queue", t.backend());
    let buf = t.backend().buffer();
    let (x, y) = find(buf, "overdue 1h").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red, "overdue follow-ups are red");
    assert!(
        find(buf, "sort: p × value").is_some(),
        "the sort key is always shown"
    );
}

/// Behind the saved first page the header says whose ranking is on screen and how far the
/// load got.
#[test]
fn the_saved_page_header_shows_the_load_progress() {
    let mut app = App::new(crate::app::config::Config::defaults(), NOW, 120, 24);
    crate::app::first_page::show(
        &mut app,
        crate::app::first_page::FirstPage {
            label: "book".into(),
            queue_len: 1_000_000,
            ..Default::default()
        },
    );
    let t = render(&app, 120, 24);
    assert!(
        find(
            t.backend().buffer(),
            "ranked as at the last close · loading the book…"
        )
        .is_some()
    );
    update(
        &mut app,
        Action::LoadProgress {
            read: 540_672,
            of: 1_000_000,
        },
    );
    let t = render(&app, 120, 24);
    assert!(
        find(
            t.backend().buffer(),
            "ranked as at the last close · loading 54%"
        )
        .is_some(),
        "{:?}",
        t.backend()
    );
}

#[test]
fn detail_view_with_waterfall_colours() {
    let app = detail_app();
    let t = render(&app, 80, 24);
    insta::assert_snapshot!("detail", t.backend());
    let buf = t.backend().buffer();
    let (x, y) = find(buf, "-20").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red, "negative contributions are red");
    let (x, y) = find(buf, "+18").unwrap();
    assert_eq!(
        buf[(x, y)].fg,
        Color::Green,
        "positive contributions are green"
    );
}

#[test]
fn log_outcome_modal() {
    let mut app = loaded_app(sample_leads(10));
    // A note typed first, then 4 picks (it would log at once on an empty form).
    keys(&mut app, "l\tcalled, wants a demo");
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::NONE)),
    );
    keys(&mut app, "4\t\t");
    let t = render(&app, 80, 24);
    insta::assert_snapshot!("log_outcome", t.backend());
}

#[test]
fn search_overlay_highlights_matches() {
    let mut app = loaded_app(sample_leads(30));
    keys(&mut app, "/aiko");
    let t = render(&app, 80, 24);
    insta::assert_snapshot!("search", t.backend());
    let buf = t.backend().buffer();
    let (x, y) = find(buf, "Aiko").unwrap();
    assert_eq!(
        buf[(x, y)].fg,
        Color::Yellow,
        "matched characters are highlighted"
    );
}

#[test]
fn help_overlay() {
    let mut app = loaded_app(sample_leads(10));
    keys(&mut app, "?");
    insta::assert_snapshot!("help", render(&app, 80, 24).backend());
}

#[test]
fn welcome_screen() {
    let app = loaded_app(vec![]);
    insta::assert_snapshot!("welcome", render(&app, 80, 24).backend());
}

#[test]
fn a_too_small_terminal_gets_a_message_not_a_panic() {
    let mut app = loaded_app(sample_leads(10));
    for (w, h) in [(59, 24), (80, 15), (1, 1), (0, 0)] {
        update(&mut app, Action::Resize(w, h));
        let t = render(&app, w, h);
        if w >= 40 {
            let text = format!("{}", t.backend());
            assert!(text.contains("need 60×16"), "{text}");
        }
    }
    update(&mut app, Action::Resize(60, 16));
    let t = render(&app, 60, 16);
    assert!(find(t.backend().buffer(), "enlarge").is_none());
}

#[test]
fn data_cannot_drive_the_terminal() {
    let mut leads = sample_leads(3);
    leads[0].name = "Evil\u{1b}]0;pwned\u{7} Lead".into();
    leads[0].account = "Acme\u{1b}[2J".into();
    let app = loaded_app(leads);
    let t = render(&app, 80, 24);
    let text = format!("{}", t.backend());
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'));
    assert!(text.contains("Evil\u{FFFD}]0;pwned\u{FFFD}"), "{text}");
}

/// The rules admin, its rule form and its what-if preview, and the dashboard, at 80×24.
#[test]
fn rules_admin_preview_and_dashboard_snapshots() {
    use crate::app::admin_data::{load_admin, load_dashboard, preview};
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(&dir.path().join("book.db")).unwrap();
    store.insert_leads(&sample_leads(12)).unwrap();
    let mut app = loaded_app(sample_leads(12));
    keys(&mut app, "4");
    update(
        &mut app,
        Action::AdminLoaded(Box::new(load_admin(&store).unwrap())),
    );
    insta::assert_snapshot!("rules_admin", render(&app, 80, 24).backend());
    keys(&mut app, "e");
    insta::assert_snapshot!("rules_form", render(&app, 80, 24).backend());
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
    );
    let mut draft = app.admin.data.as_ref().unwrap().set.clone();
    draft.rules[0].points += 30.0;
    keys(&mut app, "L");
    let p = preview(&store, &draft.to_toml(), NOW).unwrap();
    update(&mut app, Action::PreviewReady(Box::new(p)));
    insta::assert_snapshot!("rules_preview", render(&app, 80, 24).backend());
    keys(&mut app, "5");
    update(
        &mut app,
        Action::DashboardLoaded(Box::new(load_dashboard(&store, None, NOW).unwrap())),
    );
    insta::assert_snapshot!("dashboard", render(&app, 80, 24).backend());
}
