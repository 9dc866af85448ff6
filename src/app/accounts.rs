//! The accounts view's model (account-based marketing): accounts ranked by a roll-up of their
//! leads, and the selected account's leads.
//!
//! Roll-up per account over its open (non-terminal) leads: `expected wins` = Σ p (the sum of
//! the leads' win probabilities) ranks the accounts; also shown: the best lead's p, how many
//! leads are engaged (a behavioural signal in the last 30 days), and the open pipeline value
//! with its probability-weighted part Σ p × value.

use crate::core::model::{DAY, LeadId, Timestamp};
use crate::core::text::sanitize;

use super::book::Book;
use super::scoring::Scoring;

/// How the ranking is computed, shown in the view's header.
pub const ROLLUP_LABEL: &str = "rank: Σp of open leads";
/// A lead with a behavioural signal this recent counts as engaged.
pub const ENGAGED_WINDOW: i64 = 30 * DAY;
/// Rows the accounts view uses besides the two lists: title, two list headers, footer.
pub const ACCOUNTS_CHROME_ROWS: u16 = 4;

/// One account's roll-up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountRow {
    pub name: String,
    /// The index's number for the account.
    pub account: u32,
    /// How many leads it has, open or not.
    pub leads: usize,
    pub open: usize,
    /// Σ p over open leads: the expected number of wins; the ranking key.
    pub expected_wins: f64,
    pub best_p: f64,
    pub engaged: usize,
    /// Σ deal value of open leads.
    pub pipeline: f64,
    /// Σ p × deal value of open leads.
    pub weighted: f64,
}

/// One lead of the selected account, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountLead {
    pub id: LeadId,
    pub probability: Option<f64>,
    pub name: String,
    pub stage: String,
    pub owner: String,
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

    /// Rolls every lead up into its account from the index's columns (one pass on all
    /// cores, not a walk over the book's leads), then ranks the accounts.
    pub fn rebuild(&mut self, book: &Book, scoring: Option<&Scoring>, now: Timestamp, height: u16) {
        let keep = self.rows.get(self.selected).map(|r| r.account);
        let mut rows: Vec<AccountRow> = scoring
            .map(|s| {
                s.index
                    .account_totals(now, ENGAGED_WINDOW)
                    .into_iter()
                    .map(|t| AccountRow {
                        name: sanitize(s.index.account_name(t.account)).into_owned(),
                        account: t.account,
                        leads: t.leads,
                        open: t.open,
                        expected_wins: t.expected_wins,
                        best_p: t.best_p,
                        engaged: t.engaged,
                        pipeline: t.pipeline,
                        weighted: t.weighted,
                    })
                    .collect()
            })
            .unwrap_or_default();
        rows.sort_by(|a, b| {
            b.expected_wins
                .total_cmp(&a.expected_wins)
                .then(b.weighted.total_cmp(&a.weighted))
                .then_with(|| a.name.cmp(&b.name))
        });
        self.rows = rows;
        self.selected = keep
            .and_then(|a| self.rows.iter().position(|r| r.account == a))
            .unwrap_or(0);
        let (acc_rows, _) = Self::list_rows(height);
        scroll(&mut self.offset, self.selected, acc_rows);
        self.stale = false;
        self.built = true;
        self.select_account(book, scoring, now);
    }

    /// Builds the selected account's lead list, best first.
    pub fn select_account(&mut self, book: &Book, scoring: Option<&Scoring>, now: Timestamp) {
        self.lead_selected = 0;
        self.lead_offset = 0;
        self.leads = match (self.rows.get(self.selected), scoring) {
            (Some(row), Some(s)) => s
                .index
                .account_leads(row.account, now)
                .into_iter()
                .filter_map(|e| {
                    let lead = book.lead(e.id)?;
                    Some(AccountLead {
                        id: lead.id,
                        probability: Some(e.priority.probability),
                        name: sanitize(&lead.name).into_owned(),
                        stage: sanitize(&lead.stage).into_owned(),
                        owner: sanitize(&lead.owner).into_owned(),
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
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
