//! Accounts from the index's columns: every lead's account is interned when it is indexed, so
//! the account-based roll-up (Σ p, best p, engaged leads, open pipeline) is a pass over
//! contiguous arrays on each core, and one account's leads one pass over the account column.

use super::{LeadIndex, QueueEntry};
use crate::core::model::Timestamp;
use crate::core::parallel::row_ranges;
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

    /// Every account that has a lead, with its roll-up at `now`, in account-number order; a
    /// lead is engaged when its newest behavioural signal is at most `engaged_window` seconds
    /// old. Written into `out` (cleared first): a caller that keeps the vector between calls
    /// reuses its memory. The accounts are split between the cores, each passing over every
    /// row and summing only its own accounts' leads, so the parts need no merging.
    pub fn account_totals_into(
        &self,
        now: Timestamp,
        engaged_window: i64,
        out: &mut Vec<AccountTotals>,
    ) {
        let n = self.accounts.len();
        out.clear();
        out.resize(n, AccountTotals::default());
        let sum = |first: usize, part: &mut [AccountTotals]| {
            let end = first + part.len();
            for r in 0..self.ids.len() {
                let a = self.account[r] as usize;
                // NO_ACCOUNT is past every range.
                if a < first || a >= end {
                    continue;
                }
                let t = &mut part[a - first];
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
                // Any signal at or after now − window and not after now: the newest one,
                // unless the lead has events dated after now.
                let last = self.last_signal[r];
                let engaged = if last <= now {
                    last >= now - engaged_window
                } else {
                    self.signals[r].any_between(now - engaged_window - 1, now)
                };
                t.engaged += usize::from(engaged);
            }
        };
        let threads = row_ranges(self.ids.len()).len().min(n.max(1));
        if threads < 2 {
            sum(0, out);
        } else {
            let step = n.div_ceil(threads);
            std::thread::scope(|s| {
                for (i, part) in out.chunks_mut(step).enumerate() {
                    let sum = &sum;
                    s.spawn(move || sum(i * step, part));
                }
            });
        }
        for (a, t) in out.iter_mut().enumerate() {
            t.account = a as u32;
        }
        out.retain(|t| t.leads > 0);
    }

    /// [`LeadIndex::account_totals_into`] a new vector.
    pub fn account_totals(&self, now: Timestamp, engaged_window: i64) -> Vec<AccountTotals> {
        let mut out = Vec::new();
        self.account_totals_into(now, engaged_window, &mut out);
        out
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
