//! The work queue: the book in priority order, filters, the selection, and the visible page of
//! rows (only those are built).

use std::collections::HashMap;

use crate::core::index::{QueueEntry, QueueFilter as IndexFilter, QueueKeys, ViewAsk};
use crate::core::model::{DAY, Lead, LeadId, Timestamp};
use crate::core::text::sanitize;

use super::book::Book;
use super::scoring::Scoring;
use crate::core::priority::QueuePriority;

mod rows;
pub use rows::{DueState, Movement, QueueRow, due_words};

/// Screen rows the queue view uses for its header, column titles, reason line and footer.
pub const QUEUE_CHROME_ROWS: u16 = 4;

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

/// How many top ranks are remembered for the movement column.
pub const LAST_LOOK_MAX: usize = 20_000;

/// Rows fetched beyond the page on screen, so that moving a few rows needs no new fetch.
const WINDOW_MARGIN: usize = 256;
/// Beyond this many rows from either end, the window is read around a lead already placed
/// (one pass over the kept keys) rather than as the top (bottom) K of the queue, whose heap
/// grows with the depth.
const DEEP_READ: usize = 4 * WINDOW_MARGIN;

/// The queue's state: filter, selection, and a window of the filtered queue around the
/// selection. On a scored book the window is asked of the lead index (top-K or bottom-K),
/// never the whole order: at a million leads the screen needs a few dozen rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueState {
    /// Book indices of the filtered queue's positions `window_start..`, in queue order.
    pub window: Vec<usize>,
    pub window_start: usize,
    /// Priority of each window entry, when scored.
    pub priority: Vec<Option<QueuePriority>>,
    /// How many leads pass the filter: the view's length.
    pub visible_len: usize,
    /// How many leads are in the queue, unfiltered.
    pub queue_len: usize,
    /// Position of the selection in the filtered queue.
    pub selected: usize,
    /// First visible row on screen.
    pub offset: usize,
    pub filter: QueueFilter,
    /// Rank per lead at the last look.
    pub baseline: HashMap<LeadId, u32>,
    /// The built rows of the page on screen.
    pub page: Vec<QueueRow>,
    /// Whole-queue ranks of leads shown under a filter, until the order changes (a cache).
    pub ranks: HashMap<LeadId, u32>,
    /// Every lead's queue key, for ranking the leads of one filtered page after another
    /// against the whole queue (kept up to date by the index).
    pub keys: QueueKeys,
}

/// The time the queue is ordered at: `now` to the minute. A follow-up falling due or a
/// fresh-inbound boost running out moves a lead at the next minute, and every keystroke
/// within a minute reads the queue from keys already brought to its time (bringing them to a
/// new time is a pass over every row: milliseconds at a million leads).
pub fn queue_time(now: Timestamp) -> Timestamp {
    now - now.rem_euclid(60)
}

/// End of the UTC day that contains `now`.
pub fn end_of_day(now: Timestamp) -> Timestamp {
    now - now.rem_euclid(DAY) + DAY
}

impl QueueState {
    /// The index's filter for this queue filter; `None` when nothing can pass ("mine"
    /// without a configured name, or "mine" and another owner).
    fn index_filter(&self, me: Option<&str>, now: Timestamp) -> Option<IndexFilter> {
        let owner = match (self.filter.mine, &self.filter.owner) {
            (true, _) if me.is_none() => return None,
            (true, Some(o)) if !me.is_some_and(|me| me.eq_ignore_ascii_case(o)) => return None,
            (true, _) => me.map(str::to_string),
            (false, o) => o.clone(),
        };
        Some(IndexFilter {
            owner,
            stage: self.filter.stage.clone(),
            due_before: self.filter.due_today.then(|| end_of_day(now)),
            include_terminal: false,
        })
    }

