//! Switching between the queue, board and accounts views, and the board's and accounts'
//! actions: selection, opening a lead, moving a card between stages and undoing it.

use crate::core::text::sanitize;

use super::{Action, App, Effect, Screen};

/// Handles what must happen before the common update: returning from a lead opened on the
/// board or accounts view, and noting that the book changed. `Some` when it handled `action`.
pub(super) fn intercept(app: &mut App, action: &Action) -> Option<Vec<Effect>> {
    match action {
        Action::Back if app.overlay.is_none() && app.screen == Screen::Detail => {
            let from = app.detail_from.take()?;
            app.detail = None;
            app.screen = from;
            refresh(app);
            Some(vec![])
        }
        Action::BookLoaded(_) => {
            app.board.stale = true;
            app.accounts.stale = true;
            app.detail_from = None;
            None
        }
        Action::OutcomeLogged(_) | Action::OutcomeUndone(_) => {
            app.board.stale = true;
            app.accounts.stale = true;
            None
        }
        _ => None,
    }
}

/// Rebuilds what the current view shows when the book changed, and lays it out.
fn refresh(app: &mut App) {
    let now = app.now;
    match app.screen {
        Screen::Board => {
            if app.board.stale || app.board.columns.is_empty() {
                app.board.rebuild(&app.book, app.scoring.as_ref());
            }
            layout_board(app);
        }
        Screen::Accounts if app.accounts.stale || !app.accounts.built => {
            app.accounts.rebuild(app.scoring.as_ref(), now, app.height);
        }
        Screen::Queue if app.board.queue_stale => {
            app.board.queue_stale = false;
            let keep = app.queue.selected_id(&app.book);
            app.rerank(keep);
        }
        Screen::Queue => app.rebuild_page(),
        _ => {}
    }
}

/// Ticks without a key after which the console counts as idle (at least a second).
pub const IDLE_TICKS: u8 = 2;

/// While nobody types, brings the accounts roll-up up to date with the book, so that the
/// next switch to the accounts view only draws: at a million leads the roll-up is a pass of
/// tens of milliseconds, too long for a keystroke but unnoticed in an idle second. A switch
/// within a second of a change still rolls up on the key.
pub(super) fn warm_when_idle(app: &mut App) {
    if app.ticks_since_key >= IDLE_TICKS {
        warm_accounts(app);
        warm_board(app);
    }
}

/// Brings the board's columns and the cards its first screen shows up to date with the book,
/// if they are not: at a million leads each column's cards are a pass over the stage's
/// leads, tens of milliseconds for a screen of columns — done as the book loads and in idle
/// seconds, so that switching to the board only draws.
pub(super) fn warm_board(app: &mut App) {
    let ready = !matches!(app.screen, Screen::Loading | Screen::Welcome) && !app.preview;
    if ready && app.scoring.is_some() && (app.board.stale || app.board.columns.is_empty()) {
        app.board.rebuild(&app.book, app.scoring.as_ref());
        layout_board(app);
        app.dirty |= app.screen == Screen::Board;
    }
}

/// Brings the accounts roll-up up to date with the book now, if it is not (also right after
/// the book loads, where one pass more is not felt).
pub(super) fn warm_accounts(app: &mut App) {
    let ready = !matches!(app.screen, Screen::Loading | Screen::Welcome) && !app.preview;
    if ready && app.scoring.is_some() && (app.accounts.stale || !app.accounts.built) {
        let now = app.now;
        app.accounts.rebuild(app.scoring.as_ref(), now, app.height);
        app.dirty |= app.screen == Screen::Accounts;
    }
}

fn layout_board(app: &mut App) {
    let (w, h, now) = (app.width, app.height, app.now);
    app.board.layout(&app.book, app.scoring.as_ref(), w, h, now);
}

