//! Accounts from the index's columns: every lead's account is interned when it is indexed, so
//! the account-based roll-up (Σ p, best p, engaged leads, open pipeline) is one pass over
//! contiguous arrays on all cores, and one account's leads one pass over the account column.

use super::{LeadIndex, QueueEntry};
use crate::core::model::Timestamp;
use crate::core::parallel::{in_parallel, row_ranges};
use crate::core::weights::sigmoid;

/// The account number of a lead that names none.
pub(super) const NO_ACCOUNT: u32 = u32::MAX;

/// One account's roll-up over its leads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountTotals {
    /// The index's number for the account (see [`LeadIndex::account_leads`]).
    pub account: u32,
    /// Every lead of the account, open or not.
    pub leads: usize,
    /// Leads in a non-terminal stage; the figures below are over these.
    pub open: usize,
    /// Σ p: the expected number of wins.
    pub expected_wins: f64,
    pub best_p: f64,
    /// Leads with a behavioural signal no older than the engaged window.
    pub engaged: usize,
    /// Σ deal value (unknown values count as 0).
    pub pipeline: f64,
    /// Σ p × deal value.
    pub weighted: f64,
}

impl AccountTotals {
    fn add(&mut self, other: &AccountTotals) {
        self.leads += other.leads;
        self.open += other.open;
        self.expected_wins += other.expected_wins;
        self.best_p = self.best_p.max(other.best_p);
        self.engaged += other.engaged;
        self.pipeline += other.pipeline;
        self.weighted += other.weighted;
    }
}

impl LeadIndex {
    /// The name of account number `account`, as the first lead naming it spelled it.
    pub fn account_name(&self, account: u32) -> &str {
        self.accounts
            .get(account as usize)
            .map_or("", String::as_str)
    }

    /// How many distinct accounts the leads name (ignoring case).
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// Every account that has a lead, with its roll-up at `now`; a lead is engaged when its
    /// newest behavioural signal is at most `engaged_window` seconds old. In account-number
    /// order. Each core sums its own rows; the parts are added in row order.
    pub fn account_totals(&self, now: Timestamp, engaged_window: i64) -> Vec<AccountTotals> {
        let n = self.accounts.len();
        let part = |rows: std::ops::Range<usize>| {
            let mut out = vec![AccountTotals::default(); n];
            for r in rows {
                let a = self.account[r];
                if a == NO_ACCOUNT {
                    continue;
                }
                let t = &mut out[a as usize];
                t.leads += 1;
                if self.stages[self.stage[r] as usize].1 {
                    continue;
                }
                let p = sigmoid(self.weights.bias + self.sums[r]);
                t.open += 1;
                t.expected_wins += p;
                t.best_p = t.best_p.max(p);
                let v = self.deal_value[r];
                if !v.is_nan() {
                    t.pipeline += v;
                    t.weighted += p * v;
                }
                let engaged = self.signals[r]
                    .newest(u8::MAX, now)
                    .is_some_and(|(_, at)| now - at <= engaged_window);
                t.engaged += usize::from(engaged);
            }
            out
        };
        let mut parts = in_parallel(&row_ranges(self.ids.len()), part).into_iter();
        let mut totals = parts.next().unwrap_or_default();
        for p in parts {
            for (t, o) in totals.iter_mut().zip(&p) {
                t.add(o);
            }
        }
        totals
            .into_iter()
            .enumerate()
            .filter(|(_, t)| t.leads > 0)
            .map(|(a, t)| AccountTotals {
                account: a as u32,
                ..t
            })
            .collect()
    }

    /// The leads of account number `account`, best first in queue order (priority at `now`,
    /// ties: lower id first), terminal stages included.
    pub fn account_leads(&self, account: u32, now: Timestamp) -> Vec<QueueEntry> {
        let mut rows: Vec<QueueEntry> = (0..self.ids.len())
            .filter(|&r| self.account[r] == account)
            .map(|r| self.entry_at(r, now))
            .collect();
        rows.sort_unstable_by(|a, b| {
            b.priority
                .key
                .total_cmp(&a.priority.key)
                .then(a.id.cmp(&b.id))
        });
        rows
    }
}