    /// Re-reads the queue after the order (`recount`: the book changed too) or the filter
    /// changed, keeping `keep` selected when it is still in the view.
    pub fn refilter(
        &mut self,
        book: &Book,
        scoring: Option<&Scoring>,
        me: Option<&str>,
        now: Timestamp,
        keep: Option<LeadId>,
        recount: bool,
    ) {
        let now = queue_time(now);
        // A new filter leaves the order, and so the whole-queue ranks, as they were.
        if recount {
            self.ranks.clear();
        }
        // Unfiltered, the top prunes well by ceilings without the kept keys, which a re-rank
        // leaves to be computed again: the one pass is for when they are current.
        let filtered = match scoring {
            Some(s) if !self.filter.is_empty() || s.index.keys_current(&self.keys) => {
                self.index_filter(me, now).map(|f| (s, f))
            }
            _ => None,
        };
        if let Some((s, filter)) = filtered {
            return self.refilter_in_one_pass(book, (s, &filter), me, now, keep, recount);
        }
        match scoring {
            Some(s) => {
                let index = &s.index;
                if self.filter.is_empty() {
                    self.queue_len = index.count(&IndexFilter::default());
                    self.visible_len = self.queue_len;
                } else {
                    if recount {
                        self.queue_len = index.count(&IndexFilter::default());
                    }
                    let filter = self.index_filter(me, now);
                    self.visible_len = filter.as_ref().map_or(0, |f| index.count(f));
                }
                // Near either end, the window around the old position usually still holds
                // the kept lead (a re-rank moves it a few places); otherwise — or when it
                // does not — the stretch of the queue around the lead is read directly.
                self.selected = self.selected.min(self.visible_len.saturating_sub(1));
                self.window.clear();
                self.window_start = 0;
                if self.near_an_end(self.selected, 1) {
                    self.fetch(book, scoring, me, now, self.selected, 1);
                }
                let mut placed = keep.is_some_and(|id| match self.position_of(book, id) {
                    Some(p) => {
                        self.selected = p;
                        true
                    }
                    None => false,
                });
                if !placed
                    && let (Some(id), Some(f)) = (keep, self.index_filter(me, now))
                    && let Some((start, entries)) =
                        index.around(&mut self.keys, id, (WINDOW_MARGIN, WINDOW_MARGIN), &f, now)
                {
                    let at = entries.iter().position(|e| e.id == id).unwrap_or(0);
                    self.selected = start + at;
                    self.set_window(book, start, entries);
                    placed = true;
                }
                if !placed {
                    // A new filter without the selected lead starts at its top; a re-rank
                    // that lost it stays where it was.
                    if keep.is_some() && !recount {
                        self.selected = 0;
                    }
                    self.fetch(book, scoring, me, now, self.selected, 1);
                }
            }
            None => {
                // No scorecard: the book in id order, all of it (no index to ask).
                let eod = end_of_day(now);
                self.queue_len = book.leads.len();
                self.window = (0..book.leads.len())
                    .filter(|&i| {
                        (book.lead_at(i)).is_some_and(|l| self.filter.accepts(&l, me, eod))
                    })
                    .collect();
                self.priority = vec![None; self.window.len()];
                self.window_start = 0;
                self.visible_len = self.window.len();
                self.selected = keep
                    .and_then(|id| self.position_of(book, id))
                    .unwrap_or(self.selected)
                    .min(self.visible_len.saturating_sub(1));
            }
        }
    }

