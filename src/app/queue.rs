//! The work queue: the book in priority order, filters, the selection, and the visible page of
//! rows (only those are built).

use std::collections::HashMap;

use crate::core::clock::format_age;
use crate::core::model::{DAY, Lead, LeadId, Timestamp};
use crate::core::text::sanitize;

use super::book::Book;
use super::scoring::Scoring;
use crate::core::priority::QueuePriority;

/// Screen rows the queue view uses for its header, column titles, reason line and footer.
pub const QUEUE_CHROME_ROWS: u16 = 4;

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

/// Which leads the queue shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueFilter {
    /// Only leads owned by the configured `me`.
    pub mine: bool,
    pub stage: Option<String>,
    pub owner: Option<String>,
    pub due_today: bool,
}

impl QueueFilter {
    pub fn is_empty(&self) -> bool {
        *self == QueueFilter::default()
    }

    fn accepts(&self, lead: &Lead, me: Option<&str>, end_of_today: Timestamp) -> bool {
        (!self.mine || me.is_some_and(|me| lead.owner.eq_ignore_ascii_case(me)))
            && self
                .stage
                .as_ref()
                .is_none_or(|s| lead.stage.eq_ignore_ascii_case(s))
            && self
                .owner
                .as_ref()
                .is_none_or(|o| lead.owner.eq_ignore_ascii_case(o))
            && (!self.due_today
                || lead
                    .next_action
                    .as_ref()
                    .is_some_and(|n| n.due < end_of_today))
    }

    /// Words for the header, e.g. `mine · stage=New · due today`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.mine {
            parts.push("mine".to_string());
        }
        if let Some(s) = &self.stage {
            parts.push(format!("stage={}", sanitize(s)));
        }
        if let Some(o) = &self.owner {
            parts.push(format!("owner={}", sanitize(o)));
        }
        if self.due_today {
            parts.push("due today".to_string());
        }
        if parts.is_empty() {
            "all".to_string()
        } else {
            parts.join(" · ")
        }
    }
}

/// The queue's state: order, filter, selection and the built page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueState {
    /// Book indices of the workable leads, highest priority first.
    pub ranked: Vec<usize>,
    /// Priority of each entry of `ranked`, when scored.
    pub priority: Vec<Option<QueuePriority>>,
    /// Positions in `ranked` that pass the filter.
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub selected: usize,
    /// First visible row on screen.
    pub offset: usize,
    pub filter: QueueFilter,
    /// Rank per lead at the last look.
    pub baseline: HashMap<LeadId, u32>,
    /// The built rows of the page on screen.
    pub page: Vec<QueueRow>,
}

/// End of the UTC day that contains `now`.
pub fn end_of_day(now: Timestamp) -> Timestamp {
    now - now.rem_euclid(DAY) + DAY
}

impl QueueState {
    /// Re-applies the filter after the order or the filter changed, keeping `keep` selected
    /// when it is still visible.
    pub fn refilter(
        &mut self,
        book: &Book,
        me: Option<&str>,
        now: Timestamp,
        keep: Option<LeadId>,
    ) {
        let eod = end_of_day(now);
        self.visible = (0..self.ranked.len())
            .filter(|&pos| self.filter.accepts(&book.leads[self.ranked[pos]], me, eod))
            .collect();
        self.selected = keep
            .and_then(|id| self.position_of(book, id))
            .unwrap_or(self.selected)
            .min(self.visible.len().saturating_sub(1));
    }

    /// Position in `visible` of a lead.
    pub fn position_of(&self, book: &Book, id: LeadId) -> Option<usize> {
        self.visible
            .iter()
            .position(|&pos| book.leads[self.ranked[pos]].id == id)
    }

    /// The selected lead's id.
    pub fn selected_id(&self, book: &Book) -> Option<LeadId> {
        self.visible
            .get(self.selected)
            .map(|&pos| book.leads[self.ranked[pos]].id)
    }

    /// Moves the selection by `delta` rows, clamped.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.visible.len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// Scrolls so the selection is on screen and builds the rows of that page only.
    pub fn build_page(
        &mut self,
        book: &Book,
        scoring: Option<&Scoring>,
        height: usize,
        now: Timestamp,
    ) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(self.visible.len().saturating_sub(height));
        let end = (self.offset + height).min(self.visible.len());
        self.page = self.visible[self.offset..end]
            .iter()
            .map(|&pos| self.row(book, scoring, pos, now))
            .collect();
    }

    fn row(&self, book: &Book, scoring: Option<&Scoring>, pos: usize, now: Timestamp) -> QueueRow {
        let lead = &book.leads[self.ranked[pos]];
        let rank = pos as u32 + 1;
        let movement = match self.baseline.get(&lead.id) {
            // The first look ever has nothing to compare with.
            None if self.baseline.is_empty() => Movement::Same,
            None => Movement::New,
            Some(&was) if was > rank => Movement::Up(was - rank),
            Some(&was) if was < rank => Movement::Down(rank - was),
            Some(_) => Movement::Same,
        };
        let (next_action, due) = match &lead.next_action {
            None => (String::new(), DueState::None),
            Some(n) if n.due < now => (
                format!("overdue {}", format_age(now - n.due)),
                DueState::Overdue,
            ),
            Some(n) if n.due < end_of_day(now) => (format_age(now - n.due), DueState::Today),
            Some(n) => (format_age(now - n.due), DueState::Later),
        };
        QueueRow {
            id: lead.id,
            rank,
            movement,
            probability: self
                .priority
                .get(pos)
                .copied()
                .flatten()
                .map(|p| p.probability),
            name: sanitize(&lead.name).into_owned(),
            account: sanitize(&lead.account).into_owned(),
            stage: sanitize(&lead.stage).into_owned(),
            owner: sanitize(&lead.owner).into_owned(),
            next_action,
            due,
            top_reason: scoring.and_then(|s| s.top_reason(lead)),
        }
    }

    /// Each lead's current rank, to save as the baseline of the next look.
    pub fn ranks(&self, book: &Book) -> Vec<(LeadId, u32)> {
        self.ranked
            .iter()
            .enumerate()
            .map(|(pos, &i)| (book.leads[i].id, pos as u32 + 1))
            .collect()
    }
}

/// The workable leads in queue order, with their priority: from the lead index when the
/// book is scored, else in id order.
pub fn rank(
    book: &Book,
    scoring: Option<&Scoring>,
    now: Timestamp,
) -> (Vec<usize>, Vec<Option<QueuePriority>>) {
    match scoring {
        Some(s) => s.rank(book, now),
        None => (0..book.leads.len()).map(|i| (i, None)).unzip(),
    }
}
