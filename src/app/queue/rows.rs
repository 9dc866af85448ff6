//! The page of rows on screen, each built from its lead: only these leads are decoded.

use crate::core::clock::format_age;
use crate::core::index::QueueFilter as IndexFilter;
use crate::core::model::{LeadId, Timestamp};
use crate::core::text::sanitize;

use super::{QueueState, end_of_day, queue_time};
use crate::app::book::Book;
use crate::app::scoring::Scoring;

/// Rank movement since the last look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Movement {
    /// Not in the queue at the last look.
    New,
    Same,
    Up(u32),
    Down(u32),
}

/// How urgent the next action is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DueState {
    None,
    Later,
    Today,
    Overdue,
}

/// One visible queue row, ready to draw: all text already sanitised.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueRow {
    pub id: LeadId,
    /// 1-based rank in the whole queue (not the filtered view).
    pub rank: u32,
    pub movement: Movement,
    /// Win probability 0–1 when a scorecard is available.
    pub probability: Option<f64>,
    pub name: String,
    pub account: String,
    pub stage: String,
    pub owner: String,
    pub next_action: String,
    pub due: DueState,
    pub top_reason: Option<String>,
}

/// The next action's due time in words ("overdue 2h", "in 3d") and how urgent it is.
pub fn due_words(due: Option<Timestamp>, now: Timestamp) -> (String, DueState) {
    match due {
        None => (String::new(), DueState::None),
        Some(d) if d < now => (
            format!("overdue {}", format_age(now - d)),
            DueState::Overdue,
        ),
        Some(d) if d < end_of_day(now) => (format_age(now - d), DueState::Today),
        Some(d) => (format_age(now - d), DueState::Later),
    }
}

impl QueueState {
    /// Scrolls so the selection is on screen and builds the rows of that page only.
    pub fn build_page(
        &mut self,
        book: &Book,
        scoring: Option<&Scoring>,
        me: Option<&str>,
        height: usize,
        now: Timestamp,
    ) {
        // The rows' text (due in 5m) at `now`, their order at the queue's time.
        let at = queue_time(now);
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(self.visible_len.saturating_sub(height));
        let end = (self.offset + height).min(self.visible_len);
        self.fetch(book, scoring, me, at, self.offset, end - self.offset);
        let positions: Vec<usize> = (self.offset..end)
            .filter(|&p| self.at(p).is_some())
            .collect();
        if !self.filter.is_empty()
            && let Some(s) = scoring
        {
            // Under a filter the rank column still says where a lead stands in the whole
            // queue: asked of the index for the rows on screen not asked before.
            let missing: Vec<LeadId> = positions
                .iter()
                .filter_map(|&p| book.id_at(self.at(p)?))
                .filter(|id| !self.ranks.contains_key(id))
                .collect();
            if !missing.is_empty() {
                let got = s
                    .index
                    .ranks_with(&mut self.keys, &missing, &IndexFilter::default(), at);
                for (id, r) in missing.into_iter().zip(got) {
                    self.ranks.insert(id, r.unwrap_or(0));
                }
            }
        }
        self.page = positions
            .into_iter()
            .filter_map(|pos| self.row(book, scoring, pos, now))
            .collect();
    }

    /// The row at `pos`, decoding its lead (the rows on screen, not the whole queue).
    fn row(
        &self,
        book: &Book,
        scoring: Option<&Scoring>,
        pos: usize,
        now: Timestamp,
    ) -> Option<QueueRow> {
        let at = self.at(pos)?;
        let id = book.id_at(at)?;
        let rank = if self.filter.is_empty() || scoring.is_none() {
            pos as u32 + 1
        } else {
            self.ranks.get(&id).copied().unwrap_or(0)
        };
        let movement = match self.baseline.get(&id) {
            // The first look ever has nothing to compare with.
            None if self.baseline.is_empty() => Movement::Same,
            None => Movement::New,
            Some(&was) if was > rank => Movement::Up(was - rank),
            Some(&was) if was < rank => Movement::Down(rank - was),
            Some(_) => Movement::Same,
        };
        let probability = self.priority_at(pos).map(|p| p.probability);
        // A lead the store cannot read keeps its row, so that the rows below stay where the
        // selection counts them and a key never acts on another lead than the one shown.
        let Some(lead) = book.lead_at(at) else {
            return Some(QueueRow {
                id,
                rank,
                movement,
                probability,
                name: format!("lead {id} could not be read (see the log)"),
                account: String::new(),
                stage: String::new(),
                owner: String::new(),
                next_action: String::new(),
                due: DueState::None,
                top_reason: None,
            });
        };
        let (next_action, due) = due_words(lead.next_action.as_ref().map(|n| n.due), now);
        Some(QueueRow {
            id: lead.id,
            rank,
            movement,
            probability,
            name: sanitize(&lead.name).into_owned(),
            account: sanitize(&lead.account).into_owned(),
            stage: sanitize(&lead.stage).into_owned(),
            owner: sanitize(&lead.owner).into_owned(),
            next_action,
            due,
            top_reason: scoring.and_then(|s| s.top_reason(&lead)),
        })
    }
}