    /// [`QueueState::refilter`] of a filtered queue: its length, its top and the stretch
    /// around the kept lead come from one pass over the index's kept keys (at a million
    /// leads each pass is milliseconds, and a filter key needed three).
    fn refilter_in_one_pass(
        &mut self,
        book: &Book,
        (s, filter): (&Scoring, &IndexFilter),
        me: Option<&str>,
        now: Timestamp,
        keep: Option<LeadId>,
        recount: bool,
    ) {
        let near_top = self.selected + 1 + WINDOW_MARGIN;
        let ask = ViewAsk {
            top: if near_top <= DEEP_READ {
                near_top
            } else {
                1 + WINDOW_MARGIN
            },
            keep: keep.map(|id| (id, WINDOW_MARGIN, WINDOW_MARGIN)),
            count_all: recount && !self.filter.is_empty(),
        };
        self.window.clear();
        self.window_start = 0;
        let Some(view) = s.index.view(&mut self.keys, filter, ask, now) else {
            // An owner or stage the index does not have: nothing passes.
            if recount {
                self.queue_len = s.index.count(&IndexFilter::default());
            }
            (self.visible_len, self.selected) = (0, 0);
            self.priority.clear();
            return;
        };
        if let Some(all) = view.all_len {
            self.queue_len = all;
        } else if self.filter.is_empty() {
            self.queue_len = view.len;
        }
        self.visible_len = view.len;
        self.selected = self.selected.min(self.visible_len.saturating_sub(1));
        if let (Some((start, entries)), Some(id)) = (view.around, keep) {
            let at = entries.iter().position(|e| e.id == id).unwrap_or(0);
            self.selected = start + at;
            return self.set_window(book, start, entries);
        }
        // A new filter without the selected lead starts at its top; a re-rank that lost it
        // stays where it was.
        if keep.is_some() && !recount {
            self.selected = 0;
        }
        if self.selected < view.top.len() {
            self.set_window(book, 0, view.top);
        } else {
            self.fetch(book, Some(s), me, now, self.selected, 1);
        }
    }

    /// Makes the window cover positions `from..from + len` of the filtered queue: the top
    /// (or the bottom, whichever end is nearer) of the queue down (up) to past them.
    fn fetch(
        &mut self,
        book: &Book,
        scoring: Option<&Scoring>,
        me: Option<&str>,
        now: Timestamp,
        from: usize,
        len: usize,
    ) {
        let end = (from + len).min(self.visible_len);
        let covered = from >= self.window_start && end <= self.window_start + self.window.len();
        let (Some(s), false) = (scoring, covered) else {
            return;
        };
        let Some(filter) = self.index_filter(me, now) else {
            self.window.clear();
            self.priority.clear();
            return;
        };
        let from_top = end + WINDOW_MARGIN;
        let from_bottom = self.visible_len.saturating_sub(from) + WINDOW_MARGIN;
        // Deep in a long queue, next to the window already read (paging on): the stretch
        // around its nearest lead, instead of every row from the nearer end.
        if !self.near_an_end(from, end - from)
            && let Some((pos, id)) = self.nearest_fetched(book, from, end)
            && let Some((start, entries)) = s.index.around(
                &mut self.keys,
                id,
                (
                    pos.saturating_sub(from.saturating_sub(WINDOW_MARGIN)),
                    (end + WINDOW_MARGIN).saturating_sub(pos + 1),
                ),
                &filter,
                now,
            )
        {
            return self.set_window(book, start, entries);
        }
        // A filtered queue prunes little by ceilings: read it from the kept keys when they
        // are current (after a re-rank they are not, and the unfiltered top prunes well).
        let keyed = !self.filter.is_empty() && s.index.keys_current(&self.keys);
        let (start, entries) = match (from_top <= from_bottom, keyed) {
            (true, false) => (0, s.index.top(from_top, &filter, now)),
            (true, true) => (
                0,
                s.index
                    .end_keyed(&mut self.keys, from_top, true, &filter, now),
            ),
            (false, keyed) => {
                let e = if keyed {
                    s.index
                        .end_keyed(&mut self.keys, from_bottom, false, &filter, now)
                } else {
                    s.index.bottom(from_bottom, &filter, now)
                };
                (self.visible_len - e.len(), e)
            }
        };
        self.set_window(book, start, entries);
    }

    /// Whether positions `from..from + len` are near enough to an end of the filtered queue
    /// for a top-K (bottom-K) read of everything up to them.
    fn near_an_end(&self, from: usize, len: usize) -> bool {
        let from_top = from + len + WINDOW_MARGIN;
        let from_bottom = self.visible_len.saturating_sub(from) + WINDOW_MARGIN;
        from_top.min(from_bottom) <= DEEP_READ
    }

    /// The fetched lead nearest to positions `from..end`, when the window reaches within a
    /// margin of them.
    fn nearest_fetched(&self, book: &Book, from: usize, end: usize) -> Option<(usize, LeadId)> {
        let last = (self.window_start + self.window.len()).checked_sub(1)?;
        let pos = if end <= self.window_start {
            self.window_start
        } else if from > last {
            last
        } else {
            from.clamp(self.window_start, last)
        };
        let gap = from.abs_diff(pos).min(end.abs_diff(pos));
        if gap > WINDOW_MARGIN {
            return None;
        }
        Some((pos, book.id_at(self.at(pos)?)?))
    }

