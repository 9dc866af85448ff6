//! What the console does when the book changes under it: the book loading and (re)loaded, a
//! lead's details read, an outcome logged or undone, and the clock moving its scores. Each
//! re-scores and re-ranks what it must and says so.

use super::*;
use crate::core::clock::format_datetime;

/// The book was read (at start, or again after an import or a publish).
pub(super) fn on_book_loaded(app: &mut App, mut data: Box<BookData>) -> Vec<Effect> {
    app.status = None;
    app.preview = false;
    app.load_progress = None;
    // A reload of the same book (after an import, a publish) keeps what the user
    // was looking at: the view, the filter and the selected lead.
    let reload = data.label == app.book.label && !app.book.leads.is_empty();
    let keep = reload.then(|| app.queue.selected_id(&app.book)).flatten();
    let filter = if reload {
        std::mem::take(&mut app.queue.filter)
    } else {
        Default::default()
    };
    app.scoring = data.scoring.take();
    app.board.last_activity =
        super::board::LastActivity::new(std::mem::take(&mut data.last_activity));
    app.queue = QueueState {
        baseline: data.last_look.iter().copied().collect(),
        filter,
        ..QueueState::default()
    };
    app.book = Book::from_data(*data);
    app.screen = if app.book.leads.is_empty() {
        Screen::Welcome
    } else if reload && app.screen != Screen::Loading {
        app.screen
    } else {
        Screen::Queue
    };
    app.rerank(keep);
    // Every lead's queue key, for ranking filtered rows against the whole queue: at
    // 10⁶ leads a pass worth doing while the book loads, not on the first filter key.
    if let Some(s) = &app.scoring {
        s.index
            .warm_keys(&mut app.queue.keys, queue::queue_time(app.now));
    }
    // Likewise the accounts roll-up and the board, so that the first switch to either
    // only draws.
    views::warm_accounts(app);
    views::warm_board(app);
    vec![]
}

/// A lead's fields and timeline were read for its detail view.
pub(super) fn on_detail_loaded(app: &mut App, data: Box<DetailData>) -> Vec<Effect> {
    if let Some(d) = app.detail.as_mut()
        && d.lead == data.lead.id
    {
        d.explanation = app.scoring.as_ref().map(|s| s.explanation_view(&data.lead));
        d.data = Some(*data);
    }
    vec![]
}

/// The lead as stored after an outcome or its undo replaces the console's copy and its row
/// in the index.
fn take_stored(app: &mut App, lead: crate::core::model::Lead) {
    if let Some(s) = app.scoring.as_mut() {
        s.rescore(&lead);
    }
    app.book.replace(lead);
}

/// An outcome is durable and learned from: the lead and the weights follow, the queue re-ranks.
pub(super) fn on_outcome_logged(app: &mut App, done: Box<learning::OutcomeDone>) -> Vec<Effect> {
    let learning::OutcomeDone {
        record: rec,
        lead,
        learned,
    } = *done;
    let kind = app
        .book
        .catalog
        .find(&rec.outcome)
        .map_or(rec.outcome.clone(), |k| k.name.clone());
    let follow = lead
        .next_action
        .as_ref()
        .map(|n| format!(" · follow up {}", format_datetime(n.due)))
        .unwrap_or_default();
    let moved = app.apply_learning(learned.as_ref(), rec.step.as_ref(), 1.0);
    app.toast(
        format!(
            "logged {kind} on {} · stage {}{follow}{moved} · u undoes",
            sanitize(&lead.name),
            sanitize(&lead.stage)
        ),
        false,
    );
    app.undo_stack.push(rec.seq);
    take_stored(app, lead);
    let next = app.pending_next.take();
    app.rerank(next);
    match (app.screen, next) {
        (Screen::Detail, Some(id)) => app.open_detail(id),
        _ => vec![],
    }
}

/// An outcome and its learning were undone exactly.
pub(super) fn on_outcome_undone(app: &mut App, done: Box<learning::OutcomeDone>) -> Vec<Effect> {
    let learning::OutcomeDone {
        record: rec,
        lead,
        learned,
    } = *done;
    let moved = app.apply_learning(learned.as_ref(), rec.step.as_ref(), -1.0);
    app.toast(
        format!(
            "undid {} on {} · stage back to {}{moved}",
            rec.outcome,
            sanitize(&lead.name),
            sanitize(&lead.stage)
        ),
        false,
    );
    let id = lead.id;
    take_stored(app, lead);
    app.rerank(Some(id));
    match app.screen {
        Screen::Detail => app.open_detail(id),
        _ => vec![],
    }
}

/// How often the console moves scores to the current time (engagement decay, counter windows).
const DECAY_STEP_SECS: i64 = 300;

/// The clock moved (a tick a second): scores age, the queue's kept keys follow, toasts expire.
pub(super) fn on_tick(app: &mut App, now: Timestamp) -> Vec<Effect> {
    let minute_changed = now / 60 != app.now / 60;
    // Scores age: decay and counter windows move every few minutes, not per tick.
    let mut decayed = false;
    if now / DECAY_STEP_SECS != app.now / DECAY_STEP_SECS
        && let Some(scoring) = app.scoring.as_mut()
    {
        scoring.advance(&app.book, now);
        decayed = true;
    }
    app.now = now;
    if decayed && app.screen != Screen::Loading {
        // The order moved with time: re-read the queue, keeping the selected lead.
        let keep = app.queue.selected_id(&app.book);
        app.rerank(keep);
        app.dirty = true;
    }
    // The queue's kept keys, brought to its time (a new minute) or to a new order (a
    // re-rank) here, between keystrokes, rather than on the next filter key.
    if app.screen != Screen::Loading
        && let Some(s) = &app.scoring
    {
        s.index
            .warm_keys(&mut app.queue.keys, queue::queue_time(now));
    }
    if app.toast.as_ref().is_some_and(|t| t.until <= now) {
        app.toast = None;
        app.dirty = true;
    }
    if minute_changed && app.screen == Screen::Queue {
        app.rebuild_page();
        app.dirty = true;
    }
    views::warm_when_idle(app);
    vec![]
}

/// A book load has read `read` of about `of` leads: said in words on the loading screen, as a
/// percentage in the header behind the saved first page.
pub(super) fn on_load_progress(app: &mut App, read: usize, of: usize) -> Vec<Effect> {
    app.load_progress = Some((read, of));
    if app.screen == Screen::Loading {
        app.status = Some(worker::load_progress_text(read, of));
    }
    app.dirty = true;
    vec![]
}
