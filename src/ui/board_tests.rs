//! The board and accounts views at 80×24 against their accepted snapshots; stale cards
//! checked for both their colour and their `!` marker.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::tests::{NOW, loaded_app, sample_leads};
use crate::app::{Action, App, update};
use crate::core::model::DAY;

fn render(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| super::draw(f, app)).unwrap();
    terminal
}

fn press(app: &mut App, c: char) {
    update(
        app,
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
    );
}

fn board_app() -> App {
    let mut leads = sample_leads(12);
    for l in &mut leads {
        l.deal_value = Some(1500.0 * l.id as f64);
    }
    leads[0].stage_entered = NOW - 5 * DAY;
    let mut app = loaded_app(leads);
    press(&mut app, '2');
    app
}

#[test]
fn board_view() {
    let app = board_app();
    let t = render(&app);
    insta::assert_snapshot!("board", t.backend());
    // The stale card (lead 1, 5 days in New, which rots after 3) is marked and coloured.
    let buf = t.backend().buffer();
    let name = "Maria Lopez 1";
    let (x, y) = (0..24)
        .find_map(|y| {
            let line: String = (0..80).map(|x| buf[(x, y)].symbol()).collect();
            line.find(name)
                .map(|b| (line[..b].chars().count() as u16, y))
        })
        .expect("stale card on screen");
    let row: String = (0..x).map(|x| buf[(x, y)].symbol()).collect();
    assert!(row.trim_end().ends_with(|c: char| c.is_ascii_digit()));
    assert!(row.contains('!'), "stale marker before the score: {row:?}");
    assert_eq!(buf[(x, y)].fg, app.config.theme.warning);
}

#[test]
fn board_scrolls_to_the_columns_off_screen() {
    let mut app = board_app();
    for _ in 0..7 {
        press(&mut app, 'l');
    }
    let t = render(&app);
    let top: String = (0..80)
        .map(|x| t.backend().buffer()[(x, 1)].symbol())
        .collect();
    assert!(top.contains("Nurture"), "{top}");
    assert!(!top.contains("New 8"), "{top}");
}

#[test]
fn accounts_view() {
    let mut leads = sample_leads(12);
    for l in &mut leads {
        l.deal_value = Some(1500.0 * l.id as f64);
    }
    let mut app = loaded_app(leads);
    press(&mut app, '3');
    insta::assert_snapshot!("accounts", render(&app).backend());
}