    fn set_window(&mut self, book: &Book, start: usize, entries: Vec<QueueEntry>) {
        self.window_start = start;
        (self.window, self.priority) = entries
            .into_iter()
            .filter_map(|e| Some((book.index_of(e.id)?, Some(e.priority))))
            .unzip();
    }

    /// The book index at a position of the filtered queue, when fetched.
    fn at(&self, pos: usize) -> Option<usize> {
        self.window
            .get(pos.checked_sub(self.window_start)?)
            .copied()
    }

    /// The priority at a position of the filtered queue, when fetched and scored.
    pub fn priority_at(&self, pos: usize) -> Option<QueuePriority> {
        self.priority
            .get(pos.checked_sub(self.window_start)?)
            .copied()
            .flatten()
    }

    /// Position of a lead in the filtered queue, when it is in the fetched window.
    pub fn position_of(&self, book: &Book, id: LeadId) -> Option<usize> {
        let i = book.index_of(id)?;
        self.window
            .iter()
            .position(|&j| j == i)
            .map(|p| p + self.window_start)
    }

    /// Selects a lead wherever it is in the filtered queue; false when the filter hides it.
    pub fn select_lead(
        &mut self,
        book: &Book,
        scoring: Option<&Scoring>,
        me: Option<&str>,
        now: Timestamp,
        id: LeadId,
    ) -> bool {
        let now = queue_time(now);
        if let Some(p) = self.position_of(book, id) {
            self.selected = p;
            self.fetch(book, scoring, me, now, p, 1);
            return true;
        }
        // Elsewhere in the queue: read the stretch around it, wherever it stands.
        let (Some(s), Some(f)) = (scoring, self.index_filter(me, now)) else {
            return false;
        };
        match s
            .index
            .around(&mut self.keys, id, (WINDOW_MARGIN, WINDOW_MARGIN), &f, now)
        {
            Some((start, entries)) => {
                self.selected = start + entries.iter().position(|e| e.id == id).unwrap_or(0);
                self.set_window(book, start, entries);
                true
            }
            None => false,
        }
    }

    /// The selected lead's id.
    pub fn selected_id(&self, book: &Book) -> Option<LeadId> {
        self.at(self.selected).and_then(|i| book.id_at(i))
    }

    /// The lead at `pos` of the filtered queue, when fetched.
    pub fn id_at(&self, book: &Book, pos: usize) -> Option<LeadId> {
        self.at(pos).and_then(|i| book.id_at(i))
    }

    /// Moves the selection by `delta` rows, clamped.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.visible_len.saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }
}

/// Each lead's current rank (the top `max` of the whole queue), to save as the baseline of
/// the next look.
pub fn last_look(
    book: &Book,
    scoring: Option<&Scoring>,
    now: Timestamp,
    max: usize,
) -> Vec<(LeadId, u32)> {
    match scoring {
        Some(s) => s
            .index
            .top(max, &IndexFilter::default(), queue_time(now))
            .iter()
            .enumerate()
            .map(|(pos, e)| (e.id, pos as u32 + 1))
            .collect(),
        None => (0..book.leads.len().min(max))
            .filter_map(|i| book.id_at(i))
            .enumerate()
            .map(|(pos, id)| (id, pos as u32 + 1))
            .collect(),
    }
}

#[cfg(test)]
mod queue_time_tests {
    use super::queue_time;

    #[test]
    fn the_queue_is_ordered_at_the_minute() {
        let minute = 1_764_151_200; // a whole minute
        assert_eq!(queue_time(minute), minute);
        assert_eq!(queue_time(minute + 59), minute);
        assert_eq!(queue_time(minute + 60), minute + 60);
        // Before 1970 too: down to the minute, never up.
        assert_eq!(queue_time(-1), -60);
    }
}
