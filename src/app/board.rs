//! The kanban board's model: a column per pipeline stage with its count, value and
//! probability-weighted value, and only the cards on screen built, in queue-priority order
//! from the lead index (a top-K per column, never a sort of every lead).

use std::collections::HashMap;

use crate::core::index::QueueFilter;
use crate::core::model::{DAY, Lead, LeadId, Timestamp};
use crate::core::text::sanitize;
use crate::store::stage::StageMove;

use super::book::Book;
use super::scoring::Scoring;

/// Width of one column on screen, its separator included.
pub const COLUMN_WIDTH: u16 = 20;
/// Rows the board uses besides cards: title, two column-header lines, footer.
pub const BOARD_CHROME_ROWS: u16 = 4;
/// Rows one card takes.
pub const CARD_ROWS: u16 = 2;

/// One card, ready to draw: text sanitised.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub id: LeadId,
    /// Win probability 0–1, when scored.
    pub probability: Option<f64>,
    pub name: String,
    pub account: String,
    pub deal_value: Option<f64>,
    /// Whole days since the lead entered its stage.
    pub days_in_stage: i64,
    /// No activity for longer than the stage's `rot_days`.
    pub stale: bool,
}

/// One stage's column: totals over all its leads, and the cards fetched so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Column {
    pub stage: String,
    pub rot_days: u32,
    pub count: usize,
    /// Σ deal value.
    pub value: f64,
    /// Σ p × deal value.
    pub weighted: f64,
    /// The column's best cards in priority order: a prefix, fetched as far as scrolled.
    pub cards: Vec<Card>,
    /// Whether `cards` holds the whole column.
    pub complete: bool,
    pub selected: usize,
    pub offset: usize,
}

/// The board's state; `None` columns until the board is first shown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BoardState {
    pub columns: Vec<Column>,
    /// The focused column.
    pub focus: usize,
    /// First column on screen (horizontal scroll).
    pub first: usize,
    /// Newest activity per lead (from the book's load, kept up to date by moves).
    pub last_activity: LastActivity,
    /// The book changed since the columns were built.
    pub stale: bool,
    /// Stage moves of this session, newest last, with the lead's newest activity before.
    pub undo: Vec<(StageMove, Option<Timestamp>)>,
    /// A move changed the book: the queue re-ranks when next shown.
    pub queue_stale: bool,
}

/// Each lead's newest activity, sorted by lead id: the load hands them over in id order,
/// and a sorted vector holds 10⁶ of them in 16 MB where a hash map took about 36.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LastActivity(Vec<(LeadId, Timestamp)>);

impl LastActivity {
    pub fn new(mut times: Vec<(LeadId, Timestamp)>) -> LastActivity {
        if !times.is_sorted_by(|a, b| a.0 < b.0) {
            times.sort_by_key(|&(id, _)| id);
            times.dedup_by_key(|&mut (id, _)| id);
        }
        LastActivity(times)
    }

    pub fn get(&self, id: LeadId) -> Option<Timestamp> {
        let at = self.0.binary_search_by_key(&id, |&(l, _)| l).ok()?;
        Some(self.0[at].1)
    }

    /// Sets a lead's newest activity and returns the one it replaces.
    pub fn insert(&mut self, id: LeadId, at: Timestamp) -> Option<Timestamp> {
        match self.0.binary_search_by_key(&id, |&(l, _)| l) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, at)),
            Err(i) => {
                self.0.insert(i, (id, at));
                None
            }
        }
    }

    pub fn remove(&mut self, id: LeadId) -> Option<Timestamp> {
        let at = self.0.binary_search_by_key(&id, |&(l, _)| l).ok()?;
        Some(self.0.remove(at).1)
    }
}

/// When a lead was last touched: its newest activity, or entering its stage if later.
pub fn last_touch(lead: &Lead, last_activity: &LastActivity) -> Timestamp {
    last_activity
        .get(lead.id)
        .unwrap_or(i64::MIN)
        .max(lead.stage_entered)
}

/// Stale: no touch for longer than `rot_days` (0 means the stage never goes stale).
pub fn is_stale(last_touch: Timestamp, rot_days: u32, now: Timestamp) -> bool {
    rot_days > 0 && now - last_touch > rot_days as i64 * DAY
}

impl BoardState {
    /// Cards a column shows at a terminal `height` rows high.
    pub fn cards_per_column(height: u16) -> usize {
        (height.saturating_sub(BOARD_CHROME_ROWS) / CARD_ROWS).max(1) as usize
    }

    /// Columns on screen at a terminal `width` columns wide.
    pub fn columns_on_screen(width: u16) -> usize {
        (width / COLUMN_WIDTH).max(1) as usize
    }

