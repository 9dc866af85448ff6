//! The accounts view's model (account-based marketing): accounts ranked by a roll-up of their
//! leads, and the selected account's leads.
//!
//! Roll-up per account over its open (non-terminal) leads: `expected wins` = Σ p (the sum of
//! the leads' win probabilities) ranks the accounts; also shown: the best lead's p, how many
//! leads are engaged (a behavioural signal in the last 30 days), and the open pipeline value
//! with its probability-weighted part Σ p × value.

use crate::core::index::AccountTotals;
use crate::core::model::{DAY, LeadId, Timestamp};
use crate::core::text::sanitize;

use super::scoring::Scoring;

/// How the ranking is computed, shown in the view's header.
pub const ROLLUP_LABEL: &str = "rank: Σp of open leads";
/// A lead with a behavioural signal this recent counts as engaged.
pub const ENGAGED_WINDOW: i64 = 30 * DAY;
/// Rows the accounts view uses besides the two lists: title, two list headers, footer.
pub const ACCOUNTS_CHROME_ROWS: u16 = 4;

/// Rows ranked beyond what is asked for: more than any terminal shows, so a redraw at a
/// new size never reaches unsorted rows.
const RANK_AHEAD: usize = 512;

/// Accounts in rank order: more expected wins first, then more weighted pipeline, then the
/// account first seen in the book.
fn rank_order(a: &AccountRow, b: &AccountRow) -> std::cmp::Ordering {
    b.expected_wins
        .total_cmp(&a.expected_wins)
        .then(b.weighted.total_cmp(&a.weighted))
        .then(a.account.cmp(&b.account))
}

/// One account's roll-up (its name is read from the index when drawn: a million-lead book
/// has hundreds of thousands of accounts, and only a screenful is shown).
pub type AccountRow = AccountTotals;

/// One lead of the selected account. Its fields are read when its row is drawn: an account
/// can hold thousands of leads, each a read of the store, and a screen shows a dozen.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountLead {
    pub id: LeadId,
    pub probability: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountsState {
    pub rows: Vec<AccountRow>,
    pub selected: usize,
    pub offset: usize,
    /// The selected account's leads.
    pub leads: Vec<AccountLead>,
    pub lead_selected: usize,
    pub lead_offset: usize,
    /// How many rows, from the top, are in rank order (the rest are not yet sorted).
    pub ranked: usize,
    /// Keys move in the leads list rather than the accounts list.
    pub in_leads: bool,
    /// The book changed since the roll-up was built.
    pub stale: bool,
    pub built: bool,
}

impl AccountsState {
    /// Rows each list shows at a terminal `height` rows high (the accounts list takes half).
    pub fn list_rows(height: u16) -> (usize, usize) {
        let body = height.saturating_sub(ACCOUNTS_CHROME_ROWS).max(2) as usize;
        let accounts = body.div_ceil(2);
        (accounts, (body - accounts).max(1))
    }

    /// Rolls every lead up into its account from the index's columns (a pass on each core,
    /// not a walk over the book's leads), then ranks the accounts as far as the list shows
    /// them (see [`AccountsState::rank_upto`]).
    pub fn rebuild(&mut self, scoring: Option<&Scoring>, now: Timestamp, height: u16) {
        let keep = self.rows.get(self.selected).map(|r| r.account);
        match scoring {
            Some(s) => s
                .index
                .account_totals_into(now, ENGAGED_WINDOW, &mut self.rows),
            None => self.rows.clear(),
        }
        self.ranked = 0;
        // The kept account's new place: how many accounts now rank above it.
        let kept = keep.and_then(|k| {
            let now_k = self.rows.iter().find(|r| r.account == k)?;
            Some(
                self.rows
                    .iter()
                    .filter(|r| rank_order(r, now_k).is_lt())
                    .count(),
            )
        });
        self.selected = kept.unwrap_or(0);
        let (acc_rows, _) = Self::list_rows(height);
        scroll(&mut self.offset, self.selected, acc_rows);
        self.rank_upto(self.offset.max(self.selected) + acc_rows);
        self.stale = false;
        self.built = true;
        self.select_account(scoring, now);
    }