/// The board's and accounts' actions and view switching.
pub(super) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    use Action::*;
    let ready = !matches!(app.screen, Screen::Loading | Screen::Welcome);
    match action {
        ShowQueue | ShowBoard | ShowAccounts if ready => {
            app.overlay = None;
            app.detail = None;
            app.detail_from = None;
            app.screen = match action {
                ShowQueue => Screen::Queue,
                ShowBoard => Screen::Board,
                _ => Screen::Accounts,
            };
            refresh(app);
            vec![]
        }
        ItemNext | ItemPrev => {
            let delta = if action == ItemNext { 1 } else { -1 };
            match app.screen {
                Screen::Board => {
                    app.board.move_by(delta);
                    layout_board(app);
                }
                Screen::Accounts if app.accounts.move_by(delta, app.height) => {
                    let now = app.now;
                    app.accounts.select_account(app.scoring.as_ref(), now);
                }
                _ => {}
            }
            vec![]
        }
        PaneLeft | PaneRight => {
            let right = action == PaneRight;
            match app.screen {
                Screen::Board => {
                    app.board.focus_by(if right { 1 } else { -1 });
                    layout_board(app);
                }
                Screen::Accounts => app.accounts.in_leads = right && !app.accounts.leads.is_empty(),
                _ => {}
            }
            vec![]
        }
        OpenItem => {
            let id = match app.screen {
                Screen::Board => app.board.selected_id(),
                Screen::Accounts => app.accounts.selected_lead(),
                _ => None,
            };
            match id {
                Some(id) => {
                    app.detail_from = Some(app.screen);
                    app.open_detail(id)
                }
                None => vec![],
            }
        }
        StageBack | StageForward if app.screen == Screen::Board => {
            let Some(id) = app.board.selected_id() else {
                return vec![];
            };
            let stages = &app.board.columns;
            let to = if action == StageForward {
                stages.get(app.board.focus + 1)
            } else {
                app.board.focus.checked_sub(1).and_then(|i| stages.get(i))
            };
            match to {
                Some(c) => vec![Effect::MoveStage {
                    lead: id,
                    to: c.stage.clone(),
                }],
                None => {
                    app.toast("no stage further that way", false);
                    vec![]
                }
            }
        }
        UndoStageMove => match app.board.undo.last() {
            Some((mv, _)) => vec![Effect::UndoStageMove(mv.clone())],
            None => {
                app.toast("no stage move to undo in this session", false);
                vec![]
            }
        },
        StageMoved(done) => {
            let (mv, lead) = *done;
            let before = app.board.last_activity.insert(lead.id, mv.at);
            app.board.undo.push((mv.clone(), before));
            app.toast(
                format!(
                    "moved {} {} → {} · u undoes",
                    sanitize(&lead.name),
                    sanitize(&mv.from),
                    sanitize(&mv.to)
                ),
                false,
            );
            apply_stored(app, lead, &mv.from, &mv.to);
            vec![]
        }
        StageMoveUndone(done) => {
            let (mv, lead) = *done;
            if let Some(pos) = app.board.undo.iter().rposition(|(m, _)| *m == mv) {
                let (_, before) = app.board.undo.remove(pos);
                match before {
                    Some(t) => app.board.last_activity.insert(lead.id, t),
                    None => app.board.last_activity.remove(lead.id),
                };
            }
            app.toast(
                format!(
                    "undid the move of {} · back in {}",
                    sanitize(&lead.name),
                    sanitize(&lead.stage)
                ),
                false,
            );
            apply_stored(app, lead, &mv.to, &mv.from);
            vec![]
        }
        _ => vec![],
    }
}

/// Takes a lead as stored after a stage change into the book, the index and the board's
/// totals, and refetches the two columns it touched.
fn apply_stored(app: &mut App, lead: crate::core::model::Lead, from: &str, to: &str) {
    let now = app.now;
    let p_of = |app: &App, id| {
        app.scoring
            .as_ref()
            .and_then(|s| s.index.entry(id, now))
            .map(|e| e.priority.probability)
    };
    // The lead as the totals counted it: the move changed its stage alone, and the index
    // holds the deal value they were counted with (the book reads the store, which holds
    // the moved lead already — and an import running beside may have filled in its value).
    if app.book.index_of(lead.id).is_some() {
        let deal_value = match app.scoring.as_ref() {
            Some(s) => s.index.deal_value_of(lead.id),
            None => lead.deal_value,
        };
        let old = crate::core::model::Lead {
            stage: from.to_string(),
            deal_value,
            ..lead.clone()
        };
        let p = p_of(app, old.id);
        app.board.account_for(&old, p, -1.0);
    }
    if let Some(s) = app.scoring.as_mut() {
        s.rescore(&lead);
    }
    let p = p_of(app, lead.id);
    app.board.account_for(&lead, p, 1.0);
    app.book.replace(lead);
    app.board.invalidate(from);
    app.board.invalidate(to);
    app.accounts.stale = true;
    // The queue is re-ranked when it is next shown, not on every move.
    app.board.queue_stale = true;
    if app.screen == Screen::Board {
        layout_board(app);
    }
}