    /// Rebuilds the totals of every column (one pass over the leads) and empties the cards.
    pub fn rebuild(&mut self, book: &Book, scoring: Option<&Scoring>) {
        let old: HashMap<String, (usize, usize)> = self
            .columns
            .iter()
            .map(|c| (c.stage.clone(), (c.selected, c.offset)))
            .collect();
        self.columns = book
            .pipeline
            .stages
            .iter()
            .map(|s| {
                let (selected, offset) = old.get(&s.name).copied().unwrap_or_default();
                Column {
                    stage: s.name.clone(),
                    rot_days: s.rot_days,
                    selected,
                    offset,
                    ..Column::default()
                }
            })
            .collect();
        match scoring {
            // From the index's columns: one pass over arrays, not over every lead.
            Some(s) => {
                for t in s.index.stage_totals() {
                    if let Some(i) = self.column_of(&t.stage) {
                        let c = &mut self.columns[i];
                        c.count += t.count;
                        c.value += t.value;
                        c.weighted += t.weighted;
                    }
                }
            }
            None => {
                for lead in book.leads.iter() {
                    if let Some(i) = self.column_of(&lead.stage) {
                        let c = &mut self.columns[i];
                        c.count += 1;
                        c.value += lead.deal_value.unwrap_or(0.0);
                    }
                }
            }
        }
        self.focus = self.focus.min(self.columns.len().saturating_sub(1));
        self.stale = false;
    }

    pub fn column_of(&self, stage: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.stage.eq_ignore_ascii_case(stage.trim()))
    }

    /// Adds (`sign` 1) or removes (−1) a lead's part of its column's totals.
    pub fn account_for(&mut self, lead: &Lead, p: Option<f64>, sign: f64) {
        if let Some(i) = self.column_of(&lead.stage) {
            let c = &mut self.columns[i];
            c.count = (c.count as isize + sign as isize).max(0) as usize;
            c.value += sign * lead.deal_value.unwrap_or(0.0);
            c.weighted += sign * p.unwrap_or(0.0) * lead.deal_value.unwrap_or(0.0);
        }
    }

    /// Keeps the focus on screen and makes sure every column on screen has the cards it shows.
    pub fn layout(
        &mut self,
        book: &Book,
        scoring: Option<&Scoring>,
        width: u16,
        height: u16,
        now: Timestamp,
    ) {
        let cols = Self::columns_on_screen(width);
        if self.focus < self.first {
            self.first = self.focus;
        } else if self.focus >= self.first + cols {
            self.first = self.focus + 1 - cols;
        }
        self.first = self.first.min(self.columns.len().saturating_sub(cols));
        let rows = Self::cards_per_column(height);
        let end = (self.first + cols).min(self.columns.len());
        for i in self.first..end {
            let c = &mut self.columns[i];
            c.selected = c.selected.min(c.count.saturating_sub(1));
            if c.selected < c.offset {
                c.offset = c.selected;
            } else if c.selected >= c.offset + rows {
                c.offset = c.selected + 1 - rows;
            }
            c.offset = c.offset.min(c.count.saturating_sub(rows));
            let need = c.offset + rows;
            if !c.complete && c.cards.len() < need.min(c.count) {
                // Fetch ahead so scrolling does not query the index on every key.
                let k = (need + 2 * rows).max(2 * c.cards.len());
                fetch(c, book, scoring, k, now, &self.last_activity);
            }
        }
    }

    /// Drops the fetched cards of a column so the next layout fetches them again.
    pub fn invalidate(&mut self, stage: &str) {
        if let Some(i) = self.column_of(stage) {
            self.columns[i].cards.clear();
            self.columns[i].complete = false;
        }
    }

    /// The focused card's lead.
    pub fn selected_id(&self) -> Option<LeadId> {
        let c = self.columns.get(self.focus)?;
        c.cards.get(c.selected).map(|card| card.id)
    }

    /// Moves the selection in the focused column by `delta` cards, clamped.
    pub fn move_by(&mut self, delta: isize) {
        if let Some(c) = self.columns.get_mut(self.focus) {
            let last = c.count.saturating_sub(1) as isize;
            c.selected = (c.selected as isize + delta).clamp(0, last.max(0)) as usize;
        }
    }

    /// Moves the focus by `delta` columns, clamped.
    pub fn focus_by(&mut self, delta: isize) {
        let last = self.columns.len().saturating_sub(1) as isize;
        self.focus = (self.focus as isize + delta).clamp(0, last.max(0)) as usize;
    }
}

/// Fills `column.cards` with its `k` best cards: the index's top-K for the stage, or the
/// stage's leads in id order when the book is not scored.
fn fetch(
    column: &mut Column,
    book: &Book,
    scoring: Option<&Scoring>,
    k: usize,
    now: Timestamp,
    last_activity: &LastActivity,
) {
    let ids: Vec<(LeadId, Option<f64>)> = match scoring {
        Some(s) => {
            let filter = QueueFilter {
                stage: Some(column.stage.clone()),
                include_terminal: true,
                ..QueueFilter::default()
            };
            s.index
                .top(k, &filter, now)
                .into_iter()
                .map(|e| (e.id, Some(e.priority.probability)))
                .collect()
        }
        None => book
            .leads
            .iter()
            .filter(|l| l.stage.eq_ignore_ascii_case(&column.stage))
            .take(k)
            .map(|l| (l.id, None))
            .collect(),
    };
    column.complete = ids.len() < k;
    column.cards = ids
        .into_iter()
        .filter_map(|(id, probability)| {
            let lead = book.lead(id)?;
            Some(Card {
                id,
                probability,
                name: sanitize(&lead.name).into_owned(),
                account: sanitize(&lead.account).into_owned(),
                deal_value: lead.deal_value,
                days_in_stage: (now - lead.stage_entered).max(0) / DAY,
                stale: is_stale(last_touch(&lead, last_activity), column.rot_days, now),
            })
        })
        .collect();
}