    /// Puts at least the first `n` rows (and a terminal's height more) in their final order.
    /// A million-lead book has hundreds of thousands of accounts and a screen shows a few
    /// dozen: the best ones are selected, then sorted, and the rest only when scrolled to.
    pub fn rank_upto(&mut self, n: usize) {
        let n = (n + RANK_AHEAD).min(self.rows.len());
        if n <= self.ranked {
            return;
        }
        let n = n.max(2 * self.ranked).min(self.rows.len());
        let rest = &mut self.rows[self.ranked..];
        let take = n - self.ranked;
        if take < rest.len() {
            rest.select_nth_unstable_by(take - 1, rank_order);
        }
        rest[..take].sort_unstable_by(rank_order);
        self.ranked = n;
    }

    /// Builds the selected account's lead list, best first.
    pub fn select_account(&mut self, scoring: Option<&Scoring>, now: Timestamp) {
        self.lead_selected = 0;
        self.lead_offset = 0;
        self.leads = match (self.rows.get(self.selected), scoring) {
            (Some(row), Some(s)) => s
                .index
                .account_leads(row.account, now)
                .into_iter()
                .map(|e| AccountLead {
                    id: e.id,
                    probability: Some(e.priority.probability),
                })
                .collect(),
            _ => Vec::new(),
        };
    }

    /// The name of the account on row `i`, made safe to draw.
    pub fn name(&self, i: usize, scoring: Option<&Scoring>) -> String {
        match (self.rows.get(i), scoring) {
            (Some(r), Some(s)) => sanitize(s.index.account_name(r.account)).into_owned(),
            _ => String::new(),
        }
    }

    /// Moves the selection of the focused list by `delta`, clamped, and scrolls.
    pub fn move_by(&mut self, delta: isize, height: u16) -> bool {
        let (acc_rows, lead_rows) = Self::list_rows(height);
        let clamp = |v: usize, len: usize| {
            (v as isize + delta).clamp(0, len.saturating_sub(1) as isize) as usize
        };
        if self.in_leads {
            self.lead_selected = clamp(self.lead_selected, self.leads.len());
            scroll(&mut self.lead_offset, self.lead_selected, lead_rows);
            false
        } else {
            let before = self.selected;
            self.selected = clamp(self.selected, self.rows.len());
            scroll(&mut self.offset, self.selected, acc_rows);
            self.rank_upto(self.offset + acc_rows);
            before != self.selected
        }
    }

    /// The lead Enter opens: the selected one in the leads list, else the account's best.
    pub fn selected_lead(&self) -> Option<LeadId> {
        let i = if self.in_leads { self.lead_selected } else { 0 };
        self.leads.get(i).map(|l| l.id)
    }
}

fn scroll(offset: &mut usize, selected: usize, rows: usize) {
    if selected < *offset {
        *offset = selected;
    } else if selected >= *offset + rows {
        *offset = selected + 1 - rows;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows ranked only as far as they are shown read, at every scroll position, exactly as
    /// a full sort of every account.
    #[test]
    fn partly_ranked_rows_read_as_a_full_sort_wherever_the_list_is_scrolled() {
        let mut rng = crate::core::rng::SeededRng::new(4);
        let rows: Vec<AccountRow> = (0..5_000)
            .map(|a| AccountRow {
                account: a,
                leads: 1,
                // Few distinct values: ties fall to the weighted pipeline, then the number.
                expected_wins: rng.range(0, 40) as f64 / 8.0,
                weighted: rng.range(0, 3) as f64,
                ..AccountRow::default()
            })
            .collect();
        let mut full = rows.clone();
        full.sort_by(rank_order);
        let mut state = AccountsState {
            rows,
            ..AccountsState::default()
        };
        state.rank_upto(0);
        assert!(state.ranked < 5_000, "only the top is sorted at first");
        let height = 24;
        let (shown, _) = AccountsState::list_rows(height);
        for step in [1, 7, 300, 1_000, -450, 4_000] {
            state.move_by(step, height);
            let end = (state.offset + shown).min(5_000);
            let got: Vec<u32> = state.rows[state.offset..end]
                .iter()
                .map(|r| r.account)
                .collect();
            let want: Vec<u32> = full[state.offset..end].iter().map(|r| r.account).collect();
            assert_eq!(got, want, "rows from {}", state.offset);
        }
        state.move_by(10_000, height);
        assert_eq!(state.rows[4_999].account, full[4_999].account);
    }
}
