//! The queue's first page as it was when the console last closed the book cleanly: saved
//! beside the database on quit and drawn at the next start before the database is opened,
//! so a big book shows its queue at once while it loads. It is used only when the book's
//! files are exactly as that close sealed them and nothing has opened the book since (every
//! open removes the page); keys wait for the live queue, which replaces it once loaded.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::queue::{Movement, QueueRow, QueueState, due_words};
use super::{App, Screen};
use crate::core::model::{LeadId, Timestamp};

/// Beside sled's files, inside the database directory (so the close seal covers it); any
/// open of the book removes it.
pub const FILE: &str = crate::store::FIRST_PAGE_FILE;
/// Rows saved: a tall terminal's page.
const ROWS: usize = 120;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FirstPage {
    pub label: String,
    /// Leads in the queue then.
    pub queue_len: usize,
    /// When it was ranked.
    pub ranked_at: Timestamp,
    pub rows: Vec<PageRow>,
}

/// One row as saved: what the queue draws, with the due time kept raw (its words depend on
/// when it is shown). Text is sanitised when drawn, as every row's is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PageRow {
    pub id: LeadId,
    pub rank: u32,
    pub probability: Option<f64>,
    pub name: String,
    pub account: String,
    pub stage: String,
    pub owner: String,
    pub due: Option<Timestamp>,
    pub top_reason: Option<String>,
}

/// The unfiltered queue's first rows now, when the book is loaded and scored.
pub fn capture(app: &App) -> Option<FirstPage> {
    app.scoring.as_ref()?;
    if app.preview || app.book.leads.is_empty() {
        return None;
    }
    let mut queue = QueueState::default();
    let (book, scoring) = (&app.book, app.scoring.as_ref());
    queue.refilter(book, scoring, None, app.now, None, true);
    queue.build_page(book, scoring, None, ROWS, app.now);
    let rows = queue
        .page
        .iter()
        .map(|r| PageRow {
            id: r.id,
            rank: r.rank,
            probability: r.probability,
            name: r.name.clone(),
            account: r.account.clone(),
            stage: r.stage.clone(),
            owner: r.owner.clone(),
            due: book.lead(r.id).and_then(|l| l.next_action).map(|n| n.due),
            top_reason: r.top_reason.clone(),
        })
        .collect();
    Some(FirstPage {
        label: book.label.clone(),
        queue_len: queue.queue_len,
        ranked_at: app.now,
        rows,
    })
}

/// Writes the page (a temporary file renamed over the old one).
pub fn save(db: &Path, page: &FirstPage) -> std::io::Result<()> {
    let tmp = db.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, serde_json::to_vec(page)?)?;
    std::fs::rename(&tmp, db.join(FILE))
}

/// The saved page, only when the book is sealed as the last clean close left it.
pub fn load(db: &Path) -> Option<FirstPage> {
    if !crate::store::sealed(db) {
        return None;
    }
    let bytes = std::fs::read(db.join(FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Shows the saved page as the queue until the book is loaded.
pub fn show(app: &mut App, page: FirstPage) {
    let now = app.now;
    app.preview = true;
    app.book.label = page.label;
    app.queue = QueueState {
        queue_len: page.queue_len,
        visible_len: page.queue_len,
        ..QueueState::default()
    };
    app.queue.page = page
        .rows
        .into_iter()
        .map(|r| {
            let (next_action, due) = due_words(r.due, now);
            QueueRow {
                id: r.id,
                rank: r.rank,
                movement: Movement::Same,
                probability: r.probability,
                name: r.name,
                account: r.account,
                stage: r.stage,
                owner: r.owner,
                next_action,
                due,
                top_reason: r.top_reason,
            }
        })
        .collect();
    app.status = Some(format!(
        "loading {} leads · the queue as ranked at the last close",
        page.queue_len
    ));
    app.screen = Screen::Queue;
    app.dirty = true;
}
