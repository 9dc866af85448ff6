//! The accounts view's model (account-based marketing): accounts ranked by a roll-up of their
//! leads, and the selected account's leads.
//!
//! Roll-up per account over its open (non-terminal) leads: `expected wins` = Σ p (the sum of
//! the leads' win probabilities) ranks the accounts; also shown: the best lead's p, how many
//! leads are engaged (a behavioural signal in the last 30 days), and the open pipeline value
//! with its probability-weighted part Σ p × value.

use std::collections::HashMap;

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
    /// Book indices of its leads, best first.
    pub leads: Vec<usize>,
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

    /// Rolls every lead up into its account (one pass), then ranks the accounts.
    pub fn rebuild(&mut self, book: &Book, scoring: Option<&Scoring>, now: Timestamp) {
        let keep = self.rows.get(self.selected).map(|r| r.name.clone());
        let mut by_key: HashMap<String, usize> = HashMap::new();
        let mut rows: Vec<AccountRow> = Vec::new();
        let mut keys: Vec<Vec<f64>> = Vec::new();
        for (i, lead) in book.leads.iter().enumerate() {
            let name = lead.account.trim();
            if name.is_empty() {
                continue;
            }
            let slot = *by_key.entry(name.to_lowercase()).or_insert_with(|| {
                rows.push(AccountRow {
                    name: sanitize(name).into_owned(),
                    ..AccountRow::default()
                });
                keys.push(Vec::new());
                rows.len() - 1
            });
            let entry = scoring.and_then(|s| s.index.entry(lead.id, now));
            let p = entry.map_or(0.0, |e| e.priority.probability);
            let row = &mut rows[slot];
            row.leads.push(i);
            keys[slot].push(entry.map_or(0.0, |e| e.priority.key));
            if !book.pipeline.is_terminal(&lead.stage) {
                row.open += 1;
                row.expected_wins += p;
                row.best_p = row.best_p.max(p);
                row.pipeline += lead.deal_value.unwrap_or(0.0);
                row.weighted += p * lead.deal_value.unwrap_or(0.0);
                let engaged = scoring
                    .and_then(|s| s.index.signals(lead.id))
                    .and_then(|sig| sig.newest(u8::MAX, now))
                    .is_some_and(|(_, at)| now - at <= ENGAGED_WINDOW);
                row.engaged += usize::from(engaged);
            }
        }
        // Each account's leads best first (accounts are small; this sorts per account).
        for (row, k) in rows.iter_mut().zip(&keys) {
            let mut order: Vec<usize> = (0..row.leads.len()).collect();
            order.sort_by(|&a, &b| k[b].total_cmp(&k[a]).then(a.cmp(&b)));
            row.leads = order.into_iter().map(|j| row.leads[j]).collect();
        }
        rows.sort_by(|a, b| {
            b.expected_wins
                .total_cmp(&a.expected_wins)
                .then(b.weighted.total_cmp(&a.weighted))
                .then_with(|| a.name.cmp(&b.name))
        });
        self.rows = rows;
        self.selected = keep
            .and_then(|n| self.rows.iter().position(|r| r.name == n))
            .unwrap_or(0);
        self.stale = false;
        self.built = true;
        self.select_account(book, scoring, now);
    }

    /// Builds the selected account's lead list.
    pub fn select_account(&mut self, book: &Book, scoring: Option<&Scoring>, now: Timestamp) {
        self.lead_selected = 0;
        self.lead_offset = 0;
        self.leads = self
            .rows
            .get(self.selected)
            .map(|r| {
                r.leads
                    .iter()
                    .map(|&i| {
                        let lead = &book.leads[i];
                        AccountLead {
                            id: lead.id,
                            probability: scoring
                                .and_then(|s| s.index.entry(lead.id, now))
                                .map(|e| e.priority.probability),
                            name: sanitize(&lead.name).into_owned(),
                            stage: sanitize(&lead.stage).into_owned(),
                            owner: sanitize(&lead.owner).into_owned(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
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
